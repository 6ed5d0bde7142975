"""CORS as Medusa configures it: separate origin lists for ``/admin`` and ``/auth``,
credentials allowed, the origin echoed only when listed (docs/medusa-behaviour.md §14)."""

from __future__ import annotations

import re
from typing import Sequence

from .router import under

DEFAULT_ORIGINS = ("http://localhost:5173", "http://localhost:9000", "https://docs.medusajs.com")
ALLOWED_METHODS = "GET,HEAD,PUT,PATCH,POST,DELETE"


def parse_origins(value: str | None) -> tuple[str, ...]:
    if value is None:
        return DEFAULT_ORIGINS
    entries = (o.strip() for o in value.split(","))
    return tuple(e if _as_regex(e) else e.rstrip("/") for e in entries if e)


# Medusa's buildRegexpIfValid: an entry like /^http:\/\/localhost:\d+$/i (or delimited by
# ~ @ ; % # ') is a regular expression, tested (unanchored) against the Origin header.
_REGEX_ENTRY = re.compile(r"^([/~@;%#'])(.*?)\1([gimsuy]*)$")
_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL}  # g, y, u: no effect here


def _as_regex(entry: str) -> re.Pattern | None:
    match = _REGEX_ENTRY.match(entry)
    if match is None or len(set(match[3])) != len(match[3]):  # a repeated flag: not a RegExp
        return None
    flags = 0
    for flag in match[3]:
        flags |= _FLAGS.get(flag, 0)
    try:
        return re.compile(match[2], flags)
    except re.error:
        return None


class Origins:
    """One CORS list: exact origins, plus Medusa-style regular-expression entries."""

    def __init__(self, entries: tuple[str, ...]) -> None:
        patterns = {entry: _as_regex(entry) for entry in entries}
        self.exact = frozenset(e for e, p in patterns.items() if p is None)
        self.patterns = tuple(p for p in patterns.values() if p is not None)

    def __contains__(self, origin: object) -> bool:
        if not isinstance(origin, str):
            return False
        return origin in self.exact or any(p.search(origin) for p in self.patterns)


# What every answer under a CORS path carries; an allowed Origin is echoed before it.
_NOT_ALLOWED = (("Vary", "Origin"), ("Access-Control-Allow-Credentials", "true"))


class Cors:
    def __init__(self, admin: tuple[str, ...], auth: tuple[str, ...]) -> None:
        self.admin, self.auth = Origins(admin), Origins(auth)

    def origins_for(self, path: str) -> Origins | None:
        """The origins of the CORS middleware Medusa mounts on ``/admin`` or ``/auth``
        (``app.use``: that prefix or below it, letter case aside)."""
        if under(path, "/admin"):
            return self.admin
        if under(path, "/auth"):
            return self.auth
        return None

    @staticmethod
    def headers(origins: Origins, origin: str | None) -> Sequence[tuple[str, str]]:
        if origin is None or origin not in origins:
            return _NOT_ALLOWED
        return (("Access-Control-Allow-Origin", origin), *_NOT_ALLOWED)

    @staticmethod
    def preflight(origins: Origins, origin: str | None, request_headers: str | None) -> list[tuple[str, str]]:
        allowed = (
            [("Access-Control-Allow-Origin", origin)] if origin is not None and origin in origins else []
        )
        out = [
            *allowed,
            ("Vary", "Origin, Access-Control-Request-Headers"),
            ("Access-Control-Allow-Credentials", "true"),
            ("Access-Control-Allow-Methods", ALLOWED_METHODS),
        ]
        if request_headers:
            out.append(("Access-Control-Allow-Headers", request_headers))
        return out
