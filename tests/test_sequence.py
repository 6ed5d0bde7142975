"""A realistic admin session through the HTTP app, every response checked against specs/."""

from __future__ import annotations

import pytest

from helpers import ADMIN, AUTHORIZED, CAPTURED, make_client


@pytest.fixture
def checked():
    client = make_client()
    contract = client.app.state.mock.contract
    seen = []

    def call(operation_id, method, path, **kwargs):
        response = client.request(method, path, **kwargs)
        op = contract.operation(operation_id)
        check = contract.response_check(op, response.status_code)
        assert check is not None, f"{operation_id}: status {response.status_code} not in the spec"
        assert check.issues(response.json()) == [], response.text
        seen.append((operation_id, response.status_code))
        return response

    yield call, seen
    client.close()


def test_refund_story(checked):
    call, seen = checked
    token = call("PostActor_typeAuth_provider", "POST", "/auth/user/emailpass", json=ADMIN).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    payments = call("GetPayments", "GET", "/admin/payments?limit=5", headers=auth).json()
    assert payments["count"] == 10 and len(payments["payments"]) == 5
    call("GetPaymentsPaymentProviders", "GET", "/admin/payments/payment-providers", headers=auth)
    reasons = call("GetRefundReasons", "GET", "/admin/refund-reasons", headers=auth).json()["refund_reasons"]
    reason = call(
        "PostRefundReasons",
        "POST",
        "/admin/refund-reasons",
        json={"label": "Damaged in transit", "code": "damaged", "description": None},
        headers=auth,
    ).json()["refund_reason"]
    call(
        "PostRefundReasonsId",
        "POST",
        f"/admin/refund-reasons/{reason['id']}",
        json={"description": "Box arrived crushed"},
        headers=auth,
    )

    call(
        "PostPaymentsIdCapture",
        "POST",
        f"/admin/payments/{AUTHORIZED}/capture",
        json={"amount": 60},
        headers=auth,
    )
    refunded = call(
        "PostPaymentsIdRefund",
        "POST",
        f"/admin/payments/{AUTHORIZED}/refund?fields=%2Brefunds.*,%2Bpayment_collection.*",
        json={"amount": 20, "refund_reason_id": reason["id"], "note": "Partial"},
        headers=auth,
    ).json()["payment"]
    assert refunded["payment_collection"]["refunded_amount"] == 20
    call(
        "PostPaymentsIdRefund",
        "POST",
        f"/admin/payments/{AUTHORIZED}/refund",
        json={"amount": 41},
        headers=auth,
    )  # 400: over-refund
    call(
        "PostPaymentsIdRefund",
        "POST",
        f"/admin/payments/{CAPTURED}/refund",
        json={"refund_reason_id": reasons[0]["id"]},
        headers=auth,
    )
    call(
        "PostPaymentsIdRefund", "POST", "/admin/payments/pay_missing/refund", json={"amount": 1}, headers=auth
    )  # 404
    call("PostPaymentsIdRefund", "POST", f"/admin/payments/{CAPTURED}/refund", json={"amount": 1})  # 401
    payment = call(
        "GetPaymentsId", "GET", f"/admin/payments/{CAPTURED}?fields=%2Bpayment_session.*", headers=auth
    ).json()["payment"]
    assert payment["refunds"][0]["refund_reason"]["code"] == reasons[0]["code"]
    call("GetPaymentsId", "GET", "/admin/payments/pay_missing", headers=auth)
    call("DeleteRefundReasonsId", "DELETE", f"/admin/refund-reasons/{reason['id']}", headers=auth)
    call("GetRefundReasonsId", "GET", f"/admin/refund-reasons/{reason['id']}", headers=auth)
    session = call("PostSession", "POST", "/auth/session", headers=auth)
    cookie = session.headers["set-cookie"].split(";")[0]
    call("DeleteSession", "DELETE", "/auth/session", headers={"Cookie": cookie})

    assert {status for _, status in seen} == {200, 400, 401, 404}
    assert len({op for op, _ in seen}) == 13
