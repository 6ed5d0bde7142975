"""POST /admin/payments/{id}/capture (docs/medusa-behaviour.md §5)."""

from __future__ import annotations

import pytest

from helpers import AUTHORIZED, CANCELED, CAPTURED, PARTIALLY_CAPTURED

OVER_CAPTURE = "You cannot capture more than the authorized amount substracted by what is already captured."
FIELDS = "?fields=%2Bpayment_collection.status,%2Bpayment_collection.captured_amount,%2Bcaptures.created_by"


def capture(client, auth, payment_id, body=None, query=""):
    return client.post(f"/admin/payments/{payment_id}/capture{query}", json=body, headers=auth)


def test_partial_capture_then_the_rest(client, auth):
    response = capture(client, auth, AUTHORIZED, {"amount": 40}, FIELDS)
    assert response.status_code == 200
    payment = response.json()["payment"]
    assert payment["captured_at"] is None
    assert [c["amount"] for c in payment["captures"]] == [40]
    assert payment["payment_collection"]["status"] == "authorized"
    assert payment["payment_collection"]["captured_amount"] == 40
    me = client.post("/auth/session", headers=auth).json()["user"]["actor_id"]
    assert payment["captures"][0]["created_by"] == me

    response = capture(client, auth, AUTHORIZED, {}, "")
    assert response.status_code == 400
    assert response.json() == {"type": "invalid_data", "message": OVER_CAPTURE}

    response = capture(client, auth, AUTHORIZED, {"amount": 60}, FIELDS)
    payment = response.json()["payment"]
    assert payment["captured_at"] is not None
    assert payment["payment_collection"]["status"] == "completed"
    assert payment["payment_collection"]["captured_amount"] == 100


def test_capture_without_amount_captures_the_whole_payment(client, auth):
    payment = capture(client, auth, AUTHORIZED).json()["payment"]
    assert [c["amount"] for c in payment["captures"]] == [100]
    assert payment["captured_at"] is not None


def test_over_capture(client, auth):
    response = capture(client, auth, PARTIALLY_CAPTURED, {"amount": 60.01})
    assert (response.status_code, response.json()) == (400, {"type": "invalid_data", "message": OVER_CAPTURE})
    assert capture(client, auth, PARTIALLY_CAPTURED, {"amount": 60}).status_code == 200


def test_already_fully_captured_answers_200_and_changes_nothing(client, auth):
    before = client.get(f"/admin/payments/{CAPTURED}", headers=auth).json()
    for body in ({}, {"amount": 5}, {"amount": 5000}):
        response = capture(client, auth, CAPTURED, body)
        assert response.status_code == 200
        assert response.json() == before


def test_canceled_payment(client, auth):
    response = capture(client, auth, CANCELED, {"amount": 1})
    assert response.status_code == 400
    assert response.json() == {
        "type": "invalid_data",
        "message": f"The payment: {CANCELED} has been canceled.",
    }


def test_unknown_payment_wording_differs_from_refund(client, auth):
    response = capture(client, auth, "pay_does_not_exist", {"amount": 1})
    assert response.status_code == 404
    assert response.json() == {
        "type": "not_found",
        "message": "Payment with id: pay_does_not_exist was not found",
    }


def test_capture_validation(client, auth):
    for body, message in [
        ({"amount": 0}, "Value for field 'amount' too small, expected at least: '0'"),
        ({"foo": 1}, "Unrecognized fields: 'foo'"),
        ({"amount": 1, "note": "x"}, "Unrecognized fields: 'note'"),
    ]:
        response = capture(client, auth, AUTHORIZED, body)
        assert response.status_code == 400
        assert response.json() == {"type": "invalid_data", "message": f"Invalid request: {message}"}


def test_capture_then_refund(client, auth):
    capture(client, auth, AUTHORIZED, {"amount": 40})
    refund = client.post(f"/admin/payments/{AUTHORIZED}/refund", json={"amount": 15}, headers=auth)
    assert refund.status_code == 200
    refund = client.post(f"/admin/payments/{AUTHORIZED}/refund", json={"amount": 26}, headers=auth)
    assert refund.json()["message"] == "You are not allowed to refund more than the captured amount"


def test_a_capture_within_rounding_of_the_whole_completes_the_payment(client, auth):
    # observed on 2.21.2: Medusa compares the totals rounded to the currency's digits, so 99.996
    # of 100 USD is the whole; a further capture then changes nothing
    payment = capture(client, auth, AUTHORIZED, {"amount": 99.996}, FIELDS).json()["payment"]
    assert payment["captured_at"] is not None
    assert [c["amount"] for c in payment["captures"]] == [99.996]
    assert payment["payment_collection"]["status"] == "completed"
    after = capture(client, auth, AUTHORIZED, {"amount": 0.004}, FIELDS).json()["payment"]
    assert [c["amount"] for c in after["captures"]] == [99.996]


def _authorized(client, currency: str, amount) -> str:
    document = (
        f"payments:\n  - id: pay_{currency.upper()}\n    amount: {amount}\n    currency_code: {currency}\n"
    )
    assert client.post("/__mock/load", content=document.encode()).status_code == 200
    return f"pay_{currency.upper()}"


@pytest.mark.parametrize(
    "currency, amount, captured, answer",
    [
        # Medusa rounds with Intl.NumberFormat's digits; a currency written without a decimal
        # point (JPY, HUF) throws in its rounding and is compared unrounded (read in
        # @medusajs/payment's roundToCurrencyPrecision; Node 20's en-US formats; the JPY
        # case observed on 2.21.2)
        ("jpy", 5000, 5000.4, 400),
        ("jpy", 5000, 5000, 200),
        ("huf", 5000, 5000.4, 400),
        ("usd", 100, 100.004, 200),
        ("rsd", 100, 100.004, 200),  # 0 digits in Medusa's table, 2 in Intl
        ("kwd", 12.345, 12.3454, 200),
        ("kwd", 12.345, 12.3455, 400),
    ],
)
def test_a_capture_is_rounded_as_intl_formats_the_currency(client, auth, currency, amount, captured, answer):
    payment_id = _authorized(client, currency, amount)
    response = capture(client, auth, payment_id, {"amount": captured})
    assert response.status_code == answer, response.text
    if answer == 400:
        assert response.json() == {"type": "invalid_data", "message": OVER_CAPTURE}


def test_a_yen_capture_short_of_the_whole_by_a_fraction_leaves_it_authorized(client, auth):
    # observed on 2.21.2: JPY is not rounded, so 4999.6 of 5000 is not the whole; 0.4 more is
    payment_id = _authorized(client, "jpy", 5000)
    payment = capture(client, auth, payment_id, {"amount": 4999.6}, FIELDS).json()["payment"]
    assert (payment["captured_at"], payment["payment_collection"]["status"]) == (None, "authorized")
    payment = capture(client, auth, payment_id, {"amount": 0.4}, FIELDS).json()["payment"]
    assert payment["captured_at"] is not None
    assert sorted(c["amount"] for c in payment["captures"]) == [0.4, 4999.6]
    assert payment["payment_collection"]["status"] == "completed"
