"""List queries as Medusa runs them: filters (with operators, ``$and``/``$or``), free-text
``q``, soft-delete visibility, ``order`` and ``limit``/``offset`` (docs/medusa-behaviour.md §1.2,
§6, and docs/real-backend-observations.md).

What passes validation but fails in Medusa's database layer (an unknown ``order`` column, a
negative ``limit``/``offset``, a filter date PostgreSQL cannot parse) is a 500 here too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

from . import ids
from .errors import UNKNOWN_ERROR, MedusaError

PAGING_KEYS = ("fields", "limit", "offset", "order", "with_deleted", "q")
_DATE_COLUMNS = ("created_at", "updated_at", "deleted_at")


@dataclass
class Page:
    items: list
    count: int
    offset: int
    limit: int


def select(rows: Iterable[Any], query: dict, *, default_limit: int,
           search: Callable[[Any, str], bool] | None = None) -> Page:
    # Soft-deleted rows stay hidden even with `with_deleted=true` (accepted, no effect: observed)
    rows = [r for r in rows if getattr(r, "deleted_at", None) is None]
    filters = {k: v for k, v in query.items() if k not in PAGING_KEYS}
    if filters:
        rows = [r for r in rows if _matches(r, filters)]
    q = query.get("q")
    if search is not None and isinstance(q, str) and q.strip():
        rows = [r for r in rows if all(search(r, token) for token in q.lower().split())]
    offset = query.get("offset", 0)
    limit = query.get("limit", default_limit)
    if offset < 0 or limit < 0:
        raise _database_error(f"negative limit or offset: {limit}, {offset}")
    rows = _ordered(rows, query.get("order"))
    # limit/offset may be huge (JavaScript numbers past 2^53 arrive as floats)
    start = int(min(offset, len(rows)))
    stop = int(min(offset + limit, len(rows)))
    return Page(rows[start:stop], len(rows), offset, limit)


def _database_error(detail: str) -> MedusaError:
    """What Medusa answers when PostgreSQL or the ORM rejects a query: a generic 500."""
    return MedusaError(UNKNOWN_ERROR, detail)


def _ordered(rows: list, order: str | None) -> list:
    rows.sort(key=lambda r: r.id)
    if order is None:
        return rows
    items = [o.strip() for o in order.split(",")]
    if not all(items):
        raise _database_error(f"empty column in order: {order!r}")
    for item in reversed(items):
        descending = item.startswith("-")
        column = item.lstrip("-+")
        if rows and not hasattr(rows[0], column):
            raise _database_error(f"Trying to order by not existing property {column}")
        rows.sort(key=lambda r: _sort_key(getattr(r, column)), reverse=descending)
    return rows


def _sort_key(value: Any) -> tuple:
    return (value is None, value if value is not None else 0)


def _matches(row: Any, filters: dict) -> bool:
    for key, condition in filters.items():
        if key == "$and":
            if not all(_matches(row, f) for f in _as_list(condition) if isinstance(f, dict)):
                return False
        elif key == "$or":
            options = [f for f in _as_list(condition) if isinstance(f, dict)]
            if options and not any(_matches(row, f) for f in options):
                return False
        elif not _test(getattr(row, key, None), condition, key in _DATE_COLUMNS):
            return False
    return True


def _as_list(value: Any) -> list:
    if isinstance(value, dict):  # qs turns `$or[0][id]=x` into a list, `$or[a]` into a dict
        return list(value.values())
    return value if isinstance(value, list) else [value]


OPERATORS = frozenset(("$eq", "$ne", "$in", "$nin", "$like", "$ilike", "$re", "$contains",
                       "$gt", "$gte", "$lt", "$lte"))


def _test(value: Any, condition: Any, is_date: bool) -> bool:
    if isinstance(condition, dict):  # unknown operators are ignored, as Medusa does
        return all(_operator(value, op, operand, is_date) for op, operand in condition.items()
                   if op in OPERATORS)
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
    if value is None:
        return False
    text = str(value)
    if op in ("$like", "$ilike"):
        pattern = "^" + re.escape(str(operand)).replace("%", ".*").replace("_", ".") + "$"
        return re.match(pattern, text, re.S | (re.I if op == "$ilike" else 0)) is not None
    if op == "$re":
        try:
            return re.search(str(operand), text) is not None
        except re.error:
            return False
    if op == "$contains":
        return str(operand) in text
    comparisons = {"$gt": text.__gt__, "$gte": text.__ge__, "$lt": text.__lt__, "$lte": text.__le__}
    return comparisons[op](str(operand))


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
