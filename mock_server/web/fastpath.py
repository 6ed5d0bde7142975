"""A shorter way through Starlette for the Medusa surface.

Starlette passes each request through ``ServerErrorMiddleware`` (a wrapper round ``send``),
``ExceptionMiddleware`` (a second ``Request``, two more wrappers) and its router, which
tries the ``/__mock`` mount before handing the request to its default, the pipeline. For a
Medusa request none of that does anything but the last-resort 500: the pipeline raises no
``HTTPException`` (all ``ExceptionMiddleware`` handles), answers its own errors, and builds
its whole answer before it sends anything. So ``wrap`` puts one check in front of
Starlette's stack: a request the mount does not take goes straight to the pipeline, and an
exception before its answer starts gets ``ServerErrorMiddleware``'s own 500 and is raised
on, as there.

Public extension points only: ``MockApp.build_middleware_stack`` calls ``super()`` and wraps
what it returns. Used only when that stack is Starlette's default (no user middleware or
exception handlers, not debug) and the Starlette version is one it was checked against
(``SUPPORTED``); otherwise the plain stack serves. tests/test_fastpath.py proves the two
answer byte for byte alike on the whole golden corpus (benchmarks/golden.py).
"""

from __future__ import annotations

import logging

import starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Mount

from .transport import in_task

log = logging.getLogger("mock_server")

SUPPORTED = ((0, 40), (2, 0))  # Starlette versions [low, high) the behaviour was checked on


def version(text: str) -> tuple[int, int]:
    try:
        major, minor = text.split(".")[:2]
        return int(major), int(minor)
    except ValueError:
        return (-1, -1)


def supported(text: str = starlette.__version__) -> bool:
    low, high = SUPPORTED
    return low <= version(text) < high


class InTask:
    """An ASGI app run in a task: Starlette's stack may use anyio, which needs one, and the
    transport starts a request outside any (``transport.in_task``)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        await in_task()
        await self.app(scope, receive, send)


def wrap(app, stack):
    """``stack`` with the Medusa surface answered by ``app.pipeline`` directly, or ``stack``
    as it is when the shortcut would not be exact."""
    tasked = InTask(stack)
    if not supported() or app.user_middleware or app.exception_handlers or app.debug:
        log.debug("fast path off: Starlette %s or a customised app", starlette.__version__)
        return tasked
    prefixes = tuple(route.path + "/" for route in app.router.routes if isinstance(route, Mount))
    if len(prefixes) != len(app.router.routes):
        return tasked
    pipeline = app.pipeline

    async def dispatch(scope, receive, send) -> None:
        if scope["type"] != "http" or scope.get("root_path") or scope["path"].startswith(prefixes):
            await tasked(scope, receive, send)
            return
        try:
            response = await pipeline.answer(scope, receive)
        except Exception:
            await PlainTextResponse("Internal Server Error", status_code=500)(scope, receive, send)
            raise
        # once the answer has started, ServerErrorMiddleware only raises on
        if response is not None and not response.sent(scope):
            await response(scope, receive, send)

    return dispatch
