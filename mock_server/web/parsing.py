"""Reading requests the way Medusa's Express stack does: the JSON body parser (strict,
100 kB, V8's error messages) and the ``qs`` query-string decoder.
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import re
from typing import Any, Callable

import orjson
import qs_codec

from ..backend.errors import INVALID_ARGUMENT, MedusaError
from ..backend.messages import strict_violation, unexpected_token, v8_translate

BODY_LIMIT = 100 * 1024  # body-parser's default '100kb'


class BodyError(Exception):
    """The body parser rejected the body; answered before auth, without CORS headers."""

    def __init__(self, status: int, message: str, type: str) -> None:
        super().__init__(message)
        self.status, self.message, self.type = status, message, type


_NOT_PARSED = object()


def is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


class SlowParse(Exception):
    """``parse_body(..., quick=True)`` would need the pure-Python parser on a large body."""


# Bodies up to this size may take the pure-Python parser inline (well under a millisecond).
QUICK_LIMIT = 2048


def parse_body(raw: bytes, content_type: str | None, quick: bool = False) -> Any:
    """The request body as Medusa's validators see it: ``{}`` when empty, the parsed JSON
    for a JSON content type, the raw text otherwise (which then fails validation).
    With ``quick``, a body over ``QUICK_LIMIT`` bytes that orjson refuses raises
    ``SlowParse`` instead of being parsed here (the caller parses it off the event loop)."""
    if len(raw) > BODY_LIMIT:  # a fresh error each time: a shared one keeps every traceback
        raise BodyError(413, "request entity too large", "unknown_error")
    if not raw.strip():
        return {}
    if not is_json(content_type):
        return raw.decode("utf-8", "replace")
    text = raw.decode("utf-8", "replace")
    first = text.lstrip(" \t\n\r")[:1]
    if first not in ("{", "["):  # body-parser's strict mode
        raise BodyError(400, strict_violation(text, first), "invalid_data")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        reason = str(exc)
    if quick and len(raw) > QUICK_LIMIT:
        raise SlowParse()
    try:
        value = loads(text)
    except json.JSONDecodeError as exc:
        raise BodyError(400, v8_translate(text, exc.msg, exc.pos), "invalid_data") from None
    if reason.startswith(_JS_ACCEPTS):  # valid JSON orjson will not take; JSON.parse does
        return value
    raise BodyError(400, unexpected_token(text, 0), "invalid_data")


# orjson's refusals of JSON that V8's JSON.parse takes: nesting deeper than 1024 and
# numbers beyond a double (JSON.parse: Infinity).
_JS_ACCEPTS = ("depth limit exceeded", "number is infinity when parsed as double")


def v8_message(text: str) -> str:
    """Node 20's ``JSON.parse`` error message for ``text`` (the common cases)."""
    try:
        loads(text)
    except json.JSONDecodeError as exc:
        return v8_translate(text, exc.msg, exc.pos)
    return unexpected_token(text, 0)


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
    with the standard library's wording and positions (``messages.v8_translate`` words them as V8)."""
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


# Medusa answers 200 for 25 repeated or indexed values (observed), so lists are not capped
# at qs's default of 20 here.
_QS = qs_codec.DecodeOptions(depth=5, list_limit=1000, parameter_limit=1000)


def parse_query(query_string: str) -> dict:
    """Decode a query string like Node's ``qs`` (``id[0]=a``, ``created_at[$gt]=x``)."""
    if not query_string:
        return {}
    return qs_codec.decode(query_string, _QS)


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


def _array_index(key: str) -> bool:
    return key.isdigit() and key.isascii() and (key == "0" or key[0] != "0") and int(key) < 2**32 - 1


def js_ordered(obj: dict) -> dict:
    """``obj`` with its keys in the order a JavaScript object lists them: array-index keys
    ascending, then the others in insertion order."""
    indexes = [k for k in obj if isinstance(k, str) and _array_index(k)]
    if not indexes:
        return obj
    ordered = {k: obj[k] for k in sorted(indexes, key=int)}
    ordered.update((k, v) for k, v in obj.items() if k not in ordered)
    return ordered
