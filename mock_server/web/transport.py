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
* ``keep_alive_timeout`` (Node and uvicorn: 5 s) is uvicorn's own ``timeout_keep_alive``;
* ``max_connections``: when a new connection would pass it, the connection idle the
  longest (no request in progress) is closed to make room, so new clients are served
  while many idle sockets are open; with none idle, the new connection is closed.
"""

from __future__ import annotations

import asyncio
import resource
import time
from dataclasses import dataclass

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEADER_SIZE = 16384  # Node's http.maxHeaderSize
# A head is also cut off at this many raw bytes (a few large fields are buffered whole by
# the parser before the count above sees them; whitespace is not counted by Node).
RAW_HEAD_LIMIT = 4 * MAX_HEADER_SIZE

TOO_LARGE_HEAD = b"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n"
TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n"


@dataclass(frozen=True)
class Limits:
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


class _HeadTooLarge(Exception):
    pass


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the limits above; ``protocol_class`` makes one
    with a given ``Limits``."""

    limits = Limits()
    max_connections = limits.max_connections

    def connection_made(self, transport) -> None:
        self._head_size = 0
        self._head_raw = 0
        self._in_head = True
        self._head_too_large = False
        self._busy = False
        self._idle_since = time.monotonic()
        self._timer: asyncio.TimerHandle | None = None
        self._refused = len(self.connections) >= self.max_connections and not _evict_idlest(self.connections)
        if self._refused:
            transport.close()
            return
        super().connection_made(transport)
        self._arm(self.limits.headers_timeout)

    def connection_lost(self, exc) -> None:
        self._disarm()
        if not self._refused:
            super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused or self.parser is None or self.transport.is_closing():
            return
        super().data_received(data)
        if self._in_head and not self.transport.is_closing():
            self._head_raw += len(data)  # all of it is head: the head is not complete yet
            if self._head_raw >= RAW_HEAD_LIMIT:
                self._head_too_large = True
                self.send_400_response("")

    def send_400_response(self, msg: str) -> None:
        if not self._head_too_large:
            super().send_400_response(msg)
            return
        self._disarm()
        self.transport.write(TOO_LARGE_HEAD)
        self.transport.close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_size = 0
        self._head_raw = 0
        self._in_head = True
        self._busy = True
        if self._timer is None:
            self._arm(self.limits.headers_timeout)

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value))
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._arm(self.limits.request_timeout)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        self._busy = False
        self._idle_since = time.monotonic()
        super().on_response_complete()

    def _count(self, size: int) -> None:
        self._head_size += size
        if self._head_size >= MAX_HEADER_SIZE:
            self._head_too_large = True
            raise _HeadTooLarge()  # httptools stops; uvicorn calls send_400_response

    def _arm(self, delay: float) -> None:
        self._disarm()
        self._timer = self.loop.call_later(delay, self._timed_out)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _timed_out(self) -> None:
        self._timer = None
        if self.transport is None or self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete or not self.cycle.response_started:
            self.transport.write(TIMED_OUT)
        self.transport.close()


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
    idlest._disarm()
    idlest.transport.close()
    idlest.connections.discard(idlest)
    return True


def protocol_class(limits: Limits) -> type[GuardedHttpToolsProtocol]:
    return type(
        "MockHttpProtocol",
        (GuardedHttpToolsProtocol,),
        {"limits": limits, "max_connections": limits.effective_max_connections()},
    )
