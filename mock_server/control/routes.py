"""The control plane, ``/__mock/*``: reset to the fixtures, load other fixtures, dump the
state (here); the request journal, its verification, fault rules and the control API's own
OpenAPI description at ``/__mock/openapi.json`` (``steering.py``). Apart from the Medusa
surface and off its auth; nothing in the rules imports it.

``/__mock/reset`` and ``/__mock/load`` replace the state only: the journal and the fault
rules stay as they are (a test that resets between steps still sees what was sent before,
and a fault set up for a scenario survives its reset). ``DELETE /__mock/requests`` and
``DELETE /__mock/faults`` empty them.

It can rewrite everything (users, passwords, secret keys) and ``/state`` shows it all, so it
answers only callers that are the developer's own (docs/threat-model.md): a ``Host`` that is
a loopback name or the address the server was bound to (no DNS rebinding), and no
``Origin`` the CORS lists do not allow (no page on another site, whose "simple" ``text/plain``
POST needs no preflight). An allowed origin gets CORS headers, preflights included, so a
browser test runner on the app's origin can call it.

With a control token (``serve --control-token T`` or ``MOCK_CONTROL_TOKEN``) every request
but a preflight must also carry it in the ``X-Mock-Control-Token`` header (its own header,
so a client that sends Medusa's ``Authorization`` everywhere is not mistaken for a caller
with a wrong token); without it or with another value: 401, with the CORS headers an
allowed origin gets, so a browser test sees the 401 and not a CORS failure. Preflights
carry no credentials and are answered without it; a preflight's requested headers are
allowed as asked, this one included.

The dashboard (``GET /__mock/ui`` and its files, dashboard.py) is read without the token,
which a browser navigation cannot send; the page asks for it and sends it on its calls.
Those calls come from the mock's own origin: a browser sends ``Origin`` on a same-origin
POST or DELETE, so an ``Origin`` that is this server's own (the scheme and the ``Host``
the request was checked with) is accepted like a listed one."""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import re
import socket

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, Router

from ..backend import fixtures
from ..web.cors import Cors, Origins
from ..web.responses import encode, preflight_response
from .namespaces import (
    DEFAULT,
    HEADER,
    MAX_NAME,
    PREFIX_KEY,
    QUERY as NAMESPACE_QUERY,
    Namespace,
    NamespaceError,
)
from .dashboard import dashboard_routes, is_public
from .steering import answer_in_pieces, namespaced, steering_routes, unexpected_input

NAMESPACE_HEADER = HEADER.decode("ascii")

POSTED = "<posted fixture>"
_WILDCARDS = ("", "0.0.0.0", "::", "[::]")
TOKEN_HEADER = "X-Mock-Control-Token"
MAX_TOKEN = 256
_TOKEN = re.compile(r"[\x21-\x7e]+")  # what an HTTP header value carries as it is: visible ASCII


def app(mock) -> "Guard":
    """The ``/__mock`` ASGI app: the routes behind the caller checks."""
    return Guard(Router(routes=routes(mock), default=_no_route), mock)


async def _no_route(scope, receive, send) -> None:
    """An unknown control path: a JSON 404 like the routes' own errors (Starlette's default
    is plain text). ``/__mock/faults/%0A`` comes here too: Starlette's ``$`` matches before
    a final newline, so the mount takes it and the route does not."""
    path = scope["path"]
    await _control_error(404, "not_found", f"no control route {scope['method']} {path[:200]!r}")(
        scope, receive, send
    )


def routes(mock) -> list[Route]:
    # One load or reset at a time: each builds a whole store (off the event loop), and the
    # last to finish must be the one that was asked for last.
    swap = asyncio.Lock()

    async def namespace(request: Request) -> Namespace:
        return await namespace_of(mock, request)

    async def reset(request: Request, ns: Namespace) -> Response:
        async with swap:
            files = ns.files
            store = await run_in_threadpool(fixtures.build, files)
            mock.load(files, store, namespace=ns)
        return JSONResponse(_counts(ns))

    async def state(request: Request, ns: Namespace) -> Response:
        # One moment of the state is read at once (work that grows with the payments); the
        # refunds and captures, which grow with every refund, are written a thousand at a
        # time, the loop serving other requests in between (PROFILE.md). orjson writes the
        # bytes json.dumps would, ten times faster.
        return await answer_in_pieces(fixtures.snapshot(ns.store)(encode))

    async def load(request: Request, ns: Namespace) -> Response:
        """Replace the state with the posted fixture document (YAML or JSON); reset then
        returns to it. A bad document changes nothing and answers 400 with the reason; one
        over ``fixtures.MAX_DOCUMENT_BYTES`` answers 413 unread."""
        body = await _read_bounded(request, fixtures.MAX_DOCUMENT_BYTES)
        if body is None:
            error = fixtures.FixtureError(
                POSTED,
                "",
                f"larger than {fixtures.MAX_DOCUMENT_BYTES} bytes (the limit of a fixture document)",
            )
            return _fixture_error(error, 413)
        async with swap:
            try:
                files, store = await run_in_threadpool(_parse_and_build, body)
            except fixtures.FixtureError as exc:
                return _fixture_error(exc, 400)
            mock.load(files, store, namespace=ns)  # the swap itself, on the event loop
        return JSONResponse(_counts(ns))

    async def list_namespaces(request: Request) -> Response:
        if (refusal := unexpected_input(request)) is not None:
            return refusal
        return JSONResponse(mock.namespaces.listing())

    async def drop_namespace(request: Request) -> Response:
        if (refusal := unexpected_input(request)) is not None:
            return refusal
        name = request.path_params["name"]
        if name == DEFAULT:
            return _control_error(400, "invalid_data", "the default namespace is never dropped (reset it)")
        dropped = mock.namespaces.drop(name)
        if dropped is None:
            return _control_error(404, "not_found", f"no namespace named {name[:MAX_NAME]!r}")
        return JSONResponse(dropped.summary(mock.namespaces.clock()))

    return [
        namespaced("/reset", namespace, POST=(reset, "")),
        namespaced("/state", namespace, GET=(state, "")),
        namespaced("/load", namespace, POST=(load, "body")),
        *steering_routes(namespace),
        Route("/namespaces", list_namespaces, methods=["GET"]),
        Route("/namespaces/{name}", drop_namespace, methods=["DELETE"]),
        *dashboard_routes(),
    ]


async def namespace_of(mock, request: Request) -> Namespace:
    """The namespace a control request acts on: the ``/__ns/NAME`` prefix, ``?namespace=``
    or the ``x-mock-namespace`` header (at most one value, or the same in each), else the
    default one. ``NamespaceError`` for a bad name, two names or one namespace too many."""
    given = request.query_params.getlist(NAMESPACE_QUERY) + request.headers.getlist(NAMESPACE_HEADER)
    prefix = request.scope.get(PREFIX_KEY)
    if prefix is not None:
        given.append(prefix)
    if len(set(given)) > 1:
        shown = ", ".join(repr(name[:MAX_NAME]) for name in dict.fromkeys(given))
        raise NamespaceError(400, "invalid_data", f"More than one namespace given: {shown}")
    return await mock.namespaces.get(given[0] if given else None, count=False)


def _control_error(status: int, type_: str, message: str) -> JSONResponse:
    return JSONResponse({"type": type_, "message": message}, status_code=status)


def _parse_and_build(body: bytes):
    files = [fixtures.parse(body, POSTED)]
    return files, fixtures.build(files)


def _fixture_error(exc: fixtures.FixtureError, status: int) -> JSONResponse:
    return JSONResponse({"type": "invalid_data", "message": str(exc), "path": exc.path}, status_code=status)


async def _read_bounded(request: Request, limit: int) -> bytes | None:
    """The body, or None once it is known to exceed ``limit`` bytes: from Content-Length
    before reading anything, else while reading (nothing past the limit is kept)."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        return None
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
    except ClientDisconnect:
        return b""  # nobody to answer; an empty document changes nothing here
    return b"".join(chunks)


def _counts(ns: Namespace) -> dict:
    store = ns.store
    return {
        "payments": len(store.payments),
        "refund_reasons": len(store.refund_reasons),
        "users": len(store.users),
        "api_keys": len(store.api_keys),
    }


# --- who may call ----------------------------------------------------------------------


def host_name(host: str) -> str:
    """The name in a ``Host`` header value, without the port, lower case, without a final
    dot (``[::1]:9000`` → ``[::1]``, ``LocalHost.:80`` → ``localhost``)."""
    host = host.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        return host[: end + 1] if end != -1 else host
    name, colon, port = host.rpartition(":")
    if colon and name and ":" not in name:
        host = name
    return host[:-1] if host.endswith(".") else host


def is_loopback(host: str) -> bool:
    """``localhost``, ``*.localhost`` (RFC 6761: always the loopback interface) or a
    loopback address (127.0.0.0/8, ``::1``), in a Host value or a ``--host`` option."""
    name = host_name(host)
    if name == "localhost" or name.endswith(".localhost"):
        return True
    address = _ip(name)
    return address is not None and address.is_loopback


def _ip(name: str):
    try:
        return ipaddress.ip_address(name[1:-1] if name.startswith("[") else name)
    except ValueError:
        return None


class HostCheck:
    """Which ``Host`` values the control plane answers. Loopback names always. Bound to a
    non-loopback name or address: that one too. Bound to every interface (0.0.0.0, ::):
    any address literal and this machine's host name. Never an arbitrary name, as a DNS
    rebinding page (its own name resolved to this machine) would send."""

    def __init__(self, bound: str) -> None:
        bound = bound.strip().lower()
        self.any_address = bound in _WILDCARDS
        self.names: set[str] = set()
        if self.any_address:
            self.names.add(_canonical(host_name(socket.gethostname())))
        elif not is_loopback(bound):
            self.names.add(_canonical(host_name(bound)))

    def allows(self, host: str | None) -> bool:
        if host is None:
            return True  # not from a browser: browsers always send Host
        name = host_name(host)
        if is_loopback(name) or _canonical(name) in self.names:
            return True
        return self.any_address and _ip(name) is not None


def _canonical(name: str) -> str:
    """One spelling per address (``[::0:1]`` and ``::1`` alike), names as they are."""
    address = _ip(name)
    return str(address) if address is not None else name


def check_token(token: str) -> str:
    """A control token as given (``--control-token``, ``MOCK_CONTROL_TOKEN``), or
    ``ValueError`` saying why it cannot be one: 1 to ``MAX_TOKEN`` visible ASCII characters,
    what a header value carries unchanged."""
    if not token:
        raise ValueError("the control token is empty")
    if len(token) > MAX_TOKEN:
        raise ValueError(f"the control token is longer than {MAX_TOKEN} characters")
    if not _TOKEN.fullmatch(token):
        raise ValueError(
            "the control token may hold only visible ASCII characters (no spaces), "
            f"as the {TOKEN_HEADER} header carries it"
        )
    return token


class Guard:
    """ASGI wrapper of the control routes: refuses a foreign ``Host``, an ``Origin`` that
    neither CORS list allows, and a cross-site browser request without an allowed
    ``Origin`` (``Sec-Fetch-Site: cross-site``), with a 403 JSON error; answers preflights
    and adds CORS headers for allowed origins; with a control token, refuses a request
    without it (or with another) with a 401 JSON error."""

    def __init__(self, inner, mock) -> None:
        self.inner = inner
        config = mock.config
        self.hosts = HostCheck(config.host)
        self.origins = Origins(tuple(config.admin_cors) + tuple(config.auth_cors))
        token = config.control_token
        self.token = check_token(token).encode("ascii") if token is not None else None

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        host = headers.get("host")
        if origin is not None and _same_origin(scope, origin, host):
            origin = None  # the dashboard's own calls: no CORS involved
        refusal = self.refusal(host, origin, headers.get("sec-fetch-site"))
        if refusal is not None:
            response = JSONResponse(
                {"type": "forbidden", "message": refusal}, status_code=403, headers={"Vary": "Origin"}
            )
            await response(scope, receive, send)
            return
        if origin is not None and scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await preflight_response(
                Cors.preflight(self.origins, origin, headers.get("access-control-request-headers"))
            )(scope, receive, send)
            return
        if self.token is not None and not is_public(scope["method"], _route_path(scope)):
            problem = self.token_problem(scope)
            if problem is not None:
                allowed = Cors.headers(self.origins, origin) if origin is not None else []
                response = JSONResponse(
                    {"type": "unauthorized", "message": problem}, status_code=401, headers=dict(allowed)
                )
                await response(scope, receive, send)
                return
        if origin is None:
            await self.inner(scope, receive, send)
            return
        cors = [(k.encode(), v.encode()) for k, v in Cors.headers(self.origins, origin)]

        async def send_with_cors(message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *cors]}
            await send(message)

        await self.inner(scope, receive, send_with_cors)

    def token_problem(self, scope) -> str | None:
        """Why this request's control token is not accepted, or None. The comparison takes
        the same time wherever the given value first differs (``hmac.compare_digest``)."""
        name = TOKEN_HEADER.lower().encode("ascii")
        given = next((value for key, value in scope["headers"] if key == name), None)
        if given is None:
            return (
                f"/__mock requires the control token in the {TOKEN_HEADER} header "
                "(the server was started with --control-token or MOCK_CONTROL_TOKEN)"
            )
        assert self.token is not None
        if not hmac.compare_digest(given, self.token):
            return f"the {TOKEN_HEADER} header does not hold the control token"
        return None

    def refusal(self, host: str | None, origin: str | None, fetch_site: str | None) -> str | None:
        """Why this caller may not use the control plane, or None if it may."""
        if not self.hosts.allows(host):
            return (
                f"Host {_quoted(host)} is not allowed on /__mock: it answers only "
                "loopback names (localhost, 127.0.0.1, [::1], *.localhost) and the "
                "address the server is bound to"
            )
        if origin is not None:
            if origin in self.origins:
                return None
            return (
                f"Origin {_quoted(origin)} is not allowed on /__mock: only origins "
                "in ADMIN_CORS or AUTH_CORS (--admin-cors, --auth-cors) may call it"
            )
        if fetch_site == "cross-site":
            return (
                "Cross-site requests are not allowed on /__mock: a browser request "
                "from another site needs an Origin in ADMIN_CORS or AUTH_CORS"
            )
        return None


def _same_origin(scope, origin: str, host: str | None) -> bool:
    """Whether ``origin`` is this server's own: the request's scheme and its ``Host``."""
    if host is None:
        return False
    return origin.lower() == f"{scope.get('scheme', 'http')}://{host.strip().lower()}"


def _route_path(scope) -> str:
    """The path below the ``/__mock`` mount (``/ui`` for ``/__mock/ui``)."""
    path, root = scope["path"], scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _quoted(value: str | None, limit: int = 100) -> str:
    value = value or ""
    return repr(value if len(value) <= limit else value[: limit - 1] + "…")


def exposure_warning(host: str, control: bool, token: bool = False) -> str | None:
    """The one-line start-up warning for a server reachable beyond loopback, or None.
    ``token``: the control plane requires a control token (then only the Medusa surface,
    with its public demo credentials, is open to the network)."""
    if is_loopback(host):
        return None
    open_control = control and not token
    what = (
        "read and rewrite its whole state through /__mock (the demo password and the "
        "secret API key included), read every request in its journal, make it fail "
        "through fault rules, and "
        if open_control
        else ""
    )
    advice = ", and --control-token T to require a token on /__mock" if open_control else ""
    return (
        f"mock-server: warning: --host {host} is not a loopback address: anyone on the "
        f"network can {what}log in with the demo credentials; use --host 127.0.0.1 "
        f"unless that is intended{advice}"
    )
