"""The fast path (mock_server/web/fastpath.py) answers byte for byte like Starlette's plain
stack: the golden corpus (benchmarks/golden.py, some 640 varied requests: every route,
errors, CORS, HEAD, trailing slashes, unknown paths, the control API) through both, with
ids and the clock pinned, compared answer by answer (status, raw headers in order, body)."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

import httpx
import pytest
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.middleware.errors import ServerErrorMiddleware

from mock_server.backend import ids
from mock_server.web import fastpath
from mock_server.web.app import MockApp
from tests.helpers import make_mock

GOLDEN = Path(__file__).resolve().parent.parent / "benchmarks" / "golden.py"


@pytest.fixture
def golden(monkeypatch):
    for name in ("now", "now_iso", "new_id"):  # golden pins them; put them back afterwards
        monkeypatch.setattr(ids, name, getattr(ids, name))
    spec = importlib.util.spec_from_file_location("golden", GOLDEN)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("validate", [False, True], ids=["plain", "validated"])
def test_the_fast_path_answers_like_the_plain_stack_on_the_golden_corpus(golden, validate):
    fast = asyncio.run(golden.run(validate, fast=True))
    plain = asyncio.run(golden.run(validate, fast=False))
    assert len(fast) == len(plain) > 500
    different = [(f["request"], f, p) for f, p in zip(fast, plain, strict=True) if f != p]
    assert not different, different[:3]


def test_the_fast_path_is_on_by_default_and_only_on_a_supported_starlette():
    app = MockApp(make_mock())
    assert app.fast and not isinstance(app.build_middleware_stack(), ServerErrorMiddleware)
    assert isinstance(MockApp(make_mock(), fast=False).build_middleware_stack(), ServerErrorMiddleware)
    assert fastpath.supported("1.10.0") and fastpath.supported("0.40.0")
    assert not fastpath.supported("0.39.2") and not fastpath.supported("2.0.0")
    assert not fastpath.supported("nonsense")


def test_a_customised_app_keeps_starlettes_stack():
    """User middleware must see every request, so the shortcut steps aside."""
    seen = []

    class Spy(BaseHTTPMiddleware):
        async def dispatch(self, request, call_next):
            seen.append(request.url.path)
            return await call_next(request)

    app = MockApp(make_mock())
    app.user_middleware.append(Middleware(Spy))

    async def go():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:9000") as c:
            return await c.get("/admin/payments")

    stack = app.build_middleware_stack()
    assert isinstance(stack, fastpath.InTask) and isinstance(stack.app, ServerErrorMiddleware)
    assert asyncio.run(go()).status_code == 401
    assert seen == ["/admin/payments"]
