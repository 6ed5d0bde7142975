"""The control API as it is served (mock_server/control/): its own OpenAPI file
(openapi.yaml) describes the routes as they answer, checked by fuzzing every /__mock operation
in process with Schemathesis through the whole app (Host, Origin and token checks included);
its fixture schema is the one the fixture loader enforces; the control token; CORS."""

from __future__ import annotations

import os

import orjson
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from mock_server.backend import fixtures
from mock_server.control.steering import openapi_json
from mock_server.web.app import create_app

from helpers import make_client, make_mock

# Examples per operation: 11 operations, about 12 s at 12 on a shared, loaded 2-core machine.
MAX_EXAMPLES = int(os.environ.get("CONTROL_MAX_EXAMPLES", "12"))
TOKEN = "t0ken-for-the-fuzzer"
TOKEN_HEADER = "X-Mock-Control-Token"
ALLOWED = "http://localhost:5173"  # in Medusa's default ADMIN_CORS and AUTH_CORS

APP = create_app(mock=make_mock(control_token=TOKEN, journal_size=50))
MOCK = APP.state.mock
BASE_URL = "http://127.0.0.1:9000"  # the control plane answers loopback Host names only


def _fill_journal() -> None:
    """Something for the journal routes to find, of every shape an entry takes: JSON and
    text bodies, a body cut to the limit, a dropped request (no status), a faulted one."""
    journal = MOCK.journal
    journal.clear()
    headers = [(b"authorization", b"Bearer x"), (b"content-type", b"application/json")]
    for i in range(3):
        journal.record(
            "POST",
            f"/admin/payments/pay_{i}/refund",
            b"fields=id",
            "PostPaymentsIdRefund",
            headers,
            b'{"amount":1}',
            200,
            b'{"payment":{}}',
            0.001,
        )
    journal.record("GET", "/nowhere", b"", None, [], b"", 404, b"<pre>Cannot GET /nowhere</pre>", 0.0)
    journal.record("POST", "/auth/user/emailpass", b"", None, [], b"x" * 20_000, None, b"", 0.002, "fault_1")
    journal.record("GET", "/admin/payments", b"", "GetPayments", [], b"", 500, b"{}", 0.0, "prefer")


# Outcomes that are not faults (see openapi.yaml's description): a verification that does not
# hold (409), at_least > at_most (400), and a fixture document valid by the schema that does
# not build (400). /load reads YAML as well as JSON, so text a fuzzer sends as "not JSON"
# ("~", a bare word) can be a YAML document, an empty one included: that negative check is
# off there (the others still run). The token is the server's: every case carries it.
CONFIG = schemathesis.Config.from_str(f"""
[generation]
deterministic = true
allow-x00 = false

[auth.openapi.controlToken]
api_key = "{TOKEN}"

[[operations]]
include-operation-id = "MockVerifyRequests"
checks.positive_data_acceptance.expected-statuses = ["200", "400", "409"]

[[operations]]
include-operation-id = "MockLoad"
checks.positive_data_acceptance.expected-statuses = ["200", "400"]
checks.negative_data_rejection.enabled = false
""")
SCHEMA = schemathesis.openapi.from_dict(orjson.loads(openapi_json()), config=CONFIG)
SCHEMA.app = APP


@SCHEMA.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_control_api_conforms(case):
    """Every /__mock operation, positive and negative data; among the checks (all of
    Schemathesis' defaults): not_a_server_error, status_code_conformance,
    content_type_conformance, response_schema_conformance."""
    MOCK.reset()
    MOCK.faults.clear()
    _fill_journal()
    case.call_and_validate(base_url=BASE_URL, headers={TOKEN_HEADER: TOKEN})


def _resolve(node, components):
    if isinstance(node, dict):
        if "$ref" in node:
            return _resolve(components[node["$ref"].rsplit("/", 1)[1]], components)
        return {k: _resolve(v, components) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v, components) for v in node]
    return node


def _without_formats(node):
    if isinstance(node, dict):
        return {k: _without_formats(v) for k, v in node.items() if k != "format"}
    if isinstance(node, list):
        return [_without_formats(v) for v in node]
    return node


def test_the_fixture_schema_is_the_loaders():
    # Except `format`, which the loader's validator does not check (no format checker).
    components = orjson.loads(openapi_json())["components"]["schemas"]
    assert _resolve(components["Fixture"], components) == _without_formats(fixtures.SCHEMA)


def test_every_route_is_described():
    """What the app serves under /__mock, method by method, is what openapi.yaml lists."""
    paths = orjson.loads(openapi_json())["paths"]
    mount = next(r for r in APP.routes if getattr(r, "path", None) == "/__mock")
    routes = mount.app.inner.routes  # the Guard's router
    served = {(m, "/__mock" + r.path) for r in routes for m in r.methods if m != "HEAD"}
    described = {(m.upper(), p) for p, ops in paths.items() for m in ops if m != "parameters"}
    assert served == described


# --- served by the app ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def _guarded_client():
    c = make_client(control_token=TOKEN)
    yield c
    c.close()


@pytest.fixture
def guarded(_guarded_client):
    """A client of a mock that requires the token, back to the fixtures and without rules."""
    mock = _guarded_client.app.state.mock
    mock.reset()
    mock.faults.clear()
    mock.journal.clear()
    return _guarded_client


def test_the_openapi_document_is_served():
    client = make_client()
    try:
        response = client.get("/__mock/openapi.json")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.json() == orjson.loads(openapi_json())
        assert response.json()["components"]["securitySchemes"]["controlToken"] == {
            "type": "apiKey",
            "in": "header",
            "name": TOKEN_HEADER,
            "description": "Only on a server started with --control-token (or MOCK_CONTROL_TOKEN)",
        }
    finally:
        client.close()


def test_without_a_token_configured_none_is_needed(client):
    assert client.get("/__mock/requests").status_code == 200
    assert client.get("/__mock/requests", headers={TOKEN_HEADER: "anything"}).status_code == 200


MISSING = {
    "type": "unauthorized",
    "message": f"/__mock requires the control token in the {TOKEN_HEADER} header "
    "(the server was started with --control-token or MOCK_CONTROL_TOKEN)",
}
WRONG = {"type": "unauthorized", "message": f"the {TOKEN_HEADER} header does not hold the control token"}


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/__mock/requests"),
        ("DELETE", "/__mock/requests"),
        ("POST", "/__mock/requests/verify"),
        ("GET", "/__mock/faults"),
        ("POST", "/__mock/faults"),
        ("DELETE", "/__mock/faults"),
        ("DELETE", "/__mock/faults/fault_1"),
        ("GET", "/__mock/openapi.json"),
        ("GET", "/__mock/state"),
        ("POST", "/__mock/reset"),
        ("POST", "/__mock/load"),
    ],
)
def test_the_token_is_required_on_every_route(guarded, method, path):
    assert guarded.request(method, path).json() == MISSING
    assert guarded.request(method, path).status_code == 401


@pytest.mark.parametrize(
    "value",
    [
        TOKEN[:-1],  # a prefix
        TOKEN + "x",
        TOKEN.upper(),
        "",
        f"Bearer {TOKEN}",
    ],
)
def test_a_wrong_token_is_401_and_changes_nothing(guarded, value):
    fault = {"status": 500}
    response = guarded.post("/__mock/faults", json=fault, headers={TOKEN_HEADER: value})
    assert (response.status_code, response.json()) == (401, WRONG)
    load = guarded.post("/__mock/load", content=b"payments: []\n", headers={TOKEN_HEADER: value})
    assert load.status_code == 401
    listed = guarded.get("/__mock/faults", headers={TOKEN_HEADER: TOKEN})
    assert listed.json() == {"faults": []}
    state = guarded.get("/__mock/state", headers={TOKEN_HEADER: TOKEN}).json()
    assert len(state["payments"]) > 0


def test_the_token_elsewhere_is_not_accepted(guarded):
    """Only its own header: not Medusa's Authorization, not the query string."""
    assert guarded.get("/__mock/faults", headers={"Authorization": f"Bearer {TOKEN}"}).json() == MISSING
    assert guarded.get(f"/__mock/faults?token={TOKEN}").json() == MISSING


def test_the_right_token_is_accepted(guarded):
    headers = {TOKEN_HEADER: TOKEN}
    added = guarded.post("/__mock/faults", json={"path": "/admin/payments", "status": 503}, headers=headers)
    assert added.status_code == 201
    assert guarded.get("/__mock/faults", headers=headers).json()["faults"] == [added.json()]
    assert guarded.get("/__mock/requests", headers=headers).json() == {"requests": [], "count": 0}
    assert guarded.post("/__mock/reset", headers=headers).status_code == 200


def test_the_token_does_not_guard_the_medusa_surface(guarded):
    assert guarded.get("/health").status_code == 200
    assert guarded.get("/admin/payments").status_code == 401  # Medusa's auth, not the token
    assert guarded.get("/admin/payments").json() == {"message": "Unauthorized"}


def test_host_and_origin_checks_come_before_the_token(guarded):
    """A foreign Host or Origin is 403 whatever token it carries: the token does not open
    the control plane to other sites."""
    headers = {TOKEN_HEADER: TOKEN}
    host = guarded.get("/__mock/faults", headers={**headers, "Host": "attacker.example"})
    assert host.status_code == 403 and host.json()["type"] == "forbidden"
    origin = guarded.get("/__mock/faults", headers={**headers, "Origin": "https://evil.example"})
    assert origin.status_code == 403 and origin.json()["type"] == "forbidden"


# --- CORS, for a browser test runner on the app's origin ------------------------------------


def test_a_preflight_from_an_allowed_origin_allows_the_token_header(guarded):
    """A preflight carries no credentials: answered without the token, the token header
    allowed as asked."""
    response = guarded.options(
        "/__mock/requests",
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "DELETE",
            "Access-Control-Request-Headers": "x-mock-control-token,content-type",
        },
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == ALLOWED
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "DELETE" in response.headers["access-control-allow-methods"].split(",")
    assert response.headers["access-control-allow-headers"] == "x-mock-control-token,content-type"


def test_the_journal_answers_an_allowed_origin_with_cors(guarded):
    headers = {"Origin": ALLOWED, TOKEN_HEADER: TOKEN}
    response = guarded.get("/__mock/requests?limit=5", headers=headers)
    assert response.status_code == 200 and response.json() == {"requests": [], "count": 0}
    assert response.headers["access-control-allow-origin"] == ALLOWED
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["vary"] == "Origin"


def test_a_401_reaches_an_allowed_origin_with_cors(guarded):
    """So a browser test sees the 401 and its message, not a CORS failure."""
    response = guarded.get("/__mock/requests", headers={"Origin": ALLOWED})
    assert (response.status_code, response.json()) == (401, MISSING)
    assert response.headers["access-control-allow-origin"] == ALLOWED
    assert response.headers["access-control-allow-credentials"] == "true"


def test_the_journal_refuses_another_origin(guarded):
    for method in ("GET", "DELETE"):
        response = guarded.request(
            method, "/__mock/requests", headers={"Origin": "https://evil.example", TOKEN_HEADER: TOKEN}
        )
        assert response.status_code == 403
        assert "access-control-allow-origin" not in response.headers
    preflight = guarded.options(
        "/__mock/requests",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 403 and "access-control-allow-origin" not in preflight.headers


# --- reset, the journal and the faults ------------------------------------------------------


def test_reset_and_load_keep_the_journal_and_the_faults(client):
    """The state is what reset and load replace; the journal and the rules have their own
    DELETE routes."""
    client.app.state.mock.journal.record("GET", "/health", b"", None, [], b"", 200, b"OK", 0.0)
    rule = client.post("/__mock/faults", json={"status": 500, "times": 1}).json()
    assert client.post("/__mock/reset").status_code == 200
    assert client.post("/__mock/load", content=b"payments: []\n").status_code == 200
    assert client.get("/__mock/requests").json()["count"] == 1
    assert client.get("/__mock/faults").json() == {"faults": [rule]}


def test_journal_routes_are_409_when_the_journal_is_off():
    client = make_client(journal_size=0)
    off = {"type": "not_allowed", "message": "the request journal is off (serve --journal-size 0)"}
    try:
        for method, path, body in [
            ("GET", "/__mock/requests", None),
            ("DELETE", "/__mock/requests", None),
            ("POST", "/__mock/requests/verify", {"times": 0}),
        ]:
            response = client.request(method, path, json=body)
            assert (response.status_code, response.json()) == (409, off)
        assert client.get("/__mock/faults").status_code == 200  # faults do not need it
    finally:
        client.close()


def test_no_control_removes_every_route():
    client = make_client(control=False)
    try:
        for method, path in [
            ("GET", "/__mock/requests"),
            ("GET", "/__mock/faults"),
            ("GET", "/__mock/openapi.json"),
            ("POST", "/__mock/requests/verify"),
        ]:
            response = client.request(method, path)
            assert response.status_code == 404
            assert response.text.startswith("<!DOCTYPE html>")  # Express's "Cannot GET …" page
    finally:
        client.close()


# --- input a route does not take ------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path, message",
    [
        (
            "DELETE",
            "/__mock/faults?id=fault_1",
            "DELETE /__mock/faults takes no query parameters (given: id)",
        ),
        (
            "DELETE",
            "/__mock/requests?path=/admin/**",
            "DELETE /__mock/requests takes no query parameters (given: path)",
        ),
        (
            "POST",
            "/__mock/reset?fixtures=other",
            "POST /__mock/reset takes no query parameters (given: fixtures)",
        ),
        ("GET", "/__mock/state?x", "GET /__mock/state takes no query parameters (given: x)"),
        (
            "POST",
            "/__mock/faults?status=500",
            "POST /__mock/faults takes no query parameters (given: status)",
        ),
        ("POST", "/__mock/load?replace=1", "POST /__mock/load takes no query parameters (given: replace)"),
    ],
)
def test_a_query_string_a_route_does_not_take_is_400_and_changes_nothing(guarded, method, path, message):
    headers = {TOKEN_HEADER: TOKEN}
    rule = guarded.post("/__mock/faults", json={"status": 500}, headers=headers).json()
    guarded.app.state.mock.journal.record("GET", "/health", b"", None, [], b"", 200, b"OK", 0.0)
    before = guarded.get("/__mock/state", headers=headers).json()
    response = guarded.request(
        method, path, headers=headers, content=b"payments: []\n" if "load" in path else None
    )
    assert (response.status_code, response.json()) == (400, {"type": "invalid_data", "message": message})
    assert guarded.get("/__mock/faults", headers=headers).json() == {"faults": [rule]}
    assert guarded.get("/__mock/requests", headers=headers).json()["count"] == 1
    assert guarded.get("/__mock/state", headers=headers).json() == before


@pytest.mark.parametrize(
    "method, path",
    [("DELETE", "/__mock/requests"), ("DELETE", "/__mock/faults"), ("POST", "/__mock/reset")],
)
def test_a_body_a_route_does_not_take_is_400_and_changes_nothing(guarded, method, path):
    headers = {TOKEN_HEADER: TOKEN}
    rule = guarded.post("/__mock/faults", json={"status": 500}, headers=headers).json()
    guarded.app.state.mock.journal.record("GET", "/health", b"", None, [], b"", 200, b"OK", 0.0)
    response = guarded.request(method, path, headers=headers, json={"path": "/admin/payments"})
    assert (response.status_code, response.json()) == (
        400,
        {"type": "invalid_data", "message": f"{method} {path} takes no body"},
    )
    assert guarded.get("/__mock/faults", headers=headers).json() == {"faults": [rule]}
    assert guarded.get("/__mock/requests", headers=headers).json()["count"] == 1
    # an empty body is no body
    assert guarded.request(method, path, headers={**headers, "Content-Length": "0"}).status_code == 200


# --- serve's flags --------------------------------------------------------------------------


@pytest.fixture
def serve(monkeypatch):
    """``mock-server serve ARGS`` up to the point it would listen: the Config it builds the
    app from (nothing is bound)."""
    from mock_server import cli
    from mock_server.web import app as web_app, memory, transport

    built = []
    real = web_app.create_app
    monkeypatch.setattr(web_app, "create_app", lambda config: built.append(config) or real(config))
    monkeypatch.setattr(transport, "run", lambda app, on_serving, **kw: 0)
    monkeypatch.setattr(memory, "serve_mode", lambda: None)
    monkeypatch.delenv("MOCK_CONTROL_TOKEN", raising=False)

    def run(*args: str):
        assert cli.main(["serve", "--port", "9", *args]) == 0
        return built[-1]

    return run


def test_serve_defaults(serve):
    config = serve()
    assert (config.journal_size, config.latency, config.control_token, config.control) == (
        1000,
        None,
        None,
        True,
    )


def test_serve_flags_reach_the_config(serve):
    config = serve("--journal-size", "0", "--latency", "100-250", "--control-token", "abc.DEF_123")
    assert (config.journal_size, config.latency, config.control_token) == (0, "100-250", "abc.DEF_123")
    assert serve("--journal-size", "1000000", "--latency", "0").journal_size == 1_000_000


def test_the_token_comes_from_the_environment_unless_given(serve, monkeypatch):
    monkeypatch.setenv("MOCK_CONTROL_TOKEN", "from-env")
    assert serve().control_token == "from-env"
    assert serve("--control-token", "from-flag").control_token == "from-flag"
    monkeypatch.setenv("MOCK_CONTROL_TOKEN", "")
    assert serve().control_token is None


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--journal-size", "-1"],
            "argument --journal-size: the journal size is a whole number from 0 (off) to 1000000, not '-1'",
        ),
        (
            ["--journal-size", "1000001"],
            "argument --journal-size: the journal size is a whole number from 0 (off) to 1000000, not '1000001'",
        ),
        (
            ["--journal-size", "1e3"],
            "argument --journal-size: the journal size is a whole number from 0 (off) to 1000000, not '1e3'",
        ),
        (
            ["--journal-size", ""],
            "argument --journal-size: the journal size is a whole number from 0 (off) to 1000000, not ''",
        ),
        (
            ["--latency", "fast"],
            "argument --latency: latency is milliseconds (250) or a range (100-500), not 'fast'",
        ),
        (
            ["--latency", "500-100"],
            "argument --latency: latency range 500-100: the first figure is the smaller",
        ),
        (["--latency", "60001"], "argument --latency: latency is at most 60000 ms"),
        (
            ["--latency", "-5"],
            "argument --latency: latency is milliseconds (250) or a range (100-500), not '-5'",
        ),
        (["--control-token", ""], "argument --control-token: the control token is empty"),
        (
            ["--control-token", "two words"],
            "argument --control-token: the control token may hold only visible ASCII characters "
            "(no spaces), as the X-Mock-Control-Token header carries it",
        ),
        (
            ["--control-token", "x" * 257],
            "argument --control-token: the control token is longer than 256 characters",
        ),
    ],
)
def test_bad_flag_values_are_a_usage_error(serve, capsys, args, message):
    with pytest.raises(SystemExit) as stopped:
        serve(*args)
    assert stopped.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == f"mock-server serve: error: {message}"


def test_a_bad_token_in_the_environment_stops_the_start(serve, monkeypatch, capsys):
    from mock_server import cli

    monkeypatch.setenv("MOCK_CONTROL_TOKEN", "tab\tinside")
    assert cli.main(["serve", "--port", "9"]) == 2
    assert capsys.readouterr().err == (
        "mock-server: cannot start: MOCK_CONTROL_TOKEN: the control token may hold only visible "
        "ASCII characters (no spaces), as the X-Mock-Control-Token header carries it\n"
    )


@pytest.mark.parametrize("token, names_control", [((), True), (("--control-token", "t"), False)])
def test_the_warning_beyond_loopback_suggests_a_token_until_one_is_set(serve, capsys, token, names_control):
    serve("--host", "0.0.0.0", *token)
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("mock-server: warning: --host 0.0.0.0 is not a loopback")
    assert ("/__mock" in err[0]) is names_control
    assert ("--control-token T" in err[0]) is names_control
