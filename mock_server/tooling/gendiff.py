"""The generated diff: requests drawn from the specs with a fixed seed, sent in the same order
to a real Medusa and to the mock started from a snapshot of it.

    mock-server diff --generated --real http://127.0.0.1:9001 \\
        --email admin@example.com --password supersecret --seed 7 --count 500

Where the scripted diff (``diff.py``) replays hand-written steps, this one generates them:

1. **Plan** (no backend needed; the same list for the same seed, count and specs). Every
   operation of our contract (``specs/``) and of the published Medusa admin spec
   (``vendor/medusa-oas``, bundled by ``bundle.py``) is drawn from, refunds three times and
   captures twice as often as the rest (their rules are the richest). Cases come from
   Schemathesis 4's own generation (``APIOperation.as_strategy``, positive and negative data),
   drawn through Hypothesis with ``@seed`` and no example database, which makes them the same
   on every run; the operations, modes and the changes below come from ``random.Random(seed)``.
   About 70% of path ids are replaced by *references*: to one of the backend's newest
   payments (the freshly seeded ones, so business rules are reached), one of its oldest live
   refund reasons (read only), or a refund reason created during this run (the only ones
   updated or deleted, so the backend's own are left alone). Positive refund and capture bodies
   get small amounts (and a live refund reason) half of the time, so refunds and captures
   succeed, then run into each other's limits. 85% of requests carry the run's login token;
   the rest keep the credentials Schemathesis generated (none, a bad bearer, a bad cookie).
2. **Run**: snapshot, mock and both logins as the scripted diff does (``diff.open_rig``); each
   request's references resolved per side (a reason created during the run has a different id
   on each side), sent to the mock then to the real backend, the answers compared with the
   scripted diff's normalisation and comparison (``diff.compare``).
3. **Report**: differences grouped by (route template, real status, mock status) with the
   shortest example of each. A write that only one side accepted (2xx on one side only: a
   refund, a capture, a reason created, updated or deleted) makes the entity it wrote to
   *diverged*: a later difference on a request that touches it (its path id, a refund's
   ``refund_reason_id``, a list of its kind) is *knock-on*, counted apart and not failing
   the run: the write itself is the difference to fix. Groups the allow-list accepts
   (``diff_allowlist.yaml``, entries with ``route``/``real``/``mock``) do not fail either.
"""

from __future__ import annotations

import base64
import json
import random
import re
import sys
import zlib
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote, urlencode

from ..config import default_path
from . import snapshot
from .client import login
from .diffcmd import DEFAULT_COUNT, DEFAULT_SEED
from .diff import ADMIN, ROOT, Answer, Difference, Rig, Side, compare, open_rig
from .progress import Progress
from .scenario import ALLOW_FILE, KnownGenerated, load_allow_generated

OURS = default_path("specs")
PUBLISHED = ROOT / "vendor" / "medusa-oas"
TARGET_PAYMENTS = 13  # scripts/real-backend.sh seed makes 13 (labels A to M)
TARGET_REASONS = 3  # a Medusa install starts with three

ID_PROBABILITY = 0.7
TOKEN_PROBABILITY = 0.85
POSITIVE_PROBABILITY = 0.6
SMALL_AMOUNTS = (1, 2, 5, 10, 0.5, 0.01, 25)
WEIGHTS = {"/admin/payments/{id}/refund": 3, "/admin/payments/{id}/capture": 2}

# Standing for an id until it is sent: GDREF_payment_3 is the fourth of the target payments.
REF = re.compile(r"GDREF_(payment|reason|created)_(\d+)")
REF_BYTES = re.compile(rb"GDREF_(?:payment|reason|created)_\d+")
NO_SUCH_REASON = "refr_00000000000000000000000000"  # a created reason one side does not have
BASE = "http://gendiff.invalid"  # only to let Schemathesis build a URL; never contacted
# Headers of Schemathesis' own transport, not part of the generated case.
TRANSPORT_HEADERS = {"user-agent", "accept-encoding", "accept", "connection", "x-schemathesis-testcaseid"}


class GenDiffError(Exception):
    pass


# ---- the plan --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    """One generated request, the same for both sides until its references are resolved."""

    index: int
    source: str  # "ours" | "published"
    mode: str  # "positive" | "negative"
    method: str
    route: str  # the path template
    path: str  # percent-encoded, query included; GDREF_… where an id is resolved per side
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    auth: str  # "token": the run's login; "generated": what Schemathesis drew

    @property
    def operation(self) -> str:
        return f"{self.method} {self.route}"

    def size(self) -> int:
        return len(self.path) + len(self.body or b"")


def load_operations(sources: list[tuple[str, Path]]) -> list[tuple[str, Any]]:
    """(source name, Schemathesis operation) for every operation of every spec."""
    import yaml
    from schemathesis.core.result import Ok
    from schemathesis.openapi import from_dict

    from .bundle import bundle_published

    out = []
    for name, path in sources:
        path = Path(path)
        try:
            if path.is_dir() and (path / "openapi.full.yaml").exists():
                document = bundle_published(path)
            else:
                if path.is_dir():
                    files = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml", ".json"))
                    if len(files) != 1:
                        raise GenDiffError(f"{path}: expected one OpenAPI file, found {len(files)}")
                    path = files[0]
                document = yaml.safe_load(path.read_text())
        except (OSError, yaml.YAMLError) as exc:
            raise GenDiffError(f"{path}: cannot read the spec: {exc}") from None
        for result in from_dict(document).get_all_operations():
            if not isinstance(result, Ok):
                raise GenDiffError(f"{path}: an operation cannot be generated: {result.err()}")
            out.append((name, result.ok()))
    return out


def _examples(operation: Any, mode: str, n: int, seed: int) -> list[Any]:
    """``n`` cases of ``operation`` (fewer if Hypothesis runs out), the same for the same seed."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hseed
    from hypothesis.errors import HypothesisException
    from schemathesis import GenerationMode

    found: list[Any] = []
    strategy = operation.as_strategy(
        generation_mode=GenerationMode.POSITIVE if mode == "positive" else GenerationMode.NEGATIVE
    )

    @hseed(seed)
    @settings(
        max_examples=n,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=False,
        print_blob=False,
    )
    @given(strategy)
    def draw(case: Any) -> None:
        if len(found) < n:
            found.append(case)

    with _no_local_constants():
        try:
            draw()
        except HypothesisException:
            pass  # e.g. nothing negative can be drawn for an operation without inputs
    return found


@contextmanager
def _no_local_constants():
    """Hypothesis also draws the literals of "local" modules (any module outside
    site-packages already imported: this package, the tests), so what it generates would
    depend on which modules a process has loaded and on every string edited in this
    repository. The plan must not: while drawing, that pool is empty (an internal of
    Hypothesis; where it is missing, generation still works, only less reproducibly)."""
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover - another Hypothesis layout
        yield
        return
    original = getattr(providers, "_get_local_constants", None)
    cache = getattr(providers, "CONSTANTS_CACHE", None)
    if original is None or not hasattr(providers, "Constants"):
        yield
        return
    empty = providers.Constants()
    providers._get_local_constants = lambda: empty
    if cache is not None:
        cache.cache.clear()
    try:
        yield
    finally:
        providers._get_local_constants = original
        if cache is not None:
            cache.cache.clear()


def make_plan(
    seed: int, count: int, sources: list[tuple[str, Path]] | None = None, *, progress: bool = False
) -> list[Planned]:
    """``count`` requests for ``seed``: the same list every time (see the module's doc).

    Drawn in a child process (``plan_here`` there): the first cases a process draws through
    Schemathesis differ from those it draws later with the same seed (state its generation sets
    up on first use; seen with Schemathesis 4.32 and Hypothesis 6.170), so only a fresh process
    gives the same plan whoever asks (the CLI, a test after other tests). ``progress``: the
    child reports on this process' stderr."""
    import subprocess

    sources = sources if sources is not None else default_sources()
    command = [
        sys.executable,
        "-m",
        __name__,
        json.dumps(
            {
                "seed": seed,
                "count": count,
                "sources": [[n, str(Path(p).resolve())] for n, p in sources],
                "progress": progress,
            }
        ),
    ]
    done = subprocess.run(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=None if progress else subprocess.PIPE
    )
    if done.returncode != 0:
        raise GenDiffError(
            f"generating the requests failed: {(done.stderr or b'').decode('utf-8', 'replace')[-2000:]}"
        )
    return [
        Planned(
            e["index"],
            e["source"],
            e["mode"],
            e["method"],
            e["route"],
            e["path"],
            tuple((k, v) for k, v in e["headers"]),
            None if e["body"] is None else base64.b64decode(e["body"]),
            e["auth"],
        )
        for e in json.loads(done.stdout)
    ]


def _child(argument: str) -> int:
    """``python -m mock_server.tooling.gendiff JSON``: the plan, as JSON on stdout."""
    task = json.loads(argument)
    progress = Progress("gendiff", 0) if task["progress"] else None
    plan = plan_here(
        task["seed"], task["count"], [(n, Path(p)) for n, p in task["sources"]], progress=progress
    )
    if progress:
        progress.finish()
    out = [
        {
            "index": p.index,
            "source": p.source,
            "mode": p.mode,
            "method": p.method,
            "route": p.route,
            "path": p.path,
            "headers": [list(h) for h in p.headers],
            "body": None if p.body is None else base64.b64encode(p.body).decode(),
            "auth": p.auth,
        }
        for p in plan
    ]
    sys.stdout.write(json.dumps(out))
    return 0


def plan_here(
    seed: int,
    count: int,
    sources: list[tuple[str, Path]] | None = None,
    *,
    progress: Progress | None = None,
) -> list[Planned]:
    """``make_plan`` in this process (see there why it is not called directly)."""
    operations = load_operations(sources if sources is not None else default_sources())
    if not operations:
        raise GenDiffError("the specs hold no operation")
    rng = random.Random(seed)
    weights = [WEIGHTS.get(op.path, 1) for _, op in operations]
    picks: list[tuple[int, str]] = []
    for _ in range(count):
        i = rng.choices(range(len(operations)), weights)[0]
        picks.append((i, "positive" if rng.random() < POSITIVE_PROBABILITY else "negative"))
    wanted = Counter(picks)
    pools: dict[tuple[int, str], list[Any]] = {}
    if progress:
        progress.total = len(wanted)
    for n, ((i, mode), k) in enumerate(sorted(wanted.items())):
        source, op = operations[i]
        if progress:
            progress.update(n + 1, f"generating {mode} {op.method.upper()} {op.path} ({source})", 0, noun="")
        key = zlib.crc32(f"{seed}:{source}:{op.method} {op.path}:{mode}".encode())
        cases = _examples(op, mode, k, key)
        if not cases and mode == "negative":
            cases = _examples(op, "positive", k, key)
        pools[(i, mode)] = cases
    used: Counter = Counter()
    plan: list[Planned] = []
    for i, mode in picks:
        source, op = operations[i]
        cases = pools[(i, mode)]
        if not cases:
            continue
        case = cases[used[(i, mode)] % len(cases)]
        used[(i, mode)] += 1
        planned = _planned(len(plan), source, mode, op, case, rng)
        if planned is not None:
            plan.append(planned)
    return plan


def default_sources() -> list[tuple[str, Path]]:
    sources = [("ours", OURS)]
    if PUBLISHED.is_dir():  # a checkout; an installed wheel has only ours
        sources.append(("published", PUBLISHED))
    return sources


def _planned(index: int, source: str, mode: str, op: Any, case: Any, rng: random.Random) -> Planned | None:
    """The request for ``case``, with its references and bodies as the module's doc says (the
    case itself is left as it was: a pool's cases are drawn again when it runs short)."""
    saved = (case.path_parameters, case.body)
    try:
        return _build(index, source, mode, op, case, rng)
    finally:
        case.path_parameters, case.body = saved


def _build(index: int, source: str, mode: str, op: Any, case: Any, rng: random.Random) -> Planned | None:
    route = op.path
    method = op.method.upper()
    params = dict(case.path_parameters or {})
    if "id" in params and rng.random() < ID_PROBABILITY:
        if route.startswith("/admin/payments/"):
            params["id"] = f"GDREF_payment_{rng.randrange(1000)}"
        elif route.startswith("/admin/refund-reasons/"):
            kind = "reason" if method == "GET" and rng.random() < 0.5 else "created"
            params["id"] = f"GDREF_{kind}_{rng.randrange(1000)}"
        case.path_parameters = params
    if mode == "positive" and method == "POST" and isinstance(case.body, dict):
        fields = dict(case.body)
        if route.endswith("/refund") or route.endswith("/capture"):
            if rng.random() < 0.5:
                fields["amount"] = rng.choice(SMALL_AMOUNTS)
                if route.endswith("/refund"):
                    if rng.random() < 0.6:
                        fields["refund_reason_id"] = f"GDREF_reason_{rng.randrange(1000)}"
                    else:
                        fields.pop("refund_reason_id", None)
            case.body = fields
    auth = "token" if rng.random() < TOKEN_PROBABILITY else "generated"
    kwargs = case.as_transport_kwargs(base_url=BASE)
    url = kwargs["url"]
    if not url.startswith(BASE):
        return None
    path = url[len(BASE) :]
    query = _query(kwargs.get("params") or {})
    if query:
        path += ("&" if "?" in path else "?") + query
    headers = []
    for name, value in (kwargs.get("headers") or {}).items():
        if name.lower() in TRANSPORT_HEADERS:
            continue
        if auth == "token" and name.lower() == "authorization":
            continue
        try:
            str(value).encode("latin-1")
        except UnicodeEncodeError:
            continue  # not sendable in a header
        headers.append((name, str(value)))
    cookies = kwargs.get("cookies") or {}
    if auth == "generated" and cookies:
        headers.append(("Cookie", "; ".join(f"{k}={v}" for k, v in cookies.items())))
    body: bytes | None = None
    if "json" in kwargs:
        try:
            body = json.dumps(kwargs["json"], ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            body = json.dumps(kwargs["json"]).encode("utf-8")
    elif kwargs.get("data") is not None:
        data = kwargs["data"]
        body = data if isinstance(data, bytes) else str(data).encode("utf-8", "surrogatepass")
    elif kwargs.get("content") is not None:
        data = kwargs["content"]
        body = data if isinstance(data, bytes) else str(data).encode("utf-8", "surrogatepass")
    return Planned(index, source, mode, method, route, path, tuple(headers), body, auth)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _query(params: dict) -> str:
    pairs = []
    for name, value in params.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((str(name), _scalar(item)))
    return urlencode(pairs, quote_via=quote, encoding="utf-8", errors="surrogatepass")


# ---- running ---------------------------------------------------------------------------------


@dataclass
class Targets:
    """What the references stand for: the same payments and reasons on both sides."""

    payments: list[str]
    reasons: list[str]


def pick_targets(document: dict, payments: int = TARGET_PAYMENTS, reasons: int = TARGET_REASONS) -> Targets:
    """The newest ``payments`` payments (after ``scripts/real-backend.sh seed``: the fresh ones)
    and the oldest ``reasons`` live refund reasons (a Medusa install's own), in a fixed order."""
    by_age = sorted(document["payments"], key=lambda p: (p.get("created_at") or "", p["id"]))
    live = [r for r in document["refund_reasons"] if not r.get("deleted")]
    old = sorted(live, key=lambda r: (r.get("created_at") or "", r["id"]))
    return Targets([p["id"] for p in by_age[-payments:]], [r["id"] for r in old[:reasons]])


@dataclass
class Result:
    """One request sent to both sides."""

    planned: Planned
    paths: tuple[str, str]  # as sent: mock, real
    bodies: tuple[bytes | None, bytes | None]
    mock: Answer
    real: Answer
    differences: list[Difference]
    knock_on: bool = False


@dataclass
class Group:
    route: str  # "POST /admin/payments/{id}/refund"
    real: int
    mock: int
    results: list[Result] = field(default_factory=list)
    allowed: str | None = None

    @property
    def example(self) -> Result:
        return min(self.results, key=lambda r: (r.planned.size(), r.planned.index))


@dataclass
class GenOutcome:
    seed: int
    requests: int = 0
    identical: int = 0
    skipped: int = 0
    results: list[Result] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)  # differences, not knock-on
    knock_on: list[Group] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.identical / self.requests if self.requests else 1.0

    @property
    def failing(self) -> list[Group]:
        return [g for g in self.groups if not g.allowed]


class Tracker:
    """Entities a write changed on one side only, and the reasons created during the run."""

    def __init__(self, targets: Targets) -> None:
        self.targets = targets
        self.created: list[tuple[str | None, str | None]] = []  # (mock id, real id)
        self.diverged: set[tuple[str, str]] = set()

    def resolve(self, text: str, side: int) -> str:
        def one(match: re.Match) -> str:
            kind, k = match.group(1), int(match.group(2))
            if kind == "payment":
                return (
                    self.targets.payments[k % len(self.targets.payments)]
                    if self.targets.payments
                    else "pay_x"
                )
            if kind == "reason":
                return (
                    self.targets.reasons[k % len(self.targets.reasons)] if self.targets.reasons else "refr_x"
                )
            if not self.created:
                return NO_SUCH_REASON
            return self.created[k % len(self.created)][side] or NO_SUCH_REASON

        return REF.sub(one, text)

    def resolve_bytes(self, data: bytes, side: int) -> bytes:
        """``resolve`` in a body, which need not be UTF-8 (negative data)."""
        return REF_BYTES.sub(lambda m: self.resolve(m.group(0).decode(), side).encode(), data)

    def entities(self, planned: Planned) -> set[tuple[str, str]]:
        """What a request reads or writes: (kind, key), the key the same on both sides."""
        out: set[tuple[str, str]] = set()
        segments = planned.path.split("?")[0].split("/")
        if planned.route.startswith("/admin/payments/{id}") and len(segments) > 3:
            out.add(("payment", self._key(segments[3])))
        if planned.route.startswith("/admin/refund-reasons/{id}") and len(segments) > 3:
            out.add(("reason", self._key(segments[3])))
        if planned.body and planned.route.endswith("/refund"):
            try:
                reason = json.loads(planned.body).get("refund_reason_id")
            except (ValueError, AttributeError):
                reason = None
            if isinstance(reason, str):
                out.add(("reason", self._key(reason)))
        if planned.method == "GET" and planned.route == "/admin/payments":
            out.add(("payments", "*"))
        if planned.method == "GET" and planned.route == "/admin/refund-reasons":
            out.add(("reasons", "*"))
        return out

    def _key(self, text: str) -> str:
        match = REF.fullmatch(text)
        if not match:
            return text
        kind, k = match.group(1), int(match.group(2))
        if kind == "payment":
            return self.resolve(text, 0)
        if kind == "reason":
            return self.resolve(text, 0)
        return f"created#{k % len(self.created)}" if self.created else NO_SUCH_REASON

    def is_knock_on(self, planned: Planned) -> bool:
        touched = self.entities(planned)
        if any(e in self.diverged for e in touched):
            return True
        kinds = {kind for kind, _ in self.diverged}
        return (
            ("payments", "*") in touched
            and "payment" in kinds
            or (("reasons", "*") in touched and "reason" in kinds)
        )

    def after(self, planned: Planned, mock: Answer, real: Answer) -> None:
        """Note what the request wrote: a reason created, an entity one side changed alone."""
        ok = (200 <= mock.status < 300, 200 <= real.status < 300)
        if planned.method == "GET":
            return
        if planned.method == "POST" and planned.route == "/admin/refund-reasons":
            ids = tuple(_created_id(a) if good else None for a, good in zip((mock, real), ok, strict=True))
            if ids != (None, None):
                self.created.append((ids[0], ids[1]))
                if None in ids:
                    self.diverged.add(("reason", f"created#{len(self.created) - 1}"))
            return
        if ok[0] == ok[1]:
            return
        for entity in self.entities(planned):
            if planned.route.startswith("/admin/payments/{id}") and entity[0] == "payment":
                self.diverged.add(entity)
            if planned.route.startswith("/admin/refund-reasons/{id}") and entity[0] == "reason":
                self.diverged.add(entity)


def _created_id(answer: Answer) -> str | None:
    try:
        value = json.loads(answer.body)["refund_reason"]["id"]
    except (ValueError, KeyError, TypeError):
        return None
    return value if isinstance(value, str) else None


def send_both(rig_sides: tuple[Side, Side], tracker: Tracker, planned: Planned) -> Result | None:
    """Both answers to ``planned``, compared; None when the client cannot send it at all."""
    import httpx

    answers, paths, bodies = [], [], []
    for n, side in enumerate(rig_sides):
        path = tracker.resolve(planned.path, n)
        content = None if planned.body is None else tracker.resolve_bytes(planned.body, n)
        headers = dict(planned.headers)
        if planned.auth == "token":
            headers["Authorization"] = f"Bearer {side.token}"
        side.client.cookies.clear()  # no session cookie but the ones a request was generated with
        try:
            answer = side.send_raw(planned.method, path, headers, content)
        except (httpx.LocalProtocolError, httpx.InvalidURL, UnicodeError):
            return None  # the client refuses to send it (a header or URL HTTP cannot carry)
        except Exception as exc:  # noqa: BLE001 - a connection the server dropped is an answer too
            answer = Answer(0, [], f"no answer: {type(exc).__name__}: {exc}".encode())
        answers.append(answer)
        paths.append(path)
        bodies.append(content)
    mock, real = answers
    name = f"#{planned.index} {planned.operation}"
    diffs = compare(name, mock, real, rig_sides[0], rig_sides[1], head=planned.method == "HEAD")
    return Result(planned, (paths[0], paths[1]), (bodies[0], bodies[1]), mock, real, diffs)


def allowed_group(group: Group, allow: list[KnownGenerated]) -> str | None:
    import fnmatch

    for entry in allow:
        if (
            fnmatch.fnmatchcase(group.route, entry.route)
            and fnmatch.fnmatchcase(str(group.real), entry.real)
            and fnmatch.fnmatchcase(str(group.mock), entry.mock)
            and all(fnmatch.fnmatchcase(d.where, entry.where) for r in group.results for d in r.differences)
        ):
            return entry.reason
    return None


def group(results: list[Result], allow: list[KnownGenerated]) -> tuple[list[Group], list[Group]]:
    """(differences, knock-on) grouped by route, real status and mock status, most first."""
    out: tuple[dict, dict] = ({}, {})
    for result in results:
        if not result.differences:
            continue
        key = (result.planned.operation, result.real.status, result.mock.status)
        groups = out[1] if result.knock_on else out[0]
        groups.setdefault(key, Group(*key)).results.append(result)
    ordered = []
    for groups in out:
        items = sorted(groups.values(), key=lambda g: (-len(g.results), g.route, g.real, g.mock))
        for g in items:
            g.allowed = allowed_group(g, allow)
        ordered.append(items)
    return ordered[0], ordered[1]


def execute(
    plan: list[Planned],
    sides: tuple[Side, Side],
    targets: Targets,
    *,
    allow: list[KnownGenerated] | None = None,
    seed: int = 0,
    progress: Progress | None = None,
    skip_payment_lists: bool = False,
) -> GenOutcome:
    """Send ``plan`` to both sides, in order; compare and group."""
    tracker = Tracker(targets)
    outcome = GenOutcome(seed)
    differing = 0
    for n, planned in enumerate(plan):
        if skip_payment_lists and planned.method == "GET" and planned.route == "/admin/payments":
            outcome.skipped += 1
            continue
        knock_on = tracker.is_knock_on(planned)
        result = send_both(sides, tracker, planned)
        if result is None:
            outcome.skipped += 1
            continue
        result.knock_on = knock_on
        tracker.after(planned, result.mock, result.real)
        outcome.results.append(result)
        outcome.requests += 1
        if result.differences:
            differing += 1
        else:
            outcome.identical += 1
        if progress:
            progress.update(n + 1, planned.operation, differing)
    outcome.groups, outcome.knock_on = group(outcome.results, allow or [])
    return outcome


# ---- the report ------------------------------------------------------------------------------


def _show(data: bytes | None, limit: int = 400) -> str:
    if data is None:
        return "(none)"
    text = data.decode("utf-8", "replace")
    text = json.dumps(text, ensure_ascii=False)[1:-1] if any(ord(c) < 32 for c in text) else text
    return text if len(text) <= limit else text[:limit] + "…"


def describe(g: Group) -> list[str]:
    r = g.example
    p = r.planned
    mark = f"  (allowed: {g.allowed})" if g.allowed else ""
    lines = [
        f"{g.route}  real {g.real} / mock {g.mock}: {len(g.results)} request(s){mark}",
        f"  shortest: #{p.index} ({p.source}, {p.mode}, auth {p.auth}) {p.method} {r.paths[1]}",
    ]
    if r.paths[0] != r.paths[1]:
        lines.append(f"    (mock path: {r.paths[0]})")
    if p.body is not None:
        lines.append(f"    body: {_show(r.bodies[1])}")
    lines.append(f"    real {r.real.status}: {_show(r.real.body)}")
    lines.append(f"    mock {r.mock.status}: {_show(r.mock.body)}")
    for d in r.differences[:8]:
        lines.append("  " + str(d).strip().replace("\r", "\\r").replace("\n", "\\n"))
    if len(r.differences) > 8:
        lines.append(f"    … {len(r.differences) - 8} more")
    return lines


def report(outcome: GenOutcome) -> str:
    knock = sum(len(g.results) for g in outcome.knock_on)
    differing = outcome.requests - outcome.identical
    lines = [
        f"generated diff, seed {outcome.seed}: {outcome.requests} requests "
        f"({outcome.skipped} skipped), {outcome.identical} identical "
        f"({outcome.share:.2%}), {differing} different ({knock} knock-on); "
        f"{len(outcome.groups)} group(s), {len(outcome.failing)} not allowed",
    ]
    statuses: dict[str, Counter] = {}
    for r in outcome.results:
        statuses.setdefault(r.planned.operation, Counter())[r.real.status] += 1
    lines.append("real answers by route (status x count):")
    for route, counter in sorted(statuses.items()):
        lines.append(f"  {route}: " + ", ".join(f"{s}x{n}" for s, n in sorted(counter.items())))
    if outcome.groups:
        lines.append("")
        lines.append("differences (by route, real status, mock status):")
        for g in outcome.groups:
            lines += describe(g)
    if outcome.knock_on:
        lines.append("")
        lines.append("knock-on (after a write only one side accepted on the same entity):")
        for g in outcome.knock_on:
            lines += describe(g)
    return "\n".join(lines)


def junit_cases(outcome: GenOutcome) -> list[tuple[str, str | None, str | None, str]]:
    """(name, failure text, skipped reason, output) per group and per identical route."""
    cases: list[tuple[str, str | None, str | None, str]] = []
    same = Counter(r.planned.operation for r in outcome.results if not r.differences)
    for route, n in sorted(same.items()):
        cases.append((f"{route}: identical", None, None, f"{n} request(s) answered alike"))
    for g in outcome.groups:
        text = "\n".join(describe(g))
        name = f"{g.route}: real {g.real} / mock {g.mock}"
        cases.append((name, None if g.allowed else text, g.allowed, text))
    for g in outcome.knock_on:
        text = "\n".join(describe(g))
        cases.append((f"{g.route}: real {g.real} / mock {g.mock} (knock-on)", None, "knock-on", text))
    return cases


# ---- main ------------------------------------------------------------------------------------


def run(
    real_url: str,
    *,
    seed: int = DEFAULT_SEED,
    count: int = DEFAULT_COUNT,
    allow_path: Path = ALLOW_FILE,
    email: str = ADMIN["email"],
    password: str = ADMIN["password"],
    sources: list[tuple[str, Path]] | None = None,
    out: TextIO | None = None,
    progress_stream: TextIO | None = None,
    keep_fixture: Path | None = None,
    report_path: Path | None = None,
) -> GenOutcome:
    out = out if out is not None else sys.stdout
    allow = load_allow_generated(allow_path)
    login(real_url, email, password)  # before the generation: a backend down is told at once
    progress = Progress("gendiff", 0, stream=progress_stream)
    progress.stage(f"generating {count} requests (seed {seed})")
    plan = make_plan(seed, count, sources, progress=progress_stream is None)
    progress.stage(f"snapshot of {real_url}")
    document, notes = snapshot.take_as(real_url, email, password)
    rig: Rig = open_rig(real_url, document, notes, email=email, password=password, keep_fixture=keep_fixture)
    try:
        targets = pick_targets(rig.document)
        print(
            f"gendiff: mock {rig.mock.url} (snapshot of {real_url}, {len(rig.document['payments'])} "
            f"payments) vs real {real_url}; {len(plan)} requests, seed {seed}; "
            f"targets: {len(targets.payments)} newest payments, {len(targets.reasons)} oldest reasons",
            file=out,
        )
        if rig.dropped:
            print(
                f"note: {len(rig.dropped)} payment(s) the mock cannot load were left out; "
                "GET /admin/payments requests are skipped",
                file=out,
            )
        progress = Progress("gendiff", len(plan), stream=progress_stream)
        progress.stage(f"sending {len(plan)} requests to both sides")
        outcome = execute(
            plan,
            (rig.mside, rig.rside),
            targets,
            allow=allow,
            seed=seed,
            progress=progress,
            skip_payment_lists=bool(rig.dropped),
        )
        progress.finish()
        rig.check_unchanged()
    finally:
        rig.close(out)
    text = report(outcome)
    if report_path is not None:
        Path(report_path).write_text(text + "\n")
    print(text, file=out)
    return outcome


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1]))
