"""``serve --watch`` (mock_server/web/reload.py): a valid change to the fixtures or the spec
replaces the state of every namespace; an invalid one keeps the old state and says why."""

from __future__ import annotations

import asyncio
import logging
import shutil
import time

import httpx
import pytest

from mock_server.web.app import create_app
from mock_server.web.reload import Watcher
from tests.helpers import ROOT, LiveServer, make_mock

EXTRA_REASON = """
refund_reasons:
  - label: Watched
    code: watched
"""


@pytest.fixture
def folder(tmp_path):
    target = tmp_path / "fixtures"
    shutil.copytree(ROOT / "fixtures", target)
    return target


def _reasons(mock, namespace=None) -> list[str]:
    store = (mock.namespaces.peek(namespace) or mock.namespaces.default).store
    return sorted(r.code for r in store.refund_reasons.values())


def test_a_valid_change_resets_every_namespace_and_an_invalid_one_keeps_the_state(folder, caplog):
    mock = make_mock(fixtures=folder)
    app = create_app(mock=mock)
    watcher = Watcher(app)
    asyncio.run(mock.namespaces.get("other"))
    before = _reasons(mock)

    (folder / "20-extra.yaml").write_text(EXTRA_REASON)
    caplog.set_level(logging.INFO, logger="mock_server")
    assert asyncio.run(watcher.reload(spec_changed=False)) is True
    assert _reasons(mock) == sorted(before + ["watched"])
    assert _reasons(mock, "other") == sorted(before + ["watched"])
    assert "20-extra.yaml" in str([f.path for f in mock.fixture_files])
    (line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("reloaded")]
    assert line.endswith("4 fixture file(s), 10 payments, 4 refund reasons, 1 users; 2 namespace(s) reset")

    (folder / "20-extra.yaml").write_text("refund_reasons:\n  - label: 7\n    code: [nope]\n")
    caplog.clear()
    assert asyncio.run(watcher.reload(spec_changed=False)) is False
    assert _reasons(mock) == sorted(before + ["watched"])  # the old state, still served
    (error,) = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert error.startswith("reload refused, still serving the previous state: ")
    assert error.endswith(
        f"{folder / '20-extra.yaml'}: at refund_reasons[0].code: ['nope'] is not of type 'string'"
    )


def test_a_broken_spec_is_refused_and_a_fixed_one_reloads(tmp_path, folder, caplog):
    spec = tmp_path / "openapi.yaml"
    shutil.copy(ROOT / "specs" / "medusa-admin-payments.yaml", spec)
    mock = make_mock(fixtures=folder, spec=spec)
    app = create_app(mock=mock)
    watcher = Watcher(app)
    old = mock.contract
    spec.write_text("openapi: 3.0.0\npaths: {}\n")
    assert asyncio.run(watcher.reload(spec_changed=True)) is False
    assert mock.contract is old
    assert any(f"{spec}: at /openapi: not an OpenAPI 3.1 document" in r.getMessage() for r in caplog.records)
    shutil.copy(ROOT / "specs" / "medusa-admin-payments.yaml", spec)
    assert asyncio.run(watcher.reload(spec_changed=True)) is True
    assert mock.contract is not old


def test_serve_watch_picks_up_a_saved_file(folder):
    server = LiveServer("--watch", "--fixtures", str(folder))
    try:

        def codes():
            state = httpx.get(server.url + "/__mock/state", timeout=10).json()
            return sorted(r["code"] for r in state["refund_reasons"])

        before = codes()
        (folder / "20-extra.yaml").write_text(EXTRA_REASON)
        deadline = time.monotonic() + 15
        while codes() == before and time.monotonic() < deadline:
            time.sleep(0.1)
        assert codes() == sorted(before + ["watched"])
        (folder / "20-extra.yaml").write_text("refund_reasons: [1, 2")
        deadline = time.monotonic() + 15
        while "reload refused" not in server.output() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert f"{folder / '20-extra.yaml'}: at line" in server.output()
        assert codes() == sorted(before + ["watched"])
    finally:
        server.stop()
