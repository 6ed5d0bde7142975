"""What the tests share besides pytest fixtures: the fixture ids, the admin login, a client
for the app in process and a server in a child process (one of its own, or one lent to test
after test). The contract is loaded, and its response checks compiled, once per test
session (``contract()``): that is most of building an app."""

from __future__ import annotations

import asyncio
import dataclasses
from functools import lru_cache
from pathlib import Path

import httpx

from mock_server.config import Config
from mock_server.tooling.process import MockProcess, free_port
from mock_server.web import contract as contract_module
from mock_server.web.app import Mock, create_app

__all__ = [
    "ROOT",
    "ADMIN",
    "API_KEY",
    "LiveServer",
    "SharedServer",
    "free_port",
    "contract",
    "make_mock",
    "make_client",
    "login",
]

ROOT = Path(__file__).resolve().parent.parent
ADMIN = {"email": "admin@example.com", "password": "supersecret"}
API_KEY = "sk_66b7a02d48f0cd3ef0c220f8a446126eb0d1a7908e518c86a812a5e64a91fe23"

# Demo payments from fixtures/10-demo-payments.yaml
CAPTURED = "pay_01KDEM0CAPTVRED00000000000"
PARTIALLY_CAPTURED = "pay_01KDEM0PARTCAPT00000000000"
AUTHORIZED = "pay_01KDEM0AVTH0R1ZED000000000"
PARTIALLY_REFUNDED = "pay_01KDEM0PARTREFVND000000000"
REFUNDED = "pay_01KDEM0REFVNDED00000000000"
CANCELED = "pay_01KDEM0CANCE1ED00000000000"
NO_ORDER = "pay_01KDEM0N00RDER00000000000"
YEN = "pay_01KDEM0JPY0000000000000000"
DINAR = "pay_01KDEM0KWD0000000000000000"
EPSILON = "pay_01KDEM0EPS1L0N000000000000"

# A mock server process on a free loopback port (mock_server/tooling/process.py).
LiveServer = MockProcess


class SharedServer:
    """One ``LiveServer`` (with ``args``, if any) lent to test after test, as if each had its
    own: starting a process costs seconds (the interpreter, the contract), a reset
    milliseconds.

    ``lend()`` empties its fault rules and journal, resets it to the fixtures
    (``/__mock/reset``), drops its namespaces and checks that the whole
    state (``/__mock/state``) is the one it started with; if not (the last borrower loaded
    other fixtures, which reset returns to, or stopped the process) it starts a fresh one.
    The loan's ``output()`` is only what the server printed during the loan."""

    def __init__(self, *args: str) -> None:
        self.args = args  # for `mock-server serve`, as LiveServer takes them
        self._server: MockProcess | None = None
        self._state = None

    def lend(self) -> _Loan:
        server = self._server
        if server is not None and not self._as_started(server):
            server.stop()
            server = None
        if server is None:
            server = self._server = MockProcess(*self.args)
            self._state = _state(server)
        return _Loan(server)

    def _as_started(self, server: MockProcess) -> bool:
        if server.process.poll() is not None:
            return False
        try:
            # Reset keeps the journal and the fault rules (control/routes.py): empty them too,
            # so a rule one borrower added never answers the next one's requests.
            for step in ("DELETE /__mock/faults", "DELETE /__mock/requests", "POST /__mock/reset"):
                method, path = step.split()
                if httpx.request(method, server.url + path, timeout=30).status_code != 200:
                    return False
            # ... and drop the namespaces the last borrower used.
            listed = httpx.get(server.url + "/__mock/namespaces", timeout=30).json()["namespaces"]
            for namespace in listed[1:]:
                httpx.delete(f"{server.url}/__mock/namespaces/{namespace['name']}", timeout=30)
            return _state(server) == self._state
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()


def _state(server: MockProcess):
    """The server's whole state, without the times (a reset stamps what the fixtures leave
    undated with the time of the reset)."""
    response = httpx.get(server.url + "/__mock/state", timeout=30)
    response.raise_for_status()
    return _undated(response.json())


def _undated(value):
    if isinstance(value, dict):
        return {k: "<time>" if k.endswith("_at") and v else _undated(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_undated(v) for v in value]
    return value


class _Loan:
    """The shared server as one test sees it: its url, port and process, and its output
    from the start of the loan."""

    def __init__(self, server: MockProcess) -> None:
        self.server = server
        self.url, self.port, self.process = server.url, server.port, server.process
        self._start = len(server.output())

    def output(self) -> str:
        return self.server.output()[self._start :]

    def stop(self) -> None:
        """Stop the process (the next loan starts a fresh one)."""
        self.server.stop()


class _SessionContract(contract_module.Contract):
    """A contract whose response checks are compiled once per test session. Every app the
    tests build asks for the same checks (one per operation and status), and compiling them
    is most of building an app; the compiled checks hold nothing an app changes."""

    def response_check(self, op, status):
        checks = self.__dict__.setdefault("_checks", {})
        key = (op.operation_id, status)
        if key not in checks:
            checks[key] = super().response_check(op, status)
        return checks[key]


@lru_cache(maxsize=None)
def contract(spec: Path = Config.spec) -> contract_module.Contract:
    """The contract in ``spec``, loaded once per test session and shared by every app built
    from it (nothing in it changes while serving)."""
    loaded = contract_module.load(spec)
    return _SessionContract(**{f.name: getattr(loaded, f.name) for f in dataclasses.fields(loaded)})


def make_mock(**config) -> Mock:
    """A fresh mock with the session's contract."""
    settings = Config(**config)
    return Mock(settings, contract(settings.spec))


def make_client(**config) -> httpx.Client:
    """A client for a fresh mock app in process, with every response checked against the spec."""
    config.setdefault("validate_responses", True)
    app = create_app(mock=make_mock(**config))
    app.raise_on_drop = True  # in process there is no connection to close
    return _SyncASGIClient(httpx.ASGITransport(app=app), app)


class _SyncASGIClient(httpx.Client):
    """httpx's ASGITransport is async; run each request on a private event loop."""

    def __init__(self, transport, app) -> None:
        # Its own transport is never used (``request`` goes to the app): a stub, so that
        # httpx does not build a TLS context, loading the CA bundle, for every test.
        super().__init__(base_url="http://127.0.0.1:9000", transport=httpx.MockTransport(_unused))
        self.app = app
        self._loop = asyncio.new_event_loop()
        self._async = httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:9000")

    @property  # type: ignore[override]
    def headers(self) -> httpx.Headers:
        """The default headers of every request (the in-process client's own)."""
        return self._async.headers

    @headers.setter
    def headers(self, value) -> None:
        if hasattr(self, "_async"):
            self._async.headers = value

    def request(self, method, url, **kwargs):  # type: ignore[override]
        return self._loop.run_until_complete(self._async.request(method, url, **kwargs))

    def close(self) -> None:
        self._loop.run_until_complete(self._async.aclose())
        self._loop.close()


def _unused(request: httpx.Request) -> httpx.Response:
    raise AssertionError("an in-process client sends its requests to the app")


def login(client) -> str:
    response = client.post("/auth/user/emailpass", json=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()["token"]


def fixed_namespace(journal, faults):
    """For ``steering_routes`` alone: every request acts on one namespace holding
    ``journal`` and ``faults`` (and an empty state)."""
    from mock_server.backend.store import Store
    from mock_server.control.namespaces import Namespace

    namespace = Namespace("default", [], Store(), journal, faults)

    async def resolve(request):
        return namespace

    return resolve


def get_while_the_loop_turns(app, path: str) -> tuple[int, dict[bytes, bytes], bytes]:
    """``GET path`` on ``app`` in process, with a coroutine beside it that only yields:
    how many times the event loop ran it while the request was answered, the answer's
    headers and its body."""
    import asyncio

    async def run():
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path.split("?")[0],
            "raw_path": path.split("?")[0].encode(),
            "query_string": path.partition("?")[2].encode(),
            "root_path": "",
            "headers": [(b"host", b"127.0.0.1:9000")],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 9000),
        }
        sent: list[dict] = []
        done = asyncio.Event()

        async def receive():
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message):
            sent.append(message)

        turns = 0

        async def other_work():
            nonlocal turns
            while not done.is_set():
                turns += 1
                await asyncio.sleep(0)

        ticker = asyncio.create_task(other_work())
        await app(scope, receive, send)
        done.set()
        await ticker
        return turns, dict(sent[0]["headers"]), b"".join(m.get("body", b"") for m in sent[1:])

    return asyncio.run(run())
