"""Contract conformance: Schemathesis 4 against any backend that claims to be Medusa.

``mock-server contract --base-url URL`` runs ``schemathesis run`` (its own CLI, in a child
process) over ``specs/`` with ``schemathesis.toml``, logs in the way the backend expects,
gives the fuzzer ids that exist on that backend, writes a JUnit report and prints a short
summary of the failures grouped by check and operation. Exit status: 0 when every check
passed (or only failed in ways a ``--baseline`` file accepts), 1 when a check failed, 2
when the run could not be done (backend down, login refused, bad spec or config).

This module is also the Schemathesis hooks module named by ``schemathesis.toml``
(``hooks = "mock_server.tooling.contract"``): importing it registers ``before_load_schema``, which
turns the contract into its *conformance view* (see ``conformance_view``). The in-process
conformance tests (``tests/test_conformance.py``) load the same config, so both runs test
the same thing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, TextIO


from ..config import default_path
from .bundle import bundle_published, resolve_spec  # noqa: F401
from .client import Auth, ContractError, add_login_arguments, login, login_arguments_problem  # noqa: F401
from .report import Failure, Result, read_reports  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent.parent
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
    return (
        param.get("name") in UNSERIALISABLE_QUERY
        or param.get("style") == "deepObject"
        or schema.get("type") == "object"
    )  # the published spec's inline date filters


# Body strings the fuzzer draws non-empty: an empty `refund_reason_id` on a refund makes
# Medusa 2.21.2 answer 500 unknown_error (observed; the mock copies it, and `make diff` sends
# it to both). A quirk of the backend's lookup, like the NUL that `allow-x00 = false` keeps
# out, not something the contract can express; without this, whether a run fails would
# depend on whether the fuzzer happens to draw "" (the contract documents the 500, but
# not_a_server_error stays strict on this route).
NONEMPTY_BODY_STRINGS = {("/admin/payments/{id}/refund", "post"): ("refund_reason_id",)}


def conformance_view(document: dict) -> dict:
    """The contract as the fuzzer sees it: the query parameters above are left out and the
    body strings above drawn non-empty (each listed, with the reason, in schemathesis.toml).
    Works in place on a whole document (ours or the bundled published one); everything else
    is untouched."""
    for path, item in (document.get("paths") or {}).items():
        for method, op in (item or {}).items():
            if not isinstance(op, dict):
                continue
            if isinstance(op.get("parameters"), list):
                op["parameters"] = [p for p in op["parameters"] if not _skipped(p)]
            for name in NONEMPTY_BODY_STRINGS.get((path, method), ()):
                prop = (_body_schema(document, op).get("properties") or {}).get(name)
                if isinstance(prop, dict) and prop.get("type") == "string":
                    prop.setdefault("minLength", 1)
    return document


def _body_schema(document: dict, op: dict) -> dict:
    """The JSON body schema of an operation, a local ``$ref`` followed; {} when none."""
    schema = (((op.get("requestBody") or {}).get("content") or {}).get("application/json") or {}).get(
        "schema"
    ) or {}
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    if isinstance(ref, str) and ref.startswith("#/"):
        schema = document
        for part in ref[2:].split("/"):
            schema = schema.get(part, {}) if isinstance(schema, dict) else {}
    return schema if isinstance(schema, dict) else {}


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

    @schemathesis.hook
    def filter_query(context, query) -> bool:  # noqa: ARG001
        return accessible_query(query)

    _REGISTERED = True


def accessible_query(query: Any) -> bool:
    """No query key with two dots: Medusa's query middleware splits a key at its dots and
    answers one with more than one ``Key accessor more than 2 levels deep`` with a 500
    (observed on 2.21.2; the mock copies it, and ``make diff`` sends it to both). A quirk of
    the middleware the contract cannot express, like the NUL ``allow-x00 = false`` keeps
    out; the fuzzer's unexpected keys (``0..0``) would otherwise make a run fail by chance."""
    return not isinstance(query, dict) or not any(str(key).count(".") > 1 for key in query)


# Loaded as Schemathesis' hooks module (schemathesis.toml: hooks = "mock_server.tooling.contract"):
# Schemathesis is imported by then. The `mock-server` CLI imports this module without it.
if "schemathesis" in sys.modules:
    register_hooks()


# The login and the errors shared with snapshot and diff live in client.py.


def fetch_test_data(
    base_url: str, headers: dict[str, str], limit: int = 50, reasons: int = 5
) -> dict[str, list[str]]:
    """Ids for the fuzzer: the newest payments the backend holds (the freshest states to play
    with), and refund reasons made for this run (so the fuzzer updates and deletes its own,
    not the ones other clients rely on, like the three a Medusa install starts with)."""
    import httpx

    base = base_url.rstrip("/")
    data: dict[str, list[str]] = {"payment_ids": [], "refund_reason_ids": []}
    try:
        first = httpx.get(
            base + "/admin/payments", params={"fields": "id", "limit": 1}, headers=headers, timeout=30
        )
        if first.status_code != 200:
            return data  # no access: the fuzzer just generates ids
        offset = max(0, first.json().get("count", 0) - limit)
        page = httpx.get(
            base + "/admin/payments",
            params={"fields": "id", "limit": limit, "offset": offset},
            headers=headers,
            timeout=30,
        )
        data["payment_ids"] = [p["id"] for p in page.json().get("payments", []) if "id" in p]
        for n in range(reasons):
            made = httpx.post(
                base + "/admin/refund-reasons",
                headers=headers,
                timeout=30,
                json={
                    "label": f"Contract run {n + 1}",
                    "code": f"contract_{n + 1}",
                    "description": "made by mock-server contract for the fuzzer",
                },
            )
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
        lines += [
            "",
            "[auth.dynamic.openapi.jwt_token]",
            'path = "/auth/user/emailpass"',
            'payload = { email = "${CONTRACT_EMAIL}", password = "${CONTRACT_PASSWORD}" }',
            'extract_selector = "/token"',
        ]
    elif kind == "token":
        lines += ["", "[auth.openapi.jwt_token]", 'bearer = "${CONTRACT_TOKEN}"']
    elif kind == "api-key":
        lines += ["", "[auth.openapi.api_key]", 'username = "${CONTRACT_API_KEY}"', 'password = ""']
    for name, ops, param in (
        ("payment_ids", PAYMENT_ID_OPERATIONS, "path.id"),
        ("refund_reason_ids", REASON_ID_OPERATIONS, "path.id"),
    ):
        values = data.get(name) or []
        if not values:
            continue
        lines += ["", f"[dictionaries.{name}]", "values = " + json.dumps(values)]
        lines += [
            "",
            "[[operations]]",
            "include-operation-id = " + json.dumps(list(ops)),
            f'parameters = {{ "{param}" = {{ dictionary = "{name}", probability = {ID_PROBABILITY} }} }}',
        ]
    if data.get("refund_reason_ids"):
        lines += [
            "",
            "[[operations]]",
            'include-operation-id = "PostPaymentsIdRefund"',
            'parameters = { "body.refund_reason_id" = { dictionary = "refund_reason_ids", '
            f"probability = {ID_PROBABILITY} }} }}",
        ]
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


def run(
    base_url: str,
    *,
    auth: Auth | None = None,
    spec: Path | str = SPEC,
    config: Path | str = CONFIG,
    junit_xml: Path | str | None = None,
    max_examples: int = DEFAULT_MAX_EXAMPLES,
    seed: int = DEFAULT_SEED,
    baseline: Path | str | None = None,
    baseline_update: bool = False,
    phases: str | None = None,
    workdir: Path | str | None = None,
    test_data: bool = True,
    echo: bool = False,
    timeout: float | None = None,
    progress_stream: TextIO | None = None,
) -> Result:
    """Run the conformance checks against ``base_url``; never raises for check failures.
    With ``progress_stream``, where the run is goes there (``_run_watched``)."""
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
        cfg.write_text(
            Path(config).read_text() + "\n# ---- added by mock-server contract\n" + config_overlay(auth, data)
        )
        junit = Path(junit_xml).resolve() if junit_xml else workdir / "junit.xml"
        report_json = workdir / "report.json"
        ndjson = workdir / "events.ndjson"
        command = [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--config-file",
            str(cfg),
            "run",
            str(spec_file),
            "--url",
            base_url,
            "--max-examples",
            str(max_examples),
            "--seed",
            str(seed),
            "--no-color",
            "--report",
            "junit,json,ndjson",
            "--report-junit-path",
            str(junit),
            "--report-json-path",
            str(report_json),
            "--report-ndjson-path",
            str(ndjson),
        ]
        if baseline:
            command += ["--baseline", str(Path(baseline).resolve())]
            if baseline_update:
                command.append("--baseline-update")
        if phases:
            command += ["--phases", phases]
        env = {
            **os.environ,
            **auth_env(auth),
            "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
        }
        if progress_stream is not None and not echo:
            returncode, log = _run_watched(command, cwd, env, ndjson, spec_file, progress_stream, timeout)
        else:
            proc = subprocess.run(
                command, cwd=cwd, env=env, capture_output=not echo, text=True, timeout=timeout
            )
            returncode, log = proc.returncode, "" if echo else (proc.stdout + proc.stderr)
        result = read_reports(junit if junit.exists() else None, report_json, ndjson, returncode)
        result.log = log
        if returncode not in (0, 1) or (returncode == 1 and not result.failures and not report_json.exists()):
            result.exit_code = 2
            tail = "\n".join(log.strip().splitlines()[-15:])
            result.errors.append(f"schemathesis exited with {returncode}" + (f":\n{tail}" if tail else ""))
        return result
    except ContractError as exc:
        return Result(exit_code=2, errors=[str(exc)])
    finally:
        if own_tmp is not None:
            own_tmp.cleanup()


def operation_count(spec_file: Path) -> int:
    """How many operations the spec that Schemathesis runs holds (0 if it cannot be read)."""
    import yaml

    try:
        document = yaml.safe_load(Path(spec_file).read_text())
        return sum(
            1
            for item in (document.get("paths") or {}).values()
            for method in (item or {})
            if method in ("get", "put", "post", "delete", "options", "head", "patch", "trace")
        )
    except (OSError, yaml.YAMLError, AttributeError):
        return 0


def _run_watched(
    command: list[str],
    cwd: Path,
    env: dict,
    ndjson: Path,
    spec_file: Path,
    stream: TextIO,
    timeout: float | None,
) -> tuple[int, str]:
    """Schemathesis in a child process while its event stream (the NDJSON report, written
    and flushed event by event) is read as it grows: each phase (examples, coverage, fuzzing,
    stateful) is a stage, each operation it finishes a step, with the failed ones so far."""
    import time

    from .progress import Progress

    progress = Progress("contract", operation_count(spec_file), stream=stream, every=5)
    failures = done = 0
    position = 0
    pending = b""
    deadline = None if timeout is None else time.monotonic() + timeout
    with tempfile.TemporaryFile() as output:
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            while True:
                finished = proc.poll() is not None
                if ndjson.exists():
                    with open(ndjson, "rb") as handle:
                        handle.seek(position)
                        chunk = handle.read()
                    position += len(chunk)
                    pending += chunk
                    *lines, pending = pending.split(b"\n")
                    for line in lines:
                        kind, _, rest = line.partition(b":")
                        if kind == b'{"PhaseStarted"':
                            try:
                                phase = json.loads(line)["PhaseStarted"]["phase"]["name"]
                            except (ValueError, KeyError, TypeError):
                                continue
                            if phase in ("examples", "coverage", "fuzzing", "stateful"):
                                done = 0
                                progress.stage(f"phase {phase}")
                        elif kind == b'{"ScenarioFinished"':
                            try:
                                event = json.loads(line)["ScenarioFinished"]
                            except (ValueError, KeyError):
                                continue
                            done += 1
                            failures += event.get("status") == "failure"
                            label = (event.get("recorder") or {}).get("label") or "…"
                            progress.total = max(progress.total, done)
                            progress.update(done, f"{event.get('phase')}: {label}", failures, noun="failed")
                if finished:
                    break
                if deadline is not None and time.monotonic() > deadline:
                    raise subprocess.TimeoutExpired(command, timeout or 0)
                time.sleep(0.2)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            progress.finish()
        output.seek(0)
        return proc.returncode, output.read().decode("utf-8", "replace")


# ---- the CLI: `mock-server contract` ------------------------------------------------------


def add_arguments(parser) -> None:
    add_login_arguments(parser, "log in with email/password (POST /auth/user/emailpass)")
    parser.add_argument("--junit-xml", type=Path, help="write the JUnit report here")
    parser.add_argument(
        "--max-examples",
        type=int,
        default=DEFAULT_MAX_EXAMPLES,
        help=f"test cases per operation and phase (default {DEFAULT_MAX_EXAMPLES})",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--spec",
        type=Path,
        default=SPEC,
        help="OpenAPI file, a folder with one, or the published Medusa folder",
    )
    parser.add_argument("--config", type=Path, default=CONFIG, help="Schemathesis config (TOML)")
    parser.add_argument("--baseline", type=Path, help="Schemathesis baseline file of accepted failures")
    parser.add_argument(
        "--baseline-update",
        action="store_true",
        help="merge this run's failures into the --baseline file (then add reasons)",
    )
    parser.add_argument("--phases", help="comma-separated: examples,coverage,fuzzing,stateful")
    parser.add_argument(
        "--no-test-data",
        action="store_true",
        help="do not look up existing payment/refund-reason ids for the fuzzer",
    )
    parser.add_argument("--verbose", action="store_true", help="stream Schemathesis' own output")


def main(args) -> int:
    problem = login_arguments_problem(args)
    if problem:
        print(f"mock-server contract: {problem}", file=sys.stderr)
        return 2
    auth = Auth(email=args.email, password=args.password, token=args.token, api_key=args.api_key)
    result = run(
        args.base_url,
        auth=auth,
        spec=args.spec,
        config=args.config,
        junit_xml=args.junit_xml,
        max_examples=args.max_examples,
        seed=args.seed,
        baseline=args.baseline,
        baseline_update=args.baseline_update,
        phases=args.phases,
        test_data=not args.no_test_data,
        echo=args.verbose,
        progress_stream=None if args.verbose else sys.stderr,
    )
    if result.exit_code == 2 and result.log and not args.verbose:
        print(result.log, file=sys.stderr)
    print(result.summary())
    return result.exit_code
