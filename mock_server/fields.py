"""Medusa's ``fields`` selection over the entity graph (medusa-behaviour.md §3).

``fields`` is compiled once per distinct string into a plan, a tree of (key, getter,
sub-plan) rows in Medusa's key order; rendering an entity walks that plan. Defaults,
column order and relations per entity are declared here and nowhere else.

Rules: a bare item replaces the defaults, ``+x`` adds, ``-x`` removes ``x`` and all under
``x.``; ``rel.*`` (or a bare relation name) selects every column of ``rel``; unknown
columns are ignored; an unknown relation in a path is a 500, as in Medusa; ``id`` is
always present, last unless requested. Without ``*``, keys come in the order first
mentioned, with a many-to-one relation's foreign key just before it; with ``*``, in the
model's column order (``amount`` last).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable

from .errors import UNKNOWN_ERROR, MedusaError
from .money import json_number, raw

Getter = Callable[[Any], Any]


@dataclass(frozen=True)
class Relation:
    target: str
    many: bool
    get: Getter
    foreign_key: str | None = None


@dataclass(frozen=True)
class Entity:
    columns: dict[str, Getter]
    layout: tuple[str, ...]  # column order for `*`, with relation slots where Medusa puts them
    relations: dict[str, Relation]
    defaults: tuple[str, ...]


def _attrs(*names: str) -> dict[str, Getter]:
    return {name: (lambda e, n=name: getattr(e, n)) for name in names}


def _amounts(*names: str) -> dict[str, Getter]:
    getters: dict[str, Getter] = {}
    for name in names:
        getters[name] = lambda e, n=name: json_number(getattr(e, n))
        getters[f"raw_{name}"] = lambda e, n=name: raw(getattr(e, n))
    return getters


def _live_reason(refund: Any) -> Any:
    reason = refund.refund_reason
    return reason if reason is not None and reason.deleted_at is None else None


_TIMESTAMPS = ("created_at", "updated_at", "deleted_at")

ENTITIES: dict[str, Entity] = {
    "payment": Entity(
        columns={
            **_attrs("id", "currency_code", "provider_id", "data", "metadata", "captured_at",
                     "canceled_at", "payment_collection_id", "payment_session_id", *_TIMESTAMPS),
            **_amounts("amount"),
        },
        layout=("id", "currency_code", "provider_id", "data", "metadata", "captured_at",
                "canceled_at", "payment_collection_id", "payment_session_id", "raw_amount",
                *_TIMESTAMPS, "amount"),
        relations={
            "captures": Relation("capture", True, lambda p: p.captures),
            "refunds": Relation("refund", True, lambda p: p.refunds),
            "payment_collection": Relation("payment_collection", False, lambda p: p.collection,
                                           "payment_collection_id"),
            "payment_session": Relation("payment_session", False, lambda p: p.session,
                                        "payment_session_id"),
        },
        defaults=("id", "currency_code", "amount", "captured_at", "payment_collection_id",
                  "payment_session_id", "captures.id", "captures.amount", "refunds.id",
                  "refunds.amount", "refunds.note", "refunds.payment_id",
                  "refunds.refund_reason.label", "refunds.refund_reason.code"),
    ),
    "capture": Entity(
        columns={**_attrs("id", "payment_id", "metadata", "created_by", *_TIMESTAMPS),
                 **_amounts("amount")},
        layout=("id", "payment_id", "metadata", "created_by", "raw_amount", *_TIMESTAMPS, "amount"),
        relations={"payment": Relation("payment", False, lambda c: c.payment, "payment_id")},
        defaults=("id", "amount"),
    ),
    "refund": Entity(
        columns={**_attrs("id", "payment_id", "refund_reason_id", "note", "created_by",
                          "metadata", *_TIMESTAMPS),
                 **_amounts("amount")},
        layout=("id", "payment_id", "refund_reason_id", "refund_reason", "note", "created_by",
                "metadata", "raw_amount", *_TIMESTAMPS, "amount"),
        relations={
            "refund_reason": Relation("refund_reason", False, _live_reason, "refund_reason_id"),
            "payment": Relation("payment", False, lambda r: r.payment, "payment_id"),
        },
        defaults=("id", "amount", "note", "payment_id", "refund_reason.label", "refund_reason.code"),
    ),
    "refund_reason": Entity(
        columns=_attrs("id", "label", "code", "description", "metadata", *_TIMESTAMPS),
        layout=("id", "label", "code", "description", "metadata", *_TIMESTAMPS),
        relations={},
        defaults=("id", "label", "code", "description", *_TIMESTAMPS),
    ),
    "payment_collection": Entity(
        columns={
            **_attrs("id", "currency_code", "completed_at", "status", "metadata", *_TIMESTAMPS),
            **_amounts("amount", "authorized_amount", "captured_amount", "refunded_amount"),
        },
        layout=("id", "currency_code", "completed_at", "status", "metadata", "raw_amount",
                "raw_authorized_amount", "raw_captured_amount", "raw_refunded_amount",
                *_TIMESTAMPS, "amount", "authorized_amount", "captured_amount", "refunded_amount"),
        relations={
            "payments": Relation("payment", True, lambda c: c.payments),
            "payment_sessions": Relation("payment_session", True, lambda c: c.payment_sessions),
            "payment_providers": Relation("payment_provider", True, lambda c: c.payment_providers),
        },
        defaults=("id", "currency_code", "amount", "status"),
    ),
    "payment_session": Entity(
        columns={
            **_attrs("id", "currency_code", "provider_id", "data", "context", "status",
                     "authorized_at", "payment_collection_id", "metadata", *_TIMESTAMPS),
            **_amounts("amount"),
        },
        layout=("id", "currency_code", "provider_id", "data", "context", "status",
                "authorized_at", "payment_collection_id", "metadata", "raw_amount",
                *_TIMESTAMPS, "amount"),
        relations={
            "payment": Relation("payment", False, lambda s: s.payment),
            "payment_collection": Relation("payment_collection", False, lambda s: s.collection,
                                           "payment_collection_id"),
        },
        defaults=("id", "currency_code", "amount", "status"),
    ),
    "payment_provider": Entity(
        columns=_attrs("id", "is_enabled"),
        layout=("id", "is_enabled"),
        relations={},
        defaults=("id", "is_enabled"),
    ),
}


@dataclass
class _Node:
    star: bool = False
    keys: dict[str, "_Node | None"] = field(default_factory=dict)


# A plan row: (key, getter, sub-plan or None, many)
Plan = tuple[tuple[str, Getter, "Plan | None", bool], ...]


def parse(fields: str | None, defaults: tuple[str, ...]) -> list[str]:
    """The list of paths a ``fields`` value selects, from the entity's defaults."""
    if not fields:
        return list(defaults)
    plain: list[str] = []
    added: list[str] = []
    removed: list[str] = []
    replace = False
    for item in fields.split(","):
        if item[:1] in ("+", " "):  # an unencoded '+' arrives as a space
            added.append(item[1:].strip())
        elif item[:1] == "-":
            removed.append(item[1:].strip())
        elif item.strip():
            replace = True
            plain.append(item.strip())
    paths = plain + added if replace else list(defaults) + added
    paths = [p for p in paths if p]
    for gone in removed:
        paths = [p for p in paths if p != gone and not p.startswith(gone + ".")]
    return paths


@lru_cache(maxsize=1024)
def compile_fields(entity_name: str, fields: str | None) -> Plan:
    entity = ENTITIES[entity_name]
    root = _Node()
    for path in parse(fields, entity.defaults):
        _add(root, entity_name, path.split("."), path)
    return _plan(root, entity_name)


def _add(node: _Node, entity_name: str, segments: list[str], path: str) -> None:
    entity = ENTITIES[entity_name]
    head, rest = segments[0], segments[1:]
    if head in entity.relations:
        child = node.keys.get(head) or _Node()
        node.keys[head] = child
        if rest:
            _add(child, entity.relations[head].target, rest, path)
        else:
            child.star = True
    elif not rest:
        if head == "*":
            node.star = True
        elif head in entity.columns:
            node.keys.setdefault(head, None)
        # unknown column: ignored, as Medusa does
    else:
        # Medusa's query fails on a path through something that is not a relation.
        raise MedusaError(UNKNOWN_ERROR, f"Unknown relation in fields: {path}")


def _plan(node: _Node, entity_name: str) -> Plan:
    entity = ENTITIES[entity_name]
    if node.star:
        order = [k for k in entity.layout if k in entity.columns or k in node.keys]
        order += [k for k in node.keys if k not in order]
    else:
        order = []
        for key in node.keys:
            relation = entity.relations.get(key)
            if relation and relation.foreign_key and relation.foreign_key not in node.keys \
                    and relation.foreign_key not in order:
                order.append(relation.foreign_key)
            if key not in order:
                order.append(key)
        if "id" not in order:
            order.append("id")
    rows = []
    for key in order:
        relation = entity.relations.get(key)
        if relation is None:
            rows.append((key, entity.columns[key], None, False))
        else:
            child = node.keys[key] or _Node(star=True)
            rows.append((key, relation.get, _plan(child, relation.target), relation.many))
    return tuple(rows)


def render(entity: Any, plan: Plan) -> dict:
    out = {}
    for key, get, sub, many in plan:
        value = get(entity)
        if sub is not None and value is not None:
            value = [render(item, sub) for item in value] if many else render(value, sub)
        out[key] = value
    return out


def project(entity_name: str, entity: Any, fields: str | None) -> dict:
    return render(entity, compile_fields(entity_name, fields))
