"""The request pipeline of the Medusa surface: one request as named stages, in Medusa's order.

``Pipeline(mock)`` is an ASGI app for every path that is not ``/__mock``. For one request:

1. ``route``: the pure router (``router.py``) gives the route and its path parameters; the
   method gives the operation (HEAD is the GET). No operation: a CORS preflight is answered
   (``preflight``); anything else is ``unrouted`` (Medusa's auth 401, or Express's 404).
2. ``read_body``: the raw body, bounded (``body.py``); its 413/415 is the answer.
3. ``steer`` (before): a fault rule for this request (its delay first), or a ``Prefer:
   code=`` header, answers instead of everything below, without touching state
   (``control/faults.py``); a rule with only a delay then goes on to 4.
4. ``serve``: parse the body (before auth, as in Express: a malformed body is a 400 even
   without credentials) → CORS headers → ``authenticate`` → validate the body, then the
   query (coerced, and ``fields`` against its limits) → the handler (``handlers.py``) →
   ``validate_response`` (``--validate-responses``) → ``encode``.
5. ``steer`` (after): an ``after`` fault rule replaces the answer once the handler has run.
6. ``--latency`` (preflights included: it stands for the network), then the journal
   records the final answer (``control/journal.py``), and it is sent: HEAD without its
   body; a dropped request without anything (``drop``).

Preflights are never faulted (they are the browser's, not the page's); ``/__mock`` never
comes here. Every stage that can answer returns an ``ExpressResponse``; the first one that
does ends the request.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections import defaultdict
from typing import Sequence

import msgspec
from starlette.requests import ClientDisconnect, Request

from ..backend import errors
from ..backend.errors import MedusaError
from ..backend.store import Store
from ..control.faults import FaultRule, error_body, prefer_code
from ..control.namespaces import HEADER as NAMESPACE_HEADER, PREFIX_KEY, Namespace, NamespaceError
from ..control.steering import drop, fault_answer, hold
from . import body as bodies, memory
from .auth import COOKIE_NAME, SCHEMES, Refusal, authenticate, parse_cookies
from .caches import Answers
from .contract import Operation
from .handlers import HANDLERS, Call, Reply
from .parsing import BodyError, SlowParse
from .responses import (
    ExpressResponse,
    allow_response,
    json_response,
    not_found_html,
    preflight_response,
    text_response,
)
from .router import ParamError, Router, decode_params, under

log = logging.getLogger("mock_server")


class Head(msgspec.Struct):
    """The request headers the pipeline reads: the first of each name, as
    ``Request.headers.get`` gives it (ASGI servers send names in lower case)."""

    content_type: str | None = None
    origin: str | None = None
    authorization: str | None = None
    cookie: bool = False
    prefer: str | None = None
    namespace: str | None = None
    content_length: bytes | None = None
    content_encoding: str | None = None
    chunked: bool = False  # a Transfer-Encoding
    has_body: bool = False  # a Content-Length or a Transfer-Encoding (type-is's hasBody)

    @classmethod
    def of(cls, raw: list[tuple[bytes, bytes]]) -> "Head":
        # the first of each name: ``dict`` keeps the last of the reversed list, in C, where
        # a loop testing each name took a fifth of the pipeline's own bytecode
        first = dict(reversed(raw))
        get = first.get
        length = get(b"content-length")
        chunked = b"transfer-encoding" in first
        return cls(
            (v.decode("latin-1") if (v := get(b"content-type")) is not None else None),
            (v.decode("latin-1") if (v := get(b"origin")) is not None else None),
            (v.decode("latin-1") if (v := get(b"authorization")) is not None else None),
            b"cookie" in first,
            (v.decode("latin-1") if (v := get(b"prefer")) is not None else None),
            (v.decode("latin-1") if (v := get(NAMESPACE_HEADER)) is not None else None),
            length,
            (v.decode("latin-1") if (v := get(b"content-encoding")) is not None else None),
            chunked,
            chunked or length is not None,
        )


class Endpoint:
    """One path template: its operations by method (HEAD is the GET), each with its handler,
    the credentials it accepts and, with ``--validate-responses``, its response checks."""

    def __init__(self, mock, template: str, operations: list[Operation]) -> None:
        self.template = template
        self.operations = {op.method: op for op in operations}
        if "GET" in self.operations:
            self.operations.setdefault("HEAD", self.operations["GET"])
        self.handlers = {method: HANDLERS[op.operation_id] for method, op in self.operations.items()}
        self.credentials = {
            method: tuple(SCHEMES[s] for s in op.security if s in SCHEMES)
            for method, op in self.operations.items()
        }
        # Medusa's /auth routes authenticate any actor type, and a token of an identity with
        # no actor yet (`authenticate("*", ..., {allowUnregistered: true})`); /admin, users only
        self.any_actor = under(template, "/auth")
        self.origins = mock.cors.origins_for(template)
        self.allow = allow_header(template, list(self.operations))
        self.response_checks = {}
        if mock.config.validate_responses:
            for op in operations:
                for status in op.responses:
                    self.response_checks[(op.method, int(status))] = mock.contract.response_check(
                        op, int(status)
                    )


# Express answers an OPTIONS that no route takes with the methods the path's routes have,
# in the order they were registered: Medusa registers each route file's handlers in the
# order the file exports them. Where that is not the contract's order (observed on 2.21.2):
ALLOW_ORDER = {
    "/admin/refund-reasons/{id}": ("POST", "GET", "DELETE"),
    "/auth/user/{auth_provider}": ("POST", "GET"),  # its GET is the OAuth-style callback
}


def allow_header(template: str, methods: list[str]) -> str:
    """Express's ``Allow`` for a route: each method in registration order, HEAD after GET."""
    order = [m for m in ALLOW_ORDER.get(template, methods) if m != "HEAD"]
    out: list[str] = []
    for method in order:
        out.append(method)
        if method == "GET":
            out.append("HEAD")
    return ",".join(out)


def endpoints(mock) -> dict[str, Endpoint]:
    """One ``Endpoint`` per path template of the contract."""
    by_path: dict[str, list[Operation]] = defaultdict(list)
    for op in mock.contract.operations:
        by_path[op.path].append(op)
    return {template: Endpoint(mock, template, ops) for template, ops in by_path.items()}


class Pipeline:
    def __init__(self, mock) -> None:
        self.mock = mock
        self.router: Router[Endpoint] = Router(endpoints(mock))
        self.answers = Answers()
        # reads are remembered unless each answer is to be checked against the contract
        self.remember_reads = not mock.config.validate_responses

    async def __call__(self, scope, receive, send) -> None:
        response = await self.answer(scope, receive)
        if response is not None:
            await response(scope, receive, send)

    async def answer(self, scope, receive) -> ExpressResponse | None:
        """The final answer to one request (None: the connection is to be dropped)."""
        start = time.perf_counter()
        memory.busy()
        mock = self.mock
        method, path = scope["method"], scope["path"]
        head = Head.of(scope["headers"])
        name = scope.get(PREFIX_KEY)
        try:
            if name is None:
                name = head.namespace
            elif head.namespace is not None and head.namespace != name:
                raise NamespaceError(
                    400,
                    "invalid_data",
                    f"Two namespaces: {name[:64]!r} in the path and {head.namespace[:64]!r} in the "
                    "x-mock-namespace header",
                )
            ns = mock.namespaces.existing(name) or await mock.namespaces.get(name)
        except NamespaceError as exc:
            refusal = json_response(exc.status, exc.body(), cors=self.cors(path, head, method))
            self.record(mock.namespaces.default, scope, None, b"", refusal, start, None)
            return refusal
        found = self.router.match(route_path(scope))
        endpoint = found[1] if found else None
        op = endpoint.operations.get(method) if endpoint else None
        raw = b""
        rule: FaultRule | None = None
        fault: str | None = None
        response: ExpressResponse | None
        if op is None and endpoint is not None and self.is_preflight(endpoint, method, scope):
            response = self.preflight(endpoint, head, scope)
        else:
            response = None
            if op is not None and head.has_body:  # without a length or an encoding there is none
                try:
                    given = (head.content_type, head.content_length, head.content_encoding, head.chunked)
                    taken = bodies.take(scope, *given)  # None: it is to be awaited
                    raw = taken if taken is not None else await bodies.read(receive, *given)
                except BodyError as exc:
                    response = json_response(exc.status, {"message": exc.message, "type": exc.type})
                except ClientDisconnect:  # gone, or its body did not parse: nobody to answer
                    self.record(ns, scope, op, b"", None, start, None)
                    return None
            rule = ns.faults.match(method, path, "before")
            if rule is not None:
                fault = rule.id
                if rule.delay_ms:  # a rule with only a delay goes on to the usual answer
                    await hold(rule.delay)
            if rule is not None and (rule.drop or rule.status is not None):
                response = self.fault(rule, scope, head)
            elif (code := prefer_code(head.prefer)) is not None and code >= 400:
                fault = fault or "prefer"
                response = json_response(code, error_body(code), cors=self.cors(path, head, method))
            elif response is None:
                params = found[2] if found else {}
                response = await self.serve(ns, endpoint, op, params, raw, head, scope)
                # An "after" rule: the request is applied, then its answer replaced.
                after = ns.faults.match(method, path, "after")
                if after is not None:
                    fault = after.id
                    if after.delay_ms:
                        await hold(after.delay)
                    if after.drop or after.status is not None:
                        response = self.fault(after, scope, head)
        if mock.latency:  # every Medusa answer, preflights included: it stands for the network
            await hold(mock.latency())
        if method == "HEAD" and response is not None:  # the GET's headers (Content-Length, ETag)
            response.body = b""
        self.record(ns, scope, op, raw, response, start, fault)
        return response

    @staticmethod
    def record(ns: Namespace, scope, op, raw: bytes, response, start: float, fault) -> None:
        ns.journal.record(
            scope["method"],
            scope["path"],
            scope.get("query_string", b""),
            op.operation_id if op is not None else None,
            scope["headers"],
            raw,
            response.status_code if response is not None else None,
            response.body if response is not None else b"",
            time.perf_counter() - start,
            fault,
        )

    # -- routing -------------------------------------------------------------------------

    @staticmethod
    def is_preflight(endpoint: Endpoint, method: str, scope) -> bool:
        """A CORS preflight Medusa's cors middleware answers: on a path it covers, for a
        method the route has (``Access-Control-Request-Method`` as sent, letter case
        included: ``post`` is no route's). Any other OPTIONS is ``unrouted`` (observed)."""
        if method != "OPTIONS" or endpoint.origins is None:
            return False
        requested = next((v for k, v in scope["headers"] if k == b"access-control-request-method"), None)
        return requested is not None and requested.decode("latin-1") in endpoint.operations

    def preflight(self, endpoint: Endpoint, head: Head, scope) -> ExpressResponse:
        assert endpoint.origins is not None
        request_headers = Request(scope).headers.get("access-control-request-headers")
        return preflight_response(self.mock.cors.preflight(endpoint.origins, head.origin, request_headers))

    def unrouted(self, ns: Namespace, endpoint: Endpoint | None, scope, head: Head) -> ExpressResponse:
        """No operation for this method and path. Medusa's auth middleware guards every
        ``/admin`` path before Express routes it, so without valid credentials that is a
        401 without CORS headers (observed: an OPTIONS that is not a preflight, an unknown
        path, a wrong method); with them, Express's own answer: for an OPTIONS on a path
        that has routes, the methods it has (``Allow``), else the HTML 404."""
        path = scope["path"]
        if under(path, "/admin"):
            mock = self.mock
            actor = authenticate(
                self.accounts(ns),
                mock.sessions,
                mock.secrets,
                authorization=head.authorization,
                session_cookie=session_cookie(scope, head),
            )
            if isinstance(actor, Refusal):
                return json_response(401, actor.body)
            if actor is None:
                return json_response(401, errors.UNAUTHORIZED_BODY)
        if scope["method"] == "OPTIONS" and endpoint is not None:
            return allow_response(endpoint.allow)
        return not_found_html(scope["method"], route_path(scope))

    # -- steering (control/faults.py) ----------------------------------------------------

    def cors(
        self, path: str, head: Head, method: str, endpoint: Endpoint | None = None
    ) -> Sequence[tuple[str, str]]:
        """The CORS headers a real answer on this path carries (``endpoint``: the path's, whose
        origins are already known). HEAD is served by the GET handler without them (observed
        on 2.21.2: no Vary, no Access-Control-*, with or without Origin)."""
        origins = endpoint.origins if endpoint is not None else self.mock.cors.origins_for(path)
        if origins is None or method == "HEAD":
            return ()
        return self.mock.cors.headers(origins, head.origin)

    def fault(self, rule: FaultRule, scope, head: Head) -> ExpressResponse | None:
        """The answer of a rule that drops (None) or has a status (its delay is the
        caller's), with the CORS headers a real answer on this path carries."""
        if rule.drop:
            drop(scope)
            return None
        cors = self.cors(scope["path"], head, scope["method"])
        status, data = fault_answer(rule)
        if data is None:
            return ExpressResponse(status, b"", content_type=None, before=cors)
        return ExpressResponse(status, data, before=cors)

    # -- serving -------------------------------------------------------------------------

    async def serve(
        self,
        ns: Namespace,
        endpoint: Endpoint | None,
        op: Operation | None,
        params: dict,
        raw: bytes,
        head: Head,
        scope,
    ) -> ExpressResponse:
        """Medusa's own answer (stages 4): parse, CORS, auth, validation, handler, encode."""
        if endpoint is None or op is None:
            return self.unrouted(ns, endpoint, scope, head)
        issues = None  # the body's validation issues, when worked out with a slow parse
        try:
            try:
                body = bodies.parse_now(raw, head.content_type, head.has_body)
            except SlowParse:
                body, issues = await bodies.parse_later(raw, head.content_type, op.body)
        except BodyError as exc:
            return json_response(exc.status, {"message": exc.message, "type": exc.type})
        method = scope["method"]
        cors = self.cors(scope["path"], head, method, endpoint)
        actor = None
        if op.security:
            actor = self.authenticate(ns, endpoint, method, head, scope)
            if actor is None:
                return json_response(401, errors.UNAUTHORIZED_BODY, cors=cors)
            if isinstance(actor, Refusal):
                return json_response(401, actor.body, cors=cors)
        reply = self.handle(ns, endpoint, op, method, params, body, actor, scope, issues)
        if reply.encoded is not None:  # a read answered before, in this same state
            return ExpressResponse(reply.status, reply.encoded[0], before=cors, etag=reply.encoded[1])
        if reply.text is not None:
            return text_response(reply.status, reply.text)
        if self.mock.config.validate_responses:
            reply = self.validate_response(endpoint, op.method, reply)  # HEAD as the GET it is
        response = json_response(
            reply.status, reply.data, cors=cors, set_cookie=reply.set_cookie, cookie_first=reply.cookie_first
        )
        if reply.read_key is not None and reply.status == 200 and response.etag is not None:
            self.answers.put(ns.store, reply.read_key, bytes(response.body), response.etag)
        return response

    def accounts(self, ns: Namespace) -> tuple[Store, ...]:
        """Where logins and API keys are looked up: the namespace's state, then the default
        namespace's (users come from the fixtures and work in every namespace)."""
        default = self.mock.namespaces.default
        return (ns.store,) if ns is default else (ns.store, default.store)

    def authenticate(self, ns: Namespace, endpoint: Endpoint, method: str, head: Head, scope):
        """The actor for the credentials the operation accepts (None: a 401). A bearer
        token verified once is remembered until it expires (``caches.BearerCache``)."""
        mock = self.mock
        allow = endpoint.credentials[method]
        cookie = session_cookie(scope, head)
        bearer = head.authorization if not cookie and "bearer" in allow else None
        actor = mock.bearer_cache.get(bearer, mock.secrets) if bearer else None
        if actor is None:
            actor = authenticate(
                self.accounts(ns),
                mock.sessions,
                mock.secrets,
                authorization=head.authorization,
                session_cookie=cookie,
                allow=allow,
                any_actor=endpoint.any_actor,
            )
            if bearer:
                mock.bearer_cache.put(bearer, mock.secrets, actor)
        return actor

    def handle(
        self,
        ns: Namespace,
        endpoint: Endpoint,
        op: Operation,
        method: str,
        params,
        body,
        actor,
        scope,
        issues: list[str] | None = None,
    ) -> Reply:
        """Validate the body (``issues``: its issues, already worked out), then the query,
        then run the handler; Medusa's error envelope for a ``MedusaError``, and its 500
        for a bug in the mock (logged)."""
        mock = self.mock
        try:
            params = decode_params(params)  # Express decodes them after auth, before validation
            if op.body is not None:
                op.body.check(body, issues)
            query = mock.query_cache.get(op, scope)  # coerced and checked, ``fields`` included
            key = None
            if op.method != "GET":  # a request that may write: what was read may change
                self.answers.forget(ns.store)
            elif self.remember_reads:
                key = (op.operation_id, route_path(scope), scope.get("query_string", b""))
                known = self.answers.get(ns.store, key)
                if known is not None:
                    return Reply(200, None, encoded=known)
            call = Call(mock, params, body, query, actor, op, ns.store, self.accounts(ns))
            reply = endpoint.handlers[method](call)
            reply.read_key = key
            return reply
        except MedusaError as exc:
            return Reply(*errors.render(exc))
        except ParamError:  # Express's URIError reaches Medusa's error handler: a plain 500
            return Reply(*errors.status_and_body(errors.UNKNOWN_ERROR, ""))
        except Exception:
            log.error("unhandled error on %s %s\n%s", method, scope["path"], traceback.format_exc())
            return Reply(*errors.status_and_body(errors.UNKNOWN_ERROR, ""))

    def validate_response(self, endpoint: Endpoint, method: str, reply: Reply) -> Reply:
        check = endpoint.response_checks.get((method, reply.status))
        if check is None:
            problems = [f"status {reply.status} is not documented for this operation"]
        else:
            problems = [
                f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}"
                for e in check.validator.iter_errors(reply.data)
            ]
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


def session_cookie(scope, head: Head) -> str | None:
    """The ``connect.sid`` cookie, parsed only when the request has a Cookie header; several
    Cookie headers are one, joined with "; " (Node's http parser)."""
    if not head.cookie:
        return None
    header = "; ".join(v.decode("latin-1") for k, v in scope["headers"] if k == b"cookie")
    return parse_cookies(header).get(COOKIE_NAME)


def route_path(scope) -> str:
    """The path as Express matches it: as it came, percent-encoded (the ASGI ``raw_path``),
    else the decoded ``path``."""
    raw = scope.get("raw_path")
    return raw.decode("latin-1") if raw else scope["path"]
