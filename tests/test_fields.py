"""The `fields` query parameter (medusa-behaviour.md §3)."""

from __future__ import annotations

from conftest import CAPTURED, PARTIALLY_REFUNDED


def get(client, auth, fields, payment_id=PARTIALLY_REFUNDED):
    response = client.get(f"/admin/payments/{payment_id}", params={"fields": fields}, headers=auth)
    assert response.status_code == 200, response.text
    return response.json()["payment"]


def test_bare_list_replaces_the_defaults(client, auth):
    assert get(client, auth, "id,amount") == {"id": PARTIALLY_REFUNDED, "amount": 100}


def test_id_is_always_there_and_last_when_not_asked(client, auth):
    payment = get(client, auth, "amount,refunds.amount")
    assert list(payment) == ["amount", "refunds", "id"]
    assert list(payment["refunds"][0]) == ["amount", "id"]


def test_plus_adds_to_the_defaults(client, auth):
    payment = get(client, auth, "+payment_collection.refunded_amount,+payment_collection.captured_amount,"
                                "+payment_collection.status")
    assert list(payment)[:8] == ["id", "currency_code", "amount", "captured_at", "payment_collection_id",
                                 "payment_session_id", "captures", "refunds"]
    assert payment["payment_collection"] == {"refunded_amount": 30, "captured_amount": 100,
                                             "status": "completed",
                                             "id": payment["payment_collection_id"]}


def test_unencoded_plus_is_a_space_and_still_adds(client, auth):
    response = client.get(f"/admin/payments/{PARTIALLY_REFUNDED}?fields=+provider_id", headers=auth)
    payment = response.json()["payment"]
    assert payment["provider_id"] == "pp_system_default" and "captures" in payment


def test_minus_removes_a_relation_and_everything_under_it(client, auth):
    payment = get(client, auth, "-refunds")
    assert "refunds" not in payment and "captures" in payment


def test_star_expands_every_column_in_model_order(client, auth):
    [capture] = get(client, auth, "+captures.*")["captures"]
    assert list(capture) == ["id", "payment_id", "metadata", "created_by", "raw_amount", "created_at",
                             "updated_at", "deleted_at", "amount"]
    assert capture["raw_amount"] == {"value": "100", "precision": 20}


def test_refunds_star_keeps_the_default_reason_object(client, auth):
    [refund] = get(client, auth, "+refunds.*")["refunds"]
    assert list(refund) == ["id", "payment_id", "refund_reason_id", "refund_reason", "note", "created_by",
                            "metadata", "raw_amount", "created_at", "updated_at", "deleted_at", "amount"]
    assert list(refund["refund_reason"]) == ["label", "code", "id"]


def test_reason_star(client, auth):
    [refund] = get(client, auth, "+refunds.refund_reason.*")["refunds"]
    assert list(refund["refund_reason"]) == ["id", "label", "code", "description", "metadata",
                                             "created_at", "updated_at", "deleted_at"]


def test_unknown_scalar_fields_are_ignored(client, auth):
    assert get(client, auth, "nonexistent_field") == {"id": PARTIALLY_REFUNDED}
    response = client.post(f"/admin/payments/{CAPTURED}/refund?fields=nonexistent_field",
                           json={"amount": 1}, headers=auth)
    assert response.json() == {"payment": {"id": CAPTURED}}


def test_unknown_relation_is_a_server_error(client, auth):
    response = client.get(f"/admin/payments/{CAPTURED}", params={"fields": "+foo.bar"}, headers=auth)
    assert response.status_code == 500
    assert response.json() == {"code": "unknown_error", "type": "unknown_error",
                               "message": "An unknown error occurred."}


def test_session_and_collection_relations(client, auth):
    payment = get(client, auth, "id,payment_session.status,payment_collection.*")
    assert payment["payment_session"] == {"status": "authorized", "id": payment["payment_session_id"]}
    collection = payment["payment_collection"]
    assert collection["status"] == "completed" and collection["authorized_amount"] == 100
    assert list(collection)[-4:] == ["amount", "authorized_amount", "captured_amount", "refunded_amount"]


def test_many_to_one_foreign_key_comes_before_its_relation(client, auth):
    payment = get(client, auth, "id,refunds.refund_reason.label")
    assert payment["refunds"][0] == {"refund_reason_id": payment["refunds"][0]["refund_reason_id"],
                                     "refund_reason": {"label": "Shipping Issue",
                                                       "id": payment["refunds"][0]["refund_reason_id"]},
                                     "id": payment["refunds"][0]["id"]}


def test_raw_amount(client, auth):
    assert get(client, auth, "id,raw_amount")["raw_amount"] == {"value": "100", "precision": 20}
