"""The dashboard, ``GET /__mock/ui``: a page that shows one namespace's payments, refund
reasons, journal (live) and fault rules, and steers the mock (reset, load, faults, a refund
through the real Medusa route). Plain HTML, CSS and an ES module in ``ui/`` beside this
file, shipped in the package: no build step, nothing fetched from anywhere but this server.

The page and its files hold no secret, so the ``Guard`` (routes.py) serves them without the
control token (a browser navigation cannot send a header); its Host and Origin checks still
apply. The page asks for the token when the control API answers 401 and keeps it in the
tab's ``sessionStorage``. Every answer carries a strict Content-Security-Policy (scripts,
styles and connections from this origin only, no inline script, never framed): the page
shows request bodies anyone can send to the Medusa surface, and renders them as text only.

``?namespace=NAME`` on the page selects the namespace it opens on (checked as the control
routes check it); any other query parameter, or a body, is a 400 as elsewhere in /__mock.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .namespaces import QUERY as NAMESPACE_QUERY, NamespaceError, check_name
from .steering import unexpected_input

UI_DIR = Path(__file__).with_name("ui")
PAGE = "/ui"
# What is served, under /__mock: the path, the file in ui/ and its media type.
FILES = {
    PAGE: ("index.html", "text/html; charset=utf-8"),
    "/ui/ui.css": ("ui.css", "text/css; charset=utf-8"),
    "/ui/ui.js": ("ui.js", "text/javascript; charset=utf-8"),
    "/ui/favicon.svg": ("favicon.svg", "image/svg+xml"),
}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def is_public(method: str, path: str) -> bool:
    """A request the Guard answers without the control token: reading the page or one of
    its files (they hold nothing secret; everything else the page does needs the token)."""
    return method in ("GET", "HEAD") and path in FILES


@lru_cache(maxsize=len(FILES))
def _read(name: str) -> bytes:
    return (UI_DIR / name).read_bytes()


def dashboard_routes() -> list[Route]:
    def serve(path: str, name: str, media_type: str) -> Route:
        async def endpoint(request: Request) -> Response:
            takes_query = path == PAGE
            refusal = unexpected_input(request, query=takes_query)
            if refusal is not None:
                return refusal
            if takes_query:
                problem = _page_query_problem(request)
                if problem is not None:
                    return problem
            content = await run_in_threadpool(_read, name)  # read once, off the event loop
            return Response(content, media_type=media_type, headers=HEADERS)

        return Route(path, endpoint, methods=["GET"])

    return [serve(path, name, media_type) for path, (name, media_type) in FILES.items()]


def _error(status: int, type_: str, message: str) -> Response:
    return JSONResponse({"type": type_, "message": message}, status_code=status)


def _page_query_problem(request: Request) -> Response | None:
    """A 400 for a query other than one valid ``namespace``."""
    items = request.query_params.multi_items()
    names = sorted({k[:50] for k, _ in items if k != NAMESPACE_QUERY})
    if names:
        return _error(
            400, "invalid_data", f"GET {request.url.path} takes only ?namespace= (given: {', '.join(names)})"
        )
    values = [v for _, v in items]
    if len(values) > 1:
        return _error(400, "invalid_data", "repeated parameter(s): namespace")
    if values:
        try:
            check_name(values[0])
        except NamespaceError as exc:
            return _error(exc.status, exc.type, exc.message)
    return None
