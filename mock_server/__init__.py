"""A stateful mock of the Medusa 2.21.2 admin payments API, built from an OpenAPI contract.

The public surface is what this module exports (``__all__``): ``create_app`` builds the
ASGI app from a ``Config``; ``Mock`` is the running state behind it (reset, load, store).
Every other module is private by convention. The contract tooling (``mock_server.tooling``)
needs the ``test`` extra and is never imported by the server.

The exports are imported on first use (PEP 562): pytest imports the package at start-up
in every session of an environment it is installed in (the ``pytest11`` entry point of
``mock_server.testing.pytest_plugin``), and the app's imports (Starlette, the JSON Schema
validators) cost a third of a second that a session not using the mock should not pay.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .config import Config
    from .web.app import Mock, create_app

__all__ = ["Config", "Mock", "create_app", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "Config":
        from .config import Config

        return Config
    if name in ("Mock", "create_app"):
        from .web import app

        return getattr(app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
