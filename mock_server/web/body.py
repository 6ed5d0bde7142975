"""Reading a request body the way body-parser 1.x (Medusa's Express stack) reads it, with
its limit enforced before the bytes are kept:

* a ``Content-Length`` over the limit is a 413 before a byte of the body is read (the
  server discards the rest, and the connection stays usable, as in Node);
* a body without a length (chunked) is read until it passes the limit, then a 413;
* ``Content-Encoding``: ``identity``, ``gzip`` and ``deflate`` (any case) are accepted and
  inflated, the limit counting inflated bytes (a small gzip of a huge body is a 413, not a
  huge buffer); anything else is a 415 ``unsupported content encoding "<value>"``. As in
  Medusa, that applies to the types body-parser reads (JSON, ``text/plain``, URL-encoded);
  other bodies are read under the same limit and their encoding header is ignored.

So no request holds more than ``BODY_LIMIT`` (+ one network chunk) of body in memory.
"""

from __future__ import annotations

import asyncio
import zlib
from typing import TYPE_CHECKING, Any

from starlette.requests import ClientDisconnect

from . import transport
from .parsing import BODY_LIMIT, PARSED_TYPES, BodyError, media_type, parse_body

if TYPE_CHECKING:
    from .contract import SchemaCheck

_INFLATE = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


def too_large() -> BodyError:
    return BodyError(413, "request entity too large", "unknown_error")


def _is_read_by_body_parser(content_type: str | None) -> bool:
    return media_type(content_type) in PARSED_TYPES


def plan(
    content_type: str | None, content_length: bytes | None, encoding: str | None, chunked: bool
) -> tuple[int | None, str | None]:
    """From the request head (the first of each header; ``chunked``: any
    ``Transfer-Encoding``): the declared length and the inflation to apply (``None`` for
    identity). Raises the 415 and the early 413 as body-parser does, before anything is
    read."""
    length = None
    if content_length is not None:
        try:
            length = int(content_length)
        except ValueError:
            length = None
    inflate = None
    # type-is's hasBody: a Transfer-Encoding or a Content-Length (even 0) means a body; no
    # Content-Encoding is identity
    if (
        encoding is not None
        and (chunked or content_length is not None)
        and _is_read_by_body_parser(content_type)
    ):
        name = encoding.lower()
        if name in _INFLATE:
            inflate = name
        elif name != "identity":
            raise BodyError(415, f'unsupported content encoding "{encoding}"', "unknown_error")
    if inflate is None and length is not None and length > BODY_LIMIT:
        raise too_large()
    return length, inflate


def take(
    scope,
    content_type: str | None,
    content_length: bytes | None = None,
    encoding: str | None = None,
    chunked: bool = False,
) -> bytes | None:
    """``read``, without a coroutine, for a body that needs no inflating and that the
    server already holds whole (``transport.whole_body``); None: ``read`` it."""
    _, inflate = plan(content_type, content_length, encoding, chunked)
    if inflate:
        return None
    body = transport.whole_body(scope)
    if body is not None and len(body) > BODY_LIMIT:
        raise too_large()
    return body


async def read(
    receive,
    content_type: str | None,
    content_length: bytes | None = None,
    encoding: str | None = None,
    chunked: bool = False,
) -> bytes:
    """The body of one request, decoded, at most ``BODY_LIMIT`` bytes (``BodyError``
    otherwise; ``ClientDisconnect`` if the client goes away); the head as ``plan`` takes it."""
    _, inflate = plan(content_type, content_length, encoding, chunked)
    decoder = zlib.decompressobj(_INFLATE[inflate]) if inflate else None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        kind = message["type"]
        if kind == "http.request":
            chunk = message.get("body", b"")
            if chunk:
                if decoder is None:
                    size += len(chunk)
                    if size > BODY_LIMIT:
                        raise too_large()
                    chunks.append(chunk)
                else:
                    size = _inflate(decoder, chunk, chunks, size)
            if not message.get("more_body", False):
                break
        elif kind == "http.disconnect":
            raise ClientDisconnect()
    if decoder is not None and not decoder.eof:
        raise BodyError(400, "unexpected end of file", "invalid_data")  # zlib's Z_BUF_ERROR in Node
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _inflate(decoder, data: bytes, chunks: list[bytes], size: int) -> int:
    while data and not decoder.eof:
        try:
            out = decoder.decompress(data, BODY_LIMIT + 1 - size)  # never 0 (= unbounded)
        except zlib.error as exc:  # "Error -3 while decompressing data: incorrect header check"
            raise BodyError(400, str(exc).split(": ", 1)[-1], "invalid_data") from None
        size += len(out)
        if size > BODY_LIMIT:
            raise too_large()
        if out:
            chunks.append(out)
        data = decoder.unconsumed_tail
    return size


def parse_now(raw: bytes, content_type: str | None, has_body: bool = True) -> Any:
    """``parsing.parse_body`` for the bodies it parses at once (nearly all); ``SlowParse``
    for the rare large body orjson refuses (nesting deeper than 1024, numbers beyond a
    double, malformed JSON whose V8 message is worked out): ``parse_later`` takes it."""
    return parse_body(raw, content_type, quick=True, has_body=has_body)


async def parse_later(
    raw: bytes, content_type: str | None, check: SchemaCheck | None = None
) -> tuple[Any, list[str] | None]:
    """``parsing.parse_body`` in a worker thread, so the event loop keeps serving meanwhile;
    with ``check``, also the body's validation issues (``check.issues``), which the
    handler raises in Medusa's order, after auth: such a body can nest 50,000 levels, and a
    message that quotes it walks them all. None for the issues when they could not be
    worked out there (the handler checks the body itself, and answers as it does)."""

    def work() -> tuple[Any, list[str] | None]:
        body = parse_body(raw, content_type)
        try:
            return body, check.issues(body) if check is not None else None
        except Exception:
            return body, None

    return await asyncio.to_thread(work)
