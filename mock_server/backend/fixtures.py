"""Fixture files: YAML that says what state the mock starts in.

A fixture names only what matters (an amount, a currency, captures, refunds, the order
link); ids, timestamps, collections and sessions it leaves out are generated, and ids
are derived from the file and entry so every start (and every reset) gives the same
ones. A folder loads every ``*.yaml``/``*.yml``/``*.json`` in it, in name order.

A bad fixture raises ``FixtureError`` naming the file, the path inside it and the reason.
"""

from __future__ import annotations

import functools
import hashlib
import json
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, TypeVar

import jsonschema_rs
import msgspec

from .. import filecache

from . import ids, payments
from .models import ApiKey, Capture, PaymentProvider, Refund, RefundReason, User
from .money import add, to_decimal
from .store import Store

if TYPE_CHECKING:
    from yaml import YAMLError

# ULID time part of generated fixture ids: fixed, so ids are stable across starts.
_ID_EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)

_AMOUNT = {
    "anyOf": [{"type": "number", "exclusiveMinimum": 0}, {"type": "string", "pattern": r"^\d+(\.\d+)?$"}]
}
_MONEY_ITEM = {
    "anyOf": [
        _AMOUNT,
        {
            "type": "object",
            "required": ["amount"],
            "additionalProperties": False,
            "properties": {
                "amount": _AMOUNT,
                "id": {"type": "string"},
                "created_by": {"type": ["string", "null"]},
                "created_at": {"type": "string"},
                "note": {"type": ["string", "null"]},
                "refund_reason": {"type": "string"},
            },
        },
    ]
}
_TIMESTAMP = {"type": "string", "format": "date-time"}

SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "users": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["email", "password"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string"},
                    "email": {"type": "string"},
                    "password": {"type": "string"},
                    "first_name": {"type": ["string", "null"]},
                    "last_name": {"type": ["string", "null"]},
                },
            },
        },
        "api_keys": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["token"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string"},
                    "title": {"type": "string"},
                    "token": {"type": "string", "pattern": "^sk_"},
                },
            },
        },
        "payment_providers": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id"],
                "additionalProperties": False,
                "properties": {"id": {"type": "string"}, "is_enabled": {"type": "boolean"}},
            },
        },
        "refund_reasons": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["label", "code"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string"},
                    "label": {"type": "string"},
                    "code": {"type": "string"},
                    "description": {"type": ["string", "null"]},
                    "created_at": _TIMESTAMP,
                    "deleted": {"type": "boolean"},
                },
            },
        },
        "payments": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["amount"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string"},
                    "id": {"type": "string"},
                    "payment_collection_id": {"type": "string"},
                    "payment_session_id": {"type": "string"},
                    "amount": _AMOUNT,
                    "currency_code": {"type": "string", "pattern": "^[a-z]{3}$"},
                    "provider_id": {"type": "string"},
                    "created_at": _TIMESTAMP,
                    "order": {"type": "boolean"},
                    "order_id": {"type": "string"},
                    "canceled": {"type": "boolean"},
                    "captured": {"anyOf": [{"type": "boolean"}, _AMOUNT]},
                    "captures": {"type": "array", "items": _MONEY_ITEM},
                    "refunds": {"type": "array", "items": _MONEY_ITEM},
                    "metadata": {"type": ["object", "null"]},
                },
                "not": {"required": ["captured", "captures"]},
            },
        },
    },
}
# The schema compiled by jsonschema_rs: a valid document (the usual case) is passed in
# milliseconds, where the Python validator takes about a millisecond per payment. Only a
# document it refuses goes to the Python validator (``_python_validator``, imported then:
# jsonschema takes a fifth of start-up to import), whose errors give the path and reason.
_FAST_VALIDATOR = jsonschema_rs.Draft202012Validator(SCHEMA)


@functools.lru_cache(maxsize=None)
def _python_validator():
    from jsonschema import Draft202012Validator

    return Draft202012Validator(SCHEMA)


# Bounds on one fixture document (docs/threat-model.md). The demo fixtures are 3 kB; a state
# dump runs to about 700 bytes a payment. A document posted to /__mock/load (any local
# program or allowed page can send one) gets ``POSTED``; a file the developer names at
# start-up gets ``FILE``, large enough for a snapshot of a big backend or a payment with
# 100,000 refunds, and still bounded, so a mistaken path or an alias bomb stops start-up
# with a reason instead of filling the memory.
MAX_DEPTH = 64  # nested collections (a payment's metadata sits at depth 4)


class Limits(msgspec.Struct, frozen=True):
    bytes: int  # of the document
    nodes: int  # values, aliases counted at every use
    text: int  # characters of scalars, aliases counted at every use


POSTED = Limits(bytes=1024 * 1024, nodes=100_000, text=2 * 1024 * 1024)
FILE = Limits(bytes=64 * 1024 * 1024, nodes=10_000_000, text=128 * 1024 * 1024)
MAX_DOCUMENT_BYTES = POSTED.bytes
MAX_INT_CHARS = 100  # longer integers are refused before int() (sexagesimal ones are quadratic)
MAX_ECHO = 200  # characters of a reason echoed back (values quoted in it are cut)


class FixtureError(Exception):
    def __init__(self, file: Path | str, path: str, reason: str) -> None:
        path, reason = _cut(path), _cut(reason)  # never echo a document back at length
        super().__init__(f"{file}: at {path or '(top)'}: {reason}")
        self.file, self.path, self.reason = str(file), path, reason


def _cut(text: str) -> str:
    return text if len(text) <= MAX_ECHO else text[: MAX_ECHO - 1] + "…"


class FixtureFile(msgspec.Struct):
    path: Path
    data: dict


def yaml_error(exc: YAMLError) -> tuple[str, str]:
    """Where a YAML document is broken and why, as fixture and spec errors word it:
    (``"line L, column C"`` or ``""``, ``"not valid YAML: <problem>"``)."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    return where, f"not valid YAML: {getattr(exc, 'problem', None) or exc}"


def files_in(source: Path | str) -> list[Path]:
    source = Path(source)
    if source.is_dir():
        return sorted(p for p in source.iterdir() if p.suffix in (".yaml", ".yml", ".json") and p.is_file())
    if not source.exists():
        raise FixtureError(source, "", "no such file or folder")
    return [source]


def read(path: Path, limits: Limits = FILE) -> FixtureFile:
    """A fixture file from disk, within ``limits`` (``FILE``: the developer's own file)."""
    try:
        with open(path, "rb") as f:
            data = f.read(limits.bytes + 1)
    except OSError as exc:
        raise FixtureError(path, "", f"cannot read: {exc.strerror}") from None
    if len(data) > limits.bytes:
        raise FixtureError(path, "", f"larger than {limits.bytes} bytes")
    return parse(data, path, limits, keep=True)


def parse(
    text: str | bytes, path: Path | str = "<fixture>", limits: Limits = POSTED, keep: bool = False
) -> FixtureFile:
    """A fixture document (YAML or JSON), checked against ``SCHEMA``. Bounded by ``limits``
    (``POSTED`` unless said otherwise): at most ``limits.bytes`` (bytes are decoded as
    UTF-8), nesting ``MAX_DEPTH``, and ``limits.nodes`` values and ``limits.text``
    characters with every alias counted each time it is used, so a small document cannot
    stand for a huge one (an alias bomb). Only JSON
    values come out: no NaN or infinity, no binary, no sets, string keys only (unquoted
    timestamps stay the strings they were written as). ``keep``: a YAML document parsed
    here is kept in the parsed-file cache for the next start (``filecache``; only for the
    developer's own files, never for a posted document)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FixtureError(
                path, "", f"not valid UTF-8: byte 0x{exc.object[exc.start]:02x} at offset {exc.start}"
            ) from None
    if len(text) > limits.bytes and len(text.encode("utf-8", "surrogatepass")) > limits.bytes:
        raise FixtureError(path, "", f"larger than {limits.bytes} bytes")
    try:
        data = _load_json(text)
        if data is _NOT_JSON:
            data = _load_yaml(text, limits, keep)
    except YamlError as exc:
        raise FixtureError(path, exc.where, exc.reason) from None
    except TooLarge as exc:
        where = f"line {exc.mark.line + 1}, column {exc.mark.column + 1}" if exc.mark else ""
        raise FixtureError(path, where, exc.reason) from None
    data = {} if data is None else data
    problem = _not_json(data, limits)
    if problem is not None:
        raise FixtureError(path, _dotted(problem[0]), problem[1])
    try:
        valid = _FAST_VALIDATOR.is_valid(data)
    except Exception:  # a value jsonschema_rs cannot take (a very large integer): ask jsonschema
        valid = False
    errors = (
        []
        if valid
        else sorted(_python_validator().iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    )
    if errors:
        error = min(errors, key=lambda e: len(e.absolute_path))  # the outermost problem
        if error.validator in ("anyOf", "not") and error.context:
            error = max(error.context, key=lambda e: len(e.absolute_path))
        raise FixtureError(path, _dotted(error.absolute_path), _reason(error))
    return FixtureFile(Path(str(path)), data)


class TooLarge(Exception):
    def __init__(self, reason: str, mark) -> None:
        super().__init__(reason)
        self.reason, self.mark = reason, mark


class YamlError(Exception):
    """A YAML document that does not parse: where (``"line L, column C"`` or ``""``) and why,
    as ``yaml_error`` words them."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}" if where else reason)
        self.where, self.reason = where, reason


def _load_yaml(text: str, limits: Limits, keep: bool):
    """A YAML document (``yamlload``, which imports PyYAML), from the parsed-file cache when
    ``keep`` and a start before kept it under the same ``limits``."""

    def load(text: str):
        from . import yamlload

        return yamlload.load(text, limits)

    if not keep:
        return load(text)
    return filecache.parsed(text, load, kind="fixture", salt=repr(limits))


_NOT_JSON = object()


def _load_json(text: str):
    """A document in strict JSON (a state dump) by the json module, fifty times faster than
    YAML; ``_NOT_JSON`` for anything else (YAML, or JSON that YAML may still read or word the
    error for). ``parse`` then bounds it as it bounds YAML."""
    if text.lstrip()[:1] not in ("{", "["):
        return _NOT_JSON
    try:
        return json.loads(text, parse_constant=_no_constant)
    except ValueError:  # not JSON, NaN/Infinity, an integer over Python's digit limit
        return _NOT_JSON
    except RecursionError:
        raise TooLarge(f"nested deeper than {MAX_DEPTH} levels", None) from None


def _no_constant(name: str):
    raise ValueError(name)


def _not_json(data, limits: Limits) -> tuple[list, str] | None:
    """The first value that is not plain JSON, or the place a limit is crossed: (path,
    reason), or None. The walk follows aliases as often as they are used (``_compose`` has
    bounded that for YAML; for JSON this walk is the bound)."""
    stack: list[tuple[Any, list]] = [(data, [])]
    nodes = text = 0
    while stack:
        value, where = stack.pop()
        nodes += 1
        if nodes > limits.nodes:
            return where, f"more than {limits.nodes} values (aliases counted at every use)"
        if isinstance(value, str):
            text += len(value)
            if text > limits.text:
                return where, (f"more than {limits.text} characters of text (aliases counted at every use)")
            if not value.isascii() and not _encodable(value):
                return where, "a string with an unpaired surrogate is not valid text"
        elif isinstance(value, (dict, list)):
            if len(where) >= MAX_DEPTH:
                return where, f"nested deeper than {MAX_DEPTH} levels"
            if isinstance(value, list):
                stack.extend((value[i], [*where, i]) for i in reversed(range(len(value))))
                continue
            for key in reversed(list(value)):
                if not isinstance(key, str):
                    return where, f"a key must be a string, not {_describe(key)}"
                if not key.isascii() and not _encodable(key):
                    return where, "a key with an unpaired surrogate is not valid text"
                stack.append((value[key], [*where, key]))
        elif isinstance(value, float):
            if value != value or value in (float("inf"), float("-inf")):
                return where, f"{value} is not a JSON number"
        elif value is not None and not isinstance(value, int):
            return where, f"{_describe(value)} is not a JSON value"
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def _describe(value) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        bytes: "binary data",
        set: "a set",
        tuple: "a list",
    }.get(type(value), type(value).__name__)


def _reason(error) -> str:
    if error.validator == "not":
        return "give either `captured` or `captures`, not both"
    if error.validator == "additionalProperties":
        return error.message.replace("Additional properties are not allowed", "unknown key(s)")
    return error.message


def _dotted(path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def build(files: list[FixtureFile], at: datetime | None = None) -> Store:
    """A fresh store holding everything the fixture files describe."""
    store = Store()
    now = ids.iso(at or ids.now())
    for file in files:
        _Loader(store, file, now).load()
    if not store.providers:
        store.providers["pp_system_default"] = PaymentProvider("pp_system_default")
    return store


def load(source: Path | str) -> Store:
    return build([read(p) for p in files_in(source)])


class _Loader:
    def __init__(self, store: Store, file: FixtureFile, now: str) -> None:
        self.store, self.file, self.now = store, file, now
        self.counter = 0

    def fail(self, path: str, reason: str) -> None:
        raise FixtureError(self.file.path, path, reason)

    def id(self, prefix: str, given: str | None, seed: str) -> str:
        if given:
            return given
        self.counter += 1
        moment = _ID_EPOCH.timestamp() + self.counter / 1000
        digest = hashlib.sha256(f"{self.file.path.name}:{seed}".encode()).hexdigest()
        return ids.stable_id(prefix, digest, datetime.fromtimestamp(moment, timezone.utc))

    def unique(self, table: dict, key: str, path: str, what: str) -> None:
        if key in table:
            self.fail(path, f"duplicate {what} {key!r}")

    def load(self) -> None:
        data = self.file.data
        for provider in data.get("payment_providers", []):
            self.store.providers[provider["id"]] = PaymentProvider(
                provider["id"], provider.get("is_enabled", True)
            )
        for i, user in enumerate(data.get("users", [])):
            path = f"users[{i}]"
            if self.store.user_by_email(user["email"]):
                self.fail(path + ".email", f"duplicate email {user['email']!r}")
            user_id = self.id(ids.USER, user.get("id"), f"user:{user['email']}")
            self.unique(self.store.users, user_id, path + ".id", "user id")
            self.store.users[user_id] = User(
                id=user_id,
                email=user["email"],
                password=user["password"],
                auth_identity_id=self.id(ids.AUTH_IDENTITY, None, f"authid:{user['email']}"),
                first_name=user.get("first_name"),
                last_name=user.get("last_name"),
            )
        for i, key in enumerate(data.get("api_keys", [])):
            self.unique(self.store.api_keys, key["token"], f"api_keys[{i}].token", "token")
            self.store.api_keys[key["token"]] = ApiKey(
                id=self.id(ids.API_KEY, key.get("id"), f"apikey:{key['token']}"),
                token=key["token"],
                title=key.get("title", "Mock secret key"),
            )
        for i, reason in enumerate(data.get("refund_reasons", [])):
            reason_id = self.id(ids.REFUND_REASON, reason.get("id"), f"reason:{i}:{reason['code']}")
            self.unique(self.store.refund_reasons, reason_id, f"refund_reasons[{i}].id", "id")
            created = reason.get("created_at", self.now)
            self.store.refund_reasons[reason_id] = RefundReason(
                id=reason_id,
                label=reason["label"],
                code=reason["code"],
                description=reason.get("description"),
                created_at=created,
                updated_at=created,
                deleted_at=created if reason.get("deleted") else None,
            )
        for i, payment in enumerate(data.get("payments", [])):
            self.payment(payment, f"payments[{i}]", payment.get("name") or str(i))

    def payment(self, spec: dict, path: str, seed: str) -> None:
        store = self.store
        amount = to_decimal(spec["amount"])
        currency = spec.get("currency_code", "usd")
        created = spec.get("created_at", self.now)
        provider_id = spec.get("provider_id", "pp_system_default")
        if provider_id not in store.providers and provider_id != "pp_system_default":
            self.fail(path + ".provider_id", f"unknown payment provider {provider_id!r}")
        payment_id = self.id(ids.PAYMENT, spec.get("id"), f"pay:{seed}")
        self.unique(store.payments, payment_id, path + ".id", "payment id")
        order_id = spec.get("order_id")
        if order_id is None and spec.get("order", True):
            order_id = self.id(ids.ORDER, None, f"order:{seed}")
        payment = store.add_payment(
            amount=amount,
            currency_code=currency,
            created_at=created,
            provider_id=provider_id,
            payment_id=payment_id,
            collection_id=self.id(
                ids.PAYMENT_COLLECTION, spec.get("payment_collection_id"), f"paycol:{seed}"
            ),
            session_id=self.id(ids.PAYMENT_SESSION, spec.get("payment_session_id"), f"payses:{seed}"),
            order_id=order_id,
            canceled_at=created if spec.get("canceled") else None,
            metadata=spec.get("metadata"),
        )
        captured = spec.get("captured", False)
        captures = spec.get("captures") or (
            [] if captured is False else [amount if captured is True else captured]
        )
        for j, item in enumerate(captures):
            item = item if isinstance(item, dict) else {"amount": item}
            value = to_decimal(item["amount"])
            where = f"{path}.{'captures' if 'captures' in spec else 'captured'}"
            if payments.capture_exceeds(payment, value):  # the capture route's own rule
                self.fail(
                    where + (f"[{j}]" if "captures" in spec else ""),
                    f"captures total {add(payment.captured_total, value)} exceeds the payment amount {amount}",
                )
            store.add_capture(
                payment,
                value,
                created_by=item.get("created_by"),
                at=item.get("created_at", created),
                capture_id=self.id(ids.CAPTURE, item.get("id"), f"capt:{seed}:{j}"),
            )
        for j, item in enumerate(spec.get("refunds", [])):
            item = item if isinstance(item, dict) else {"amount": item}
            value = to_decimal(item["amount"])
            where = f"{path}.refunds[{j}]"
            if payments.refund_exceeds(payment, value):  # the refund route's own rule
                self.fail(
                    where,
                    f"refunds total {add(payment.refunded_total, value)} exceeds "
                    f"the captured amount {payment.captured_total}",
                )
            reason = None
            if item.get("refund_reason"):
                reason = self.reason(item["refund_reason"], where + ".refund_reason")
            store.add_refund(
                payment,
                value,
                reason=reason,
                note=item.get("note"),
                created_by=item.get("created_by"),
                at=item.get("created_at", created),
                refund_id=self.id(ids.REFUND, item.get("id"), f"ref:{seed}:{j}"),
            )

    def reason(self, ref: str, path: str) -> RefundReason:
        reasons = self.store.refund_reasons
        if ref in reasons:
            return reasons[ref]
        for reason in reasons.values():
            if reason.code == ref:
                return reason
        self.fail(path, f"no refund reason with id or code {ref!r} (define it under refund_reasons first)")
        raise AssertionError  # unreachable


Row = TypeVar("Row")
ROWS = 1000  # captures or refunds written in one step of ``snapshot``'s document (about 1 ms)


def _money(value: Decimal) -> int | float | str:
    return int(value) if value == value.to_integral_value() else str(value)


def _capture(c: Capture) -> dict:
    return {"id": c.id, "amount": _money(c.amount), "created_by": c.created_by, "created_at": c.created_at}


def _refund(r: Refund) -> dict:
    return {
        "id": r.id,
        "amount": _money(r.amount),
        "note": r.note,
        "created_by": r.created_by,
        "created_at": r.created_at,
        **({"refund_reason": r.refund_reason_id} if r.refund_reason_id else {}),
    }


def _rows(
    encode: Callable[[Any], bytes], items: list[Row], n: int, row: Callable[[Row], dict]
) -> Iterator[bytes]:
    """The first ``n`` of ``items`` as the inside of a JSON array, ``ROWS`` at a time."""
    for i in range(0, n, ROWS):
        yield (b"," if i else b"") + encode([row(x) for x in items[i : min(i + ROWS, n)]])[1:-1]


def snapshot(store: Store) -> Callable[[Callable[[Any], bytes]], Iterator[bytes]]:
    """The store as a fixture document with every id explicit (``load`` gives it back),
    in two steps. The call reads every value that can still change (the users, keys,
    providers, refund reasons, each payment's own fields) and how many captures and refunds
    each payment has. The generator it returns writes that as JSON with the ``encode`` it
    is given: its pieces joined are what ``encode`` gives for the whole document.

    Captures and refunds are rows that never change once written, and a payment's lists of
    them only grow, so the first ``n`` of a list stay the ones of the moment of the call.
    So the call's work grows with the payments, and the rows (a payment can hold 100,000)
    are read by the generator, a piece of at most ``ROWS`` of them at a time: the event
    loop can serve other requests between two pieces (control/routes.py)."""
    head = {
        "users": [{"id": u.id, "email": u.email, "password": u.password} for u in store.users.values()],
        "api_keys": [{"id": k.id, "title": k.title, "token": k.token} for k in store.api_keys.values()],
        "payment_providers": [{"id": p.id, "is_enabled": p.is_enabled} for p in store.providers.values()],
        "refund_reasons": [
            {
                "id": r.id,
                "label": r.label,
                "code": r.code,
                "description": r.description,
                "created_at": r.created_at,
                **({"deleted": True} if r.deleted_at else {}),
            }
            for r in store.refund_reasons.values()
        ],
        "payments": [],
    }
    payments = [
        (
            {
                "id": p.id,
                "payment_collection_id": p.collection.id,
                "payment_session_id": p.payment_session_id,
                "amount": _money(p.amount),
                "currency_code": p.currency_code,
                "provider_id": p.provider_id,
                "created_at": p.created_at,
                **({"order_id": p.collection.order_id} if p.collection.order_id else {"order": False}),
                **({"canceled": True} if p.canceled_at else {}),
            },
            p.captures,
            len(p.captures),
            p.refunds,
            len(p.refunds),
        )
        for p in store.payments.values()
    ]

    def document(encode: Callable[[Any], bytes]) -> Iterator[bytes]:
        text = encode(head)
        yield text[:-2]  # up to '"payments":[', and then each payment
        for k, (fields, captures, n_captures, refunds, n_refunds) in enumerate(payments):
            yield (b"," if k else b"") + encode(fields)[:-1] + b',"captures":['
            yield from _rows(encode, captures, n_captures, _capture)
            yield b'],"refunds":['
            yield from _rows(encode, refunds, n_refunds, _refund)
            yield b"]}"
        yield b"]}"

    return document
