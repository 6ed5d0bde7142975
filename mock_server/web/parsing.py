"""Reading requests the way Medusa's Express stack does: the JSON body parser (strict,
100 kB, V8's error messages) and the ``qs`` query-string decoder.
"""

from __future__ import annotations

from typing import Any

import orjson
import qs_codec

from ..backend.messages import strict_violation, v8_message

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
        raise BodyError(400, strict_violation(text, first), "invalid_data")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise BodyError(400, v8_message(text), "invalid_data") from None


# Medusa answers 200 for 25 repeated or indexed values (observed), so lists are not capped
# at qs's default of 20 here.
_QS = qs_codec.DecodeOptions(depth=5, list_limit=1000, parameter_limit=1000)


def parse_query(query_string: str) -> dict:
    """Decode a query string like Node's ``qs`` (``id[0]=a``, ``created_at[$gt]=x``)."""
    if not query_string:
        return {}
    return qs_codec.decode(query_string, _QS)
