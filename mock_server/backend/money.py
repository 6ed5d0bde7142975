"""Exact money: amounts are Decimals in state, compared with the currency's epsilon,
and rendered the way Medusa's BigNumber reaches the wire.

Medusa keeps a ``raw_*`` value (a BigNumber.js string) beside each amount and sends the
amount itself as a JavaScript number. We keep the Decimal, so sums never drift (ten
refunds of 0.1 add up to exactly 1), and only turn it into a JSON number when encoding.
"""

from __future__ import annotations

from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, ROUND_HALF_UP, Context, Decimal
from functools import lru_cache

from .currencies import EPSILON_DIGITS, ROUNDING_DIGITS
from .messages import SAFE_INTEGER_LIMIT

ZERO = Decimal(0)
# Sums of amounts are exact, as BigNumber.js's and PostgreSQL's numeric are: Decimal's
# default context keeps 28 digits, so 30.01 + 5e-324 was 30.01 and the over-refund check
# let through what Medusa refuses (observed on 2.21.2: captured 30, refunded 30.01, a
# further 5e-324 → 400). An addition in this context is never rounded (its digits are what
# the operands need, at most a few hundred for JSON numbers); only ``add`` and ``sub`` use it.
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)
add = _EXACT.add
sub = _EXACT.subtract
# Medusa renders any |amount| <= 0.0001 as 0 (the raw value keeps the real one).
_RENDER_FLOOR = Decimal("0.0001")


def to_decimal(value: int | float | str | Decimal) -> Decimal:
    """A request or fixture amount as an exact Decimal.

    Floats go through ``repr`` (the shortest string that round-trips), which is the
    decimal a JavaScript client meant when it wrote the number: ``30.01`` stays 30.01.
    """
    if type(value) is int:  # the usual request amount
        return Decimal(value)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("a boolean is not an amount")
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


@lru_cache(maxsize=256)
def epsilon(currency_code: str) -> Decimal:
    """The tolerance of Medusa's over-refund check: one unit of the last of the currency's
    ``decimal_digits`` in Medusa's own table, 0.01 for a currency not in it."""
    return Decimal(1).scaleb(-EPSILON_DIGITS.get(currency_code.lower(), 2))


# Wide enough for any finite double (up to ~1.8e308) at any currency's digits: the default
# 28 digits make ``quantize`` raise InvalidOperation on a request's 1e26.
_WIDE = Context(prec=400)


def to_currency_precision(value: Decimal, currency_code: str) -> Decimal:
    """Medusa's ``roundToCurrencyPrecision``: half up to the digits ``Intl.NumberFormat``
    writes for the currency; a currency it writes without a decimal point (JPY, HUF) is not
    rounded at all (``currencies.ROUNDING_DIGITS``)."""
    digits = ROUNDING_DIGITS.get(currency_code.lower(), 2)
    if digits is None:
        return value
    return value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP, context=_WIDE)


def numeric(value: Decimal) -> Decimal:
    """The amount as Medusa's numeric column keeps it: what the wire shows (|v| <= 0.0001 is 0).
    Collection totals add these, so a refund of 1e-7 after 10 leaves ``refunded_amount`` 10
    (observed on 2.21.2), while the refund's own ``raw_amount`` keeps ``1e-7``."""
    return ZERO if abs(value) <= _RENDER_FLOOR else value


# json_number and bignumber_string depend only on the value (equal Decimals give equal
# answers) and run for every amount of every answer; a list of 20 payments has dozens.
AMOUNT_MEMO = 4096


@lru_cache(maxsize=AMOUNT_MEMO)
def json_number(value: Decimal) -> int | float:
    """The JSON number Medusa sends for an amount (a JS number: integral → no decimals)."""
    if abs(value) <= _RENDER_FLOOR:
        return 0
    if value == value.to_integral_value() and abs(value) < SAFE_INTEGER_LIMIT:
        return int(value)
    return js_double(float(value))


def js_double(value: float) -> int | float:
    """What ``JSON.stringify`` writes for a JavaScript number, as a value the encoder writes
    the same way: an integral number below 1e21 in plain digits, its shortest digits padded
    with zeros (2^53 is ``9007199254740992``, 1.2345678901234568e20 is
    ``123456789012345680000``), so an int; any other as the float (orjson writes those as V8
    does, from 1e21 on ``1e+21``)."""
    if value.is_integer() and abs(value) < 1e21:
        return int(Decimal(repr(value)))
    return value


def raw(value: Decimal) -> dict:
    """The ``raw_amount`` object: BigNumber.js's string form and its precision."""
    return {"value": bignumber_string(value), "precision": 20}


@lru_cache(maxsize=AMOUNT_MEMO)
def bignumber_string(value: Decimal) -> str:
    """``value`` as BigNumber.js/JavaScript print it: plain notation, exponential below 1e-6
    or from 1e21 on (``1e-7``, ``30.01``, ``100``)."""
    if value.is_zero():
        return "0"
    value = value.normalize()
    sign, digits, exponent = value.as_tuple()
    leading = len(digits) + exponent - 1  # type: ignore[operator]  # finite: an int exponent
    text = "".join(map(str, digits))
    if leading < -6 or leading >= 21:
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        body = f"{mantissa}e{'+' if leading > 0 else '-'}{abs(leading)}"
    else:
        body = format(value.copy_abs(), "f")
    return ("-" if sign else "") + body
