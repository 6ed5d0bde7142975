"""Refund-reason rules: create, update, soft delete (docs/medusa-behaviour.md §7)."""

from __future__ import annotations

from typing import overload

from . import ids, messages
from .jsonparse import UNPAIRED
from .errors import NOT_FOUND, UNKNOWN_ERROR, MedusaError
from .models import RefundReason
from .store import Store


def storable(*texts: object) -> None:
    """PostgreSQL refuses a NUL character in a text column: Medusa's write fails with a 500
    (observed on 2.21.2 for a refund reason's label, code and description), after every
    check that comes before the write."""
    for text in texts:
        if isinstance(text, str) and "\x00" in text:
            raise MedusaError(UNKNOWN_ERROR, messages.NUL_IN_TEXT)


@overload
def as_stored(text: str) -> str: ...
@overload
def as_stored(text: None) -> None: ...
def as_stored(text: str | None) -> str | None:
    """The text as it comes back from PostgreSQL: node-postgres writes a JS string as
    UTF-8, which turns each unpaired surrogate (JSON.parse takes ``"\\ud800"``) into
    U+FFFD, so Medusa answers with the replacement character where the request had half an
    emoji."""
    if text is None or UNPAIRED.search(text) is None:
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def create(store: Store, *, label: str, code: str, description: str | None = None) -> RefundReason:
    storable(label, code, description)
    at = ids.now_iso()
    reason = RefundReason(
        id=ids.new_id(ids.REFUND_REASON),
        label=as_stored(label),
        code=as_stored(code),
        description=as_stored(description),
        created_at=at,
        updated_at=at,
    )
    store.refund_reasons[reason.id] = reason
    return reason


def update(store: Store, reason_id: str, changes: dict) -> RefundReason:
    reason = store.live_refund_reason(reason_id)
    if reason is None:
        raise MedusaError(NOT_FOUND, messages.refund_reason_not_found(reason_id))
    storable(*(changes.get(key) for key in ("label", "code", "description")))
    for key in ("label", "code", "description"):
        if key in changes:
            setattr(reason, key, as_stored(changes[key]))
    reason.updated_at = ids.now_iso()
    return reason


def delete(store: Store, reason_id: str) -> dict:
    """Soft delete; answers the same for an unknown id, as Medusa does."""
    reason = store.live_refund_reason(reason_id)
    if reason is not None:
        reason.deleted_at = reason.updated_at = ids.now_iso()
    return {"id": reason_id, "object": "refund_reason", "deleted": True}
