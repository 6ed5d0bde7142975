"""The request journal: what the mock was asked and what it answered, newest last, bounded.

``Journal(size)`` keeps the last ``size`` requests in a ring (``collections.deque`` with
``maxlen``); ``size=0`` turns it off (``record`` returns at once). ``record`` runs on every
Medusa request, so it stores what it is given nearly as it is (the request's headers as
a tuple of header pairs shared with every entry that repeats them; the body bytes, a
float time) in one tuple; redaction, decoding, JSON parsing and ISO timestamps are done
only when somebody reads the journal. Bodies longer than ``body_limit`` bytes are cut to
that many on record (and flagged ``truncated``), so memory stays flat: at most ``size``
entries of at most two ``body_limit`` bodies plus the headers the server accepted.

Sequence numbers start at 1 and keep counting across ``clear()``, so ``since`` (entries
with a *greater* sequence number) stays meaningful for a test that noted the last one.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections import deque
from datetime import datetime, timezone
from typing import Any, Generator, Iterable, TypeVar

import msgspec
import orjson

from .paths import PathPattern

DEFAULT_SIZE = 1000
DEFAULT_BODY_LIMIT = 16 * 1024
REDACTED = "[redacted]"
REDACTED_HEADERS = frozenset({b"authorization", b"proxy-authorization", b"cookie", b"set-cookie"})
NEAR_MISSES = 3
# header sets remembered per journal: one client's GETs and POSTs differ (Content-Type), and
# two connections of one load generator may send the same headers in two orders
RECENT_HEADERS = 4
# Header pairs as journals keep them: one tuple per distinct (name, value), shared by every
# journal of the process (namespaces' clients repeat the same bearer token and host), so
# comparing a request's headers with a journal's remembered sets reads objects that the
# last request to any namespace read too. Bounded: past SHARED_LIMIT bytes of names and
# values the table starts again (entries keep the pairs they hold).
SHARED_LIMIT = 1 << 20
_shared: dict[tuple[bytes, bytes], tuple[bytes, bytes]] = {}
_shared_size = 0


def _share(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """A copy of ``headers`` made of the shared pairs (new pairs are added)."""
    global _shared_size
    out = []
    for name, value in headers:
        pair = (bytes(name), bytes(value))
        known = _shared.get(pair)
        if known is None:
            size = len(name) + len(value)
            if _shared_size + size > SHARED_LIMIT:
                _shared.clear()
                _shared_size = 0
            _shared[pair] = known = pair
            _shared_size += size
        out.append(known)
    return out


# Entry tuple layout (a tuple, not an object: one allocation per request). ``_CUT`` is None,
# or the body's and the response's lengths as given when either was cut to ``body_limit``.
(
    _SEQ,
    _TIME,
    _METHOD,
    _PATH,
    _QUERY,
    _OPERATION,
    _HEADERS,
    _BODY,
    _STATUS,
    _RESPONSE,
    _DURATION,
    _FAULT,
    _CUT,
) = range(13)


class Filters(msgspec.Struct, frozen=True):
    """What a query or a verification selects. ``path`` is compiled once; ``body`` is a
    JSON value the request's JSON body must contain (objects: every key given, recursively;
    anything else: equal, numbers by value, never ``true`` for ``1``)."""

    method: str | None = None
    path: PathPattern | None = None
    operation: str | None = None
    status: int | str | None = None  # 404, or a class such as "4xx"
    since: int | None = None
    body: Any = None
    has_body: bool = False

    def criteria(self) -> list[str]:
        names = [n for n in ("method", "path", "operation", "status") if getattr(self, n) is not None]
        if self.has_body:
            names.append("body")
        return names


class Verification(msgspec.Struct):
    ok: bool
    count: int
    expected: dict
    near_misses: list[dict]

    def message(self) -> str:
        return f"expected {_describe(self.expected)} matching request(s), got {self.count}"


class Journal:
    def __init__(self, size: int = DEFAULT_SIZE, body_limit: int = DEFAULT_BODY_LIMIT) -> None:
        if size < 0 or body_limit < 0:
            raise ValueError("journal size and body limit are never negative")
        self.size = size
        self.body_limit = body_limit
        self._entries: deque[tuple] = deque(maxlen=size or 1)
        self._seq = itertools.count(1)
        self._last = 0
        # the newest entry's path and query, and the last few header sets (as a list to
        # compare with the request's and as the tuple entries hold), shared by the next
        # entries that are equal
        self._path, self._query = "", b""
        self._recent: list[tuple[list[tuple[bytes, bytes]], tuple[tuple[bytes, bytes], ...]]] = []

    @property
    def enabled(self) -> bool:
        return self.size > 0

    def __len__(self) -> int:
        return len(self._entries) if self.size else 0

    def record(
        self,
        method: str,
        path: str,
        query: bytes,
        operation: str | None,
        headers: Iterable[tuple[bytes, bytes]],
        body: bytes,
        status: int | None,
        response: bytes,
        duration: float,
        fault: str | None = None,
    ) -> None:
        """One answered (or dropped: ``status`` None) request. ``headers`` is the ASGI
        ``scope["headers"]`` list. ``duration`` in seconds.

        An entry holds only immutable values, which the garbage collector stops tracking
        at its first look. A request whose path or query equals the previous entry's, or
        whose headers equal one of the last ``RECENT_HEADERS`` sets (a test suite's client
        repeating its headers and their bearer token of 300 bytes), shares those objects:
        an entry of a repeated refund holds about 350 bytes, where one with its own copy of
        the headers took 1.2 KB and one with the list's own tuples about 2 KB (a hundred
        namespaces keep a thousand entries each).

        What this costs is mostly work and memory that are not in the cache: a journal
        is touched once per request to its namespace. So a repeated set is recognised by
        comparing the request's list with a remembered one, made of the pairs every
        journal shares (``_share``): no copy, no allocation, and what is read is what the
        last request read (benchmarks/PROFILE.md). Lengths are kept only when a body was
        cut."""
        if not self.size:
            return
        limit = self.body_limit
        cut = None
        if len(body) > limit or len(response) > limit:
            cut = (len(body), len(response))
            body, response = body[:limit], response[:limit]
        recent = self._recent
        for known, held in recent:  # noqa: B007 (``held`` is the set found)
            if known == headers:
                break
        else:  # a copy: nobody's later change to the list can fool the test
            known = _share(headers)
            held = tuple(known)
            recent.insert(0, (known, held))
            del recent[RECENT_HEADERS:]
        if path == self._path:
            path = self._path
        else:
            self._path = path
        if query == self._query:
            query = self._query
        else:
            self._query = query
        seq = next(self._seq)
        self._last = seq
        self._entries.append(
            (
                seq,
                time.time(),
                method,
                path,
                query,
                operation,
                held,
                body,
                status,
                response,
                duration,
                fault,
                cut,
            )
        )

    @property
    def last_seq(self) -> int:
        """The sequence number of the newest entry ever recorded (0 before the first)."""
        return self._last

    def clear(self) -> int:
        count = len(self._entries) if self.size else 0
        self._entries.clear()
        return count

    def _snapshot(self) -> list[tuple]:
        if not self.size:
            return []
        return list(self._entries)  # one C-level copy under the GIL: safe against an append

    def query(
        self, filters: Filters | None = None, limit: int | None = None, **kwargs
    ) -> tuple[list[dict], int]:
        """Entries matching ``filters`` (or the same fields as keywords), newest first,
        rendered; and how many matched before ``limit``."""
        return finish(self.query_steps(filters or make_filters(**kwargs), limit))

    def query_steps(self, filters: Filters, limit: int | None = None) -> Steps[tuple[list[dict], int]]:
        """``query`` as ``Steps``: the journal as it is at the first step, then about a
        millisecond of work a step."""
        entries = self._snapshot()
        matched = []
        for i, entry in enumerate(reversed(entries), 1):
            if not _unmatched(entry, filters):
                matched.append(entry)
            if not i % LOOKED_A_STEP:
                yield
        count = len(matched)
        if limit is not None:
            matched = matched[:limit]
        rendered = []
        for i, entry in enumerate(matched, 1):
            rendered.append(render(entry))
            if not i % RENDERED_A_STEP:
                yield
        return rendered, count

    def verify(
        self,
        filters: Filters,
        times: int | None = None,
        at_least: int | None = None,
        at_most: int | None = None,
    ) -> Verification:
        """Whether the number of matching entries holds (``times`` exactly, or within
        ``at_least``..``at_most``; nothing given means at least one). When it does not, the
        closest entries that did not match, ranked by how many criteria they meet (newest
        first among equals), each naming what differed."""
        return finish(self.verify_steps(filters, times, at_least, at_most))

    def verify_steps(
        self,
        filters: Filters,
        times: int | None = None,
        at_least: int | None = None,
        at_most: int | None = None,
    ) -> Steps[Verification]:
        """``verify`` as ``Steps`` (``query_steps``)."""
        low: int
        high: int | None
        if times is not None:
            expected: dict[str, int] = {"times": times}
            low, high = times, times
        else:
            if at_least is None and at_most is None:
                at_least = 1
            expected = {k: v for k, v in (("at_least", at_least), ("at_most", at_most)) if v is not None}
            low, high = at_least or 0, at_most
        count = 0
        misses = []
        criteria = filters.criteria()
        for i, entry in enumerate(reversed(self._snapshot()), 1):
            if not i % LOOKED_A_STEP:
                yield
            if filters.since is not None and entry[_SEQ] <= filters.since:
                continue
            unmatched = _unmatched(entry, filters)
            if not unmatched:
                count += 1
            else:
                misses.append((len(criteria) - len(unmatched), -entry[_SEQ], entry, unmatched))
        ok = count >= low and (high is None or count <= high)
        near = []
        if not ok and misses:
            for score, _, entry, unmatched in heapq.nsmallest(
                NEAR_MISSES, misses, key=lambda m: (-m[0], m[1])
            ):
                near.append(
                    {
                        "matched": score,
                        "of": len(criteria),
                        "differences": {name: _difference(name, filters, entry) for name in unmatched},
                        "request": render(entry),
                    }
                )
        return Verification(ok, count, expected, near)


Result = TypeVar("Result")
# Work that reads a whole journal (a million entries, with --journal-size) in steps: the
# generator yields between two steps and returns its result. ``finish`` runs it at once;
# the control API runs it with the event loop serving other requests between two steps
# (steering.py).
Steps = Generator[None, None, Result]
LOOKED_A_STEP = 500  # entries compared with the filters in one step (about a millisecond)
RENDERED_A_STEP = 64  # entries rendered in one step (about a millisecond)


def finish(steps: Steps[Result]) -> Result:
    """The result of ``steps``, run to the end at once."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


def make_filters(
    method: str | None = None,
    path: str | PathPattern | None = None,
    operation: str | None = None,
    status: int | str | None = None,
    since: int | None = None,
    body: Any = None,
    has_body: bool | None = None,
) -> Filters:
    if isinstance(path, str):
        path = PathPattern(path)
    return Filters(
        method.upper() if method else None,
        path,
        operation,
        status,
        since,
        body,
        body is not None if has_body is None else has_body,
    )


def _unmatched(entry: tuple, f: Filters) -> list[str]:
    """The criteria of ``f`` that ``entry`` fails (``since`` excluded: it is a window)."""
    if f.since is not None and entry[_SEQ] <= f.since:
        return ["since"]
    out = []
    if f.method is not None and entry[_METHOD] != f.method:
        out.append("method")
    if f.path is not None and not f.path.matches(entry[_PATH]):
        out.append("path")
    if f.operation is not None and entry[_OPERATION] != f.operation:
        out.append("operation")
    if f.status is not None and not _status_matches(f.status, entry[_STATUS]):
        out.append("status")
    if f.has_body and not _contains(_request_json(entry), f.body):
        out.append("body")
    return out


def _status_matches(wanted: int | str, status: int | None) -> bool:
    if status is None:
        return False
    if isinstance(wanted, int):
        return status == wanted
    return str(status)[0] == wanted[0]  # "4xx"


_MISSING = object()


def _contains(actual: Any, wanted: Any) -> bool:
    if isinstance(wanted, dict):
        return isinstance(actual, dict) and all(
            k in actual and _contains(actual[k], v) for k, v in wanted.items()
        )
    if isinstance(wanted, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(wanted)
            and all(_contains(a, w) for a, w in zip(actual, wanted, strict=True))
        )
    if isinstance(wanted, bool) or isinstance(actual, bool):
        return type(wanted) is type(actual) and wanted == actual
    if isinstance(wanted, (int, float)) and isinstance(actual, (int, float)):
        return wanted == actual
    return type(wanted) is type(actual) and wanted == actual


def _difference(name: str, f: Filters, entry: tuple) -> dict:
    if name == "method":
        return {"expected": f.method, "actual": entry[_METHOD]}
    if name == "path":
        return {"expected": f.path.source if f.path else None, "actual": entry[_PATH]}
    if name == "operation":
        return {"expected": f.operation, "actual": entry[_OPERATION]}
    if name == "status":
        return {"expected": f.status, "actual": entry[_STATUS]}
    return {"expected": f.body, "actual": _request_json(entry, default=_text(entry[_BODY]))}


def _describe(expected: dict) -> str:
    if "times" in expected:
        return f"exactly {expected['times']}"
    parts = []
    if "at_least" in expected:
        parts.append(f"at least {expected['at_least']}")
    if "at_most" in expected:
        parts.append(f"at most {expected['at_most']}")
    return " and ".join(parts)


# Rendering, only when read.


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _request_json(entry: tuple, default: Any = None) -> Any:
    body = entry[_BODY]
    if not body or _truncated(entry)[0]:
        return default
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return default


def _truncated(entry: tuple) -> tuple[bool, bool]:
    """Whether the entry's request body and its response were cut on record."""
    cut = entry[_CUT]
    if cut is None:
        return False, False
    return cut[0] > len(entry[_BODY]), cut[1] > len(entry[_RESPONSE])


def _headers(held: tuple[tuple[bytes, bytes], ...]) -> dict[str, str]:
    """The request headers of an entry, redacted."""
    out: dict[str, str] = {}
    for name, value in held:
        name = name.lower()
        text = REDACTED if name in REDACTED_HEADERS else value.decode("latin-1")
        key = name.decode("latin-1")
        out[key] = f"{out[key]}, {text}" if key in out and text != REDACTED else text
    return out


def _iso(moment: float) -> str:
    return (
        datetime.fromtimestamp(moment, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def render(entry: tuple) -> dict:
    """One entry as the control API answers it."""
    body, response = entry[_BODY], entry[_RESPONSE]
    body_truncated, response_truncated = _truncated(entry)
    response_body: Any = None
    if response:
        response_body = _text(response)
        if not response_truncated:
            try:
                response_body = orjson.loads(response)
            except orjson.JSONDecodeError:
                pass
    return {
        "seq": entry[_SEQ],
        "time": _iso(entry[_TIME]),
        "duration_ms": round(entry[_DURATION] * 1000, 3),
        "method": entry[_METHOD],
        "path": entry[_PATH],
        "query": _text(entry[_QUERY]) if isinstance(entry[_QUERY], bytes) else entry[_QUERY],
        "operation": entry[_OPERATION],
        "fault": entry[_FAULT],
        "request": {
            "headers": _headers(entry[_HEADERS]),
            "body": _text(body) if body else None,
            "json": _request_json(entry),
            "truncated": body_truncated,
        },
        "response": {
            "status": entry[_STATUS],
            "body": response_body,
            "truncated": response_truncated,
        },
    }
