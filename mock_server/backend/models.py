"""The entities the mock keeps, as plain objects linked to each other.

Columns are attributes with Medusa's names; amounts are Decimals; timestamps are stored
already in Medusa's ISO form. Relations are object references, so rendering a response
never needs a lookup. A payment keeps running totals of its captures and refunds, so the
refund check costs the same with one refund or a hundred thousand.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import msgspec

from .money import ZERO


class RefundReason(msgspec.Struct, eq=False):
    id: str
    label: str
    code: str
    description: str | None
    created_at: str
    updated_at: str
    metadata: dict | None = None
    deleted_at: str | None = None


class PaymentProvider(msgspec.Struct, eq=False):
    id: str
    is_enabled: bool = True


class Capture(msgspec.Struct, eq=False):
    id: str
    payment: "Payment"
    amount: Decimal
    created_by: str | None
    created_at: str
    updated_at: str
    metadata: dict | None = None
    deleted_at: str | None = None

    @property
    def payment_id(self) -> str:
        return self.payment.id


class Refund(msgspec.Struct, eq=False):
    id: str
    payment: "Payment"
    amount: Decimal
    refund_reason: RefundReason | None
    note: str | None
    created_by: str | None
    created_at: str
    updated_at: str
    refund_reason_id: str | None = None
    metadata: dict | None = None
    deleted_at: str | None = None

    @property
    def payment_id(self) -> str:
        return self.payment.id


class PaymentSession(msgspec.Struct, eq=False):
    id: str
    currency_code: str
    amount: Decimal
    provider_id: str
    status: str
    authorized_at: str | None
    created_at: str
    updated_at: str
    collection: "PaymentCollection | None" = None
    payment: "Payment | None" = None
    data: dict = msgspec.field(default_factory=dict)
    context: dict | None = None
    metadata: dict | None = None
    deleted_at: str | None = None

    @property
    def payment_collection_id(self) -> str | None:
        return self.collection.id if self.collection else None


class OrderLink(msgspec.Struct, frozen=True):
    """The order a collection is linked to; only its id is known to this mock."""

    id: str


class PaymentCollection(msgspec.Struct, eq=False):
    id: str
    currency_code: str
    amount: Decimal
    status: str
    created_at: str
    updated_at: str
    order_id: str | None  # the order link Medusa's refund route needs; None = not linked
    authorized_amount: Decimal = ZERO
    captured_amount: Decimal = ZERO
    refunded_amount: Decimal = ZERO
    completed_at: str | None = None
    metadata: dict | None = None
    deleted_at: str | None = None
    payments: list["Payment"] = msgspec.field(default_factory=list)
    payment_sessions: list[PaymentSession] = msgspec.field(default_factory=list)
    payment_providers: list[PaymentProvider] = msgspec.field(default_factory=list)

    @property
    def order(self) -> OrderLink | None:
        return OrderLink(self.order_id) if self.order_id else None


class Payment(msgspec.Struct, eq=False):
    id: str
    amount: Decimal
    currency_code: str
    provider_id: str
    collection: PaymentCollection
    session: PaymentSession | None
    created_at: str
    updated_at: str
    captured_at: str | None = None
    canceled_at: str | None = None
    data: dict | None = None
    metadata: dict | None = None
    deleted_at: str | None = None
    captures: list[Capture] = msgspec.field(default_factory=list)
    refunds: list[Refund] = msgspec.field(default_factory=list)
    captured_total: Decimal = ZERO
    refunded_total: Decimal = ZERO
    lock: Any = msgspec.field(default_factory=threading.Lock)

    @property
    def payment_collection_id(self) -> str:
        return self.collection.id

    @property
    def payment_session_id(self) -> str | None:
        return self.session.id if self.session else None


class User(msgspec.Struct, eq=False):
    id: str
    email: str
    password: str
    auth_identity_id: str
    first_name: str | None = None
    last_name: str | None = None


class ApiKey(msgspec.Struct, eq=False):
    """A secret API key (``sk_...``); its ``apk_`` id is the actor on what it does."""

    id: str
    token: str
    title: str
    created_by: str | None = None
    revoked_at: str | None = None
