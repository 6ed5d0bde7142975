"""The Starlette app, assembled once from config: the spec gives the routes and
validators, the fixtures the starting state, ``handlers.py`` the handlers.

One request runs as a straight line in ``Endpoint.__call__``: route → body parse (before
auth, as in Express) → auth → body validation → query validation → handler → encode.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections import defaultdict

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.routing import BaseRoute, Mount, Route

from ..backend import errors, fixtures
from ..backend.fields import Projector
from ..backend.fields import check as check_fields
from .. import control
from ..control.faults import Faults, parse_latency
from ..control.journal import Journal
from . import body as read_body
from . import contract as spec, memory
from .auth import SCHEMES, SECRET_KEY_AS_BEARER, Actor, Secrets, Sessions, authenticate
from ..config import Config
from .cors import Cors
from ..backend.errors import MedusaError
from .parsing import BodyError, parse_query
from .responses import ExpressResponse, json_response, not_found_html, preflight_response, text_response
from .handlers import HANDLERS, Call, Reply
from .contract import Contract, Operation

log = logging.getLogger("mock_server")


class Mock:
    """Everything one running mock holds: the contract, the fixture files, the state."""

    def __init__(self, config: Config, contract: Contract | None = None) -> None:
        """``contract``: the already loaded ``config.spec`` (loading and compiling it is
        most of the start-up time; tests load it once and build many mocks from it)."""
        self.config = config
        self.contract: Contract = contract if contract is not None else spec.load(config.spec)
        missing = [op.operation_id for op in self.contract.operations if op.operation_id not in HANDLERS]
        if missing:
            raise spec.SpecError(
                self.contract.file, "/paths", f"no handler for operationId(s): {', '.join(missing)}"
            )
        self.fixture_files = [fixtures.read(p) for p in fixtures.files_in(config.fixtures)]
        self.store = fixtures.build(self.fixture_files)
        self.secrets = Secrets(config.jwt_secret, config.cookie_secret)
        self.sessions = Sessions(self.secrets)
        self.cors = Cors(config.admin_cors, config.auth_cors)
        # Steering (control/): what was asked, what to answer instead, how late.
        self.journal = Journal(config.journal_size)
        self.faults = Faults()
        self.latency = parse_latency(config.latency) if config.latency else None
        # Caches of work that depends only on its key (all bounded; see each class).
        self.projector = Projector()
        self.bearer_cache = _BearerCache()
        self.query_cache = _QueryCache()

    def reset(self) -> None:
        """Back to the fixtures' state (sessions survive: logged-in users stay logged in)."""
        self.store = fixtures.build(self.fixture_files)
        memory.release_dropped_state()

    def load(self, files: list[fixtures.FixtureFile], store=None) -> None:
        """The state of ``files``: ``store`` if given (already built from them, e.g. off the
        event loop), else built here. The swap is two assignments."""
        self.store = fixtures.build(files) if store is None else store
        self.fixture_files = files
        memory.release_dropped_state()


class Endpoint:
    """All operations of one path template; dispatches on the method."""

    def __init__(self, mock: Mock, template: str, operations: list[Operation]) -> None:
        self.mock = mock
        self.operations = {op.method: op for op in operations}
        if "GET" in self.operations:
            self.operations.setdefault("HEAD", self.operations["GET"])
        self.handlers = {method: HANDLERS[op.operation_id] for method, op in self.operations.items()}
        self.credentials = {
            method: tuple(SCHEMES[s] for s in op.security if s in SCHEMES)
            for method, op in self.operations.items()
        }
        self.origins = mock.cors.origins_for(template)
        self.validate = mock.config.validate_responses
        self.response_checks = {}
        if self.validate:
            for op in operations:
                for status in op.responses:
                    self.response_checks[(op.method, int(status))] = mock.contract.response_check(
                        op, int(status)
                    )

    async def __call__(self, scope, receive, send) -> None:
        request = Request(scope, receive)
        response = await self.respond(request)
        await response(scope, receive, send)

    async def respond(self, request: Request) -> ExpressResponse:
        response = await self._respond(request)
        if request.scope["method"] == "HEAD":  # the GET's headers (Content-Length, ETag), no body
            response.body = b""
        return response

    async def _respond(self, request: Request) -> ExpressResponse:
        scope = request.scope
        method = scope["method"]
        op = self.operations.get(method)
        if op is None:
            headers = request.headers
            if (
                method == "OPTIONS"
                and self.origins is not None
                and "access-control-request-method" in headers
            ):
                return preflight_response(
                    self.mock.cors.preflight(
                        self.origins, headers.get("origin"), headers.get("access-control-request-headers")
                    )
                )
            return unrouted(self.mock, request)

        # The three headers read below, in one pass: the first of each name, as
        # ``request.headers.get`` gives it (ASGI servers send the names in lower case).
        content_type = origin = authorization = None
        has_cookie = False
        for key, value in scope["headers"]:
            if key == b"authorization":
                if authorization is None:
                    authorization = value.decode("latin-1")
            elif key == b"content-type":
                if content_type is None:
                    content_type = value.decode("latin-1")
            elif key == b"origin":
                if origin is None:
                    origin = value.decode("latin-1")
            elif key == b"cookie":
                has_cookie = True

        try:
            body = await read_body.parse(await _read_body(request), content_type)
        except BodyError as exc:
            return json_response(exc.status, {"message": exc.message, "type": exc.type})

        # HEAD is served by the GET handler, without Medusa's CORS headers (observed on 2.21.2:
        # no Vary, no Access-Control-*, with or without Origin).
        cors = (
            self.mock.cors.headers(self.origins, origin)
            if self.origins is not None and method != "HEAD"
            else []
        )
        mock = self.mock
        actor = None
        if op.security:
            allow = self.credentials[method]
            session_cookie = request.cookies.get("connect.sid") if has_cookie else None
            # A bearer token verified once is remembered until it expires (see _BearerCache).
            bearer = authorization if not session_cookie and "bearer" in allow else None
            if bearer:
                actor = mock.bearer_cache.get(bearer, mock.secrets)
            if actor is None:
                actor = authenticate(
                    mock.store,
                    mock.sessions,
                    mock.secrets,
                    authorization=authorization,
                    session_cookie=session_cookie,
                    allow=allow,
                )
                if bearer:
                    mock.bearer_cache.put(bearer, mock.secrets, actor)
            if actor is None:
                return json_response(401, errors.UNAUTHORIZED_BODY, cors=cors)
            if actor is SECRET_KEY_AS_BEARER:
                return json_response(401, errors.SECRET_KEY_AS_BEARER_BODY, cors=cors)

        try:
            if op.body is not None:
                op.body.check(body)
            query = mock.query_cache.get(op, request)  # coerced and checked
            reply = self.handlers[method](Call(mock, scope.get("path_params", {}), body, query, actor, op))
        except MedusaError as exc:
            status, data = errors.render(exc)
            reply = Reply(status, data)
        except Exception:  # a bug in the mock: answer as Medusa's handler would, and log it
            log.error("unhandled error on %s %s\n%s", method, request.url.path, traceback.format_exc())
            status, data = errors.status_and_body(errors.UNKNOWN_ERROR, "")
            reply = Reply(status, data)

        if reply.text is not None:
            return text_response(reply.status, reply.text)
        if self.validate:
            reply = self._checked(op.method, reply)  # HEAD is checked as the GET it is
        return json_response(
            reply.status, reply.data, cors=cors, set_cookie=reply.set_cookie, cookie_first=reply.cookie_first
        )

    def _checked(self, method: str, reply: Reply) -> Reply:
        check = self.response_checks.get((method, reply.status))
        if check is None:
            problems = [f"status {reply.status} is not documented for this operation"]
        else:
            problems = check.validator.iter_errors(reply.data)
            problems = [f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}" for e in problems]
        if not problems:
            return reply
        log.error("response does not match the contract: %s", "; ".join(problems[:3]))
        return Reply(
            500,
            {
                "type": "unexpected_state",
                "message": "Mock response violates the contract: " + "; ".join(problems[:3]),
            },
        )


async def _read_body(request: Request) -> bytes:
    """The body as ``body.read`` reads it (bounded, decoded; ``BodyError`` past the limit
    or for an unsupported encoding, ``ClientDisconnect`` on a disconnect), the request left
    as ``request.body()`` leaves it, so a later ``request.body()`` gives the same bytes."""
    if hasattr(request, "_body") or request._stream_consumed:
        return await request.body()
    request._stream_consumed = True
    try:
        body = await read_body.read(request.receive, request.scope["headers"])
    except ClientDisconnect:
        request._is_disconnected = True
        raise
    request._body = body
    return body


class _BearerCache:
    """``authenticate`` for a bearer token (no session cookie) depends on nothing but the
    token, the JWT secret and the clock: a token it accepted stays accepted, with the same
    actor, until its ``exp`` (PyJWT: valid while now < exp; ``iat``/``nbf`` only ever become
    valid). So the HS256 check (~20 us, the largest single cost of a request) runs once per
    token, not once per request. Only user actors from a bearer token are kept; at most
    ``SIZE`` tokens (then it starts afresh), so memory stays bounded."""

    SIZE = 256

    def __init__(self) -> None:
        self.entries: dict[str, tuple[Secrets, Actor, float]] = {}

    def get(self, authorization: str, secrets_: Secrets) -> Actor | None:
        entry = self.entries.get(authorization)
        if entry is not None and entry[0] is secrets_ and time.time() < entry[2]:
            return entry[1]
        return None

    def put(self, authorization: str, secrets_: Secrets, actor) -> None:
        if (
            not isinstance(actor, Actor)
            or actor.type != "user"
            or actor.session_id is not None
            or not actor.claims
            or not authorization.strip()[:7].lower() == "bearer "
        ):
            return
        try:
            expires = int(actor.claims["exp"])
        except (KeyError, TypeError, ValueError, OverflowError):
            return
        if len(self.entries) >= self.SIZE:
            self.entries.clear()
        self.entries[authorization] = (secrets_, actor, expires)


class _QueryCache:
    """The decoded and coerced query of an operation by its raw query string: ``qs``
    decoding costs a few microseconds and clients repeat the same few queries. Starlette's
    ``request.url.query`` is a function of the raw bytes alone (path and host are escaped
    or checked before the split), so the cache is exact; each caller gets its own copy of
    the top level (``coerce_query`` and handlers may change it). At most ``SIZE`` entries."""

    SIZE = 512

    def __init__(self) -> None:
        self.entries: dict[tuple[int, bytes], list] = {}  # [op, query, known valid]

    def get(self, op: Operation, request: Request) -> dict:
        """The query, checked against the operation's schema (``MedusaError`` if not valid:
        the check is a function of the coerced query alone, so a query that passed once
        passes again and is not checked again)."""
        key = (id(op), request.scope.get("query_string", b""))
        entry = self.entries.get(key)
        if entry is not None and entry[0] is op:
            query = dict(entry[1])
            if not entry[2]:
                _check_query(op, query)
            return query
        query = op.coerce_query(parse_query(request.url.query))
        if len(self.entries) >= self.SIZE:
            self.entries.clear()
        self.entries[key] = entry = [op, dict(query), False]
        _check_query(op, query)
        entry[2] = True  # checked and valid
        return query


def _check_query(op: Operation, query: dict) -> None:
    """The query against the operation's schema, then ``fields`` against its size limits
    (before the handler: a refused ``fields`` leaves nothing written)."""
    op.query.check(query)
    check_fields(query.get("fields"))


def unrouted(mock: Mock, request: Request) -> ExpressResponse:
    """No operation for this method and path. Medusa's auth middleware guards every
    ``/admin`` path before Express routes it, so without valid credentials that is a 401
    without CORS headers (observed: an OPTIONS that is not a preflight, an unknown path, a
    wrong method); with them, Express's HTML 404."""
    path = request.url.path
    if path == "/admin" or path.startswith("/admin/"):
        actor = authenticate(
            mock.store,
            mock.sessions,
            mock.secrets,
            authorization=request.headers.get("authorization"),
            session_cookie=request.cookies.get("connect.sid"),
        )
        if actor is SECRET_KEY_AS_BEARER:
            return json_response(401, errors.SECRET_KEY_AS_BEARER_BODY)
        if actor is None:
            return json_response(401, errors.UNAUTHORIZED_BODY)
    return not_found_html(request.method, path)


def create_app(
    config: Config | None = None, mock: Mock | None = None, contract: Contract | None = None
) -> Starlette:
    """The app for ``config`` (default: from the environment), or around an existing
    ``mock``; ``contract`` is ``config.spec`` already loaded (see ``Mock``)."""
    mock = mock or Mock(config or Config.from_env(), contract)
    by_path: dict[str, list[Operation]] = defaultdict(list)
    for op in mock.contract.operations:
        by_path[op.path].append(op)
    routes: list[BaseRoute] = []
    # Static segments before parameters: /admin/payments/payment-providers is not an {id}.
    for template in sorted(by_path, key=lambda t: (t.count("{"), t)):
        endpoint = Endpoint(mock, template, by_path[template])
        routes.append(Route(template, endpoint))
        routes.append(Route(template + "/", endpoint))  # Express accepts a trailing slash
    if mock.config.control:
        routes.insert(0, Mount("/__mock", app=control.app(mock)))
    app = Starlette(routes=routes)
    app.router.redirect_slashes = False

    async def not_found(scope, receive, send) -> None:
        await unrouted(mock, Request(scope, receive))(scope, receive, send)

    app.router.default = not_found
    _fast_path(app)
    app.state.mock = mock
    return app


def _fast_path(app: Starlette) -> None:
    """Starlette passes each request through ``ServerErrorMiddleware`` (a wrapper round
    ``send``), ``ExceptionMiddleware`` (a second ``Request``, two more wrappers) and a
    router that tries each route's regex in turn (up to 17 for a refund). For an
    ``Endpoint`` none of it does anything but the last-resort 500: an ``Endpoint`` raises
    no ``HTTPException`` (all ``ExceptionMiddleware`` handles) and answers its own errors.
    So a request for an ``Endpoint`` route goes straight to it: one dict lookup for a fixed
    path or a scan of the few templated routes, the scope set exactly as ``Router.app``
    and ``ExceptionMiddleware`` set it, and an exception before the answer starts gets
    ``ServerErrorMiddleware``'s own 500 and is raised on, as there. Anything else (the
    control API's mount, a root_path, a websocket or lifespan scope, no match) takes
    Starlette's stack. Installed only while that stack is Starlette's default one (no user
    middleware or handlers, not debug) and every route is a method-less ``Route`` to an
    ``Endpoint`` or a ``Mount``."""
    router = app.router
    mounts: list[str] = []
    fixed: dict[str, Route] = {}
    templated: list[Route] = []
    for route in router.routes:
        if isinstance(route, Mount):
            mounts.append(route.path + "/")
        elif isinstance(route, Route) and route.methods is None and isinstance(route.app, Endpoint):
            if route.param_convertors:
                templated.append(route)
            elif route.path not in fixed and not any(t.path_regex.match(route.path) for t in templated):
                fixed[route.path] = route  # else an earlier route wins, found by the scan
        else:
            return
    prefixes = tuple(mounts)
    build = app.build_middleware_stack

    def build_middleware_stack():
        stack = build()
        inner = getattr(stack, "app", None)
        if (
            app.user_middleware
            or app.exception_handlers
            or app.debug
            or getattr(app, "max_body_size", None) is not None
            or type(stack) is not ServerErrorMiddleware
            or stack.handler is not None
            or stack.debug
            or type(inner) is not ExceptionMiddleware
            or inner.app is not router
        ):
            return stack
        handlers = (inner._exception_handlers, inner._status_handlers)

        async def dispatch(scope, receive, send) -> None:
            if scope["type"] == "http" and not scope.get("root_path"):
                path = scope["path"]
                if not path.startswith(prefixes):
                    route = fixed.get(path)
                    params = {}
                    if route is None:
                        for candidate in templated:
                            match = candidate.path_regex.match(path)
                            if match:
                                route = candidate
                                convert = candidate.param_convertors
                                params = {k: convert[k].convert(v) for k, v in match.groupdict().items()}
                                break
                    if route is not None:
                        scope["starlette.exception_handlers"] = handlers
                        if "router" not in scope:
                            scope["router"] = router
                        scope["route"] = route
                        path_params = dict(scope.get("path_params", {}))
                        path_params.update(params)
                        scope["endpoint"] = route.endpoint
                        scope["path_params"] = path_params
                        try:  # Endpoint.__call__, with ServerErrorMiddleware's 500
                            response = await route.app.respond(Request(scope, receive))  # type: ignore[attr-defined]
                        except Exception as exc:
                            await stack.error_response(Request(scope), exc)(scope, receive, send)
                            raise exc
                        # Once the answer has started, ServerErrorMiddleware only raises on.
                        await response(scope, receive, send)
                        return
            await stack(scope, receive, send)

        return dispatch

    app.build_middleware_stack = build_middleware_stack  # type: ignore[method-assign]
