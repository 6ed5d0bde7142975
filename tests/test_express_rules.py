"""Express's routing and body-parser's reading as a real Medusa 2.21.2 applies them (every
answer here was observed on one): letter case, percent-encoded paths, the 404 page,
automatic OPTIONS answers and preflights; which bodies are read, in which charset, and how."""

from __future__ import annotations

import pytest

from helpers import CAPTURED

UNKNOWN = {"code": "unknown_error", "type": "unknown_error", "message": "An unknown error occurred."}
NOT_FOUND_PAY_X = {"type": "not_found", "message": "Payment id not found: pay_x"}
ORIGIN = "http://localhost:5173"


def page(method: str, shown: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n'
        f"</head>\n<body>\n<pre>Cannot {method} {shown}</pre>\n</body>\n</html>\n"
    )


# ---- routing ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/ADMIN/payments", "/Admin/Payments", "/admin/payments/PAYMENT-PROVIDERS"])
def test_routes_ignore_letter_case(client, auth, path):
    response = client.get(path, headers=auth)
    assert response.status_code == 200
    assert "count" in response.json()


def test_a_route_is_matched_on_the_encoded_path(client, auth):
    unknown = client.get("/admin/payment%73", headers=auth)
    assert (unknown.status_code, unknown.text) == (404, page("GET", "/admin/payment%73"))
    # %2F does not split a parameter: the id is "a/b" (unknown: Medusa's 200 {})
    slashed = client.get("/admin/payments/a%2Fb", headers=auth)
    assert (slashed.status_code, slashed.json()) == (200, {})
    assert client.get(f"/admin/payments/{CAPTURED.upper()}", headers=auth).json() == {}  # ids keep case


def test_a_parameter_decodeuricomponent_refuses_is_a_500_after_auth(client, auth):
    assert client.get("/admin/payments/%zz").status_code == 401
    for path in ("/admin/payments/%zz", "/admin/payments/%C3%28"):
        response = client.get(path, headers=auth)
        assert (response.status_code, response.json()) == (500, UNKNOWN)
    # before the body's validation
    refund = client.post("/admin/payments/%zz/refund", json={"amount": "x"}, headers=auth)
    assert (refund.status_code, refund.json()) == (500, UNKNOWN)


@pytest.mark.parametrize(
    "path, shown",
    [
        ("/foo%20bar%2x", "/foo%20bar%252x"),
        ("/foo%3Cb%3E", "/foo%3Cb%3E"),
        ("/a'b", "/a&#39;b"),
        ("/a%2fb", "/a%2fb"),
    ],
)
def test_the_404_page_shows_the_path_as_it_came(client, path, shown):
    response = client.get(path)
    assert (response.status_code, response.text) == (404, page("GET", shown))


@pytest.mark.parametrize(
    "path, allow",
    [
        ("/admin/refund-reasons", "GET,HEAD,POST"),
        ("/admin/refund-reasons/x", "POST,GET,HEAD,DELETE"),
        ("/admin/payments/x/capture", "POST"),
        ("/auth/session", "POST,DELETE"),
        ("/auth/user/emailpass", "POST,GET,HEAD"),
        ("/health", "GET,HEAD"),
    ],
)
def test_an_options_no_route_takes_lists_the_methods(client, auth, path, allow):
    response = client.options(path, headers=auth)
    assert response.status_code == 200
    assert response.headers["allow"] == allow
    assert response.text == allow
    assert response.headers["content-type"] == "text/html; charset=utf-8"


def test_an_options_needs_credentials_under_admin_and_an_unknown_path_is_a_404(client, auth):
    assert client.options("/admin/refund-reasons").json() == {"message": "Unauthorized"}
    assert client.options("/auth/session").headers["allow"] == "POST,DELETE"
    assert client.options("/admin/nothing", headers=auth).status_code == 404


@pytest.mark.parametrize(
    "path, requested, status",
    [
        ("/admin/payments", "GET", 204),
        ("/ADMIN/payments", "GET", 204),
        ("/admin/payments", "POST", 401),  # no POST route: not a preflight the cors middleware sees
        (f"/admin/payments/{CAPTURED}/refund", "POST", 204),
        (f"/admin/payments/{CAPTURED}/refund", "post", 401),
        (f"/admin/payments/{CAPTURED}/refund", "GET", 401),
    ],
)
def test_a_preflight_is_answered_for_a_method_the_route_has(client, path, requested, status):
    response = client.options(path, headers={"origin": ORIGIN, "access-control-request-method": requested})
    assert response.status_code == status
    assert ("access-control-allow-origin" in response.headers) == (status == 204)


# ---- body-parser --------------------------------------------------------------------------


def post(client, auth, body: bytes, content_type: str | None, path: str = "/admin/payments/pay_x/refund"):
    headers = dict(auth)
    if content_type is not None:
        headers["content-type"] = content_type
    return client.post(path, content=body, headers=headers)


@pytest.mark.parametrize(
    "content_type, charset",
    [
        ("application/json; charset=latin1", "LATIN1"),
        ("application/json ; CHARSET=latin1", "LATIN1"),
        ("application/json; charset=utf8", "UTF8"),
        ("application/json; charset=utf-32", "UTF-32"),
        ("application/json; charset=utf-99", "UTF-99"),
        ("application/json; charset=utf-8; charset=latin1", "LATIN1"),
        ("text/plain; charset=foo", "FOO"),
        ("application/x-www-form-urlencoded; charset=latin1", "LATIN1"),
        ("application/x-www-form-urlencoded; charset=utf8", "UTF8"),
    ],
)
def test_an_unsupported_charset_is_a_415(client, auth, content_type, charset):
    response = post(client, auth, b'{"amount": 1}', content_type)
    assert response.status_code == 415
    assert response.text == f'{{"message":"unsupported charset \\"{charset}\\"","type":"unknown_error"}}'


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b'{"amount": 1}', None),  # no type: no parser reads it
        (b"hello", "text/html"),
        (b"hello", "application/octet-stream"),
        (b'{"amount":"x"}', "application/vnd.api+json"),  # not application/json
        (b'{"amount":"x"}', "application/json;charset=utf-8;"),  # a type media-typer refuses
        (b'{"amount":"x"}', "application/json; x"),
        (b'\xef\xbb\xbf{"amount": 1}', "application/json"),  # the byte-order mark is dropped
        (b"\xef\xbb\xbf", "application/json"),
        (b"\xff\xfe{\x00}\x00", "application/json; charset=utf-16"),
        (b"\x00{\x00}", "application/json; charset=utf-16be"),
        (b'{"note":"\xe9"}', "application/json"),  # not UTF-8: U+FFFD, then valid JSON
        (b"note=x", "application/x-www-form-urlencoded"),
    ],
)
def test_bodies_read_as_an_empty_or_valid_refund(client, auth, body, content_type):
    response = post(client, auth, body, content_type)
    assert (response.status_code, response.json()) == (404, NOT_FOUND_PAY_X)


@pytest.mark.parametrize(
    "body, content_type, status, message",
    [
        (
            b"amount=1",
            "application/x-www-form-urlencoded",
            400,
            "Invalid request: Expected type: 'number' for field 'amount', got: '1'",
        ),
        (
            b"amount[]=1",
            "application/x-www-form-urlencoded",
            400,
            "Invalid request: Expected type: 'number' for field 'amount', got: '1'",
        ),
        (
            b'{"amount": 1}',
            "application/x-www-form-urlencoded",
            400,
            "Invalid request: Unrecognized fields: '{\"amount\": 1}'",
        ),
        (b"", "text/plain", 400, "Invalid request: Field '' is required"),
        (b"hello", "text/plain; charset=latin1", 400, "Invalid request: Field '' is required"),
    ],
)
def test_forms_and_text_are_read_and_then_validated(client, auth, body, content_type, status, message):
    response = post(client, auth, body, content_type)
    assert (response.status_code, response.json()) == (status, {"type": "invalid_data", "message": message})


def test_a_form_creates_a_refund_reason(client, auth):
    response = post(
        client, auth, b"label=x&code=form", "application/x-www-form-urlencoded", "/admin/refund-reasons"
    )
    assert response.status_code == 200
    assert (response.json()["refund_reason"]["label"], response.json()["refund_reason"]["code"]) == (
        "x",
        "form",
    )


def test_form_limits(client, auth):
    many = post(client, auth, b"a=1&" * 1001, "application/x-www-form-urlencoded")
    assert many.status_code == 413
    assert many.text == '{"message":"too many parameters","type":"unknown_error"}'
    deep = post(client, auth, b"a" + b"[b]" * 33 + b"=1", "application/x-www-form-urlencoded")
    assert deep.text == '{"message":"The input exceeded the depth","type":"invalid_data"}'
    deep_enough = post(client, auth, b"a" + b"[b]" * 32 + b"=1", "application/x-www-form-urlencoded")
    assert deep_enough.json()["message"] == "Invalid request: Unrecognized fields: 'a'"


@pytest.mark.parametrize(
    "body, content_type, message",
    [
        (b"\t\n", "application/json", "Unexpected end of JSON input"),
        (
            b'{"amount":1}',
            "application/json; charset=utf-16le",
            "Unexpected token '≻', \"≻浡畯瑮㨢紱\" is not valid JSON",
        ),
    ],
)
def test_json_bodies_that_do_not_parse(client, auth, body, content_type, message):
    response = post(client, auth, body, content_type)
    assert (response.status_code, response.json()) == (400, {"message": message, "type": "invalid_data"})


@pytest.mark.parametrize(
    "body, message",
    [
        # body-parser's strict mode: V8's message on the text with '#' from the first
        # character on, each run of '#' then given back the text from that character
        (b"9.4915920712345678901234567", "Unexpected token '9', \"9.49159207\"... is not valid JSON"),
        (
            b'   "abcdefghijklmnopqrstuvwxyz0123456789"',
            'Unexpected token \'"\', "   "abcdefghi"... is not valid JSON',
        ),
        (b'"#abcdefghijklmnopqrstuvwxyz"', 'Unexpected token \'"\', ""#abcdefgh"... is not valid JSON'),
    ],
)
def test_a_body_that_is_no_object_nor_array(client, auth, body, message):
    response = post(client, auth, body, "application/json")
    assert (response.status_code, response.json()) == (400, {"message": message, "type": "invalid_data"})


def test_body_keys_are_listed_in_javascript_order_and_big_integers_as_doubles(client, auth):
    keys = post(client, auth, b'{"zz":1,"10":2,"a":3}', "application/json")
    assert keys.json()["message"] == "Invalid request: Unrecognized fields: '10, zz, a'"
    big = post(client, auth, b'{"amount":"x","note":2780539066271687680}', "application/json")
    assert big.json()["message"] == (
        "Invalid request: Expected type: 'number' for field 'amount', got: 'x'; "
        "Expected type: 'string' for field 'note', got: '2780539066271687700'"
    )


@pytest.mark.parametrize(
    "body, message",
    [
        ({"email": "", "password": ""}, "Password should be a string"),
        ({"email": "a@b.c", "password": ""}, "Password should be a string"),
        ({"email": "", "password": "x"}, "Email should be a string"),
    ],
)
def test_an_empty_email_or_password_is_not_a_string(client, body, message):
    response = client.post("/auth/user/emailpass", json=body)
    assert (response.status_code, response.json()) == (401, {"type": "unauthorized", "message": message})


@pytest.mark.parametrize("provider", ["foo", "0", "EMAILPASS"])  # a parameter: letter case counts
def test_another_auth_provider_is_not_allowed(client, provider):
    from helpers import ADMIN

    response = client.post(f"/auth/user/{provider}", json=ADMIN)
    assert (response.status_code, response.json()) == (
        400,
        {
            "type": "not_allowed",
            "message": f"The actor type user is not allowed to use the auth provider {provider}",
        },
    )
    assert client.post("/AUTH/User/emailpass", json=ADMIN).status_code == 200  # the literals ignore case


def test_routes_without_a_query_validator_ignore_the_query(client):
    # observed on 2.21.2: /health and the auth routes read no query (not even a key with two dots)
    from helpers import ADMIN

    assert (client.get("/health?x=1&a.b.c=2").status_code, client.get("/health?x=1").text) == (200, "OK")
    login = client.post("/auth/user/emailpass?x=1&a.b.c=2", json=ADMIN)
    assert login.status_code == 200
    session = client.post("/auth/session?x=1", headers={"authorization": f"Bearer {login.json()['token']}"})
    assert session.status_code == 200
