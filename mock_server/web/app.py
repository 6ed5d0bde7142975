"""The app, assembled once from config: the spec gives the routes and validators, the
fixtures the starting state, ``handlers.py`` the handlers.

``MockApp`` is a Starlette app with one route of its own, the control plane's mount
(``/__mock``); every other request goes to ``pipeline.Pipeline``, which routes it
(``router.py``) and runs it through its named stages. ``fastpath.py`` lets a Medusa request
skip Starlette's generic middleware, which does nothing for it.
"""

from __future__ import annotations

import asyncio
import contextlib

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount

from .. import control
from ..backend import fixtures
from ..backend.fields import Projector
from ..config import Config
from ..backend.store import Store
from ..control.faults import Faults, parse_latency
from ..control.journal import Journal
from ..control.namespaces import PREFIX, PREFIX_KEY, Namespace, Namespaces, split_prefix
from ..control.steering import outcome, quiet_drops
from . import contract as spec, fastpath
from .auth import Secrets, Sessions
from .caches import BearerCache, QueryCache
from .contract import Contract
from .cors import Cors
from .handlers import HANDLERS
from .pipeline import Pipeline
from .reload import Watcher


class Mock:
    """Everything one running mock holds: the contract, the fixture files, the state."""

    def __init__(self, config: Config, contract: Contract | None = None) -> None:
        """``contract``: the already loaded ``config.spec`` (loading and compiling it is
        most of the start-up time; tests load it once and build many mocks from it)."""
        self.config = config
        self.contract: Contract = contract if contract is not None else spec.load(config.spec)
        self.check_handlers(self.contract)
        files = [fixtures.read(p) for p in fixtures.files_in(config.fixtures)]
        # Steering (control/): isolated states, what was asked, what to answer instead, how late.
        self.namespaces = Namespaces(
            files,
            config.journal_size,
            ttl=config.namespace_ttl,
            limit=config.max_namespaces,
        )
        self.secrets = Secrets(config.jwt_secret, config.cookie_secret)
        self.sessions = Sessions(self.secrets)
        self.cors = Cors(config.admin_cors, config.auth_cors)
        self.latency = parse_latency(config.latency) if config.latency else None
        # Caches of work that depends only on its key (all bounded; see each class).
        self.projector = Projector()
        self.bearer_cache = BearerCache()
        self.query_cache = QueryCache()

    @staticmethod
    def check_handlers(contract: Contract) -> None:
        """``SpecError`` unless every operation of ``contract`` has a handler."""
        missing = [op.operation_id for op in contract.operations if op.operation_id not in HANDLERS]
        if missing:
            raise spec.SpecError(
                contract.file, "/paths", f"no handler for operationId(s): {', '.join(missing)}"
            )

    # The default namespace's parts, as a mock without namespaces has them.
    @property
    def store(self) -> Store:
        return self.namespaces.default.store

    @property
    def journal(self) -> Journal:
        return self.namespaces.default.journal

    @property
    def faults(self) -> Faults:
        return self.namespaces.default.faults

    @property
    def fixture_files(self) -> list[fixtures.FixtureFile]:
        return self.namespaces.default.files

    def reset(self, namespace: Namespace | None = None) -> None:
        """Back to the fixtures' state (sessions survive: logged-in users stay logged in)."""
        namespace = namespace or self.namespaces.default
        self.load(namespace.files, namespace=namespace)

    def load(self, files: list[fixtures.FixtureFile], store=None, namespace: Namespace | None = None) -> None:
        """The state of ``files`` in ``namespace`` (default: the default one): ``store`` if
        given (already built from them, e.g. off the event loop), else built here."""
        (namespace or self.namespaces.default).load(files, fixtures.build(files) if store is None else store)


class MockApp(Starlette):
    """The mock as an ASGI app: ``/__mock`` (unless ``--no-control``) and the pipeline.

    A request that a fault rule drops (``control/steering.py``) is marked on its scope and
    gets no answer; ``__call__`` then returns ``DROPPED``, which uvicorn answers by closing
    the connection. In process (httpx's ``ASGITransport``) there is no connection to close:
    with ``raise_on_drop`` it raises ``ConnectionDropped`` instead."""

    def __init__(self, mock: Mock, fast: bool = True, raise_on_drop: bool = False) -> None:
        self.mock = mock
        self.pipeline = Pipeline(mock)
        routes: list[BaseRoute] = []
        if mock.config.control:
            routes.append(Mount("/__mock", app=control.app(mock)))
        super().__init__(routes=routes, lifespan=self._watching if mock.config.watch else None)
        self.router.redirect_slashes = False
        self.router.default = self.pipeline
        self.state.mock = mock
        self.fast = fast
        self.raise_on_drop = raise_on_drop
        quiet_drops()

    @contextlib.asynccontextmanager
    async def _watching(self, app):
        """``serve --watch``: the fixture and spec watcher runs while the server does."""
        watcher = Watcher(self)
        task = asyncio.create_task(watcher.run())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def build_middleware_stack(self):
        stack = super().build_middleware_stack()
        return fastpath.wrap(self, stack) if self.fast else stack

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and (found := split_prefix(scope["path"])) is not None:
            # /__ns/NAME/rest: the request is /rest in namespace NAME (control/namespaces.py)
            name, rest = found
            scope = dict(scope, path=rest)
            raw = scope.get("raw_path")
            if raw is not None:  # the same cut on the undecoded path
                cut = raw.find(b"/", len(PREFIX))
                scope["raw_path"] = raw[cut:] if cut != -1 else b"/"
            scope[PREFIX_KEY] = name
        # Starlette.__call__'s three lines (0.40 to 1.x), here: one coroutine less a request
        scope["app"] = self
        if self.middleware_stack is None:
            self.middleware_stack = self.build_middleware_stack()
        await self.middleware_stack(scope, receive, send)
        return outcome(scope, self.raise_on_drop)


def create_app(
    config: Config | None = None, mock: Mock | None = None, contract: Contract | None = None
) -> MockApp:
    """The app for ``config`` (default: from the environment), or around an existing
    ``mock``; ``contract`` is ``config.spec`` already loaded (see ``Mock``)."""
    return MockApp(mock or Mock(config or Config.from_env(), contract))
