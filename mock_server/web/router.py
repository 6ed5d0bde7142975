"""The Medusa routes' router: a pure function from a path to the route it names.

The one place route precedence is written, as Express's router applies it to the routes
Medusa registers (docs/medusa-behaviour.md §8.4):

1. a path with no parameter wins over one with a parameter, so
   ``/admin/payments/payment-providers`` is never the payment ``{id}`` ``payment-providers``;
2. among templates with the same number of parameters, the order is alphabetical (stable:
   the answer never depends on the order of the spec's ``paths``);
3. one trailing slash is accepted (Express's non-strict routing): ``/admin/payments/`` is
   ``/admin/payments``; two are not;
4. letter case does not matter (Express's routes are case-insensitive): ``/ADMIN/Payments``
   is ``/admin/payments``;
5. paths are matched as they came, percent-encoded (Express matches the raw path): a
   parameter is one non-empty segment of it, so ``%2F`` never splits one, and
   ``/admin/payment%73`` is not ``/admin/payments``. ``decode_params`` then decodes the
   parameters as ``decodeURIComponent`` does (``ParamError`` where it would throw).

No HTTP in here: ``Router(targets).match(raw_path)`` returns the target registered for the
template and the still-encoded parameters, or None.
"""

from __future__ import annotations

import re
from typing import Generic, Iterable, TypeVar
from urllib.parse import unquote_to_bytes

T = TypeVar("T")

_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def template_regex(template: str) -> re.Pattern[str]:
    """``/admin/payments/{id}/refund`` → ``^/admin/payments/(?P<id>[^/]+)/refund/?``, to be
    matched whole and without regard to case."""
    pattern, position = "^", 0
    for param in _PARAM.finditer(template):
        pattern += re.escape(template[position : param.start()]) + f"(?P<{param[1]}>[^/]+)"
        position = param.end()
    return re.compile(pattern + re.escape(template[position:]) + "/?", re.IGNORECASE)


def precedence(template: str) -> tuple[int, str]:
    """The sort key of rules 1 and 2: fewer parameters first, then alphabetical."""
    return (template.count("{"), template)


class Router(Generic[T]):
    """Built once from ``{template: target}``; ``match`` is a dict lookup for a fixed path
    and a scan of the templated ones (a handful) in precedence order, remembered for the
    last ``MEMO`` paths (clients repeat the same few; the parameters are never changed)."""

    MEMO = 512

    def __init__(self, targets: dict[str, T]) -> None:
        self.memo: dict[str, tuple[str, T, dict[str, str]] | None] = {}
        self.fixed: dict[str, tuple[str, T]] = {}
        self.templated: list[tuple[re.Pattern[str], str, T]] = []
        for template in sorted(targets, key=precedence):
            target = targets[template]
            if "{" in template:
                self.templated.append((template_regex(template), template, target))
            else:
                for path in (template, template + "/"):
                    self.fixed.setdefault(path.lower(), (template, target))

    @property
    def templates(self) -> Iterable[str]:
        return [t for t, _ in dict.fromkeys(self.fixed.values())] + [t for _, t, _ in self.templated]

    def match(self, path: str) -> tuple[str, T, dict[str, str]] | None:
        """The template, its target and the (percent-encoded) path parameters, or None."""
        try:
            return self.memo[path]
        except KeyError:
            pass
        if len(self.memo) >= self.MEMO:
            self.memo.clear()
        found = self.memo[path] = self._match(path)
        return found

    def _match(self, path: str) -> tuple[str, T, dict[str, str]] | None:
        found = self.fixed.get(path.lower())
        if found is not None:
            return found[0], found[1], {}
        for regex, template, target in self.templated:
            m = regex.fullmatch(path)
            if m is not None:
                return template, target, m.groupdict()
        return None


class ParamError(ValueError):
    """A path parameter ``decodeURIComponent`` refuses (a URIError in Express: Medusa's 500)."""


_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_ESCAPES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


def decode_uri_component(text: str) -> str | None:
    """JavaScript's ``decodeURIComponent``, or None where it throws (a ``%`` not followed by
    two hex digits, escapes that are not UTF-8)."""
    if "%" not in text:
        return text
    if _BAD_ESCAPE.search(text):
        return None
    try:  # each run of escapes is UTF-8; other characters stay as they are
        return _ESCAPES.sub(lambda run: unquote_to_bytes(run.group()).decode("utf-8"), text)
    except UnicodeDecodeError:
        return None


def decode_params(params: dict[str, str]) -> dict[str, str]:
    """Each parameter as ``decodeURIComponent`` gives it (``ParamError`` where it throws)."""
    out = {}
    for name, value in params.items():
        if "%" in value:  # nothing to decode otherwise
            decoded = decode_uri_component(value)
            if decoded is None:
                raise ParamError(f"Failed to decode param '{value}'")
            value = decoded
        out[name] = value
    return out


def under(path: str, prefix: str) -> bool:
    """``path`` is ``prefix`` or below it, letter case aside (Express's ``app.use(prefix)``)."""
    head = path[: len(prefix)]
    return head.lower() == prefix and (len(path) == len(prefix) or path[len(prefix)] == "/")
