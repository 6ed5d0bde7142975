"""``serve --watch``: reload the fixtures and the spec when a file under them changes.

``Watcher(app)`` polls (every ``interval`` seconds, a ``stat`` per file: no dependency, and
it works on every file system, network mounts and containers included) the spec file and
the fixture files, the set of fixture files included (one added or removed counts). Once a
change has settled (two polls alike: an editor's save is often two writes), everything
is read, checked and built off the event loop:

* a valid change replaces the fixture files and resets every namespace to them (their
  journals and fault rules stay, as a reset keeps them), and, if the spec changed, the
  contract and the routes; one line is logged with the counts;
* an invalid one changes nothing: the mock keeps serving the old state, and the error is
  logged with the file, the path inside it and the reason.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

from starlette.concurrency import run_in_threadpool

from ..backend import fixtures
from ..backend.store import Store
from . import contract as spec, memory
from .caches import QueryCache
from .pipeline import endpoints
from .router import Router

log = logging.getLogger("mock_server")

Snapshot = dict[str, tuple[int, int] | None]


def snapshot(spec_path: Path, fixtures_source: Path) -> Snapshot:
    """(mtime, size) of the spec file and of each fixture file; None for one that is gone."""
    paths = [spec_path]
    try:
        paths += fixtures.files_in(fixtures_source)
    except (fixtures.FixtureError, OSError):
        pass  # the folder is gone: reading it will say so
    out: Snapshot = {}
    for path in paths:
        try:
            st = os.stat(path)
            out[str(path)] = (st.st_mtime_ns, st.st_size)
        except OSError:
            out[str(path)] = None
    return out


class Watcher:
    def __init__(self, app, interval: float = 0.5) -> None:
        self.app = app
        self.mock = app.mock
        self.interval = interval
        config = self.mock.config
        self.spec_path, self.fixtures_source = Path(config.spec), Path(config.fixtures)
        self.seen = snapshot(self.spec_path, self.fixtures_source)
        self.reloads = 0  # applied changes (for tests and logs)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            now = snapshot(self.spec_path, self.fixtures_source)
            if now == self.seen:
                continue
            await asyncio.sleep(self.interval)  # let the write settle
            settled = snapshot(self.spec_path, self.fixtures_source)
            if settled != now:
                continue  # still changing: next round
            spec_changed = settled.get(str(self.spec_path)) != self.seen.get(str(self.spec_path))
            self.seen = settled
            await self.reload(spec_changed)

    async def reload(self, spec_changed: bool) -> bool:
        """Read, check and build off the loop, then swap on it. False: refused (logged)."""
        namespaces = self.mock.namespaces
        names = [namespaces.default.name, *namespaces.named]
        try:
            contract, files, stores = await run_in_threadpool(self._prepare, spec_changed, len(names))
        except (spec.SpecError, fixtures.FixtureError) as exc:
            log.error("reload refused, still serving the previous state: %s", exc)
            return False
        mock = self.mock
        if contract is not None:
            mock.contract = contract
            self.app.pipeline.router = Router(endpoints(mock))
            mock.query_cache = QueryCache()
        reset = namespaces.replace_files(files, dict(zip(names, stores, strict=True)))
        if contract is not None:  # the old contract's compiled checks may hold cycles
            memory.release_dropped_state()
        self.reloads += 1
        store = namespaces.default.store
        log.info(
            "reloaded %s%s: %d fixture file(s), %d payments, %d refund reasons, %d users; "
            "%d namespace(s) reset",
            self.fixtures_source,
            f" and {self.spec_path}" if contract is not None else "",
            len(files),
            len(store.payments),
            len(store.refund_reasons),
            len(store.users),
            reset,
        )
        return True

    def _prepare(self, spec_changed: bool, count: int):
        contract = None
        if spec_changed:
            contract = spec.load(self.spec_path)
            self.mock.check_handlers(contract)
        files = [fixtures.read(p) for p in fixtures.files_in(self.fixtures_source)]
        stores: list[Store] = [fixtures.build(files) for _ in range(count)]
        return contract, files, stores
