"""``make diff``: one scenario of requests against the mock and a real Medusa, side by side.

    python -m mock_server.tooling.diff --real http://127.0.0.1:9001 \\
        --seed realbackend/.state/seed.json [--allow diff-allowlist.yaml]

1. Log in to the real backend and take a snapshot of it (``mock_server.tooling.snapshot``): every
   payment (ids, amounts, captures, refunds, order links) and refund reason.
2. Start the mock on a free loopback port with that snapshot as its fixtures and the real
   backend's CORS origins, so both start from the same state with the same ids.
3. Send the same scenario to both (``SCENARIO``): every refund and capture outcome on the
   seeded payments (labels A…M of ``seed.json``), validation errors, auth failures, the
   cookie session, ``fields`` variants, lists and their query parameters, refund-reason CRUD,
   CORS, unknown routes.
4. Compare each pair of responses after normalising what cannot be equal: ids created during
   the run (``ref_…``, ``capt_…``, new ``refr_…``, ``authid_…`` → ``<new ref>``; snapshot ids
   stay as they are), timestamps, the JWT (claims compared, values
   normalised), the session cookie's value and expiry. Compared: the status; the headers that
   matter (Content-Type, Vary, Access-Control-*, X-Powered-By, Set-Cookie shape, the HTML 404's
   CSP and nosniff, Content-Length, and ETag — its length part and that it is the hash of its
   own body); the body (values *and* key order; relation arrays at any depth, whose order Medusa does not
   guarantee, are compared as multisets; list pages keep their order).
5. Print every difference; exit 0 when each one is in the allow-list (``diff-allowlist.yaml``:
   step, where, reason), 1 otherwise, 2 when the run could not be done.

The seeded payments are used up by the scenario (refunds are permanent), so each run needs a
fresh seed (``scripts/real-backend.sh seed``; ``make diff`` does it).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

from ..extras import missing_hint
from ..web.responses import etag as etag_of
from .client import jwt_claims
from .process import MockProcess, MockProcessError

ROOT = Path(__file__).resolve().parent.parent.parent
ALLOW = ROOT / "diff-allowlist.yaml"
SEED = ROOT / "realbackend" / ".state" / "seed.json"
ADMIN = {"email": "admin@example.com", "password": "supersecret"}
# realbackend/medusa-config.ts's defaults for adminCors / authCors
REAL_CORS = os.environ.get(
    "REAL_CORS", "http://localhost:5173,http://localhost:9000,https://docs.medusajs.com,http://127.0.0.1:5173"
)
ALLOWED_ORIGIN = "http://localhost:5173"
OTHER_ORIGIN = "http://evil.example"

HEADERS = (
    "content-type",
    "vary",
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "x-powered-by",
    "content-security-policy",
    "x-content-type-options",
    "content-length",
)


# ---- the scenario ---------------------------------------------------------------------------


@dataclass
class Step:
    name: str
    method: str
    path: str  # {A}…{M}: seeded payment ids ({A.col}, {A.session}, {A.created}); {R1}: a saved
    # value; {reason}: a live refund reason; {since}: when this run's seed began
    body: Any = None  # JSON-encoded unless `raw`
    raw: bytes | None = None
    content_type: str | None = None
    auth: str = "bearer"  # bearer | none | cookie | basic-bad | bearer-bad | bearer-sk
    headers: dict = field(default_factory=dict)
    save: dict = field(default_factory=dict)  # name -> JSON path in the body ("refund_reason.id")
    # Sees every payment of the backend: skipped when the snapshot had to leave some out.
    unscoped: bool = False


def S(name, method, path, body=None, **kw) -> Step:
    return Step(name, method, path, body, **kw)


PAYMENT_FIELDS_ALL = "+captures.*,+refunds.*,+payment_collection.*"
SINCE = "created_at%5B%24gte%5D={since}"  # only the payments of this run's seed
DISTINCT = "id%5B0%5D={A}&id%5B1%5D={C}&id%5B2%5D={D}&id%5B3%5D={K}"  # four different amounts
TOTALS = "+payment_collection.captured_amount,+payment_collection.refunded_amount,+payment_collection.status"

SCENARIO: list[Step] = [
    # --- health, auth -------------------------------------------------------------------
    S("health", "GET", "/health", auth="none"),
    S("login", "POST", "/auth/user/emailpass", ADMIN, auth="none"),
    S(
        "login wrong password",
        "POST",
        "/auth/user/emailpass",
        {"email": ADMIN["email"], "password": "nope"},
        auth="none",
    ),
    S(
        "login unknown email",
        "POST",
        "/auth/user/emailpass",
        {"email": "nobody@example.com", "password": "x"},
        auth="none",
    ),
    S("login empty body", "POST", "/auth/user/emailpass", {}, auth="none"),
    S("login email not a string", "POST", "/auth/user/emailpass", {"email": 5, "password": "x"}, auth="none"),
    S("session without bearer", "POST", "/auth/session", auth="none"),
    S("session create", "POST", "/auth/session"),
    S("admin with session cookie", "GET", "/admin/payments/payment-providers", auth="cookie"),
    S("session delete", "DELETE", "/auth/session", auth="cookie"),
    S("admin with logged-out cookie", "GET", "/admin/payments/payment-providers", auth="cookie"),
    S("session delete without cookie", "DELETE", "/auth/session", auth="none"),
    S("no credentials", "GET", "/admin/payments", auth="none"),
    S("malformed bearer", "GET", "/admin/payments", auth="bearer-bad"),
    S("wrong basic", "GET", "/admin/payments", auth="basic-bad"),
    S("secret key as bearer", "GET", "/admin/payments", auth="bearer-sk"),
    S(
        "refund without credentials, invalid body",
        "POST",
        "/admin/payments/{A}/refund",
        {"amount": "abc"},
        auth="none",
    ),
    S(
        "malformed JSON before auth",
        "POST",
        "/admin/payments/{A}/refund",
        raw=b'{"amount": 10,',
        content_type="application/json",
        auth="none",
    ),
    S(
        "malformed JSON",
        "POST",
        "/admin/payments/{A}/refund",
        raw=b'{"amount": 10,',
        content_type="application/json",
    ),
    S(
        "malformed JSON (other)",
        "POST",
        "/admin/payments/{A}/refund",
        raw=b"{amount: 1}",
        content_type="application/json",
    ),
    # --- refund validation (payment A, captured 100) ------------------------------------
    S("refund amount string", "POST", "/admin/payments/{A}/refund", {"amount": "abc"}),
    S("refund amount numeric string", "POST", "/admin/payments/{A}/refund", {"amount": "10"}),
    S("refund amount null", "POST", "/admin/payments/{A}/refund", {"amount": None}),
    S("refund amount true", "POST", "/admin/payments/{A}/refund", {"amount": True}),
    S("refund amount 0", "POST", "/admin/payments/{A}/refund", {"amount": 0}),
    S("refund amount -5", "POST", "/admin/payments/{A}/refund", {"amount": -5}),
    S("refund unknown key", "POST", "/admin/payments/{A}/refund", {"amount": 5, "foo": 1}),
    S("refund two unknown keys", "POST", "/admin/payments/{A}/refund", {"foo": 1, "bar": 2}),
    S("refund metadata", "POST", "/admin/payments/{A}/refund", {"amount": 1, "metadata": {"a": 1}}),
    S(
        "refund reason id number",
        "POST",
        "/admin/payments/{A}/refund",
        {"amount": 5, "refund_reason_id": 123},
    ),
    S("refund reason id null", "POST", "/admin/payments/{A}/refund", {"amount": 1, "refund_reason_id": None}),
    S("refund note number", "POST", "/admin/payments/{A}/refund", {"amount": 5, "note": 5}),
    S("refund several issues", "POST", "/admin/payments/{A}/refund", {"amount": "abc", "note": 5, "foo": 1}),
    S(
        "refund four issues",
        "POST",
        "/admin/payments/{A}/refund",
        {"amount": "abc", "refund_reason_id": 1, "note": 5, "foo": 1},
    ),
    S("refund body array", "POST", "/admin/payments/{A}/refund", []),
    S(
        "refund text/plain body",
        "POST",
        "/admin/payments/{A}/refund",
        raw=b"amount=10",
        content_type="text/plain",
    ),
    S("refund unknown query", "POST", "/admin/payments/{A}/refund?foo=bar", {"amount": 1}),
    S(
        "refund list query on a fields-only route",
        "POST",
        "/admin/payments/{A}/refund?limit=5",
        {"amount": 1},
    ),
    S("refund invalid body beats query", "POST", "/admin/payments/{A}/refund?foo=bar", {"amount": 0}),
    S("refund unknown payment", "POST", "/admin/payments/pay_does_not_exist/refund", {"amount": 1}),
    S(
        "refund unknown payment, invalid body",
        "POST",
        "/admin/payments/pay_does_not_exist/refund",
        {"amount": "x"},
    ),
    S(
        "refund unknown reason",
        "POST",
        "/admin/payments/{A}/refund",
        {"amount": 1, "refund_reason_id": "refr_does_not_exist"},
    ),
    S("refund over captured (amount given)", "POST", "/admin/payments/{A}/refund", {"amount": 100.02}),
    S(
        "refund over-refund beats unknown reason",
        "POST",
        "/admin/payments/{A}/refund",
        {"amount": 101, "refund_reason_id": "refr_does_not_exist"},
    ),
    # --- refund outcomes ------------------------------------------------------------------
    S("refund A 10 with note", "POST", "/admin/payments/{A}/refund", {"amount": 10, "note": "First"}),
    S(
        "refund A 2.5 with reason",
        "POST",
        "/admin/payments/{A}/refund",
        {"amount": 2.5, "refund_reason_id": "{reason}"},
    ),
    S(
        "refund A 12.345, fields=id,amount",
        "POST",
        "/admin/payments/{A}/refund?fields=id,amount",
        {"amount": 12.345},
    ),
    S("refund A default amount after partial", "POST", "/admin/payments/{A}/refund", {}),
    S("refund A no body after partial", "POST", "/admin/payments/{A}/refund", None),
    S("refund A remainder +1 (pre-check)", "POST", "/admin/payments/{A}/refund", {"amount": 76}),
    S("refund A trailing slash", "POST", "/admin/payments/{A}/refund/", {"amount": 1}),
    S("retrieve A with totals", "GET", "/admin/payments/{A}?fields=" + TOTALS),
    S("retrieve A all relations", "GET", "/admin/payments/{A}?fields=" + PAYMENT_FIELDS_ALL),
    S("refund B uncaptured, amount", "POST", "/admin/payments/{B}/refund", {"amount": 10}),
    S("refund B uncaptured, default", "POST", "/admin/payments/{B}/refund", {}),
    S("capture B 40", "POST", "/admin/payments/{B}/capture", {"amount": 40}),
    S("capture B default after partial", "POST", "/admin/payments/{B}/capture", {}),
    S("refund B 50 of 40", "POST", "/admin/payments/{B}/refund", {"amount": 50}),
    S("refund B 15 of 40", "POST", "/admin/payments/{B}/refund", {"amount": 15}),
    S("capture B 60.01 over", "POST", "/admin/payments/{B}/capture", {"amount": 60.01}),
    S("capture B rest 60", "POST", "/admin/payments/{B}/capture?fields=" + TOTALS, {"amount": 60}),
    S("capture B again (already captured)", "POST", "/admin/payments/{B}/capture", {"amount": 5}),
    S("refund C 30.01 of 30", "POST", "/admin/payments/{C}/refund?fields=" + TOTALS, {"amount": 30.01}),
    S("refund C 0.01 more", "POST", "/admin/payments/{C}/refund", {"amount": 0.01}),
    S("refund E no order link", "POST", "/admin/payments/{E}/refund", {"amount": 10}),
    S("refund E default, no order link", "POST", "/admin/payments/{E}/refund", {}),
    S("refund E over-refund beats order link", "POST", "/admin/payments/{E}/refund", {"amount": 200}),
    S(
        "refund E unknown reason, no order link",
        "POST",
        "/admin/payments/{E}/refund",
        {"amount": 1, "refund_reason_id": "refr_does_not_exist"},
    ),
    S("capture E (no order needed)", "POST", "/admin/payments/{E}/capture", {}),
    S("refund F default = full", "POST", "/admin/payments/{F}/refund?fields=" + TOTALS, {}),
    S("refund F default again", "POST", "/admin/payments/{F}/refund", {}),
    S("refund G 40", "POST", "/admin/payments/{G}/refund", {"amount": 40}),
    S("refund G default after 40", "POST", "/admin/payments/{G}/refund", {}),
    S("refund G 60.01 (epsilon)", "POST", "/admin/payments/{G}/refund", {"amount": 60.01}),
    S("refund I 30.02", "POST", "/admin/payments/{I}/refund", {"amount": 30.02}),
    S("refund I 30.01", "POST", "/admin/payments/{I}/refund", {"amount": 30.01}),
    S("refund J 30", "POST", "/admin/payments/{J}/refund", {"amount": 30}),
    S("refund J 30 again", "POST", "/admin/payments/{J}/refund", {"amount": 30}),
    S("refund K 5001 yen (epsilon 1)", "POST", "/admin/payments/{K}/refund", {"amount": 5001}),
    S("refund K 1 more yen", "POST", "/admin/payments/{K}/refund", {"amount": 1}),
    S("capture L canceled", "POST", "/admin/payments/{L}/capture", {"amount": 10}),
    S("refund L canceled, uncaptured", "POST", "/admin/payments/{L}/refund", {"amount": 10}),
    S("refund M canceled after capture", "POST", "/admin/payments/{M}/refund", {"amount": 10}),
    S(
        "refund M 1e-7 (renders 0)",
        "POST",
        "/admin/payments/{M}/refund?fields=%2Brefunds.*," + TOTALS.replace("+", "%2B"),
        {"amount": 1e-7},
    ),
    S("capture H over authorized", "POST", "/admin/payments/{H}/capture", {"amount": 100.5}),
    S("capture H amount string", "POST", "/admin/payments/{H}/capture", {"amount": "5"}),
    S("capture H amount 0", "POST", "/admin/payments/{H}/capture", {"amount": 0}),
    S("capture H note not accepted", "POST", "/admin/payments/{H}/capture", {"amount": 1, "note": "x"}),
    S("capture H list query", "POST", "/admin/payments/{H}/capture?limit=1", {"amount": 1}),
    S("capture unknown payment", "POST", "/admin/payments/pay_does_not_exist/capture", {}),
    S(
        "capture H 100.004 (rounded to cents)",
        "POST",
        "/admin/payments/{H}/capture?fields=%2Bcaptures.*",
        {"amount": 100.004},
    ),
    S("capture D default on captured", "POST", "/admin/payments/{D}/capture", None),
    # --- fields ---------------------------------------------------------------------------
    S("fields replace", "GET", "/admin/payments/{A}?fields=id,amount"),
    S("fields remove refunds", "GET", "/admin/payments/{A}?fields=-refunds"),
    S("fields relation column", "GET", "/admin/payments/{A}?fields=id,refunds.amount"),
    S("fields relation star (replace mode)", "GET", "/admin/payments/{A}?fields=id,refunds.*"),
    S("fields relation star alone (add mode)", "GET", "/admin/payments/{A}?fields=refunds.*"),
    S("fields add and replace mixed", "GET", "/admin/payments/{A}?fields=%2Brefunds.*,amount"),
    S("fields remove a default column", "GET", "/admin/payments/{A}?fields=-payment_session_id"),
    S("fields collection star", "GET", "/admin/payments/{A}?fields=id,payment_collection.*"),
    S("fields unknown scalar", "GET", "/admin/payments/{A}?fields=nonexistent_field"),
    S("fields unknown relation (+)", "GET", "/admin/payments/{A}?fields=%2Bfoo.bar"),
    S("fields unknown relation (replace)", "GET", "/admin/payments/{A}?fields=foo.bar"),
    S("fields raw_amount", "GET", "/admin/payments/{A}?fields=%2Braw_amount"),
    S("fields refund reason relation", "GET", "/admin/payments/{A}?fields=id,refunds.refund_reason.*"),
    S("fields payment session", "GET", "/admin/payments/{A}?fields=id,%2Bpayment_session.*"),
    S("fields order link", "GET", "/admin/payments/{A}?fields=id,payment_collection.order.id"),
    S("fields encoded comma and plus", "GET", "/admin/payments/{A}?fields=%2Bcaptures.*%2C-refunds"),
    S("fields unencoded plus", "GET", "/admin/payments/{A}?fields=+provider_id"),
    S(
        "fields on refund",
        "POST",
        "/admin/payments/{D}/refund?fields=%2Bpayment_collection.refunded_amount",
        {"amount": 1},
    ),
    # an empty `fields` is a selection of nothing (only `id`), not the defaults
    S("fields empty", "GET", "/admin/payments/{A}?fields="),
    S("fields empty item", "GET", "/admin/payments/{A}?fields=,"),
    S("fields empty on refund", "POST", "/admin/payments/{D}/refund?fields=", {"amount": 1}),
    S("fields empty on capture", "POST", "/admin/payments/{B}/capture?fields=", {"amount": 5}),
    S("fields empty on a failed refund", "POST", "/admin/payments/{B}/refund?fields=", {"amount": 1000}),
    # --- retrieve -------------------------------------------------------------------------
    S("retrieve A", "GET", "/admin/payments/{A}"),
    S("retrieve unknown", "GET", "/admin/payments/pay_does_not_exist"),
    S("retrieve space id", "GET", "/admin/payments/%20"),
    S("retrieve list query", "GET", "/admin/payments/{A}?limit=5"),
    S("refund route GET (404 HTML)", "GET", "/admin/payments/{A}/refund"),
    S("refund route PUT (404 HTML)", "PUT", "/admin/payments/{A}/refund", {"amount": 1}),
    S("unknown route", "GET", "/admin/nothing-here"),
    # HEAD: the GET's status and headers (Content-Length, ETag), no body, no CORS headers
    S("HEAD retrieve A", "HEAD", "/admin/payments/{A}"),
    S("HEAD retrieve A, allowed origin", "HEAD", "/admin/payments/{A}", headers={"Origin": ALLOWED_ORIGIN}),
    S("HEAD retrieve unknown", "HEAD", "/admin/payments/pay_does_not_exist"),
    S("HEAD without credentials", "HEAD", "/admin/payments/{A}", auth="none"),
    S("HEAD list payments", "HEAD", "/admin/payments?fields=id&" + SINCE),
    S("HEAD list payments limit abc", "HEAD", "/admin/payments?limit=abc"),
    S("HEAD providers", "HEAD", "/admin/payments/payment-providers"),
    S("HEAD reasons", "HEAD", "/admin/refund-reasons?fields=id&limit=1"),
    S("HEAD refund route (no GET)", "HEAD", "/admin/payments/{A}/refund"),
    # --- payment lists --------------------------------------------------------------------
    S("list payments, whole backend", "GET", "/admin/payments", unscoped=True),
    S("list payments page, whole backend", "GET", "/admin/payments?limit=2&offset=2", unscoped=True),
    S("list payments limit 0, whole backend", "GET", "/admin/payments?limit=0&fields=id", unscoped=True),
    S("list payments", "GET", "/admin/payments?" + SINCE),
    S("list payments page", "GET", "/admin/payments?limit=2&offset=2&" + SINCE),
    S("list payments last page", "GET", "/admin/payments?limit=5&offset=10&fields=id&" + SINCE),
    S("list payments fields=id", "GET", "/admin/payments?fields=id&" + SINCE),
    S("list payments fields empty", "GET", "/admin/payments?fields=&" + SINCE),
    S("list payments by id", "GET", "/admin/payments?id={A}"),
    S("list payments by ids (brackets)", "GET", "/admin/payments?id%5B0%5D={A}&id%5B1%5D={B}&fields=id"),
    S("list payments by ids (comma)", "GET", "/admin/payments?id={A},{C}&fields=id"),
    S("list payments by ids (repeated)", "GET", "/admin/payments?id={A}&id={C}&fields=id"),
    S("list payments by session", "GET", "/admin/payments?payment_session_id={A.session}&fields=id"),
    S("list payments newest first", "GET", "/admin/payments?order=-created_at&limit=5&fields=id&" + SINCE),
    S("list payments by amount", "GET", "/admin/payments?order=amount&fields=id,amount&" + DISTINCT),
    S(
        "list payments by amount, descending",
        "GET",
        "/admin/payments?order=-amount&fields=id,amount&" + DISTINCT,
    ),
    S("list payments unknown order", "GET", "/admin/payments?order=foo&fields=id&" + SINCE),
    S("list payments empty order", "GET", "/admin/payments?order=&fields=id&" + SINCE),
    S("list payments limit abc", "GET", "/admin/payments?limit=abc"),
    S("list payments offset empty", "GET", "/admin/payments?offset="),
    S("list payments offset 0.5", "GET", "/admin/payments?offset=0.5&fields=id&limit=3&" + SINCE),
    S("list payments limit 1e3", "GET", "/admin/payments?limit=1e3&fields=id&" + SINCE),
    S("list payments limit 0", "GET", "/admin/payments?limit=0&fields=id&" + SINCE),
    S("list payments limit -1", "GET", "/admin/payments?limit=-1&fields=id&" + SINCE),
    S(
        "list payments huge limit",
        "GET",
        "/admin/payments?limit=37093707152609077480262729728&fields=id&" + SINCE,
    ),
    S("list payments repeated offset", "GET", "/admin/payments?offset=1&offset=2"),
    S("list payments offset -1", "GET", "/admin/payments?offset=-1&fields=id&" + SINCE),
    S(
        "list payments 25 repeated ids",
        "GET",
        "/admin/payments?" + "&".join(f"id=x{i}" for i in range(25)) + "&id={A}&fields=id",
    ),
    S(
        "list payments 25 bracket ids",
        "GET",
        "/admin/payments?" + "&".join(f"id%5B{i}%5D=x{i}" for i in range(25)) + "&id%5B25%5D={A}&fields=id",
    ),
    S("list payments unknown param", "GET", "/admin/payments?foo=bar"),
    S("list payments provider_id not accepted", "GET", "/admin/payments?provider_id=pp_system_default"),
    S("list payments q (no effect)", "GET", "/admin/payments?q=nothing-matches&fields=id&" + SINCE),
    S("list payments with_deleted", "GET", "/admin/payments?with_deleted=true&fields=id&" + SINCE),
    S("list payments with_deleted yes", "GET", "/admin/payments?with_deleted=yes"),
    S("list payments created before", "GET", "/admin/payments?created_at%5B%24lt%5D=2024-01-01&fields=id"),
    S(
        "list payments created in a range",
        "GET",
        "/admin/payments?created_at%5B%24gte%5D={since}&created_at%5B%24lte%5D={C.created}&fields=id",
    ),
    S("list payments created_at $eq", "GET", "/admin/payments?created_at%5B%24eq%5D={B.created}&fields=id"),
    S(
        "list payments created_at $ne",
        "GET",
        "/admin/payments?created_at%5B%24ne%5D={B.created}&fields=id&" + SINCE,
    ),
    S(
        "list payments created_at $in (brackets)",
        "GET",
        "/admin/payments?created_at%5B%24in%5D%5B0%5D={B.created}&fields=id",
    ),
    S("list payments created_at $in (string)", "GET", "/admin/payments?created_at%5B%24in%5D=2024-01-01"),
    S("list payments created_at not a date", "GET", "/admin/payments?created_at%5B%24gt%5D=abc&fields=id"),
    S("list payments created_at $like", "GET", "/admin/payments?created_at%5B%24like%5D=2024%25&fields=id"),
    S("list payments unknown operator", "GET", "/admin/payments?created_at%5Bfoo%5D=x&fields=id&" + SINCE),
    S("list payments created_at empty key", "GET", "/admin/payments?updated_at%5B%5D=null&fields=id"),
    S("list payments $or (brackets)", "GET", "/admin/payments?%24or%5B0%5D%5Bid%5D={A}&fields=id"),
    S(
        "list payments $or two",
        "GET",
        "/admin/payments?%24or%5B0%5D%5Bid%5D={A}&%24or%5B1%5D%5Bid%5D={B}&fields=id",
    ),
    S(
        "list payments $and",
        "GET",
        "/admin/payments?%24and%5B0%5D%5Bid%5D={A}&%24and%5B1%5D%5Bcurrency_code%5D=usd&fields=id",
    ),
    S("list payments $or strings", "GET", "/admin/payments?%24or=a&%24or=b"),
    S("list payments $or string", "GET", "/admin/payments?%24or=a"),
    # --- providers ------------------------------------------------------------------------
    S("list providers", "GET", "/admin/payments/payment-providers"),
    S("list providers enabled", "GET", "/admin/payments/payment-providers?is_enabled=true"),
    S("list providers disabled", "GET", "/admin/payments/payment-providers?is_enabled=false"),
    S("list providers is_enabled yes", "GET", "/admin/payments/payment-providers?is_enabled=yes"),
    S("list providers by id", "GET", "/admin/payments/payment-providers?id=pp_system_default&fields=id"),
    S("list providers unknown id", "GET", "/admin/payments/payment-providers?id=0"),
    S("list providers q not accepted", "GET", "/admin/payments/payment-providers?q=x"),
    S("list providers fields empty", "GET", "/admin/payments/payment-providers?fields="),
    # --- refund reasons -------------------------------------------------------------------
    S(
        "create reason",
        "POST",
        "/admin/refund-reasons",
        {"label": "Diff reason", "code": "diff_reason", "description": "made by make diff"},
        save={"R1": "refund_reason.id"},
    ),
    S(
        "create reason without description",
        "POST",
        "/admin/refund-reasons",
        {"label": "", "code": "diff_empty"},
        save={"R2": "refund_reason.id"},
    ),
    S(
        "create reason null description, fields",
        "POST",
        "/admin/refund-reasons?fields=id,label",
        {"label": "Diff null", "code": "diff_null", "description": None},
        save={"R3": "refund_reason.id"},
    ),
    S(
        "create reason fields empty",
        "POST",
        "/admin/refund-reasons?fields=",
        {"label": "Diff fields", "code": "diff_fields"},
    ),
    S("create reason without code", "POST", "/admin/refund-reasons", {"label": "No code"}),
    S("create reason empty", "POST", "/admin/refund-reasons", {}),
    S("create reason no body", "POST", "/admin/refund-reasons", None),
    S("create reason label not a string", "POST", "/admin/refund-reasons", {"label": 1, "code": "y"}),
    S("create reason metadata", "POST", "/admin/refund-reasons", {"label": "x", "code": "y", "metadata": {}}),
    S("create reason unknown query", "POST", "/admin/refund-reasons?foo=1", {"label": "x", "code": "y"}),
    S(
        "refund A with created reason",
        "POST",
        "/admin/payments/{A}/refund?fields=id,refunds.refund_reason_id,refunds.refund_reason.label",
        {"amount": 1, "refund_reason_id": "{R1}", "note": "with R1"},
    ),
    S("retrieve reason", "GET", "/admin/refund-reasons/{R1}"),
    S("retrieve reason fields", "GET", "/admin/refund-reasons/{R1}?fields=label,metadata"),
    S("retrieve reason fields empty", "GET", "/admin/refund-reasons/{R1}?fields="),
    S("retrieve reason with list params", "GET", "/admin/refund-reasons/{R1}?limit=1&order=foo&q=zz"),
    S("retrieve reason unknown", "GET", "/admin/refund-reasons/refr_does_not_exist"),
    S("update reason", "POST", "/admin/refund-reasons/{R1}", {"label": "Diff reason 2", "description": None}),
    S("update reason empty", "POST", "/admin/refund-reasons/{R1}", {}),
    S("update reason no body", "POST", "/admin/refund-reasons/{R1}", None),
    S("update reason code", "POST", "/admin/refund-reasons/{R1}?fields=code", {"code": "diff_reason_2"}),
    S("update reason fields empty", "POST", "/admin/refund-reasons/{R1}?fields=", {"description": "x"}),
    S("update reason label null", "POST", "/admin/refund-reasons/{R1}", {"label": None}),
    S("update reason metadata", "POST", "/admin/refund-reasons/{R1}", {"metadata": {"a": 1}}),
    S("update reason list query", "POST", "/admin/refund-reasons/{R1}?limit=1", {}),
    S("update reason unknown", "POST", "/admin/refund-reasons/refr_does_not_exist", {"label": "x"}),
    S("delete reason", "DELETE", "/admin/refund-reasons/{R2}"),
    S("delete reason again", "DELETE", "/admin/refund-reasons/{R2}"),
    S("delete reason unknown", "DELETE", "/admin/refund-reasons/refr_does_not_exist"),
    S("delete reason unknown query", "DELETE", "/admin/refund-reasons/refr_does_not_exist?foo=1"),
    S("retrieve deleted reason", "GET", "/admin/refund-reasons/{R2}"),
    S("update deleted reason", "POST", "/admin/refund-reasons/{R2}", {"label": "x"}),
    S(
        "refund with deleted reason",
        "POST",
        "/admin/payments/{A}/refund",
        {"amount": 1, "refund_reason_id": "{R2}"},
    ),
    S("list reasons", "GET", "/admin/refund-reasons?order=-created_at&limit=4"),
    S("list reasons default", "GET", "/admin/refund-reasons"),
    S("list reasons page", "GET", "/admin/refund-reasons?limit=2&offset=1&fields=id,code"),
    S("list reasons q", "GET", "/admin/refund-reasons?q=shipping&fields=id,code"),
    S("list reasons q two tokens", "GET", "/admin/refund-reasons?q=Refund%20goodwill&fields=id,code"),
    S("list reasons q description", "GET", "/admin/refund-reasons?q=make%20diff&fields=id,code"),
    S("list reasons by id", "GET", "/admin/refund-reasons?id={R1}&fields=id"),
    S("list reasons fields empty", "GET", "/admin/refund-reasons?fields=&id={R1}"),
    S("list reasons with_deleted", "GET", "/admin/refund-reasons?with_deleted=true&id={R2}&fields=id"),
    S(
        "list reasons deleted_at filter",
        "GET",
        "/admin/refund-reasons?with_deleted=true&deleted_at%5B%24ne%5D=null&fields=id&limit=1",
    ),
    S("list reasons unknown order", "GET", "/admin/refund-reasons?order=foo"),
    S("list reasons $or not accepted", "GET", "/admin/refund-reasons?%24or%5B0%5D%5Bid%5D=x"),
    S("list reasons limit abc", "GET", "/admin/refund-reasons?limit=abc"),
    # --- CORS -----------------------------------------------------------------------------
    S(
        "preflight allowed origin",
        "OPTIONS",
        "/admin/payments/{A}/refund",
        auth="none",
        headers={
            "Origin": ALLOWED_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    ),
    S(
        "preflight other origin",
        "OPTIONS",
        "/admin/payments/{A}/refund",
        auth="none",
        headers={
            "Origin": OTHER_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    ),
    S(
        "preflight auth route",
        "OPTIONS",
        "/auth/user/emailpass",
        auth="none",
        headers={"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "POST"},
    ),
    S(
        "allowed origin on a call",
        "GET",
        "/admin/payments/payment-providers",
        headers={"Origin": ALLOWED_ORIGIN},
    ),
    S("other origin on a call", "GET", "/admin/payments/payment-providers", headers={"Origin": OTHER_ORIGIN}),
    S("allowed origin on 401", "GET", "/admin/payments", auth="none", headers={"Origin": ALLOWED_ORIGIN}),
    S(
        "SDK headers",
        "GET",
        "/admin/payments/payment-providers",
        headers={"accept": "application/json", "content-type": "application/json", "x-medusa-locale": ""},
    ),
    # --- the end state ---------------------------------------------------------------------
    S(
        "end state of the seeded payments",
        "GET",
        "/admin/payments?id%5B0%5D={A}&id%5B1%5D={B}&id%5B2%5D={C}&id%5B3%5D={E}&id%5B4%5D={F}&id%5B5%5D={G}"
        "&id%5B6%5D={H}&id%5B7%5D={I}&id%5B8%5D={J}&id%5B9%5D={K}&id%5B10%5D={L}&id%5B11%5D={M}"
        "&id%5B12%5D={D}&fields=" + PAYMENT_FIELDS_ALL,
    ),
    # last, as Medusa answers it with a 500 (which may leave the two sides apart)
    S(
        "refund D empty reason id",
        "POST",
        "/admin/payments/{D}/refund?fields=id,refunds.amount",
        {"amount": 0.001, "refund_reason_id": ""},
    ),
    S("retrieve D after the empty reason id", "GET", "/admin/payments/{D}?fields=id,refunds.amount"),
]

# What each seeded label must still be for the scenario to mean anything: (captured, refunded).
EXPECTED_SEED = {
    "A": (100, 0),
    "B": (0, 0),
    "C": (30, 0),
    "D": (50, 0),
    "E": (100, 0),
    "F": (100, 0),
    "G": (100, 0),
    "H": (0, 0),
    "I": (30, 0),
    "J": (50, 0),
    "K": (5000, 0),
    "L": (0, 0),
    "M": (100, 0),
}


# ---- normalisation ------------------------------------------------------------------------

ULID_ID = re.compile(r"\b([a-z]+(?:_[a-z]+)?)_([0-9A-HJKMNP-TV-Z]{26})\b")
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
HTTP_DATE = re.compile(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT")
JWT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")


class Normaliser:
    """Ids the snapshot holds stay as they are (both sides have them); any other id (created
    during the run, so different on each side) becomes `<new prefix>`. Timestamps become
    `<timestamp>`, a JWT `{"<jwt claims>": {…}}`.

    Relation arrays (an array of objects inside an entity, at any depth: `captures`, `refunds`,
    `payment_collection.payments`, `payment_collection.payment_providers`, …) are compared as
    multisets: PostgreSQL returns relation rows in no guaranteed order (docs/medusa-behaviour.md
    §6), so each such array is sorted on its whole normalised content, snapshot ids included.
    Two arrays holding the same items therefore normalise alike whatever their order, and items
    equal but for their id cannot tie on an order the backend happened to answer. A list page
    (an array directly in the response's top-level object: `payments`, `refund_reasons`,
    `payment_providers`) keeps its order: with `order=` it is what was asked for, and without
    it Medusa orders by the primary key (`applyDefaultOrdering` in its internal service, the
    same `id` order the mock uses), so both are part of the contract. `metadata` is user data,
    stored as given, and keeps its order too."""

    def __init__(self, known: set[str]) -> None:
        self.known = known

    def value(self, node: Any) -> Any:
        return _sort_relations(_renumber(self._mask(node), lambda m: f"<new {m.group(1)}>"))

    def text(self, value: str) -> str:
        return _renumber(self._mask(value), lambda m: f"<new {m.group(1)}>")

    def _mask(self, node: Any) -> Any:
        if isinstance(node, str):
            if ISO.match(node):
                return "<timestamp>"
            if JWT.match(node) and node.startswith("eyJ"):
                return {"<jwt claims>": self._mask(jwt_claims(node))}
            return ULID_ID.sub(
                lambda m: m.group(0) if m.group(0) in self.known else f"\x00{m.group(1)}\x00{m.group(0)}\x00",
                node,
            )
        if isinstance(node, list):
            return [self._mask(v) for v in node]
        if isinstance(node, dict):
            if isinstance(node.get("iat"), int) and isinstance(node.get("exp"), int):
                node = _relative_times(node)  # JWT claims (POST /auth/session answers them too)
            return {k: self._mask(v) for k, v in node.items()}
        return node


def _sort_relations(node: Any, depth: int = 0) -> Any:
    """Sort every relation array below the top-level object on its items' whole content
    (see ``Normaliser``); ``depth`` is how many objects enclose ``node``."""
    if isinstance(node, dict):
        return {k: v if k == "metadata" else _sort_relations(v, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        items = [_sort_relations(v, depth) for v in node]
        if depth >= 2 and items and all(isinstance(v, dict) for v in items):
            items.sort(key=lambda v: json.dumps(v, sort_keys=True))
        return items
    return node


_NEW = re.compile("\x00([a-z_]+)\x00([^\x00]+)\x00")


def _renumber(node: Any, number: Callable[[re.Match], str]) -> Any:
    if isinstance(node, str):
        return _NEW.sub(number, node)
    if isinstance(node, list):
        return [_renumber(v, number) for v in node]
    if isinstance(node, dict):
        return {k: _renumber(v, number) for k, v in node.items()}
    return node


def _relative_times(claims: dict) -> dict:
    """`iat` depends on the second the token was made; keep only the lifetime."""
    return {
        k: ("<iat>" if k == "iat" else f"iat+{claims['exp'] - claims['iat']}" if k == "exp" else v)
        for k, v in claims.items()
    }


def key_orders(node: Any, path: str = "") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if isinstance(node, dict):
        out[path or "/"] = list(node)
        for k, v in node.items():
            out.update(key_orders(v, f"{path}/{k}"))
    elif isinstance(node, list):
        for v in node[:1]:  # the first item stands for the array's shape
            out.update(key_orders(v, f"{path}/[]"))
    return out


def cookie_shape(value: str) -> str:
    value = HTTP_DATE.sub("<date>", value)
    return re.sub(r"^(connect\.sid=)[^;]+", r"\1<value>", value)


# ---- running ----------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k.lower() == name]
        return ", ".join(values) if values else None


class Side:
    def __init__(self, name: str, base_url: str, known: set[str]) -> None:
        import httpx

        self.name = name
        self.base_url = base_url.rstrip("/")
        self.client = httpx.Client(base_url=self.base_url, timeout=60)
        self.norm = Normaliser(known)
        self.vars: dict[str, str] = {}
        self.token = ""
        self.cookie = ""

    def login(self) -> None:
        response = self.client.post("/auth/user/emailpass", json=ADMIN)
        if response.status_code != 200:
            raise DiffError(f"{self.name}: login failed: {response.status_code} {response.text[:200]}")
        self.token = response.json()["token"]

    def send(self, step: Step, path: str, body: Any) -> Reply:
        headers = dict(step.headers)
        if step.auth == "bearer":
            headers["Authorization"] = f"Bearer {self.token}"
        elif step.auth == "bearer-bad":
            headers["Authorization"] = "Bearer not.a.jwt"
        elif step.auth == "bearer-sk":
            headers["Authorization"] = "Bearer sk_0123456789abcdef"
        elif step.auth == "basic-bad":
            headers["Authorization"] = "Basic Zm9vOmJhcg=="
        elif step.auth == "cookie" and self.cookie:
            headers["Cookie"] = f"connect.sid={self.cookie}"
        content = None
        if step.raw is not None:
            content = step.raw
        elif step.body is not None:
            content = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        if step.content_type:
            headers["Content-Type"] = step.content_type
        import httpx

        try:
            response = self.client.request(step.method, path, content=content, headers=headers)
        except (httpx.ReadError, httpx.RemoteProtocolError):
            # a server that closed the kept-alive connection after a crash: once more, afresh
            response = self.client.request(step.method, path, content=content, headers=headers)
        reply = Reply(response.status_code, list(response.headers.multi_items()), response.content)
        cookie = reply.header("set-cookie")
        if cookie and cookie.startswith("connect.sid="):
            self.cookie = cookie.split(";")[0].split("=", 1)[1]
        return reply


class DiffError(Exception):
    pass


def fill(template: Any, side: Side, seed: dict) -> Any:
    if isinstance(template, str):

        def one(match: re.Match) -> str:
            key = match.group(1)
            if key in side.vars:
                return side.vars[key]
            if key == "since":
                return seed["A"]["created_at"]
            if key == "reason":  # a live refund reason of the snapshot
                return seed["_reason"]
            label, _, part = key.partition(".")
            entry = seed[label]
            return entry[
                {
                    "": "payment_id",
                    "col": "payment_collection_id",
                    "session": "payment_session_id",
                    "created": "created_at",
                }[part]
            ]

        return re.sub(r"\{([A-Za-z0-9_.]+)\}", one, template)
    if isinstance(template, list):
        return [fill(v, side, seed) for v in template]
    if isinstance(template, dict):
        return {k: fill(v, side, seed) for k, v in template.items()}
    return template


@dataclass
class Difference:
    step: str
    where: str
    mock: Any
    real: Any
    allowed: str | None = None

    def __str__(self) -> str:
        mark = f"  (allowed: {self.allowed})" if self.allowed else ""
        return f"    {self.where}: mock={_short(self.mock)} real={_short(self.real)}{mark}"


def _short(value: Any, limit: int = 300) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + "…"


def compare(
    step: str, mock: Reply, real: Reply, mside: Side, rside: Side, *, head: bool = False
) -> list[Difference]:
    """``head``: answers to HEAD, whose ETag is that of the GET body not sent (its length part is
    still compared, through Content-Length)."""
    diffs: list[Difference] = []
    if mock.status != real.status:
        diffs.append(Difference(step, "status", mock.status, real.status))
    for name in HEADERS:
        a, b = mock.header(name), real.header(name)
        if a != b:
            diffs.append(Difference(step, f"header {name}", a, b))
    a, b = mock.header("set-cookie"), real.header("set-cookie")
    if (a and cookie_shape(a)) != (b and cookie_shape(b)):
        diffs.append(
            Difference(step, "header set-cookie (shape)", a and cookie_shape(a), b and cookie_shape(b))
        )
    for reply, side in ((mock, "mock"), (real, "real")):
        etag = reply.header("etag")
        if etag and not head and etag != etag_of(reply.body):
            diffs.append(
                Difference(
                    step,
                    f"header etag ({side}: not the hash of its body)",
                    etag if side == "mock" else None,
                    etag if side == "real" else None,
                )
            )
    if (mock.header("etag") is None) != (real.header("etag") is None):
        diffs.append(Difference(step, "header etag (present)", mock.header("etag"), real.header("etag")))
    diffs += compare_bodies(step, mock, real, mside, rside)
    return diffs


def compare_bodies(step: str, mock: Reply, real: Reply, mside: Side, rside: Side) -> list[Difference]:
    try:
        a, b = json.loads(mock.body), json.loads(real.body)
    except ValueError:
        ta, tb = (
            mside.norm.text(mock.body.decode("utf-8", "replace")),
            rside.norm.text(real.body.decode("utf-8", "replace")),
        )
        return [] if ta == tb else [Difference(step, "body (text)", ta, tb)]
    na, nb = mside.norm.value(a), rside.norm.value(b)
    diffs = [Difference(step, f"body {path}", x, y) for path, x, y in _walk(na, nb, "")]
    if not diffs:
        oa, ob = key_orders(na), key_orders(nb)
        for path in sorted(set(oa) | set(ob)):
            if oa.get(path) != ob.get(path):
                diffs.append(Difference(step, f"key order {path}", oa.get(path), ob.get(path)))
    return diffs


def _walk(a: Any, b: Any, path: str):
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            if key not in b:
                yield f"{path}/{key}", a[key], "<absent>"
            elif key not in a:
                yield f"{path}/{key}", "<absent>", b[key]
            else:
                yield from _walk(a[key], b[key], f"{path}/{key}")
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            yield f"{path} (length)", len(a), len(b)
        for i, (x, y) in enumerate(zip(a, b, strict=False)):  # lengths: above
            yield from _walk(x, y, f"{path}/{i}")
    elif (
        a != b or type(a) is not type(b) and not (isinstance(a, (int, float)) and isinstance(b, (int, float)))
    ):
        yield path or "/", a, b


def _get(node: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        node = node[part]
    return node


# ---- allow-list --------------------------------------------------------------------------------


def load_allow(path: Path) -> list[dict]:
    if not path.exists():
        return []
    entries = yaml.safe_load(path.read_text()) or []
    for entry in entries:
        if not {"step", "where", "reason"} <= set(entry):
            raise DiffError(f"{path}: each entry needs step, where and reason: {entry}")
    return entries


def allowed(diff: Difference, allow: list[dict]) -> str | None:
    for entry in allow:
        if fnmatch.fnmatchcase(diff.step, entry["step"]) and fnmatch.fnmatchcase(diff.where, entry["where"]):
            return entry["reason"]
    return None


# ---- the mock process -----------------------------------------------------------------------

# How long the mock may take to answer /health: it loads the whole snapshot, and CI machines
# under load (a load average of 15 on two cores was seen) can need far more than the default.
START_TIMEOUT = float(os.environ.get("DIFF_MOCK_START_TIMEOUT", "180"))


def start_mock(fixture: Path) -> MockProcess:
    """The mock on a free port, from ``fixture``, with the real server's CORS lists and secrets."""
    try:
        return MockProcess(
            "--fixtures",
            str(fixture),
            "--admin-cors",
            REAL_CORS,
            "--auth-cors",
            REAL_CORS,
            timeout=START_TIMEOUT,
            env={"JWT_SECRET": "supersecret", "COOKIE_SECRET": "supersecret"},
        )
    except MockProcessError as exc:
        raise DiffError(str(exc)) from None


# ---- main ---------------------------------------------------------------------------------------


@dataclass
class Outcome:
    steps: int = 0
    skipped: int = 0
    requests: int = 0
    differences: list[Difference] = field(default_factory=list)

    @property
    def unexplained(self) -> list[Difference]:
        return [d for d in self.differences if not d.allowed]


def check_seed(seed: dict, document: dict) -> list[str]:
    """Labels whose payment is no longer in its seeded state (or missing)."""
    payments = {p["id"]: p for p in document["payments"]}
    stale = []
    for label, (captured, refunded) in EXPECTED_SEED.items():
        entry = seed.get(label)
        payment = payments.get((entry or {}).get("payment_id"))
        if payment is None:
            stale.append(f"{label}: missing")
            continue
        got = (
            sum(float(c["amount"]) for c in payment["captures"]),
            sum(float(r["amount"]) for r in payment["refunds"]),
        )
        if got != (captured, refunded):
            stale.append(f"{label}: captured/refunded {got}, expected {(captured, refunded)}")
    return stale


def run(
    real_url: str, seed_path: Path, allow_path: Path, *, out=sys.stdout, keep_fixture: Path | None = None
) -> Outcome:
    from . import snapshot
    from .client import login

    seed = json.loads(seed_path.read_text())
    token = login(real_url, ADMIN["email"], ADMIN["password"])
    claims = jwt_claims(token)
    user = {"id": claims.get("actor_id"), **ADMIN} if claims.get("actor_id") else dict(ADMIN)
    document, notes = snapshot.take(real_url, {"Authorization": f"Bearer {token}"}, user=user)
    stale = check_seed(seed, document)
    if stale:
        raise DiffError(
            "the seeded payments are used up ("
            + "; ".join(stale)
            + "); run `scripts/real-backend.sh seed` first"
        )
    created = {p["id"]: p.get("created_at") for p in document["payments"]}
    for entry in seed.values():
        if isinstance(entry, dict) and entry.get("payment_id") in created:
            entry["created_at"] = created[entry["payment_id"]]
    seed["_reason"] = next(r["id"] for r in document["refund_reasons"] if not r.get("deleted"))
    document, dropped = snapshot.loadable(document)
    for payment_id, reason in dropped:
        notes.append(f"left out {payment_id}: the mock's fixture loader refuses it ({reason})")
    fixture = keep_fixture or Path(tempfile.mkstemp(prefix="diff-fixture-", suffix=".yaml")[1])
    fixture.write_text(snapshot.render(document, real_url, notes))
    known = {p["id"] for p in document["payments"]} | {r["id"] for r in document["refund_reasons"]}
    for p in document["payments"]:
        known |= {p["payment_collection_id"], p["payment_session_id"], p.get("order_id") or ""}
        known |= {c["id"] for c in p["captures"]} | {r["id"] for r in p["refunds"]}
    known |= {u.get("id", "") for u in document.get("users", [])}
    allow = load_allow(allow_path)

    mock = start_mock(fixture)
    outcome = Outcome()
    try:
        mside, rside = Side("mock", mock.url, known), Side("real", real_url, known)
        mside.login()
        rside.login()
        print(
            f"diff: mock {mock.url} (fixtures: snapshot of {real_url}, "
            f"{len(document['payments'])} payments) vs real {real_url}; {len(SCENARIO)} steps",
            file=out,
        )
        if dropped:
            print(
                f"note: {len(dropped)} payment(s) of the real backend cannot be loaded by the mock "
                f"and were left out; steps that list the whole backend are skipped:",
                file=out,
            )
            for payment_id, reason in dropped:
                print(f"  {payment_id}: {reason}", file=out)
        for step in SCENARIO:
            if step.unscoped and dropped:
                print(f"skip {step.method:7} {step.name}", file=out)
                outcome.skipped += 1
                continue
            outcome.steps += 1
            replies = []
            for side in (mside, rside):
                path, body = fill(step.path, side, seed), fill(step.body, side, seed)
                try:
                    replies.append(side.send(step, path, body))
                except Exception as exc:  # a backend that drops the connection: a difference too
                    raise DiffError(f"{side.name}: {step.method} {path}: {exc!r}") from exc
                outcome.requests += 1
            mreply, rreply = replies
            for name, dotted in step.save.items():
                for side, reply in ((mside, mreply), (rside, rreply)):
                    try:
                        side.vars[name] = _get(json.loads(reply.body), dotted)
                    except (ValueError, KeyError, TypeError):
                        side.vars[name] = f"<no {name}>"
            diffs = compare(step.name, mreply, rreply, mside, rside, head=step.method == "HEAD")
            for d in diffs:
                d.allowed = allowed(d, allow)
            outcome.differences += diffs
            mark = "ok  " if not diffs else ("ok* " if all(d.allowed for d in diffs) else "DIFF")
            print(f"{mark} {step.method:7} {step.name}  [{mreply.status}/{rreply.status}]", file=out)
            for d in diffs:
                print(str(d), file=out)
        after = (
            rside.client.get(
                "/admin/payments",
                params={"fields": "id", "limit": 1},
                headers={"Authorization": f"Bearer {rside.token}"},
            )
            .json()
            .get("count")
        )
        if after != len(document["payments"]) + len(dropped):
            raise DiffError(
                f"the real backend changed during the run ({len(document['payments'])} payments "
                f"in the snapshot, {after} now): another client is writing to it; run again"
            )
    finally:
        mock.stop()
        if "Traceback" in mock.output() or "ERROR" in mock.output():
            print("--- mock log ---\n" + mock.output()[-3000:], file=out)
        if keep_fixture is None:
            fixture.unlink(missing_ok=True)
    bad = outcome.unexplained
    print(
        f"diff: {outcome.steps} steps ({outcome.skipped} skipped), {outcome.requests} requests, "
        f"{len(outcome.differences)} "
        f"differences ({len(outcome.differences) - len(bad)} allowed, {len(bad)} not allowed)",
        file=out,
    )
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mock_server.tooling.diff", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--real", default="http://127.0.0.1:9001", help="the real Medusa backend")
    parser.add_argument("--seed", type=Path, default=SEED, help="seed.json of scripts/real-backend.sh")
    parser.add_argument("--allow", type=Path, default=ALLOW, help="allow-list of differences (YAML)")
    parser.add_argument("--keep-fixture", type=Path, help="also write the snapshot fixture here")
    args = parser.parse_args(argv)
    hint = missing_hint("diff", prog="python -m mock_server.tooling.diff")
    if hint:
        print(hint, file=sys.stderr)
        return 2
    try:
        outcome = run(args.real, args.seed, args.allow, keep_fixture=args.keep_fixture)
    except Exception as exc:  # noqa: BLE001 - any failure to run is exit 2 with the reason
        from .client import ContractError
        from .snapshot import SnapshotError

        if not isinstance(exc, (DiffError, ContractError, SnapshotError, OSError, KeyError)):
            raise
        print(f"diff: cannot run: {exc}", file=sys.stderr)
        return 2
    return 1 if outcome.unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
