"""Caches of work that depends only on its key, owned by one ``Mock`` (never module
globals) and bounded: each starts afresh when full."""

from __future__ import annotations

import time
import weakref

from starlette.requests import Request

from ..backend.fields import check as check_fields
from .auth import Actor, Secrets
from .contract import Operation
from .parsing import normalize_query, parse_query


class BearerCache:
    """``authenticate`` for a bearer token (no session cookie) depends on nothing but the
    token, the JWT secret and the clock: a token it accepted stays accepted, with the same
    actor, until its ``exp`` (PyJWT: valid while now < exp; ``iat``/``nbf`` only ever become
    valid). So the HS256 check (~20 us, the largest single cost of a request) runs once per
    token, not once per request. Only user actors from a bearer token are kept; at most
    ``SIZE`` tokens, so memory stays bounded."""

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
            or not isinstance(actor.id, str)
            or not actor.id  # accepted on /auth/session only: not an admin actor
            or actor.session_id is not None
            or not actor.claims
        ):
            return
        try:
            expires = int(actor.claims["exp"])
        except (KeyError, TypeError, ValueError, OverflowError):
            return
        if len(self.entries) >= self.SIZE:
            self.entries.clear()
        self.entries[authorization] = (secrets_, actor, expires)


class QueryCache:
    """The decoded and coerced query of an operation by its raw query string: ``qs``
    decoding costs a few microseconds and clients repeat the same few queries. Starlette's
    ``request.url.query`` is a function of the raw bytes alone (path and host are escaped
    or checked before the split), so the cache is exact; each caller gets its own copy of
    the top level (``coerce_query`` and handlers may change it). At most ``SIZE`` entries."""

    SIZE = 512

    def __init__(self) -> None:
        self.entries: dict[tuple[int, bytes], list] = {}  # [op, query, known valid]

    def get(self, op: Operation, scope) -> dict:
        """The query, checked against the operation's schema and ``fields`` against its
        limits (``MedusaError`` if not valid: the check is a function of the coerced query
        alone, so a query that passed once passes again and is not checked again)."""
        if not op.query_validated:
            return {}  # Medusa's route reads no query: whatever it holds is ignored
        key = (id(op), scope.get("query_string", b""))
        entry = self.entries.get(key)
        if entry is not None and entry[0] is op:
            query = dict(entry[1])
            if not entry[2]:
                check(op, query)
            return query
        query = op.coerce_query(normalize_query(parse_query(Request(scope).url.query)))
        if len(self.entries) >= self.SIZE:
            self.entries.clear()
        self.entries[key] = entry = [op, dict(query), False]
        check(op, query)
        entry[2] = True  # checked and valid
        return query


def check(op: Operation, query: dict) -> None:
    """The query against the operation's schema, then ``fields`` against its size limits
    (before the handler: a refused ``fields`` leaves nothing written)."""
    op.query.check(query)
    check_fields(query.get("fields"))


class Answers:
    """Medusa's encoded 200 answers to reads (GET, and HEAD, its GET without the body), by
    namespace state, operation, raw path and raw query: a read is a function of these
    alone (after auth and validation, which still run every time), so the same list or
    payment asked for again skips its projection, JSON encoding and ETag.

    Kept per ``Store`` (weakly: a store replaced by a load or reset, or a dropped
    namespace's, takes its answers with it) and forgotten whole by ``forget`` before any
    other request reaches a handler (every request that may write, a login included), so
    an answer is never older than the state it shows. Bounded per store: ``SIZE``
    answers of at most ``BODY`` bytes each."""

    SIZE = 32
    BODY = 16 * 1024

    def __init__(self) -> None:
        # id(store) -> (a weak reference to it, its answers); the entry goes with the store
        self.by_store: dict[int, tuple[weakref.ref, dict]] = {}

    def _answers(self, store) -> dict | None:
        entry = self.by_store.get(id(store))
        return entry[1] if entry is not None and entry[0]() is store else None

    def get(self, store, key: tuple) -> tuple[bytes, bytes] | None:
        """(body, ETag) remembered for ``key`` in ``store``'s current state, or None."""
        answers = self._answers(store)
        return None if answers is None else answers.get(key)

    def put(self, store, key: tuple, body: bytes, etag: bytes) -> None:
        if len(body) > self.BODY:
            return
        answers = self._answers(store)
        if answers is None:
            number, by_store = id(store), self.by_store
            gone = lambda _ref: by_store.pop(number, None)  # noqa: E731
            answers = {}
            by_store[number] = (weakref.ref(store, gone), answers)
        elif len(answers) >= self.SIZE:
            answers.clear()
        answers[key] = (body, etag)

    def forget(self, store) -> None:
        answers = self._answers(store)
        if answers:
            answers.clear()
