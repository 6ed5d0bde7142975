"""``fields`` naming relations, as a running 2.21.2 answers (shapes observed on a payment with
a capture and a refund): ``*rel`` adds ``rel.*`` and keeps the defaults; a bare one-to-many
relation name selects nothing, a bare many-to-one one ``{"id": …}``; ``col.*`` on a column
drops the column; a whitespace-only item replaces the defaults."""

from __future__ import annotations

import pytest

from helpers import PARTIALLY_REFUNDED

DEFAULT_KEYS = [
    "id",
    "currency_code",
    "amount",
    "captured_at",
    "payment_collection_id",
    "payment_session_id",
    "captures",
    "refunds",
]
DEFAULT_REFUND_KEYS = ["id", "amount", "note", "payment_id", "refund_reason_id", "refund_reason"]
FULL_REFUND_KEYS = [
    "id",
    "payment_id",
    "refund_reason_id",
    "refund_reason",
    "note",
    "created_by",
    "metadata",
    "raw_amount",
    "created_at",
    "updated_at",
    "deleted_at",
    "amount",
]


def keys(client, auth, fields: str) -> tuple[list[str], list[str] | None]:
    payment = client.get(
        f"/admin/payments/{PARTIALLY_REFUNDED}", params={"fields": fields}, headers=auth
    ).json()["payment"]
    refunds = payment.get("refunds")
    return list(payment), (list(refunds[0]) if refunds else None)


@pytest.mark.parametrize(
    "fields, root, refund",
    [
        ("*refunds", DEFAULT_KEYS, FULL_REFUND_KEYS),
        ("*refunds,+amount", DEFAULT_KEYS, FULL_REFUND_KEYS),
        ("*refunds,-refunds", DEFAULT_KEYS[:-1], None),
        ("*refunds,-refunds.note", DEFAULT_KEYS, FULL_REFUND_KEYS),  # the star still has it
        ("*refunds,refunds.id", ["id", "refunds"], FULL_REFUND_KEYS),
        ("refunds", ["id"], None),
        ("id,refunds", ["id"], None),
        ("+refunds", DEFAULT_KEYS, DEFAULT_REFUND_KEYS),
        ("payment_collection", ["payment_collection", "id"], None),
        ("*amount", [k for k in DEFAULT_KEYS if k != "amount"], DEFAULT_REFUND_KEYS),
        ("amount.*", [k for k in DEFAULT_KEYS if k != "amount"], DEFAULT_REFUND_KEYS),
        ("id,amount,amount.*", ["id"], None),
        ("refunds.amount.*", DEFAULT_KEYS, [k for k in DEFAULT_REFUND_KEYS if k != "amount"]),
        ("\t", ["id"], None),
        # a root `*` that is not a modifier (observed on 2.21.2: `\v*` and `\t*` replace the
        # defaults and select nothing; ` *` is a modifier and keeps them)
        ("\v*", ["id"], None),
        ("\t*", ["id"], None),
        ("\t*,+amount", ["amount", "id"], None),
        ("\v*,amount", ["amount", "id"], None),
        ("*,\v*", ["id"], None),
        (" *", DEFAULT_KEYS, DEFAULT_REFUND_KEYS),
    ],
)
def test_fields_naming_relations(client, auth, fields, root, refund):
    assert keys(client, auth, fields) == (root, refund)


def test_a_bare_many_to_one_relation_is_its_id(client, auth):
    payment = client.get(
        f"/admin/payments/{PARTIALLY_REFUNDED}", params={"fields": "payment_collection"}, headers=auth
    ).json()["payment"]
    assert payment["payment_collection"] == {"id": payment_collection_id(client, auth)}


def payment_collection_id(client, auth) -> str:
    return client.get(f"/admin/payments/{PARTIALLY_REFUNDED}", headers=auth).json()["payment"][
        "payment_collection_id"
    ]


REASON_DEFAULTS = ["id", "label", "code", "description", "created_at", "updated_at", "deleted_at"]


@pytest.mark.parametrize(
    "fields, expected",
    [
        # replace mode strips every item of its modifiers, and removes nothing
        ("label,-code", ["label", "code", "id"]),
        ("-code,label", ["code", "label", "id"]),
        ("label,%09%20-%2Bcode%09", ["label", "code", "id"]),
        ("%09-label", ["label", "id"]),
        ("%09%2B-label", ["label", "id"]),
        # a removal takes what was chosen before it
        ("-code,%2Bcode", [k for k in REASON_DEFAULTS if k != "code"] + ["code"]),
        ("%2Bcode,-code", [k for k in REASON_DEFAULTS if k != "code"]),
        # JavaScript's trim: \ufeff and \u2028 are whitespace, \x1c and \x85 are not
        ("%EF%BB%BFlabel", ["label", "id"]),
        ("%E2%80%A8label", ["label", "id"]),
        ("%1Clabel", ["id"]),
        ("%C2%85label", ["id"]),
        ("-%1Ccode", REASON_DEFAULTS),
    ],
)
def test_fields_are_parsed_as_medusas_field_parser_does(client, auth, fields, expected):
    # observed on 2.21.2; the rules are its FieldParser's (@medusajs/framework, 2.21.2)
    reason = client.get("/admin/refund-reasons", headers=auth).json()["refund_reasons"][0]["id"]
    response = client.get(f"/admin/refund-reasons/{reason}?fields={fields}", headers=auth)
    assert list(response.json()["refund_reason"]) == expected
