"""The emailpass provider's credential check: which user a login body names, or
Medusa's 401 (the password's type is checked first, then the email's, then the pair)."""

from __future__ import annotations

import hmac
import secrets

from . import messages
from .errors import UNAUTHORIZED, MedusaError
from .models import User
from .store import Store


_NO_PASSWORD = secrets.token_bytes(16)


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # JSON may carry a lone surrogate


def check_credentials(stores: tuple[Store, ...], body: object) -> User:
    """The user whose email and password ``body`` carries, else ``MedusaError`` (401). The
    email is looked up in ``stores`` in turn (a namespace's state, then the default's)."""
    body = body if isinstance(body, dict) else {}
    # an empty string is "not a string" too (observed: the check is `!value || typeof …`)
    if not isinstance(body.get("password"), str) or not body["password"]:
        raise MedusaError(UNAUTHORIZED, messages.PASSWORD_NOT_STRING)
    if not isinstance(body.get("email"), str) or not body["email"]:
        raise MedusaError(UNAUTHORIZED, messages.EMAIL_NOT_STRING)
    user = next(filter(None, (store.user_by_email(body["email"]) for store in stores)), None)
    # Bytes, not str: compare_digest raises TypeError on non-ASCII str (a 500 that told
    # which emails exist). An unknown email is compared against a random password, so
    # both answers take the same path and the same work.
    expected = _NO_PASSWORD if user is None else _utf8(user.password)
    if not hmac.compare_digest(_utf8(body["password"]), expected) or user is None:
        raise MedusaError(UNAUTHORIZED, messages.INVALID_CREDENTIALS)
    return user
