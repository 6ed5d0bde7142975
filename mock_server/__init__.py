"""A stateful mock of the Medusa 2.21.2 admin payments API, built from an OpenAPI contract.

The public surface is what this module exports (``__all__``): ``create_app`` builds the
ASGI app from a ``Config``; ``Mock`` is the running state behind it (reset, load, store).
Every other module is private by convention. The contract tooling (``mock_server.tooling``)
needs the ``test`` extra and is never imported by the server.
"""

__version__ = "0.1.0"

from .config import Config  # noqa: E402
from .web.app import Mock, create_app  # noqa: E402

__all__ = ["Config", "Mock", "create_app", "__version__"]
