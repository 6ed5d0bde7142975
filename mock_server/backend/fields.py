"""Medusa's ``fields`` selection over the entity graph (docs/medusa-behaviour.md §3).

``fields`` is compiled once per distinct string into a plan, a tree of (key, getter,
sub-plan) rows in Medusa's key order; rendering an entity walks that plan. Defaults,
column order and relations per entity are declared here and nowhere else.

Rules (observed on a running 2.21.2, docs/real-backend-observations.md): a bare item
replaces the defaults, ``+x`` adds, ``-x`` removes ``x`` and all under ``x.``; ``rel.*``
selects every column of ``rel`` and adds (with or without ``+``), as does ``*rel``; a root
``*`` changes nothing; a bare relation name selects nothing of a one-to-many relation and
only ``{"id": <foreign key>}`` of a many-to-one one (where a column would stand); ``col.*``
on a column drops that column; unknown columns and relations are ignored; ``id`` is always
present. Without ``*``, an
object's scalars come first in the order asked, then ``id`` if not asked, then the foreign
keys of selected many-to-one relations, then the relations; with ``*``, the model's column
order (``amount`` last), where a many-to-one relation not otherwise selected shows as
``{"id": <foreign key>}``.
"""

from __future__ import annotations

from functools import lru_cache
from operator import attrgetter
from typing import Any, Callable

import msgspec

from . import messages
from .errors import INVALID_DATA, UNKNOWN_ERROR, MedusaError
from .money import json_number, raw

Getter = Callable[[Any], Any]


class Relation(msgspec.Struct, frozen=True):
    target: str
    many: bool
    get: Getter
    foreign_key: str | None = None


class Entity(msgspec.Struct, frozen=True):
    columns: dict[str, Getter]
    layout: tuple[str, ...]  # column order for `*`, with relation slots where Medusa puts them
    relations: dict[str, Relation]
    defaults: tuple[str, ...]


def _attrs(*names: str) -> dict[str, Getter]:
    return {name: attrgetter(name) for name in names}  # getattr(e, name), in C


def _amounts(*names: str) -> dict[str, Getter]:
    getters: dict[str, Getter] = {}
    for name in names:
        get = attrgetter(name)
        getters[name] = lambda e, get=get: json_number(get(e))  # type: ignore[misc]
        getters[f"raw_{name}"] = lambda e, get=get: raw(get(e))  # type: ignore[misc]
    return getters


def _live_reason(refund: Any) -> Any:
    reason = refund.refund_reason
    return reason if reason is not None and reason.deleted_at is None else None


_TIMESTAMPS = ("created_at", "updated_at", "deleted_at")

ENTITIES: dict[str, Entity] = {
    "payment": Entity(
        columns={
            **_attrs(
                "id",
                "currency_code",
                "provider_id",
                "data",
                "metadata",
                "captured_at",
                "canceled_at",
                "payment_collection_id",
                "payment_session_id",
                *_TIMESTAMPS,
            ),
            **_amounts("amount"),
        },
        layout=(
            "id",
            "currency_code",
            "provider_id",
            "data",
            "metadata",
            "captured_at",
            "canceled_at",
            "payment_collection_id",
            "payment_session_id",
            "raw_amount",
            *_TIMESTAMPS,
            "amount",
        ),
        relations={
            "captures": Relation("capture", True, lambda p: p.captures),
            "refunds": Relation("refund", True, lambda p: p.refunds),
            "payment_collection": Relation(
                "payment_collection", False, lambda p: p.collection, "payment_collection_id"
            ),
            "payment_session": Relation("payment_session", False, lambda p: p.session, "payment_session_id"),
        },
        defaults=(
            "id",
            "currency_code",
            "amount",
            "captured_at",
            "payment_collection_id",
            "payment_session_id",
            "captures.id",
            "captures.amount",
            "refunds.id",
            "refunds.amount",
            "refunds.note",
            "refunds.payment_id",
            "refunds.refund_reason.label",
            "refunds.refund_reason.code",
        ),
    ),
    "capture": Entity(
        columns={**_attrs("id", "payment_id", "metadata", "created_by", *_TIMESTAMPS), **_amounts("amount")},
        layout=("id", "payment_id", "metadata", "created_by", "raw_amount", *_TIMESTAMPS, "amount"),
        relations={"payment": Relation("payment", False, lambda c: c.payment, "payment_id")},
        defaults=("id", "amount"),
    ),
    "refund": Entity(
        columns={
            **_attrs("id", "payment_id", "refund_reason_id", "note", "created_by", "metadata", *_TIMESTAMPS),
            **_amounts("amount"),
        },
        layout=(
            "id",
            "payment_id",
            "refund_reason_id",
            "refund_reason",
            "note",
            "created_by",
            "metadata",
            "raw_amount",
            *_TIMESTAMPS,
            "amount",
        ),
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
        layout=(
            "id",
            "currency_code",
            "completed_at",
            "status",
            "metadata",
            "raw_amount",
            "raw_authorized_amount",
            "raw_captured_amount",
            "raw_refunded_amount",
            *_TIMESTAMPS,
            "amount",
            "authorized_amount",
            "captured_amount",
            "refunded_amount",
        ),
        relations={
            "payments": Relation("payment", True, lambda c: c.payments),
            "payment_sessions": Relation("payment_session", True, lambda c: c.payment_sessions),
            "payment_providers": Relation("payment_provider", True, lambda c: c.payment_providers),
            "order": Relation("order", False, lambda c: c.order),  # the link the refund needs
        },
        defaults=("id", "currency_code", "amount", "status"),
    ),
    "payment_session": Entity(
        columns={
            **_attrs(
                "id",
                "currency_code",
                "provider_id",
                "data",
                "context",
                "status",
                "authorized_at",
                "payment_collection_id",
                "metadata",
                *_TIMESTAMPS,
            ),
            **_amounts("amount"),
        },
        layout=(
            "id",
            "currency_code",
            "provider_id",
            "data",
            "context",
            "status",
            "authorized_at",
            "payment_collection_id",
            "payment_collection",
            "metadata",
            "raw_amount",
            *_TIMESTAMPS,
            "amount",
        ),
        relations={
            "payment": Relation("payment", False, lambda s: s.payment),
            "payment_collection": Relation(
                "payment_collection", False, lambda s: s.collection, "payment_collection_id"
            ),
        },
        defaults=("id", "currency_code", "amount", "status"),
    ),
    "order": Entity(columns=_attrs("id"), layout=("id",), relations={}, defaults=("id",)),
    "payment_provider": Entity(
        columns=_attrs("id", "is_enabled"),
        layout=("id", "is_enabled"),
        relations={},
        defaults=("id", "is_enabled"),
    ),
}


class _Node(msgspec.Struct):
    star: bool = False
    keys: dict[str, "_Node | str | None"] = msgspec.field(default_factory=dict)  # str: the markers below
    dropped: set[str] = msgspec.field(default_factory=set)  # columns asked as `col.*`


# A plan row: (key, getter, sub-plan or None, many)
Plan = tuple[tuple[str, Getter, "Plan | None", bool], ...]


# Limits on a ``fields`` value, checked before the handler runs (``check``): far above
# anything a client asks for (Medusa's own admin asks for a few dozen entries, four levels
# deep), and low enough that compiling and rendering a plan stays cheap. The entry limit is
# above what fits in a request head Node accepts (16 KiB: at most ~8,190 entries), so over
# HTTP only the depth limit can refuse what Medusa answers (a 14 kB `fields` answers 200).
MAX_ENTRIES = 8192
MAX_DEPTH = 10


def check(fields: Any) -> None:
    """Refuse a ``fields`` value past the limits, with a 400 in Medusa's envelope. Medusa
    has no such limit (it answers 200, or runs out of time re-reading what it just wrote):
    refusing it before the handler means a refund with such a ``fields`` stores nothing."""
    if not isinstance(fields, str):
        return
    entries = fields.count(",") + 1
    if entries > MAX_ENTRIES:
        raise MedusaError(
            INVALID_DATA, messages.invalid_request([messages.fields_too_many(entries, MAX_ENTRIES)])
        )
    if fields.count(".") >= MAX_DEPTH:  # cheap first: no item can be too deep otherwise
        depth = max(item.count(".") + 1 for item in fields.split(","))
        if depth > MAX_DEPTH:
            raise MedusaError(
                INVALID_DATA, messages.invalid_request([messages.fields_too_deep(depth, MAX_DEPTH)])
            )


def _strip_modifier(item: str) -> str:
    """FieldParser.stripModifier: ``item.replace(/^[+ \\t-]+/, "").trim()``."""
    return item.lstrip("+ \t-").strip(messages.JS_SPACE)


def parse(fields: str | None, defaults: tuple[str, ...]) -> list[str]:
    """The paths a ``fields`` value selects, as Medusa's FieldParser (@medusajs/framework,
    http/utils/field-filtering, 2.21.2) and prepareListQuery make them: an item with no
    modifier (``+``, a space, ``-``, ``*``, or ending ``.*``) puts the whole list in replace
    mode, where every item is only stripped of its modifiers (``label,-code`` selects both);
    else ``+x`` and `` x`` add, ``-x`` removes what is already chosen at or under ``x``, and
    the rest is added as it is. Items starting ``*`` or ending ``.*`` then become ``rel.*``
    after the others (a root ``*``: nothing). Absent ``fields`` selects the defaults."""
    if fields is None:
        return list(defaults)
    items = [item for item in fields.split(",") if item]
    replace = not items or any(item[0] not in "+ -*" and not item.endswith(".*") for item in items)
    chosen: dict[str, None]  # an ordered set, as the parser's Set
    if replace:
        chosen = dict.fromkeys(_strip_modifier(item) for item in items)
    else:
        chosen = {}
        # each chosen path under the names a removal takes it by (itself without a leading
        # `*`, and that cut at each dot), so a removal costs what it removes: the parser
        # walks every chosen path for each one, 52 s for 10,000 removals of 16,000 paths
        under: dict[str, set[str]] = {}

        def choose(path: str) -> None:
            if path not in chosen:
                chosen[path] = None
                bare = path[1:] if path.startswith("*") else path
                under.setdefault(bare, set()).add(path)
                dot = bare.find(".")
                while dot >= 0:
                    under.setdefault(bare[:dot], set()).add(path)
                    dot = bare.find(".", dot + 1)

        for path in defaults:
            choose(path)
        for item in items:
            if item[0] in "+ ":
                choose(_strip_modifier(item))
            elif item[0] == "-":
                # an entry may be stale (its path removed since): still under that name
                for path in under.pop(_strip_modifier(item), ()):
                    chosen.pop(path, None)
            else:
                choose(item)
    plain = [path for path in chosen if path and not (path.startswith("*") or path.endswith(".*"))]
    stars = dict.fromkeys(
        (path[1:] if path.startswith("*") else path[:-2])  # the first of ^\* or \.\*$ only
        for path in chosen
        if path.startswith("*") or path.endswith(".*")
    )
    return plain + [f"{star}.*" for star in stars if star]


# A field named as one of Object.prototype's properties reaches Medusa's query builder as
# that property, and PostgreSQL or the builder refuses the query (observed on 2.21.2, on
# every read and after every write, which stays done): __proto__ is the column
# "undefined", constructor the column Object of the root's table alias, any other a 500.
# The first such field decides. (`__proto__.x` and `*__proto__` instead pollute the real
# server's Object.prototype, every later request answering 400 until it restarts: not
# imitated, they select nothing here.)
def _refuse_prototype_property(entity_name: str, paths: list[str]) -> None:
    name = next((path for path in paths if path in messages.PROTOTYPE_PROPERTIES), None)
    if name == "__proto__":
        raise MedusaError(INVALID_DATA, 'column "undefined" does not exist')
    if name == "constructor":  # MikroORM's alias: the entity's first letter and 0
        raise MedusaError(INVALID_DATA, f"column {entity_name[0]}0.Object does not exist")
    if name is not None:
        raise MedusaError(UNKNOWN_ERROR, "")


@lru_cache(maxsize=1024)
def compile_fields(entity_name: str, fields: str | None) -> Plan:
    entity = ENTITIES[entity_name]
    paths = parse(fields, entity.defaults)
    _refuse_prototype_property(entity_name, paths)
    root = _Node()
    for path in paths:
        _add(root, entity_name, path.split("."), (entity_name,))
    return _plan(root, entity_name, (entity_name,))


# A relation to an entity type already on the path from the root (``refunds.payment`` under
# a payment, ``payment_collection.payments`` under a payment, also further up:
# ``payment_session.payment_collection.payments``) is not followed, as Medusa does not
# (observed): asked by name alone it is dropped; asked with something under it
# (``refunds.payment.id``, ``refunds.payment.*``), only its foreign key shows
# (``refunds: [{id, payment_id}]``); in a ``*`` expansion its slot is left out.
_FOREIGN_KEY_ONLY = "foreign key only"
# A many-to-one relation asked by name alone: ``{"id": <foreign key>}`` where a column would be.
_ID_OBJECT = "id object"


def _add(node: _Node, entity_name: str, segments: list[str], path: tuple[str, ...]) -> None:
    entity = ENTITIES[entity_name]
    head, rest = segments[0], segments[1:]
    relation = entity.relations.get(head)
    if relation is not None:
        if relation.target in path:
            if rest and relation.foreign_key:
                node.keys.setdefault(head, _FOREIGN_KEY_ONLY)
            return
        if not rest:  # by name alone
            if not relation.many:
                node.keys.setdefault(head, _ID_OBJECT)
            return
        child = node.keys.get(head)
        if not isinstance(child, _Node):  # never _FOREIGN_KEY_ONLY: that key's target is on the path
            child = node.keys[head] = _Node()
        _add(child, relation.target, rest, (*path, relation.target))
    elif head in entity.columns and rest == ["*"]:
        node.dropped.add(head)  # the column becomes a relation that is none: dropped (observed)
    elif not rest:
        if head == "*":
            node.star = True
        elif head in entity.columns:
            node.keys.setdefault(head, None)
        # unknown column: ignored, as Medusa does
    # else: a path through something that is not a relation is ignored, as Medusa does


def _plan(node: _Node, entity_name: str, path: tuple[str, ...]) -> Plan:
    entity = ENTITIES[entity_name]
    relations = entity.relations
    if node.star:
        order = [
            k
            for k in entity.layout
            if k in entity.columns or (k in relations and relations[k].target not in path)
        ]
        order += [k for k in node.keys if k not in order and isinstance(node.keys[k], _Node)]
    else:
        scalars = [k for k in node.keys if k not in relations or node.keys[k] is _ID_OBJECT]
        linked = [k for k in node.keys if k in relations and node.keys[k] is not _ID_OBJECT]
        keys = [
            *scalars,
            "id",
            *(relations[k].foreign_key for k in linked),
            *(k for k in linked if node.keys[k] is not _FOREIGN_KEY_ONLY),
        ]
        order = list(dict.fromkeys(k for k in keys if k))  # first occurrence wins
    if node.dropped:
        order = [k for k in order if k not in node.dropped]
    rows: list[tuple[str, Getter, Plan | None, bool]] = []
    for key in order:
        relation = relations.get(key)
        if relation is None:
            rows.append((key, entity.columns[key], None, False))
        elif isinstance(child := node.keys.get(key), _Node):  # a selected relation has a node
            sub = _plan(child, relation.target, (*path, relation.target))
            rows.append((key, relation.get, sub, relation.many))
        else:
            # a slot `*` shows but nothing selected: {"id": <foreign key>}, even when the
            # row it points to is soft-deleted (observed)
            # (only many-to-one relations, which have a foreign key, have a slot in the layout)
            rows.append((key, _id_object(entity.columns[relation.foreign_key or "id"]), None, False))
    return tuple(rows)


def _id_object(foreign_key: Getter) -> Getter:
    def get(entity: Any) -> dict | None:
        value = foreign_key(entity)
        return None if value is None else {"id": value}

    return get


def render(entity: Any, plan: Plan) -> dict:
    out = {}
    for key, get, sub, many in plan:
        value = get(entity)
        if sub is not None and value is not None:
            value = [render(item, sub) for item in value] if many else render(value, sub)
        out[key] = value
    return out


class Projector:
    """``project``: an entity as a ``fields`` value selects it, through a renderer compiled
    once per distinct (entity, ``fields``) and kept by this object (one per mock), at most
    ``SIZE`` of them (then it starts afresh)."""

    SIZE = 1024

    def __init__(self) -> None:
        self._renderers: dict[tuple[str, str | None], Callable[[Any], dict]] = {}

    def renderer(self, entity_name: str, fields: str | None) -> Callable[[Any], dict]:
        """The function projecting an entity, or the ``MedusaError`` Medusa's query would
        end with for this ``fields`` (a read checks it before it reads anything)."""
        renderer = self._renderers.get((entity_name, fields))
        if renderer is None:
            renderer = _compile_renderer(compile_fields(entity_name, fields))
            if len(self._renderers) >= self.SIZE:
                self._renderers.clear()
            self._renderers[(entity_name, fields)] = renderer
        return renderer

    def project(self, entity_name: str, entity: Any, fields: str | None) -> dict:
        return self.renderer(entity_name, fields)(entity)


# ``render`` with the plan's loop unrolled: each plan becomes one function building its dict
# as a literal, keys in plan order, getters called in the same order as ``render`` calls
# them (a repeated key keeps its first place and last value in both). Keys are entity
# column and relation names (plain identifiers, ``repr``-quoted), so the source always
# compiles.


def _compile_renderer(plan: Plan) -> Callable[[Any], dict]:
    env: dict[str, Any] = {}
    items = []
    for i, (key, get, sub, many) in enumerate(plan):
        env[f"g{i}"] = get
        if sub is None:
            items.append(f"{key!r}: g{i}(e)")
            continue
        env[f"r{i}"] = _compile_renderer(sub)
        if many:
            items.append(f"{key!r}: None if (v{i} := g{i}(e)) is None else [r{i}(x) for x in v{i}]")
        else:
            items.append(f"{key!r}: None if (v{i} := g{i}(e)) is None else r{i}(v{i})")
    source = "def renderer(e):\n    return {" + ", ".join(items) + "}\n"
    try:
        exec(compile(source, "<fields plan>", "exec"), env)
    except (SyntaxError, ValueError):  # pragma: no cover - keys are plain strings
        return lambda entity: render(entity, plan)
    # Taken out of its own globals: no reference cycle, so an evicted renderer is freed by
    # its reference count alone. In a cycle it would wait for the collector, and the
    # serving process freezes what survives a collection (memory.py): never freed.
    return env.pop("renderer")
