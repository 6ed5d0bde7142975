"""The control plane, ``/__mock/*``: reset to the fixtures, load other fixtures, dump the
state. Apart from the Medusa surface; nothing in the rules imports it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..backend import fixtures


def routes(mock) -> list[Route]:
    async def reset(request: Request) -> JSONResponse:
        mock.reset()
        return JSONResponse(_counts(mock))

    async def state(request: Request) -> JSONResponse:
        return JSONResponse(fixtures.dump(mock.store))

    async def load(request: Request) -> JSONResponse:
        """Replace the state with the posted fixture document (YAML or JSON); reset then
        returns to it. A bad document changes nothing and answers 400 with the reason."""
        try:
            files = [fixtures.parse((await request.body()).decode(), "<posted fixture>")]
            mock.load(files)
        except fixtures.FixtureError as exc:
            return JSONResponse({"type": "invalid_data", "message": str(exc),
                                 "path": exc.path}, status_code=400)
        return JSONResponse(_counts(mock))

    return [
        Route("/reset", reset, methods=["POST"]),
        Route("/state", state, methods=["GET"]),
        Route("/load", load, methods=["POST"]),
    ]


def _counts(mock) -> dict:
    store = mock.store
    return {"payments": len(store.payments), "refund_reasons": len(store.refund_reasons),
            "users": len(store.users), "api_keys": len(store.api_keys)}
