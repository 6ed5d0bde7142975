"""Thin handlers for the Medusa routes, keyed by the spec's operationId.

Each takes a validated ``Call`` and returns a ``Reply``: parse, call the rules, project
``fields``, answer. Check order, auth and validation happen before (``pipeline.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import msgspec

from ..backend import listing, messages, payments, refund_reasons
from ..backend.errors import NOT_ALLOWED, MedusaError
from . import auth
from .auth import Actor
from ..backend.fields import ENTITIES
from ..backend.money import to_decimal

from ..backend.store import Store

if TYPE_CHECKING:
    from .app import Mock
    from .contract import Operation


class Call(msgspec.Struct):
    mock: Mock
    params: dict
    body: Any
    query: dict
    actor: Actor | None
    operation: Operation | None = None  # what the route's validator takes
    store: Store = None  # type: ignore[assignment]  # the namespace's state
    accounts: tuple[Store, ...] = ()  # where logins look users up (pipeline.accounts)


class Reply(msgspec.Struct):
    status: int
    data: Any
    set_cookie: str | None = None
    cookie_first: bool = False
    text: str | None = None
    # set by the pipeline (caches.Answers): a read's answer already encoded, (body, ETag);
    # and the key a fresh read's answer is remembered under
    encoded: tuple[bytes, bytes] | None = None
    read_key: tuple | None = None


def _amount(body: dict):
    return to_decimal(body["amount"]) if "amount" in body else None


def _actor_id(call: Call) -> str | None:
    return call.actor.id if call.actor else None


def _fields(call: Call) -> str | None:
    return call.query.get("fields")


def _project(call: Call, entity: str, row: Any) -> dict:
    return call.mock.projector.project(entity, row, _fields(call))


def _list(call: Call, name: str, entity: str, rows, default_limit: int, search=None) -> Reply:
    op = call.operation
    filterable = None if op is None else frozenset(op.query_params) - set(listing.PAGING_KEYS)
    page = listing.select(
        rows,
        call.query,
        default_limit=default_limit,
        search=search,
        columns=ENTITIES[entity].columns,
        filterable=filterable,
    )
    # after the order's and the filters' refusals (observed: an unknown `order` is the 500
    # whatever `fields` holds), before any row is rendered (an empty page too)
    render = call.mock.projector.renderer(entity, _fields(call))
    return Reply(
        200,
        {
            name: [render(row) for row in page.items],
            "count": page.count,
            "offset": page.offset,
            "limit": page.limit,
        },
    )


# ---- payments ------------------------------------------------------------------------------


def list_payments(call: Call) -> Reply:
    return _list(call, "payments", "payment", call.store.payments.values(), 20)


def list_payment_providers(call: Call) -> Reply:
    return _list(call, "payment_providers", "payment_provider", call.store.providers.values(), 20)


def retrieve_payment(call: Call) -> Reply:
    render = call.mock.projector.renderer("payment", _fields(call))  # refused before the read
    payment = call.store.payments.get(call.params["id"])
    if payment is None:
        return Reply(200, {})  # Medusa answers 200 {} for an unknown id
    return Reply(200, {"payment": render(payment)})


def capture_payment(call: Call) -> Reply:
    payment = payments.capture(
        call.store, call.params["id"], amount=_amount(call.body), actor_id=_actor_id(call)
    )
    return Reply(200, {"payment": _project(call, "payment", payment)})


def refund_payment(call: Call) -> Reply:
    body = call.body
    payment = payments.refund(
        call.store,
        call.params["id"],
        amount=_amount(body),
        refund_reason_id=body.get("refund_reason_id"),
        note=body.get("note"),
        actor_id=_actor_id(call),
    )
    return Reply(200, {"payment": _project(call, "payment", payment)})


# ---- refund reasons ------------------------------------------------------------------------


def _search_reason(reason, token: str) -> bool:
    return any(listing.ilike(text, token) for text in (reason.label, reason.code, reason.description))


def list_refund_reasons(call: Call) -> Reply:
    return _list(
        call,
        "refund_reasons",
        "refund_reason",
        call.store.refund_reasons.values(),
        15,
        search=_search_reason,
    )


def create_refund_reason(call: Call) -> Reply:
    reason = refund_reasons.create(
        call.store,
        label=call.body["label"],
        code=call.body["code"],
        description=call.body.get("description"),
    )
    return Reply(200, {"refund_reason": _project(call, "refund_reason", reason)})


def retrieve_refund_reason(call: Call) -> Reply:
    render = call.mock.projector.renderer("refund_reason", _fields(call))  # refused before the read
    reason = call.store.live_refund_reason(call.params["id"])
    if reason is None:
        return Reply(200, {})
    return Reply(200, {"refund_reason": render(reason)})


def update_refund_reason(call: Call) -> Reply:
    reason = refund_reasons.update(call.store, call.params["id"], call.body)
    return Reply(200, {"refund_reason": _project(call, "refund_reason", reason)})


def delete_refund_reason(call: Call) -> Reply:
    return Reply(200, refund_reasons.delete(call.store, call.params["id"]))


# ---- auth ----------------------------------------------------------------------------------


def login(call: Call) -> Reply:
    provider = call.params["auth_provider"]
    if provider != "emailpass":  # the one provider of a default install; letter case counts
        raise MedusaError(NOT_ALLOWED, messages.provider_not_allowed("user", provider))
    return Reply(200, {"token": auth.login(call.accounts, call.body, call.mock.secrets)})


def create_session(call: Call) -> Reply:
    """The bearer token's claims become the session's auth context."""
    claims = call.actor.claims if call.actor is not None else None
    _, set_cookie = call.mock.sessions.create(claims or {})
    return Reply(200, {"user": claims}, set_cookie=set_cookie)


def delete_session(call: Call) -> Reply:
    if call.actor is not None and call.actor.session_id is not None:
        call.mock.sessions.destroy(call.actor.session_id)
    return Reply(200, {"success": True}, set_cookie=auth.Sessions.CLEARING_COOKIE, cookie_first=True)


def health(call: Call) -> Reply:
    return Reply(200, None, text="OK")


HANDLERS: dict[str, Callable[[Call], Reply]] = {
    "GetPayments": list_payments,
    "GetPaymentsPaymentProviders": list_payment_providers,
    "GetPaymentsId": retrieve_payment,
    "PostPaymentsIdCapture": capture_payment,
    "PostPaymentsIdRefund": refund_payment,
    "GetRefundReasons": list_refund_reasons,
    "PostRefundReasons": create_refund_reason,
    "GetRefundReasonsId": retrieve_refund_reason,
    "PostRefundReasonsId": update_refund_reason,
    "DeleteRefundReasonsId": delete_refund_reason,
    "PostActor_typeAuth_provider": login,
    "PostSession": create_session,
    "DeleteSession": delete_session,
    "GetHealth": health,
}
