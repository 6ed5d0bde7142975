"""The HTTP connection limits Node's ``http.Server`` gives Medusa, on uvicorn's httptools
protocol (passed to uvicorn as its ``http`` protocol class):

* request heads: Node answers a head whose URL, header names and values add up to 16 KiB
  or more (``server.maxHeaderSize`` 16384; the request-line words, separators and line
  ends are not counted) with ``431 Request Header Fields Too Large``, no body,
  ``Connection: close``, and closes. uvicorn itself takes heads of any size;
* ``headers_timeout`` (Node: 60 s): a connection that has not sent a complete head in
  that time gets ``408 Request Timeout`` and is closed, so connections that open and
  never speak do not live forever (uvicorn arms no timer before a first request);
* ``request_timeout`` (Node: 300 s): the same for the whole request, body included;
* ``keep_alive_timeout`` (Node and uvicorn: 5 s): a connection kept alive and not used
  again is closed, with nothing written, once that long has passed since its last answer;
* ``max_connections``: when a new connection would pass it, the connection idle the
  longest (no request in progress) is closed to make room, so new clients are served
  while many idle sockets are open; with none idle, the new connection is closed.

* what Node answers before Express sees a request: a request its parser refuses gets
  ``400 Bad Request`` with ``Connection: close`` and nothing else (uvicorn wrote a body of
  its own and logged a warning); an HTTP/1.1 request without ``Host`` gets Node's 400
  (``requireHostHeader``); a ``CONNECT`` is closed unanswered; an ``Upgrade`` header is
  served as the plain request it also is. None of these is logged, as Node logs nothing;
* the connection headers Node ends an answer with (``Connection: keep-alive`` and
  ``Keep-Alive: timeout=<s>``, or ``Connection: close`` alone), and an HTTP/1.0 request
  that asks for keep-alive kept open (uvicorn closed it).

And one thing Node does that uvicorn does not: an answer's head goes out in the same
write as the first part of its body (Node's ``OutgoingMessage`` prepends the head to the
first chunk), so a whole answer is one ``send`` and one TCP segment, not two. That also
halves the kernel's share of a request (about 20 us a request on a small VM, measured).

The pipeline's answers take a shorter way to the same bytes: the transport offers each
request an ASGI extension (``ANSWER``) through which ``answer`` writes a whole answer, its
head already encoded by ``responses.ExpressResponse``, in that one write, without uvicorn's
per-header checks (a third of what a refund cost the server: benchmarks/PROFILE.md).
Everything else (the control API, a 500, a slow reader) goes through uvicorn's ``send``.

uvicorn's per-request callbacks are replaced by leaner ones with the same effects
(benchmarks/PROFILE.md, twelfth pass: together 1.15x the refund's rate):

* the scope is built once, when the head is complete (uvicorn built it when the message
  began and wrote five keys into it later), and the request's cycle (``_Cycle``) takes
  what it needs from the connection instead of eleven arguments;
* the keep-alive timeout is a deadline the sweep checks, like the other two, instead of
  a timer armed after each answer and cancelled by the next request;
* a request is not given a task of its own: its coroutine is started by a callback of the
  loop (``_drive``, queued as uvicorn queued the task's first step, so the loop still
  parses every ready connection before it serves them) and becomes a task only if it
  waits for something. Most requests are answered without waiting, and a task costs
  asyncio's registry of tasks (Python code in 3.11) and a done callback. Until that first
  wait there is no current task: code that needs one (anyio: ``run_in_threadpool``, task
  groups, ``StreamingResponse``) awaits ``in_task()`` first;
* the answers of the requests that run in one turn of the loop are written together,
  when the last of them has run (``Cork``): a ``write`` to a client that waits for its
  answer wakes the client, and on a small virtual machine that wake-up, another core's,
  was 18% of a served refund's time under load (perf, in the kernel under ``write``);
  written in a burst, one wake-up serves several answers (benchmarks/PROFILE.md,
  thirteenth pass). The bytes are the same; a request alone in its turn is answered at
  once, as is an answer that closes its connection.
"""

from __future__ import annotations

import asyncio
import math
import resource
import time
import types
import weakref
from urllib.parse import unquote

import httptools
import msgspec
import uvicorn
from uvicorn.protocols.http.flow_control import service_unavailable
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol, RequestResponseCycle

STARTUP_FAILURE = 3  # uvicorn's exit status when it could not start (its own constant from 0.50)
MAX_HEADER_SIZE = 16384  # Node's http.maxHeaderSize
# A head is also cut off at this many raw bytes (a few large fields are buffered whole by
# the parser before the count above sees them; whitespace is not counted by Node).
RAW_HEAD_LIMIT = 4 * MAX_HEADER_SIZE

TOO_LARGE_HEAD = b"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n"
TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n"
# Node's answer to a request its parser refuses (the server's default 'clientError')
BAD_REQUEST = b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"
# ... and to an HTTP/1.1 request without a Host header (requireHostHeader): writeHead(400,
# ['Connection', 'close']) and end(), so a Date and an empty chunked body
NO_HOST = b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nDate: %s\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"


class Limits(msgspec.Struct, frozen=True):
    headers_timeout: float = 60.0
    request_timeout: float = 300.0
    keep_alive_timeout: float = 5.0
    max_connections: int = 1000

    def effective_max_connections(self) -> int:
        """``max_connections``, kept under the process's file descriptor limit."""
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY:
            return self.max_connections
        return max(1, min(self.max_connections, soft - 64))


class _Refused(Exception):
    """Raised in a parser callback to stop the parser; the answer is ``_refusal``."""


CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"  # what uvicorn writes before a body it waits for


class _HeadWithBody:
    """The transport as one request's ``RequestResponseCycle`` sees it: the answer's head
    (its first write, "100 Continue" aside) is held and written together with what comes
    next (uvicorn writes the body even when it is empty; not for HEAD, which is why a HEAD
    request's cycle keeps the plain transport), or on its own if the connection is closed
    first (an app that failed half-way). Everything else is the transport's. It holds no
    reference to the cycle, so the two are freed as soon as the request is done."""

    __slots__ = ("_transport", "_head", "_seen_head")

    def __init__(self, transport) -> None:
        self._transport = transport
        self._head: bytes | None = None
        self._seen_head = False

    def write(self, data: bytes) -> None:
        if self._head is not None:
            data, self._head = self._head + data, None
        elif not self._seen_head and data != CONTINUE:
            self._seen_head = True
            self._head = data
            return
        self._transport.write(data)

    def close(self) -> None:
        if self._head is not None:
            head, self._head = self._head, None
            self._transport.write(head)
        self._transport.close()

    def __getattr__(self, name: str):
        return getattr(self._transport, name)


# The ASGI extension this transport offers each request (``scope["extensions"]``): a
# weak reference to the request's uvicorn cycle, for ``answer`` (weak: the cycle holds the
# scope, and both are freed by their counts when the request is done, as without it), and
# the header lines Node ends an answer with on a kept-alive connection.
ANSWER = "mock.answer"
CLOSE = b"connection: close\r\n"
Pairs = tuple[tuple[bytes, bytes], ...]
KEEP_ALIVE_PAIRS: Pairs = ((b"Connection", b"keep-alive"), (b"Keep-Alive", b"timeout=5"))  # Node's defaults
CLOSE_PAIRS: Pairs = ((b"Connection", b"close"),)


def keep_alive_pairs(timeout: float) -> Pairs:
    """What Node's ``OutgoingMessage`` ends an answer with on a connection it keeps open:
    ``Connection: keep-alive`` and, unless the server's keep-alive timeout is 0, its
    timeout in whole seconds (``Math.floor(keepAliveTimeout / 1000)``). A connection
    that is to close (the request's ``Connection: close``, HTTP/1.0 without keep-alive)
    ends with ``CLOSE_PAIRS`` instead."""
    pairs = [(b"Connection", b"keep-alive")]
    if timeout:
        pairs.append((b"Keep-Alive", b"timeout=%d" % math.floor(timeout)))
    return tuple(pairs)


def _lines(pairs) -> bytes:
    return b"".join(b"%s: %s\r\n" % (name.lower(), value) for name, value in pairs)


def connection_headers(scope) -> Pairs:
    """The connection headers Node would end this request's answer with (Node's defaults
    for a request that did not come through this transport: in process, no connection)."""
    cycle, kept_alive = _offered(scope)
    if cycle is None:
        return KEEP_ALIVE_PAIRS
    return kept_alive[0] if cycle.keep_alive else CLOSE_PAIRS


def whole_body(scope) -> bytes | None:
    """The request's body as uvicorn's ``receive`` would give it in one message, taken
    without a coroutine when the cycle already holds all of it (the parser has seen the
    end of the message, as it has for any body that came with its head), with ``receive``'s
    effects: reading resumed, the event cleared, the buffer emptied. None: the caller
    awaits ``receive`` (a body still coming, a 100-continue to write, a client gone, not a
    request of this transport)."""
    cycle, _ = _offered(scope)
    if (
        cycle is None
        or cycle.more_body
        or cycle.disconnected
        or cycle.response_complete
        or cycle.waiting_for_100_continue
        or not cycle.message_event.is_set()
    ):
        return None
    cycle.flow.resume_reading()
    cycle.message_event.clear()
    body = bytes(cycle.body)
    cycle.body = cycle.body[:0]  # a bytearray in uvicorn 0.3x and later, bytes before
    return body


def _offered(scope) -> tuple[_Cycle | None, tuple]:
    """The request's cycle (None: gone, or not a request of this transport), and
    the connection's kept-alive headers (as pairs and as lines)."""
    extensions = scope.get("extensions")
    offered = extensions.get(ANSWER) if extensions else None
    if offered is None:
        return None, ()
    return offered["cycle"](), offered["keep_alive"]


_dates: tuple[object, bytes] = (None, b"")  # uvicorn's default headers, last list seen, encoded


def answer(scope, status: int, head: bytes, body: bytes | memoryview) -> bool:
    """Send a whole answer at once, as uvicorn's ``send`` does for a start and a final body
    message, with one ``write`` and none of its per-header work: ``head`` is the answer's
    header lines (``name: value\\r\\n`` each), which the caller vouches for as uvicorn would
    check them: names in lower case and free of separators, values free of control
    characters, a ``content-length`` equal to ``len(body)`` (the GET's for a HEAD, whose
    body is not sent), no ``transfer-encoding`` and no ``connection`` header: the
    connection's headers are added here, as Node writes them. False (nothing sent) when
    the request did not come through this transport, or the cycle is not at its start
    (uvicorn's ``send`` then does the rest: a paused write, a disconnected client, an
    access log to write)."""
    cycle, kept_alive = _offered(scope)
    if (
        cycle is None
        or cycle.response_started
        or cycle.disconnected
        or cycle.access_log
        or cycle.flow.write_paused
    ):
        return False
    global _dates
    defaults = cycle.default_headers
    known, dates = _dates
    if known is not defaults:
        dates = b"".join(b"%s: %s\r\n" % (name.lower(), value) for name, value in defaults)
        _dates = (defaults, dates)
    cycle.response_started = True
    cycle.waiting_for_100_continue = False
    connection = kept_alive[1] if cycle.keep_alive else CLOSE
    if scope["method"] == "HEAD":
        body = b""
    transport = cycle.transport
    if transport.__class__ is _HeadWithBody:
        transport = transport._transport
    data = b"%s%s%s%s\r\n%s" % (STATUS_LINE[status], dates, head, connection, body)
    cork = cycle.cork
    if cork.driving and cycle.keep_alive and (cork.queued or cork.answers):
        cork.answers.append((transport, data))
    else:
        cork()
        transport.write(data)
        if not cycle.keep_alive:
            transport.close()
    cycle.response_complete = True
    cycle.message_event.set()
    cycle.on_response()
    return True


class Cork:
    """A server's kept-alive answers given by requests started together and not yet
    written (each with its connection's transport, in the order given). The requests whose
    bytes came in one turn of the loop run one after another in the next (``_drive``);
    an answer given while one runs is held (``driving``), and the last of them to run
    (``queued`` back to 0) writes them all. Requests started meanwhile (a pipelined one)
    are left to the loop's next turn, and the answers held with them (``due``). Calling
    it writes them (a connection closed meanwhile gets nothing); everything else the
    server writes to a connection or closes it with (``answer`` outside a run,
    ``GuardedHttpToolsProtocol``, ``_sweep``) calls it first, so nothing overtakes an
    answer given before it."""

    __slots__ = ("answers", "queued", "driving", "due")

    def __init__(self) -> None:
        self.answers: list[tuple[asyncio.WriteTransport, bytes]] = []
        self.queued = 0  # requests started (``_drive`` queued) and not yet run
        self.driving = False  # one of them is running
        self.due = False  # a call is queued for the loop's next turn (``when_due``)

    def __call__(self) -> None:
        if not self.answers:
            return
        answers, self.answers = self.answers, []
        for transport, data in answers:
            if not transport.is_closing():
                transport.write(data)

    def when_due(self) -> None:
        self.due = False
        self()


class _Cycle(RequestResponseCycle):
    """uvicorn's request cycle, made from the connection: the same attributes, the ones
    every request starts with equal read from the class until a request writes its own."""

    disconnected = False
    # uvicorn's ``on_body`` adds to it (a new object: a class-level bytearray would be
    # extended in place, for every request), and ``receive`` empties it
    body = b""  # type: ignore[assignment]
    more_body = True
    response_started = False
    response_complete = False
    chunked_encoding = None
    expected_content_length = 0

    def __init__(self, scope, protocol: GuardedHttpToolsProtocol, keep_alive: bool) -> None:
        self.scope = scope
        self.transport = protocol.transport
        self.flow = protocol.flow
        self.logger = protocol.logger
        self.access_logger = protocol.access_logger
        self.access_log = protocol.access_log
        self.default_headers = protocol.server_state.default_headers
        self.message_event = asyncio.Event()
        self.on_response = protocol.on_response_complete
        self.cork = protocol.cork
        self.keep_alive = keep_alive
        self.waiting_for_100_continue = protocol.expect_100_continue


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the limits above; ``protocol_class`` makes one
    with a given ``Limits``.

    Its cost per request is kept to a few attribute writes, as it is on every request: the
    head is counted only when its raw size could reach the limit, and the three timeouts are
    deadlines that one sweep per server checks a few times a second (as Node checks its own
    every ``connectionsCheckingInterval``), not a timer armed and cancelled per request. The
    callbacks it keeps from uvicorn are called by name, not through ``super()``, which costs
    about 1k instructions a call on Python 3.11 (benchmarks/PROFILE.md)."""

    limits = Limits()
    max_connections = limits.max_connections
    # the headers that end an answer on a kept-alive connection, as pairs and as lines
    kept_alive = (KEEP_ALIVE_PAIRS, _lines(KEEP_ALIVE_PAIRS))
    _sweeping = False  # one sweep per server (each server has its own class)
    cork = Cork()  # the server's answers not yet written (protocol_class: one per server)

    def connection_made(self, transport) -> None:
        self.cork()  # an idle connection may be closed to make room (_evict_idlest)
        self._head_raw = 0
        self._chunk = 0
        self._in_head = True
        self._refusal: bytes | None = None  # what to write instead of a 400 (b"": nothing)
        self._busy = False
        self._idle = False  # the deadline is the keep-alive timeout's (closed without an answer)
        self._idle_since = time.monotonic()
        self._deadline: float | None = self._idle_since + self.limits.headers_timeout
        self._refused = len(self.connections) >= self.max_connections and not _evict_idlest(self.connections)
        if self._refused:
            transport.close()
            return
        super().connection_made(transport)
        self._asgi_version = self.config.asgi_version  # a property of uvicorn's config
        cls = type(self)
        if not cls._sweeping:
            cls._sweeping = True
            self.loop.call_later(_sweep_interval(self.limits), _sweep, cls, self.connections, self.loop)

    def connection_lost(self, exc) -> None:
        self._deadline = None
        if not self._refused:
            super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """uvicorn's, with Node's answers to what its parser refuses and without uvicorn's
        log lines for them: a request that does not parse gets Node's bare 400 (uvicorn
        wrote a body of its own and logged a warning, for any client to repeat), a CONNECT
        is closed unanswered, as Node does without a 'connect' listener, and an Upgrade
        header is answered as the plain request it also is (uvicorn logged two warnings)."""
        self.cork()  # the answers before this request's: it may be refused at once
        if self._refused or self.parser is None or self.transport.is_closing():
            return
        self._chunk = len(data)
        if self._idle:  # bytes that begin no request (the rest of one answered early)
            self._deadline = time.monotonic() + self.timeout_keep_alive
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            pass  # the request was already dispatched; there is no protocol to switch to
        except httptools.HttpParserError:
            if self._refusal is None and self.parser.get_method() == b"CONNECT":
                self._refusal = b""
            self._refuse()
            return
        if self._in_head and not self.transport.is_closing():
            self._head_raw += self._chunk  # all of it is head: the head is not complete yet
            if self._head_raw >= RAW_HEAD_LIMIT or (
                self._head_raw >= MAX_HEADER_SIZE and self._counted() >= MAX_HEADER_SIZE
            ):
                self._refusal = TOO_LARGE_HEAD
                self._refuse()

    def eof_received(self) -> None:
        self.cork()  # the transport is closed on return

    def shutdown(self) -> None:
        self.cork()
        HttpToolsProtocol.shutdown(self)

    def _refuse(self) -> None:
        """Write ``_refusal`` (Node's bare 400 when none was set) and close."""
        self._deadline = None
        answer = BAD_REQUEST if self._refusal is None else self._refusal
        if answer:
            self.transport.write(answer)
        self.transport.close()

    def on_message_begin(self) -> None:
        self.url = b""
        self.expect_100_continue = False
        self.headers = []
        self._head_raw = 0
        self._in_head = True
        self._busy = True
        if self._deadline is None or self._idle:
            self._idle = False
            self._deadline = time.monotonic() + self.limits.headers_timeout

    def on_headers_complete(self) -> None:
        self._in_head = False
        # The raw bytes of the head are at most what came before this chunk and the chunk:
        # below the limit, Node's count (a part of them) is too.
        if self._head_raw + self._chunk >= MAX_HEADER_SIZE and self._counted() >= MAX_HEADER_SIZE:
            self._refusal = TOO_LARGE_HEAD
            raise _Refused()  # httptools stops; data_received answers (_refuse)
        for name, _ in self.headers:  # clients send Host first: one comparison
            if name == b"host":
                break
        else:
            if self.parser.get_http_version() == "1.1":
                date = next((v for k, v in self.server_state.default_headers if k == b"date"), b"")
                self._refusal = NO_HOST % date
                raise _Refused()
        self._deadline = time.monotonic() + self.limits.request_timeout
        # uvicorn's scope and cycle, made in one go (an Upgrade is served as a plain request)
        parser = self.parser
        method = parser.get_method().decode("ascii")
        url = httptools.parse_url(self.url)
        raw_path = url.path
        path = raw_path.decode("ascii")
        if "%" in path:
            path = unquote(path)
        root = self.root_path
        if root:
            path = root + path
            raw_path = root.encode("ascii") + raw_path
        scope = self.scope = {
            "type": "http",
            "asgi": {"version": self._asgi_version, "spec_version": "2.3"},
            "http_version": parser.get_http_version(),
            "server": self.server,
            "client": self.client,
            "scheme": self.scheme,  # type: ignore[typeddict-item]
            "root_path": root,
            "headers": self.headers,
            "state": self.app_state.copy(),
            "method": method,
            "path": path,
            "raw_path": raw_path,
            "query_string": url.query or b"",
        }
        app = self.app
        limit = self.limit_concurrency
        if limit is not None and (len(self.connections) >= limit or len(self.tasks) >= limit):
            app = service_unavailable
            self.logger.warning("Exceeded concurrency limit.")
        before = self.cycle
        # Node keeps an HTTP/1.0 connection that asks for it open (uvicorn closed it)
        cycle = self.cycle = _Cycle(scope, self, parser.should_keep_alive())
        scope["extensions"] = {ANSWER: {"cycle": weakref.ref(cycle), "keep_alive": self.kept_alive}}
        if method != "HEAD":
            cycle.transport = _HeadWithBody(self.transport)  # type: ignore[assignment]
        if before is None or before.response_complete:
            self._start_asgi_task(cycle, app)
        else:  # pipelined: it waits for the answer before it
            self.flow.pause_reading()
            self.pipeline.appendleft((cycle, app))

    def _start_asgi_task(self, cycle: RequestResponseCycle, app) -> None:
        """uvicorn's hook for starting a request: ``_drive`` instead of a task."""
        self.cork.queued += 1
        self.loop.call_soon(_drive, cycle.run_asgi(app), self.loop, self.tasks, self.cork)

    def on_message_complete(self) -> None:
        if not self._idle:  # the request's deadline, not the keep-alive one of an early answer
            self._deadline = None
        HttpToolsProtocol.on_message_complete(self)

    def on_response_complete(self) -> None:
        """uvicorn's: the next pipelined request started, or the keep-alive deadline set."""
        self._busy = False
        now = self._idle_since = time.monotonic()
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self.flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
        elif self.timeout_keep_alive > 0:
            self._idle = True
            self._deadline = now + self.timeout_keep_alive
        else:
            self.cork()  # this answer among them: written before the close
            self.transport.close()

    def _counted(self) -> int:
        """Node's count of the head so far: the URL, and each header's name and value."""
        return len(self.url) + sum(len(name) + len(value) for name, value in self.headers)

    def _timed_out(self) -> None:
        self._deadline = None
        if self.transport is None or self.transport.is_closing():
            return
        if self._idle:  # kept alive and not used again: closed, as Node does, without a word
            self.transport.close()
            return
        if self.cycle is None or self.cycle.response_complete or not self.cycle.response_started:
            self.transport.write(TIMED_OUT)
        self.transport.close()


def _drive(coro, loop, tasks: set, cork: Cork) -> None:
    """Run a request's coroutine up to its first wait, and the rest of it as a task (kept in
    uvicorn's ``tasks``, which its shutdown waits for), if there is a rest; its answer, if
    it gave one, is held with those of the requests started with it (``Cork``)."""
    cork.queued -= 1
    cork.driving = True
    try:
        waiting_for = coro.send(None)
    except StopIteration:
        return
    else:
        task = loop.create_task(_rest(coro, waiting_for))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    finally:
        cork.driving = False
        if cork.answers:
            if not cork.queued:
                cork()
            elif not cork.due:
                cork.due = True
                loop.call_soon(cork.when_due)


@types.coroutine
def _rest(coro, waiting_for):
    """The rest of a started coroutine, for a task to run: first what it waits for (a
    future, or None: the next turn of the loop), then the coroutine itself, as ``await``
    would drive it."""
    while True:
        try:
            value = yield waiting_for
        except GeneratorExit:
            coro.close()
            raise
        except BaseException as exc:  # a cancellation, thrown in by the task
            try:
                waiting_for = coro.throw(exc)
            except StopIteration as done:
                return done.value
        else:
            try:
                waiting_for = coro.send(value)
            except StopIteration as done:
                return done.value


async def in_task() -> None:
    """Make sure what follows runs in a task: a request started by ``_drive`` has none until
    it first waits, and anyio (``run_in_threadpool``, task groups) needs one. Outside a
    task, one turn of the loop (the rest of the request then runs in a task)."""
    if asyncio.current_task() is None:
        await asyncio.sleep(0)


def _sweep_interval(limits: Limits) -> float:
    # a timeout is kept to a quarter of itself, the keep-alive one (Node's 5 s) to a twentieth
    keep_alive = limits.keep_alive_timeout / 20 if limits.keep_alive_timeout > 0 else 1.0
    return max(0.05, min(1.0, limits.headers_timeout / 4, limits.request_timeout / 4, keep_alive))


def _sweep(cls, connections: set, loop) -> None:
    """Close the connections whose deadline has passed; again in a moment while any is open."""
    cls.cork()
    now = time.monotonic()
    for protocol in [p for p in connections if getattr(p, "_deadline", None) is not None]:
        if protocol._deadline <= now:
            protocol._timed_out()
    if connections:
        loop.call_later(_sweep_interval(cls.limits), _sweep, cls, connections, loop)
    else:
        cls._sweeping = False


def _evict_idlest(connections) -> bool:
    """Close the connection idle the longest (no request in progress); False if none is."""
    idlest = None
    for protocol in connections:
        if (
            isinstance(protocol, GuardedHttpToolsProtocol)
            and not protocol._busy
            and not protocol.transport.is_closing()
            and (idlest is None or protocol._idle_since < idlest._idle_since)
        ):
            idlest = protocol
    if idlest is None:
        return False
    idlest._deadline = None
    idlest.transport.close()
    idlest.connections.discard(idlest)
    return True


def protocol_class(limits: Limits) -> type[GuardedHttpToolsProtocol]:
    pairs = keep_alive_pairs(limits.keep_alive_timeout)
    return type(
        "MockHttpProtocol",
        (GuardedHttpToolsProtocol,),
        {
            "limits": limits,
            "max_connections": limits.effective_max_connections(),
            "kept_alive": (pairs, _lines(pairs)),
            "cork": Cork(),
        },
    )


def settings(limits: Limits) -> dict:
    """uvicorn's settings for this transport, as ``mock-server serve`` and the pytest
    plugin's server both run it."""
    return {
        "http": protocol_class(limits),
        "ws": "none",  # an Upgrade is served as the plain request it also is, as Node does
        "server_header": False,
        "proxy_headers": False,  # the mock reads neither the client address nor the scheme
        "timeout_keep_alive": limits.keep_alive_timeout,  # typed int by uvicorn, taken as any number of seconds
    }


class Server(uvicorn.Server):
    """uvicorn's server, calling ``on_serving`` once it listens."""

    def __init__(self, config: uvicorn.Config, on_serving) -> None:
        super().__init__(config)
        self.on_serving = on_serving

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets)
        if self.started:
            self.on_serving()


def run(app, on_serving, **settings) -> int:
    """``uvicorn.run(app, **settings)`` (one process, no reload), calling ``on_serving`` once
    the server listens; 0, or uvicorn's exit status when it could not start."""
    server = Server(uvicorn.Config(app, **settings), on_serving)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    return 0 if server.started else STARTUP_FAILURE
