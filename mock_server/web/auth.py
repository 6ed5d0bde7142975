"""Who is calling: Medusa's emailpass login, its HS256 JWTs, the ``connect.sid`` cookie
session, and secret API keys over HTTP Basic (docs/medusa-behaviour.md §10).

No HTTP objects here: callers pass header values and get an ``Actor`` or ``None``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
import time
import warnings
from collections import OrderedDict
from email.utils import formatdate
from typing import Any
from urllib.parse import quote

import jwt
import msgspec
from jwt.warnings import InsecureKeyLengthWarning

from ..backend.accounts import check_credentials
from ..backend.errors import SECRET_KEY_AS_BEARER_BODY
from ..backend.jsonparse import v8_error
from ..backend.messages import js_words
from ..backend.store import Store
from .parsing import loads
from .router import decode_uri_component

# Medusa's own fallback secret ("supersecret") is short; that is the point of a dev mock.
warnings.filterwarnings("ignore", category=InsecureKeyLengthWarning)

TOKEN_TTL = 24 * 3600  # Medusa's jwtExpiresIn default: 1d
SESSION_TTL = 10 * 3600  # express-session cookie maxAge in Medusa: 10 h
COOKIE_NAME = "connect.sid"


class Actor(msgspec.Struct, frozen=True):
    # "user" or "api-key", with the actor's id; on /auth/session, whatever the token held
    # (any actor type, even none, and no id for an identity without an actor yet)
    id: Any
    type: Any
    claims: dict | None = None  # the token's or the session's auth context
    session_id: str | None = None  # set when the cookie session authenticated


# The spec's security scheme names → the credentials they stand for.
SCHEMES = {"jwt_token": "bearer", "cookie_auth": "session", "api_key": "api-key"}


class Secrets:
    def __init__(self, jwt_secret: str, cookie_secret: str) -> None:
        self.jwt_secret, self.cookie_secret = jwt_secret, cookie_secret


def login(stores: tuple[Store, ...], body: object, secrets_: Secrets) -> str:
    """``POST /auth/user/emailpass``: a token, or Medusa's 401 (``check_credentials``)."""
    user = check_credentials(stores, body)
    issued = int(time.time())
    claims = {
        "actor_id": user.id,
        "actor_type": "user",
        "auth_identity_id": user.auth_identity_id,
        "auth_provider": "emailpass",
        "mfa_enabled": False,
        "mfa_challenge_completed_at": None,
        "app_metadata": {"user_id": user.id},
        "user_metadata": {},
        "iat": issued,
        "exp": issued + TOKEN_TTL,
    }
    return jwt.encode(claims, secrets_.jwt_secret, algorithm="HS256")


def verify_token(token: str, secrets_: Secrets) -> dict | None:
    """The claims of a token, as ``jsonwebtoken.verify(token, secret)`` takes it in Medusa's
    auth middleware, else None:

    - three base64url parts (the signature may be empty), the header's JSON read as Latin-1;
    - ``alg`` HS256, HS384 or HS512 (jsonwebtoken's default for a secret; ``none`` and the
      others are refused), and a signature equal to the HMAC of the first two parts;
    - a payload that is a JSON object (an array or a string is no context Medusa takes);
    - ``nbf`` and ``exp`` checked only when present, and then they must be numbers: a token
      without ``exp`` never expires, a string ``exp`` is refused. ``iat``, ``aud``, ``iss``,
      ``crit`` and ``kid`` are not looked at.
    """
    parts = token.split(".")
    if len(parts) != 3 or not _JWS_PARTS.fullmatch(token):
        return None
    header = _json_parse(_node_base64_bytes(parts[0]).decode("latin-1"))
    alg = header.get("alg") if isinstance(header, dict) else None
    digest = _HMAC_DIGESTS.get(alg) if isinstance(alg, str) else None
    if digest is None:
        return None
    signed = f"{parts[0]}.{parts[1]}".encode()
    expected = base64.urlsafe_b64encode(hmac.new(secrets_.jwt_secret.encode(), signed, digest).digest())
    if not hmac.compare_digest(expected.rstrip(b"="), parts[2].encode()):
        return None
    claims = _json_parse(_node_base64(parts[1]))
    if not isinstance(claims, dict):
        return None
    now = int(time.time())
    if "nbf" in claims and (not _is_number(claims["nbf"]) or claims["nbf"] > now):
        return None
    if "exp" in claims and (not _is_number(claims["exp"]) or now >= claims["exp"]):
        return None
    return claims


# jws's isValidJws: the three parts in the base64url alphabet, the last one possibly empty
_JWS_PARTS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_HMAC_DIGESTS = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}


def _json_parse(text: str) -> Any:
    """``JSON.parse(text)``, or None where it throws."""
    return loads(text) if v8_error(text) is None else None


def _is_number(value: object) -> bool:
    """JavaScript's ``typeof value === "number"`` for a JSON value."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class Sessions:
    """express-session's memory store: sid → the auth context stored at login.

    Kept in creation order, which is expiry order (one TTL for all), so expired sessions
    are dropped from the front: creating one costs O(1) amortised, however many exist. At
    most ``MAX`` live sessions; past that the oldest is evicted first (its cookie then
    answers 401, as an expired one does)."""

    MAX = 10_000

    def __init__(self, secrets_: Secrets) -> None:
        self.secrets = secrets_
        self._by_sid: OrderedDict[str, tuple[dict, float]] = OrderedDict()
        self._lock = threading.Lock()

    def create(self, claims: dict) -> tuple[str, str]:
        """Store a session; returns (cookie value, Set-Cookie header value)."""
        sid = secrets.token_urlsafe(24)
        expires = time.time() + SESSION_TTL
        with self._lock:
            self._purge()
            while len(self._by_sid) >= self.MAX:
                self._by_sid.popitem(last=False)
            self._by_sid[sid] = (claims, expires)
        value = "s:" + sid + "." + self._sign(sid)
        header = (
            f"{COOKIE_NAME}={quote(value, safe='')}; Path=/; "
            f"Expires={formatdate(expires, usegmt=True)}; HttpOnly"
        )
        return value, header

    def lookup(self, cookie_value: str | None) -> tuple[str, dict] | None:
        sid = self._unsign(cookie_value)
        if sid is None:
            return None
        entry = self._by_sid.get(sid)
        if entry is None or entry[1] < time.time():
            return None
        return sid, entry[0]

    def destroy(self, sid: str) -> None:
        with self._lock:
            self._by_sid.pop(sid, None)

    def __len__(self) -> int:
        return len(self._by_sid)

    def _purge(self) -> None:
        """Drop expired sessions from the oldest on, stopping at the first live one (if the
        clock stepped back, a few stay a little longer; ``lookup`` checks expiry anyway)."""
        now = time.time()
        by_sid = self._by_sid
        while by_sid:
            sid = next(iter(by_sid))
            if by_sid[sid][1] >= now:
                break
            del by_sid[sid]

    def _sign(self, sid: str) -> str:
        mac = hmac.new(self.secrets.cookie_secret.encode(), sid.encode(), hashlib.sha256).digest()
        return base64.b64encode(mac).decode().rstrip("=")  # cookie-signature's format

    def _unsign(self, cookie_value: str | None) -> str | None:
        """The session id of a cookie value as ``parse_cookies`` gives it (decoded once)."""
        if not cookie_value:
            return None
        value = cookie_value
        if not value.startswith("s:") or "." not in value:
            return None
        sid, signature = value[2:].rsplit(".", 1)
        # As bytes: compare_digest refuses str with non-ASCII characters (a forged cookie
        # such as ``s%3Aabc.%C3%A9`` is a 401 like any bad signature, not a TypeError).
        return sid if hmac.compare_digest(signature.encode(), self._sign(sid).encode()) else None

    CLEARING_COOKIE = f"{COOKIE_NAME}=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT"


def parse_cookies(header: str) -> dict[str, str]:
    """A Cookie header as express-session reads it (the ``cookie`` package 0.7.2's ``parse``):
    pairs split at ``;``, a part without ``=`` joined to the next, names and values trimmed of
    spaces and tabs, one pair of surrounding double quotes dropped, the **first** pair of a
    name kept, and a value with a ``%`` decoded as ``decodeURIComponent`` decodes, or left as
    it is where that would throw."""
    cookies: dict[str, str] = {}
    length, index = len(header), 0
    if length < 2:
        return cookies
    while index < length:
        equals = header.find("=", index)
        if equals == -1:
            break
        end = header.find(";", index)
        if end == -1:
            end = length
        elif equals > end:
            index = header.rfind(";", 0, equals) + 1  # a part without "=": back to the last ";"
            continue
        name = header[index:equals].strip(" \t")
        if name not in cookies:
            value = header[equals + 1 : end].strip(" \t")
            if value[:1] == '"' and value[-1:] == '"':  # a lone '"' too: it becomes ""
                value = value[1:-1]
            decoded = decode_uri_component(value)  # where it would throw: the value as it is
            cookies[name] = value if decoded is None else decoded
        index = end + 1
    return cookies


class Refusal(msgspec.Struct, frozen=True):
    """A 401 with a message of its own, where Medusa's middleware words the refusal."""

    body: dict


SECRET_KEY_AS_BEARER = Refusal(SECRET_KEY_AS_BEARER_BODY)
MFA_REQUIRED = Refusal({"message": "MFA verification is required to complete this request"})


def authenticate(
    stores: tuple[Store, ...],
    sessions: Sessions,
    secrets_: Secrets,
    *,
    authorization: str | None,
    session_cookie: str | None,
    allow: tuple[str, ...] = ("bearer", "session", "api-key"),
    any_actor: bool = False,
):
    """The actor behind a request, by the credentials the route accepts (``allow``):
    an ``Actor``, ``None`` (plain 401), or a ``Refusal`` (a 401 with Medusa's own message:
    ``SECRET_KEY_AS_BEARER``, ``MFA_REQUIRED``).

    In Medusa's order and with its parsing (``authenticate-middleware.js``): a secret key
    over HTTP Basic first (the header split at each space: the scheme, then the key as the
    second piece), then the cookie session, then a bearer token (the first two runs of
    non-space in the header, anywhere in it: ``Bearer\t<token> more`` is the token), tried
    only when the session gave no auth context of a permitted actor type.

    The admin routes take ``user`` actors with an ``actor_id``, and refuse a context with
    ``mfa_enabled`` and no ``mfa_challenge_completed_at`` (``requireMfa``, on by default).
    ``any_actor`` is Medusa's ``authenticate("*", ..., {allowUnregistered: true, requireMfa:
    false})`` of the ``/auth/session`` routes: any actor type, a context with no ``actor_id``
    but an ``auth_identity_id``, and no MFA requirement."""
    if "api-key" in allow and authorization:
        key = _api_key(stores, authorization)
        if key is not None:
            return Actor(key.id, "api-key")
    context, sid = None, None
    if "session" in allow and session_cookie:
        found = sessions.lookup(session_cookie)
        if found is not None and (any_actor or found[1].get("actor_type") == "user"):
            sid, context = found
    if context is None and "bearer" in allow and authorization:
        words = js_words(authorization, 2)  # /(\S+)\s+(\S+)/: the first two words
        if len(words) >= 2 and words[0].lower() == "bearer":
            token = verify_token(words[1], secrets_)
            if token is not None and (any_actor or token.get("actor_type") == "user"):
                context = token
    if context is not None:
        if (
            not any_actor
            and _js_truthy(context.get("mfa_enabled"))
            and not _js_truthy(context.get("mfa_challenge_completed_at"))
        ):
            return MFA_REQUIRED
        if _js_truthy(context.get("actor_id")) or (any_actor and _js_truthy(context.get("auth_identity_id"))):
            return Actor(context.get("actor_id"), context.get("actor_type"), context, sid)
    if "api-key" in allow and authorization:
        scheme, _, rest = authorization.partition(" ")
        if scheme.lower() == "bearer" and rest.startswith("sk_"):
            return SECRET_KEY_AS_BEARER
    return None


def _js_truthy(value: object) -> bool:
    """JavaScript's truthiness of a JSON value: empty lists and objects are true."""
    if value is None or value is False or value == "":
        return False
    if _is_number(value):
        return value == value and value != 0  # NaN and 0 are false
    return True


def _api_key(stores: tuple[Store, ...], authorization: str):
    """The live secret key of an ``Authorization: Basic <key>`` header, read as Medusa reads
    it: the second space-separated piece, taken as it is if it starts with ``sk_``, else
    base64-decoded as Node decodes; one trailing ``:`` (an empty password) dropped."""
    pieces = authorization.split(" ", 2)
    if pieces[0].lower() != "basic" or len(pieces) < 2 or not pieces[1]:
        return None
    token = pieces[1] if pieces[1].startswith("sk_") else _node_base64(pieces[1])
    if token.endswith(":"):
        token = token[:-1]
    if not token.startswith("sk_"):
        return None
    for store in stores:  # the namespace's state, then the default's
        key = store.api_keys.get(token)
        if key is not None:
            return key if key.revoked_at is None else None
    return None


_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/]")


def _node_base64(text: str) -> str:
    """``Buffer.from(text, "base64").toString("utf-8")``: malformed UTF-8 as U+FFFD."""
    return _node_base64_bytes(text).decode("utf-8", "replace")


def _node_base64_bytes(text: str) -> bytes:
    """``Buffer.from(text, "base64")``: the URL-safe alphabet taken too, any other character
    skipped, decoding stopped at the first ``=``, no padding needed."""
    text = _NOT_BASE64.sub("", text.split("=", 1)[0].replace("-", "+").replace("_", "/"))
    if len(text) % 4 == 1:
        text = text[:-1]  # six bits make no byte
    return base64.b64decode(text + "=" * (-len(text) % 4))
