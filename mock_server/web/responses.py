"""Responses shaped like Medusa's Express server sends them: compact JSON, Express's
headers in Express's order, a weak ETag, and Express's HTML 404 (docs/medusa-behaviour.md §13,
§14, §8.4)."""

from __future__ import annotations

import json
import re
from binascii import b2a_base64
from functools import lru_cache
from hashlib import sha1
from typing import Iterable
from urllib.parse import quote

import orjson
from starlette.responses import Response
from uvicorn.protocols.http.httptools_impl import HEADER_RE, HEADER_VALUE_RE

from ..backend.jsonparse import UNPAIRED
from . import transport

JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
# An answer's head as uvicorn writes it: names in lower case, in the order given.
_POWERED_BY = b"x-powered-by: Express\r\n"
_POWERED_BY_PAIR = (b"X-Powered-By", b"Express")
_CONTENT_TYPES = {t: b"content-type: %s\r\n" % t.encode() for t in (JSON_TYPE, HTML_TYPE)}
# Header lines encoded once per distinct sequence of pairs (the CORS headers of a few
# origins, the 404's and preflights' own); None: a pair uvicorn would refuse.
_LINES: dict[tuple[tuple[str, str], ...], bytes | None] = {}
_LINES_LIMIT = 256


def _encoded(pairs: tuple[tuple[str, str], ...]) -> bytes | None:
    """``name: value\\r\\n`` for each pair, or None if uvicorn would refuse one (a name that
    is not a token, a value with a control character): its own ``send`` then refuses it."""
    encoded = [(name.encode(), value.encode()) for name, value in pairs]
    if any(HEADER_RE.search(k) or HEADER_VALUE_RE.search(v) for k, v in encoded):
        return None
    return b"".join(b"%s: %s\r\n" % (k.lower(), v) for k, v in encoded)


def _lines(pairs: tuple[tuple[str, str], ...]) -> bytes | None:
    """``_encoded``, remembered for the sequences that repeat (the ones given before the
    Content-Type; a Set-Cookie comes after it, and is new on each login)."""
    known = _LINES.get(pairs, False)
    if known is not False:
        return known  # type: ignore[return-value]
    lines = _encoded(pairs)
    if len(_LINES) >= _LINES_LIMIT:
        _LINES.clear()
    _LINES[pairs] = lines
    return lines


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
    per namespace) and by the read cache; a copy costs well under a microsecond.

    A string may hold an unpaired surrogate: JSON.parse takes ``"\\ud800"``, and Medusa's
    messages quote what a request sent (an id, half of an emoji where V8 cut a context).
    JSON.stringify writes one as an escape (``\\ud800``, lower case); orjson refuses it,
    so such data is written by the standard library and the escapes put in, as is an
    integer past 64 bits. (Stored text holds none: ``backend/refund_reasons.as_stored``.)"""
    try:
        return memoryview(orjson.dumps(data)).tobytes()
    except orjson.JSONEncodeError as exc:
        # orjson also refuses integers past 64 bits, which a JavaScript number below 1e21
        # written in digits can be (``money.js_double``)
        if "surrogates not allowed" not in str(exc) and "64-bit" not in str(exc):
            raise
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return UNPAIRED.sub(_escaped, text).encode()


def _escaped(match: re.Match) -> str:
    return "\\u%04x" % ord(match.group())


class ExpressResponse(Response):
    """A response with exactly the headers given, in order, plus Express's own.

    Its head is built as the bytes uvicorn would write (``head``), and sent with the body in
    one write where the transport offers it (``transport.answer``, which adds the
    connection's headers); elsewhere (in process, another server) ``raw_headers`` gives
    the same headers as an ASGI list, with ``connection``'s last."""

    connection: transport.Pairs = transport.KEEP_ALIVE_PAIRS  # Node's for a kept-alive connection

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
        self.etag = None
        if with_etag and body:
            self.etag = etag or _etag(body)
        if type(before) is not tuple:
            before = tuple(before)
        if type(after) is not tuple:
            after = tuple(after)
        lines = _lines(before) if before else b""
        tail = _encoded(after) if after else b""
        self._given = (before, content_type, after, len(body))  # for ``raw_headers``
        if lines is None or tail is None:  # uvicorn's send refuses it, as it would have
            self.head = None
            return
        self.head = b"%s%s%scontent-length: %d\r\n%s%s" % (
            _POWERED_BY,
            lines,
            (_CONTENT_TYPES.get(content_type) or b"content-type: %s\r\n" % content_type.encode())
            if content_type
            else b"",
            len(body),
            b"etag: %s\r\n" % self.etag if self.etag is not None else b"",
            tail,
        )

    @property
    def raw_headers(self) -> list[tuple[bytes, bytes]]:  # type: ignore[override]
        """The headers as an ASGI list, names as Express writes them (uvicorn writes them in
        lower case)."""
        before, content_type, after, length = self._given
        headers = [_POWERED_BY_PAIR]
        headers += [(k.encode(), v.encode()) for k, v in before]
        if content_type:
            headers.append((b"Content-Type", content_type.encode()))
        headers.append((b"Content-Length", b"%d" % length))
        if self.etag is not None:
            headers.append((b"ETag", self.etag))
        headers += [(k.encode(), v.encode()) for k, v in after]
        headers += self.connection
        return headers

    def sent(self, scope) -> bool:
        """Written whole, at once, where the transport offers it (no coroutine); False: the
        caller awaits the response as any ASGI app."""
        return self.head is not None and transport.answer(scope, self.status_code, self.head, self.body)

    async def __call__(self, scope, receive, send) -> None:
        if not self.sent(scope):
            self.connection = transport.connection_headers(scope)
            await Response.__call__(self, scope, receive, send)


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
