"""Reading requests the way Medusa's Express stack does: the JSON body parser (strict,
100 kB, V8's error messages) and the ``qs`` query-string decoder.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import qs_codec

BODY_LIMIT = 100 * 1024  # body-parser's default '100kb'


class BodyError(Exception):
    """The body parser rejected the body; answered before auth, without CORS headers."""

    def __init__(self, status: int, message: str, type: str) -> None:
        super().__init__(message)
        self.status, self.message, self.type = status, message, type


TOO_LARGE = BodyError(413, "request entity too large", "unknown_error")
_NOT_PARSED = object()


def is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def parse_body(raw: bytes, content_type: str | None) -> Any:
    """The request body as Medusa's validators see it: ``{}`` when empty, the parsed JSON
    for a JSON content type, the raw text otherwise (which then fails validation)."""
    if len(raw) > BODY_LIMIT:
        raise TOO_LARGE
    if not raw.strip():
        return {}
    if not is_json(content_type):
        return raw.decode("utf-8", "replace")
    text = raw.decode("utf-8", "replace")
    first = text.lstrip(" \t\n\r")[:1]
    if first not in ("{", "["):  # body-parser's strict mode
        raise BodyError(400, _strict_violation(text, first), "invalid_data")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise BodyError(400, v8_message(text), "invalid_data") from None


def v8_message(text: str) -> str:
    """Node 20's ``JSON.parse`` error message for ``text`` (the common cases)."""
    try:
        json.loads(text, parse_constant=_reject_constant)
    except _Constant as exc:
        return _unexpected_token(text, max(text.find(exc.name), 0))
    except json.JSONDecodeError as exc:
        return _translate(text, exc.msg, exc.pos)
    return _unexpected_token(text, 0)


class _Constant(ValueError):
    def __init__(self, name: str) -> None:
        self.name = name


def _reject_constant(name: str) -> Any:
    raise _Constant(name)


def _translate(text: str, msg: str, pos: int) -> str:
    at = f"in JSON at position {pos}"
    if msg.startswith("Expecting property name"):
        before = text[:pos].rstrip()
        if before.endswith(","):
            return f"Expected double-quoted property name {at}"
        if pos >= len(text):
            return "Unexpected end of JSON input"
        return f"Expected property name or '}}' {at}"
    if msg == "Expecting ',' delimiter":
        if pos >= len(text):
            return "Unexpected end of JSON input"
        closer = "}' after property value" if _innermost(text, pos) == "{" else "]' after array element"
        return f"Expected ',' or '{closer} {at}"
    if msg == "Expecting ':' delimiter":
        if pos >= len(text):
            return "Unexpected end of JSON input"
        return f"Expected ':' after property name {at}"
    if msg.startswith("Unterminated string"):
        return f"Unterminated string in JSON at position {len(text)}"
    if msg.startswith("Invalid control character"):
        return f"Bad control character in string literal {at}"
    if msg.startswith("Invalid \\escape") or msg.startswith("Invalid \\u"):
        return f"Bad escaped character {at}"
    if msg == "Extra data":
        return f"Unexpected non-whitespace character after JSON at position {pos}"
    if pos >= len(text):
        return "Unexpected end of JSON input"
    return _unexpected_token(text, pos)


def _innermost(text: str, pos: int) -> str:
    stack: list[str] = []
    in_string = escaped = False
    for char in text[:pos]:
        if in_string:
            escaped = not escaped and char == "\\"
            if char == '"' and not escaped:
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char in "{[":
            stack.append(char)
        elif char in "}]" and stack:
            stack.pop()
    return stack[-1] if stack else "{"


def _unexpected_token(text: str, pos: int) -> str:
    token = text[pos] if pos < len(text) else ""
    if len(text) < 21:
        return f"Unexpected token '{token}', \"{text}\" is not valid JSON"
    start, end = max(0, pos - 10), min(len(text), pos + 10)
    context = ("..." if start else "") + f'"{text[start:end]}"' + ("..." if end < len(text) else "")
    return f"Unexpected token '{token}', {context} is not valid JSON"


def _strict_violation(text: str, first: str) -> str:
    index = text.index(first) if first else 0
    placeholder = "#" * (len(text) - index)
    message = _unexpected_token(text[:index] + placeholder, index)
    # body-parser puts the real characters back where its placeholder stood
    return message.replace(placeholder, text[index:]).replace("'#'", f"'{first}'")


# Medusa answers 200 for 25 repeated or indexed values (observed), so lists are not capped
# at qs's default of 20 here.
_QS = qs_codec.DecodeOptions(depth=5, list_limit=1000, parameter_limit=1000)


def parse_query(query_string: str) -> dict:
    """Decode a query string like Node's ``qs`` (``id[0]=a``, ``created_at[$gt]=x``)."""
    if not query_string:
        return {}
    return qs_codec.decode(query_string, _QS)
