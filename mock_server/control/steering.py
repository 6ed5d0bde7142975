"""The journal and fault routes of ``/__mock``, and how the request pipeline uses them.

``steering_routes(journal, faults)`` gives the routes, to mount under ``/__mock`` beside the
reset/state/load routes (the paths below are relative to that mount):

* ``GET /requests``: the journal, newest first: ``{"requests": [...], "count": N}``, where
  ``count`` is the number matching before ``limit``. Query filters: ``method``, ``path`` (a
  literal, glob or template, see ``paths.py``), ``operation`` (operationId), ``status``
  (``404`` or a class ``4xx``), ``since`` (entries with a *greater* sequence number),
  ``limit`` (0-100000). Anything else is a 400.
* ``DELETE /requests``: empties it; ``{"deleted": N}``. Sequence numbers keep counting.
* ``POST /requests/verify``: a JSON body with the same filters plus ``body`` (a JSON value
  the request's JSON body must contain: objects by the keys given, recursively) and one of
  ``times`` or ``at_least``/``at_most`` (neither: at least one). POST, not GET, because a
  body filter is structured JSON that a query string carries badly. 200 ``{"ok": true,
  "count": N}`` when the count holds; else 409 ``{"ok": false, "message", "expected",
  "actual", "near_misses"}`` where each near miss is a request that met the most criteria,
  with ``differences`` naming, per criterion, what was expected and what was sent.
* ``GET /openapi.json``: the OpenAPI 3.1 description of all of ``/__mock`` (openapi.yaml).
* ``POST /faults``: adds a rule (see ``faults.py``), 201 with the rule and its ``id``.
  ``GET /faults``: ``{"faults": [...]}`` with ``fired`` counts. ``DELETE /faults/{id}``: the
  removed rule (404 for an unknown id). ``DELETE /faults``: ``{"deleted": N}``.

Bad input (unknown or repeated query parameters, a query string or a body on a route that
takes none, a body that is not JSON or larger than ``MAX_BODY``, a rule that does not
validate) answers 400 (413 for the size) with ``{"type": "invalid_data", "message"}`` and
changes nothing. With the journal off (size 0)
the journal routes answer 409 ``not_allowed``.

How the request pipeline calls these, for every request on the Medusa surface (routed or
not: a preflight, an unknown path's 404 and a 401 before routing are journalled too, with
operation None); never for ``/__mock`` itself, which is neither journalled nor faulted:

1. Route the request (operation or none) and read the raw body (bounded, as now), so the
   journal has it. Then, before anything is parsed, authenticated or applied:
   ``rule = faults.match(method, path, "before")`` and, when there is no rule,
   ``code = prefer_code(<the Prefer header>)`` (a rule wins over ``Prefer``).
   - ``rule.delay_ms``: ``await hold(rule.delay)`` (never ``time.sleep``: the
     loop serves other requests meanwhile). A rule with only a delay then goes on to the
     normal pipeline.
   - ``rule.drop``: ``drop(scope)`` and return without sending anything (below).
   - ``rule.status``: answer ``fault_answer(rule)`` without touching state.
   - ``code`` of 400 or more: answer ``code`` with ``error_body(code)`` without touching
     state. A 1xx-3xx ``Prefer`` code is ignored and the request served as usual: the
     mock's success answers come from its state, not from examples, so the answer already
     is the one the route gives.
   With no rules, ``match`` costs one list check; ``prefer_code(None)`` returns at once.
2. Run the pipeline (parse, auth, validation, handler) as usual; 4xx/5xx answers included.
3. After the handler has run and state has changed: ``faults.match(method, path,
   "after")``; a rule found replaces the answer built in 2 (its delay, then drop or its
   status answer; a delay alone delays the real answer). It fires whatever the handler
   answered.
4. ``latency`` (``--latency``): ``await hold(latency())`` before every Medusa
   answer, faulted ones and drops included, when ``latency`` is truthy.
5. Record once the answer is final and built, just before sending it (faulted answers,
   drops, 4xx and 5xx too): ``journal.record(method, path, scope["query_string"],
   operation_id_or_None, scope["headers"], raw_body, status, response.body,
   time.perf_counter() - start, fault=rule.id, or "prefer", or None)``. A dropped request
   is recorded with ``status`` None and ``b""`` as the response. ``record`` returns at once
   when the journal is off; it copies nothing, so pass the objects the request already has.

A faulted answer carries the same headers as a real one: ``json_response(status, data,
cors=cors)`` with the CORS headers the pipeline computes for this path and Origin (its CORS
header function), so a browser sees the error status, not a CORS failure. An empty body
(a status below 400 without ``body``) is ``ExpressResponse(status, b"", content_type=None)``
with the same CORS headers.

Dropping a connection under uvicorn. An ASGI app cannot close its connection directly, and
uvicorn (0.54, every HTTP implementation: httptools, h11) answers
"500 Internal Server Error" when the app returns (or raises) without having started a
response. What it does instead, in ``RequestResponseCycle.run_asgi``: when the app returns
a value that is not None it logs "ASGI callable should return None" and closes the
transport without writing anything. So ``drop(scope)`` marks the scope, the pipeline
returns without sending, and ``Droppable``, the outermost ASGI wrapper (Starlette's own
``__call__`` discards return values, so it must sit outside Starlette), returns the
``DROPPED`` sentinel; a logging filter keeps that one record out of uvicorn's error log.
The client sees the connection closed with no status line ("Server disconnected without
sending a response" in httpx, ``TypeError: Failed to fetch`` in a browser).
tests/test_faults.py checks this against a real uvicorn on a loopback port. In process
(httpx's ASGITransport) there is no connection to close; ``Droppable(app,
raise_on_drop=True)`` raises ``ConnectionDropped`` there instead. One server setting
loses the return value: ``--log-level trace`` wraps the app in uvicorn's message logger,
which discards it, and a drop then becomes uvicorn's 500.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from functools import lru_cache
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import Any, Awaitable, Callable

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from .faults import METHODS, MAX_BODY_DEPTH, FaultRule, RuleError, json_depth, as_int
from .journal import RENDERED_A_STEP, Result, Steps, make_filters
from .namespaces import QUERY as NAMESPACE_QUERY, Namespace, NamespaceError
from .paths import PathPattern, PatternError
from ..web.responses import encode

MAX_BODY = 64 * 1024
MAX_LIMIT = 100_000
MAX_SEQ = 2**63 - 1
MAX_OPERATION = 200
SPEC_FILE = Path(__file__).with_name("openapi.yaml")
QUERY_FILTERS = ("method", "path", "operation", "status", "since", "limit")
VERIFY_KEYS = ("method", "path", "operation", "status", "since", "body", "times", "at_least", "at_most")
_STATUS = re.compile(r"[1-5](?:[0-9]{2}|xx)")


class BadInput(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.status = message, status


def _json(data: Any, status: int = 200) -> Response:
    return Response(encode(data), status_code=status, media_type="application/json")


def _error(status: int, type_: str, message: str) -> Response:
    return _json({"type": type_, "message": message}, status)


async def _read_json(request: Request) -> Any:
    """The body as JSON, at most ``MAX_BODY`` bytes read; an empty body is ``{}``."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_BODY:
        raise BadInput(f"the body is larger than {MAX_BODY} bytes", 413)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise BadInput(f"the body is larger than {MAX_BODY} bytes", 413)
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        return {}
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadInput(f"the body is not JSON: {exc}") from None


def unexpected_input(request: Request, query: bool = False, body: bool = False) -> Response | None:
    """A 400 for a query string or a body the route does not take, or None. Ignoring them
    would do something else than asked: ``DELETE /__mock/faults?id=fault_1`` would remove
    every rule, ``DELETE /__mock/requests`` with a filter body the whole journal."""
    where = f"{request.method} {request.url.path}"
    if not query and request.url.query and set(request.query_params) != {NAMESPACE_QUERY}:
        names = sorted({name[:50] for name, _ in request.query_params.multi_items()} - {NAMESPACE_QUERY})
        names = names or ["?"]
        return _error(400, "invalid_data", f"{where} takes no query parameters (given: {', '.join(names)})")
    headers = request.headers
    length = headers.get("content-length")
    if not body and ((length is not None and length != "0") or "transfer-encoding" in headers):
        return _error(400, "invalid_data", f"{where} takes no body")
    return None


def _filters(source: dict, keys: tuple[str, ...]) -> tuple[dict, list[str]]:
    """Filter values checked and converted; the problems found. A key given must hold a
    valid value (``null`` is not "no filter": leave the key out)."""
    out: dict[str, Any] = {}
    problems = []
    unknown = [k for k in source if k not in keys]
    if unknown:
        problems.append(f"unknown parameter(s): {', '.join(map(str, unknown))} (known: {', '.join(keys)})")
    if "method" in source:
        method = source["method"]
        if method not in METHODS:
            problems.append(f"method must be one of {', '.join(METHODS)}")
        else:
            out["method"] = method
    if "path" in source:
        try:
            out["path"] = PathPattern(source["path"])
        except PatternError as exc:
            problems.append(f"path: {exc}")
    if "operation" in source:
        operation = source["operation"]
        if not isinstance(operation, str) or not 0 < len(operation) <= MAX_OPERATION:
            problems.append(f"operation must be an operationId of 1 to {MAX_OPERATION} characters")
        else:
            out["operation"] = operation
    if "status" in source:
        status = source["status"]
        number = as_int(status)
        text = str(number) if number is not None else status
        if not isinstance(text, str) or not _STATUS.fullmatch(text):
            problems.append("status must be a status from 100 to 599 or a class such as 4xx")
        else:
            out["status"] = int(text) if text.isdigit() else text
    return out, problems


def _count(source: dict, name: str, problems: list[str], high: int, text: bool = True) -> int | None:
    """An integer from 0 to ``high`` (from a query string's text when ``text``)."""
    if name not in source:
        return None
    value = source[name]
    if text and isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    value = None if isinstance(value, str) else as_int(value)
    if value is None or not 0 <= value <= high:
        problems.append(f"{name} must be an integer from 0 to {high}")
        return None
    return value


SLICE = 64 * 1024  # bytes of a large answer written between two turns of the loop
PART = 256 * 1024  # ... and sent at a time, when it is longer


async def answer_in_pieces(pieces: Iterable[bytes]) -> Response:
    """A JSON answer written piece by piece (each piece about a millisecond of work at
    most), the event loop serving other requests between two slices of them, and sent
    in parts of ``PART`` bytes when it is longer, never joined whole: a large state or
    journal (tens of megabytes) does not hold up the Medusa routes. The bytes are those
    of the pieces joined, under one Content-Length."""
    parts: list[bytes] = []  # of about PART bytes each
    part: list[bytes] = []
    size = written = 0
    for piece in pieces:
        part.append(piece)
        size += len(piece)
        written += len(piece)
        if size >= PART:
            parts.append(b"".join(part))
            part, size = [], 0
        if written >= SLICE:
            written = 0
            await asyncio.sleep(0)
    parts.append(b"".join(part))
    if len(parts) == 1:
        return Response(parts[0], media_type="application/json")

    async def one_by_one() -> AsyncIterator[bytes]:
        for i, each in enumerate(parts):
            if i:
                await asyncio.sleep(0)
            yield each

    length = str(sum(map(len, parts)))
    return StreamingResponse(one_by_one(), headers={"content-length": length}, media_type="application/json")


def _listing(entries: list[dict], count: int) -> Iterator[bytes]:
    """``{"requests": entries, "count": count}`` as ``encode`` writes it, in pieces."""
    yield b'{"requests":['
    for i in range(0, len(entries), RENDERED_A_STEP):
        yield (b"," if i else b"") + encode(entries[i : i + RENDERED_A_STEP])[1:-1]
    yield b'],"count":' + str(count).encode() + b"}"


async def run_steps(steps: Steps[Result]) -> Result:
    """The result of ``steps`` (journal.py), the event loop serving other requests between
    two of them: reading a large journal does not hold up the Medusa routes."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value
        await asyncio.sleep(0)


def steering_routes(namespace: Callable[[Request], Awaitable[Namespace]]) -> list[Route]:
    """The journal and fault routes; each acts on the namespace ``namespace(request)``
    gives (``?namespace=``, the header or the ``/__ns/`` prefix; ``routes.namespace_of``)."""

    def journal_off() -> Response:
        return _error(409, "not_allowed", "the request journal is off (serve --journal-size 0)")

    async def list_requests(request: Request, ns: Namespace) -> Response:
        journal = ns.journal
        if not journal.enabled:
            return journal_off()
        items = [(k, v) for k, v in request.query_params.multi_items() if k != NAMESPACE_QUERY]
        params = dict(items)
        problems = []
        if len(params) != len(items):
            repeated = sorted({k for k, _ in items if sum(1 for j, _ in items if j == k) > 1})
            problems.append(f"repeated parameter(s): {', '.join(repeated)}")
        found, more = _filters(params, QUERY_FILTERS)
        problems += more
        since = _count(params, "since", problems, MAX_SEQ)
        limit = _count(params, "limit", problems, MAX_LIMIT)
        if problems:
            return _error(400, "invalid_data", "; ".join(problems))
        entries, count = await run_steps(journal.query_steps(make_filters(**found, since=since), limit))
        return await answer_in_pieces(_listing(entries, count))

    async def clear_requests(request: Request, ns: Namespace) -> Response:
        if not ns.journal.enabled:
            return journal_off()
        return _json({"deleted": ns.journal.clear()})

    async def verify(request: Request, ns: Namespace) -> Response:
        journal = ns.journal
        if not journal.enabled:
            return journal_off()
        try:
            data = await _read_json(request)
        except BadInput as exc:
            return _error(exc.status, "invalid_data", exc.message)
        if not isinstance(data, dict):
            return _error(400, "invalid_data", "the body is a JSON object")
        found, problems = _filters(data, VERIFY_KEYS)
        since = _count(data, "since", problems, MAX_SEQ, text=False)
        counts = {
            name: _count(data, name, problems, MAX_SEQ, text=False)
            for name in ("times", "at_least", "at_most")
        }
        if counts.get("times") is not None and (
            counts.get("at_least") is not None or counts.get("at_most") is not None
        ):
            problems.append("give times, or at_least and/or at_most, not both")
        at_least, at_most = counts.get("at_least"), counts.get("at_most")
        if at_least is not None and at_most is not None and at_least > at_most:
            problems.append("at_least is more than at_most")
        has_body = "body" in data
        if has_body and json_depth(data["body"]) > MAX_BODY_DEPTH:
            problems.append(f"body is nested more than {MAX_BODY_DEPTH} levels deep")
        if problems:
            return _error(400, "invalid_data", "; ".join(problems))
        filters = make_filters(**found, since=since, body=data.get("body"), has_body=has_body)
        result = await run_steps(journal.verify_steps(filters, **counts))
        if result.ok:
            return _json({"ok": True, "count": result.count})
        return _json(
            {
                "ok": False,
                "message": result.message(),
                "expected": result.expected,
                "actual": result.count,
                "near_misses": result.near_misses,
            },
            409,
        )

    async def add_fault(request: Request, ns: Namespace) -> Response:
        try:
            data = await _read_json(request)
            rule = ns.faults.add(data)
        except BadInput as exc:
            return _error(exc.status, "invalid_data", exc.message)
        except RuleError as exc:
            return _error(400, "invalid_data", str(exc))
        return _json(rule.to_json(), 201)

    async def list_faults(request: Request, ns: Namespace) -> Response:
        return _json({"faults": [r.to_json() for r in ns.faults.list()]})

    async def remove_fault(request: Request, ns: Namespace) -> Response:
        rule_id = request.path_params["id"]
        rule = ns.faults.remove(rule_id)
        if rule is None:
            return _error(404, "not_found", f"no fault rule with id {rule_id[:100]!r}")
        return _json(rule.to_json())

    async def clear_faults(request: Request, ns: Namespace) -> Response:
        return _json({"deleted": ns.faults.clear()})

    async def openapi(request: Request) -> Response:
        if (refusal := unexpected_input(request)) is not None:
            return refusal
        # Read on first use (tens of ms of YAML: not at start-up, not on the event loop).
        spec = await run_in_threadpool(openapi_json)
        return Response(spec, media_type="application/json")

    return [
        namespaced("/requests", namespace, GET=(list_requests, "query"), DELETE=(clear_requests, "")),
        namespaced("/requests/verify", namespace, POST=(verify, "body")),
        namespaced(
            "/faults", namespace, GET=(list_faults, ""), POST=(add_fault, "body"), DELETE=(clear_faults, "")
        ),
        namespaced("/faults/{id}", namespace, DELETE=(remove_fault, "")),
        Route("/openapi.json", openapi, methods=["GET"]),
    ]


def namespaced(path: str, namespace, **handlers: tuple[Callable, str]) -> Route:
    """One route per path, so a 405 names every method the path has (``Allow``). Each
    handler is ``(handler, takes)``, where ``takes`` names the input it reads ("query",
    "body" or ""; anything else is refused by ``unexpected_input``); it is called with the
    request and its namespace (a bad or one-too-many namespace is answered here)."""

    async def endpoint(request: Request) -> Response:
        handler, takes = handlers[request.method if request.method != "HEAD" else "GET"]
        refusal = unexpected_input(request, query=takes == "query", body=takes == "body")
        if refusal is not None:
            return refusal
        try:
            ns = await namespace(request)
        except NamespaceError as exc:
            return _error(exc.status, exc.type, exc.message)
        return await handler(request, ns)

    return Route(path, endpoint, methods=list(handlers))


@lru_cache(maxsize=1)
def openapi_json() -> bytes:
    """The control API's OpenAPI document (openapi.yaml beside this module) as JSON bytes,
    read and encoded once (with libyaml when PyYAML has it; imported here, on the first
    request for it, not at start-up)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return orjson.dumps(yaml.load(SPEC_FILE.read_text(encoding="utf-8"), Loader=loader))


async def hold(seconds: float) -> None:
    """Wait at least ``seconds`` as ``time.perf_counter`` (the journal's ``duration_ms``)
    measures them, serving other requests meanwhile. uvloop's timers count from the loop time
    libuv cached at the start of its turn, so one sleep can end up to a millisecond early
    (a 200 ms delay was journalled as 199.882 ms); the rest is slept again."""
    deadline = time.perf_counter() + seconds
    await asyncio.sleep(seconds)
    while (left := deadline - time.perf_counter()) > 0:
        await asyncio.sleep(left)


def fault_answer(rule: FaultRule) -> tuple[int, bytes | None]:
    """A status rule's answer: its status and JSON body bytes (None: an empty body)."""
    data = rule.answer_body()
    status = rule.status
    assert status is not None, "fault_answer is for status rules"
    return status, (None if data is None and not rule.has_body else encode(data))  # journalled: exact size


# Dropping a connection (see the module docstring).

DROP_KEY = "mock_server.drop"


class _Dropped:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<connection dropped by a fault rule>"


DROPPED = _Dropped()


class ConnectionDropped(Exception):
    """Raised in process (``Droppable(raise_on_drop=True)``) where a real server closes."""


def drop(scope: dict) -> None:
    """Mark this request's connection to be closed without an answer; then return from the
    app without sending anything."""
    scope[DROP_KEY] = True


class _QuietDrops(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.args and isinstance(record.args, tuple) and record.args[0] is DROPPED)


_quiet = _QuietDrops()


def quiet_drops() -> None:
    """Keep uvicorn's "ASGI callable should return None" record for a drop out of its log."""
    logger = logging.getLogger("uvicorn.error")
    if _quiet not in logger.filters:
        logger.addFilter(_quiet)


class Droppable:
    """The outermost ASGI app: returns ``DROPPED`` to the server for a request marked by
    ``drop``, which uvicorn answers by closing the connection with nothing written."""

    def __init__(self, app, raise_on_drop: bool = False) -> None:
        self.app = app
        self.raise_on_drop = raise_on_drop
        quiet_drops()

    async def __call__(self, scope, receive, send):
        await self.app(scope, receive, send)
        return outcome(scope, self.raise_on_drop)


def outcome(scope: dict, raise_on_drop: bool = False):
    """What the outermost app returns to the server once the request is done: ``DROPPED``
    for a request ``drop`` marked (or ``ConnectionDropped`` raised, in process), else None."""
    if scope.get(DROP_KEY):
        if raise_on_drop:
            raise ConnectionDropped(f"{scope.get('method')} {scope.get('path')}")
        return DROPPED
    return None
