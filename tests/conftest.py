"""Shared test fixtures: the app in process (httpx over ASGI) and a real server on loopback."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from mock_server.web.app import create_app
from mock_server.config import Config
from mock_server.tooling.process import MockProcess, free_port  # noqa: F401 (re-exported to tests)

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


def make_client(**config) -> httpx.Client:
    """A client for a fresh mock app in process, with every response checked against the spec."""
    app = create_app(Config(validate_responses=True, **config))
    transport = httpx.ASGITransport(app=app)
    return _SyncASGIClient(transport, app)


class _SyncASGIClient(httpx.Client):
    """httpx's ASGITransport is async; run each request on a private event loop."""

    def __init__(self, transport, app) -> None:
        import asyncio

        super().__init__(base_url="http://127.0.0.1:9000")
        self.app = app
        self._loop = asyncio.new_event_loop()
        self._async = httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:9000")

    def request(self, method, url, **kwargs):  # type: ignore[override]
        return self._loop.run_until_complete(self._async.request(method, url, **kwargs))

    def close(self) -> None:
        self._loop.run_until_complete(self._async.aclose())
        self._loop.close()


@pytest.fixture
def client():
    c = make_client()
    yield c
    c.close()


def login(client) -> str:
    response = client.post("/auth/user/emailpass", json=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()["token"]


@pytest.fixture
def auth(client) -> dict:
    return {"Authorization": f"Bearer {login(client)}"}


# A mock server process on a free loopback port (mock_server/tooling/process.py).
LiveServer = MockProcess


@pytest.fixture
def live_server():
    """A mock server process on a free loopback port with the default specs/ and fixtures/."""
    server = LiveServer()
    yield server
    server.stop()
