"""The emailpass provider's credential check: which user a login body names, or
Medusa's 401 (the password's type is checked first, then the email's, then the pair)."""

from __future__ import annotations

import hmac

from . import messages
from .errors import UNAUTHORIZED, MedusaError
from .models import User
from .store import Store


def check_credentials(store: Store, body: object) -> User:
    """The user whose email and password ``body`` carries, else ``MedusaError`` (401)."""
    body = body if isinstance(body, dict) else {}
    if not isinstance(body.get("password"), str):
        raise MedusaError(UNAUTHORIZED, messages.PASSWORD_NOT_STRING)
    if not isinstance(body.get("email"), str):
        raise MedusaError(UNAUTHORIZED, messages.EMAIL_NOT_STRING)
    user = store.user_by_email(body["email"])
    if user is None or not hmac.compare_digest(user.password, body["password"]):
        raise MedusaError(UNAUTHORIZED, messages.INVALID_CREDENTIALS)
    return user
