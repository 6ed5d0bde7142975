"""In-memory state: every entity by id, and the builders that wire a payment to its
collection and session the way Medusa's workflows would have.

A ``Store`` is replaced whole on reset or load (see ``control.py``); nothing else holds
entity references across requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from . import ids
from .money import add, numeric, to_currency_precision
from .models import (
    ApiKey,
    Capture,
    Payment,
    PaymentCollection,
    PaymentProvider,
    PaymentSession,
    Refund,
    RefundReason,
    User,
)


@dataclass(eq=False)
class Store:
    payments: dict[str, Payment] = field(default_factory=dict)
    collections: dict[str, PaymentCollection] = field(default_factory=dict)
    sessions: dict[str, PaymentSession] = field(default_factory=dict)
    refund_reasons: dict[str, RefundReason] = field(default_factory=dict)
    providers: dict[str, PaymentProvider] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    api_keys: dict[str, ApiKey] = field(default_factory=dict)  # by secret token

    def dispose(self) -> None:
        """Break the store's reference cycles, once it is no longer served: a payment, its
        collection, its session and its refunds and captures refer to each other, and such
        cycles are freed only by a full collection of the heap, a pause of 30-40 ms on the
        event loop (``web/memory.py``). Without them the store is freed by reference
        counting as soon as it is dropped. Lists are replaced, not emptied: a reader that
        still holds one (``fixtures.snapshot``) reads it as it was."""
        for payment in self.payments.values():
            payment.captures, payment.refunds, payment.session = [], [], None
        for collection in self.collections.values():
            collection.payments, collection.payment_sessions = [], []
        for session in self.sessions.values():
            session.payment = None

    def user_by_email(self, email: str) -> User | None:
        for user in self.users.values():
            if user.email == email:
                return user
        return None

    def live_refund_reason(self, reason_id: str) -> RefundReason | None:
        reason = self.refund_reasons.get(reason_id)
        return None if reason is None or reason.deleted_at is not None else reason

    def add_payment(
        self,
        *,
        amount: Decimal,
        currency_code: str,
        created_at: str,
        provider_id: str = "pp_system_default",
        payment_id: str | None = None,
        collection_id: str | None = None,
        session_id: str | None = None,
        order_id: str | None = None,
        canceled_at: str | None = None,
        data: dict | None = None,
        metadata: dict | None = None,
    ) -> Payment:
        """An authorized payment with its collection and session, nothing captured yet."""
        provider = self.providers.get(provider_id) or PaymentProvider(provider_id)
        collection = PaymentCollection(
            id=collection_id or ids.new_id(ids.PAYMENT_COLLECTION),
            currency_code=currency_code,
            amount=amount,
            authorized_amount=amount,
            status="authorized",
            created_at=created_at,
            updated_at=created_at,
            order_id=order_id,
            payment_providers=[provider],
        )
        session = PaymentSession(
            id=session_id or ids.new_id(ids.PAYMENT_SESSION),
            currency_code=currency_code,
            amount=amount,
            provider_id=provider_id,
            status="authorized",
            authorized_at=created_at,
            created_at=created_at,
            updated_at=created_at,
            collection=collection,
            context={},  # as Medusa's createPaymentSessionsWorkflow leaves them
            metadata={},
        )
        payment = Payment(
            id=payment_id or ids.new_id(ids.PAYMENT),
            amount=amount,
            currency_code=currency_code,
            provider_id=provider_id,
            collection=collection,
            session=session,
            created_at=created_at,
            updated_at=created_at,
            canceled_at=canceled_at,
            data=data if data is not None else {},
            metadata=metadata,
        )
        session.payment = payment
        collection.payments.append(payment)
        collection.payment_sessions.append(session)
        self.payments[payment.id] = payment
        self.collections[collection.id] = collection
        self.sessions[session.id] = session
        return payment

    def add_capture(
        self,
        payment: Payment,
        amount: Decimal,
        *,
        created_by: str | None,
        at: str,
        capture_id: str | None = None,
    ) -> Capture:
        """Record a capture and keep the running totals; sets ``captured_at`` and completes
        the collection once the payment is fully captured."""
        capture = Capture(
            id=capture_id or ids.new_id(ids.CAPTURE),
            payment=payment,
            amount=amount,
            created_by=created_by,
            created_at=at,
            updated_at=at,
        )
        payment.captures.append(capture)
        payment.captured_total = add(payment.captured_total, amount)
        collection = payment.collection
        collection.captured_amount = add(collection.captured_amount, numeric(amount))
        collection.updated_at = at
        # fully captured once the totals are equal as Medusa rounds them (observed: 99.996 of
        # 100 USD completes the payment and its collection)
        currency = payment.currency_code
        if to_currency_precision(payment.captured_total, currency) >= to_currency_precision(
            payment.amount, currency
        ):
            payment.captured_at = at
            payment.updated_at = at
            collection.status = "completed"
            collection.completed_at = at
        return capture

    def add_refund(
        self,
        payment: Payment,
        amount: Decimal,
        *,
        reason: RefundReason | None,
        note: str | None,
        created_by: str | None,
        at: str,
        refund_id: str | None = None,
    ) -> Refund:
        refund = Refund(
            id=refund_id or ids.new_id(ids.REFUND),
            payment=payment,
            amount=amount,
            refund_reason=reason,
            refund_reason_id=reason.id if reason else None,
            note=note,
            created_by=created_by,
            created_at=at,
            updated_at=at,
        )
        payment.refunds.append(refund)
        payment.refunded_total = add(payment.refunded_total, amount)
        payment.collection.refunded_amount = add(payment.collection.refunded_amount, numeric(amount))
        payment.collection.updated_at = at
        return refund
