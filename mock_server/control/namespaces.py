"""Namespaces: isolated states on one mock, so parallel tests do not see each other.

A request names its namespace with the ``x-mock-namespace`` header or by putting its path
under ``/__ns/NAME`` (``MockApp`` strips the prefix before routing and leaves the name in
the scope under ``PREFIX_KEY``); without either it is in the default namespace, ``default``,
exactly as a mock without namespaces. The control routes also take ``?namespace=NAME``.

A ``Namespace`` holds what a test can see and change: its fixture files (what reset goes
back to), the state built from them, its request journal and its fault rules. Sessions,
the signing secrets, the contract and ``--latency`` are the mock's. A namespace is built
from the mock's fixture files on first use (off the event loop; concurrent first requests
share one build). The default namespace is never dropped; the others are dropped after
``ttl`` seconds without a request, or on ``DELETE /__mock/namespaces/NAME``. At most
``limit`` of them exist at once: one more is refused with ``NamespaceError`` (429) that
names the limit. Logins look up users and API keys in the namespace's state, then in the
default namespace's, so a namespace loaded with a fixture that has no users still logs in.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from typing import Callable

from starlette.concurrency import run_in_threadpool

from ..backend import fixtures
from ..backend.store import Store
from ..web.transport import in_task
from .faults import Faults
from .journal import Journal

DEFAULT = "default"
HEADER = b"x-mock-namespace"
QUERY = "namespace"
PREFIX = "/__ns/"
PREFIX_KEY = "mock_server.namespace"  # the scope key MockApp sets for a prefixed path
MAX_NAME = 64
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,%d}" % (MAX_NAME - 1))
DEFAULT_TTL = 3600.0
DEFAULT_LIMIT = 1000


class NamespaceError(Exception):
    """A namespace that cannot be used: a bad name (400), or one more than the limit (429)."""

    def __init__(self, status: int, type_: str, message: str) -> None:
        super().__init__(message)
        self.status, self.type, self.message = status, type_, message

    def body(self) -> dict:
        return {"type": self.type, "message": self.message}


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        shown = name if len(name) <= MAX_NAME else name[:MAX_NAME] + "..."
        raise NamespaceError(
            400,
            "invalid_data",
            f"Invalid namespace name {shown!r}: 1 to {MAX_NAME} characters of A-Z, a-z, 0-9, "
            "'_', '.' and '-', starting with a letter or a digit",
        )
    return name


def split_prefix(path: str) -> tuple[str, str] | None:
    """``/__ns/NAME/rest`` → ``(NAME, "/rest")`` (``"/"`` when nothing follows), else None.
    The name is checked later, where the answer can say what is wrong with it."""
    if not path.startswith(PREFIX):
        return None
    name, slash, rest = path[len(PREFIX) :].partition("/")
    return name, slash + rest if slash else "/"


@dataclass(eq=False)
class Namespace:
    name: str
    files: list[fixtures.FixtureFile]
    store: Store
    journal: Journal
    faults: Faults = field(default_factory=Faults)
    created_at: float = field(default_factory=time.time)
    last_used: float = 0.0  # on the Namespaces' clock
    requests: int = 0

    def load(self, files: list[fixtures.FixtureFile], store: Store) -> None:
        """The state of ``files`` (``store``, already built from them): reset returns to it.
        The state it replaces is freed at once (``Store.dispose``)."""
        dropped, self.files, self.store = self.store, files, store
        if dropped is not store:
            dropped.dispose()

    def summary(self, now: float) -> dict:
        """What ``GET /__mock/namespaces`` shows: when it was last used, and its size."""
        store = self.store
        idle = max(0.0, now - self.last_used)
        return {
            "name": self.name,
            "created_at": _iso(self.created_at),
            "last_used_at": _iso(time.time() - idle),
            "idle_seconds": round(idle, 3),
            "requests": self.requests,
            "payments": len(store.payments),
            "refunds": sum(len(p.refunds) for p in store.payments.values()),
            "refund_reasons": len(store.refund_reasons),
            "journal": len(self.journal),
            "faults": len(self.faults.list()),
        }


class Namespaces:
    """The default namespace and the named ones, bounded in number and in idle time."""

    def __init__(
        self,
        files: list[fixtures.FixtureFile],
        journal_size: int,
        ttl: float = DEFAULT_TTL,
        limit: int = DEFAULT_LIMIT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl <= 0 or limit < 0:
            raise ValueError("the namespace ttl is positive and the limit never negative")
        self.files = files  # what a new namespace is built from
        self.journal_size = journal_size
        self.ttl, self.limit = ttl, limit
        self.clock = clock
        self.default = Namespace(DEFAULT, files, fixtures.build(files), Journal(journal_size))
        self.named: dict[str, Namespace] = {}
        self._building: dict[str, asyncio.Future] = {}
        self._next_sweep = clock() + self._sweep_every

    @property
    def _sweep_every(self) -> float:
        return min(60.0, max(1.0, self.ttl / 10))

    def __len__(self) -> int:
        return 1 + len(self.named)

    def peek(self, name: str | None) -> Namespace | None:
        """The namespace if it exists (None for an unknown name), without touching it."""
        if name is None or name == DEFAULT:
            return self.default
        return self.named.get(name)

    async def get(self, name: str | None, count: bool = True) -> Namespace:
        """The namespace ``name`` (None: the default), built on first use; marks it used
        (and counts a Medusa request when ``count``). ``NamespaceError`` for a bad name or
        one more than the limit."""
        found = self.existing(name, count)
        if found is not None:
            return found
        built = await self._create(check_name(name))  # type: ignore[arg-type]
        return self.existing(name, count) or built  # marked used as any other

    def existing(self, name: str | None, count: bool = True) -> Namespace | None:
        """``get`` for a namespace that exists (no coroutine: every request asks), marked
        used; None when it is still to be built."""
        found: Namespace | None
        if name is None or name == DEFAULT:
            found = self.default
        else:
            found = self.named.get(name)
            if found is None:
                return None
        now = self.clock()
        found.last_used = now
        found.requests += count
        if now >= self._next_sweep:
            self.sweep(now)
        return found

    async def _create(self, name: str) -> Namespace:
        pending = self._building.get(name)
        if pending is not None:
            return await asyncio.shield(pending)
        self.sweep(self.clock())
        if len(self.named) + len(self._building) >= self.limit:
            raise NamespaceError(
                429,
                "not_allowed",
                f"Too many namespaces: {self.limit} are in use, the most this mock holds "
                f"(serve --max-namespaces {self.limit}). Drop one (DELETE /__mock/namespaces/NAME) "
                f"or let idle ones expire (serve --namespace-ttl, now {self.ttl:g} s).",
            )
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._building[name] = future
        files = self.files
        try:
            await in_task()  # a request's first step may run outside one; anyio needs one
            store = await run_in_threadpool(fixtures.build, files)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: a waiter may not exist
            raise
        finally:
            del self._building[name]
        namespace = Namespace(name, files, store, Journal(self.journal_size), last_used=self.clock())
        self.named[name] = namespace
        future.set_result(namespace)
        return namespace

    def drop(self, name: str) -> Namespace | None:
        found = self.named.pop(name, None)
        if found is not None:
            found.store.dispose()  # freed at once, with its journal and rules
        return found

    def sweep(self, now: float) -> int:
        """Drop the namespaces idle for ``ttl`` seconds or more; how many."""
        self._next_sweep = now + self._sweep_every
        idle = [name for name, ns in self.named.items() if now - ns.last_used >= self.ttl]
        for name in idle:
            self.named.pop(name).store.dispose()
        return len(idle)

    def replace_files(self, files: list[fixtures.FixtureFile], stores: dict[str, Store]) -> int:
        """New fixture files for every namespace (``serve --watch``): each is reset to them,
        with the state ``stores`` holds for its name (built off the event loop), or one built
        here (a namespace created meanwhile). How many were reset."""
        self.files = files
        spaces = (self.default, *self.named.values())
        for namespace in spaces:
            store = stores.get(namespace.name)
            namespace.load(files, store if store is not None else fixtures.build(files))
        return len(spaces)

    def listing(self) -> dict:
        now = self.clock()
        self.sweep(now)
        spaces = [self.default, *sorted(self.named.values(), key=lambda ns: ns.name)]
        return {
            "namespaces": [ns.summary(now) for ns in spaces],
            "count": len(spaces),
            "limit": self.limit,
            "ttl_seconds": self.ttl,
        }


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{int(epoch % 1 * 1000):03d}Z"
