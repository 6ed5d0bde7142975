"""The journal, fault rules, ``Prefer: code=`` and latency as the request pipeline applies
them (mock_server/web/pipeline.py; the rules and the journal themselves are unit-tested in
test_faults.py and test_journal.py)."""

from __future__ import annotations

import time
from decimal import Decimal
from types import SimpleNamespace

import httpx
import pytest

from mock_server.control import steering
from mock_server.control.steering import ConnectionDropped
from tests.helpers import ADMIN, CAPTURED, LiveServer, login, make_client

REFUND = f"/admin/payments/{CAPTURED}/refund"
ORIGIN = "http://localhost:5173"  # in Medusa's default ADMIN_CORS


@pytest.fixture
def steered():
    client = make_client()
    token = login(client)
    client.headers["authorization"] = f"Bearer {token}"
    yield client, client.app.mock
    client.close()


def _refunds(mock) -> list:
    return list(mock.store.payments[CAPTURED].refunds)


def test_the_journal_holds_what_was_sent_and_answered_newest_first(steered):
    client, mock = steered
    client.post(REFUND, json={"amount": 25, "note": "first"})
    client.post(REFUND, json={"amount": -1})
    client.get("/admin/payments?limit=1")
    entries, count = mock.journal.query()
    assert count == 4  # the login too
    newest, rejected, refund, login_ = entries[0], entries[1], entries[2], entries[3]
    assert (newest["method"], newest["path"], newest["query"]) == ("GET", "/admin/payments", "limit=1")
    assert newest["operation"] == "GetPayments" and newest["response"]["status"] == 200
    assert refund["operation"] == "PostPaymentsIdRefund"
    assert refund["request"]["json"] == {"amount": 25, "note": "first"}
    assert refund["response"]["status"] == 200
    assert refund["response"]["body"]["payment"]["id"] == CAPTURED
    assert refund["request"]["headers"]["authorization"] == "[redacted]"
    assert rejected["response"]["status"] == 400 and rejected["response"]["body"]["type"] == "invalid_data"
    assert login_["path"] == "/auth/user/emailpass" and login_["request"]["json"] == ADMIN
    assert [e["seq"] for e in entries] == [4, 3, 2, 1]
    assert all(e["fault"] is None for e in entries)


def test_unrouted_requests_and_preflights_are_journalled_without_an_operation(steered):
    client, mock = steered
    client.get("/admin/nothing-here")
    client.options(REFUND, headers={"origin": ORIGIN, "access-control-request-method": "POST"})
    entries, _ = mock.journal.query(limit=2)
    assert [(e["method"], e["operation"], e["response"]["status"]) for e in entries] == [
        ("OPTIONS", None, 204),
        ("GET", None, 404),
    ]


def test_the_journal_never_holds_more_than_its_size():
    client = make_client(journal_size=5)
    for _ in range(20):
        client.get("/admin/payments")
    assert len(client.app.mock.journal) == 5
    assert [e["seq"] for e in client.app.mock.journal.query()[0]] == [20, 19, 18, 17, 16]


def test_a_journal_of_size_zero_records_nothing():
    client = make_client(journal_size=0)
    client.get("/admin/payments")
    assert len(client.app.mock.journal) == 0 and client.app.mock.journal.query() == ([], 0)


def test_the_control_api_itself_is_not_journalled(steered):
    client, mock = steered
    before = len(mock.journal)
    client.get("/__mock/state")
    assert len(mock.journal) == before


def test_a_500_fault_answers_medusas_envelope_with_cors_and_changes_nothing(steered):
    client, mock = steered
    rule = mock.faults.add({"method": "POST", "path": "/admin/payments/{id}/refund", "status": 500})
    response = client.post(REFUND, json={"amount": 10}, headers={"origin": ORIGIN})
    assert response.status_code == 500
    assert response.json() == {
        "code": "unknown_error",
        "type": "unknown_error",
        "message": "An unknown error occurred.",
    }
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.headers["access-control-allow-credentials"] == "true"
    assert _refunds(mock) == []
    entry = mock.journal.query(limit=1)[0][0]
    assert entry["fault"] == rule.id and entry["response"]["status"] == 500


def test_a_fault_with_times_2_fires_exactly_twice(steered):
    client, mock = steered
    rule = mock.faults.add({"path": "/admin/payments/*/refund", "status": 503, "times": 2})
    statuses = [client.post(REFUND, json={"amount": 1}).status_code for _ in range(4)]
    assert statuses == [503, 503, 200, 200]
    assert rule.fired == 2
    assert [r.amount for r in _refunds(mock)] == [Decimal(1), Decimal(1)]


def test_a_fault_for_another_route_or_method_does_not_fire(steered):
    client, mock = steered
    mock.faults.add({"method": "GET", "path": "/admin/payments/{id}/refund", "status": 500})
    mock.faults.add({"path": "/admin/refund-reasons", "status": 500})
    assert client.post(REFUND, json={"amount": 1}).status_code == 200


def test_an_after_fault_stores_the_refund_and_answers_500(steered):
    client, mock = steered
    mock.faults.add({"path": "/admin/payments/{id}/refund", "status": 500, "when": "after", "times": 1})
    response = client.post(REFUND, json={"amount": 7})
    assert response.status_code == 500 and response.json()["type"] == "unknown_error"
    assert [r.amount for r in _refunds(mock)] == [Decimal(7)]  # the careless retry's trap
    assert client.post(REFUND, json={"amount": 7}).status_code == 200
    assert len(_refunds(mock)) == 2


def test_a_delay_alone_serves_the_request_as_usual(steered):
    client, mock = steered
    rule = mock.faults.add({"path": "/admin/payments/{id}/refund", "delay_ms": 1, "times": 1})
    response = client.post(REFUND, json={"amount": 4})
    assert response.status_code == 200 and response.json()["payment"]["id"] == CAPTURED
    assert [r.amount for r in _refunds(mock)] == [Decimal(4)]
    entry = mock.journal.query(limit=1)[0][0]
    assert (entry["fault"], entry["response"]["status"]) == (rule.id, 200)


def test_a_delay_alone_keeps_a_rejected_bodys_answer(steered):
    client, mock = steered
    mock.faults.add({"path": "/admin/payments/{id}/refund", "delay_ms": 1})
    response = client.post(REFUND, content=b"{", headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.json()["type"] == "invalid_data"
    assert _refunds(mock) == []


def test_a_status_rule_with_a_body_answers_that_body(steered):
    client, mock = steered
    mock.faults.add({"path": "/admin/payments", "status": 418, "body": {"hello": "teapot"}})
    response = client.get("/admin/payments")
    assert (response.status_code, response.json()) == (418, {"hello": "teapot"})


def test_a_dropped_request_raises_in_process_and_is_journalled_without_a_status(steered):
    client, mock = steered
    mock.faults.add({"path": "/admin/payments/*/refund", "drop": True, "times": 1})
    with pytest.raises(ConnectionDropped):
        client.post(REFUND, json={"amount": 3})
    assert _refunds(mock) == []
    entry = mock.journal.query(limit=1)[0][0]
    assert entry["response"]["status"] is None and entry["request"]["json"] == {"amount": 3}
    assert client.post(REFUND, json={"amount": 3}).status_code == 200


def test_preflights_are_never_faulted(steered):
    client, mock = steered
    mock.faults.add({"status": 500})  # every method, every path
    preflight = client.options(REFUND, headers={"origin": ORIGIN, "access-control-request-method": "POST"})
    assert preflight.status_code == 204
    assert client.post(REFUND, json={"amount": 1}).status_code == 500


@pytest.mark.parametrize(
    ("code", "type_", "message"),
    [
        (404, "not_found", "Not Found"),  # error_body's envelope for the status
        (500, "unknown_error", "An unknown error occurred."),
    ],
)
def test_prefer_code_answers_medusas_envelope_without_touching_state(steered, code, type_, message):
    client, mock = steered
    response = client.post(REFUND, json={"amount": 5}, headers={"prefer": f"code={code}"})
    assert response.status_code == code
    assert response.json()["type"] == type_
    assert _refunds(mock) == []
    assert mock.journal.query(limit=1)[0][0]["fault"] == "prefer"


def test_prefer_a_success_code_serves_the_request_as_usual(steered):
    client, mock = steered
    response = client.post(REFUND, json={"amount": 5}, headers={"prefer": "code=201"})
    assert response.status_code == 200 and len(_refunds(mock)) == 1


def test_a_fault_rule_wins_over_prefer(steered):
    client, mock = steered
    mock.faults.add({"path": "/admin/payments", "status": 503})
    assert client.get("/admin/payments", headers={"prefer": "code=404"}).status_code == 503


@pytest.fixture(scope="module")
def live():
    server = LiveServer()
    yield server
    server.stop()


def test_a_drop_and_a_delay_seen_from_a_real_client(live):
    with httpx.Client(base_url=live.url, timeout=10) as client:
        token = client.post("/auth/user/emailpass", json=ADMIN).json()["token"]
        client.headers["authorization"] = f"Bearer {token}"
        rule = client.post("/__mock/faults", json={"path": "/admin/payments", "drop": True, "times": 1})
        assert rule.status_code == 201, rule.text
        with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
            client.get("/admin/payments")
        assert client.get("/admin/payments").status_code == 200  # the server goes on serving
        client.post("/__mock/faults", json={"path": "/admin/payments", "delay_ms": 300, "times": 1})
        started = time.monotonic()
        delayed = client.get("/admin/payments")
        assert delayed.status_code == 200 and time.monotonic() - started >= 0.3
        journal = client.get("/__mock/requests", params={"path": "/admin/payments"}).json()
        assert [e["response"]["status"] for e in journal["requests"]] == [200, 200, None]


def test_latency_delays_every_medusa_answer_but_not_the_control_api():
    client = make_client(latency="250")
    started = time.monotonic()
    assert client.get("/admin/payments").status_code == 401
    assert time.monotonic() - started >= 0.25
    started = time.monotonic()
    assert client.get("/__mock/state").status_code == 200
    assert time.monotonic() - started < 0.25


def test_a_delay_only_rule_delays_the_usual_answer_in_process(steered):
    client, mock = steered
    mock.faults.add({"path": "/admin/payments/*/refund", "delay_ms": 200, "times": 1})
    started = time.monotonic()
    response = client.post(REFUND, json={"amount": 2})
    assert response.status_code == 200 and time.monotonic() - started >= 0.2
    assert [r.amount for r in _refunds(mock)] == [Decimal(2)]
    assert mock.journal.query(limit=1)[0][0]["fault"] == "fault_1"


def test_latency_delays_preflights_too():
    client = make_client(latency="200")
    started = time.monotonic()
    preflight = client.options(REFUND, headers={"origin": ORIGIN, "access-control-request-method": "POST"})
    assert preflight.status_code == 204 and time.monotonic() - started >= 0.2


def test_a_delay_is_held_in_full_even_when_a_timer_fires_early(monkeypatch):
    # uvloop's timers count from the loop time cached at the start of its turn: a 200 ms
    # delay ended after 199.882 ms by perf_counter (the journal's clock) in a CI run
    clock = [100.0]
    sleeps = []

    async def early_sleep(seconds):
        sleeps.append(seconds)
        clock[0] += max(seconds - 0.0005, 0.0001)  # wakes half a millisecond early

    monkeypatch.setattr(steering, "time", SimpleNamespace(perf_counter=lambda: clock[0]))
    monkeypatch.setattr(steering, "asyncio", SimpleNamespace(sleep=early_sleep))
    with pytest.raises(StopIteration):  # nothing really waits: one step runs it to the end
        steering.hold(0.2).send(None)
    assert clock[0] - 100.0 >= 0.2
    assert len(sleeps) >= 2 and sleeps[0] == 0.2
