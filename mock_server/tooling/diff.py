"""``make diff``: one scenario of requests against the mock and a real Medusa, side by side.

    python -m mock_server.tooling.diff --real http://127.0.0.1:9001 \\
        --seed realbackend/.state/seed.json [--scenario FILE] [--allow FILE]

1. Log in to the real backend and take a snapshot of it (``mock_server.tooling.snapshot``): every
   payment (ids, amounts, captures, refunds, order links) and refund reason.
2. Start the mock on a free loopback port with that snapshot as its fixtures and the real
   backend's CORS origins, so both start from the same state with the same ids.
3. Send the same scenario to both (``diff_scenario.yaml`` beside this module, loaded by
   ``scenario.py``): every refund and capture outcome on the seeded payments (labels A…M of
   ``seed.json``), validation errors, auth failures, the cookie session, ``fields`` variants,
   lists and their query parameters, refund-reason CRUD, CORS, unknown routes.
4. Compare each pair of responses after normalising what cannot be equal: ids created during
   the run (``ref_…``, ``capt_…``, new ``refr_…``, ``authid_…`` → ``<new ref>``; snapshot ids
   stay as they are), timestamps, the JWT (claims compared, values
   normalised), the session cookie's value and expiry. Compared: the status; the headers that
   matter (Content-Type, Vary, Access-Control-*, X-Powered-By, Set-Cookie shape, the HTML 404's
   CSP and nosniff, Content-Length, and ETag — its length part and that it is the hash of its
   own body); the body (values *and* key order; relation arrays at any depth, whose order Medusa does not
   guarantee, are compared as multisets; list pages keep their order).
5. Print every difference; exit 0 when each one is in the allow-list (``diff_allowlist.yaml``
   beside this module: step, where, reason), 1 otherwise, 2 when the run could not be done
   (a scenario or allow-list file that is not valid among the reasons).

The seeded payments are used up by the scenario (refunds are permanent), so each run needs a
fresh seed (``scripts/real-backend.sh seed``; ``make diff`` does it).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..extras import missing_hint
from ..web.responses import etag as etag_of
from . import snapshot
from .client import ContractError, jwt_claims, login
from .process import MockProcess, MockProcessError
from .scenario import (
    ALLOW_FILE,
    SCENARIO_FILE,
    DataFileError,
    KnownDifference,
    Scenario,
    Step,
    load_allow,
    load_scenario,
)

ROOT = Path(__file__).resolve().parent.parent.parent
SEED = ROOT / "realbackend" / ".state" / "seed.json"
ADMIN = {"email": "admin@example.com", "password": "supersecret"}
# realbackend/medusa-config.ts's defaults for adminCors / authCors
REAL_CORS = os.environ.get(
    "REAL_CORS", "http://localhost:5173,http://localhost:9000,https://docs.medusajs.com,http://127.0.0.1:5173"
)

HEADERS = (
    "content-type",
    "vary",
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "x-powered-by",
    "content-security-policy",
    "x-content-type-options",
    "content-length",
)


# ---- normalisation ------------------------------------------------------------------------

ULID_ID = re.compile(r"\b([a-z]+(?:_[a-z]+)?)_([0-9A-HJKMNP-TV-Z]{26})\b")
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
HTTP_DATE = re.compile(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT")
JWT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")


class Normaliser:
    """Ids the snapshot holds stay as they are (both sides have them); any other id (created
    during the run, so different on each side) becomes `<new prefix>`. Timestamps become
    `<timestamp>`, a JWT `{"<jwt claims>": {…}}`.

    Relation arrays (an array of objects inside an entity, at any depth: `captures`, `refunds`,
    `payment_collection.payments`, `payment_collection.payment_providers`, …) are compared as
    multisets: PostgreSQL returns relation rows in no guaranteed order (docs/medusa-behaviour.md
    §6), so each such array is sorted on its whole normalised content, snapshot ids included.
    Two arrays holding the same items therefore normalise alike whatever their order, and items
    equal but for their id cannot tie on an order the backend happened to answer. A list page
    (an array directly in the response's top-level object: `payments`, `refund_reasons`,
    `payment_providers`) keeps its order: with `order=` it is what was asked for, and without
    it Medusa orders by the primary key (`applyDefaultOrdering` in its internal service, the
    same `id` order the mock uses), so both are part of the contract. `metadata` is user data,
    stored as given, and keeps its order too."""

    def __init__(self, known: set[str]) -> None:
        self.known = known

    def value(self, node: Any) -> Any:
        return _sort_relations(_renumber(self._mask(node), lambda m: f"<new {m.group(1)}>"))

    def text(self, value: str) -> str:
        return _renumber(self._mask(value), lambda m: f"<new {m.group(1)}>")

    def _mask(self, node: Any) -> Any:
        if isinstance(node, str):
            if ISO.match(node):
                return "<timestamp>"
            if JWT.match(node) and node.startswith("eyJ"):
                return {"<jwt claims>": self._mask(jwt_claims(node))}
            return ULID_ID.sub(
                lambda m: m.group(0) if m.group(0) in self.known else f"\x00{m.group(1)}\x00{m.group(0)}\x00",
                node,
            )
        if isinstance(node, list):
            return [self._mask(v) for v in node]
        if isinstance(node, dict):
            if isinstance(node.get("iat"), int) and isinstance(node.get("exp"), int):
                node = _relative_times(node)  # JWT claims (POST /auth/session answers them too)
            return {k: self._mask(v) for k, v in node.items()}
        return node


def _sort_relations(node: Any, depth: int = 0) -> Any:
    """Sort every relation array below the top-level object on its items' whole content
    (see ``Normaliser``); ``depth`` is how many objects enclose ``node``."""
    if isinstance(node, dict):
        return {k: v if k == "metadata" else _sort_relations(v, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        items = [_sort_relations(v, depth) for v in node]
        if depth >= 2 and items and all(isinstance(v, dict) for v in items):
            items.sort(key=lambda v: json.dumps(v, sort_keys=True))
        return items
    return node


_NEW = re.compile("\x00([a-z_]+)\x00([^\x00]+)\x00")


def _renumber(node: Any, number: Callable[[re.Match], str]) -> Any:
    if isinstance(node, str):
        return _NEW.sub(number, node)
    if isinstance(node, list):
        return [_renumber(v, number) for v in node]
    if isinstance(node, dict):
        return {k: _renumber(v, number) for k, v in node.items()}
    return node


def _relative_times(claims: dict) -> dict:
    """`iat` depends on the second the token was made; keep only the lifetime."""
    return {
        k: ("<iat>" if k == "iat" else f"iat+{claims['exp'] - claims['iat']}" if k == "exp" else v)
        for k, v in claims.items()
    }


def key_orders(node: Any, path: str = "") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if isinstance(node, dict):
        out[path or "/"] = list(node)
        for k, v in node.items():
            out.update(key_orders(v, f"{path}/{k}"))
    elif isinstance(node, list):
        for v in node[:1]:  # the first item stands for the array's shape
            out.update(key_orders(v, f"{path}/[]"))
    return out


def cookie_shape(value: str) -> str:
    value = HTTP_DATE.sub("<date>", value)
    return re.sub(r"^(connect\.sid=)[^;]+", r"\1<value>", value)


# ---- running ----------------------------------------------------------------------------------


@dataclass
class Answer:
    """One side's answer to a step, as it came over the wire."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k.lower() == name]
        return ", ".join(values) if values else None


class Side:
    """One of the two backends: its client, its normaliser, its login and what a run saved."""

    def __init__(self, name: str, base_url: str, known: set[str]) -> None:
        import httpx

        self.name = name
        self.base_url = base_url.rstrip("/")
        self.client = httpx.Client(base_url=self.base_url, timeout=60)
        self.norm = Normaliser(known)
        self.vars: dict[str, str] = {}
        self.token = ""
        self.cookie = ""

    def login(self, email: str = ADMIN["email"], password: str = ADMIN["password"]) -> None:
        try:
            self.token = login(self.base_url, email, password)
        except ContractError as exc:
            raise DiffError(f"{self.name}: {exc}") from None

    def send_raw(self, method: str, path: str, headers: dict, content: bytes | None) -> Answer:
        """``path`` (query included) as it is, once more on a connection the server closed."""
        import httpx

        try:
            response = self.client.request(method, path, content=content, headers=headers)
        except (httpx.ReadError, httpx.RemoteProtocolError):
            # a server that closed the kept-alive connection after a crash: once more, afresh
            response = self.client.request(method, path, content=content, headers=headers)
        return Answer(response.status_code, list(response.headers.multi_items()), response.content)

    def send(self, step: Step, path: str, body: Any) -> Answer:
        headers = dict(step.headers)
        if step.auth == "bearer":
            headers["Authorization"] = f"Bearer {self.token}"
        elif step.auth == "bearer-bad":
            headers["Authorization"] = "Bearer not.a.jwt"
        elif step.auth == "bearer-sk":
            headers["Authorization"] = "Bearer sk_0123456789abcdef"
        elif step.auth == "basic-bad":
            headers["Authorization"] = "Basic Zm9vOmJhcg=="
        elif step.auth == "cookie" and self.cookie:
            headers["Cookie"] = f"connect.sid={self.cookie}"
        content = None
        if step.raw is not None:
            content = step.raw
        elif step.body is not None:
            content = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        if step.content_type:
            headers["Content-Type"] = step.content_type
        answer = self.send_raw(step.method, path, headers, content)
        cookie = answer.header("set-cookie")
        if cookie and cookie.startswith("connect.sid="):
            self.cookie = cookie.split(";")[0].split("=", 1)[1]
        return answer


class DiffError(Exception):
    pass


def fill(template: Any, side: Side, seed: dict) -> Any:
    if isinstance(template, str):

        def one(match: re.Match) -> str:
            key = match.group(1)
            if key in side.vars:
                return side.vars[key]
            if key == "since":
                return seed["A"]["created_at"]
            if key == "reason":  # a live refund reason of the snapshot
                return seed["_reason"]
            label, _, part = key.partition(".")
            entry = seed[label]
            return entry[
                {
                    "": "payment_id",
                    "col": "payment_collection_id",
                    "session": "payment_session_id",
                    "created": "created_at",
                }[part]
            ]

        return re.sub(r"\{([A-Za-z0-9_.]+)\}", one, template)
    if isinstance(template, list):
        return [fill(v, side, seed) for v in template]
    if isinstance(template, dict):
        return {k: fill(v, side, seed) for k, v in template.items()}
    return template


@dataclass
class Difference:
    step: str
    where: str
    mock: Any
    real: Any
    allowed: str | None = None

    def __str__(self) -> str:
        mark = f"  (allowed: {self.allowed})" if self.allowed else ""
        return f"    {self.where}: mock={_short(self.mock)} real={_short(self.real)}{mark}"


def _short(value: Any, limit: int = 300) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + "…"


def compare(
    step: str, mock: Answer, real: Answer, mside: Side, rside: Side, *, head: bool = False
) -> list[Difference]:
    """``head``: answers to HEAD, whose ETag is that of the GET body not sent (its length part is
    still compared, through Content-Length)."""
    diffs: list[Difference] = []
    if mock.status != real.status:
        diffs.append(Difference(step, "status", mock.status, real.status))
    for name in HEADERS:
        a, b = mock.header(name), real.header(name)
        if a != b:
            diffs.append(Difference(step, f"header {name}", a, b))
    a, b = mock.header("set-cookie"), real.header("set-cookie")
    if (a and cookie_shape(a)) != (b and cookie_shape(b)):
        diffs.append(
            Difference(step, "header set-cookie (shape)", a and cookie_shape(a), b and cookie_shape(b))
        )
    for answer, side in ((mock, "mock"), (real, "real")):
        etag = answer.header("etag")
        if etag and not head and etag != etag_of(answer.body):
            diffs.append(
                Difference(
                    step,
                    f"header etag ({side}: not the hash of its body)",
                    etag if side == "mock" else None,
                    etag if side == "real" else None,
                )
            )
    if (mock.header("etag") is None) != (real.header("etag") is None):
        diffs.append(Difference(step, "header etag (present)", mock.header("etag"), real.header("etag")))
    diffs += compare_bodies(step, mock, real, mside, rside)
    return diffs


def compare_bodies(step: str, mock: Answer, real: Answer, mside: Side, rside: Side) -> list[Difference]:
    try:
        a, b = json.loads(mock.body), json.loads(real.body)
    except ValueError:
        ta, tb = (
            mside.norm.text(mock.body.decode("utf-8", "replace")),
            rside.norm.text(real.body.decode("utf-8", "replace")),
        )
        return [] if ta == tb else [Difference(step, "body (text)", ta, tb)]
    na, nb = mside.norm.value(a), rside.norm.value(b)
    diffs = [Difference(step, f"body {path}", x, y) for path, x, y in _walk(na, nb, "")]
    if not diffs:
        oa, ob = key_orders(na), key_orders(nb)
        for path in sorted(set(oa) | set(ob)):
            if oa.get(path) != ob.get(path):
                diffs.append(Difference(step, f"key order {path}", oa.get(path), ob.get(path)))
    return diffs


def _walk(a: Any, b: Any, path: str):
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            if key not in b:
                yield f"{path}/{key}", a[key], "<absent>"
            elif key not in a:
                yield f"{path}/{key}", "<absent>", b[key]
            else:
                yield from _walk(a[key], b[key], f"{path}/{key}")
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            yield f"{path} (length)", len(a), len(b)
        for i, (x, y) in enumerate(zip(a, b, strict=False)):  # lengths: above
            yield from _walk(x, y, f"{path}/{i}")
    elif (
        a != b or type(a) is not type(b) and not (isinstance(a, (int, float)) and isinstance(b, (int, float)))
    ):
        yield path or "/", a, b


def _get(node: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        node = node[part]
    return node


# ---- allow-list --------------------------------------------------------------------------------


def allowed(diff: Difference, allow: list[KnownDifference]) -> str | None:
    for entry in allow:
        if fnmatch.fnmatchcase(diff.step, entry.step) and fnmatch.fnmatchcase(diff.where, entry.where):
            return entry.reason
    return None


# ---- the mock process -----------------------------------------------------------------------

# How long the mock may take to answer /health: it loads the whole snapshot, and CI machines
# under load (a load average of 15 on two cores was seen) can need far more than the default.
START_TIMEOUT = float(os.environ.get("DIFF_MOCK_START_TIMEOUT", "180"))


def start_mock(fixture: Path) -> MockProcess:
    """The mock on a free port, from ``fixture``, with the real server's CORS lists and secrets."""
    try:
        return MockProcess(
            "--fixtures",
            str(fixture),
            "--admin-cors",
            REAL_CORS,
            "--auth-cors",
            REAL_CORS,
            timeout=START_TIMEOUT,
            env={"JWT_SECRET": "supersecret", "COOKIE_SECRET": "supersecret"},
        )
    except MockProcessError as exc:
        raise DiffError(str(exc)) from None


# ---- main ---------------------------------------------------------------------------------------


@dataclass
class Outcome:
    steps: int = 0
    skipped: int = 0
    requests: int = 0
    differences: list[Difference] = field(default_factory=list)

    @property
    def unexplained(self) -> list[Difference]:
        return [d for d in self.differences if not d.allowed]


def check_seed(seed: dict, document: dict, expected: dict[str, tuple[float, float]]) -> list[str]:
    """Labels whose payment is no longer in its seeded state (or missing)."""
    payments = {p["id"]: p for p in document["payments"]}
    stale = []
    for label, (captured, refunded) in expected.items():
        entry = seed.get(label)
        payment = payments.get((entry or {}).get("payment_id"))
        if payment is None:
            stale.append(f"{label}: missing")
            continue
        got = (
            sum(float(c["amount"]) for c in payment["captures"]),
            sum(float(r["amount"]) for r in payment["refunds"]),
        )
        if got != (captured, refunded):
            stale.append(f"{label}: captured/refunded {got}, expected {(captured, refunded)}")
    return stale


@dataclass
class Rig:
    """Both sides of a run: the real backend, and the mock started (on a free loopback port)
    from a snapshot of it, both logged in. Shared by the scripted and the generated diff."""

    real_url: str
    document: dict
    dropped: list[tuple[str, str]]
    known: set[str]
    fixture: Path
    mock: MockProcess
    mside: Side
    rside: Side
    keep_fixture: bool = False

    def payments_now(self) -> Any:
        """How many payments the real backend holds now."""
        return (
            self.rside.client.get(
                "/admin/payments",
                params={"fields": "id", "limit": 1},
                headers={"Authorization": f"Bearer {self.rside.token}"},
            )
            .json()
            .get("count")
        )

    def check_unchanged(self) -> None:
        """Raise when the real backend gained or lost payments since the snapshot: some other
        client wrote to it during the run, so its answers are not comparable."""
        after = self.payments_now()
        if after != len(self.document["payments"]) + len(self.dropped):
            raise DiffError(
                f"the real backend changed during the run ({len(self.document['payments'])} payments "
                f"in the snapshot, {after} now): another client is writing to it; run again"
            )

    def close(self, out=sys.stdout) -> None:
        for side in (self.mside, self.rside):
            side.client.close()
        self.mock.stop()
        if "Traceback" in self.mock.output() or "ERROR" in self.mock.output():
            print("--- mock log ---\n" + self.mock.output()[-3000:], file=out)
        if not self.keep_fixture:
            self.fixture.unlink(missing_ok=True)


def open_rig(
    real_url: str,
    document: dict,
    notes: list[str],
    *,
    email: str = ADMIN["email"],
    password: str = ADMIN["password"],
    keep_fixture: Path | None = None,
) -> Rig:
    """The mock from ``document`` (a snapshot of ``real_url``, ``snapshot.take_as``), both sides
    logged in as ``email``."""
    document, dropped = snapshot.loadable(document)
    notes = list(notes)
    for payment_id, reason in dropped:
        notes.append(f"left out {payment_id}: the mock's fixture loader refuses it ({reason})")
    fixture = keep_fixture or Path(tempfile.mkstemp(prefix="diff-fixture-", suffix=".yaml")[1])
    fixture.write_text(snapshot.render(document, real_url, notes))
    known = {p["id"] for p in document["payments"]} | {r["id"] for r in document["refund_reasons"]}
    for p in document["payments"]:
        known |= {p["payment_collection_id"], p["payment_session_id"], p.get("order_id") or ""}
        known |= {c["id"] for c in p["captures"]} | {r["id"] for r in p["refunds"]}
    known |= {u.get("id", "") for u in document.get("users", [])}
    try:
        mock = start_mock(fixture)
    except DiffError:
        if keep_fixture is None:
            fixture.unlink(missing_ok=True)
        raise
    mside, rside = Side("mock", mock.url, known), Side("real", real_url, known)
    rig = Rig(real_url, document, dropped, known, fixture, mock, mside, rside, keep_fixture is not None)
    try:
        mside.login(email, password)
        rside.login(email, password)
    except DiffError:
        rig.close()
        raise
    return rig


def run(
    real_url: str,
    seed_path: Path,
    allow_path: Path = ALLOW_FILE,
    *,
    scenario_path: Path = SCENARIO_FILE,
    out=sys.stdout,
    keep_fixture: Path | None = None,
    email: str = ADMIN["email"],
    password: str = ADMIN["password"],
) -> Outcome:
    scenario: Scenario = load_scenario(scenario_path)
    allow = load_allow(allow_path)
    seed = json.loads(seed_path.read_text())
    document, notes = snapshot.take_as(real_url, email, password)
    stale = check_seed(seed, document, scenario.seed)
    if stale:
        raise DiffError(
            "the seeded payments are used up ("
            + "; ".join(stale)
            + "); run `scripts/real-backend.sh seed` first"
        )
    created = {p["id"]: p.get("created_at") for p in document["payments"]}
    for entry in seed.values():
        if isinstance(entry, dict) and entry.get("payment_id") in created:
            entry["created_at"] = created[entry["payment_id"]]
    seed["_reason"] = next(r["id"] for r in document["refund_reasons"] if not r.get("deleted"))
    rig = open_rig(real_url, document, notes, email=email, password=password, keep_fixture=keep_fixture)
    mside, rside, dropped = rig.mside, rig.rside, rig.dropped
    outcome = Outcome()
    try:
        print(
            f"diff: mock {rig.mock.url} (fixtures: snapshot of {real_url}, "
            f"{len(rig.document['payments'])} payments) vs real {real_url}; {len(scenario.steps)} steps",
            file=out,
        )
        if dropped:
            print(
                f"note: {len(dropped)} payment(s) of the real backend cannot be loaded by the mock "
                f"and were left out; steps that list the whole backend are skipped:",
                file=out,
            )
            for payment_id, reason in dropped:
                print(f"  {payment_id}: {reason}", file=out)
        for step in scenario.steps:
            if step.unscoped and dropped:
                print(f"skip {step.method:7} {step.name}", file=out)
                outcome.skipped += 1
                continue
            outcome.steps += 1
            answers = []
            for side in (mside, rside):
                path, body = fill(step.path, side, seed), fill(step.body, side, seed)
                try:
                    answers.append(side.send(step, path, body))
                except Exception as exc:  # a backend that drops the connection: a difference too
                    raise DiffError(f"{side.name}: {step.method} {path}: {exc!r}") from exc
                outcome.requests += 1
            manswer, ranswer = answers
            for name, dotted in step.save.items():
                for side, answer in ((mside, manswer), (rside, ranswer)):
                    try:
                        side.vars[name] = _get(json.loads(answer.body), dotted)
                    except (ValueError, KeyError, TypeError):
                        side.vars[name] = f"<no {name}>"
            diffs = compare(step.name, manswer, ranswer, mside, rside, head=step.method == "HEAD")
            for d in diffs:
                d.allowed = allowed(d, allow)
            outcome.differences += diffs
            mark = "ok  " if not diffs else ("ok* " if all(d.allowed for d in diffs) else "DIFF")
            print(f"{mark} {step.method:7} {step.name}  [{manswer.status}/{ranswer.status}]", file=out)
            for d in diffs:
                print(str(d), file=out)
        rig.check_unchanged()
    finally:
        rig.close(out)
    bad = outcome.unexplained
    print(
        f"diff: {outcome.steps} steps ({outcome.skipped} skipped), {outcome.requests} requests, "
        f"{len(outcome.differences)} "
        f"differences ({len(outcome.differences) - len(bad)} allowed, {len(bad)} not allowed)",
        file=out,
    )
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mock_server.tooling.diff", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--real", default="http://127.0.0.1:9001", help="the real Medusa backend")
    parser.add_argument("--seed", type=Path, default=SEED, help="seed.json of scripts/real-backend.sh")
    parser.add_argument(
        "--scenario",
        type=Path,
        default=SCENARIO_FILE,
        help="the steps to send (YAML; default: the shipped one)",
    )
    parser.add_argument(
        "--allow",
        type=Path,
        default=ALLOW_FILE,
        help="allow-list of differences (YAML; default: the shipped one)",
    )
    parser.add_argument("--keep-fixture", type=Path, help="also write the snapshot fixture here")
    args = parser.parse_args(argv)
    hint = missing_hint("diff", prog="python -m mock_server.tooling.diff")
    if hint:
        print(hint, file=sys.stderr)
        return 2
    try:
        outcome = run(
            args.real, args.seed, args.allow, scenario_path=args.scenario, keep_fixture=args.keep_fixture
        )
    except Exception as exc:  # noqa: BLE001 - any failure to run is exit 2 with the reason
        if not isinstance(
            exc, (DiffError, DataFileError, ContractError, snapshot.SnapshotError, OSError, KeyError)
        ):
            raise
        print(f"diff: cannot run: {exc}", file=sys.stderr)
        return 2
    return 1 if outcome.unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
