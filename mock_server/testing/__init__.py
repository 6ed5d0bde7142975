"""Testing against the mock from Python: ``MockClient`` (one namespace of a running mock,
standard library only), ``MockServer`` (a mock on a free loopback port, started and
stopped from Python) and the pytest plugin (``pytest_plugin``: the ``medusa_mock``
fixture), which pytest loads through the package's ``pytest11`` entry point.

The names are imported on first use: pytest imports this package at the start of every
session in an environment it is installed in, used or not."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .client import MockClient, MockControlError, MockResponse, new_namespace
    from .server import MockServer

__all__ = ["MockClient", "MockControlError", "MockResponse", "MockServer", "new_namespace"]


def __getattr__(name: str) -> Any:
    if name == "MockServer":
        from . import server

        return server.MockServer
    if name in __all__:
        from . import client

        return getattr(client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
