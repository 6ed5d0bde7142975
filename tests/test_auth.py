"""Login, tokens, cookie sessions and secret API keys (docs/medusa-behaviour.md §10)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest

from helpers import ADMIN, API_KEY, CAPTURED, login
from mock_server.web.auth import parse_cookies

UNAUTHORIZED = {"message": "Unauthorized"}


def test_login_token_is_a_24h_hs256_jwt_with_medusas_claims(client):
    token = login(client)
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "HS256", "typ": "JWT"}
    claims = jwt.decode(token, "supersecret", algorithms=["HS256"])
    assert list(claims) == [
        "actor_id",
        "actor_type",
        "auth_identity_id",
        "auth_provider",
        "mfa_enabled",
        "mfa_challenge_completed_at",
        "app_metadata",
        "user_metadata",
        "iat",
        "exp",
    ]
    assert claims["actor_id"].startswith("user_") and claims["auth_identity_id"].startswith("authid_")
    assert claims["app_metadata"] == {"user_id": claims["actor_id"]}
    assert claims["exp"] - claims["iat"] == 86400
    assert (claims["actor_type"], claims["auth_provider"], claims["mfa_enabled"]) == (
        "user",
        "emailpass",
        False,
    )


@pytest.mark.parametrize(
    "body, message",
    [
        ({"email": "admin@example.com", "password": "wrong"}, "Invalid email or password"),
        ({"email": "nobody@example.com", "password": "supersecret"}, "Invalid email or password"),
        ({}, "Password should be a string"),
        ({"password": "x"}, "Email should be a string"),
        ({"email": 5, "password": "x"}, "Email should be a string"),
        ({"email": "admin@example.com", "password": 5}, "Password should be a string"),
    ],
)
def test_login_failures(client, body, message):
    response = client.post("/auth/user/emailpass", json=body)
    assert response.status_code == 401
    assert response.json() == {"type": "unauthorized", "message": message}


def test_admin_routes_need_credentials(client):
    for method, path in [
        ("GET", "/admin/payments"),
        ("POST", f"/admin/payments/{CAPTURED}/refund"),
        ("GET", "/admin/refund-reasons"),
    ]:
        response = client.request(method, path, json={"amount": "abc"} if method == "POST" else None)
        assert response.status_code == 401
        assert response.json() == UNAUTHORIZED


def _forged(claims_change=None, key="supersecret", algorithm="HS256", **headers):
    now = int(time.time())
    claims = {"actor_id": "user_x", "actor_type": "user", "iat": now, "exp": now + 60}
    claims.update(claims_change or {})
    return jwt.encode(
        claims, None if algorithm == "none" else key, algorithm=algorithm, headers=headers or None
    )


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer not.a.jwt",
        "Basic Zm9vOmJhcg==",
        "Bearer " + _forged({"exp": int(time.time()) - 10}),
        "Bearer " + _forged(key="another-secret"),
        "Bearer " + _forged(algorithm="none"),
        "Bearer " + _forged({"actor_type": "customer"}),
    ],
)
def test_bad_credentials_are_401(client, authorization):
    response = client.get("/admin/payments", headers={"Authorization": authorization})
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)


def test_tampered_token_is_rejected(client):
    token = login(client)
    head, payload, signature = token.split(".")
    claims = base64.urlsafe_b64decode(payload + "==").replace(b'"user"', b'"User"')
    forged = f"{head}.{base64.urlsafe_b64encode(claims).decode().rstrip('=')}.{signature}"
    assert client.get("/admin/payments", headers={"Authorization": f"Bearer {forged}"}).status_code == 401


def test_secret_key_as_bearer_gets_medusas_own_message(client):
    response = client.get("/admin/payments", headers={"Authorization": f"Bearer {API_KEY}"})
    assert response.status_code == 401
    assert response.json() == {
        "message": "A secret API key was passed as a Bearer token. Secret API keys "
        "must be sent using HTTP Basic authentication instead (Authorization: Basic "
        "<secret-api-key>)."
    }


def test_secret_key_over_basic_acts_as_the_key(client):
    basic = {"Authorization": "Basic " + base64.b64encode(f"{API_KEY}:".encode()).decode()}
    response = client.post(
        f"/admin/payments/{CAPTURED}/refund?fields=%2Brefunds.created_by", json={"amount": 1}, headers=basic
    )
    assert response.status_code == 200
    key_id = client.get("/__mock/state").json()["api_keys"][0]["id"]
    assert key_id.startswith("apk_")
    assert response.json()["payment"]["refunds"][0]["created_by"] == key_id


def test_session_cookie_login_and_logout(client):
    token = login(client)
    response = client.post("/auth/session", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json()["user"] == jwt.decode(token, "supersecret", algorithms=["HS256"])
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("connect.sid=s%3A") and cookie.endswith("; HttpOnly")
    assert "; Path=/; Expires=" in cookie
    sid = cookie.split(";")[0].split("=", 1)[1]
    jar = {"Cookie": f"connect.sid={sid}"}
    assert client.get("/admin/payments", headers=jar).status_code == 200

    response = client.delete("/auth/session", headers=jar)
    assert response.json() == {"success": True}
    assert response.headers["set-cookie"] == "connect.sid=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
    assert client.get("/admin/payments", headers=jar).status_code == 401
    assert client.get("/admin/payments", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.delete("/auth/session", headers=jar).status_code == 401


def test_session_needs_a_bearer_token(client):
    response = client.post("/auth/session")
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)


def test_forged_cookie_is_rejected(client):
    response = client.get("/admin/payments", headers={"Cookie": "connect.sid=s%3Aabc.def"})
    assert response.status_code == 401


def test_login_wire_shape(client):
    response = client.post("/auth/user/emailpass", json=ADMIN)
    assert list(response.json()) == ["token"]


SECRET_AS_BEARER = {
    "message": "A secret API key was passed as a Bearer token. Secret API keys must be sent using HTTP "
    "Basic authentication instead (Authorization: Basic <secret-api-key>)."
}
_B64 = base64.b64encode(API_KEY.encode()).decode()


@pytest.mark.parametrize(
    "template, answer",
    [
        # a bearer token is the first two runs of non-space anywhere in the header (/(\S+)\s+(\S+)/)
        ("Bearer\t{token}", 200),
        ("Bearer {token} more", 200),
        ("Bearer\xa0{token}", 200),  # U+00A0 is JavaScript whitespace
        ("Bearer\x85{token}", UNAUTHORIZED),  # U+0085 is not
        ("BEARER  {token}", 200),
        ("x Bearer {token}", UNAUTHORIZED),
        # the secret-key hint reads the header split at each space: the key must be the second piece
        ("Bearer {key} more", SECRET_AS_BEARER),
        ("Bearer  {key}", UNAUTHORIZED),
        ("Bearer\t{key}", UNAUTHORIZED),
        # a Basic key is the second space-separated piece, raw or base64 as Node decodes it
        ("Basic {key} more", 200),
        ("Basic {key}:", 200),
        ("Basic {key}::", UNAUTHORIZED),
        ("Basic  {key}", UNAUTHORIZED),
        ("Basic\t{key}", UNAUTHORIZED),
        ("Basic " + _B64.rstrip("="), 200),
        ("Basic !" + _B64[:4] + "*" + _B64[4:], 200),
        ("Basic " + _B64 + _B64, 200),  # decoding stops at the first '='
        ("Basic " + base64.b64encode(f"{API_KEY}:password".encode()).decode(), UNAUTHORIZED),
    ],
)
def test_authorization_header_read_as_medusa_reads_it(client, template, answer):
    # observed on 2.21.2 (scratch probe of 37 header shapes, each side with its own token and key)
    header = template.format(token=login(client), key=API_KEY).encode("latin-1")
    response = client.get("/admin/refund-reasons?fields=id", headers={"Authorization": header})
    if answer == 200:
        assert response.status_code == 200, response.text
    else:
        assert (response.status_code, response.json()) == (401, answer)


def test_a_secret_key_over_basic_comes_before_the_session_cookie(client):
    # observed on 2.21.2: Medusa tries the API key first, so the refund is the key's
    token = login(client)
    cookie = client.post("/auth/session", headers={"Authorization": f"Bearer {token}"}).headers["set-cookie"]
    headers = {"Cookie": cookie.split(";")[0], "Authorization": f"Basic {API_KEY}"}
    path = f"/admin/payments/{CAPTURED}/refund?fields=refunds.created_by"
    response = client.post(path, json={"amount": 1}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["payment"]["refunds"][0]["created_by"].startswith("apk_")
    # ... and a secret key sent as a bearer token, with the cookie, is the cookie's user
    headers["Authorization"] = f"Bearer {API_KEY}"
    response = client.post(path, json={"amount": 1}, headers=headers)
    assert sorted(r["created_by"][:4] for r in response.json()["payment"]["refunds"]) == ["apk_", "user"]


def test_posting_a_session_with_a_secret_key_is_a_plain_401(client):
    # /auth/session takes bearer tokens only, so Medusa gives no secret-key hint (observed)
    response = client.post("/auth/session", headers={"Authorization": f"Bearer {API_KEY}"})
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)


@pytest.mark.parametrize(
    "header", ["a" * 16_000, "Bearer " + "a" * 16_000, "a\x85" * 8_000, "Basic " + "=" * 16_000]
)
def test_a_long_authorization_header_is_read_in_one_pass(client, header):
    # searching /(\S+)\s+(\S+)/ at each place of a header with no space takes quadratic time;
    # the header is split once instead
    started = time.process_time()
    response = client.get("/admin/refund-reasons", headers={"Authorization": header.encode("latin-1")})
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    assert time.process_time() - started < 5  # a generous bound: it takes milliseconds


def _claims(change: dict) -> dict:
    """A user token's claims, valid for a minute, with ``change`` applied (``...``: left out)."""
    now = int(time.time())
    claims = {
        "actor_id": "user_x",
        "actor_type": "user",
        "auth_identity_id": "authid_x",
        "iat": now,
        "exp": now + 60,
    }
    return {k: v for k, v in {**claims, **change}.items() if v is not ...}


@pytest.mark.parametrize(
    "claims, answer",
    [
        ({"actor_type": "customer", "actor_id": "cus_1"}, 200),
        ({"actor_type": "robot"}, 200),
        ({"actor_type": ...}, 200),
        ({"actor_id": ""}, 200),  # an identity with no actor yet (allowUnregistered)
        ({"actor_id": ...}, 200),
        ({"actor_id": "", "auth_identity_id": ""}, 401),
    ],
)
def test_a_session_is_made_from_any_actors_token(client, claims, answer):
    # observed on 2.21.2: POST /auth/session is authenticate("*", "bearer", {allowUnregistered:
    # true}); the session's context is the token's, its cookie ends it, and /admin refuses it
    token_claims = _claims(claims)
    token = jwt.encode(token_claims, "supersecret", algorithm="HS256")
    response = client.post("/auth/session", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == answer
    if answer == 401:
        assert response.json() == UNAUTHORIZED
        return
    assert response.json() == {"user": token_claims}
    jar = {"Cookie": response.headers["set-cookie"].split(";")[0]}
    assert client.get("/admin/refund-reasons", headers=jar).status_code == 401
    assert (
        client.get("/admin/refund-reasons", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    )
    assert client.delete("/auth/session", headers=jar).json() == {"success": True}


def test_a_session_of_a_user_with_no_actor_hides_a_valid_bearer_token(client):
    # observed on 2.21.2: a session whose context is a permitted actor type is the context,
    # and Medusa does not read the bearer token then; a customer's session is not, so it does
    now = int(time.time())
    admin = login(client)
    for claims, status in (
        ({"actor_id": "", "actor_type": "user"}, 401),
        ({"actor_id": "c", "actor_type": "customer"}, 200),
    ):
        token = jwt.encode({**claims, "auth_identity_id": "a", "iat": now, "exp": now + 60}, "supersecret")
        cookie = client.post("/auth/session", headers={"Authorization": f"Bearer {token}"}).headers[
            "set-cookie"
        ]
        headers = {"Cookie": cookie.split(";")[0], "Authorization": f"Bearer {admin}"}
        assert client.get("/admin/refund-reasons", headers=headers).status_code == status


MFA_REQUIRED = {"message": "MFA verification is required to complete this request"}


@pytest.mark.parametrize(
    "change, answer",
    [
        ({"mfa_enabled": True}, MFA_REQUIRED),
        ({"mfa_enabled": 1}, MFA_REQUIRED),
        ({"mfa_enabled": "yes", "mfa_challenge_completed_at": ""}, MFA_REQUIRED),
        ({"mfa_enabled": True, "actor_id": ""}, MFA_REQUIRED),  # checked before the actor
        ({"mfa_enabled": True, "mfa_challenge_completed_at": "2020-01-01T00:00:00Z"}, 200),
        ({"mfa_enabled": True, "actor_type": "customer"}, UNAUTHORIZED),
    ],
)
def test_admin_routes_require_a_completed_mfa_challenge_when_mfa_is_on(client, change, answer):
    # observed on 2.21.2 (hand-signed tokens): /admin's authenticate has requireMfa on by
    # default; the session routes turn it off, so such a token still makes a session, whose
    # cookie /admin refuses the same way
    claims = {**jwt.decode(login(client), "supersecret", algorithms=["HS256"]), **change}
    token = jwt.encode(claims, "supersecret", algorithm="HS256")
    ways = [{"Authorization": f"Bearer {token}"}]
    if isinstance(claims["mfa_enabled"], bool):  # else the answer is outside the contract's claims
        session = client.post("/auth/session", headers={"Authorization": f"Bearer {token}"})
        assert session.status_code == 200
        ways.append({"Cookie": session.headers["set-cookie"].split(";")[0]})
    for headers in ways:
        response = client.get("/admin/refund-reasons?fields=id", headers=headers)
        if answer == 200:
            assert response.status_code == 200
        else:
            assert (response.status_code, response.json()) == (401, answer)


def _signed(header: dict, payload, digest=hashlib.sha256, key=b"supersecret") -> str:
    def part(value) -> bytes:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=")

    signed = part(header) + b"." + part(payload)
    signature = base64.urlsafe_b64encode(hmac.new(key, signed, digest).digest()).rstrip(b"=")
    return (signed + b"." + signature).decode()


@pytest.mark.parametrize(
    "header, change, digest, status",
    [
        # jsonwebtoken.verify as Medusa calls it (observed on 2.21.2, 19 hand-made tokens):
        ({"alg": "HS256", "typ": "JWT"}, {"exp": None}, hashlib.sha256, 401),
        ({"alg": "HS256", "typ": "JWT"}, {"exp": "9999999999"}, hashlib.sha256, 401),  # not a number
        ({"alg": "HS256", "typ": "JWT"}, {"nbf": 9999999999}, hashlib.sha256, 401),
        ({"alg": "HS256", "typ": "JWT"}, {"exp": ...}, hashlib.sha256, 200),  # no exp: never expires
        ({"alg": "HS384", "typ": "JWT"}, {}, hashlib.sha384, 200),  # the default algorithms for a secret
        ({"alg": "HS512"}, {}, hashlib.sha512, 200),
        ({"alg": "HS256", "typ": "JWT"}, {"iat": 9999999999}, hashlib.sha256, 200),  # iat is not looked at
        ({"alg": "HS256", "typ": "JWT"}, {"iat": "abc", "aud": "x"}, hashlib.sha256, 200),
        ({"alg": "HS256", "typ": "JWT", "crit": ["x"], "kid": 1}, {}, hashlib.sha256, 200),
        ({"alg": "HS384", "typ": "JWT"}, {}, hashlib.sha256, 401),  # the header's algorithm signs
    ],
)
def test_a_token_is_verified_as_jsonwebtoken_verifies_it(client, header, change, digest, status):
    claims = _claims(change)
    token = _signed(header, claims, digest)
    response = client.get("/admin/refund-reasons?fields=id", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == status


def test_a_token_whose_payload_is_no_object_is_refused(client):
    token = _signed({"alg": "HS256", "typ": "JWT"}, [1])
    response = client.get("/admin/refund-reasons", headers={"Authorization": f"Bearer {token}"})
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)


def test_the_first_session_cookie_of_a_name_is_the_one_read(client):
    # observed on 2.21.2: express-session's cookie parser keeps the first pair of a name
    token = login(client)
    cookie = client.post("/auth/session", headers={"Authorization": f"Bearer {token}"}).headers["set-cookie"]
    good = cookie.split(";")[0]
    bad = "connect.sid=s%3Axx.yy"
    for header, status in (
        (f"{bad}; {good}", 401),
        (f"{good}; {bad}", 200),
        (f'a=1;connect.sid="{good[12:]}"', 200),
    ):
        assert client.get("/admin/refund-reasons", headers={"Cookie": header}).status_code == status, header


@pytest.mark.parametrize(
    "header, parsed",
    [
        ("a=1; a=2", {"a": "1"}),
        (' a = "x" ;b=%41', {"a": "x", "b": "A"}),
        ("x;y=1", {"y": "1"}),  # a part without "=" is no pair
        ("a=%ZZ", {"a": "%ZZ"}),  # decodeURIComponent would throw: the value as it is
        ("a=%ED%A0%80", {"a": "%ED%A0%80"}),  # a surrogate's UTF-8: it throws too
        ('a="', {"a": ""}),
        ("a=b=c", {"a": "b=c"}),
        ("a", {}),
    ],
)
def test_cookies_are_parsed_as_the_cookie_package_parses_them(header, parsed):
    assert parse_cookies(header) == parsed
