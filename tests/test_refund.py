"""POST /admin/payments/{id}/refund: every rule of docs/medusa-behaviour.md §4, pinned exactly."""

from __future__ import annotations

import pytest

from helpers import (
    AUTHORIZED,
    CANCELED,
    CAPTURED,
    DINAR,
    EPSILON,
    NO_ORDER,
    PARTIALLY_CAPTURED,
    PARTIALLY_REFUNDED,
    REFUNDED,
    YEN,
)

OVER_WITH_AMOUNT = "You are not allowed to refund more than the captured amount"
OVER = "You cannot refund more than what is captured on the payment."


def refund(client, auth, payment_id, body=None, query="", **kwargs):
    return client.post(f"/admin/payments/{payment_id}/refund{query}", json=body, headers=auth, **kwargs)


def error(response, status, type_, message):
    assert response.status_code == status, response.text
    assert response.json() == {"type": type_, "message": message}


def state(client, auth, payment_id, fields="+payment_collection.refunded_amount,+refunds.created_by"):
    return client.get(f"/admin/payments/{payment_id}?fields={fields}", headers=auth).json()["payment"]


def test_success_returns_the_refetched_payment_with_default_fields(client, auth):
    response = refund(client, auth, CAPTURED, {"amount": 10})
    assert response.status_code == 200
    payment = response.json()["payment"]
    assert list(payment) == [
        "id",
        "currency_code",
        "amount",
        "captured_at",
        "payment_collection_id",
        "payment_session_id",
        "captures",
        "refunds",
    ]
    assert payment["id"] == CAPTURED and payment["amount"] == 100
    assert [list(c) for c in payment["captures"]] == [["id", "amount"]]
    [new] = payment["refunds"]
    assert list(new) == ["id", "amount", "note", "payment_id", "refund_reason_id", "refund_reason"]
    assert new["id"].startswith("ref_") and len(new["id"]) == 30
    assert new == {
        "id": new["id"],
        "amount": 10,
        "note": None,
        "payment_id": CAPTURED,
        "refund_reason_id": None,
        "refund_reason": None,
    }


@pytest.mark.parametrize(
    "body, message",
    [
        ({"amount": "abc"}, "Expected type: 'number' for field 'amount', got: 'abc'"),
        ({"amount": "10"}, "Expected type: 'number' for field 'amount', got: '10'"),
        ({"amount": None}, "Expected type: 'number' for field 'amount', got: 'null'"),
        ({"amount": True}, "Expected type: 'number' for field 'amount', got: 'true'"),
        ({"amount": 0}, "Value for field 'amount' too small, expected at least: '0'"),
        ({"amount": -5}, "Value for field 'amount' too small, expected at least: '0'"),
        ({"foo": 1}, "Unrecognized fields: 'foo'"),
        ({"amount": 5, "foo": 1}, "Unrecognized fields: 'foo'"),
        ({"foo": 1, "bar": 2}, "Unrecognized fields: 'foo, bar'"),
        ({"amount": 1, "metadata": {"a": 1}}, "Unrecognized fields: 'metadata'"),
        (
            {"amount": 5, "refund_reason_id": 123},
            "Expected type: 'string' for field 'refund_reason_id', got: '123'",
        ),
        (
            {"amount": 1, "refund_reason_id": None},
            "Expected type: 'string' for field 'refund_reason_id', got: 'null'",
        ),
        ({"amount": 5, "note": 5}, "Expected type: 'string' for field 'note', got: '5'"),
        (
            {"amount": "abc", "note": 5, "foo": 1},
            "Expected type: 'number' for field 'amount', got: 'abc'; Expected type: 'string' for field "
            "'note', got: '5'; Unrecognized fields: 'foo'",
        ),
        ([], "Field '' is required"),
    ],
)
def test_body_validation_messages(client, auth, body, message):
    error(refund(client, auth, CAPTURED, body), 400, "invalid_data", f"Invalid request: {message}")
    assert state(client, auth, CAPTURED)["refunds"] == []


def test_at_most_three_issues_are_reported(client, auth):
    response = refund(client, auth, CAPTURED, {"amount": "x", "refund_reason_id": 1, "note": 2, "zz": 1})
    message = response.json()["message"]
    assert message.count("; ") == 2 and "Unrecognized" not in message


def test_text_plain_body_is_not_an_object(client, auth):
    response = client.post(
        f"/admin/payments/{CAPTURED}/refund",
        content=b"amount=5",
        headers={**auth, "Content-Type": "text/plain"},
    )
    error(response, 400, "invalid_data", "Invalid request: Field '' is required")


def test_unknown_query_parameter_is_rejected(client, auth):
    error(
        refund(client, auth, CAPTURED, {"amount": 1}, "?foo=bar"),
        400,
        "invalid_data",
        "Invalid request: Unrecognized fields: 'foo'",
    )
    error(
        refund(client, auth, CAPTURED, {"amount": 1}, "?limit=5"),
        400,
        "invalid_data",
        "Invalid request: Unrecognized fields: 'limit'",
    )


def test_invalid_body_beats_unknown_payment_and_invalid_query(client, auth):
    error(
        refund(client, auth, "pay_does_not_exist", {"amount": "abc"}, "?foo=1"),
        400,
        "invalid_data",
        "Invalid request: Expected type: 'number' for field 'amount', got: 'abc'",
    )


def test_unknown_payment(client, auth):
    error(
        refund(client, auth, "pay_does_not_exist", {"amount": 10}),
        404,
        "not_found",
        "Payment id not found: pay_does_not_exist",
    )


def test_over_refund_with_amount_given(client, auth):
    assert refund(client, auth, CAPTURED, {"amount": 40}).status_code == 200
    error(refund(client, auth, CAPTURED, {"amount": 61}), 400, "invalid_data", OVER_WITH_AMOUNT)
    assert refund(client, auth, CAPTURED, {"amount": 60.01}).status_code == 200


def test_omitted_amount_means_the_full_payment_amount(client, auth):
    response = refund(client, auth, CAPTURED, {})
    assert response.status_code == 200
    assert [r["amount"] for r in response.json()["payment"]["refunds"]] == [100]
    error(refund(client, auth, CAPTURED, {}), 400, "invalid_data", OVER)


def test_no_body_at_all_is_the_same_as_empty_object(client, auth):
    response = client.post(f"/admin/payments/{CAPTURED}/refund", headers=auth)
    assert response.status_code == 200
    assert response.json()["payment"]["refunds"][0]["amount"] == 100


def test_omitted_amount_after_a_partial_refund_is_over_refund(client, auth):
    error(refund(client, auth, PARTIALLY_REFUNDED, {}), 400, "invalid_data", OVER)


def test_currency_epsilon_usd(client, auth):
    error(refund(client, auth, EPSILON, {"amount": 30.02}), 400, "invalid_data", OVER_WITH_AMOUNT)
    assert refund(client, auth, EPSILON, {"amount": 30.01}).status_code == 200
    collection = state(client, auth, EPSILON)["payment_collection"]
    assert collection["refunded_amount"] == 30.01
    error(refund(client, auth, EPSILON, {"amount": 0.01}), 400, "invalid_data", OVER_WITH_AMOUNT)


def test_the_smallest_amounts_are_added_exactly(client, auth):
    """Observed on 2.21.2: captured 30 and refunded 30.01 (over by exactly the epsilon), a
    further 5e-324 crosses it; refunded all that was captured, 5e-324 passes and 0.01 more does not.
    Sums with Decimal's default 28 digits lost the 5e-324 (found by the generated diff)."""
    assert refund(client, auth, EPSILON, {"amount": 30.01}).status_code == 200
    error(refund(client, auth, EPSILON, {"amount": 5e-324}), 400, "invalid_data", OVER_WITH_AMOUNT)
    error(refund(client, auth, EPSILON, {"amount": 1e-300}), 400, "invalid_data", OVER_WITH_AMOUNT)
    assert refund(client, auth, CAPTURED, {"amount": 100}).status_code == 200
    assert refund(client, auth, CAPTURED, {"amount": 5e-324}).status_code == 200
    error(refund(client, auth, CAPTURED, {"amount": 0.01}), 400, "invalid_data", OVER_WITH_AMOUNT)


def test_currency_epsilon_follows_the_currency_digits(client, auth):
    # JPY has no decimals: the tolerance is 1 yen; KWD has three: 0.001
    error(refund(client, auth, YEN, {"amount": 5001.5}), 400, "invalid_data", OVER_WITH_AMOUNT)
    assert refund(client, auth, YEN, {"amount": 5001}).status_code == 200
    error(refund(client, auth, DINAR, {"amount": 12.347}), 400, "invalid_data", OVER_WITH_AMOUNT)
    assert refund(client, auth, DINAR, {"amount": 12.346}).status_code == 200


@pytest.mark.parametrize(
    "currency, allowed, refused",
    [
        ("huf", 5000.99, 5001.01),  # 0 digits in Medusa's own table (CLDR and Intl say 2)
        ("cop", 5000.99, 5001.01),
        ("rsd", 5000.99, 5001.01),
        ("xyz", 5000.01, 5000.02),  # not in the table: Medusa's default epsilon, 0.01
        ("bhd", 5000.001, 5000.002),
    ],
)
def test_the_epsilon_is_medusas_table_not_cldr(client, auth, currency, allowed, refused):
    # read in @medusajs/payment 2.21.2: getEpsilonFromDecimalPrecision(defaultCurrencies[code]?.decimal_digits)
    document = (
        f"payments:\n  - id: pay_X\n    amount: 5000\n    currency_code: {currency}\n    captured: true\n"
    )
    assert client.post("/__mock/load", content=document.encode()).status_code == 200
    error(refund(client, auth, "pay_X", {"amount": refused}), 400, "invalid_data", OVER_WITH_AMOUNT)
    assert refund(client, auth, "pay_X", {"amount": allowed}).status_code == 200


def test_uncaptured_payment(client, auth):
    error(refund(client, auth, AUTHORIZED, {"amount": 1}), 400, "invalid_data", OVER_WITH_AMOUNT)
    error(refund(client, auth, AUTHORIZED, {}), 400, "invalid_data", OVER)


def test_partially_captured_payment(client, auth):
    error(refund(client, auth, PARTIALLY_CAPTURED, {"amount": 50}), 400, "invalid_data", OVER_WITH_AMOUNT)
    assert refund(client, auth, PARTIALLY_CAPTURED, {"amount": 15}).status_code == 200


def test_fully_refunded_payment(client, auth):
    error(refund(client, auth, REFUNDED, {"amount": 1}), 400, "invalid_data", OVER_WITH_AMOUNT)


def test_canceled_payment_has_no_refund_check_of_its_own(client, auth):
    # Medusa has no canceled check in the refund path: only the captured amount limits it
    error(refund(client, auth, CANCELED, {"amount": 1}), 400, "invalid_data", OVER_WITH_AMOUNT)


def test_payment_without_an_order_link(client, auth):
    collection = state(client, auth, NO_ORDER)["payment_collection_id"]
    error(
        refund(client, auth, NO_ORDER, {"amount": 10}),
        404,
        "not_found",
        f"LinkOrderPaymentCollection payment_collection_id not found: {collection}",
    )


def test_over_refund_with_amount_beats_order_link_and_unknown_reason(client, auth):
    error(
        refund(client, auth, NO_ORDER, {"amount": 1000, "refund_reason_id": "refr_nope"}),
        400,
        "invalid_data",
        OVER_WITH_AMOUNT,
    )


def test_order_link_beats_unknown_reason(client, auth):
    response = refund(client, auth, NO_ORDER, {"amount": 1, "refund_reason_id": "refr_nope"})
    assert response.status_code == 404
    assert response.json()["message"].startswith("LinkOrderPaymentCollection")


def test_unknown_refund_reason(client, auth):
    error(
        refund(client, auth, CAPTURED, {"amount": 5, "refund_reason_id": "refr_does_not_exist"}),
        404,
        "not_found",
        "RefundReason id not found: refr_does_not_exist",
    )
    assert state(client, auth, CAPTURED)["refunds"] == []


def test_with_amount_omitted_the_reason_lookup_precedes_the_locked_check(client, auth):
    # amount omitted: #6 is skipped, so the reason lookup (#8) fails before the locked check (#9)
    error(
        refund(client, auth, PARTIALLY_REFUNDED, {"refund_reason_id": "refr_x"}),
        404,
        "not_found",
        "RefundReason id not found: refr_x",
    )


def test_deleted_refund_reason_is_not_found(client, auth):
    reason = client.post(
        "/admin/refund-reasons", json={"label": "Temp", "code": "temp"}, headers=auth
    ).json()["refund_reason"]
    client.delete(f"/admin/refund-reasons/{reason['id']}", headers=auth)
    error(
        refund(client, auth, CAPTURED, {"amount": 1, "refund_reason_id": reason["id"]}),
        404,
        "not_found",
        f"RefundReason id not found: {reason['id']}",
    )


def test_a_refund_keeps_its_reason_id_after_the_reason_is_deleted(client, auth):
    # observed on 2.21.2: the relation is null, the id stays, and `refunds.*` shows {"id"}
    reason = client.post(
        "/admin/refund-reasons", json={"label": "Temp", "code": "temp"}, headers=auth
    ).json()["refund_reason"]
    refund(client, auth, CAPTURED, {"amount": 1, "refund_reason_id": reason["id"]})
    client.delete(f"/admin/refund-reasons/{reason['id']}", headers=auth)
    [kept] = client.get(f"/admin/payments/{CAPTURED}", headers=auth).json()["payment"]["refunds"]
    assert (kept["refund_reason_id"], kept["refund_reason"]) == (reason["id"], None)
    [kept] = client.get(f"/admin/payments/{CAPTURED}?fields=id,refunds.*", headers=auth).json()["payment"][
        "refunds"
    ]
    assert kept["refund_reason"] == {"id": reason["id"]}


def test_empty_refund_reason_id_is_a_server_error_and_refunds_nothing(client, auth):
    # observed on 2.21.2 (make diff): 500, and no refund is kept
    response = refund(client, auth, CAPTURED, {"amount": 1, "refund_reason_id": ""})
    assert response.status_code == 500
    assert response.json() == {
        "code": "unknown_error",
        "type": "unknown_error",
        "message": "An unknown error occurred.",
    }
    assert state(client, auth, CAPTURED)["refunds"] == []


def test_an_empty_refund_reason_id_comes_after_the_amount_check(client, auth):
    # observed on 2.21.2: on a fully refunded payment, no amount (the whole payment) with an
    # empty reason id is the over-refund 400, not the 500 of the write
    response = refund(client, auth, REFUNDED, {"refund_reason_id": ""})
    assert response.status_code == 400
    assert response.json() == {
        "type": "invalid_data",
        "message": "You cannot refund more than what is captured on the payment.",
    }
    assert len(state(client, auth, REFUNDED)["refunds"]) == 1  # what the fixture had


def test_a_nul_character_in_the_note_fails_at_the_write(client, auth):
    # PostgreSQL refuses NUL in text: after the amount check (a 400 first), a 500 and no refund
    error(
        refund(client, auth, REFUNDED, {"amount": 1, "note": "a\u0000"}),
        400,
        "invalid_data",
        OVER_WITH_AMOUNT,
    )
    response = refund(client, auth, CAPTURED, {"amount": 1, "note": "a\u0000b"})
    assert response.status_code == 500
    assert response.json()["type"] == "unknown_error"
    assert state(client, auth, CAPTURED)["refunds"] == []


def test_a_tiny_refund_does_not_move_the_collection_total(client, auth):
    # observed: 1e-7 after 10 leaves refunded_amount at 10 (raw "10"); the refund keeps "1e-7"
    refund(client, auth, CAPTURED, {"amount": 10})
    refund(client, auth, CAPTURED, {"amount": 1e-7})
    payment = client.get(
        f"/admin/payments/{CAPTURED}?fields=id,refunds.raw_amount,payment_collection.raw_refunded_amount",
        headers=auth,
    ).json()["payment"]
    assert payment["payment_collection"]["raw_refunded_amount"]["value"] == "10"
    assert [r["raw_amount"]["value"] for r in payment["refunds"]] == ["10", "1e-7"]


def test_the_order_link_is_visible_through_the_collection(client, auth):
    payment = client.get(
        f"/admin/payments/{CAPTURED}?fields=id,payment_collection.order.id", headers=auth
    ).json()["payment"]
    assert payment["payment_collection"]["order"]["id"].startswith("order_")
    payment = client.get(
        f"/admin/payments/{NO_ORDER}?fields=id,payment_collection.order.id", headers=auth
    ).json()["payment"]
    assert payment["payment_collection"]["order"] is None


def test_note_reason_and_creator_are_stored(client, auth):
    reasons = client.get("/admin/refund-reasons", headers=auth).json()["refund_reasons"]
    pricing = next(r for r in reasons if r["code"] == "pricing_error")
    response = refund(
        client, auth, CAPTURED, {"amount": 7.5, "refund_reason_id": pricing["id"], "note": "Coupon missing"}
    )
    [new] = response.json()["payment"]["refunds"]
    assert new["note"] == "Coupon missing" and new["amount"] == 7.5
    assert new["refund_reason_id"] == pricing["id"]
    assert new["refund_reason"] == {"label": "Pricing Error", "code": "pricing_error", "id": pricing["id"]}
    me = client.post("/auth/session", headers=auth).json()["user"]["actor_id"]
    assert state(client, auth, CAPTURED)["refunds"][0]["created_by"] == me


@pytest.mark.parametrize(
    "amount, shown, raw",
    [(2.5, 2.5, "2.5"), (0.001, 0.001, "0.001"), (12.345, 12.345, "12.345"), (1e-7, 0, "1e-7")],
)
def test_sub_cent_amounts_are_kept(client, auth, amount, shown, raw):
    response = refund(client, auth, CAPTURED, {"amount": amount}, "?fields=%2Brefunds.raw_amount")
    [new] = response.json()["payment"]["refunds"]
    assert new["amount"] == shown
    assert new["raw_amount"] == {"value": raw, "precision": 20}


def test_ten_refunds_of_a_tenth_sum_exactly_to_one(client, auth):
    for _ in range(10):
        assert refund(client, auth, CAPTURED, {"amount": 0.1}).status_code == 200
    response = client.get(
        f"/admin/payments/{CAPTURED}?fields=%2Bpayment_collection.refunded_amount,"
        "%2Bpayment_collection.raw_refunded_amount",
        headers=auth,
    )
    collection = response.json()["payment"]["payment_collection"]
    assert collection["refunded_amount"] == 1
    assert collection["raw_refunded_amount"]["value"] == "1"
    assert b'"refunded_amount":1,' in response.content or b'"refunded_amount":1}' in response.content


def test_collection_totals_and_status_after_refunds(client, auth):
    refund(client, auth, CAPTURED, {"amount": 10})
    refund(client, auth, CAPTURED, {"amount": 20})
    fields = (
        "?fields=%2Bpayment_collection.status,%2Bpayment_collection.amount,"
        "%2Bpayment_collection.captured_amount,%2Bpayment_collection.refunded_amount"
    )
    collection = client.get(f"/admin/payments/{CAPTURED}{fields}", headers=auth).json()["payment"][
        "payment_collection"
    ]
    assert collection == {
        "status": "completed",
        "amount": 100,
        "captured_amount": 100,
        "refunded_amount": 30,
        "id": collection["id"],
    }
    refund(client, auth, CAPTURED, {"amount": 70})
    collection = client.get(f"/admin/payments/{CAPTURED}{fields}", headers=auth).json()["payment"][
        "payment_collection"
    ]
    assert collection["status"] == "completed" and collection["refunded_amount"] == 100


def test_refunds_are_not_idempotent(client, auth):
    refund(client, auth, CAPTURED, {"amount": 1})
    response = refund(client, auth, CAPTURED, {"amount": 1})
    assert len(response.json()["payment"]["refunds"]) == 2


def test_a_rejected_refund_leaves_no_trace(client, auth):
    before = client.get("/__mock/state").json()
    for body, query in [
        ({"amount": 1000}, ""),
        ({}, ""),
        ({"amount": "x"}, ""),
        ({"amount": 1, "refund_reason_id": "refr_nope"}, ""),
        ({"amount": 1}, "?x=1"),
    ]:
        assert refund(client, auth, PARTIALLY_REFUNDED, body, query).status_code >= 400
    assert refund(client, auth, NO_ORDER, {"amount": 1}).status_code == 404
    assert client.get("/__mock/state").json() == before


def test_trailing_slash_refunds_normally(client, auth):
    response = client.post(f"/admin/payments/{CAPTURED}/refund/", json={"amount": 1}, headers=auth)
    assert response.status_code == 200
    assert [r["amount"] for r in response.json()["payment"]["refunds"]] == [1]
