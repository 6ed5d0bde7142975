"""The `fields` query parameter (docs/medusa-behaviour.md §3)."""

from __future__ import annotations

import pytest

from helpers import CAPTURED, PARTIALLY_REFUNDED


def get(client, auth, fields, payment_id=PARTIALLY_REFUNDED):
    params = {} if fields is None else {"fields": fields}  # None: no `fields` at all
    response = client.get(f"/admin/payments/{payment_id}", params=params, headers=auth)
    assert response.status_code == 200, response.text
    return response.json()["payment"]


def test_bare_list_replaces_the_defaults(client, auth):
    assert get(client, auth, "id,amount") == {"id": PARTIALLY_REFUNDED, "amount": 100}


def test_scalars_first_then_id_then_foreign_keys_then_relations(client, auth):
    # observed on 2.21.2 (docs/real-backend-observations.md): requested order does not matter
    payment = get(client, auth, "refunds.amount,amount")
    assert list(payment) == ["amount", "id", "refunds"]
    assert list(payment["refunds"][0]) == ["amount", "id"]
    payment = get(client, auth, "captured_at,captures.amount,payment_collection.status")
    assert list(payment) == ["captured_at", "id", "payment_collection_id", "captures", "payment_collection"]
    payment = get(client, auth, "payment_collection_id,payment_collection.status")
    assert list(payment) == ["payment_collection_id", "id", "payment_collection"]
    assert payment["payment_collection"] == {"status": "completed", "id": payment["payment_collection_id"]}


def test_plus_raw_amount_lands_after_the_default_scalars(client, auth):
    assert list(get(client, auth, "+raw_amount"))[:8] == [
        "id",
        "currency_code",
        "amount",
        "captured_at",
        "payment_collection_id",
        "payment_session_id",
        "raw_amount",
        "captures",
    ]


def test_root_star_gives_exactly_the_defaults(client, auth):
    defaults = get(client, auth, None)
    assert get(client, auth, "*") == defaults
    assert get(client, auth, "+*") == defaults


def test_plus_adds_to_the_defaults(client, auth):
    payment = get(
        client,
        auth,
        "+payment_collection.refunded_amount,+payment_collection.captured_amount,+payment_collection.status",
    )
    assert list(payment)[:8] == [
        "id",
        "currency_code",
        "amount",
        "captured_at",
        "payment_collection_id",
        "payment_session_id",
        "captures",
        "refunds",
    ]
    assert payment["payment_collection"] == {
        "refunded_amount": 30,
        "captured_amount": 100,
        "status": "completed",
        "id": payment["payment_collection_id"],
    }


def test_unencoded_plus_is_a_space_and_still_adds(client, auth):
    response = client.get(f"/admin/payments/{PARTIALLY_REFUNDED}?fields=+provider_id", headers=auth)
    payment = response.json()["payment"]
    assert payment["provider_id"] == "pp_system_default" and "captures" in payment


def test_minus_removes_a_relation_and_everything_under_it(client, auth):
    payment = get(client, auth, "-refunds")
    assert "refunds" not in payment and "captures" in payment


def test_star_expands_every_column_in_model_order(client, auth):
    [capture] = get(client, auth, "+captures.*")["captures"]
    assert list(capture) == [
        "id",
        "payment_id",
        "metadata",
        "created_by",
        "raw_amount",
        "created_at",
        "updated_at",
        "deleted_at",
        "amount",
    ]
    assert capture["raw_amount"] == {"value": "100", "precision": 20}


def test_refunds_star_keeps_the_default_reason_object(client, auth):
    [refund] = get(client, auth, "+refunds.*")["refunds"]
    assert list(refund) == [
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
    assert list(refund["refund_reason"]) == ["label", "code", "id"]


def test_reason_star(client, auth):
    [refund] = get(client, auth, "+refunds.refund_reason.*")["refunds"]
    assert list(refund["refund_reason"]) == [
        "id",
        "label",
        "code",
        "description",
        "metadata",
        "created_at",
        "updated_at",
        "deleted_at",
    ]


def test_unknown_scalar_fields_are_ignored(client, auth):
    assert get(client, auth, "nonexistent_field") == {"id": PARTIALLY_REFUNDED}
    response = client.post(
        f"/admin/payments/{CAPTURED}/refund?fields=nonexistent_field", json={"amount": 1}, headers=auth
    )
    assert response.json() == {"payment": {"id": CAPTURED}}


def test_unknown_relations_are_ignored(client, auth):
    assert get(client, auth, "+foo.bar") == get(client, auth, None)
    assert get(client, auth, "foo.bar") == {"id": PARTIALLY_REFUNDED}


def test_session_star_shows_its_collection_as_an_id_object(client, auth):
    session = get(client, auth, "+payment_session.*")["payment_session"]
    assert list(session) == [
        "id",
        "currency_code",
        "provider_id",
        "data",
        "context",
        "status",
        "authorized_at",
        "payment_collection_id",
        "payment_collection",
        "metadata",
        "raw_amount",
        "created_at",
        "updated_at",
        "deleted_at",
        "amount",
    ]
    assert session["payment_collection"] == {"id": session["payment_collection_id"]}


def test_session_and_collection_relations(client, auth):
    payment = get(client, auth, "id,payment_session.status,payment_collection.*")
    assert payment["payment_session"] == {"status": "authorized", "id": payment["payment_session_id"]}
    collection = payment["payment_collection"]
    assert collection["status"] == "completed" and collection["authorized_amount"] == 100
    assert list(collection)[-4:] == ["amount", "authorized_amount", "captured_amount", "refunded_amount"]


def test_many_to_one_foreign_key_comes_before_its_relation(client, auth):
    payment = get(client, auth, "id,refunds.refund_reason.label")
    [refund] = payment["refunds"]
    assert list(refund) == ["id", "refund_reason_id", "refund_reason"]
    assert refund["refund_reason"] == {"label": "Shipping Issue", "id": refund["refund_reason_id"]}


def test_raw_amount(client, auth):
    assert get(client, auth, "id,raw_amount")["raw_amount"] == {"value": "100", "precision": 20}


def test_parse_tells_an_empty_fields_from_an_absent_one():
    from mock_server.backend.fields import parse

    assert parse(None, ("id", "amount")) == ["id", "amount"]
    assert parse("", ("id", "amount")) == []
    assert parse(",", ("id", "amount")) == []


def test_empty_fields_leaves_only_the_id_on_every_route(client, auth):
    # observed on 2.21.2: `fields=` is a present, empty selection (Medusa's FieldParser replaces
    # the defaults when no item is given), not the defaults
    def only_ids(response, key):
        assert response.status_code == 200, response.text
        body = response.json()
        items = body[key] if isinstance(body[key], list) else [body[key]]
        assert items and all(list(item) == ["id"] for item in items), body
        return body

    assert get(client, auth, "") == {"id": PARTIALLY_REFUNDED}
    assert get(client, auth, ",") == {"id": PARTIALLY_REFUNDED}
    page = only_ids(client.get("/admin/payments?fields=&limit=2", headers=auth), "payments")
    assert list(page) == ["payments", "count", "offset", "limit"]
    only_ids(client.get("/admin/payments/payment-providers?fields=", headers=auth), "payment_providers")
    reasons = only_ids(client.get("/admin/refund-reasons?fields=", headers=auth), "refund_reasons")
    reason_id = reasons["refund_reasons"][0]["id"]
    only_ids(client.get(f"/admin/refund-reasons/{reason_id}?fields=", headers=auth), "refund_reason")
    created = only_ids(
        client.post("/admin/refund-reasons?fields=", json={"label": "L", "code": "c"}, headers=auth),
        "refund_reason",
    )
    only_ids(
        client.post(
            f"/admin/refund-reasons/{created['refund_reason']['id']}?fields=",
            json={"label": "M"},
            headers=auth,
        ),
        "refund_reason",
    )
    assert client.post(
        f"/admin/payments/{CAPTURED}/refund?fields=", json={"amount": 1}, headers=auth
    ).json() == {"payment": {"id": CAPTURED}}


def test_empty_fields_on_capture(client, auth):
    from helpers import AUTHORIZED

    response = client.post(f"/admin/payments/{AUTHORIZED}/capture?fields=", json={"amount": 1}, headers=auth)
    assert response.status_code == 200, response.text
    assert response.json() == {"payment": {"id": AUTHORIZED}}


def test_a_bare_relation_star_adds_to_the_defaults(client, auth):
    # observed on 2.21.2: `rel.*` does not switch to replace mode (Medusa's FieldParser), so
    # `refunds.*` alone is the defaults with every refund column
    assert get(client, auth, "refunds.*") == get(client, auth, "+refunds.*")
    assert list(get(client, auth, "refunds.*")) == list(get(client, auth, None))
    assert list(get(client, auth, "id,refunds.*")) == ["id", "refunds"]


@pytest.mark.parametrize(
    "fields, status, body",
    [
        ("__proto__", 400, {"type": "invalid_data", "message": 'column "undefined" does not exist'}),
        ("%2B__proto__", 400, {"type": "invalid_data", "message": 'column "undefined" does not exist'}),
        ("constructor", 400, {"type": "invalid_data", "message": "column p0.Object does not exist"}),
        (
            "constructor,__proto__",
            400,
            {"type": "invalid_data", "message": "column p0.Object does not exist"},
        ),
        (
            "__proto__,constructor",
            400,
            {"type": "invalid_data", "message": 'column "undefined" does not exist'},
        ),
        (
            "toString,__proto__",
            500,
            {"code": "unknown_error", "type": "unknown_error", "message": "An unknown error occurred."},
        ),
    ],
)
def test_a_field_named_as_an_object_prototype_property_fails_the_query(client, auth, fields, status, body):
    # observed on 2.21.2, on a read of any row, of none, and of a list
    for path in (f"/admin/payments/{CAPTURED}", "/admin/payments/pay_nope", "/admin/payments"):
        response = client.get(f"{path}?fields={fields}", headers=auth)
        assert (response.status_code, response.json()) == (status, body)
    assert client.get("/admin/payments?fields=-__proto__", headers=auth).status_code == 200


def test_a_refund_whose_fields_fail_the_refetch_is_still_stored(client, auth):
    # observed on 2.21.2: the write is done, then the read that answers it fails
    response = client.post(
        f"/admin/payments/{CAPTURED}/refund?fields=__proto__", json={"amount": 1}, headers=auth
    )
    assert (response.status_code, response.json()) == (
        400,
        {"type": "invalid_data", "message": 'column "undefined" does not exist'},
    )
    reason = client.post(
        "/admin/refund-reasons?fields=constructor", json={"label": "l", "code": "c"}, headers=auth
    )
    assert reason.json() == {"type": "invalid_data", "message": "column r0.Object does not exist"}
    payment = client.get(f"/admin/payments/{CAPTURED}?fields=refunds.amount", headers=auth).json()["payment"]
    assert [r["amount"] for r in payment["refunds"]] == [1]
    assert client.get("/admin/refund-reasons", headers=auth).json()["count"] == 4
