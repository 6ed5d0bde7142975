"""Medusa's error types, their HTTP statuses and the JSON envelope they travel in.

Medusa (``@medusajs/framework`` error handler) maps a ``MedusaError.type`` to a status and
shapes the body as ``{"type", "message"}``; a few types also carry a ``code`` and some
replace the message. This module is the one place that knows that table.
"""

from __future__ import annotations

INVALID_DATA = "invalid_data"
NOT_ALLOWED = "not_allowed"
NOT_FOUND = "not_found"
UNAUTHORIZED = "unauthorized"
FORBIDDEN = "forbidden"
CONFLICT = "conflict"
DUPLICATE_ERROR = "duplicate_error"
PAYMENT_AUTHORIZATION_ERROR = "payment_authorization_error"
DATABASE_ERROR = "database_error"
UNEXPECTED_STATE = "unexpected_state"
INVALID_ARGUMENT = "invalid_argument"
UNKNOWN_ERROR = "unknown_error"

_CONFLICT_MESSAGE = (
    "The request conflicted with another request. You may retry the request with the "
    "provided Idempotency-Key."
)
_UNKNOWN_MESSAGE = "An unknown error occurred."

# type -> (status, code or None, replacement message or None)
_TABLE: dict[str, tuple[int, str | None, str | None]] = {
    INVALID_DATA: (400, None, None),
    NOT_ALLOWED: (400, None, None),
    UNAUTHORIZED: (401, None, None),
    FORBIDDEN: (403, None, None),
    NOT_FOUND: (404, None, None),
    CONFLICT: (409, "invalid_state_error", _CONFLICT_MESSAGE),
    DUPLICATE_ERROR: (422, "invalid_request_error", None),
    PAYMENT_AUTHORIZATION_ERROR: (422, None, None),
    DATABASE_ERROR: (500, "api_error", None),
    UNEXPECTED_STATE: (500, None, None),
    INVALID_ARGUMENT: (500, None, None),
}


class MedusaError(Exception):
    """A business or validation error, raised by the domain and rendered by the HTTP layer."""

    def __init__(self, type: str, message: str) -> None:
        super().__init__(message)
        self.type = type
        self.message = message

    def __repr__(self) -> str:
        return f"MedusaError({self.type!r}, {self.message!r})"


def status_and_body(type: str, message: str) -> tuple[int, dict]:
    """The status and body Medusa's error handler produces for an error of ``type``."""
    try:
        status, code, replacement = _TABLE[type]
    except KeyError:
        return 500, {"code": UNKNOWN_ERROR, "type": UNKNOWN_ERROR, "message": _UNKNOWN_MESSAGE}
    body: dict = {}
    if code is not None:
        body["code"] = code
    body["type"] = type
    body["message"] = replacement or message
    return status, body


def render(error: MedusaError) -> tuple[int, dict]:
    return status_and_body(error.type, error.message)


# The auth middleware's 401 carries no `type`.
UNAUTHORIZED_BODY = {"message": "Unauthorized"}
SECRET_KEY_AS_BEARER_BODY = {
    "message": "A secret API key was passed as a Bearer token. Secret API keys must be sent "
    "using HTTP Basic authentication instead (Authorization: Basic <secret-api-key>)."
}
