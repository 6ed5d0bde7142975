"""Every message Medusa (and Node under it) words, in one place: the business rules'
messages, Zod's validation wording as Medusa joins it, and Node 20's ``JSON.parse`` errors
as body-parser passes them on. No HTTP here; callers raise or answer with these strings.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any, Iterable

from .errors import UNKNOWN_ERROR, MedusaError

if TYPE_CHECKING:  # imported when first needed (web/contract.py: python_validators)
    from jsonschema.exceptions import ValidationError

MAX_ISSUES = 3  # Medusa reports at most the first three validation issues

# ---- the business rules --------------------------------------------------------------------

OVER_REFUND_WITH_AMOUNT = "You are not allowed to refund more than the captured amount"
OVER_REFUND = "You cannot refund more than what is captured on the payment."
OVER_CAPTURE = "You cannot capture more than the authorized amount substracted by what is already captured."


def refund_payment_not_found(payment_id: str) -> str:
    return f"Payment id not found: {payment_id}"


def refund_order_link_not_found(collection_id: str) -> str:
    return f"LinkOrderPaymentCollection payment_collection_id not found: {collection_id}"


EMPTY_REFUND_REASON_ID = "empty refund_reason_id"
NUL_IN_TEXT = "a NUL character in a text column"


def provider_not_allowed(actor_type: str, provider: str) -> str:
    return f"The actor type {actor_type} is not allowed to use the auth provider {provider}"


def refund_reason_id_not_found(reason_id: str) -> str:
    return f"RefundReason id not found: {reason_id}"


def capture_payment_not_found(payment_id: str) -> str:
    return f"Payment with id: {payment_id} was not found"


def payment_canceled(payment_id: str) -> str:
    return f"The payment: {payment_id} has been canceled."


def refund_reason_not_found(reason_id: str) -> str:
    """The update's 404: Medusa's internal service names the missing key with every ``:``
    as `` - `` (its composite keys' separator; observed: ``a:b`` → ``"a - b"``)."""
    return f'RefundReason with id "{reason_id.replace(":", " - ")}" not found'


# The emailpass provider's 401s, in the order it checks.
PASSWORD_NOT_STRING = "Password should be a string"
EMAIL_NOT_STRING = "Email should be a string"
INVALID_CREDENTIALS = "Invalid email or password"


# ---- the mock's own limits (Medusa has none; worded as its validation issues) --------------


def fields_too_many(entries: int, limit: int) -> str:
    return f"Field 'fields' has {entries} entries, more than the {limit} the mock accepts"


def pattern_too_costly(length: int, text: int, limit: int) -> str:
    return (
        f"A pattern piece of {length} characters with '_' in it, matched against a text of "
        f"{text} characters, is more than the {limit} comparisons the mock makes"
    )


def fields_too_deep(depth: int, limit: int) -> str:
    return f"Field 'fields' has a path {depth} levels deep, more than the {limit} the mock accepts"


# ---- validation (Zod's wording, as Medusa joins it) ----------------------------------------


def invalid_request(issues: list[str]) -> str:
    """The message of Medusa's 400 for a body or query that fails validation."""
    return "Invalid request: " + "; ".join(issues[:MAX_ISSUES])


# The first integer past JavaScript's safe ones (Number.MAX_SAFE_INTEGER + 1): from it on a
# JavaScript number is a double, and Medusa leaves such a limit or offset out of its query.
SAFE_INTEGER_LIMIT = 2**53

# JavaScript's whitespace, as String.prototype.trim and parseInt skip it (WhiteSpace and
# LineTerminator): not Python's, whose str.strip and \s also take \x1c-\x1f and \x85 and
# leave out \ufeff.
JS_SPACE = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_JS_SPACE_RUNS = re.compile(f"[{JS_SPACE}]+")


def js_words(text: str, maxsplit: int = 0) -> list[str]:
    """``text.split(/\\s+/).filter(Boolean)``: the runs of non-space in ``text``, JavaScript's
    whitespace between them; with ``maxsplit``, split that many times at most (the last word
    holding the rest), as ``re.split`` does. Linear, where a regular expression searched at
    each place of the text for two words is not."""
    words = _JS_SPACE_RUNS.split(text.strip(JS_SPACE), maxsplit)
    return [word for word in words if word]


# Object.prototype's own property names, which Medusa's query parser drops from keys and
# its query builder trips over as fields.
PROTOTYPE_PROPERTIES = frozenset(
    (
        "__proto__",
        "__defineGetter__",
        "__defineSetter__",
        "__lookupGetter__",
        "__lookupSetter__",
        "constructor",
        "hasOwnProperty",
        "isPrototypeOf",
        "propertyIsEnumerable",
        "toLocaleString",
        "toString",
        "valueOf",
    )
)


def js_string(value: Any) -> str:
    """``String(value)`` in JavaScript, which Medusa puts in its validation messages."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return js_number(value)
    if isinstance(value, int) and abs(value) >= SAFE_INTEGER_LIMIT:  # JSON.parse made it a double
        return js_number(float(value))
    if isinstance(value, list):
        return _js_join(value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)


def _array_index(key: object) -> bool:
    return (
        isinstance(key, str)
        and key.isascii()
        and key.isdigit()
        and (key == "0" or key[0] != "0")
        and int(key) < 2**32 - 1
    )


def js_key_order(keys: Iterable) -> list:
    """Keys in the order a JavaScript object lists them (``JSON.parse`` and ``qs`` build
    objects): array-index keys (``"10"``, not ``"01"``) ascending, then the others in
    insertion order."""
    keys = list(keys)
    indexes = sorted((k for k in keys if _array_index(k)), key=int)
    if not indexes:
        return keys
    return indexes + [k for k in keys if not _array_index(k)]


def js_number(value: float) -> str:
    """A finite number as JavaScript's ``Number.prototype.toString`` writes it: the same
    shortest round-trip digits as Python's ``repr``, but in plain notation from 1e-6 up
    to 1e21 and ``e-8`` rather than ``e-08`` beyond (ECMA-262 Number::toString)."""
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    mantissa, _, exponent = repr(abs(value)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    whole = whole.lstrip("0")
    if whole:
        n = len(whole) + int(exponent or 0)
    else:
        n = int(exponent or 0) - (len(fraction) - len(fraction.lstrip("0")))
    digits = (whole + fraction).lstrip("0").rstrip("0") or "0"
    k = len(digits)
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * -n + digits
    else:
        e = n - 1
        text = (digits[0] + ("." + digits[1:] if k > 1 else "")) + ("e+" if e >= 0 else "e-") + str(abs(e))
    return sign + text


# How deep ``String(array)`` goes before V8's call stack runs out, its join recursing once
# for each nested array: a message that quotes a value with arrays nested deeper (a
# validation message's ``got: '...'``) throws a RangeError there, which Medusa's error
# handler answers with its 500 ``unknown_error`` (observed on 2.21.2 under Node 20: a value
# nested 3,163 levels is quoted in a 400, one of 3,164 levels is a 500, whatever the
# route, the field or the arrays' lengths; a server just started took one level more at
# times, its code not yet compiled).
JS_JOIN_DEPTH = 3163


class Cut(list):
    """An array a body holds below the levels the validator reads, standing for it
    (``whole``): empty itself, so the validator neither walks nor ``repr``s what lies
    below, while ``js_string`` writes ``whole`` out at the depth where it stands."""

    __slots__ = ("whole",)

    def __init__(self, whole: list) -> None:
        super().__init__()
        self.whole = whole


def _elements(value: list) -> list:
    return value.whole if type(value) is Cut else value


def _js_join(value: list) -> str:
    """``String(array)``: the elements' strings joined with ``,`` (null as ``""``), nested
    arrays flattened the same way; without recursion, as a body may nest 50,000 deep, and
    Medusa's 500 where V8 runs out of stack (``JS_JOIN_DEPTH``)."""
    out: list[str] = []
    stack = [iter(_elements(value))]
    first = [True]
    while stack:
        for item in stack[-1]:
            if first[-1]:
                first[-1] = False
            else:
                out.append(",")
            if isinstance(item, list):
                if len(stack) >= JS_JOIN_DEPTH:
                    raise MedusaError(UNKNOWN_ERROR, "Maximum call stack size exceeded")
                stack.append(iter(_elements(item)))
                first.append(True)
                break
            out.append("" if item is None else js_string(item))
        else:
            stack.pop()
            first.pop()
    return "".join(out)


def _field(path: Iterable[Any]) -> str:
    return ", ".join(str(p) for p in path)  # Medusa joins Zod's path with ", "


# Medusa words Zod's issues in ``formatError`` (@medusajs/framework, zod/zod-helpers.js,
# 2.21.2), read here from the validator's errors: a ``type`` error is Zod's invalid_type, a
# missing property its invalid_type of an undefined value, an ``enum`` its invalid_value,
# a failed ``anyOf`` its invalid_union, whose branches' issues are flattened one level (a
# union failed inside a branch stays one issue, which no rule below words).

_UNDEFINED = object()  # JavaScript's undefined: no value at that path


def _value_at(root: Any, path: list) -> Any:
    """The value at ``path`` as Medusa's ``getValueFromBody`` finds it: through plain objects
    only, so a path through an array (or a missing key, or null) is undefined."""
    value = root
    if not isinstance(value, dict):
        return _UNDEFINED
    for part in path:
        if not isinstance(value, dict) or part not in value:
            return _UNDEFINED
        value = value[part]
    return value


def _type_name(expected: Any) -> str:
    if isinstance(expected, list):
        expected = next((t for t in expected if t != "null"), expected[0])
    return "number" if expected == "integer" else expected


# a Zod issue: (code, absolute path, expected type or allowed values)
_Issue = tuple[str, list, Any]


def _zod_issues(errors: Iterable[ValidationError], required_at: set[tuple] | None = None) -> list[_Issue]:
    """Zod's issues for the validator's ``errors``; ``required_at``: the paths whose missing
    properties are already reported (the validator reports each apart, each naming them all)."""
    issues: list[_Issue] = []
    required_at = set() if required_at is None else required_at
    for error in errors:
        path = list(error.absolute_path)
        kind = error.validator
        if kind == "type":
            issues.append(("invalid_type", path, _type_name(error.validator_value)))
        elif kind == "required":
            if tuple(path) not in required_at:
                required_at.add(tuple(path))
                present = error.instance if isinstance(error.instance, dict) else {}
                issues.extend(
                    ("invalid_type", [*path, name], None)
                    for name in error.validator_value
                    if name not in present
                )
        elif kind == "enum":
            issues.append(("invalid_value", path, error.validator_value))
        else:
            issues.append((kind, path, None))
    return issues


def _invalid_type(issues: list[_Issue], root: Any) -> str | None:
    """Medusa's ``formatInvalidType``: the expected types of the issues that have a value,
    at the first issue's path, with the first issue's value (``undefined`` if it has none)."""
    typed = [i for i in issues if i[0] == "invalid_type"]
    expected = [i[2] for i in typed if _value_at(root, i[1]) is not _UNDEFINED]
    if not expected:
        return None
    first = typed[0]
    received = _value_at(root, first[1])
    shown = "undefined" if received is _UNDEFINED else js_string(received)
    return f"Expected type: '{', '.join(expected)}' for field '{_field(first[1])}', got: '{shown}'"


def _required(issues: list[_Issue], root: Any) -> str | None:
    """Medusa's ``formatRequiredField``: the first issue without a value is a missing field."""
    for code, path, _ in issues:
        if code in ("invalid_type", "invalid_value") and _value_at(root, path) is _UNDEFINED:
            return f"Field '{_field(path)}' is required"
    return None


# Validators that stand for Zod's checks (a value of the right type out of bounds), which
# do not abort a union's branch; a wrong type, a missing property, a value not among an
# enum's and a failed union do.
_CHECKS = frozenset(
    ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum", "pattern", "minLength", "maxLength")
)


def _check_message(error: ValidationError) -> str:
    path = list(error.absolute_path)
    if error.validator in ("exclusiveMinimum", "minimum"):
        return (
            f"Value for field '{_field(path)}' too small, expected at least: "
            f"'{js_string(error.validator_value)}'"
        )
    if error.validator in ("exclusiveMaximum", "maximum"):
        return (
            f"Value for field '{_field(path)}' too big, expected at most: "
            f"'{js_string(error.validator_value)}'"
        )
    return "Invalid input"  # a pattern, a length: Zod's own wording


def validation_issues(errors: list[ValidationError], instance: Any, order: tuple[str, ...]) -> list[str]:
    ranked: list[tuple[tuple[int, int], str]] = []  # the same words twice are two issues (observed)
    required_at: set[tuple] = set()

    def add(rank: tuple[int, int], message: str) -> None:
        ranked.append((rank, message))

    def position(name: Any) -> int:
        return order.index(name) if name in order else len(order)

    for error in errors:
        path = list(error.absolute_path)
        top = position(path[0]) if path else -1
        kind = error.validator
        if kind in ("anyOf", "oneOf"):
            branches: dict[Any, list[ValidationError]] = {}
            for sub in error.context or ():
                branches.setdefault(sub.relative_schema_path[0], []).append(sub)
            took_type = [subs for subs in branches.values() if all(s.validator in _CHECKS for s in subs)]
            if len(took_type) == 1:
                # Zod 4: the one branch whose type the value has failed only its checks;
                # its issues are the union's (`is_enabled=yes` → Invalid input)
                for sub in took_type[0]:
                    add((0, top), _check_message(sub))
                continue
            # no branch took the value: every branch's issues, one level down
            issues = _zod_issues(error.context or ())
            add((0, top), _invalid_type(issues, instance) or _required(issues, instance) or "Invalid input")
        elif kind in ("type", "required"):
            for issue in _zod_issues([error], required_at):
                rank = (0, position(issue[1][0]) if issue[1] else -1)
                add(rank, _invalid_type([issue], instance) or _required([issue], instance) or "Invalid input")
        elif kind == "additionalProperties":
            allowed = set((error.schema.get("properties") or {}).keys())
            extra = js_key_order(k for k in error.instance if k not in allowed)
            add((1, 0), f"Unrecognized fields: '{', '.join(extra)}'")
        elif kind in _CHECKS:
            add((0, top), _check_message(error))
        elif kind == "enum":
            add(
                (0, top),
                f"Expected: '{', '.join(map(js_string, error.validator_value))}' "
                f"for field '{_field(path)}', but got: '{js_string(error.instance)}'",
            )
        else:  # the rest: Zod's generic wording
            add((0, top), "Invalid input")
    ranked.sort(key=lambda item: item[0])
    return [message for _, message in ranked]


# ---- Node's JSON.parse, as body-parser reports it --------------------------------------------


def unexpected_token(text: str, pos: int) -> str:
    """V8's ``Unexpected token`` message, with its 10-character context on long texts."""
    token = text[pos] if pos < len(text) else ""
    if len(text) < 21:
        return f"Unexpected token '{token}', \"{text}\" is not valid JSON"
    start, end = max(0, pos - 10), min(len(text), pos + 10)
    # "..." before from position 10 on (so also when nothing was cut), after when cut
    context = ("..." if pos >= 10 else "") + f'"{text[start:end]}"' + ("..." if end < len(text) else "")
    return f"Unexpected token '{token}', {context} is not valid JSON"
