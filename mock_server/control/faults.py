"""Fault rules (answer an error, delay, drop the connection), Prism's ``Prefer: code=`` and
the ``--latency`` setting: the data and the decisions, no HTTP.

A rule: ``{"method", "path", "times", "status", "body", "delay_ms", "drop", "when"}``.

* ``method`` (upper case, as HTTP sends it; ``null`` or absent: any) and ``path`` (a
  literal, glob or template, see ``paths.py``; ``null`` or absent: any path) select the
  requests;
* ``times``: how many requests it fires on (absent or ``null``: until removed). A rule whose
  ``times`` are used up stays listed, with its ``fired`` count, but no longer fires;
* ``status`` (200-599) answers that status; the body is ``body`` when given (any JSON
  value), else Medusa's own error envelope for the status (``error_body``), else (a status
  below 400) an empty body. Informational statuses (1xx) are refused: they are not a final
  answer and an ASGI server cannot send one as such;
* ``delay_ms`` (0-60000) waits before answering (with ``status``: before the fault answer;
  alone: before the normal answer; with ``drop``: before dropping);
* ``drop: true`` closes the connection without any answer (excludes ``status``/``body``);
* ``when``: ``"before"`` (default) fires before the request is applied, so state is left as
  it was; ``"after"`` applies the request and then replaces its answer (the refund is
  stored, the client sees the fault), whatever the handler answered.

At least one of ``status``, ``delay_ms`` or ``drop: true`` is required. Rules are tried in
the order they were added; the first live one whose method and path match fires. Counting is
atomic (a lock around check-and-increment), so ``times: 2`` fires exactly twice however many
threads or tasks ask.
"""

from __future__ import annotations

import itertools
import random
import re
import threading
from typing import Any

import msgspec

from ..backend import errors
from .paths import PathPattern, PatternError

MAX_RULES = 256
MAX_DELAY_MS = 60_000
MAX_TIMES = 1_000_000_000
MAX_BODY_DEPTH = 32
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
WHEN = ("before", "after")
RULE_KEYS = ("method", "path", "times", "status", "body", "delay_ms", "drop", "when")


class RuleError(ValueError):
    """A rule (or a query to the control API) that is not valid; ``problems`` lists why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class FaultRule(msgspec.Struct):
    id: str
    method: str | None = None
    path: PathPattern | None = None
    times: int | None = None
    status: int | None = None
    body: Any = None
    has_body: bool = False
    delay_ms: int = 0
    drop: bool = False
    when: str = "before"
    fired: int = 0

    @property
    def delay(self) -> float:
        """The delay in seconds, for ``asyncio.sleep``."""
        return self.delay_ms / 1000

    @property
    def live(self) -> bool:
        return self.times is None or self.fired < self.times

    def answer_body(self) -> Any:
        """The JSON value to answer with (``None``: an empty body). Only for a ``status``."""
        if self.has_body:
            return self.body
        return error_body(self.status) if self.status is not None else None

    def to_json(self) -> dict:
        out: dict[str, Any] = {
            "id": self.id,
            "method": self.method,
            "path": self.path.source if self.path else None,
            "times": self.times,
            "when": self.when,
        }
        if self.status is not None:
            out["status"] = self.status
        if self.has_body:
            out["body"] = self.body
        if self.delay_ms:
            out["delay_ms"] = self.delay_ms
        if self.drop:
            out["drop"] = True
        out["fired"] = self.fired
        out["live"] = self.live
        return out


class Faults:
    """The rules of one mock, in the order they were added."""

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def __len__(self) -> int:
        return len(self._rules)

    def __bool__(self) -> bool:
        return True

    def add(self, data: Any) -> FaultRule:
        """Validate a posted rule (``RuleError`` if it is not valid; nothing added) and add it."""
        rule = parse_rule(data)
        with self._lock:
            if len(self._rules) >= MAX_RULES:
                raise RuleError([f"at most {MAX_RULES} fault rules at a time; remove some first"])
            rule.id = f"fault_{next(self._ids)}"
            self._rules.append(rule)
        return rule

    def list(self) -> list[FaultRule]:
        return list(self._rules)

    def get(self, rule_id: str) -> FaultRule | None:
        return next((r for r in self._rules if r.id == rule_id), None)

    def remove(self, rule_id: str) -> FaultRule | None:
        with self._lock:
            for i, rule in enumerate(self._rules):
                if rule.id == rule_id:
                    return self._rules.pop(i)
        return None

    def clear(self) -> int:
        with self._lock:
            count = len(self._rules)
            self._rules = []
        return count

    def match(self, method: str, path: str, when: str = "before") -> FaultRule | None:
        """The first live rule for this request at this point (``when``), counted as fired;
        None (at the cost of one list check) when there are no rules."""
        if not self._rules:
            return None
        with self._lock:
            for rule in self._rules:
                if rule.when != when or (rule.times is not None and rule.fired >= rule.times):
                    continue
                if rule.method is not None and rule.method != method:
                    continue
                if rule.path is not None and not rule.path.matches(path):
                    continue
                rule.fired += 1
                return rule
        return None


def parse_rule(data: Any) -> FaultRule:
    """A ``FaultRule`` (id not yet set) from a posted JSON document, or ``RuleError``
    naming every problem."""
    if not isinstance(data, dict):
        raise RuleError(["a fault rule is a JSON object"])
    problems = []
    unknown = [k for k in data if k not in RULE_KEYS]
    if unknown:
        problems.append(f"unknown key(s): {', '.join(map(str, unknown))} (known: {', '.join(RULE_KEYS)})")
    rule = FaultRule(id="")

    method = data.get("method")
    if method is not None:
        if method not in METHODS:
            problems.append(f"method must be one of {', '.join(METHODS)} or null")
        else:
            rule.method = method
    path = data.get("path")
    if path is not None:
        try:
            rule.path = PathPattern(path)
        except PatternError as exc:
            problems.append(f"path: {exc}")
    times = data.get("times")
    if times is not None:
        times = as_int(times)
        if times is None or not 1 <= times <= MAX_TIMES:
            problems.append(f"times must be an integer from 1 to {MAX_TIMES} (or null: until removed)")
        else:
            rule.times = times
    status = as_int(data.get("status"))
    if "status" in data:
        if status is None or not 200 <= status <= 599:
            problems.append("status must be an integer from 200 to 599")
        else:
            rule.status = status
    if "body" in data:
        rule.body, rule.has_body = data["body"], True
        if "status" not in data:
            problems.append("body needs a status")
        elif rule.status in (204, 304):
            problems.append(f"a {rule.status} answer has no body")
        elif json_depth(rule.body) > MAX_BODY_DEPTH:
            problems.append(f"body is nested more than {MAX_BODY_DEPTH} levels deep")
    delay = as_int(data.get("delay_ms"))
    if "delay_ms" in data:
        if delay is None or not 0 <= delay <= MAX_DELAY_MS:
            problems.append(f"delay_ms must be an integer from 0 to {MAX_DELAY_MS}")
        else:
            rule.delay_ms = delay
    drop = data.get("drop")
    if "drop" in data:
        if not isinstance(drop, bool):
            problems.append("drop must be true or false")
        else:
            rule.drop = drop
            if drop and ("status" in data or "body" in data):
                problems.append("drop sends no answer, so it takes no status or body")
    when = data.get("when", "before")
    if when not in WHEN:
        problems.append('when must be "before" or "after"')
    else:
        rule.when = when
    if "status" not in data and "delay_ms" not in data and drop is not True:
        problems.append("a fault rule needs at least one of status, delay_ms or drop: true")
    if problems:
        raise RuleError(problems)
    return rule


def as_int(value: Any) -> int | None:
    """A JSON integer as JSON Schema counts them (``5`` and ``5.0``, never ``true``), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def json_depth(value: Any) -> int:
    """Nesting depth of a JSON value, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if depth > MAX_BODY_DEPTH:
                return depth
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


# Medusa's envelope for a status. The error handler's table lives in errors.py; these are
# the type chosen for each status Medusa's errors use, with a message for the types whose
# message Medusa words per case (a fault has no case, so the message is generic).
_TYPE_FOR_STATUS = {
    400: (errors.INVALID_DATA, "Invalid request"),
    403: (errors.FORBIDDEN, "Forbidden"),
    404: (errors.NOT_FOUND, "Not found"),
    409: (errors.CONFLICT, ""),  # Medusa replaces the message
    422: (errors.PAYMENT_AUTHORIZATION_ERROR, "Payment authorization failed"),
    500: (errors.UNKNOWN_ERROR, ""),  # Medusa's unknown_error envelope
}
# Express's body-parser limit error, as Medusa answers it (413).
_TOO_LARGE = {"message": "request entity too large", "type": "unknown_error"}


def error_body(status: int) -> dict | None:
    """The body Medusa sends with ``status``: 401 the auth middleware's ``{"message":
    "Unauthorized"}``; 400, 403, 404, 409, 422 and 500 its error handler's envelope for
    invalid_data, forbidden, not_found, conflict, payment_authorization_error and
    unknown_error; 413 body-parser's. Any other status of 400 or more, which Medusa never
    sends, gets the envelope of an error Medusa does not classify (``unknown_error``, "An
    unknown error occurred.") with that status. Below 400: None (an empty body)."""
    if status < 400:
        return None
    if status == 401:
        return dict(errors.UNAUTHORIZED_BODY)
    if status == 413:
        return dict(_TOO_LARGE)
    type_, message = _TYPE_FOR_STATUS.get(status, (errors.UNKNOWN_ERROR, ""))
    return errors.status_and_body(type_, message)[1]


# Prism's Prefer header: "Prefer: code=404", "Prefer: code=404, example=not-found",
# "Prefer: dynamic=true; code=500". RFC 7240 says to ignore a preference one does not
# understand, so a malformed or out-of-range code is ignored (the request is served).
_PREFER_CODE = re.compile(r'(?:^|[,;])\s*code\s*=\s*"?(\d{3})"?\s*(?=$|[,;])', re.IGNORECASE)


def prefer_code(value: str | None) -> int | None:
    """The status a ``Prefer`` header asks for (100-599), or None."""
    if not value or len(value) > 1024:
        return None
    match = _PREFER_CODE.search(value)
    if match is None:
        return None
    code = int(match[1])
    return code if 100 <= code <= 599 else None


class Latency:
    """``--latency``: a delay for every Medusa answer, fixed or uniform in [low, high] ms.
    Calling it gives seconds for ``asyncio.sleep``; it is false when it never delays."""

    def __init__(self, low_ms: int, high_ms: int | None = None) -> None:
        self.low_ms = low_ms
        self.high_ms = low_ms if high_ms is None else high_ms

    def __call__(self) -> float:
        if self.low_ms == self.high_ms:
            return self.low_ms / 1000
        return random.randint(self.low_ms, self.high_ms) / 1000

    def __bool__(self) -> bool:
        return self.high_ms > 0

    def __repr__(self) -> str:
        return f"Latency({self.low_ms}, {self.high_ms})"


def parse_latency(text: str) -> Latency:
    """``"250"`` (milliseconds) or ``"100-500"`` (a range); ``ValueError`` with the reason."""
    match = re.fullmatch(r"\s*(\d{1,6})\s*(?:-\s*(\d{1,6})\s*)?", text or "")
    if match is None:
        raise ValueError(f"latency is milliseconds (250) or a range (100-500), not {text!r}")
    low = int(match[1])
    high = int(match[2]) if match[2] is not None else low
    if low > high:
        raise ValueError(f"latency range {low}-{high}: the first figure is the smaller")
    if high > MAX_DELAY_MS:
        raise ValueError(f"latency is at most {MAX_DELAY_MS} ms")
    return Latency(low, high)
