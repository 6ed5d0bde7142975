"""Responses shaped like Medusa's Express server sends them: compact JSON, Express's
headers in Express's order, a weak ETag, and Express's HTML 404 (docs/medusa-behaviour.md §13,
§14, §8.4)."""

from __future__ import annotations

import re
from binascii import b2a_base64
from functools import lru_cache
from hashlib import sha1
from typing import Iterable
from urllib.parse import quote

import orjson
from starlette.responses import Response

JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
_TAIL = ((b"Connection", b"keep-alive"), (b"Keep-Alive", b"timeout=5"))
# Headers sent on nearly every answer, encoded once.
_POWERED_BY = (b"X-Powered-By", b"Express")
_CONTENT_TYPES = {t: (b"Content-Type", t.encode()) for t in (JSON_TYPE, HTML_TYPE)}
_CONSTANT = {
    (k, v): (k.encode(), v.encode())
    for k, v in (("Vary", "Origin"), ("Access-Control-Allow-Credentials", "true"))
}


def etag(body: bytes) -> str:
    """Express's weak ETag: length in hex and a truncated base64 SHA-1 of the body."""
    return _etag(body).decode()


def _etag(body: bytes) -> bytes:
    return _small_etag(body) if len(body) <= SMALL_BODY else _hash_etag(body)


def _hash_etag(body: bytes) -> bytes:
    return b'W/"%x-%s"' % (len(body), b2a_base64(sha1(body).digest(), newline=False)[:27])


# Error answers repeat the same few small bodies (a validation message, a 401, a 404):
# their ETags are remembered (looking up a short body costs less than hashing it).
SMALL_BODY = 512
_small_etag = lru_cache(maxsize=256)(_hash_etag)


def encode(data: object) -> bytes:
    """Compact JSON, in a bytes object of its own size: orjson returns its whole write
    buffer (a 116-byte answer holds 4 KB), and answers are kept, by the journal (a thousand
    per namespace) and by the read cache; a copy costs well under a microsecond."""
    return memoryview(orjson.dumps(data)).tobytes()


class ExpressResponse(Response):
    """A response with exactly the headers given, in order, plus Express's own."""

    def __init__(
        self,
        status: int,
        body: bytes,
        *,
        content_type: str | None = JSON_TYPE,
        before: Iterable[tuple[str, str]] = (),
        after: Iterable[tuple[str, str]] = (),
        with_etag: bool = True,
        etag: bytes | None = None,  # the body's, when it is already known
    ) -> None:
        self.status_code = status
        self.body = body
        self.background = None
        headers = [_POWERED_BY]
        for k, v in before:
            headers.append(_CONSTANT.get((k, v)) or (k.encode(), v.encode()))
        if content_type:
            headers.append(_CONTENT_TYPES.get(content_type) or (b"Content-Type", content_type.encode()))
        headers.append((b"Content-Length", b"%d" % len(body)))
        self.etag = None
        if with_etag and body:
            self.etag = etag or _etag(body)
            headers.append((b"ETag", self.etag))
        for k, v in after:
            headers.append((k.encode(), v.encode()))
        headers += _TAIL
        self.raw_headers = headers


def json_response(
    status: int,
    data: object,
    *,
    cors: Iterable[tuple[str, str]] = (),
    set_cookie: str | None = None,
    cookie_first: bool = False,
) -> ExpressResponse:
    """A JSON answer. ``Set-Cookie`` goes after the ETag, or (``cookie_first``, as on
    ``DELETE /auth/session``) right after the CORS headers."""
    if not set_cookie:
        return ExpressResponse(status, encode(data), before=cors)
    cookie = [("Set-Cookie", set_cookie)]
    before = [*cors, *(cookie if cookie_first else [])]
    after = [] if cookie_first else cookie
    return ExpressResponse(status, encode(data), before=before, after=after)


# encodeurl: what it percent-encodes (anything outside the URL characters, and a "%" that
# does not start an escape), and escape-html's five characters.
_ENCODE = re.compile(
    r"(?:[^\x21\x25\x26-\x3B\x3D\x3F-\x5B\x5D\x5F\x61-\x7A\x7E]|%(?:[^0-9A-Fa-f]|[0-9A-Fa-f][^0-9A-Fa-f]|$))+"
)
_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"})


def _encode_url(text: str) -> str:
    return _ENCODE.sub(lambda m: quote(m.group(), safe="#$&+,/:;=?@!'()*~-_.[]"), text)


def not_found_html(method: str, raw_path: str) -> ExpressResponse:
    """Express's default 404 page for an unknown route or method (finalhandler): the path as
    it came (percent-encoded; ``encodeurl`` escapes what is left), HTML-escaped."""
    message = f"Cannot {method} {_encode_url(raw_path)}".translate(_HTML)
    body = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<title>Error</title>\n</head>\n<body>\n"
        f"<pre>{message}</pre>\n</body>\n</html>\n"
    ).encode()
    return ExpressResponse(
        404,
        body,
        content_type=HTML_TYPE,
        with_etag=False,
        before=[("Content-Security-Policy", "default-src 'none'"), ("X-Content-Type-Options", "nosniff")],
    )


def allow_response(allow: str) -> ExpressResponse:
    """Express's automatic answer to an OPTIONS no route takes: the path's methods."""
    return ExpressResponse(200, allow.encode(), content_type=HTML_TYPE, before=[("Allow", allow)])


def text_response(status: int, text: str) -> ExpressResponse:
    return ExpressResponse(status, text.encode(), content_type=HTML_TYPE)


def preflight_response(headers: Iterable[tuple[str, str]]) -> ExpressResponse:
    return ExpressResponse(204, b"", content_type=None, before=headers, with_etag=False)
