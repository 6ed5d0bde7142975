"""The contract: our OpenAPI 3.1 document, loaded and compiled once at start-up.

From ``specs/`` this builds the route table (method + path template → operation), one
body validator and one query validator per operation, and (on request) response
validators. Validation failures are worded as Medusa words them by
``backend.messages.validation_issues``, so the rest of the code never sees a jsonschema error.

A spec that cannot be loaded stops start-up with ``SpecError``: the file, the JSON
pointer inside it and what is wrong.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from urllib.parse import quote

import jsonschema_rs  # a fast yes/no in front of the Python validator (see SchemaCheck)
import msgspec

from ..backend.errors import INVALID_DATA, MedusaError
from ..backend.fixtures import YamlError, yaml_error
from ..backend.messages import Cut, invalid_request, validation_issues
from ..backend.money import js_double
from .parsing import js_parse_int
from .. import filecache

SPEC_URI = "urn:medusa-mock:spec"
HTTP_METHODS = ("get", "post", "put", "patch", "delete")


class SpecError(Exception):
    def __init__(self, file: Path | str, pointer: str, reason: str) -> None:
        super().__init__(f"{file}: at {pointer or '/'}: {reason}")
        self.file, self.pointer, self.reason = str(file), pointer, reason


@dataclass
class SchemaCheck:
    """A compiled JSON Schema plus what the message translator needs to order issues.

    ``fast`` is the same schema compiled by jsonschema_rs: it answers "valid?" in well
    under a microsecond, so a valid instance never reaches the Python validator. Only when
    it says no (or cannot take the instance) does ``validator`` run, and its errors, not
    jsonschema_rs's, become the messages; so the answer is always the Python validator's.
    The Python validator is built on first use (``python_validators``).
    """

    schema: dict
    registries: "Registries"
    property_order: tuple[str, ...]
    fast: Any = None  # jsonschema_rs validator, or None to use the Python one only
    # The messages for the last few invalid instances, by repr (for JSON values an equal
    # repr means an equal value: same types, same key order, floats round-trip), so a
    # client repeating a bad request does not pay for the Python validator each time.
    _rejected: dict = field(default_factory=dict, repr=False, compare=False)
    _validator: Any = field(default=None, repr=False, compare=False)

    @property
    def validator(self) -> Any:
        """The jsonschema (Python) validator of ``schema``, built the first time it is needed."""
        if self._validator is None:
            self._validator = python_validators().JsValidator(self.schema, registry=self.registries.python)
        return self._validator

    def issues(self, instance: Any) -> list[str]:
        fast = self.fast
        if fast is not None:
            try:
                if fast.is_valid(instance):
                    return []
            except Exception:  # an instance jsonschema_rs cannot take: ask the Python validator
                pass
            key = _cache_key(instance)
            known = self._rejected.get(key) if key is not None else None
            if known is not None:
                return list(known)
        instance = _shallow(instance)
        errors = list(self.validator.iter_errors(instance))
        if not errors:
            return []
        issues = validation_issues(errors, instance, self.property_order)
        if fast is not None and key is not None and len(key) <= 4096:
            if len(self._rejected) >= 64:
                self._rejected.clear()
            self._rejected[key] = tuple(issues)
        return issues

    def check(self, instance: Any, issues: list[str] | None = None) -> None:
        """``MedusaError`` for an invalid ``instance`` (``issues``: its ``issues``, if known)."""
        if issues is None:
            issues = self.issues(instance)
        if issues:
            raise MedusaError(INVALID_DATA, invalid_request(issues))


_DEPTH = 32  # deeper than any schema of the contract looks


def _shallow(instance: Any) -> Any:
    """``instance`` as the Python validator may see it: nothing below ``_DEPTH`` levels
    (its messages ``repr`` the instance, recursively). A list there becomes an empty
    ``Cut`` standing for it, an object ``{}``: the same type at every level a schema looks
    at, and the same ``js_string`` for Medusa's messages, worked out only if a message
    quotes it."""
    if not isinstance(instance, (list, dict)):
        return instance
    root: list = [None]
    todo = [(root, 0, instance, 0)]  # (parent, key, value, depth)
    while todo:
        parent, key, value, depth = todo.pop()
        if isinstance(value, list):
            if depth >= _DEPTH:
                copy: Any = Cut(value)
            else:  # scalars copied as they are; only containers are visited
                copy = list(value)
                todo.extend(
                    (copy, i, v, depth + 1) for i, v in enumerate(value) if isinstance(v, (list, dict))
                )
        else:
            if depth >= _DEPTH:
                copy = {}
            else:
                copy = dict(value)
                todo.extend((copy, k, v, depth + 1) for k, v in value.items() if isinstance(v, (list, dict)))
        parent[key] = copy
    return root[0]


def _cache_key(instance: Any) -> str | None:
    """``repr(instance)`` for a small, shallow instance; None for one that is not worth
    remembering (``repr`` recurses, and a 10,000-deep body would exceed Python's limit)."""
    count, todo = 0, [instance]
    while todo:
        item = todo.pop()
        count += 1
        if count > 256:
            return None
        if isinstance(item, dict):
            todo.extend(item.values())
        elif isinstance(item, list):
            todo.extend(item)
    return repr(instance)


class QueryParam(msgspec.Struct):
    name: str
    kind: str  # "integer", "number", "boolean" or "other": how a query string value is coerced


@dataclass
class Operation:
    operation_id: str
    method: str
    path: str
    security: list[str]  # scheme names accepted; empty = no auth
    body: SchemaCheck | None
    query: SchemaCheck
    query_params: dict[str, QueryParam]
    responses: dict[str, str] = field(default_factory=dict)  # status -> schema pointer
    query_validated: bool = True  # False: the query is ignored (`x-medusa-query-validated`)

    def coerce_query(self, query: dict) -> dict:
        """Query values arrive as strings; numbers and booleans are parsed the way
        Medusa's validators preprocess them, leaving what does not parse for the schema
        to reject with the original value in the message."""
        for name, value in query.items():
            param = self.query_params.get(name)
            if param is None or not isinstance(value, str):
                continue
            if param.kind in ("integer", "number"):
                number = js_parse_int(value)
                # NaN and Infinity stay the text, which the schema refuses, as Zod does
                if number is not None and not math.isinf(number):
                    # past 2^53 a JavaScript number is a double (`"limit":3.7e+28` on the wire)
                    query[name] = js_double(number) if isinstance(number, float) else number
            elif param.kind == "boolean" and value in ("true", "false"):
                query[name] = value == "true"
        return query


class Registries:
    """The spec document as a ref registry for each validator library: jsonschema_rs's built
    at once, the Python validator's (``referencing``) the first time one is needed."""

    def __init__(self, document: dict) -> None:
        self.document = document
        try:
            self.fast: Any = jsonschema_rs.Registry([(SPEC_URI, document)])
        except Exception:  # anything it cannot take: the Python validators do the work alone
            self.fast = None

    @functools.cached_property
    def python(self) -> Any:
        return python_validators().registry(self.document)


@dataclass
class Contract:
    file: Path
    document: dict
    operations: list[Operation]
    registries: Registries

    def operation(self, operation_id: str) -> Operation:
        for op in self.operations:
            if op.operation_id == operation_id:
                return op
        raise KeyError(operation_id)

    def response_check(self, op: Operation, status: int) -> SchemaCheck | None:
        pointer = op.responses.get(str(status))
        return _compile(pointer, self.registries, self.document) if pointer else None


def load(path: Path | str) -> Contract:
    path = Path(path)
    if path.is_dir():
        candidates = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml", ".json"))
        if len(candidates) != 1:
            raise SpecError(path, "", f"expected one OpenAPI file in the folder, found {len(candidates)}")
        path = candidates[0]
    try:
        document = filecache.parsed(path.read_text(), _parse_yaml)
    except OSError as exc:
        raise SpecError(path, "", f"cannot read: {exc.strerror}") from None
    except YamlError as exc:
        raise SpecError(path, exc.where, exc.reason) from None
    if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith("3.1"):
        raise SpecError(path, "/openapi", "not an OpenAPI 3.1 document")
    if not isinstance(document.get("paths"), dict):
        raise SpecError(path, "/paths", "missing or not a mapping")

    _check_refs(path, document, document)
    for name, schema in ((document.get("components") or {}).get("schemas") or {}).items():
        try:
            check_schema(schema)
        except SchemaProblem as exc:
            where = "/".join(map(str, exc.path))
            raise SpecError(
                path, f"/components/schemas/{name}/{where}".rstrip("/"), f"invalid schema: {exc.message}"
            ) from None
    registries = Registries(document)
    operations = []
    for template, item in document["paths"].items():
        for method in HTTP_METHODS:
            if method in (item or {}):
                pointer = f"/paths/{_escape(template)}/{method}"
                operations.append(
                    _operation(
                        path,
                        document,
                        registries,
                        template,
                        method,
                        item[method],
                        pointer,
                        item.get("parameters", []),
                    )
                )
    return Contract(path, document, operations, registries)


def _operation(file, document, registries, template, method, op, pointer, shared_params) -> Operation:
    if not op.get("operationId"):
        raise SpecError(file, pointer, "operation has no operationId")
    security = op.get("security", document.get("security", []))
    schemes = [name for requirement in security for name in requirement]

    body = None
    request_body = op.get("requestBody") or {}
    content = request_body.get("content", {})
    # `x-medusa-validated: false`: Medusa does not schema-check this body (the login handler
    # answers 401 itself), so neither do we.
    if "application/json" in content and request_body.get("x-medusa-validated", True):
        schema_pointer = f"{pointer}/requestBody/content/application~1json/schema"
        body = _compile(schema_pointer, registries, document, file)

    params: dict[str, QueryParam] = {}
    properties: dict[str, Any] = {}
    for param in [*shared_params, *op.get("parameters", [])]:
        param = _deref(document, param)
        if param.get("in") != "query":
            continue
        schema = param.get("schema", {})
        properties[param["name"]] = _absolute_refs(schema)
        params[param["name"]] = QueryParam(param["name"], _scalar_kind(document, schema))
    # `x-medusa-query-validated: false`: Medusa's route has no query validator (health, the
    # auth routes): any query is ignored, so neither checked nor split at its dots.
    validated = op.get("x-medusa-query-validated", True)
    query_schema = {"type": "object", "properties": properties, "additionalProperties": not validated}
    query = SchemaCheck(
        _checked(query_schema, file, pointer + "/parameters"),
        registries,
        tuple(properties),
        _fast_validator(query_schema, registries),
    )

    responses = {}
    for status, response in (op.get("responses") or {}).items():
        where = f"{pointer}/responses/{status}"
        while isinstance(response, dict) and isinstance(response.get("$ref"), str):
            where = response["$ref"][1:]
            response = _resolve_pointer(document, where)
        if "application/json" in response.get("content", {}):
            responses[str(status)] = f"{where}/content/application~1json/schema"

    return Operation(
        op["operationId"], method.upper(), template, schemes, body, query, params, responses, validated
    )


def _scalar_kind(document: dict, schema: Any) -> str:
    """How a query value is coerced: by the schema's type, or its union branches' one type."""
    schema = _deref(document, schema)
    kinds = (
        {schema.get("type")}
        if "type" in schema
        else {_deref(document, branch).get("type") for branch in schema.get("anyOf", [])}
    )
    if len(kinds) == 2 and "string" in kinds:  # a boolean or "true"/"false": read as a boolean
        kinds.discard("string")
    kind = kinds.pop() if len(kinds) == 1 else None
    return kind if kind in ("integer", "number", "boolean") else "other"


def _compile(pointer: str, registries: Registries, document: dict, file: Any = None) -> SchemaCheck:
    schema = _deref(document, _resolve_pointer(document, pointer))
    try:
        check_schema(schema)
    except SchemaProblem as exc:
        raise SpecError(file or "spec", pointer, f"invalid schema: {exc.message}") from None
    order = tuple((schema.get("properties") or {}).keys()) if isinstance(schema, dict) else ()
    return SchemaCheck(
        _checked({"$ref": f"{SPEC_URI}#{pointer}"}, file, pointer),
        registries,
        order,
        _fast_validator({"$ref": f"{SPEC_URI}#{quote(pointer, safe='/~')}"}, registries),
    )


def _parse_yaml(text: str) -> Any:
    """The spec's document; PyYAML is imported only here, when the cache does not have it.
    libyaml when PyYAML has it (as for fixtures): the pure-Python parser took most of start-up."""
    import yaml

    try:
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise YamlError(*yaml_error(exc)) from None


class SchemaProblem(Exception):
    """A schema that is not a valid JSON Schema: jsonschema's message and the path in it."""

    def __init__(self, message: str, path) -> None:
        super().__init__(message)
        self.message, self.path = message, list(path)


def check_schema(schema: Any) -> None:
    """``Draft202012Validator.check_schema`` (raising ``SchemaProblem`` with its message
    and path), with jsonschema_rs's metaschema check in front: a schema it finds valid is
    not checked again by the Python validator, which took a good part of start-up."""
    try:
        if jsonschema_rs.meta.is_valid(schema):
            return
    except Exception:  # a schema jsonschema_rs cannot take: the Python check decides
        pass
    jsonschema = python_validators().jsonschema
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.exceptions.SchemaError as exc:
        raise SchemaProblem(exc.message, exc.path) from None


def _checked(schema: dict, file: Any, pointer: str) -> dict:
    try:
        check_schema(schema)
    except SchemaProblem as exc:
        raise SpecError(file, pointer + "/" + "/".join(map(str, exc.path)), exc.message) from None
    return schema


class _PythonValidators:
    """jsonschema and referencing, imported once: they take about 120 ms to import (a fifth
    of `mock-server serve`'s start-up, attrs and the format checkers with them) and are only
    needed for an instance or a schema jsonschema_rs refuses, for the messages. `serve`
    imports them on a thread once it is serving (``warm``)."""

    def __init__(self) -> None:
        import jsonschema
        import jsonschema.exceptions
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        self.jsonschema = jsonschema
        base = jsonschema.Draft202012Validator
        is_type = base.TYPE_CHECKER.is_type

        def finite(checker, instance: Any) -> bool:
            # Zod (Medusa's validators) takes no Infinity for a number; JSON.parse gives
            # Infinity for a number beyond a double (1e400, 5,000 digits), and so does the
            # mock's parser.
            return is_type(instance, "number") and not (
                isinstance(instance, float) and not math.isfinite(instance)
            )

        def finite_integer(checker, instance: Any) -> bool:
            return finite(checker, instance) and is_type(instance, "integer")

        self.JsValidator = jsonschema.validators.extend(
            base, type_checker=base.TYPE_CHECKER.redefine_many({"number": finite, "integer": finite_integer})
        )
        self.registry = lambda document: Registry().with_resource(
            SPEC_URI, Resource.from_contents(document, DRAFT202012)
        )


@functools.cache  # the warm-up thread and the event loop may both build it once: harmless
def python_validators() -> _PythonValidators:
    return _PythonValidators()


def warm() -> None:
    """Import what the first invalid request will need (``mock-server serve`` runs this on
    a thread once it is serving, so no request waits for the import on the event loop)."""
    python_validators()


def _fast_validator(schema: dict, registries: Registries) -> Any:
    """The schema compiled by jsonschema_rs (formats not asserted, as in the Python
    validator), or None when it cannot take the document or the schema."""
    if registries.fast is None:
        return None
    try:
        return jsonschema_rs.Draft202012Validator(schema, registry=registries.fast, validate_formats=False)
    except Exception:
        return None


def _check_refs(file: Path, document: dict, node: Any, where: tuple | None = None) -> None:
    """Every ``$ref`` under ``node`` is local and resolves. ``where`` is the way to ``node``
    as (the parent's way, key) pairs; the pointer is written out only for a bad ref (one
    for each of the contract's 2,400 nodes was a third of this check's time at start-up)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            if not ref.startswith("#/"):
                raise SpecError(file, _pointer(where), f"$ref {ref!r}: only local refs are supported")
            try:
                _resolve_pointer(document, ref[1:])
            except (KeyError, IndexError, TypeError):
                raise SpecError(file, _pointer(where), f"$ref {ref!r} does not resolve") from None
        for key, value in node.items():
            if isinstance(value, (dict, list)):
                _check_refs(file, document, value, (where, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            if isinstance(value, (dict, list)):
                _check_refs(file, document, value, (where, index))


def _pointer(where: tuple | None) -> str:
    parts = []
    while where is not None:
        where, key = where
        parts.append(_escape(str(key)))
    return "".join(f"/{part}" for part in reversed(parts))


def _resolve_pointer(document: Any, pointer: str) -> Any:
    node = document
    for part in pointer.lstrip("/").split("/") if pointer.strip("/") else []:
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _absolute_refs(node: Any) -> Any:
    """A copy of a schema whose local refs point into the spec document, for schemas
    (like the per-operation query object) that are not themselves part of it."""
    if isinstance(node, dict):
        return {
            k: (
                f"{SPEC_URI}{v}"
                if k == "$ref" and isinstance(v, str) and v.startswith("#")
                else _absolute_refs(v)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_absolute_refs(v) for v in node]
    return node


def _deref(document: dict, node: Any) -> Any:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        node = _resolve_pointer(document, node["$ref"][1:])
    return node


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")
