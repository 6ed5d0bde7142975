"""The payment rules: refund and capture, in Medusa 2.21.2's check order.

Pure Python over the store; no HTTP. Each function either changes state and returns the
payment, or raises ``MedusaError`` having changed nothing. The check and the write for
one payment happen under that payment's lock, so concurrent refunds cannot together
exceed what was captured.
"""

from __future__ import annotations

from decimal import Decimal

from . import ids, messages
from .errors import INVALID_DATA, NOT_FOUND, UNKNOWN_ERROR, MedusaError
from .models import Payment
from .money import add, epsilon, sub, to_currency_precision
from .messages import OVER_CAPTURE, OVER_REFUND, OVER_REFUND_WITH_AMOUNT
from .refund_reasons import as_stored, storable
from .store import Store


def refund(
    store: Store,
    payment_id: str,
    *,
    amount: Decimal | None,
    refund_reason_id: str | None,
    note: str | None,
    actor_id: str | None,
) -> Payment:
    """``POST /admin/payments/{id}/refund`` after validation (docs/medusa-behaviour.md §4.1, #5–#10)."""
    payment = store.payments.get(payment_id)
    if payment is None:
        raise MedusaError(NOT_FOUND, messages.refund_payment_not_found(payment_id))
    tolerance = epsilon(payment.currency_code)

    # #6 The workflow's pre-check, only when an amount was given (no lock, no final period).
    if amount is not None and refund_exceeds(payment, amount, tolerance):
        raise MedusaError(INVALID_DATA, OVER_REFUND_WITH_AMOUNT)

    # #7 The refund workflow reads the order through the collection's link.
    collection = payment.collection
    if collection.order_id is None:
        raise MedusaError(NOT_FOUND, messages.refund_order_link_not_found(collection.id))

    # #8 The reason must exist, when one is named: an empty string skips the lookup.
    reason = None
    if refund_reason_id:
        reason = store.live_refund_reason(refund_reason_id)
        if reason is None:
            raise MedusaError(NOT_FOUND, messages.refund_reason_id_not_found(refund_reason_id))

    # #9 The payment module's check, under the row lock; omitted amount = the whole payment.
    with payment.lock:
        to_refund = payment.amount if amount is None else amount
        if refund_exceeds(payment, to_refund, tolerance):
            raise MedusaError(INVALID_DATA, OVER_REFUND)
        # #10 The refund row's write: an empty reason id is a foreign key to nothing, and
        # PostgreSQL refuses it (a 500 on 2.21.2, after the amount check above).
        if refund_reason_id == "":
            raise MedusaError(UNKNOWN_ERROR, messages.EMPTY_REFUND_REASON_ID)
        storable(note)
        store.add_refund(
            payment, to_refund, reason=reason, note=as_stored(note), created_by=actor_id, at=ids.now_iso()
        )
    return payment


def refund_exceeds(payment: Payment, amount: Decimal, tolerance: Decimal | None = None) -> bool:
    """Would refunding ``amount`` more exceed what was captured, beyond the currency's epsilon?"""
    if tolerance is None:
        tolerance = epsilon(payment.currency_code)
    return sub(payment.captured_total, add(payment.refunded_total, amount)) < -tolerance


def capture_exceeds(payment: Payment, amount: Decimal) -> bool:
    """Would capturing ``amount`` more exceed the authorized amount? Both sides are rounded
    as Medusa rounds them (``money.to_currency_precision``), so 100.004 on an authorized 100
    USD passes (observed)."""
    currency = payment.currency_code
    remaining = sub(payment.amount, payment.captured_total)
    return to_currency_precision(amount, currency) > to_currency_precision(remaining, currency)


def capture(store: Store, payment_id: str, *, amount: Decimal | None, actor_id: str | None) -> Payment:
    """``POST /admin/payments/{id}/capture`` after validation (docs/medusa-behaviour.md §5)."""
    payment = store.payments.get(payment_id)
    if payment is None:
        raise MedusaError(NOT_FOUND, messages.capture_payment_not_found(payment_id))
    with payment.lock:
        if payment.canceled_at is not None:
            raise MedusaError(INVALID_DATA, messages.payment_canceled(payment.id))
        if payment.captured_at is not None:
            return payment  # already fully captured: 200, nothing changes, amount ignored
        to_capture = payment.amount if amount is None else amount
        if capture_exceeds(payment, to_capture):
            raise MedusaError(INVALID_DATA, OVER_CAPTURE)
        store.add_capture(payment, to_capture, created_by=actor_id, at=ids.now_iso())
    return payment
