"""The request journal: what the mock was asked and what it answered, newest last, bounded.

``Journal(size)`` keeps the last ``size`` requests in a ring (``collections.deque`` with
``maxlen``); ``size=0`` turns it off (``record`` returns at once). ``record`` runs on every
Medusa request, so it stores what it is given nearly as it is (the raw ASGI headers
packed into one bytes object, ``name: value`` lines, by two C-level joins; the body bytes,
a float time) in one tuple; redaction, decoding, JSON parsing and ISO timestamps are
done only when somebody reads the journal. Bodies longer than ``body_limit`` bytes are
cut to that many on record (and flagged ``truncated``), so memory stays flat: at most
``size`` entries of at most two ``body_limit`` bodies plus the headers the server accepted.

Sequence numbers start at 1 and keep counting across ``clear()``, so ``since`` (entries
with a *greater* sequence number) stays meaningful for a test that noted the last one.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable

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

# Entry tuple layout (a tuple, not an object: one allocation per request).
(
    _SEQ,
    _TIME,
    _METHOD,
    _PATH,
    _QUERY,
    _OPERATION,
    _HEADERS,
    _BODY,
    _BODY_LEN,
    _STATUS,
    _RESPONSE,
    _RESPONSE_LEN,
    _DURATION,
    _FAULT,
) = range(14)


@dataclass(frozen=True)
class Filters:
    """What a query or a verification selects. ``path`` is compiled once; ``body`` is a
    JSON value the request's JSON body must contain (objects: every key given, recursively;
    anything else: equal, numbers by value, never ``true`` for ``1``)."""

    method: str | None = None
    path: PathPattern | None = None
    operation: str | None = None
    status: int | str | None = None  # 404, or a class such as "4xx"
    since: int | None = None
    body: Any = field(default=None)
    has_body: bool = False

    def criteria(self) -> list[str]:
        names = [n for n in ("method", "path", "operation", "status") if getattr(self, n) is not None]
        if self.has_body:
            names.append("body")
        return names


@dataclass
class Verification:
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
        # the newest entry's path and query, and the last few header sets (as given, and
        # packed), shared by the next entries that are equal
        self._path, self._query = "", b""
        self._recent: list[tuple[tuple[tuple[bytes, bytes], ...], bytes]] = []

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
        ``scope["headers"]`` list, kept as one bytes object: an entry then holds only
        immutable values, which the garbage collector stops tracking at its first look,
        and a few objects rather than three per header (an entry with the list's tuples
        took about 2 KB; a hundred namespaces keep a thousand each). A request whose path or
        query equals the previous entry's, or whose headers equal one of the last
        ``RECENT_HEADERS`` sets (a test suite's client repeating its headers and their
        bearer token of 300 bytes), shares those objects, and its headers are compared, not
        packed again: an entry of a repeated refund holds about 400 bytes instead of 1.2 KB,
        and ``record`` takes half the time. ``duration`` in seconds."""
        if not self.size:
            return
        limit = self.body_limit
        body_len = len(body)
        if body_len > limit:
            body = body[:limit]
        response_len = len(response)
        if response_len > limit:
            response = response[:limit]
        given = tuple(headers)  # a copy: nobody's later change to the list can fool the test
        recent = self._recent
        # a client repeating itself: its headers packed and held once (``packed`` is the
        # set found, read after the loop)
        for known, packed in recent:  # noqa: B007
            if known == given:
                break
        else:
            packed = b"\r\n".join(map(b": ".join, given))
            recent.insert(0, (given, packed))
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
                packed,
                body,
                body_len,
                status,
                response,
                response_len,
                duration,
                fault,
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
        filters = filters or make_filters(**kwargs)
        matched = [e for e in reversed(self._snapshot()) if _unmatched(e, filters) == []]
        count = len(matched)
        if limit is not None:
            matched = matched[:limit]
        return [render(e) for e in matched], count

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
        for entry in reversed(self._snapshot()):
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
            misses.sort(key=lambda m: (-m[0], m[1]))
            for score, _, entry, unmatched in misses[:NEAR_MISSES]:
                near.append(
                    {
                        "matched": score,
                        "of": len(criteria),
                        "differences": {name: _difference(name, filters, entry) for name in unmatched},
                        "request": render(entry),
                    }
                )
        return Verification(ok, count, expected, near)


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
    if not body or entry[_BODY_LEN] > len(body):
        return default
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return default


def _headers(packed: bytes) -> dict[str, str]:
    """The request headers of an entry (``name: value`` lines; a name has no colon)."""
    out: dict[str, str] = {}
    for line in packed.split(b"\r\n") if packed else ():
        name, _, value = line.partition(b": ")
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
    body_truncated = entry[_BODY_LEN] > len(body)
    response_truncated = entry[_RESPONSE_LEN] > len(response)
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
