"""List queries as Medusa runs them: filters (with operators, ``$and``/``$or``), free-text
``q``, soft-delete visibility, ``order`` and ``limit``/``offset`` (docs/medusa-behaviour.md §1.2,
§6, and docs/real-backend-observations.md).

What passes validation but fails in Medusa's database layer (an unknown ``order`` column, a
negative ``limit``/``offset``, a filter date PostgreSQL cannot parse) is a 500 here too.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Callable, Collection, Iterable, Mapping

import msgspec

from . import ids, messages
from .errors import INVALID_DATA, UNKNOWN_ERROR, MedusaError

PAGING_KEYS = ("fields", "limit", "offset", "order", "with_deleted", "q")
_DATE_COLUMNS = ("created_at", "updated_at", "deleted_at")


class Page(msgspec.Struct):
    items: list
    count: int
    offset: int
    limit: int


def select(
    rows: Iterable[Any],
    query: dict,
    *,
    default_limit: int,
    search: Callable[[Any, str], bool] | None = None,
    columns: Mapping[str, Any] | None = None,
    filterable: Collection[str] | None = None,
) -> Page:
    """``columns``: the entity's real columns (``fields.ENTITIES[...].columns``), the only
    names ``order`` may sort on; without it, any attribute the rows have. ``filterable``:
    the filter names the route's validator takes (what counts inside ``$and``/``$or``);
    without it, the top-level filter names of this query."""
    # Soft-deleted rows stay hidden even with `with_deleted=true` (accepted, no effect: observed)
    rows = [r for r in rows if getattr(r, "deleted_at", None) is None]
    filters = {k: v for k, v in query.items() if k not in PAGING_KEYS}
    if filters:
        top = frozenset(filterable if filterable is not None else filters) - {"$and", "$or"}
        _check(filters, top)  # what PostgreSQL refuses, it refuses whatever the rows
        rows = [r for r in rows if _matches(r, filters, top)]
    q = query.get("q")
    # the text "null" is Medusa's null (observed: `q=null` searches nothing, `q=NULL` does);
    # each word must match, words split as Medusa's free-text filter splits them (`/\s+/`,
    # JavaScript's whitespace: `q=%C2%85` is one word, not none)
    if search is not None and isinstance(q, str) and q != "null":
        tokens = messages.js_words(q.lower())
        if tokens:
            rows = [r for r in rows if all(search(r, token) for token in tokens)]
    offset = query.get("offset", 0)
    limit = query.get("limit", default_limit)
    # a limit or offset past JavaScript's safe integers, either way, is left out of the
    # query, though the answer still shows it (observed on 2.21.2: offset 2^53 - 1 skips
    # every row, 2^53 none; -2^53 + 1 is the database's 500, -2^53 is no bound at all)
    skip = offset if abs(offset) < messages.SAFE_INTEGER_LIMIT else 0
    take = limit if abs(limit) < messages.SAFE_INTEGER_LIMIT else None
    if skip < 0 or (take is not None and take < 0):
        raise _database_error(f"negative limit or offset: {limit}, {offset}")
    rows = _ordered(rows, query.get("order"), columns)
    start = min(skip, len(rows))
    stop = len(rows) if take is None else min(skip + take, len(rows))
    return Page(rows[start:stop], len(rows), offset, limit)


def _database_error(detail: str) -> MedusaError:
    """What Medusa answers when PostgreSQL or the ORM rejects a query: a generic 500."""
    return MedusaError(UNKNOWN_ERROR, detail)


def _ordered(rows: list, order: str | None, columns: Mapping[str, Any] | None) -> list:
    rows.sort(key=lambda r: r.id)
    if order is None:
        return rows
    items = [o.strip() for o in order.split(",")]
    if not all(items):
        raise _database_error(f"empty column in order: {order!r}")
    keys = []
    for item in items:
        column = item.lstrip("-+")
        # Only the entity's own columns: a name that is not one (`lock`, `captured_total`,
        # `__class__`) is what Medusa's ORM rejects, a 500 (observed for `order=foo`).
        if columns is not None and column not in columns:
            raise _database_error(f"Trying to order by not existing property {column}")
        keys.append((item.startswith("-"), _column_value(column)))
    for descending, value in reversed(keys):
        if columns is None and rows and not hasattr(rows[0], value.column):
            raise _database_error(f"Trying to order by not existing property {value.column}")
        rows.sort(key=lambda r: _sort_key(value(r)), reverse=descending)
    return rows


class _column_value:
    """The stored value of a column (``raw_amount`` sorts as ``amount``)."""

    def __init__(self, column: str) -> None:
        self.column = column[4:] if column.startswith("raw_") else column

    def __call__(self, row: Any) -> Any:
        return getattr(row, self.column, None)


def _sort_key(value: Any) -> tuple:
    if isinstance(value, (dict, list)):  # jsonb columns (metadata, data): any total order
        value = json.dumps(value, sort_keys=True, default=str)
    return (value is None, value if value is not None else 0)


def _matches(row: Any, filters: dict, top: frozenset) -> bool:
    """``top``: the filter names the route's validator takes. Inside ``$and``/``$or`` only
    those count: any other key, a nested ``$and``/``$or`` included, is dropped by Medusa's
    validator (observed: no effect), and ``q`` there reaches the database as a column that
    does not exist (observed: 500)."""
    for key, condition in filters.items():
        if key == "$and":
            if not all(
                _matches(row, _nested(f, top), top) for f in _as_list(condition) if isinstance(f, dict)
            ):
                return False
        elif key == "$or":
            options = [_nested(f, top) for f in _as_list(condition) if isinstance(f, dict)]
            if options and not any(_matches(row, f, top) for f in options):
                return False
        elif not _test(getattr(row, key, None), condition, key in _DATE_COLUMNS):
            return False
    return True


def _check(filters: dict, top: frozenset) -> None:
    """The database's 500 for a filter it cannot run (a date it cannot parse, a text
    operator on a timestamp, ``q`` inside ``$and``/``$or``), raised before any row is
    looked at: PostgreSQL refuses the query itself, also when no row would match
    (observed: ``id=&updated_at[$ne]=true`` is a 500 on an empty selection)."""
    for key, condition in filters.items():
        if key in ("$and", "$or"):
            for item in _as_list(condition):
                if isinstance(item, dict):
                    _check(_nested(item, top), top)
            continue
        is_date = key in _DATE_COLUMNS
        operators = condition.items() if isinstance(condition, dict) else [("$in", condition)]
        for op, operand in operators:
            if op not in OPERATORS:
                continue
            for item in operand if isinstance(operand, list) else [operand]:
                _norm(item, is_date)
            if is_date and op in _TEXT_ONLY:
                raise _database_error(f"operator {op} on a timestamp column")


def _nested(item: dict, top: frozenset) -> dict:
    if "q" in item:
        raise _database_error("column q does not exist")
    return {k: v for k, v in item.items() if k in top}


def _as_list(value: Any) -> list:
    if isinstance(value, dict):  # qs turns `$or[0][id]=x` into a list, `$or[a]` into a dict
        return list(value.values())
    return value if isinstance(value, list) else [value]


OPERATORS = frozenset(
    ("$eq", "$ne", "$in", "$nin", "$like", "$ilike", "$re", "$contains", "$gt", "$gte", "$lt", "$lte")
)


def _test(value: Any, condition: Any, is_date: bool) -> bool:
    if isinstance(condition, dict):  # unknown operators are ignored, as Medusa does
        return all(
            _operator(value, op, operand, is_date) for op, operand in condition.items() if op in OPERATORS
        )
    if isinstance(condition, list):
        return _operator(value, "$in", condition, is_date)
    return _operator(value, "$eq", condition, is_date)  # `id=a,b` is one id, not two


def _operator(value: Any, op: str, operand: Any, is_date: bool) -> bool:
    if op in ("$in", "$nin"):
        items = operand if isinstance(operand, list) else [operand]
        found = any(_equal(value, _norm(i, is_date)) for i in items)
        return found if op == "$in" else not found
    operand = _norm(operand, is_date)
    if op == "$eq":
        return _equal(value, operand)
    if op == "$ne":
        return not _equal(value, operand)
    if op in _TEXT_ONLY and is_date:
        # PostgreSQL has no LIKE, regex or containment operator for a timestamp: Medusa
        # passes these through validation and answers 500 (observed for all four)
        raise _database_error(f"operator {op} on a timestamp column")
    if value is None:
        return False
    text = str(value)
    if op in ("$like", "$ilike"):
        if op == "$ilike":
            return like(text.casefold(), str(operand).casefold())
        return like(text, str(operand))
    if op == "$re":
        # Not evaluated: a regular expression from a client may backtrack for ever on the
        # event loop. Medusa refuses it on every column these routes accept it on (dates).
        raise _database_error("$re is not supported by the mock")
    if op == "$contains":
        return str(operand) in text
    comparisons = {"$gt": text.__gt__, "$gte": text.__ge__, "$lt": text.__lt__, "$lte": text.__le__}
    return comparisons[op](str(operand))


_TEXT_ONLY = frozenset(("$like", "$ilike", "$re", "$contains"))


# Character comparisons one LIKE match may make (about 5 ms here): far past any search a
# person types, and refused past it (400) rather than holding the event loop.
LIKE_COMPARISONS = 4_000_000


def like(text: str, pattern: str, escape: bool = False) -> bool:
    """SQL ``LIKE`` (``%`` any run, ``_`` any one character; with ``escape``, a backslash
    takes the next character as it is) without backtracking: the pattern is cut at each
    ``%`` into pieces; the first must match at the start, the last at the end, and each
    piece in between at its leftmost place after the previous one (leftmost is always safe:
    a later place leaves less text for the rest). ``str.find`` for pieces without ``_``, a
    regular expression without repetition for the others: at most the text's length times
    the longest such piece's, bounded by ``LIKE_COMPARISONS``."""
    pieces = _pieces(pattern, escape)
    wild = max((len(p) for p in pieces if isinstance(p, _Wild)), default=0)
    if wild * len(text) > LIKE_COMPARISONS:
        # a piece with `_` costs up to its length at each place in the text; PostgreSQL
        # would take its time, the mock's event loop cannot (a client writes both)
        raise MedusaError(
            INVALID_DATA,
            messages.invalid_request([messages.pattern_too_costly(wild, len(text), LIKE_COMPARISONS)]),
        )
    if len(pieces) == 1:
        return len(text) == len(pieces[0]) and _piece_at(text, pieces[0], 0)
    first, last, middle = pieces[0], pieces[-1], pieces[1:-1]
    if len(first) + len(last) > len(text):
        return False
    if not _piece_at(text, first, 0) or not _piece_at(text, last, len(text) - len(last)):
        return False
    start, end = len(first), len(text) - len(last)
    for piece in middle:
        if not piece:
            continue
        found = _find(text, piece, start, end)
        if found < 0:
            return False
        start = found + len(piece)
    return True


class _Wild:
    """A piece of a LIKE pattern with a ``_``: a regular expression of fixed length (``.``
    for each ``_``, nothing that repeats), so matching it never backtracks."""

    __slots__ = ("regex", "length")

    def __init__(self, items: list[str | None]) -> None:
        self.regex = re.compile("".join("." if c is None else re.escape(c) for c in items), re.DOTALL)
        self.length = len(items)

    def __len__(self) -> int:
        return self.length


@lru_cache(maxsize=256)
def _pieces(pattern: str, escape: bool) -> tuple[str | _Wild, ...]:
    """``pattern`` cut at each ``%``: each piece its text, or a ``_Wild`` where it has a ``_``."""
    pieces: list[str | _Wild] = []
    current: list[str | None] = []  # None: a `_`
    chars = iter(pattern)
    for char in chars:
        if escape and char == "\\":
            current.append(next(chars, "\\"))
        elif char == "%":
            pieces.append(_piece(current))
            current = []
        else:
            current.append(None if char == "_" else char)
    pieces.append(_piece(current))
    return tuple(pieces)


def _piece(items: list[str | None]) -> str | _Wild:
    return _Wild(items) if None in items else "".join(items)  # type: ignore[arg-type]


def _piece_at(text: str, piece: str | _Wild, at: int) -> bool:
    if isinstance(piece, str):
        return text.startswith(piece, at)
    return piece.regex.match(text, at) is not None


def _find(text: str, piece: str | _Wild, start: int, end: int) -> int:
    """The leftmost place in ``text[start:end]`` where ``piece`` matches, or -1."""
    if isinstance(piece, str):
        return text.find(piece, start, end)
    found = piece.regex.search(text, start, end)
    return -1 if found is None else found.start()


def _equal(value: Any, operand: Any) -> bool:
    if operand in ("null", None):
        return value is None
    if isinstance(value, bool):
        return str(value).lower() == str(operand).lower()
    return str(value) == str(operand)


def _norm(operand: Any, is_date: bool) -> Any:
    """Dates in filters compare against our stored ISO form."""
    if not is_date or not isinstance(operand, str) or operand == "null":
        return operand
    try:
        moment = datetime.fromisoformat(operand.replace("Z", "+00:00"))
    except ValueError:
        raise _database_error(f"invalid date in filter: {operand!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return ids.iso(moment)


def ilike(text: str | None, token: str) -> bool:
    """``text ILIKE '%token%'`` (``token`` already in lower case), as Medusa's ``q`` searches
    (observed on 2.21.2: ``q=_`` and ``q=%`` match every reason, ``q=Ship_ing`` and
    ``q=ship%issue`` match "shipping_issue", ``q=\\_`` only an underscore)."""
    return text is not None and like(text.lower(), f"%{token}%", escape=True)
