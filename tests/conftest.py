"""Shared pytest fixtures: the app in process (httpx over ASGI) and a real server on
loopback. Plain helpers and constants are in helpers.py."""

from __future__ import annotations

import pytest

from helpers import LiveServer, login, make_client


@pytest.fixture
def client():
    c = make_client()
    yield c
    c.close()


@pytest.fixture
def auth(client) -> dict:
    return {"Authorization": f"Bearer {login(client)}"}


@pytest.fixture
def live_server():
    """A mock server process on a free loopback port with the default specs/ and fixtures/."""
    server = LiveServer()
    yield server
    server.stop()
