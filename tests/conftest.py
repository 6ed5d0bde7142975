"""Shared pytest fixtures: the app in process (httpx over ASGI) and a real server on
loopback. Plain helpers and constants are in helpers.py."""

from __future__ import annotations

import pytest

from helpers import SharedServer, login, make_client

pytest_plugins = ["pytester"]  # tests/test_plugin.py runs pytest sessions of its own


@pytest.fixture
def client():
    c = make_client()
    yield c
    c.close()


@pytest.fixture
def auth(client) -> dict:
    return {"Authorization": f"Bearer {login(client)}"}


@pytest.fixture(scope="session")
def shared_server():
    """The session's mock server process (helpers.SharedServer); tests borrow it through
    ``live_server``."""
    shared = SharedServer()
    yield shared
    shared.stop()


@pytest.fixture
def live_server(shared_server):
    """A mock server process on a free loopback port with the default specs/ and fixtures/,
    at the fixtures' state; shared with other tests, so a test that needs other options
    starts its own ``LiveServer``."""
    return shared_server.lend()
