"""The Starlette app, assembled once from config: the spec gives the routes and
validators, the fixtures the starting state, ``routes.py`` the handlers.

One request runs as a straight line in ``Endpoint.__call__``: route → body parse (before
auth, as in Express) → auth → body validation → query validation → handler → encode.
"""

from __future__ import annotations

import logging
import traceback
from collections import defaultdict

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Mount, Route

from . import control, errors, fixtures, spec
from .auth import SCHEMES, SECRET_KEY_AS_BEARER, Secrets, Sessions, authenticate
from .config import Config
from .cors import Cors
from .errors import MedusaError
from .parsing import BodyError, parse_body, parse_query
from .responses import (ExpressResponse, json_response, not_found_html, preflight_response,
                        text_response)
from .routes import HANDLERS, Call, Reply
from .spec import Contract, Operation

log = logging.getLogger("mock_server")


class Mock:
    """Everything one running mock holds: the contract, the fixture files, the state."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.contract: Contract = spec.load(config.spec)
        missing = [op.operation_id for op in self.contract.operations
                   if op.operation_id not in HANDLERS]
        if missing:
            raise spec.SpecError(self.contract.file, "/paths",
                                 f"no handler for operationId(s): {', '.join(missing)}")
        self.fixture_files = [fixtures.read(p) for p in fixtures.files_in(config.fixtures)]
        self.store = fixtures.build(self.fixture_files)
        self.secrets = Secrets(config.jwt_secret, config.cookie_secret)
        self.sessions = Sessions(self.secrets)
        self.cors = Cors(config.admin_cors, config.auth_cors)

    def reset(self) -> None:
        """Back to the fixtures' state (sessions survive: logged-in users stay logged in)."""
        self.store = fixtures.build(self.fixture_files)

    def load(self, files: list[fixtures.FixtureFile]) -> None:
        self.store = fixtures.build(files)
        self.fixture_files = files


class Endpoint:
    """All operations of one path template; dispatches on the method."""

    def __init__(self, mock: Mock, template: str, operations: list[Operation]) -> None:
        self.mock = mock
        self.operations = {op.method: op for op in operations}
        if "GET" in self.operations:
            self.operations.setdefault("HEAD", self.operations["GET"])
        self.handlers = {method: HANDLERS[op.operation_id] for method, op in self.operations.items()}
        self.credentials = {method: tuple(SCHEMES[s] for s in op.security if s in SCHEMES)
                            for method, op in self.operations.items()}
        self.origins = mock.cors.origins_for(template)
        self.validate = mock.config.validate_responses
        self.response_checks = {}
        if self.validate:
            for op in operations:
                for status in op.responses:
                    self.response_checks[(op.method, int(status))] = \
                        mock.contract.response_check(op, int(status))

    async def __call__(self, scope, receive, send) -> None:
        request = Request(scope, receive)
        response = await self.respond(request)
        await response(scope, receive, send)

    async def respond(self, request: Request) -> ExpressResponse:
        method = request.method
        headers = request.headers
        op = self.operations.get(method)
        if op is None:
            if method == "OPTIONS" and self.origins is not None:
                return preflight_response(self.mock.cors.preflight(
                    self.origins, headers.get("origin"),
                    headers.get("access-control-request-headers")))
            return not_found_html(method, request.url.path)

        try:
            body = parse_body(await request.body(), headers.get("content-type"))
        except BodyError as exc:
            return json_response(exc.status, {"message": exc.message, "type": exc.type})

        cors = self.mock.cors.headers(self.origins, headers.get("origin")) \
            if self.origins is not None else []
        mock = self.mock
        actor = None
        if op.security:
            actor = authenticate(mock.store, mock.sessions, mock.secrets,
                                 authorization=headers.get("authorization"),
                                 session_cookie=request.cookies.get("connect.sid"),
                                 allow=self.credentials[method])
            if actor is None:
                return json_response(401, errors.UNAUTHORIZED_BODY, cors=cors)
            if actor is SECRET_KEY_AS_BEARER:
                return json_response(401, errors.SECRET_KEY_AS_BEARER_BODY, cors=cors)

        try:
            if op.body is not None:
                op.body.check(body)
            query = op.coerce_query(parse_query(request.url.query))
            op.query.check(query)
            reply = self.handlers[method](Call(mock, request.path_params, body, query, actor))
        except MedusaError as exc:
            status, data = errors.render(exc)
            reply = Reply(status, data)
        except Exception:  # a bug in the mock: answer as Medusa's handler would, and log it
            log.error("unhandled error on %s %s\n%s", method, request.url.path,
                      traceback.format_exc())
            status, data = errors.status_and_body(errors.UNKNOWN_ERROR, "")
            reply = Reply(status, data)

        if reply.text is not None:
            return text_response(reply.status, reply.text)
        if self.validate:
            reply = self._checked(method, reply)
        return json_response(reply.status, reply.data, cors=cors, set_cookie=reply.set_cookie,
                             cookie_first=reply.cookie_first)

    def _checked(self, method: str, reply: Reply) -> Reply:
        check = self.response_checks.get((method, reply.status))
        if check is None:
            problems = [f"status {reply.status} is not documented for this operation"]
        else:
            problems = check.validator.iter_errors(reply.data)
            problems = [f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}"
                        for e in problems]
        if not problems:
            return reply
        log.error("response does not match the contract: %s", "; ".join(problems[:3]))
        return Reply(500, {"type": "unexpected_state",
                           "message": "Mock response violates the contract: " + "; ".join(problems[:3])})


async def _not_found(scope, receive, send) -> None:
    request = Request(scope, receive)
    await not_found_html(request.method, request.url.path)(scope, receive, send)


def create_app(config: Config | None = None, mock: Mock | None = None) -> Starlette:
    mock = mock or Mock(config or Config.from_env())
    by_path: dict[str, list[Operation]] = defaultdict(list)
    for op in mock.contract.operations:
        by_path[op.path].append(op)
    routes = []
    # Static segments before parameters: /admin/payments/payment-providers is not an {id}.
    for template in sorted(by_path, key=lambda t: (t.count("{"), t)):
        endpoint = Endpoint(mock, template, by_path[template])
        routes.append(Route(template, endpoint))
        routes.append(Route(template + "/", endpoint))  # Express accepts a trailing slash
    if mock.config.control:
        routes.insert(0, Mount("/__mock", routes=control.routes(mock)))
    app = Starlette(routes=routes)
    app.router.redirect_slashes = False
    app.router.default = _not_found
    app.state.mock = mock
    return app
