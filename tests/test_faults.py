"""Fault rules, Medusa's envelope per status, ``Prefer: code=``, ``--latency`` and the fault
routes (mock_server/control/faults.py, steering.py); and how a dropped connection looks
from a client of a real uvicorn."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

from mock_server.control.faults import (
    MAX_RULES,
    Faults,
    RuleError,
    error_body,
    parse_latency,
    parse_rule,
    prefer_code,
)
from mock_server.control.journal import Journal
from mock_server.control.steering import (
    DROPPED,
    ConnectionDropped,
    Droppable,
    drop,
    fault_answer,
    steering_routes,
)

from helpers import _SyncASGIClient, fixed_namespace, free_port

REFUND = "/admin/payments/{id}/refund"
UNKNOWN = {"code": "unknown_error", "type": "unknown_error", "message": "An unknown error occurred."}


# Medusa's envelope for a status


@pytest.mark.parametrize(
    "status, body",
    [
        (500, UNKNOWN),
        (400, {"type": "invalid_data", "message": "Invalid request"}),
        (401, {"message": "Unauthorized"}),
        (403, {"type": "forbidden", "message": "Forbidden"}),
        (404, {"type": "not_found", "message": "Not found"}),
        (
            409,
            {
                "code": "invalid_state_error",
                "type": "conflict",
                "message": "The request conflicted with another request. You may retry the request "
                "with the provided Idempotency-Key.",
            },
        ),
        (413, {"message": "request entity too large", "type": "unknown_error"}),
        (422, {"type": "payment_authorization_error", "message": "Payment authorization failed"}),
        (429, UNKNOWN),  # statuses Medusa never sends: its envelope for an unclassified error
        (503, UNKNOWN),
        (200, None),
        (302, None),
    ],
)
def test_error_body_is_medusas_envelope(status, body):
    assert error_body(status) == body
    if body is not None:
        assert list(error_body(status)) == list(body)  # key order as Medusa sends it


def test_error_bodies_are_fresh_copies():
    error_body(401)["message"] = "changed"
    assert error_body(401) == {"message": "Unauthorized"}


# Prefer and latency


@pytest.mark.parametrize(
    "header, code",
    [
        ("code=404", 404),
        ("code=500, example=server-error", 500),
        ("dynamic=true; code=422", 422),
        ('Code = "409"', 409),
        ("code=200", 200),
        ("code=99", None),
        ("code=600", None),
        ("code=abc", None),
        ("code=4041", None),
        ("respond-async, wait=5", None),
        ("", None),
        (None, None),
        ("x" * 2000 + ", code=500", None),
    ],
)
def test_prefer_code(header, code):
    assert prefer_code(header) == code


def test_latency_fixed_and_range():
    assert parse_latency("250")() == 0.25
    ranged = parse_latency("100-300")
    values = {ranged() for _ in range(300)}
    assert min(values) >= 0.1 and max(values) <= 0.3 and len(values) > 10
    assert not parse_latency("0") and parse_latency("0-5")
    assert (ranged.low_ms, ranged.high_ms) == (100, 300)


@pytest.mark.parametrize(
    "text, message",
    [
        ("fast", "latency is milliseconds"),
        ("-5", "latency is milliseconds"),
        ("1.5", "latency is milliseconds"),
        ("300-100", "the first figure is the smaller"),
        ("60001", "at most 60000 ms"),
    ],
)
def test_bad_latency(text, message):
    with pytest.raises(ValueError, match=message):
        parse_latency(text)


# Rules


@pytest.mark.parametrize(
    "data, problem",
    [
        ([], "a fault rule is a JSON object"),
        ({}, "a fault rule needs at least one of status, delay_ms or drop: true"),
        ({"drop": False}, "a fault rule needs at least one of status, delay_ms or drop: true"),
        ({"status": 500, "colour": "red"}, "unknown key(s): colour"),
        ({"status": 99}, "status must be an integer from 200 to 599"),
        ({"status": 600}, "status must be an integer from 200 to 599"),
        ({"status": "500"}, "status must be an integer from 200 to 599"),
        ({"status": True}, "status must be an integer from 200 to 599"),
        ({"delay_ms": -1}, "delay_ms must be an integer from 0 to 60000"),
        ({"delay_ms": 60001}, "delay_ms must be an integer from 0 to 60000"),
        ({"delay_ms": 1.5}, "delay_ms must be an integer from 0 to 60000"),
        ({"delay_ms": "5"}, "delay_ms must be an integer from 0 to 60000"),
        ({"drop": "yes"}, "drop must be true or false"),
        ({"drop": True, "status": 500}, "drop sends no answer, so it takes no status or body"),
        ({"body": {}}, "body needs a status"),
        ({"status": 204, "body": {}}, "a 204 answer has no body"),
        ({"status": 500, "when": "during"}, 'when must be "before" or "after"'),
        ({"status": 500, "times": 0}, "times must be an integer from 1 to"),
        ({"status": 500, "method": "BREW"}, "method must be one of"),
        ({"status": 500, "method": 1}, "method must be one of"),
        ({"status": 500, "method": "post"}, "method must be one of"),  # as HTTP sends it
        ({"status": None}, "status must be an integer from 200 to 599"),  # null is not "absent"
        ({"delay_ms": None}, "delay_ms must be an integer from 0 to 60000"),
        ({"drop": None}, "drop must be true or false"),
        ({"status": 500, "when": None}, "when must be"),
        ({"status": 500, "path": "admin"}, "path: a path pattern starts with '/'"),
        ({"status": 500, "path": 5}, "path: a path pattern must be a string"),
    ],
)
def test_invalid_rules_name_the_problem(data, problem):
    with pytest.raises(RuleError) as caught:
        parse_rule(data)
    assert any(p.startswith(problem) for p in caught.value.problems), caught.value.problems


def test_every_problem_is_reported_at_once():
    with pytest.raises(RuleError) as caught:
        parse_rule({"status": 1, "delay_ms": -1, "when": "x"})
    assert len(caught.value.problems) == 3


def test_rules_match_by_method_path_and_when_in_order():
    faults = Faults()
    after = faults.add({"path": REFUND, "status": 500, "when": "after"})
    get_any = faults.add({"method": "GET", "delay_ms": 100})
    refund = faults.add({"method": "POST", "path": "/admin/payments/*/refund", "status": 503})
    assert (after.id, get_any.id, refund.id) == ("fault_1", "fault_2", "fault_3")
    assert get_any.method == "GET" and get_any.delay == 0.1
    assert faults.match("POST", "/admin/payments/pay_1/refund") is refund
    assert faults.match("POST", "/admin/payments/pay_1/refund", "after") is after
    assert faults.match("GET", "/admin/payments/pay_1/refund") is get_any
    assert faults.match("POST", "/admin/payments/pay_1/capture") is None
    assert faults.match("DELETE", "/admin/payments/pay_1/refund", "after") is after
    assert (after.fired, get_any.fired, refund.fired) == (2, 1, 1)


def test_a_rule_fires_its_times_then_stays_listed_but_dead():
    faults = Faults()
    rule = faults.add({"status": 500, "times": 2})
    fired = [faults.match("GET", "/x") for _ in range(5)]
    assert fired == [rule, rule, None, None, None]
    assert faults.list() == [rule]
    assert rule.to_json() == {
        "id": rule.id,
        "method": None,
        "path": None,
        "times": 2,
        "when": "before",
        "status": 500,
        "fired": 2,
        "live": False,
    }


def test_times_two_fires_exactly_twice_from_many_threads():
    faults = Faults()
    rule = faults.add({"method": "POST", "path": REFUND, "status": 500, "times": 2})
    start = threading.Barrier(16)
    hits = []

    def hammer():
        start.wait()
        for _ in range(500):
            if faults.match("POST", "/admin/payments/pay_1/refund") is not None:
                hits.append(1)

    threads = [threading.Thread(target=hammer) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(hits) == 2 and rule.fired == 2


def test_remove_and_clear():
    faults = Faults()
    one = faults.add({"status": 500})
    faults.add({"status": 404})
    assert faults.remove("fault_9") is None
    assert faults.remove(one.id) is one
    assert [r.id for r in faults.list()] == ["fault_2"]
    assert faults.clear() == 1 and faults.list() == []
    assert faults.match("GET", "/x") is None
    assert faults.add({"status": 500}).id == "fault_3"  # ids are never reused


def test_the_number_of_rules_is_bounded():
    faults = Faults()
    for _ in range(MAX_RULES):
        faults.add({"status": 500})
    with pytest.raises(RuleError, match=f"at most {MAX_RULES} fault rules"):
        faults.add({"status": 500})
    assert len(faults) == MAX_RULES


def test_fault_answers():
    faults = Faults()
    assert fault_answer(faults.add({"status": 500})) == (
        500,
        b'{"code":"unknown_error","type":"unknown_error","message":"An unknown error occurred."}',
    )
    assert fault_answer(faults.add({"status": 402, "body": {"message": "pay up"}})) == (
        402,
        b'{"message":"pay up"}',
    )
    assert fault_answer(faults.add({"status": 500, "body": None})) == (500, b"null")
    assert fault_answer(faults.add({"status": 204})) == (204, None)


# The routes


@pytest.fixture
def steer():
    journal, faults = Journal(50), Faults()
    app = Starlette(routes=[Mount("/__mock", routes=steering_routes(fixed_namespace(journal, faults)))])
    client = _SyncASGIClient(httpx.ASGITransport(app=app), app)
    client.faults = faults
    yield client
    client.close()


def test_add_list_remove_faults(steer):
    created = steer.post(
        "/__mock/faults", json={"method": "POST", "path": REFUND, "status": 500, "times": 2, "when": "after"}
    )
    assert created.status_code == 201
    assert created.json() == {
        "id": "fault_1",
        "method": "POST",
        "path": REFUND,
        "times": 2,
        "when": "after",
        "status": 500,
        "fired": 0,
        "live": True,
    }
    steer.post("/__mock/faults", json={"drop": True, "delay_ms": 50})
    steer.faults.match("POST", "/admin/payments/pay_1/refund", "after")
    listed = steer.get("/__mock/faults").json()["faults"]
    assert [(r["id"], r["fired"]) for r in listed] == [("fault_1", 1), ("fault_2", 0)]
    assert listed[1] == {
        "id": "fault_2",
        "method": None,
        "path": None,
        "times": None,
        "when": "before",
        "delay_ms": 50,
        "drop": True,
        "fired": 0,
        "live": True,
    }
    removed = steer.delete("/__mock/faults/fault_1")
    assert removed.status_code == 200 and removed.json()["fired"] == 1
    missing = steer.delete("/__mock/faults/fault_1")
    assert missing.status_code == 404
    assert missing.json() == {"type": "not_found", "message": "no fault rule with id 'fault_1'"}
    assert steer.delete("/__mock/faults").json() == {"deleted": 1}
    assert steer.get("/__mock/faults").json() == {"faults": []}


@pytest.mark.parametrize(
    "content, message",
    [
        (
            b'{"status": 500, "colour": "red"}',
            "unknown key(s): colour (known: method, path, times, status, body, delay_ms, drop, when)",
        ),
        (b'{"status": 700}', "status must be an integer from 200 to 599"),
        (b'{"status": 500', "the body is not JSON"),
        (b"\xff\xfe", "the body is not JSON"),
        (b'"drop"', "a fault rule is a JSON object"),
        (b"", "a fault rule needs at least one of status, delay_ms or drop: true"),
    ],
)
def test_bad_rules_are_400_and_add_nothing(steer, content, message):
    response = steer.post("/__mock/faults", content=content, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["type"] == "invalid_data"
    assert response.json()["message"].startswith(message)
    assert steer.get("/__mock/faults").json() == {"faults": []}
    assert steer.post("/__mock/faults", json={"status": 500}).json()["id"] == "fault_1"


def test_a_rule_body_too_large_is_413(steer):
    response = steer.post("/__mock/faults", json={"status": 500, "body": "x" * 70_000})
    assert response.status_code == 413
    assert steer.get("/__mock/faults").json() == {"faults": []}


# Dropping a connection under a real uvicorn


class _Endpoint:
    """A bare ASGI endpoint: ``drop`` marks the request; ``silent`` returns without an answer."""

    def __init__(self, mode: str) -> None:
        self.mode = mode

    async def __call__(self, scope, receive, send) -> None:
        if self.mode == "drop":
            drop(scope)
        # "silent": nothing at all


def _app():
    async def ok(request):
        return PlainTextResponse("ok")

    return Starlette(
        routes=[Route("/ok", ok), Route("/drop", _Endpoint("drop")), Route("/silent", _Endpoint("silent"))]
    )


@pytest.fixture(params=["httptools", "h11"])
def uvicorn_server(request):
    config = uvicorn.Config(
        Droppable(_app()),
        host="127.0.0.1",
        port=free_port(),
        http=request.param,
        lifespan="off",
        log_config=None,
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{config.port}", config.port
    server.should_exit = True
    thread.join(10)


def _raw(port: int, path: str) -> bytes:
    """Everything the server writes for one request before it closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n".encode())
        received = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return received
            received += chunk
            if path != "/drop" and b"\r\n\r\n" in received:
                return received


def test_a_dropped_request_gets_no_answer_at_all(uvicorn_server, caplog):
    base, port = uvicorn_server
    with caplog.at_level(logging.INFO, logger="uvicorn.error"):
        assert _raw(port, "/drop") == b""  # closed with not one byte written
        with httpx.Client(base_url=base) as client:
            with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
                client.get("/drop")
            assert client.get("/ok").text == "ok"  # the server goes on serving
    assert not [r for r in caplog.records if "should return None" in r.getMessage()]


def test_returning_without_an_answer_is_a_500_not_a_drop(uvicorn_server):
    # Why Droppable exists: uvicorn answers an app that sends nothing with a 500.
    _, port = uvicorn_server
    assert _raw(port, "/silent").startswith(b"HTTP/1.1 500 Internal Server Error\r\n")


def test_in_process_a_drop_raises():
    app = Droppable(_app(), raise_on_drop=True)
    client = _SyncASGIClient(httpx.ASGITransport(app=app), app)
    try:
        with pytest.raises(ConnectionDropped, match="GET /drop"):
            client.get("/drop")
        assert client.get("/ok").text == "ok"
    finally:
        client.close()


def test_the_sentinel_is_what_uvicorn_is_handed():
    seen = []

    async def run():
        app = Droppable(_app())
        scope = {
            "type": "http",
            "method": "GET",
            "path": "/drop",
            "headers": [],
            "query_string": b"",
            "root_path": "",
            "http_version": "1.1",
            "scheme": "http",
        }

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            seen.append(message)

        return await app(scope, receive, send)

    assert asyncio.run(run()) is DROPPED and seen == []
