"""Contract conformance: Schemathesis 4 against any backend that claims to be Medusa.

``mock-server contract --base-url URL`` runs ``schemathesis run`` (its own CLI, in a child
process) over ``specs/`` with ``schemathesis.toml``, logs in the way the backend expects,
gives the fuzzer ids that exist on that backend, writes a JUnit report and prints a short
summary of the failures grouped by check and operation. Exit status: 0 when every check
passed (or only failed in ways a ``--baseline`` file accepts), 1 when a check failed, 2
when the run could not be done (backend down, login refused, bad spec or config).

This module is also the Schemathesis hooks module named by ``schemathesis.toml``
(``hooks = "mock_server.contract"``): importing it registers ``before_load_schema``, which
turns the contract into its *conformance view* (see ``conformance_view``). The in-process
conformance tests (``tests/test_conformance.py``) load the same config, so both runs test
the same thing.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .config import default_path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = default_path("schemathesis.toml")
SPEC = default_path("specs")
DEFAULT_MAX_EXAMPLES = 25
DEFAULT_SEED = 20261126

# Operations whose `{id}` names a payment / a refund reason: the fuzzer draws these ids
# (with the probability below) from what the backend holds, so the rules behind the
# lookups are reached and not only the 404s.
PAYMENT_ID_OPERATIONS = ("GetPaymentsId", "PostPaymentsIdCapture", "PostPaymentsIdRefund")
REASON_ID_OPERATIONS = ("GetRefundReasonsId", "PostRefundReasonsId", "DeleteRefundReasonsId")
ID_PROBABILITY = 0.7


# ---- the conformance view (a Schemathesis hook) -------------------------------------------

# Query parameters left out of the fuzzing, each for a reason OpenAPI cannot express:
#  * `$and` / `$or`: arrays of objects that Medusa reads with qs bracket syntax
#    (`$or[0][id]=pay_1`); no OpenAPI query style serialises them, so Schemathesis would send
#    plain strings, which Medusa and the mock both rightly reject with 400.
#  * the date filters (`style: deepObject`, e.g. `created_at[$gt]=…`): Medusa hands every key
#    to qs (an empty or bracketed key turns the value into an array: `updated_at[]=x` → 400)
#    and every value to PostgreSQL unchecked (a schema-valid non-date string → 500 on
#    2.21.2); their `$in`/`$nin` arrays cannot be serialised as qs expects either.
# `make diff` sends these parameters, valid and invalid, to both backends instead.
UNSERIALISABLE_QUERY = ("$and", "$or")


def _skipped(param: Any) -> bool:
    if not (isinstance(param, dict) and param.get("in") == "query"):
        return False
    schema = param.get("schema") or {}
    return (param.get("name") in UNSERIALISABLE_QUERY or param.get("style") == "deepObject"
            or schema.get("type") == "object")  # the published spec's inline date filters


def conformance_view(document: dict) -> dict:
    """The contract as the fuzzer sees it: the query parameters above are left out (they are
    listed, with the reason, in schemathesis.toml). Works in place on a whole document (ours
    or the bundled published one); everything else is untouched."""
    for item in (document.get("paths") or {}).values():
        for op in (item or {}).values():
            if isinstance(op, dict) and isinstance(op.get("parameters"), list):
                op["parameters"] = [p for p in op["parameters"] if not _skipped(p)]
    return document


_REGISTERED = False


def register_hooks() -> None:
    """Register ``before_load_schema`` (the conformance view) with Schemathesis, once."""
    global _REGISTERED
    if _REGISTERED:
        return
    import schemathesis

    @schemathesis.hook
    def before_load_schema(context, raw_schema: dict) -> None:  # noqa: ARG001
        conformance_view(raw_schema)

    _REGISTERED = True


# Loaded as Schemathesis' hooks module (schemathesis.toml: hooks = "mock_server.contract"):
# Schemathesis is imported by then. The `mock-server` CLI imports this module without it.
if "schemathesis" in sys.modules:
    register_hooks()


# ---- specs: ours, or the published Medusa one bundled into one document -------------------

def resolve_spec(path: Path | str, workdir: Path) -> Path:
    """One OpenAPI file Schemathesis can load: a file as is; a folder with one spec file
    (like ``specs/``) that file; the published Medusa folder (``openapi.full.yaml`` plus
    ``paths/`` and ``components/``) bundled into ``workdir``."""
    path = Path(path)
    if path.is_dir():
        if (path / "openapi.full.yaml").exists() and (path / "paths").is_dir():
            bundled = workdir / "published-openapi.bundle.yaml"
            bundled.write_text(yaml.safe_dump(bundle_published(path), sort_keys=False,
                                              allow_unicode=True, width=100))
            return bundled
        files = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml", ".json"))
        if len(files) != 1:
            raise ContractError(f"{path}: expected one OpenAPI file, found {len(files)}")
        return files[0]
    if not path.exists():
        raise ContractError(f"{path}: no such spec")
    return path


def bundle_published(folder: Path | str) -> dict:
    """Bundle the published Medusa Admin OpenAPI folder (``vendor/medusa-oas``)
    into one self-contained document: only the paths whose files are present, every relative
    ``$ref`` turned into a ``#/components/...`` ref, ``x-codeSamples`` dropped. Nothing else is
    changed."""
    folder = Path(folder)
    root = yaml.safe_load((folder / "openapi.full.yaml").read_text())
    components: dict[str, dict] = defaultdict(dict)
    loaded: dict[Path, Any] = {}

    def load(file: Path) -> Any:
        file = file.resolve()
        if file not in loaded:
            loaded[file] = yaml.safe_load(file.read_text())
        return loaded[file]

    def inline(node: Any, base: Path) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#"):
                target = (base / ref).resolve()
                kind = target.parent.name  # schemas / responses / examples / ...
                name = target.stem
                if target.parent.parent.name == "components":
                    if name not in components[kind]:
                        components[kind][name] = {}  # placeholder against cycles
                        components[kind][name] = inline(load(target), target.parent)
                    return {"$ref": f"#/components/{kind}/{name}"}
                return inline(load(target), target.parent)
            return {k: inline(v, base) for k, v in node.items() if k != "x-codeSamples"}
        if isinstance(node, list):
            return [inline(v, base) for v in node]
        return node

    paths = {}
    for template, item in root["paths"].items():
        ref = (item or {}).get("$ref", "")
        file = (folder / ref) if ref else None
        if file is not None and file.exists():
            paths[template] = inline(load(file), file.parent)
    schemes = root.get("components", {}).get("securitySchemes", {})
    document = {
        "openapi": root["openapi"],
        "info": root["info"],
        "servers": root.get("servers", []),
        "paths": paths,
        "components": {"securitySchemes": schemes, **{k: dict(sorted(v.items()))
                                                      for k, v in sorted(components.items())}},
    }
    return document


# ---- running Schemathesis against a backend -----------------------------------------------

class ContractError(Exception):
    """The run could not be done (exit status 2)."""


@dataclass
class Auth:
    email: str | None = None
    password: str | None = None
    token: str | None = None
    api_key: str | None = None

    def kind(self) -> str:
        if self.token:
            return "token"
        if self.api_key:
            return "api-key"
        if self.email is not None or self.password is not None:
            return "login"
        return "none"

    def headers(self, base_url: str) -> dict[str, str]:
        """Headers that authenticate one of our own requests (used to look up test data)."""
        kind = self.kind()
        if kind == "token":
            return {"Authorization": f"Bearer {self.token}"}
        if kind == "api-key":
            return {"Authorization": "Basic " + base64.b64encode(f"{self.api_key}:".encode()).decode()}
        if kind == "login":
            return {"Authorization": f"Bearer {login(base_url, self.email or '', self.password or '')}"}
        return {}


def login(base_url: str, email: str, password: str) -> str:
    import httpx

    try:
        response = httpx.post(base_url.rstrip("/") + "/auth/user/emailpass",
                              json={"email": email, "password": password}, timeout=30)
    except httpx.HTTPError as exc:
        raise ContractError(f"cannot reach {base_url}: {exc}") from None
    if response.status_code != 200 or "token" not in response.text:
        raise ContractError(f"login as {email} refused: {response.status_code} {response.text[:200]}")
    return response.json()["token"]


def fetch_test_data(base_url: str, headers: dict[str, str], limit: int = 50,
                    reasons: int = 5) -> dict[str, list[str]]:
    """Ids for the fuzzer: the newest payments the backend holds (the freshest states to play
    with), and refund reasons made for this run (so the fuzzer updates and deletes its own,
    not the ones other clients rely on, like the three a Medusa install starts with)."""
    import httpx

    base = base_url.rstrip("/")
    data: dict[str, list[str]] = {"payment_ids": [], "refund_reason_ids": []}
    try:
        first = httpx.get(base + "/admin/payments", params={"fields": "id", "limit": 1},
                          headers=headers, timeout=30)
        if first.status_code != 200:
            return data  # no access: the fuzzer just generates ids
        offset = max(0, first.json().get("count", 0) - limit)
        page = httpx.get(base + "/admin/payments", params={"fields": "id", "limit": limit, "offset": offset},
                         headers=headers, timeout=30)
        data["payment_ids"] = [p["id"] for p in page.json().get("payments", []) if "id" in p]
        for n in range(reasons):
            made = httpx.post(base + "/admin/refund-reasons", headers=headers, timeout=30,
                              json={"label": f"Contract run {n + 1}", "code": f"contract_{n + 1}",
                                    "description": "made by mock-server contract for the fuzzer"})
            if made.status_code == 200:
                data["refund_reason_ids"].append(made.json()["refund_reason"]["id"])
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        raise ContractError(f"cannot read test data from {base_url}: {exc}") from None
    return data


def config_overlay(auth: Auth, data: dict[str, list[str]]) -> str:
    """TOML appended to schemathesis.toml for one run: how to authenticate, and which ids
    exist. Secrets stay in the environment (``${CONTRACT_*}``), never in the file."""
    lines: list[str] = []
    kind = auth.kind()
    if kind == "login":
        lines += ["", "[auth.dynamic.openapi.jwt_token]", 'path = "/auth/user/emailpass"',
                  'payload = { email = "${CONTRACT_EMAIL}", password = "${CONTRACT_PASSWORD}" }',
                  'extract_selector = "/token"']
    elif kind == "token":
        lines += ["", "[auth.openapi.jwt_token]", 'bearer = "${CONTRACT_TOKEN}"']
    elif kind == "api-key":
        lines += ["", "[auth.openapi.api_key]", 'username = "${CONTRACT_API_KEY}"', 'password = ""']
    for name, ops, param in (("payment_ids", PAYMENT_ID_OPERATIONS, "path.id"),
                             ("refund_reason_ids", REASON_ID_OPERATIONS, "path.id")):
        values = data.get(name) or []
        if not values:
            continue
        lines += ["", f"[dictionaries.{name}]", "values = " + json.dumps(values)]
        lines += ["", "[[operations]]", "include-operation-id = " + json.dumps(list(ops)),
                  f'parameters = {{ "{param}" = {{ dictionary = "{name}", probability = {ID_PROBABILITY} }} }}']
    if data.get("refund_reason_ids"):
        lines += ["", "[[operations]]", 'include-operation-id = "PostPaymentsIdRefund"',
                  'parameters = { "body.refund_reason_id" = { dictionary = "refund_reason_ids", '
                  f"probability = {ID_PROBABILITY} }} }}"]
    return "\n".join(lines) + "\n"


def auth_env(auth: Auth) -> dict[str, str]:
    env = {}
    if auth.email is not None:
        env["CONTRACT_EMAIL"] = auth.email
    if auth.password is not None:
        env["CONTRACT_PASSWORD"] = auth.password
    if auth.token:
        env["CONTRACT_TOKEN"] = auth.token
    if auth.api_key:
        env["CONTRACT_API_KEY"] = auth.api_key
    return env


@dataclass
class Failure:
    code: str
    title: str
    operation: str
    detail: str


@dataclass
class Result:
    exit_code: int
    operations_tested: int = 0
    test_cases: int = 0
    test_cases_with_failures: int = 0
    checks_run: int = 0
    checks_passed: int = 0
    failures: list[Failure] = field(default_factory=list)
    accepted: int = 0  # failures a baseline file accepted
    errors: list[str] = field(default_factory=list)
    junit: Path | None = None
    log: str = ""

    def grouped(self) -> dict[str, dict[str, int]]:
        groups: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for failure in self.failures:
            groups[f"{failure.code} {failure.title}"][failure.operation] += 1
        return {k: dict(v) for k, v in sorted(groups.items())}

    def summary(self) -> str:
        head = (f"contract: {self.operations_tested} operations, {self.test_cases} test cases, "
                f"{self.checks_run} checks run, {self.checks_passed} passed, "
                f"{self.checks_run - self.checks_passed} failed; {len(self.failures)} distinct failures")
        if self.accepted:
            head += f" (+{self.accepted} accepted by the baseline)"
        lines = [head]
        for group, operations in self.grouped().items():
            lines.append(f"  {group}")
            for operation, count in sorted(operations.items()):
                lines.append(f"    {operation}" + (f"  (x{count})" if count > 1 else ""))
        for error in self.errors:
            lines.append(f"  error: {error}")
        if self.junit:
            lines.append(f"  JUnit report: {self.junit}")
        lines.append("  result: " + {0: "PASS", 1: "FAIL"}.get(self.exit_code, "ERROR"))
        return "\n".join(lines)


def run(base_url: str, *, auth: Auth | None = None, spec: Path | str = SPEC,
        config: Path | str = CONFIG, junit_xml: Path | str | None = None,
        max_examples: int = DEFAULT_MAX_EXAMPLES, seed: int = DEFAULT_SEED,
        baseline: Path | str | None = None, baseline_update: bool = False,
        phases: str | None = None,
        workdir: Path | str | None = None, test_data: bool = True,
        echo: bool = False, timeout: float | None = None) -> Result:
    """Run the conformance checks against ``base_url``; never raises for check failures."""
    auth = auth or Auth()
    base_url = base_url.rstrip("/")
    own_tmp = None
    if workdir is None:
        own_tmp = tempfile.TemporaryDirectory(prefix="contract-")
        workdir = own_tmp.name
    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    # Schemathesis runs in the checkout (where `make contract-real` runs it), or, installed
    # from a wheel, in the work folder: every path it is given is absolute.
    cwd = ROOT if (ROOT / "schemathesis.toml").is_file() else workdir
    try:
        spec_file = resolve_spec(spec, workdir).resolve()
        headers = auth.headers(base_url)
        data = fetch_test_data(base_url, headers) if test_data else {}
        cfg = workdir / "schemathesis.toml"
        cfg.write_text(Path(config).read_text() + "\n# ---- added by mock-server contract\n"
                       + config_overlay(auth, data))
        junit = Path(junit_xml).resolve() if junit_xml else workdir / "junit.xml"
        report_json = workdir / "report.json"
        ndjson = workdir / "events.ndjson"
        command = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(cfg), "run",
                   str(spec_file), "--url", base_url, "--max-examples", str(max_examples),
                   "--seed", str(seed), "--no-color", "--report", "junit,json,ndjson",
                   "--report-junit-path", str(junit), "--report-json-path", str(report_json),
                   "--report-ndjson-path", str(ndjson)]
        if baseline:
            command += ["--baseline", str(Path(baseline).resolve())]
            if baseline_update:
                command.append("--baseline-update")
        if phases:
            command += ["--phases", phases]
        env = {**os.environ, **auth_env(auth), "PYTHONPATH": os.pathsep.join(
            [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
        proc = subprocess.run(command, cwd=cwd, env=env, capture_output=not echo, text=True,
                              timeout=timeout)
        log = "" if echo else (proc.stdout + proc.stderr)
        result = read_reports(junit if junit.exists() else None, report_json, ndjson,
                              proc.returncode)
        result.log = log
        if proc.returncode not in (0, 1) or (proc.returncode == 1 and not result.failures
                                             and not report_json.exists()):
            result.exit_code = 2
            tail = "\n".join(log.strip().splitlines()[-15:])
            result.errors.append(f"schemathesis exited with {proc.returncode}" + (f":\n{tail}" if tail else ""))
        return result
    except ContractError as exc:
        return Result(exit_code=2, errors=[str(exc)])
    finally:
        if own_tmp is not None:
            own_tmp.cleanup()


_CHECK_LINE = re.compile(r"^- (ST\d+) (.+?)\s*$", re.M)


def read_reports(junit: Path | None, report_json: Path, ndjson: Path, returncode: int) -> Result:
    result = Result(exit_code=0 if returncode == 0 else 1, junit=junit)
    if report_json.exists():
        report = json.loads(report_json.read_text())
        result.operations_tested = report.get("operations", {}).get("tested", 0)
        cases = report.get("test_cases", {})
        result.test_cases = cases.get("generated", 0)
        result.test_cases_with_failures = cases.get("with_failures", 0)
        result.errors += [json.dumps(e)[:300] for e in report.get("errors") or []]
        base = report.get("baseline") or {}
        result.accepted = int(base.get("accepted", 0) or base.get("known", 0) or 0) \
            if isinstance(base, dict) else 0
    if ndjson.exists():
        result.checks_run, result.checks_passed = _count_checks(ndjson)
    if junit is not None:
        for case in ET.parse(junit).getroot().iter("testcase"):
            operation = case.get("name", "?")
            for failure in case.findall("failure") + case.findall("error"):
                text = failure.text or ""
                found = _CHECK_LINE.findall(text)
                if not found:
                    found = [(failure.get("message") or "error", (text.strip().splitlines() or ["error"])[0])]
                for code, title in found:
                    title = re.sub(r"\s*\(\d+ \w+\)$", "", title)  # "… (2 violations)"
                    result.failures.append(Failure(code, title, operation, text))
    return result


def _count_checks(ndjson: Path) -> tuple[int, int]:
    """Checks run and passed, from the ``ndjson`` event stream (every check of every call)."""
    run = passed = 0
    for line in ndjson.read_text().splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        for checks in _find_checks(event):
            for check in checks:
                if not isinstance(check, dict) or "status" not in check:
                    continue
                run += 1
                passed += check.get("status") == "success"
    return run, passed


def _find_checks(node: Any):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "checks" and isinstance(value, list):
                yield value
            elif key == "checks" and isinstance(value, dict):
                yield [c for group in value.values() if isinstance(group, list) for c in group]
            else:
                yield from _find_checks(value)
    elif isinstance(node, list):
        for value in node:
            yield from _find_checks(value)


# ---- the CLI: `mock-server contract` ------------------------------------------------------

def add_login_arguments(parser, email_help: str) -> None:
    """--base-url and the three ways to log in, shared by `contract` and `snapshot`."""
    parser.add_argument("--base-url", required=True, help="the backend, e.g. http://127.0.0.1:9001")
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--email", help=email_help)
    who.add_argument("--token", help="a JWT for Authorization: Bearer")
    who.add_argument("--api-key", help="a secret API key (sk_…), sent with HTTP Basic")
    parser.add_argument("--password", help="password for --email")


def add_arguments(parser) -> None:
    add_login_arguments(parser, "log in with email/password (POST /auth/user/emailpass)")
    parser.add_argument("--junit-xml", type=Path, help="write the JUnit report here")
    parser.add_argument("--max-examples", type=int, default=DEFAULT_MAX_EXAMPLES,
                        help=f"test cases per operation and phase (default {DEFAULT_MAX_EXAMPLES})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--spec", type=Path, default=SPEC,
                        help="OpenAPI file, a folder with one, or the published Medusa folder")
    parser.add_argument("--config", type=Path, default=CONFIG, help="Schemathesis config (TOML)")
    parser.add_argument("--baseline", type=Path,
                        help="Schemathesis baseline file of accepted failures")
    parser.add_argument("--baseline-update", action="store_true",
                        help="merge this run's failures into the --baseline file (then add reasons)")
    parser.add_argument("--phases", help="comma-separated: examples,coverage,fuzzing,stateful")
    parser.add_argument("--no-test-data", action="store_true",
                        help="do not look up existing payment/refund-reason ids for the fuzzer")
    parser.add_argument("--verbose", action="store_true", help="stream Schemathesis' own output")


def main(args) -> int:
    if args.email is not None and args.password is None:
        print("mock-server contract: --email needs --password", file=sys.stderr)
        return 2
    auth = Auth(email=args.email, password=args.password, token=args.token, api_key=args.api_key)
    result = run(args.base_url, auth=auth, spec=args.spec, config=args.config,
                 junit_xml=args.junit_xml, max_examples=args.max_examples, seed=args.seed,
                 baseline=args.baseline, baseline_update=args.baseline_update,
                 phases=args.phases, test_data=not args.no_test_data,
                 echo=args.verbose)
    if result.exit_code == 2 and result.log and not args.verbose:
        print(result.log, file=sys.stderr)
    print(result.summary())
    return result.exit_code
