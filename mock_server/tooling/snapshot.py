"""``mock-server snapshot``: read a running backend's payments and refund reasons and print
them as a fixture file the mock loads (``mock-server serve --fixtures FILE``).

    mock-server snapshot --base-url http://127.0.0.1:9001 \\
        --email admin@example.com --password supersecret > fixtures/from-real.yaml

Everything is read through the admin API, the way a client would:

* payment providers: ``GET /admin/payments/payment-providers``;
* refund reasons: ``GET /admin/refund-reasons``. Deleted ones are not readable on 2.21.2
  (``with_deleted`` has no effect), so a reason known only from a refund that names it is
  written as deleted, with its id and an empty label and code;
* payments with ``fields=+captures.*,+refunds.*,+payment_collection.*,+provider_id,
  +canceled_at,+created_at,+metadata,+payment_collection.order.id``: amounts (exact, from
  ``raw_amount``), currency, captures and refunds with their ids, authors, times, notes and
  reasons, the collection and session ids.

The order link is not part of the payment routes' documented fields. A real Medusa 2.21.2
shows it through the payment collection's ``order`` link (``+payment_collection.order.id``),
so a payment whose collection has no ``order`` gets ``order: false``. A backend that does not
expose the link (the mock answers that path with an error, or never shows ``order``) gets
``order: true`` on every payment, which is noted in the file's header.

Ids, amounts and times are kept, so the mock answers with the same bodies as the backend.
Not carried over (not readable through these routes, or not part of the fixture format):
secret API keys, refund-reason ``updated_at`` (set equal to ``created_at``), the time a
payment was canceled (the mock uses the payment's creation time), the payment's ``data``.
With ``--email/--password`` the user is written with that password (and its real id, from
the token), so the mock accepts the same login.
"""

from __future__ import annotations

import re
import sys
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from .client import Auth, ContractError, add_login_arguments, jwt_claims, login, login_arguments_problem

PAGE = 100
PAYMENT_FIELDS = (
    "+captures.*,+refunds.*,+payment_collection.*,+provider_id,+canceled_at,+created_at,+metadata"
)
ORDER_FIELD = "+payment_collection.order.id"


class SnapshotError(Exception):
    pass


class _Dumper(yaml.SafeDumper):
    """PyYAML writes a string holding U+0085 (NEL) raw inside single quotes, where its reader
    takes it for a line break: ``"\x85\U00085f0d%"`` read back as ``"  \U00085f0d%"``. Such
    strings (and those with U+2028 or U+2029) are written double-quoted, the break escaped."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = '"' if any(c in value for c in "\x85\u2028\u2029") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump(document: dict) -> str:
    """The fixture document as YAML that reads back as the same document."""
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def _amount(value: Any, raw: Any = None) -> int | str | float:
    """The exact amount: ``raw_amount.value`` when present (``"30.01"``, ``"1e-7"``), written
    the way the fixture format takes it (an integer, or a plain decimal string)."""
    text = raw.get("value") if isinstance(raw, dict) else None
    try:
        number = Decimal(str(text if text is not None else value))
    except InvalidOperation:
        return value
    if number == number.to_integral_value():
        return int(number)
    return format(number.normalize(), "f")


class Reader:
    def __init__(self, base_url: str, headers: dict[str, str]) -> None:
        import httpx

        self.client = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=60)

    def get(self, path: str, params: dict) -> Any:
        import httpx

        try:
            response = self.client.get(path, params=params)
        except httpx.HTTPError as exc:
            raise SnapshotError(f"GET {path}: {exc}") from None
        if response.status_code != 200:
            raise SnapshotError(
                f"GET {path}?{response.request.url.query.decode()}: "
                f"{response.status_code} {response.text[:200]}"
            )
        return response.json()

    def all(self, path: str, key: str, params: dict) -> list[dict]:
        items: list[dict] = []
        offset = 0
        while True:
            page = self.get(path, {**params, "limit": PAGE, "offset": offset})
            batch = page.get(key) or []
            items += batch
            offset += len(batch)
            if not batch or offset >= page.get("count", 0):
                return items


def take(base_url: str, headers: dict[str, str], *, user: dict | None = None) -> tuple[dict, list[str]]:
    """The fixture document for what ``base_url`` holds now, and notes for the header."""
    reader = Reader(base_url, headers)
    notes: list[str] = []

    providers = reader.all("/admin/payments/payment-providers", "payment_providers", {})
    reasons = reader.all("/admin/refund-reasons", "refund_reasons", {})

    try:
        payments = reader.all("/admin/payments", "payments", {"fields": PAYMENT_FIELDS + "," + ORDER_FIELD})
        link_visible = any("order" in (p.get("payment_collection") or {}) for p in payments)
    except SnapshotError:
        payments = reader.all("/admin/payments", "payments", {"fields": PAYMENT_FIELDS})
        link_visible = False
    if not link_visible and payments:
        notes.append(
            "the order link is not visible on this backend: every payment is written with `order: true`"
        )

    known_reasons = {r["id"] for r in reasons}
    extra_reasons: dict[str, dict] = {}
    out_payments = []
    for p in payments:
        collection = p.get("payment_collection") or {}
        entry: dict[str, Any] = {
            "id": p["id"],
            "payment_collection_id": p.get("payment_collection_id") or collection.get("id"),
            "payment_session_id": p.get("payment_session_id"),
            "amount": _amount(p.get("amount"), p.get("raw_amount")),
            "currency_code": p.get("currency_code", "usd"),
            "provider_id": p.get("provider_id", "pp_system_default"),
        }
        if p.get("created_at"):
            entry["created_at"] = p["created_at"]
        if link_visible:
            order = collection.get("order")
            if isinstance(order, dict) and order.get("id"):
                entry["order_id"] = order["id"]
            else:
                entry["order"] = False
        else:
            entry["order"] = True
        if p.get("canceled_at"):
            entry["canceled"] = True
        if p.get("metadata") is not None:
            entry["metadata"] = p["metadata"]
        entry["captures"] = [
            {
                "id": c["id"],
                "amount": _amount(c.get("amount"), c.get("raw_amount")),
                "created_by": c.get("created_by"),
                **({"created_at": c["created_at"]} if c.get("created_at") else {}),
            }
            for c in sorted(p.get("captures") or [], key=lambda c: (c.get("created_at") or "", c["id"]))
        ]
        refunds = []
        for r in sorted(p.get("refunds") or [], key=lambda r: (r.get("created_at") or "", r["id"])):
            item = {
                "id": r["id"],
                "amount": _amount(r.get("amount"), r.get("raw_amount")),
                "note": r.get("note"),
                "created_by": r.get("created_by"),
            }
            if r.get("created_at"):
                item["created_at"] = r["created_at"]
            reason_id = r.get("refund_reason_id")
            if reason_id:
                item["refund_reason"] = reason_id
                if reason_id not in known_reasons and reason_id not in extra_reasons:
                    shown = r.get("refund_reason") or {}
                    extra_reasons[reason_id] = {
                        "id": reason_id,
                        "label": shown.get("label", ""),
                        "code": shown.get("code", ""),
                        "deleted": True,
                    }
            refunds.append(item)
        entry["refunds"] = refunds
        out_payments.append(entry)
    if extra_reasons:
        notes.append(f"{len(extra_reasons)} refund reason(s) only known from refunds: written as deleted")

    document: dict[str, Any] = {}
    if user:
        document["users"] = [user]
    document["payment_providers"] = [
        {"id": p["id"], "is_enabled": p.get("is_enabled", True)} for p in providers
    ]
    document["refund_reasons"] = [
        {
            "id": r["id"],
            "label": r.get("label", ""),
            "code": r.get("code", ""),
            "description": r.get("description"),
            **({"created_at": r["created_at"]} if r.get("created_at") else {}),
            **({"deleted": True} if r.get("deleted_at") else {}),
        }
        for r in reasons
    ] + list(extra_reasons.values())
    document["payments"] = out_payments
    return document, notes


def take_as(base_url: str, email: str, password: str) -> tuple[dict, list[str]]:
    """``take``, logged in with ``email``/``password``; the user is written with that password
    and its real id (from the token), so the mock accepts the same login."""
    token = login(base_url, email, password)
    user = {"email": email, "password": password}
    actor = jwt_claims(token).get("actor_id")
    if isinstance(actor, str) and actor.startswith("user_"):
        user = {"id": actor, **user}
    return take(base_url, {"Authorization": f"Bearer {token}"}, user=user)


def loadable(document: dict) -> tuple[dict, list[tuple[str, str]]]:
    """The document without the payments the mock's fixture loader refuses (their id and the
    loader's reason), for a caller that must start a mock from it whatever the backend holds.
    Checked with the limits of a fixture file (``FILE``), as the mock will load it: a real
    backend that a few contract runs have written to holds more than a posted document's
    1 MB."""
    from ..backend.fixtures import FILE, FixtureError, build, parse

    dropped: list[tuple[str, str]] = []
    document = dict(document, payments=list(document.get("payments", [])))
    for _ in range(len(document["payments"]) + 1):
        try:
            build([parse(dump(document), limits=FILE)])
            return document, dropped
        except FixtureError as exc:
            match = re.match(r"payments\[(\d+)\]", exc.path or "")
            if not match:
                raise
            bad = document["payments"].pop(int(match.group(1)))
            dropped.append((bad["id"], exc.reason))
    return document, dropped


def render(document: dict, base_url: str, notes: list[str]) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    head = [
        f"# Snapshot of {base_url} taken {stamp} by `mock-server snapshot`.",
        f"# {len(document.get('payments', []))} payments, "
        f"{len(document.get('refund_reasons', []))} refund reasons. Load it with",
        "#   mock-server serve --fixtures <this file>",
    ]
    head += [f"# Note: {note}." for note in notes]
    body = dump(document)
    return "\n".join(head) + "\n" + body


# ---- the CLI ---------------------------------------------------------------------------------


def add_arguments(parser) -> None:
    add_login_arguments(parser, "log in with email/password (the user is written to the file)")
    parser.add_argument("--output", "-o", help="write to this file instead of stdout")


def main(args) -> int:
    problem = login_arguments_problem(args)
    if problem:
        print(f"mock-server snapshot: {problem}", file=sys.stderr)
        return 2
    try:
        if args.email is not None:
            document, notes = take_as(args.base_url, args.email, args.password)
        else:
            headers = Auth(token=args.token, api_key=args.api_key).headers(args.base_url)
            document, notes = take(args.base_url, headers)
    except (ContractError, SnapshotError) as exc:
        print(f"mock-server snapshot: {exc}", file=sys.stderr)
        return 2
    text = render(document, args.base_url, notes)
    if args.output:
        with open(args.output, "w") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)
    print(
        f"snapshot: {len(document['payments'])} payments, {len(document['refund_reasons'])} "
        f"refund reasons from {args.base_url}",
        file=sys.stderr,
    )
    return 0
