"""Reading requests the way Medusa's Express stack does: the JSON body parser (strict,
100 kB, V8's error messages) and the ``qs`` query-string decoder.
"""

from __future__ import annotations

import codecs
import json
import json.decoder
import json.scanner
import math
import re
from functools import lru_cache
from typing import Any, Callable

import orjson

from ..backend.errors import INVALID_ARGUMENT, MedusaError
from ..backend.jsonparse import strict_violation, unexpected_at_start, v8_error
from ..backend.messages import JS_SPACE, PROTOTYPE_PROPERTIES, SAFE_INTEGER_LIMIT, js_key_order
from .router import decode_uri_component

BODY_LIMIT = 100 * 1024  # body-parser's default '100kb'


class BodyError(Exception):
    """The body parser rejected the body; answered before auth, without CORS headers."""

    def __init__(self, status: int, message: str, type: str) -> None:
        super().__init__(message)
        self.status, self.message, self.type = status, message, type


_NOT_PARSED = object()


# media-typer 0.3 (type-is: which parser reads a body) and content-type 1.0 (body-parser:
# the charset) parse a Content-Type header each in its own way; a header either refuses
# is "no type" (no parser reads the body) or "no charset" (the parser's default).
_MT_TYPE = re.compile(r" *([A-Za-z0-9][A-Za-z0-9!#$&^_-]{0,126})/([A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}) *")
_MT_PARAM = re.compile(
    r'; *([!#$%&\'*+\-.0-9A-Z^_`a-z|~]+) *= *("(?:[ !\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\x20-\x7e])*"'
    r"|[!#$%&'*+\-.0-9A-Z^_`a-z|~]+) *"
)
_CT_TYPE = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+/[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_CT_PARAM = re.compile(
    r'; *([!#$%&\'*+.^_`|~0-9A-Za-z-]+) *= *("(?:[\x0b\x20\x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\x0b\x20-\xff])*"'
    r"|[!#$%&'*+.^_`|~0-9A-Za-z-]+) *"
)
_QUOTED_PAIR = re.compile(r"\\(.)")


def _params(header: str, index: int, pattern: re.Pattern) -> dict[str, str] | None:
    """The ``; name=value`` parameters from ``index`` on, or None if they do not parse."""
    params: dict[str, str] = {}
    if index == -1:
        return params
    while (match := pattern.match(header, index)) is not None and match.end() > index:
        index = match.end()
        value = match.group(2)
        if value.startswith('"'):
            value = _QUOTED_PAIR.sub(r"\1", value[1:-1])
        params[match.group(1).lower()] = value
    return params if index == len(header) else None


# media_type, charset_of and _codec are pure functions of one header value, read on every
# request with a body; clients send the same few values, so each keeps the last answers.
HEADER_MEMO = 128


@lru_cache(maxsize=HEADER_MEMO)
def media_type(content_type: str | None) -> str | None:
    """``type/subtype`` in lower case as type-is sees the header (media-typer), or None."""
    if not content_type:
        return None
    index = content_type.find(";")
    match = _MT_TYPE.fullmatch(content_type if index == -1 else content_type[:index])
    if match is None or _params(content_type, index, _MT_PARAM) is None:
        return None
    return f"{match.group(1)}/{match.group(2)}".lower()


@lru_cache(maxsize=HEADER_MEMO)
def charset_of(content_type: str | None) -> str | None:
    """The ``charset`` parameter in lower case as body-parser reads it (content-type), or
    None (absent, empty, or a header that does not parse)."""
    if not content_type:
        return None
    index = content_type.find(";")
    if not _CT_TYPE.fullmatch((content_type if index == -1 else content_type[:index]).strip(" \t")):
        return None
    params = _params(content_type, index, _CT_PARAM)
    return (params or {}).get("charset", "").lower() or None


def is_json(content_type: str | None) -> bool:
    return media_type(content_type) == "application/json"


# The body parsers Medusa installs, in its order, by the media type each reads.
_PARSERS = {
    "application/json": "json",
    "text/plain": "text",
    "application/x-www-form-urlencoded": "urlencoded",
}
PARSED_TYPES = frozenset(_PARSERS)

# iconv-lite 0.4.24's Unicode decoders (what body-parser decodes with), by its canonical
# name (lower case, letters and digits only). UTF-32 is not among them.
_UNICODE = {
    "utf8": "utf-8",
    "utf16le": "utf-16-le",
    "utf16be": "utf-16-be",
    "utf16": "utf-16",
    "utf7": "utf-7",
}


@lru_cache(maxsize=HEADER_MEMO)
def _codec(charset: str) -> str | None:
    """The Python codec for what iconv-lite decodes ``charset`` with, or None (a 415)."""
    canonical = re.sub(r"[^0-9a-z]", "", charset)
    if canonical in _UNICODE:
        return _UNICODE[canonical]
    if canonical.startswith("utf") or canonical == "utf7imap":
        return None
    try:
        return codecs.lookup(charset).name  # the single- and double-byte sets: Python's
    except LookupError:
        return None


@lru_cache(maxsize=HEADER_MEMO)
def reader(content_type: str | None) -> tuple[str | None, str | None, str]:
    """How body-parser reads a body of this type: the parser that takes it (``json``,
    ``text``, ``urlencoded``; None: none does), the codec it decodes with (None: the charset
    is refused, a 415) and that charset."""
    parser = _PARSERS.get(media_type(content_type) or "")
    if parser is None:
        return None, None, ""
    charset = charset_of(content_type) or "utf-8"
    if (parser == "json" and not charset.startswith("utf-")) or (
        parser == "urlencoded" and charset != "utf-8"
    ):
        return parser, None, charset
    return parser, _codec(charset), charset


def _decode(raw: bytes, codec: str) -> str:
    """iconv-lite's decoding: invalid UTF-8 becomes U+FFFD, UTF-16 without a byte-order
    mark is guessed from its first two bytes (else little-endian), an odd last byte is
    dropped, and one leading U+FEFF (a byte-order mark) is stripped."""
    if codec == "utf-16":
        if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
            codec = "utf-16-le" if raw[:2] == b"\xff\xfe" else "utf-16-be"
        elif len(raw) >= 2 and raw[0] == 0 and raw[1] != 0:
            codec = "utf-16-be"
        else:
            codec = "utf-16-le"
    if codec.startswith("utf-16"):
        text = raw[: len(raw) & ~1].decode(codec, "surrogatepass")
    else:
        text = raw.decode(codec, "replace")
    return text[1:] if text.startswith("\ufeff") else text


class SlowParse(Exception):
    """``parse_body(..., quick=True)`` would need the pure-Python parser on a large body."""


# Bodies up to this size may take the pure-Python parser inline (well under a millisecond).
QUICK_LIMIT = 2048
URLENCODED_PARAMETERS = 1000  # body-parser's parameterLimit
URLENCODED_DEPTH = 32  # body-parser 1.20.3+'s depth


def parse_body(raw: bytes, content_type: str | None, quick: bool = False, has_body: bool = True) -> Any:
    """The request body as Medusa's validators see it, read as body-parser's json, text and
    urlencoded parsers read it: ``{}`` for a request without a body (no Content-Length,
    no Transfer-Encoding) or of a type none of them reads; the charset checked (415) and
    decoded; then JSON (strict: an object or an array; an empty body is ``{}``), the text
    as it is, or the form's fields (``qs``). With ``quick``, a JSON body over
    ``QUICK_LIMIT`` bytes that orjson refuses raises ``SlowParse`` instead of being parsed
    here (the caller parses it off the event loop)."""
    if len(raw) > BODY_LIMIT:  # a fresh error each time: a shared one keeps every traceback
        raise BodyError(413, "request entity too large", "unknown_error")
    if not has_body:
        return {}
    parser, codec, charset = reader(content_type)
    if parser is None:
        return {}
    if codec is None:
        raise BodyError(415, f'unsupported charset "{charset.upper()}"', "unknown_error")
    if parser == "json" and codec == "utf-8" and raw.lstrip(b" \t\n\r")[:1] in (b"{", b"["):
        try:
            return orjson.loads(raw)  # the common case, without decoding first
        except orjson.JSONDecodeError:
            pass
    text = _decode(raw, codec)
    if parser == "text":
        return text
    if parser == "urlencoded":
        return _form(text)
    if not text:
        return {}
    first = text.lstrip(" \t\n\r")[:1]
    if first not in ("{", "["):  # body-parser's strict mode
        raise BodyError(400, strict_violation(text, first), "invalid_data")
    if quick and len(raw) > QUICK_LIMIT:
        raise SlowParse()
    error = v8_error(text)
    if error is not None:
        raise BodyError(400, error, "invalid_data")
    return loads(text)  # valid JSON orjson would not take: deep, huge numbers, bad UTF-8


def _form(text: str) -> dict:
    """body-parser's extended urlencoded parser: ``qs`` with its limits."""
    if text.count("&") >= URLENCODED_PARAMETERS:
        raise BodyError(413, "too many parameters", "unknown_error")
    qs_codec, _ = qs()
    options = qs_codec.DecodeOptions(
        decoder=qs_decode,
        depth=URLENCODED_DEPTH,
        strict_depth=True,
        list_limit=max(100, text.count("&")),
        parameter_limit=URLENCODED_PARAMETERS,
    )
    try:
        return qs_codec.decode(text, options)
    except IndexError:  # qs's RangeError
        raise BodyError(400, "The input exceeded the depth", "invalid_data") from None


def v8_message(text: str) -> str:
    """Node 20's ``JSON.parse`` error message for ``text`` (``backend/jsonparse.py``)."""
    return v8_error(text) or unexpected_at_start(text)


_NUMBER = json.scanner.NUMBER_RE
_SPACE = re.compile(r"[ \t\n\r]*")
# The standard library's string scanner (C when available), which json.loads itself uses.
_scanstring: Callable[[str, int, bool], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]


def _skip(text: str, pos: int) -> int:
    """The position after the whitespace at ``pos`` (``_SPACE`` matches everywhere)."""
    return _SPACE.match(text, pos).end()  # type: ignore[union-attr]


def loads(text: str) -> Any:
    """``JSON.parse`` without recursion: any depth in linear time (V8's parser is not
    recursive either), numbers as doubles where they leave 64-bit integers (a 5,000-digit
    number is ``inf``, as JSON.parse gives Infinity). Errors are ``json.JSONDecodeError``
    with the standard library's wording (a caller words them as V8 with ``v8_error``)."""
    end = len(text)
    stack: list[list] = []  # [container, key] of each open object or array
    value: Any
    container: Any
    pos = _skip(text, 0)
    while True:
        char = text[pos : pos + 1]
        if char == "{":
            pos = _skip(text, pos + 1)
            if text[pos : pos + 1] == "}":
                value, pos = {}, pos + 1
            else:
                key, pos = _key(text, pos)
                stack.append([{}, key])
                continue
        elif char == "[":
            pos = _skip(text, pos + 1)
            if text[pos : pos + 1] == "]":
                value, pos = [], pos + 1
            else:
                stack.append([[], None])
                continue
        elif char == '"':
            value, pos = _scanstring(text, pos + 1, True)
        else:
            match = _NUMBER.match(text, pos)
            if match:
                integer, fraction, exponent = match.groups()
                if fraction or exponent:
                    value = float(match.group())
                else:
                    value = (
                        int(integer) if len(integer) < 20 and abs(int(integer)) < 2**64 else float(integer)
                    )
                pos = match.end()
            elif text.startswith("null", pos):
                value, pos = None, pos + 4
            elif text.startswith("true", pos):
                value, pos = True, pos + 4
            elif text.startswith("false", pos):
                value, pos = False, pos + 5
            else:
                raise json.JSONDecodeError("Expecting value", text, pos)
        while True:  # a value is complete: put it in its container, close what closes
            pos = _skip(text, pos)
            if not stack:
                if pos != end:
                    raise json.JSONDecodeError("Extra data", text, pos)
                return value
            top = stack[-1]
            container = top[0]
            if top[1] is None:
                container.append(value)
            else:
                container[top[1]] = value
            char = text[pos : pos + 1]
            if char == ",":
                pos = _skip(text, pos + 1)
                if top[1] is not None:
                    top[1], pos = _key(text, pos)
                break
            if char == ("]" if top[1] is None else "}"):
                stack.pop()
                value, pos = container, pos + 1
                continue
            raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)


def _key(text: str, pos: int) -> tuple[str, int]:
    """An object's key and the position of its value (after the colon)."""
    if text[pos : pos + 1] != '"':
        raise json.JSONDecodeError("Expecting property name enclosed in double quotes", text, pos)
    key, pos = _scanstring(text, pos + 1, True)
    pos = _skip(text, pos)
    if text[pos : pos + 1] != ":":
        raise json.JSONDecodeError("Expecting ':' delimiter", text, pos)
    return key, _skip(text, pos + 1)


def qs_decode(text: str | None, charset: Any = None, kind: Any = None) -> str | None:
    """qs's decoder: ``+`` is a space, then ``decodeURIComponent``; where that throws (a
    ``%`` without two hex digits, escapes that are not UTF-8) the text stays as it is."""
    if text is None:
        return None
    text = text.replace("+", " ")
    decoded = decode_uri_component(text)
    return text if decoded is None else decoded


# parseInt: JavaScript's whitespace, a sign, then 0x and hexadecimal digits or decimal ones
_PARSE_INT = re.compile(f"[{JS_SPACE}]*([+-]?)(?:0[xX]([0-9a-fA-F]*)|([0-9]*))")
# past these many digits the number is past the largest double: Infinity
_MAX_DIGITS = {10: 309, 16: 257}


def js_parse_int(text: str) -> int | float | None:
    """JavaScript's ``parseInt(text)``: None for NaN, a float (``inf`` included) past 2^53.
    Leading JavaScript whitespace and a sign; ``0x`` makes it hexadecimal; then the longest
    run of ASCII digits (observed on 2.21.2 through ``limit``: ``0x10`` is 16, ``0xg`` and
    ``\u0663`` are NaN, ``\ufeff5`` is 5)."""
    match = _PARSE_INT.match(text)
    assert match is not None  # every part of the pattern may be empty
    sign, hex_digits, digits = match.groups()
    radix, digits = (10, digits) if hex_digits is None else (16, hex_digits)
    if not digits:
        return None
    if len(digits.lstrip("0")) > _MAX_DIGITS[radix]:
        number: int | float = math.inf
    else:
        number = int(digits, radix)
        if number >= SAFE_INTEGER_LIMIT:
            try:
                number = float(number)
            except OverflowError:
                number = math.inf
    return -number if sign == "-" else number


# Medusa answers 200 for 25 repeated or indexed values (observed), so lists are not capped
# at qs's default of 20 here.
QS_DEPTH = 5


@lru_cache(maxsize=None)
def qs() -> tuple[Any, Any]:
    """qs_codec and its options for a query, imported on first use: it is about 10 ms of the
    serving start-up's imports, and no start needs a query. ``mock-server serve`` imports it
    first thing on its warm-up thread once it listens (``cli._warm``): a query that comes
    sooner waits for that import to finish, no longer than the start used to."""
    import qs_codec

    options = qs_codec.DecodeOptions(depth=QS_DEPTH, list_limit=1000, parameter_limit=1000, decoder=qs_decode)
    return qs_codec, options


# Medusa's query parser is qs without allowPrototypes: a parameter whose key names one of
# Object.prototype's properties, before its brackets or inside any of its first five, is
# dropped as if not sent (observed on 2.21.2: `constructor=1`, `__proto__[a]=1`,
# `id[__proto__]=x`, `deleted_at[$in][toString]=x`: 200, nothing unrecognized). qs_codec
# has no prototypes to guard, so the mock drops them first.
_MAY_NAME_ONE = re.compile("%|" + "|".join(sorted(PROTOTYPE_PROPERTIES)))
_BRACKETS = re.compile(r"\[[^\[\]]*\]")  # qs's `child`: a bracketed part with no bracket inside


def _names_a_prototype_property(part: str) -> bool:
    """qs's ``parseKeys`` refusal for one ``key=value`` part (its key decoded as qs does)."""
    bracket_equals = part.find("]=")
    end = part.find("=") if bracket_equals == -1 else bracket_equals + 1
    key = qs_decode(part if end == -1 else part[:end]) or ""
    first = _BRACKETS.search(key)
    if (key[: first.start()] if first else key) in PROTOTYPE_PROPERTIES:
        return True
    for depth, segment in enumerate(_BRACKETS.finditer(key)):
        if depth >= QS_DEPTH:
            break
        if segment.group()[1:-1] in PROTOTYPE_PROPERTIES:
            return True
    return False


def parse_query(query_string: str) -> dict:
    """Decode a query string like Node's ``qs`` (``id[0]=a``, ``created_at[$gt]=x``)."""
    if not query_string:
        return {}
    if _MAY_NAME_ONE.search(query_string):
        query_string = "&".join(p for p in query_string.split("&") if not _names_a_prototype_property(p))
    qs_codec, options = qs()
    return qs_codec.decode(query_string, options)


def normalize_query(query: dict) -> dict:
    """Medusa's ``normalizeQuery`` (its query validation middleware) over what ``qs`` gave:
    a one-string list is split at commas (``fields[]=a,b``); a key with a dot is a parent
    and a child (``a.b=1`` is ``{"a": {"b": "1"}}``, merged into what ``a`` already holds as
    JavaScript's object spread does), and one with two dots a 500 ``invalid_argument``. The
    result's keys are in JavaScript's order: integer-like keys first, ascending."""
    out: dict = {}
    for key, value in query.items():
        if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
            value = value[0].split(",")
        if "." in key:
            parent, child, *others = key.split(".")
            if others:
                raise MedusaError(INVALID_ARGUMENT, f"Key accessor more than 2 levels deep: {key}")
            merged = _spread(out.get(parent))
            merged[child] = value
            out[parent] = js_ordered(merged)
        else:
            out[key] = value
    return js_ordered(out)


def _spread(value: Any) -> dict:
    """``{...value}`` in JavaScript: a string's characters and a list's items by index, an
    object's entries; nothing for anything else (and for a falsy value, ``{}`` anyway)."""
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, (str, list)):
        return {str(i): item for i, item in enumerate(value)}
    return {}


def js_ordered(obj: dict) -> dict:
    """``obj`` with its keys in the order a JavaScript object lists them
    (``messages.js_key_order``)."""
    order = js_key_order(obj)
    return obj if order == list(obj) else {k: obj[k] for k in order}
