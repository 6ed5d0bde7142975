"""``make diff``'s data: the scripted scenario and the allow-list of known differences.

Both are YAML files beside this module, shipped in the wheel:

* ``diff_scenario.yaml``: ``seed`` (what each seeded payment of ``scripts/real-backend.sh
  seed`` must still be for the scenario to mean anything) and ``steps`` (the requests, in
  order, sent to the mock and to the real backend alike);
* ``diff_allowlist.yaml``: differences the diff accepts, each with its reason.

A file that is not what the diff needs is refused at load with ``DataFileError``, which names
the file, the path inside it (``steps[12].auth``) and what is wrong, as a bad fixture is.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from ..backend.fixtures import yaml_error

SCENARIO_FILE = Path(__file__).with_name("diff_scenario.yaml")
ALLOW_FILE = Path(__file__).with_name("diff_allowlist.yaml")

# How a step authenticates (diff.Side.send): the login token, nothing, the session cookie, or
# one of three credentials Medusa refuses.
AUTH = ("bearer", "none", "cookie", "basic-bad", "bearer-bad", "bearer-sk")
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# What a seeded label's placeholder may name: {A} the payment, {A.col} its collection,
# {A.session} its session, {A.created} its creation time.
LABEL_PARTS = ("", "col", "session", "created")
PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.]+)\}")


class DataFileError(Exception):
    """A scenario or allow-list file the diff cannot use: where, and why."""

    def __init__(self, file: Path | str, path: str, reason: str) -> None:
        super().__init__(f"{file}: at {path or '(top)'}: {reason}")
        self.file, self.path, self.reason = str(file), path, reason


@dataclass
class Step:
    name: str
    method: str
    path: str  # {A}…{M}: seeded payment ids ({A.col}, {A.session}, {A.created}); {R1}: a saved
    # value; {reason}: a live refund reason; {since}: when this run's seed began
    body: Any = None  # JSON-encoded unless `raw`
    raw: bytes | None = None
    content_type: str | None = None
    auth: str = "bearer"  # one of AUTH
    headers: dict = field(default_factory=dict)
    save: dict = field(default_factory=dict)  # name -> JSON path in the body ("refund_reason.id")
    # Sees every payment of the backend: skipped when the snapshot had to leave some out.
    unscoped: bool = False


@dataclass
class Scenario:
    steps: list[Step]
    seed: dict[str, tuple[float, float]]  # label -> (captured, refunded) before the run


@dataclass
class KnownDifference:
    """An allow-list entry: shell-style patterns for the step name and for where the
    difference is (``status``, ``header vary``, ``body /payment/amount``, ``key order /``)."""

    step: str
    where: str
    reason: str


_TEXT = {"type": "string", "minLength": 1}
_STRINGS = {"type": "object", "propertyNames": {"type": "string"}, "additionalProperties": {"type": "string"}}
_AMOUNT = {"type": "number", "minimum": 0}

SCENARIO_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["seed", "steps"],
    "additionalProperties": False,
    "properties": {
        "seed": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_]*$"},
            "additionalProperties": {
                "type": "object",
                "required": ["captured", "refunded"],
                "additionalProperties": False,
                "properties": {"captured": _AMOUNT, "refunded": _AMOUNT},
            },
        },
        "steps": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["name", "method", "path"],
                "additionalProperties": False,
                "properties": {
                    "name": _TEXT,
                    "method": {"enum": list(METHODS)},
                    "path": {"type": "string", "pattern": "^/"},
                    "body": {},  # any JSON value: checked below
                    "raw": {"type": "string"},
                    "content_type": _TEXT,
                    "auth": {"enum": list(AUTH)},
                    "headers": _STRINGS,
                    "save": {
                        "type": "object",
                        "propertyNames": {"type": "string", "pattern": "^[A-Za-z0-9_]+$"},
                        "additionalProperties": _TEXT,
                    },
                    "unscoped": {"type": "boolean"},
                },
            },
        },
    },
}


@dataclass
class KnownGenerated:
    """An allow-list entry for the generated diff (``gendiff.py``): shell-style patterns for the
    route template (``POST /admin/payments/{id}/refund``) and for the real and the mock status
    (``"500"``, ``"4*"``), matched against a group of differences; ``where`` (default ``*``)
    narrows it to differences at one place (``body /message``)."""

    route: str
    real: str
    mock: str
    reason: str
    where: str = "*"


_STATUS = {"type": "string", "pattern": "^[0-9*?]{1,3}$"}

ALLOW_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {  # a `route` makes it a generated-diff entry (if/then: errors name the field)
        "if": {"type": "object", "required": ["route"]},
        "then": {
            "type": "object",
            "required": ["route", "real", "mock", "reason"],
            "additionalProperties": False,
            "properties": {
                "route": {"type": "string", "pattern": "^[A-Z*?]+ /"},
                "real": _STATUS,
                "mock": _STATUS,
                "where": _TEXT,
                "reason": _TEXT,
            },
        },
        "else": {
            "type": "object",
            "required": ["step", "where", "reason"],
            "additionalProperties": False,
            "properties": {"step": _TEXT, "where": _TEXT, "reason": _TEXT},
        },
    },
}


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataFileError(path, "", "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(path, "", f"cannot read it: {exc}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DataFileError(path, *yaml_error(exc)) from None


def _check(path: Path, data: Any, schema: dict) -> None:
    error = best_match(Draft202012Validator(schema).iter_errors(data))
    if error is not None:
        raise DataFileError(path, error.json_path.removeprefix("$").lstrip("."), error.message)


def load_scenario(path: Path = SCENARIO_FILE) -> Scenario:
    """The scenario in ``path``, checked: its shape, one name per step (the allow-list names
    steps), JSON bodies, and every ``{placeholder}`` naming a seeded label, a value an earlier
    step saved, ``{since}`` or ``{reason}``."""
    data = _read(path)
    _check(path, data, SCENARIO_SCHEMA)
    seed = {label: (state["captured"], state["refunded"]) for label, state in data["seed"].items()}
    steps: list[Step] = []
    names: dict[str, int] = {}
    saved: set[str] = set()
    for i, entry in enumerate(data["steps"]):
        where = f"steps[{i}]"
        if entry["name"] in names:
            raise DataFileError(
                path, f"{where}.name", f"{entry['name']!r} already names steps[{names[entry['name']]}]"
            )
        names[entry["name"]] = i
        if "body" in entry and "raw" in entry:
            raise DataFileError(path, where, "give either `body` or `raw`, not both")
        if "body" in entry:
            try:
                json.dumps(entry["body"], allow_nan=False)
            except (TypeError, ValueError) as exc:
                raise DataFileError(path, f"{where}.body", f"not a JSON value: {exc}") from None
        for part, value in (("path", entry["path"]), ("body", entry.get("body"))):
            for key in _placeholders(value):
                if not _resolvable(key, seed, saved):
                    raise DataFileError(
                        path,
                        f"{where}.{part}",
                        f"{{{key}}} names no seeded label ({', '.join(seed)}), no value saved by "
                        "an earlier step, nor {since} or {reason}",
                    )
        saved |= set(entry.get("save", {}))
        raw = entry.get("raw")
        steps.append(
            Step(
                name=entry["name"],
                method=entry["method"],
                path=entry["path"],
                body=entry.get("body"),
                raw=None if raw is None else raw.encode("utf-8"),
                content_type=entry.get("content_type"),
                auth=entry.get("auth", "bearer"),
                headers=dict(entry.get("headers", {})),
                save=dict(entry.get("save", {})),
                unscoped=entry.get("unscoped", False),
            )
        )
    return Scenario(steps, seed)


def _placeholders(value: Any):
    if isinstance(value, str):
        yield from PLACEHOLDER.findall(value)
    elif isinstance(value, list):
        for item in value:
            yield from _placeholders(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _placeholders(item)


def _resolvable(key: str, seed: dict, saved: set[str]) -> bool:
    if key in saved or key in ("since", "reason"):
        return True
    label, _, part = key.partition(".")
    return label in seed and part in LABEL_PARTS


def _allow_entries(path: Path) -> list[dict]:
    data = _read(path)
    data = [] if data is None else data
    _check(path, data, ALLOW_SCHEMA)
    return data


def load_allow(path: Path = ALLOW_FILE) -> list[KnownDifference]:
    """The scripted diff's entries of the allow-list in ``path``, checked (an empty file allows
    nothing)."""
    return [KnownDifference(e["step"], e["where"], e["reason"]) for e in _allow_entries(path) if "step" in e]


def load_allow_generated(path: Path = ALLOW_FILE) -> list[KnownGenerated]:
    """The generated diff's entries (``route``, ``real``, ``mock``) of the allow-list in ``path``."""
    return [
        KnownGenerated(e["route"], e["real"], e["mock"], e["reason"], e.get("where", "*"))
        for e in _allow_entries(path)
        if "route" in e
    ]
