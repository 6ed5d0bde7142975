"""Path patterns for journal filters and fault rules, compiled once per filter or rule.

A pattern is one of:

* a literal path: ``/admin/payments`` matches that path exactly (case-sensitive, no
  trailing-slash folding: ``/admin/payments/`` is another path);
* a route template: ``/admin/payments/{id}/refund``; ``{name}`` is a whole segment and
  matches any one non-empty segment;
* a glob: ``*`` matches any characters *within one segment* (never a ``/``, possibly none),
  so ``/admin/payments/*/refund`` is the template above and ``/admin/payments/pay_*``
  matches ids by prefix; ``**`` as a whole segment matches any number of whole segments,
  none included (``/admin/**`` matches ``/admin`` and everything under it).

A ``*`` stays inside a segment (not fnmatch's ``*``, which crosses ``/``) so that
``/admin/payments/*`` does not also match every deeper route; ``**`` says so when that is
wanted, as in Ant, gitignore and WireMock users' habits.

Matching never backtracks exponentially: a pattern is split into segments once; a segment
glob is matched by finding its literal pieces left to right (``str.find``, greedy leftmost,
which is exact for ``*``-only globs), and ``**`` segments by the classic "restart after the
last star" scan. Worst case O(len(path) x stars), linear in the path for a pattern whose
length is bounded by ``MAX_PATTERN``.
"""

from __future__ import annotations

import re
from typing import Any

MAX_PATTERN = 1024
_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_-]*\}")

# Segment kinds
_LITERAL, _ONE, _GLOB, _ANY_DEPTH = range(4)


class PatternError(ValueError):
    """A pattern that cannot be compiled; the message says why."""


class PathPattern:
    """A compiled pattern; ``pattern.matches(path)`` → bool."""

    __slots__ = ("source", "kind", "_literal", "_segments", "_has_any_depth", "_regex")

    def __init__(self, source: str) -> None:
        if not isinstance(source, str):
            raise PatternError("a path pattern must be a string")
        if len(source) > MAX_PATTERN:
            raise PatternError(f"a path pattern is at most {MAX_PATTERN} characters")
        if not source.startswith("/"):
            raise PatternError("a path pattern starts with '/'")
        self.source = source
        if "*" not in source and "{" not in source and "}" not in source:
            self.kind = "literal"
            self._literal: str | None = source
            self._segments: tuple[tuple[int, Any], ...] = ()
            self._has_any_depth = False
            self._regex = None
            return
        self._literal = None
        segments: list[tuple[int, Any]] = []
        templated = False
        for segment in source.split("/"):
            if segment == "**":
                segments.append((_ANY_DEPTH, None))
            elif "**" in segment:
                raise PatternError("'**' must be a whole path segment (as in /admin/**)")
            elif "{" in segment or "}" in segment:
                if not _PLACEHOLDER.fullmatch(segment):
                    raise PatternError(
                        f"a template placeholder is a whole segment such as {{id}}, not {segment!r}"
                    )
                segments.append((_ONE, None))
                templated = True
            elif segment == "*":
                segments.append((_GLOB, ("", "")))  # any one segment, the empty one included
            elif "*" in segment:
                segments.append((_GLOB, tuple(segment.split("*"))))
            else:
                segments.append((_LITERAL, segment))
        self._segments = tuple(segments)
        self._has_any_depth = any(kind == _ANY_DEPTH for kind, _ in segments)
        self._regex = _segment_regex(self._segments)
        self.kind = "template" if templated and "*" not in source else "glob"

    def __repr__(self) -> str:
        return f"PathPattern({self.source!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PathPattern) and other.source == self.source

    def __hash__(self) -> int:
        return hash(self.source)

    def matches(self, path: str) -> bool:
        if self._literal is not None:
            return path == self._literal
        if self._regex is not None:
            return self._regex(path) is not None
        parts = path.split("/")
        segments = self._segments
        if not self._has_any_depth:
            if len(parts) != len(segments):
                return False
            for (kind, value), part in zip(segments, parts, strict=True):
                if not _segment_matches(kind, value, part):
                    return False
            return True
        return _match_any_depth(segments, parts)


def _segment_regex(segments):
    """For a pattern of literal segments, ``{name}`` and lone ``*`` only: one regular
    expression (C speed). Each wildcard is ``[^/]+`` or ``[^/]*`` between literal ``/``
    that it cannot match, so the engine never has a choice to backtrack over."""
    parts = []
    for kind, value in segments:
        if kind == _LITERAL:
            parts.append(re.escape(value))
        elif kind == _ONE:
            parts.append("[^/]+")
        elif kind == _GLOB and value == ("", ""):
            parts.append("[^/]*")
        else:
            return None
    return re.compile("/".join(parts)).fullmatch


def compile_pattern(source: str) -> PathPattern:
    return PathPattern(source)


def _segment_matches(kind: int, value, part: str) -> bool:
    if kind == _LITERAL:
        return part == value
    if kind == _ONE:
        return part != ""
    return _glob_matches(value, part)


def _glob_matches(pieces: tuple[str, ...], text: str) -> bool:
    """``pieces`` is a segment glob split on ``*`` (at least two pieces). The first piece
    is a prefix, the last a suffix, the middle ones found in order, leftmost first."""
    first, last = pieces[0], pieces[-1]
    if len(text) < len(first) + len(last) or not text.startswith(first) or not text.endswith(last):
        return False
    position, end = len(first), len(text) - len(last)
    for piece in pieces[1:-1]:
        if not piece:
            continue
        found = text.find(piece, position, end)
        if found < 0:
            return False
        position = found + len(piece)
    return True


def _match_any_depth(segments, parts: list[str]) -> bool:
    """Segments with ``**`` against path segments: the wildcard-matching scan with one
    restart point (the last ``**`` seen), each step a segment match."""
    s = p = 0
    star = -1
    star_part = 0
    while p < len(parts):
        if (
            s < len(segments)
            and segments[s][0] != _ANY_DEPTH
            and _segment_matches(segments[s][0], segments[s][1], parts[p])
        ):
            s += 1
            p += 1
        elif s < len(segments) and segments[s][0] == _ANY_DEPTH:
            star, star_part = s, p
            s += 1
        elif star >= 0:
            star_part += 1
            p = star_part
            s = star + 1
        else:
            return False
    while s < len(segments) and segments[s][0] == _ANY_DEPTH:
        s += 1
    return s == len(segments)
