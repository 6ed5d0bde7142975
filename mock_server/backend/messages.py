"""Every message Medusa (and Node under it) words, in one place: the business rules'
messages, Zod's validation wording as Medusa joins it, and Node 20's ``JSON.parse`` errors
as body-parser passes them on. No HTTP here; callers raise or answer with these strings.
"""

from __future__ import annotations

import math
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
    return f'RefundReason with id "{reason_id}" not found'


# The emailpass provider's 401s, in the order it checks.
PASSWORD_NOT_STRING = "Password should be a string"
EMAIL_NOT_STRING = "Email should be a string"
INVALID_CREDENTIALS = "Invalid email or password"


# ---- the mock's own limits (Medusa has none; worded as its validation issues) --------------


def fields_too_many(entries: int, limit: int) -> str:
    return f"Field 'fields' has {entries} entries, more than the {limit} the mock accepts"


def fields_too_deep(depth: int, limit: int) -> str:
    return f"Field 'fields' has a path {depth} levels deep, more than the {limit} the mock accepts"


# ---- validation (Zod's wording, as Medusa joins it) ----------------------------------------


def invalid_request(issues: list[str]) -> str:
    """The message of Medusa's 400 for a body or query that fails validation."""
    return "Invalid request: " + "; ".join(issues[:MAX_ISSUES])


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
    if isinstance(value, int) and abs(value) >= 2**53:  # JSON.parse made it a double
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


class _MergedTypes:
    """Several wrong types in the one fitting branch of a union, which Medusa reports as one
    issue: every expected type, at the first one's path, with the first one's value
    (observed: ``updated_at[$in]=x&updated_at[$nin]=y`` → Expected type: 'array, array' for
    field 'updated_at, $in', got: 'x')."""

    def __init__(self, subs: list[ValidationError]) -> None:
        self.path = list(subs[0].absolute_path)
        self.instance = subs[0].instance
        self.types = ", ".join(_type_name(sub.validator_value) for sub in subs)


def _type_name(expected: Any) -> str:
    if isinstance(expected, list):
        expected = next((t for t in expected if t != "null"), expected[0])
    return "number" if expected == "integer" else expected


def _expand_unions(errors: list[ValidationError]) -> list[ValidationError | _MergedTypes]:
    """A failed union is reported by the branch whose type the value has (an operator object
    for a date filter); when no branch or several do, it stays Zod's ``Invalid input``."""
    out: list[ValidationError | _MergedTypes] = []
    for error in errors:
        if error.validator in ("anyOf", "oneOf") and error.context:
            branches: dict[Any, list[ValidationError]] = {}
            for sub in error.context:
                branches.setdefault(sub.relative_schema_path[0], []).append(sub)
            fitting = [
                subs
                for subs in branches.values()
                if not any(s.validator == "type" and not s.relative_path for s in subs)
            ]
            if len(fitting) == 1:
                subs = fitting[0]
                if len(subs) > 1 and all(s.validator == "type" and len(s.relative_path) == 1 for s in subs):
                    out.append(_MergedTypes(subs))  # in the schema's property order
                else:
                    out.extend(_expand_unions(subs))
                continue
        out.append(error)
    return out


def _union_types(error: ValidationError) -> str | None:
    """The branch types of a failed union when every branch failed on the value's type."""
    types: dict[Any, str] = {}
    for sub in error.context or ():
        if sub.validator == "type" and not sub.relative_path:
            expected = sub.validator_value
            if isinstance(expected, list):
                expected = next((t for t in expected if t != "null"), expected[0])
            types[sub.relative_schema_path[0]] = "number" if expected == "integer" else expected
    branches = {sub.relative_schema_path[0] for sub in error.context or ()}
    if not types or set(types) != branches:
        return None
    return ", ".join(dict.fromkeys(types.values()))


def validation_issues(errors: list[ValidationError], instance: Any, order: tuple[str, ...]) -> list[str]:
    ranked: list[tuple[tuple[int, int], str]] = []
    seen: set[str] = set()

    def add(rank: tuple[int, int], message: str) -> None:
        if message not in seen:
            seen.add(message)
            ranked.append((rank, message))

    def position(name: Any) -> int:
        return order.index(name) if name in order else len(order)

    for error in _expand_unions(errors):
        if isinstance(error, _MergedTypes):
            add(
                (0, position(error.path[0])),
                f"Expected type: '{error.types}' for field '{_field(error.path)}', "
                f"got: '{js_string(error.instance)}'",
            )
            continue
        path = list(error.absolute_path)
        top = position(path[0]) if path else -1
        kind = error.validator
        union_types = _union_types(error) if kind in ("anyOf", "oneOf") else None
        if (kind == "type" or union_types) and len(path) > 2 and path[0] in ("$and", "$or"):
            # inside an `$and`/`$or` item Medusa words any wrong type as a missing field
            # (observed: `$or[0][id][$like]=x` → Field '$or, 0, id' is required)
            add((0, top), f"Field '{_field(path)}' is required")
        elif union_types:
            # no branch of the union takes the value's type (observed: `id[$like]=x` →
            # Expected type: 'string, array' for field 'id', got: '[object Object]')
            add(
                (0, top),
                f"Expected type: '{union_types}' for field '{_field(path)}', "
                f"got: '{js_string(error.instance)}'",
            )
        elif kind == "type" and error.validator_value == "object":
            # Medusa words "expected an object" as a missing field (body `[]`, `$or=a`)
            add((0, top), f"Field '{_field(path)}' is required")
        elif kind == "required":
            for name in error.validator_value:
                if isinstance(error.instance, dict) and name not in error.instance:
                    add(
                        (0, position(name) if not path else top),
                        f"Field '{_field([*path, name])}' is required",
                    )
        elif kind == "additionalProperties":
            allowed = set((error.schema.get("properties") or {}).keys())
            extra = js_key_order(k for k in error.instance if k not in allowed)
            add((1, 0), f"Unrecognized fields: '{', '.join(extra)}'")
        elif kind == "type":
            expected = error.validator_value
            if isinstance(expected, list):
                expected = next((t for t in expected if t != "null"), expected[0])
            expected = "number" if expected == "integer" else expected
            add(
                (0, top),
                f"Expected type: '{expected}' for field '{_field(path)}', got: '{js_string(error.instance)}'",
            )
        elif kind in ("exclusiveMinimum", "minimum"):
            add(
                (0, top),
                f"Value for field '{_field(path)}' too small, expected at least: "
                f"'{js_string(error.validator_value)}'",
            )
        elif kind in ("exclusiveMaximum", "maximum"):
            add(
                (0, top),
                f"Value for field '{_field(path)}' too big, expected at most: "
                f"'{js_string(error.validator_value)}'",
            )
        elif kind == "enum":
            add(
                (0, top),
                f"Expected: '{', '.join(map(js_string, error.validator_value))}' "
                f"for field '{_field(path)}', but got: '{js_string(error.instance)}'",
            )
        else:  # unions and the rest: Zod's generic wording
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
