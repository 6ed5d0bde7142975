"""The pytest plugin, ``MockClient`` and ``MockServer`` (mock_server/testing/): tests run in
parallel under pytest-xdist, each in a namespace of its own on one server, never see each
other's state; the client's control calls and its errors; the plugin costs nothing at
start-up when unused."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.request

import pytest

from mock_server.testing import MockClient, MockControlError, MockServer
from mock_server.testing.client import new_namespace

from helpers import CAPTURED, ROOT, free_port

REFUND = f"/admin/payments/{CAPTURED}/refund"
UNKNOWN = {"code": "unknown_error", "type": "unknown_error", "message": "An unknown error occurred."}
XDIST_ARGS = ("-p", "xdist", "-p", "no:schemathesis", "-p", "no:hypothesispytest")


@pytest.fixture(scope="module")
def server():
    """A mock server in this process (a thread), for this module's tests."""
    with MockServer() as running:
        yield running.url


@pytest.fixture
def mock(server):
    client = MockClient(server)
    client.login()
    yield client
    client.drop()


def _refunds(client: MockClient, payment: str = CAPTURED) -> list:
    state = client.state()
    return [r["amount"] for p in state["payments"] if p["id"] == payment for r in p["refunds"]]


def _undated(value):
    if isinstance(value, dict):
        return {k: "<time>" if k.endswith("_at") and v else _undated(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_undated(v) for v in value]
    return value


# --- the plugin under pytest-xdist ---------------------------------------------------------

PARALLEL_TESTS = """
import json, os, pathlib
import pytest

PAYMENT = "{payment}"

@pytest.mark.parametrize("n", range({count}))
def test_refund_in_a_namespace_of_its_own(medusa_mock, medusa_mock_server, worker_id, n):
    answer = medusa_mock.request("POST", f"/admin/payments/{{PAYMENT}}/refund", json={{"amount": n + 1}})
    assert answer.status == 200, answer.text
    state = medusa_mock.state()
    payment = next(p for p in state["payments"] if p["id"] == PAYMENT)
    assert [r["amount"] for r in payment["refunds"]] == [n + 1]
    assert medusa_mock.verify(method="POST", path="/admin/payments/*/refund", times=1) == 1
    if os.environ.get("MOCK_CONTROL_TOKEN"):  # the server requires it; the fixture sends it
        from mock_server.testing import MockClient, MockControlError
        with pytest.raises(MockControlError) as caught:
            MockClient(medusa_mock_server, namespace=medusa_mock.namespace).state()
        assert caught.value.status == 401
    out = pathlib.Path(os.environ["PLUGIN_TEST_OUT"]) / f"{{n}}.json"
    out.write_text(json.dumps(dict(namespace=medusa_mock.namespace, worker=worker_id,
                                   server=medusa_mock_server, base_url=medusa_mock.base_url)))
"""


def _run_parallel(pytester, monkeypatch, tmp_path, workers: int, count: int) -> list[dict]:
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setenv("PLUGIN_TEST_OUT", str(out))
    pytester.makepyfile(test_parallel=PARALLEL_TESTS.format(payment=CAPTURED, count=count))
    result = pytester.runpytest_subprocess("-n", str(workers), *XDIST_ARGS, timeout=240)
    result.assert_outcomes(passed=count)
    return [json.loads((out / f"{n}.json").read_text()) for n in range(count)]


def test_parallel_tests_under_xdist_each_see_only_their_own_refund(pytester, monkeypatch, tmp_path, server):
    default = MockClient(server, namespace="default")
    before = _undated(default.state())
    monkeypatch.setenv("MEDUSA_MOCK_URL", server)
    monkeypatch.delenv("MOCK_CONTROL_TOKEN", raising=False)

    runs = _run_parallel(pytester, monkeypatch, tmp_path, workers=4, count=8)

    assert {run["server"] for run in runs} == {server}
    namespaces = {run["namespace"] for run in runs}
    assert len(namespaces) == 8
    assert len({run["worker"] for run in runs}) >= 2  # really in parallel
    assert all(run["base_url"] == f"{server}/__ns/{run['namespace']}" for run in runs)
    # The default namespace saw none of it, and every test's namespace was dropped after it.
    assert _undated(default.state()) == before
    default.verify(method="POST", path="/admin/payments/*/refund", times=0)
    assert not namespaces & set(json.dumps(default.namespaces()).split('"'))


def test_under_xdist_without_a_url_the_workers_share_one_server_stopped_at_the_end(
    pytester, monkeypatch, tmp_path
):
    """The server the plugin starts requires the control token given, and the fixture sends it."""
    monkeypatch.delenv("MEDUSA_MOCK_URL", raising=False)
    monkeypatch.setenv("MOCK_CONTROL_TOKEN", "plugin-test-token")

    runs = _run_parallel(pytester, monkeypatch, tmp_path, workers=2, count=4)

    (url,) = {run["server"] for run in runs}
    assert len({run["worker"] for run in runs}) == 2
    port = int(url.rsplit(":", 1)[1])
    with pytest.raises(OSError):  # the controller stopped it when the run ended
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_without_xdist_the_server_runs_in_process_and_its_jwt_warning_stays_out(pytester, monkeypatch):
    monkeypatch.delenv("MEDUSA_MOCK_URL", raising=False)
    monkeypatch.delenv("MOCK_CONTROL_TOKEN", raising=False)
    pytester.makepyfile(
        test_one=f"""
import threading

def test_refund(medusa_mock, medusa_mock_server):
    assert medusa_mock.request("POST", "{REFUND}", json={{"amount": 1}}).status == 200
    assert medusa_mock.verify(path="{REFUND}", times=1) == 1
    port = medusa_mock_server.rsplit(":", 1)[1]
    assert f"mock-server:{{port}}" in [thread.name for thread in threading.enumerate()]

def test_another_login(medusa_mock):
    assert medusa_mock.token
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:schemathesis", "-p", "no:xdist", timeout=120)
    assert result.parseoutcomes() == {"passed": 2}, result.outlines  # and no warnings


def test_the_fixture_in_this_suite_is_logged_in_in_a_namespace_of_its_own(medusa_mock, medusa_mock_server):
    assert medusa_mock.token
    assert medusa_mock.base_url == f"{medusa_mock_server}/__ns/{medusa_mock.namespace}"
    assert medusa_mock.headers == {"x-mock-namespace": medusa_mock.namespace}
    assert medusa_mock.request("POST", REFUND, json={"amount": 5}).status == 200
    assert _refunds(medusa_mock) == [5]


def test_the_plugin_imports_nothing_heavy_until_a_fixture_is_used():
    script = (
        "import sys, mock_server.testing.pytest_plugin\n"
        "heavy = ('starlette', 'uvicorn', 'jsonschema', 'yaml', 'urllib.request', 'mock_server.web')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "[]", done.stderr


# --- MockClient -------------------------------------------------------------------------------

YAML_FIXTURE = """
payments:
  - id: pay_yaml
    amount: 20
    currency_code: eur
    captured: true
users:
  - email: admin@example.com
    password: supersecret
"""


def test_load_takes_a_dict_yaml_text_or_a_path(mock, tmp_path):
    counts = mock.load({"payments": [{"id": "pay_dict", "amount": 10, "currency_code": "usd"}]})
    assert counts == {"payments": 1, "refund_reasons": 0, "users": 0, "api_keys": 0}
    assert [p["id"] for p in mock.state()["payments"]] == ["pay_dict"]

    assert mock.load(YAML_FIXTURE)["payments"] == 1
    assert [p["id"] for p in mock.state()["payments"]] == ["pay_yaml"]

    path = tmp_path / "one.yaml"
    path.write_text(YAML_FIXTURE.replace("pay_yaml", "pay_path"))
    mock.load(path)
    assert [p["id"] for p in mock.state()["payments"]] == ["pay_path"]
    # reset returns to the loaded fixture
    mock.request("POST", "/admin/payments/pay_path/refund", json={"amount": 1})
    mock.reset()
    assert _refunds(mock, "pay_path") == []


def test_a_bad_fixture_raises_with_the_status_and_the_reason_and_changes_nothing(mock):
    before = mock.state()
    with pytest.raises(MockControlError) as caught:
        mock.load("payments: [1]")
    assert caught.value.status == 400
    assert caught.value.body == {
        "type": "invalid_data",
        "message": "<posted fixture>: at payments[0]: 1 is not of type 'object'",
        "path": "payments[0]",
    }
    assert "/__mock/load answered 400" in str(caught.value)
    assert mock.state() == before
    with pytest.raises(TypeError, match="a fixture is a dict, YAML text or a pathlib.Path, not list"):
        mock.load([])  # type: ignore[arg-type]


def test_verify_counts_and_a_failure_names_the_servers_message_and_near_misses(mock):
    assert mock.request("POST", REFUND, json={"amount": 3}).status == 200
    assert mock.verify(method="POST", path="/admin/payments/{id}/refund", times=1) == 1
    assert mock.verify(body={"amount": 3}) == 1

    with pytest.raises(AssertionError) as caught:
        mock.verify(method="POST", path="/admin/payments/*/capture")
    lines = str(caught.value).splitlines()
    assert lines[0] == "expected at least 1 matching request(s), got 0"
    assert lines[1] == f"  near miss (1 of 2 criteria): POST {REFUND} -> 200"
    assert lines[2] == f'    path: {{"expected": "/admin/payments/*/capture", "actual": "{REFUND}"}}'

    with pytest.raises(MockControlError) as bad:
        mock.verify(times=1, at_least=1)
    assert bad.value.status == 400
    assert bad.value.body["message"] == "give times, or at_least and/or at_most, not both"


def test_the_journal_is_read_newest_first_and_cleared(mock):
    mock.request("GET", "/admin/refund-reasons")
    mock.request("POST", REFUND, json={"amount": 1})
    assert [e["method"] for e in mock.requests(limit=2)] == ["POST", "GET"]
    assert [e["path"] for e in mock.requests(method="GET")] == ["/admin/refund-reasons"]
    assert mock.clear_requests() == 3  # the login too
    assert mock.requests() == []
    with pytest.raises(TypeError, match="unknown journal filter"):
        mock.requests(times=1)


def test_a_fault_fires_changes_nothing_and_is_removed(mock):
    fault = mock.add_fault(method="POST", path="/admin/payments/*/refund", status=503, times=1)
    answer = mock.request("POST", REFUND, json={"amount": 4})
    assert (answer.status, answer.body) == (503, UNKNOWN)
    assert _refunds(mock) == []
    assert [(f["id"], f["fired"], f["live"]) for f in mock.faults()] == [(fault, 1, False)]
    assert mock.request("POST", REFUND, json={"amount": 4}).status == 200  # times: 1 used up

    assert mock.remove_fault(fault)["id"] == fault
    with pytest.raises(MockControlError) as caught:
        mock.remove_fault(fault)
    assert (caught.value.status, caught.value.body) == (
        404,
        {"type": "not_found", "message": f"no fault rule with id {fault!r}"},
    )
    mock.add_fault(path="/admin/refund-reasons", status=500)
    mock.add_fault(path="/auth/*", delay_ms=1)
    assert mock.clear_faults() == 2
    assert mock.faults() == []
    with pytest.raises(MockControlError) as bad:
        mock.add_fault(path="/admin/refund-reasons")
    assert bad.value.status == 400


def test_namespaces_keep_state_journal_and_faults_apart(server, mock):
    other = MockClient(server)
    other.login()
    try:
        mock.add_fault(method="GET", status=500)
        assert mock.request("POST", REFUND, json={"amount": 7}).status == 200
        assert other.request("GET", "/admin/refund-reasons").status == 200  # not faulted
        assert _refunds(other) == []
        assert _refunds(mock) == [7]
        other.verify(path="/admin/payments/*/refund", times=0)
        other.load({"payments": []})
        assert len(mock.state()["payments"]) > 0
    finally:
        other.drop()


def test_the_base_url_prefix_reaches_the_same_namespace(mock):
    assert mock.request("POST", REFUND, json={"amount": 2}).status == 200
    request = urllib.request.Request(
        f"{mock.base_url}/admin/payments/{CAPTURED}",
        headers={"Authorization": f"Bearer {mock.token}"},
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        payment = json.load(reply)["payment"]
    assert [r["amount"] for r in payment["refunds"]] == [2]


def test_drop_deletes_the_namespace_once(server):
    client = MockClient(server)
    client.login()
    client.request("GET", "/admin/refund-reasons")  # first use creates it
    listed = json.dumps(client.namespaces())
    assert f'"{client.namespace}"' in listed
    assert client.drop() is True
    assert f'"{client.namespace}"' not in json.dumps(client.namespaces())
    assert client.drop() is False


def test_the_client_refuses_a_remote_host_a_bad_name_and_says_why():
    with pytest.raises(ValueError, match="'example.com' is not a loopback host; pass allow_remote=True"):
        MockClient("http://example.com:9000")
    with pytest.raises(ValueError, match="the server's root, without a path"):
        MockClient("http://127.0.0.1:9000/__ns/x")
    with pytest.raises(ValueError, match="1 to 64 characters"):
        MockClient("http://127.0.0.1:9000", namespace="-bad")
    with pytest.raises(ValueError, match="1 to 64 characters"):
        MockClient("http://127.0.0.1:9000", namespace="a" * 65)
    assert MockClient("http://localhost:9000", namespace="a" * 64).base_url.endswith("/__ns/" + "a" * 64)
    assert MockClient("http://[::1]:9000").url == "http://[::1]:9000"
    name = new_namespace()
    assert name.startswith("t-") and len(name) == 14


def test_a_server_that_does_not_answer_is_a_clear_error():
    client = MockClient(f"http://127.0.0.1:{free_port()}", timeout=2)
    with pytest.raises(MockControlError, match="no answer") as caught:
        client.state()
    assert caught.value.status is None


def test_the_control_token_is_sent_when_given():
    with MockServer(control_token="s3cret-token") as guarded:
        with pytest.raises(MockControlError) as caught:
            MockClient(guarded.url).state()
        assert caught.value.status == 401
        assert caught.value.body["type"] == "unauthorized"
        client = MockClient(guarded.url, control_token="s3cret-token")
        assert "payments" in client.state()
        client.login()  # the Medusa surface needs no control token
        assert client.request("GET", "/admin/refund-reasons").status == 200


def test_mock_server_stops_and_frees_its_port():
    running = MockServer()
    url = running.start()
    port = running.port
    assert MockClient(url).request("GET", "/health").status == 200
    running.stop()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
