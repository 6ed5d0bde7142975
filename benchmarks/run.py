"""``make bench``: the mock against the floor and against Prism, on loopback, with wrk.

    .venv/bin/python benchmarks/run.py                  # everything, writes benchmarks/RESULTS.md
    .venv/bin/python benchmarks/run.py --quick          # mock + floor, refund and GET, 3 x 3 s
    .venv/bin/python benchmarks/run.py --help

What runs (all on 127.0.0.1, every load run bounded by wrk's -d):
- contenders: the mock (``python -m mock_server serve``, uvicorn as ``mock-server serve`` runs it,
  no response validation, the default journal on), the mock with ``--journal-size 0``
  (mock-nojournal), the mock with one idle fault rule in each namespace (mock-fault), the floor
  (``benchmarks/floor.py``: one pre-built response per scenario, the mock's own bytes),
  Stoplight Prism 5.16 in mock mode on ``specs/``;
- scenarios: a refund that succeeds, GET one payment (default fields), list 20 payments, a
  refund rejected by validation, each with its requests spread over 100 namespaces
  (``x-mock-namespace: ns-I``, as a parallel test suite sends them; all created on each mock
  before the runs), plus the refund in the default namespace only (``refund-1ns``, mock and
  floor); wrk with 2 threads and 16 connections, several rounds with the contenders
  interleaved (the order rotates each round);
- the price of each steering feature as a ratio to the same run without it: the journal
  (mock ÷ mock-nojournal), an idle fault rule (mock-fault ÷ mock), namespaces (the spread
  refund ÷ ``refund-1ns``, same server, same rounds); then each again on the refund in
  ``--price-pairs`` pairs of two servers loaded together on the server core
  (``run_pairs``; for namespaces, the mock with the spread refund and a second mock, its
  twin, with ``refund-1ns``), the figure the targets use; the refund against the floor
  is measured in pairs the same way, and its target uses that figure too;
- start-up (process start to the first 200 on /health, median of 5), idle RSS, RSS after the
  load, RSS after the first 100,000 and after 1,000,000 requests, and the refund on a payment
  with 100,000 refunds against one with none (alternating rounds on one mock, then
  ``--price-pairs`` pairs of that mock and a twin from the same fixture, the figure its
  target uses);
- namespaces: the first request in a fresh namespace against the next one (200 fresh
  namespaces), and RSS before and after touching 1,000 namespaces (``--no-namespaces`` skips
  both and the spreading);
- last, after every load measurement, the whole test suite timed as ``make test`` runs it
  (``--no-test-time`` skips it).
The server runs on CPU 1 and wrk on CPU 0 (``taskset``), so neither starves the other.
Results go to ``benchmarks/RESULTS.md`` (and ``benchmarks/.work/results.json``); the targets
are printed as PASS/FAIL lines but never fail the process.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import http.client
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / ".work"
SPEC = ROOT / "specs" / "medusa-admin-payments.yaml"
FIXTURES = HERE / "fixtures.yaml"
PRISM_DIR = HERE / "prism"
PRISM_JS = PRISM_DIR / "node_modules" / "@stoplight" / "prism-cli" / "dist" / "index.js"
LUA = HERE / "wrk" / "request.lua"
PYTHON = sys.executable

SERVER_CPU = "1"
WRK_CPU = "0"
THREADS, CONNECTIONS = 2, 16

REFUND_ID = "pay_01KBENCHZREFVND0000000000"
GET_ID = "pay_01KBENCH00000000000000003"
HUNDRED_K_ID = "pay_01KBENCHZ100KREFVNDS00000"
NONE_ID = "pay_01KBENCHZN0REFVNDS0000000"
ADMIN = {"email": "admin@example.com", "password": "supersecret"}


@dataclass
class Scenario:
    name: str
    title: str
    method: str
    path: str
    body: str = ""
    # > 0: each request in one of the namespaces ns-0 .. ns-(N-1) (x-mock-namespace), cycling
    namespaces: int = 0
    # the contenders that run it (empty: all)
    contenders: tuple[str, ...] = ()

    def runs_on(self, contender: str) -> bool:
        return not self.contenders or contender in self.contenders

    def headers(self, auth: str) -> dict:
        """The headers of a single request of this scenario (namespace ``ns-0`` if spread)."""
        headers = {"Authorization": auth}
        if self.body:
            headers["Content-Type"] = "application/json"
        if self.namespaces:
            headers[NAMESPACE_HEADER] = namespace_name(0)
        return headers


NAMESPACE_HEADER = "x-mock-namespace"
SINGLE_NS_SCENARIO = "refund-1ns"
HEADLINE = ("refund", "get", "list", "rejected")
DEFAULT_NAMESPACES = 100


def namespace_name(i: int) -> str:
    return f"ns-{i}"  # as benchmarks/wrk/request.lua names them


def build_scenarios(n: int) -> list[Scenario]:
    """The scenarios, the four headline ones with their requests spread over ``n`` namespaces
    (``x-mock-namespace: ns-0`` .. ``ns-(n-1)``, the next one each request, as a parallel test
    suite sends them; 0: not spread). With ``n`` > 0 the refund also runs in the default
    namespace only (``refund-1ns``, right after the spread one in every round), on the mock (the
    price of namespaces: spread ÷ single) and the floor (what wrk's per-request Lua call costs
    the ceiling). The floor, Prism and a baseline without namespaces ignore the header."""
    spread = (
        f" spread over {n} namespaces (`{NAMESPACE_HEADER}: ns-0` .. `ns-{n - 1}`, the next one each request)"
        if n
        else ""
    )
    refund = f"/admin/payments/{REFUND_ID}/refund?fields=id"
    scenarios = [
        Scenario(
            "refund",
            "POST /admin/payments/{id}/refund?fields=id (amount 1, succeeds)" + spread,
            "POST",
            refund,
            '{"amount":1}',
            namespaces=n,
        ),
        Scenario(
            "get",
            "GET /admin/payments/{id} (default fields)" + spread,
            "GET",
            f"/admin/payments/{GET_ID}",
            namespaces=n,
        ),
        Scenario(
            "list", "GET /admin/payments?limit=20" + spread, "GET", "/admin/payments?limit=20", namespaces=n
        ),
        Scenario(
            "rejected",
            'POST /admin/payments/{id}/refund?fields=id, amount "abc" (400)' + spread,
            "POST",
            refund,
            '{"amount":"abc"}',
            namespaces=n,
        ),
    ]
    if n:
        # right after the spread refund, so the two run in the same round, one after the other
        scenarios.insert(
            1,
            Scenario(
                SINGLE_NS_SCENARIO,
                "POST /admin/payments/{id}/refund?fields=id (amount 1, succeeds) in the default "
                "namespace only (no `x-mock-namespace`)",
                "POST",
                refund,
                '{"amount":1}',
                contenders=("mock", "mock-nojournal", "mock-fault", "floor"),  # one history for all mocks
            ),
        )
    return scenarios


SCENARIOS = build_scenarios(DEFAULT_NAMESPACES)  # main() builds them again from --namespaces


# ---- tools ---------------------------------------------------------------------------------


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("installing wrk (apt-get) ...", flush=True)
    if subprocess.run(["apt-get", "install", "-y", "-q", "wrk"]).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True)
    return shutil.which("wrk") or sys.exit("wrk is not available")


def ensure_prism() -> Path:
    if not PRISM_JS.exists():
        print("installing Prism (npm ci in benchmarks/prism) ...", flush=True)
        # --ignore-scripts: the only install script in the tree is a telemetry ping
        subprocess.run(
            ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=PRISM_DIR, check=True
        )
    return PRISM_JS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(
    port: int,
    method: str,
    path: str,
    headers: dict | None = None,
    body: bytes | str | None = None,
    timeout: float = 30,
) -> tuple[int, list, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.getheaders(), r.read()
    finally:
        conn.close()


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


# ---- servers -------------------------------------------------------------------------------


class Server:
    """A contender process pinned to the server CPU; ``pid`` is the server itself."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        port: int,
        ready_status: int | None = 200,
        timeout: float = 60,
        cwd: Path = ROOT,
    ) -> None:
        self.name, self.port = name, port
        self.log = open(WORK / f"{name}.log", "wb")
        started = time.perf_counter()
        self.process = subprocess.Popen(
            ["taskset", "-c", SERVER_CPU, *argv], cwd=cwd, stdout=self.log, stderr=subprocess.STDOUT
        )
        self.startup = self._wait(ready_status, timeout, started)

    @property
    def pid(self) -> int:
        return self.process.pid

    def _wait(self, ready_status, timeout, started) -> float:
        deadline = started + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log.name}")
            try:
                status, _, _ = request(self.port, "GET", "/health", timeout=1)
                if ready_status is None or status == ready_status:
                    return time.perf_counter() - started
            except OSError:
                pass
            time.sleep(0.002)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer /health within {timeout} s")

    def rss(self) -> float:
        return rss_mb(self.pid)

    def cpu_seconds(self) -> float:
        """User + system CPU time the server has used so far."""
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


MOCK_ROOT = ROOT  # where `python -m mock_server` is run from (--mock-root: another copy)


def start_mock(
    name: str, fixtures: Path, *extra: str, timeout: float = 60, root: Path | None = None
) -> Server:
    port = free_port()
    return Server(
        name,
        [
            PYTHON,
            "-m",
            "mock_server",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--spec",
            str(SPEC),
            "--fixtures",
            str(fixtures),
            "--log-level",
            "warning",
            *extra,
        ],
        port,
        timeout=timeout,
        cwd=root or MOCK_ROOT,
    )


def start_floor(name: str, response_file: Path) -> Server:
    port = free_port()
    return Server(
        name,
        [PYTHON, str(HERE / "floor.py"), "--port", str(port), "--response", str(response_file)],
        port,
        ready_status=None,
    )


def start_prism(name: str = "prism") -> Server:
    port = free_port()
    # -v warn: no per-request log lines (the mock runs with --log-level warning too)
    return Server(
        name,
        ["node", str(PRISM_JS), "mock", "-h", "127.0.0.1", "-p", str(port), "-v", "warn", str(SPEC)],
        port,
        ready_status=200,
    )


def login(port: int) -> str:
    status, _, body = request(
        port, "POST", "/auth/user/emailpass", {"Content-Type": "application/json"}, json.dumps(ADMIN)
    )
    if status != 200:
        raise RuntimeError(f"login failed: {status} {body[:200]!r}")
    return json.loads(body)["token"]


# ---- wrk -----------------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip())
    if not m:
        raise ValueError(f"cannot read wrk time {text!r}")
    return float(m.group(1)) * _UNITS[m.group(2)]


@dataclass
class Run:
    rps: float
    p50: float
    p99: float
    requests: int
    seconds: float
    non2xx: int = 0
    errors: int = 0
    cpu: float | None = None  # share of one core the server used during the run


def parse_wrk(out: str) -> Run:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    requests, seconds = int(m.group(1)), _ms(m.group(2) + m.group(3)) / 1000
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return Run(
        rps,
        p50,
        p99,
        requests,
        seconds,
        int(non2xx.group(1)) if non2xx else 0,
        sum(map(int, errors.groups())) if errors else 0,
    )


def wrk(
    port: int,
    method: str,
    path: str,
    *,
    body: str = "",
    auth: str = "",
    seconds: float,
    limit: int = 0,
    namespaces: int = 0,
) -> Run:
    env = {
        **os.environ,
        "WRK_METHOD": method,
        "WRK_BODY": body,
        "WRK_AUTH": auth,
        "WRK_LIMIT": str(limit),
        "WRK_NAMESPACES": str(namespaces),
    }
    argv = [
        "taskset",
        "-c",
        WRK_CPU,
        "wrk",
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "5s",
        "--latency",
        "-s",
        str(LUA),
        f"http://127.0.0.1:{port}{path}",
    ]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed: {done.stderr or done.stdout}")
    return parse_wrk(done.stdout)


# ---- the parts of the run ------------------------------------------------------------------


@dataclass
class Contender:
    name: str
    servers: dict  # scenario name -> Server
    auth: str
    statuses: dict = field(default_factory=dict)  # scenario -> status seen on the probe
    runs: dict = field(default_factory=dict)  # scenario -> [Run]


def capture_floor_responses(mock: Server, auth: str) -> dict[str, Path]:
    """The mock's real answer for each scenario, to be replayed byte for byte by the floor."""
    files = {}
    for s in SCENARIOS:
        status, raw_headers, body = request(mock.port, s.method, s.path, s.headers(auth), s.body or None)
        # The date uvicorn adds is added by the floor's uvicorn too.
        kept = [(k, v) for k, v in raw_headers if k.lower() != "date"]
        path = WORK / f"floor-{s.name}.json"
        path.write_text(
            json.dumps({"status": status, "headers": kept, "body_b64": base64.b64encode(body).decode()})
        )
        files[s.name] = path
    return files


def probe(contender: Contender, s: Scenario) -> tuple[int, int]:
    server = contender.servers[s.name]
    status, _, body = request(server.port, s.method, s.path, s.headers(contender.auth), s.body or None)
    return status, len(body)


def run_rounds(
    contenders: list[Contender], scenarios: list[Scenario], rounds: int, seconds: float, warmup: float
) -> None:
    for s in scenarios:
        for c in contenders:
            if s.name not in c.servers:
                continue
            c.statuses[s.name] = probe(c, s)
            if warmup:
                load(c, s, warmup)
    if warmup:  # every server done with its warm-up before the first measured run
        time.sleep(2.5)
        for server in {id(srv): srv for c in contenders for srv in c.servers.values()}.values():
            settle(server, least=0)
    for r in range(rounds):
        for s in scenarios:
            order = contenders[r % len(contenders) :] + contenders[: r % len(contenders)]
            for c in order:
                if s.name not in c.servers:
                    continue
                server = c.servers[s.name]
                cpu0 = server.cpu_seconds()
                run = load(c, s, seconds)
                run.cpu = (server.cpu_seconds() - cpu0) / run.seconds
                c.runs.setdefault(s.name, []).append(run)
                settle(server)
                print(
                    f"  round {r + 1}/{rounds} {s.name:10} {c.name:14} {run.rps:9.0f} req/s  "
                    f"p50 {run.p50:6.2f} ms  p99 {run.p99:6.2f} ms  server CPU {run.cpu:4.0%}"
                    + (f"  non-2xx {run.non2xx}" if run.non2xx else "")
                    + (f"  socket errors {run.errors}" if run.errors else ""),
                    flush=True,
                )


TWIN = "mock-twin"  # a second mock, started as the first, for namespaces' price in pairs
PAIRED = (  # (name, what it is, the contender measured, the one it is measured against)
    ("journal", "the journal", "mock", "mock-nojournal"),
    ("fault", "an idle fault rule", "mock-fault", "mock"),
    ("floor", "the mock against the floor", "mock", "floor"),
    ("namespaces", "namespaces", "mock", TWIN),
    ("baseline", "the mock against the baseline checkout", "mock", "baseline"),  # with --baseline
)
# The scenario each side of a pair runs: the refund, except the twin, which runs the same
# refund in the default namespace only (the mock runs it spread over the namespaces).
PAIR_SCENARIO = {TWIN: SINGLE_NS_SCENARIO}


def load(contender: Contender, s: Scenario, seconds: float) -> Run:
    """One wrk run of scenario ``s`` on ``contender``'s server for it, as the contender sends it."""
    server = contender.servers[s.name]
    return wrk(
        server.port,
        s.method,
        s.path,
        body=s.body,
        auth=contender.auth,
        seconds=seconds,
        namespaces=s.namespaces,
    )


def run_pairs(contenders: list[Contender], scenarios: list[Scenario], pairs: int, seconds: float) -> dict:
    """The journal's, an idle fault rule's and namespaces' price on the refund, and the
    refund against the floor (and against the baseline checkout, when there is one), measured
    again after the rounds (journals full, refunds stored), in ``pairs`` pairs of
    ``seconds``-long runs of the two servers (with the feature and without it; the mock and
    the floor) loaded at the same time, each by its own wrk, on the one server core.

    This machine's rate moves by 10-30% from one run to the next, and the rounds set each
    run against one other run minutes apart. Loaded together, each server gets half the
    core, so the ratio of their req/s is the ratio of what a request costs each, and
    whatever slows the machine down slows both alike: two identical servers measured so
    came within 1-4% of each other, and one pair of servers repeats its ratio within a few
    per cent while the rates themselves move by 30%. Namespaces' price pairs the mock (the
    refund spread over the namespaces) with its twin, a second mock started the same way
    that serves the same refund in the default namespace only.

    For each: the pairs' req/s with and without, their ratio of the total requests (equal
    run lengths) and the median of the pairs' ratios."""
    by_name = {c.name: c for c in contenders}
    by_scenario = {s.name: s for s in scenarios}
    refund = by_scenario.get("refund")
    out: dict = {}
    for price_name, _, on, off in PAIRED:
        if refund is None or on not in by_name or off not in by_name:
            continue
        sides = [by_name[on], by_name[off]]
        runs = [by_scenario.get(PAIR_SCENARIO.get(c.name, "refund")) for c in sides]
        if None in runs:
            continue
        found: list[tuple[float, float]] = []
        for i in range(pairs):
            with_it, without = load_together(
                [c.servers[s.name] for c, s in zip(sides, runs, strict=True)],
                [lambda c=c, s=s: load(c, s, seconds) for c, s in zip(sides, runs, strict=True)],
            )
            found.append((with_it, without))
            print(
                f"  pair {i + 1}/{pairs} {price_name:8} {on} {with_it:8.0f} req/s  "
                f"{off} {without:8.0f} req/s  {with_it / without:.2f}x (together on one core)",
                flush=True,
            )
        out[price_name] = {
            "scenario": refund.name,
            "pairs": found,
            "seconds": seconds,
            "ratio": sum(a for a, _ in found) / sum(b for _, b in found),
            "median_pair_ratio": statistics.median(a / b for a, b in found),
        }
    return out


def load_together(servers: list[Server], loads: list[Callable[[], Run]]) -> tuple[float, float]:
    """One pair: each of the two servers settled, then both loaded at the same time on the
    one server core (``loads``, each its own wrk); their req/s."""
    for server in servers:
        settle(server)
    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(lambda run: run(), loads)
    return first.rps, second.rps


def settle(
    server: Server, quiet: float = 0.02, window: float = 0.25, least: float = 2.5, most: float = 15.0
) -> float:
    """Wait until ``server`` is done with what the last run left it, so the next contender's
    run (on the same core) does not share it: at least ``least`` seconds (a mock collects its
    frozen objects one to two seconds after its load stops, ``web/memory.py``), then until
    its CPU over ``window`` seconds is under ``quiet`` of a core (Prism goes on answering
    its backlog for about half a second after wrk stops), ``most`` at most. Returns the
    seconds waited."""
    started = time.perf_counter()
    time.sleep(least)
    while time.perf_counter() - started < most:
        before = server.cpu_seconds()
        time.sleep(window)
        if server.cpu_seconds() - before < quiet * window:
            break
    return time.perf_counter() - started


def first_answers(port: int) -> None:
    """What a test suite sends first: a login, a read, and an invalid refund (whose message
    needs the Python validator, imported on a thread once the mock listens)."""
    auth = {"Authorization": f"Bearer {login(port)}"}
    status, _, _ = request(port, "GET", "/admin/payments?limit=1", auth)
    invalid, _, _ = request(
        port,
        "POST",
        f"/admin/payments/{REFUND_ID}/refund",
        {**auth, "Content-Type": "application/json"},
        '{"amount":"abc"}',
    )
    if (status, invalid) != (200, 400):
        raise RuntimeError(f"first answers: {status}, {invalid}")


def measure_startup(n: int, include_prism: bool) -> dict:
    """Process start to the first 200 on /health, median of ``n`` (default specs/ and
    fixtures/), after one start each that is not counted (it writes the bytecode and
    parsed-file caches, as a first run on a machine does); for the mock also to its first
    answers to a login, a read and an invalid refund (``first_answers``). The contenders
    start in turn (mock, floor, Prism, mock, ...), so each figure is taken over the same
    stretch of the machine's time: its speed moves by a third from one minute to the next."""
    kinds = [
        ("mock", lambda i: start_mock(f"startup-mock-{i}", ROOT / "fixtures")),
        ("floor", lambda i: start_floor(f"startup-floor-{i}", WORK / "floor-get.json")),
    ]
    if include_prism:
        kinds.append(("prism", lambda i: start_prism(f"startup-prism-{i}")))
    for _, start in kinds:
        start("warm").stop()
    times: dict[str, list[float]] = {name: [] for name, _ in kinds}
    answered: list[float] = []
    for i in range(n):
        for name, start in kinds:
            server = start(i)
            times[name].append(server.startup)
            if name == "mock":
                began = time.perf_counter()
                first_answers(server.port)
                answered.append(server.startup + time.perf_counter() - began)
            server.stop()
    out = {}
    for name, found in times.items():
        out[name] = {"median_s": statistics.median(found), "all_s": found}
        if name == "mock":
            out[name]["first_answers_s"] = statistics.median(answered)
        print(
            f"  start-up {name:6} median {statistics.median(found) * 1000:.0f} ms "
            f"({', '.join(f'{t * 1000:.0f}' for t in found)})"
            + (
                f"; to its first answers {statistics.median(answered) * 1000:.0f} ms"
                if name == "mock"
                else ""
            ),
            flush=True,
        )
    return out


def measure_long_run(total: int, chunk: int = 100_000) -> dict:
    """RSS of a fresh mock after the first ``chunk`` requests and then after every further
    ``chunk`` up to ``total`` (GET one payment: reads only, so any growth is a leak).

    wrk cannot stop at a count by itself (its main thread sleeps for the whole -d), so the
    Lua script caps each thread at its share and -d is set from the rate just measured, with
    a margin: each chunk is bounded in count and in time."""
    server = start_mock("mock-long", FIXTURES)
    try:
        auth = "Bearer " + login(server.port)
        path = f"/admin/payments/{GET_ID}"
        rate = wrk(server.port, "GET", path, auth=auth, seconds=3).rps  # warm-up and rate
        samples = [(0, server.rss())]
        sent = 0
        started = time.perf_counter()
        while total - sent > chunk // 100:
            n = min(chunk, total - sent)
            run = wrk(
                server.port,
                "GET",
                path,
                auth=auth,
                seconds=min(600, n / rate * 1.15 + 1),
                limit=-(-n // THREADS),
            )
            sent += run.requests
            if run.requests < n * 0.99:  # stopped by time, not by count: slower than thought
                rate = max(run.requests / run.seconds, 100)
            samples.append((sent, server.rss()))
            print(f"  long run: {sent:>9,} requests, RSS {samples[-1][1]:.1f} MB", flush=True)
        return {"samples": samples, "seconds": time.perf_counter() - started, "path": path}
    finally:
        server.stop()


def write_refunds_fixture(path: Path, refunds: int) -> None:
    text = [
        "# generated by benchmarks/run.py: one payment with many refunds, one with none",
        "users:",
        "  - email: admin@example.com",
        "    password: supersecret",
        "payments:",
        f"  - id: {HUNDRED_K_ID}",
        "    amount: 1000000000000",
        "    captured: true",
        "    refunds: [" + ", ".join(["1"] * refunds) + "]",
        f"  - id: {NONE_ID}",
        "    amount: 1000000000000",
        "    captured: true",
    ]
    path.write_text("\n".join(text) + "\n")


def measure_many_refunds(
    refunds: int, rounds: int, seconds: float, pairs: int = 0, pair_seconds: float = 3.0
) -> dict:
    """The refund on a payment with ``refunds`` refunds and on one with none: ``rounds``
    alternating runs on one mock (rates and latencies), then ``pairs`` pairs of runs on that
    mock and a twin started from the same fixture, loaded together on the one server core,
    the first refunding the payment with the refunds and the twin the one without (the
    ratio of their req/s is the ratio of what each refund costs; the rounds' figures move
    with the machine's rate from one run to the next)."""
    fixture = WORK / f"refunds-{refunds}.yaml"
    write_refunds_fixture(fixture, refunds)
    server = start_mock("mock-refunds", fixture, timeout=600)
    twin = start_mock("mock-refunds-twin", fixture, timeout=600) if pairs else None
    try:
        auth = "Bearer " + login(server.port)
        state = request(
            server.port, "GET", f"/admin/payments/{HUNDRED_K_ID}?fields=refunds.id", {"Authorization": auth}
        )
        have = len(json.loads(state[2])["payment"]["refunds"])
        targets = {"many": HUNDRED_K_ID, "none": NONE_ID}
        runs: dict[str, list[Run]] = {"many": [], "none": []}
        for pid in targets.values():  # warm-up
            wrk(
                server.port,
                "POST",
                f"/admin/payments/{pid}/refund?fields=id",
                body='{"amount":1}',
                auth=auth,
                seconds=1,
            )
        for r in range(rounds):
            for name in ["many", "none"] if r % 2 == 0 else ["none", "many"]:
                run = wrk(
                    server.port,
                    "POST",
                    f"/admin/payments/{targets[name]}/refund?fields=id",
                    body='{"amount":1}',
                    auth=auth,
                    seconds=seconds,
                )
                runs[name].append(run)
                print(
                    f"  refunds round {r + 1}/{rounds} {name:5} {run.rps:8.0f} req/s  "
                    f"p50 {run.p50:.2f} ms  p99 {run.p99:.2f} ms",
                    flush=True,
                )
        found: list[tuple[float, float]] = []
        if twin is not None:
            twin_auth = "Bearer " + login(twin.port)
            sides = [(server, auth, HUNDRED_K_ID), (twin, twin_auth, NONE_ID)]

            def refund_load(side) -> Run:
                target, bearer, pid = side
                return wrk(
                    target.port,
                    "POST",
                    f"/admin/payments/{pid}/refund?fields=id",
                    body='{"amount":1}',
                    auth=bearer,
                    seconds=pair_seconds,
                )

            refund_load(sides[1])  # the twin's warm-up
            for i in range(pairs):
                many_rps, none_rps = load_together(
                    [server, twin], [lambda side=side: refund_load(side) for side in sides]
                )
                found.append((many_rps, none_rps))
                print(
                    f"  refunds pair {i + 1}/{pairs} many {many_rps:8.0f} req/s  none {none_rps:8.0f} req/s  "
                    f"{many_rps / none_rps:.2f}x (together on one core)",
                    flush=True,
                )
        return {
            "refunds_loaded": have,
            "startup_s": server.startup,
            "rss_mb": server.rss(),
            "runs": {k: [vars(x) for x in v] for k, v in runs.items()},
            "pairs": found,
            "pair_seconds": pair_seconds,
        }
    finally:
        server.stop()
        if twin is not None:
            twin.stop()


# ---- namespaces ----------------------------------------------------------------------------

DEFAULT_FIXTURES = ROOT / "fixtures"  # what `mock-server serve` loads without --fixtures
NS_PROBE_PATH = "/admin/payments?limit=1"  # any Medusa route builds the namespace it names


class KeepAlive:
    """One keep-alive HTTP/1.1 connection to a server, timed client side."""

    def __init__(self, port: int, auth: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.auth = auth

    def get(self, path: str, namespace: str | None = None) -> float:
        """Seconds from sending ``GET path`` to the end of its body; raises unless 200."""
        headers = {"Authorization": self.auth}
        if namespace is not None:
            headers[NAMESPACE_HEADER] = namespace
        t = time.perf_counter()
        self.conn.request("GET", path, headers=headers)
        response = self.conn.getresponse()
        body = response.read()
        took = time.perf_counter() - t
        if response.status != 200:
            raise RuntimeError(f"GET {path} in namespace {namespace}: {response.status} {body[:300]!r}")
        return took

    def delete(self, path: str) -> None:
        self.conn.request("DELETE", path)
        response = self.conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"DELETE {path}: {response.status} {body[:300]!r}")

    def close(self) -> None:
        self.conn.close()


class on_cpu:
    """Runs this (client) process on ``cpu`` meanwhile, away from the server's core."""

    def __init__(self, cpu: str) -> None:
        self.cpu = {int(cpu)}

    def __enter__(self) -> None:
        self.before = os.sched_getaffinity(0)
        os.sched_setaffinity(0, self.cpu)

    def __exit__(self, *exc) -> None:
        os.sched_setaffinity(0, self.before)


def touch_namespaces(port: int, auth: str, names: list[str]) -> float:
    """One request in each namespace (building those that do not exist yet); seconds taken."""
    client = KeepAlive(port, auth)
    try:
        started = time.perf_counter()
        for name in names:
            client.get(f"/admin/payments/{REFUND_ID}?fields=id", name)
        return time.perf_counter() - started
    finally:
        client.close()


# The idle fault rule of the mock-fault contender: a GET on a path no scenario requests, so
# the rule is tried (and passed over) on every request and never fires.
IDLE_FAULT = {"method": "GET", "path": "/admin/never-called", "status": 500}


def _faults_path(namespace: str | None) -> str:
    return "/__mock/faults" + (f"?namespace={namespace}" if namespace else "")


def add_idle_faults(port: int, namespaces: list[str | None]) -> None:
    """One ``IDLE_FAULT`` rule in each namespace (None: the default one), through the control
    API (open on loopback); then checks each namespace lists exactly that one rule."""
    body = json.dumps(IDLE_FAULT)
    for ns in namespaces:
        status, _, answer = request(
            port, "POST", _faults_path(ns), {"Content-Type": "application/json"}, body
        )
        if status != 201:
            raise RuntimeError(f"adding the idle fault rule in {ns or 'default'}: {status} {answer[:300]!r}")
    for ns in namespaces:
        rules = idle_fault_rules(port, ns)
        if len(rules) != 1 or any(rules[0].get(k) != v for k, v in IDLE_FAULT.items()):
            raise RuntimeError(f"namespace {ns or 'default'} lists {rules!r}, not the idle fault rule alone")


def idle_fault_rules(port: int, namespace: str | None) -> list[dict]:
    status, _, answer = request(port, "GET", _faults_path(namespace))
    if status != 200:
        raise RuntimeError(f"GET {_faults_path(namespace)}: {status} {answer[:300]!r}")
    return json.loads(answer)["faults"]


def idle_faults_fired(port: int, namespaces: list[str | None]) -> dict:
    """After the runs: how many times the idle rules fired, in all (0 unless the measurement
    went wrong) and by namespace where they did."""
    fired = {}
    for ns in namespaces:
        count = sum(rule.get("fired", 0) for rule in idle_fault_rules(port, ns))
        if count:
            fired[ns or "default"] = count
    return {"rules": len(namespaces), "fired": sum(fired.values()), "fired_in": fired}


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure_namespace_first_request(n: int, warm: int = 5) -> dict:
    """The price of isolation for one test: on a fresh mock with the default fixtures, the
    first request in each of ``n`` new namespaces (which builds its state) against the same
    request right after it (sequential, one keep-alive connection, timed client side with
    ``time.perf_counter`` around ``http.client``). ``warm`` namespaces first, not counted."""
    server = start_mock("mock-ns-first", DEFAULT_FIXTURES, "--max-namespaces", str(n + warm))
    try:
        auth = "Bearer " + login(server.port)
        client = KeepAlive(server.port, auth)
        try:
            with on_cpu(WRK_CPU):
                for _ in range(20):
                    client.get(NS_PROBE_PATH)
                default = [client.get(NS_PROBE_PATH) for _ in range(n)]
                for i in range(warm):
                    client.get(NS_PROBE_PATH, f"warm-{i}")
                    client.get(NS_PROBE_PATH, f"warm-{i}")
                first, second = [], []
                for i in range(n):
                    first.append(client.get(NS_PROBE_PATH, f"fresh-{i}"))
                    second.append(client.get(NS_PROBE_PATH, f"fresh-{i}"))
        finally:
            client.close()
    finally:
        server.stop()
    extra = [a - b for a, b in zip(first, second, strict=True)]
    out = {
        "namespaces": n,
        "path": NS_PROBE_PATH,
        "first_ms": median(first) * 1000,
        "second_ms": median(second) * 1000,
        "default_ms": median(default) * 1000,
        "extra_ms": median(extra) * 1000,
        "extra_p90_ms": quantile(extra, 0.9) * 1000,
        "extra_max_ms": max(extra) * 1000,
        "first_all_ms": [x * 1000 for x in first],
        "second_all_ms": [x * 1000 for x in second],
    }
    print(
        f"  first request in {n} fresh namespaces: median {out['first_ms']:.2f} ms, the next one "
        f"{out['second_ms']:.2f} ms (default namespace {out['default_ms']:.2f} ms); extra median "
        f"{out['extra_ms']:.2f} ms, p90 {out['extra_p90_ms']:.2f} ms, max {out['extra_max_ms']:.2f} ms",
        flush=True,
    )
    return out


def measure_namespace_memory(n: int, settle: float = 2.0) -> dict:
    """RSS of a fresh mock with the default fixtures (after a login and a few requests in
    the default namespace) before and after one request in each of ``n`` new namespaces,
    after dropping them all again (``DELETE /__mock/namespaces/NAME``), and after ``n``
    other new namespaces in their place (whether the freed memory serves again)."""
    server = start_mock("mock-ns-memory", DEFAULT_FIXTURES, "--max-namespaces", str(n))
    try:
        auth = "Bearer " + login(server.port)
        client = KeepAlive(server.port, auth)
        try:
            with on_cpu(WRK_CPU):
                for _ in range(20):
                    client.get(NS_PROBE_PATH)
                time.sleep(settle)
                before = server.rss()
                started = time.perf_counter()
                for i in range(n):
                    client.get(NS_PROBE_PATH, f"mem-{i}")
                touch_s = time.perf_counter() - started
                time.sleep(settle)
                after = server.rss()
                status, _, body = request(server.port, "GET", "/__mock/namespaces")
                count = json.loads(body)["count"] if status == 200 else None
                if count != n + 1:
                    raise RuntimeError(f"expected {n + 1} namespaces, the mock lists {count}")
                for i in range(n):
                    client.delete(f"/__mock/namespaces/mem-{i}")
                time.sleep(settle)  # the mock frees dropped state a second after a drop
                dropped = server.rss()
                for i in range(n):
                    client.get(NS_PROBE_PATH, f"again-{i}")
                time.sleep(settle)
                again = server.rss()
        finally:
            client.close()
    finally:
        server.stop()
    out = {
        "namespaces": n,
        "before_mb": before,
        "after_mb": after,
        "dropped_mb": dropped,
        "again_mb": again,
        "per_namespace_kb": (after - before) * 1024 / n,
        "touch_s": touch_s,
    }
    print(
        f"  RSS with {n} namespaces: {before:.1f} MB before, {after:.1f} MB after "
        f"({out['per_namespace_kb']:.0f} KB each; touched in {touch_s:.1f} s), "
        f"{dropped:.1f} MB once all were dropped, {again:.1f} MB with {n} others in their place",
        flush=True,
    )
    return out


# ---- the test suite ------------------------------------------------------------------------

_PYTEST_SUMMARY = re.compile(r"^=*\s*((?:\d+ [a-z]+(?:, )?)+) in ([\d.]+)s\b.*$", re.M)


def measure_make_test(pytest_args: list[str], timeout: float = 3600) -> dict:
    """The whole test suite as ``make test`` runs it (from the repository root, bytecode
    caches allowed), timed wall clock: its exit status, pytest's own summary line (the
    project's addopts have -q, so it is the last line, "N passed, M skipped in X s") and
    the output in ``benchmarks/.work/make-test.log``. ``pytest_args`` is for debugging this
    step on part of the suite only."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    log = WORK / "make-test.log"
    started = time.perf_counter()
    with open(log, "wb") as out:
        try:
            rc = subprocess.run(
                [PYTHON, "-m", "pytest", *pytest_args],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                timeout=timeout,
            ).returncode
        except subprocess.TimeoutExpired:
            rc = None
    wall = time.perf_counter() - started
    found = _PYTEST_SUMMARY.findall(log.read_text(errors="replace"))
    summary, pytest_s = (found[-1][0], float(found[-1][1])) if found else (None, None)
    out = {
        "command": " ".join(["pytest", *pytest_args]),
        "rc": rc,
        "passed": rc == 0,
        "wall_s": wall,
        "summary": summary,
        "pytest_s": pytest_s,
        "log": str(log.relative_to(ROOT)),
    }
    print(
        f"  make test: {'passed' if rc == 0 else f'FAILED (exit status {rc})'} in {wall:.1f} s wall"
        + (f"; pytest: {summary} in {pytest_s:.2f} s" if summary else "; no pytest summary line"),
        flush=True,
    )
    return out


# ---- report --------------------------------------------------------------------------------


def machine() -> dict:
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
    }


def versions(with_prism: bool) -> dict:
    from importlib.metadata import version

    out = {"python": platform.python_version()}
    for pkg in ("uvicorn", "starlette", "httptools", "uvloop", "orjson", "jsonschema", "jsonschema_rs"):
        try:
            out[pkg] = version(pkg)
        except Exception:
            out[pkg] = "-"
    wrk_v = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    out["wrk"] = (wrk_v.stdout or wrk_v.stderr).split("[")[0].replace("wrk", "").strip()
    out["node"] = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    if with_prism:
        out["prism"] = subprocess.run(
            ["node", str(PRISM_JS), "--version"], capture_output=True, text=True
        ).stdout.strip()
    return out


def median(values):
    return statistics.median(values) if values else float("nan")


def summarise(contenders: list[Contender]) -> dict:
    out = {}
    for c in contenders:
        for name, runs in c.runs.items():
            out.setdefault(name, {})[c.name] = {
                "rps": median([r.rps for r in runs]),
                "rps_min": min(r.rps for r in runs),
                "rps_max": max(r.rps for r in runs),
                "p50": median([r.p50 for r in runs]),
                "p99": median([r.p99 for r in runs]),
                "p99_max": max(r.p99 for r in runs),
                "cpu": median([r.cpu for r in runs if r.cpu is not None]),
                # requests per second of server CPU: the cost of a request, whether or not
                # the load generator kept the server's core busy all the time
                "per_cpu_s": median([r.rps / r.cpu for r in runs if r.cpu]),
                "status": c.statuses.get(name, (None, None))[0],
                "bytes": c.statuses.get(name, (None, None))[1],
                "non2xx": sum(r.non2xx for r in runs),
                "errors": sum(r.errors for r in runs),
                "runs": [vars(r) for r in runs],
            }
    return out


FLOOR_TARGET = 0.7  # the mock's req/s on every Medusa route, as a share of the floor's
P99_TARGET_MS = 5.0
STARTUP_TARGET_S = 0.3
PRICE_TARGET = 0.9  # the journal's and an idle fault rule's price on the refund, namespaces'


def targets(table: dict, extra: dict) -> list[tuple[bool, str]]:
    checks = []
    for name in HEADLINE:
        row = table.get(name, {})
        mock, floor, prism = row.get("mock"), row.get("floor"), row.get("prism")
        if mock and floor:
            ratio = mock["rps"] / floor["rps"]
            per_cpu = mock["per_cpu_s"] / floor["per_cpu_s"]
            pair = (extra.get("paired") or {}).get("floor") if name == "refund" else None
            if pair is None:
                ok, text = (
                    ratio >= FLOOR_TARGET,
                    f"(target >= {FLOOR_TARGET}x; per CPU-second {per_cpu:.2f}x)",
                )
            else:  # the rounds' ratio moves by a third from run to run on this machine
                ok, text = (
                    pair["ratio"] >= FLOOR_TARGET,
                    (
                        f"in the rounds (per CPU-second {per_cpu:.2f}x); {pair['ratio']:.2f}x over "
                        f"{len(pair['pairs'])} pairs loaded together (target >= {FLOOR_TARGET}x, on the pairs)"
                    ),
                )
            checks.append((ok, f"{name}: mock at {ratio:.2f}x the floor's req/s {text}"))
        if mock and prism and name in ("refund", "get"):
            ratio = mock["rps"] / prism["rps"]
            checks.append((ratio >= 10, f"{name}: mock at {ratio:.1f}x Prism's req/s (target >= 10x)"))
    for name, row in table.items():
        if "mock" in row:
            p99 = row["mock"]["p99"]
            # At 16 connections kept busy, a p99 is a few times 16 / req/s: the floor's in the
            # same rounds says how much of it the machine's own speed sets.
            beside = (
                f"; the floor's {row['floor']['p99']:.2f} ms in the same rounds" if "floor" in row else ""
            )
            checks.append(
                (
                    p99 <= P99_TARGET_MS,
                    f"{name}: mock p99 {p99:.2f} ms (target <= {P99_TARGET_MS:g} ms{beside})",
                )
            )
    paired = extra.get("paired") or {}
    for name, row in table.items():
        on, base = row.get("mock"), row.get("baseline")
        if on and base:
            pair = paired.get("baseline") if name == "refund" else None
            pairs = (
                f" in the rounds; {pair['ratio']:.2f}x over {len(pair['pairs'])} pairs loaded together"
                if pair
                else ""
            )
            checks.append(
                (True, f"{name}: mock at {on['rps'] / base['rps']:.2f}x the baseline checkout{pairs}")
            )
    costs = extra.get("prices") or prices(table)

    def on_refund(key: str, found: dict) -> tuple[bool, str]:
        """The refund's price against its target: from the pairs loaded together when they ran."""
        pair = paired.get(key)
        if pair is None:
            return found["ratio"] >= PRICE_TARGET, f" (target >= {PRICE_TARGET}x)"
        return pair["ratio"] >= PRICE_TARGET, (
            f" in the rounds; {pair['ratio']:.2f}x over {len(pair['pairs'])} pairs loaded together "
            f"(target >= {PRICE_TARGET}x, on the pairs)"
        )

    for name, found in costs["journal"].items():
        ok, target = on_refund("journal", found) if name == "refund" else (True, "")
        checks.append(
            (
                ok,
                f"{name}: journal on (1000 entries) at {found['ratio']:.2f}x the mock with "
                f"--journal-size 0{target}",
            )
        )
    faults = extra.get("idle_faults")
    for name, found in costs["fault"].items():
        ok, target = on_refund("fault", found) if name == "refund" else (True, "")
        checks.append(
            (
                ok,
                f"{name}: one idle fault rule in each namespace at {found['ratio']:.2f}x the mock "
                f"without (per CPU-second {found['per_cpu_ratio']:.2f}x){target}",
            )
        )
    if faults:
        checks.append(
            (
                faults["fired"] == 0,
                f"the idle fault rules ({faults['rules']}, one in each namespace) fired "
                f"{faults['fired']} times during the runs (must be 0: a rule that fires is not idle)",
            )
        )
    spread = costs["namespaces"]
    if spread:
        pair = paired.get("namespaces")
        ok, target = (
            (spread["ratio"] >= PRICE_TARGET, f"(target >= {PRICE_TARGET}x)")
            if pair is None
            else (
                pair["ratio"] >= PRICE_TARGET,
                f"in the rounds; {pair['ratio']:.2f}x over {len(pair['pairs'])} pairs of the mock "
                f"(spread) and its twin (default namespace) loaded together (target >= "
                f"{PRICE_TARGET}x, on the pairs)",
            )
        )
        checks.append(
            (
                ok,
                f"refund spread over {spread['namespaces']} namespaces at {spread['ratio']:.2f}x the "
                f"same refund in the default namespace only, same server (per CPU-second "
                f"{spread['per_cpu_ratio']:.2f}x) {target}",
            )
        )
    first = extra.get("ns_first")
    if first:
        checks.append(
            (
                first["extra_ms"] < 5,
                f"first request in a new namespace {first['extra_ms']:.2f} ms slower than the next "
                f"one (median over {first['namespaces']} fresh namespaces; target < 5 ms)",
            )
        )
    many = extra.get("many_refunds")
    if many:
        a = median([r["p50"] for r in many["runs"]["many"]])
        b = median([r["p50"] for r in many["runs"]["none"]])
        rounds_text = f"p50 {a:.2f} ms vs none {b:.2f} ms in the rounds"
        if many.get("pairs"):
            ratio = median([x / y for x, y in many["pairs"]])
            checks.append(
                (
                    abs(ratio - 1) <= 0.10,
                    f"refund on a payment with {many['refunds_loaded']:,} refunds at {ratio:.2f}x the "
                    f"req/s of one with none over {len(many['pairs'])} pairs of two mocks loaded "
                    f"together ({rounds_text}; target within 10%, on the pairs)",
                )
            )
        else:
            diff = (a - b) / b
            checks.append(
                (
                    abs(diff) <= 0.10,
                    f"refund p50 with {many['refunds_loaded']:,} refunds "
                    f"{a:.2f} ms vs none {b:.2f} ms ({diff:+.1%}; target within 10%)",
                )
            )
    startup = extra.get("startup", {}).get("mock")
    if startup:
        floor_start = extra["startup"].get("floor")
        beside = (
            f"; the floor {floor_start['median_s'] * 1000:.0f} ms, started in turn with it"
            if floor_start
            else ""
        )
        checks.append(
            (
                startup["median_s"] < STARTUP_TARGET_S,
                f"start-up {startup['median_s'] * 1000:.0f} ms to the first answered request "
                f"(target < {STARTUP_TARGET_S:g} s{beside})",
            )
        )
    idle = extra.get("rss", {}).get("mock", {}).get("idle")
    if idle is not None:
        checks.append((idle < 60, f"idle RSS {idle:.1f} MB (target < 60 MB)"))
    long = extra.get("long_run")
    if long and len(long["samples"]) > 2:
        first = long["samples"][1]
        last = long["samples"][-1]
        growth = last[1] / first[1] - 1
        checks.append(
            (
                growth <= 0.10,
                f"RSS after {last[0]:,} requests {last[1]:.1f} MB vs "
                f"{first[1]:.1f} MB after {first[0]:,} ({growth:+.1%}; target <= +10%)",
            )
        )
    return checks


def price(table: dict, scenario: str, contender: str, without_scenario: str, without: str) -> dict | None:
    """A feature's price: ``contender`` on ``scenario`` against ``without`` on
    ``without_scenario`` (the same run without the feature), from the same rounds: the ratio
    of the medians, of the requests per server CPU-second, and within each round (the two
    run in the same round, close together)."""
    on = table.get(scenario, {}).get(contender)
    off = table.get(without_scenario, {}).get(without)
    if not on or not off:
        return None
    return {
        "ratio": on["rps"] / off["rps"],
        "per_cpu_ratio": on["per_cpu_s"] / off["per_cpu_s"],
        "round_ratios": [a["rps"] / b["rps"] for a, b in zip(on["runs"], off["runs"], strict=True)],
    }


def namespace_spread(table: dict, contender: str = "mock") -> dict | None:
    """The price of namespaces: the refund spread over namespaces against the same refund in
    the default namespace only, same server, same rounds."""
    found = price(table, "refund", contender, SINGLE_NS_SCENARIO, contender)
    if found:
        found["namespaces"] = next(s.namespaces for s in SCENARIOS if s.name == "refund")
    return found


def prices(table: dict) -> dict:
    """Each steering feature's price, by scenario: the journal (mock ÷ mock-nojournal), an
    idle fault rule (mock-fault ÷ mock), namespaces (spread ÷ single, on the mock; on the
    floor, what wrk's per-request Lua call costs)."""
    out: dict = {"journal": {}, "fault": {}}
    for name in table:
        for key, on, off in (("journal", "mock", "mock-nojournal"), ("fault", "mock-fault", "mock")):
            found = price(table, name, on, name, off)
            if found:
                out[key][name] = found
    out["namespaces"] = namespace_spread(table)
    out["namespaces_floor"] = namespace_spread(table, "floor")
    return out


def fmt_ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a and b else "-"


def spread_bullet(table: dict) -> list[str]:
    n = next((s.namespaces for s in SCENARIOS if s.name in table and s.namespaces), 0)
    if not n:
        return ["- Namespaces: every request in the default namespace (`--namespaces 0`)."]
    return [
        f"- Namespaces: as a parallel test suite sends them, the requests of every scenario are "
        f"spread over {n} namespaces (`{NAMESPACE_HEADER}: ns-I`, I the next one each request, "
        f"wrk's Lua picking one of {n} pre-built requests), all created on each mock before the "
        f"runs; the floor, Prism and a baseline without namespaces ignore the header (the floor "
        f"still pays wrk's per-request Lua call)."
        + (
            f" `{SINGLE_NS_SCENARIO}` is the refund in the default namespace only, for the price "
            "of namespaces."
            if SINGLE_NS_SCENARIO in table
            else ""
        )
    ]


def price_section(table: dict, extra: dict) -> list[str]:
    costs = extra.get("prices") or prices(table)
    lines = []

    def rounds(found: dict) -> str:
        return ", ".join(f"{r:.2f}" for r in found["round_ratios"])

    if costs["journal"]:
        lines.append(
            "- The journal (1000 entries, on by default): mock ÷ mock-nojournal, "
            + "; ".join(
                f"{name} {f['ratio']:.2f}x (per CPU-second {f['per_cpu_ratio']:.2f}x; rounds {rounds(f)})"
                for name, f in costs["journal"].items()
            )
            + f". Target >= {PRICE_TARGET}x on the refund."
        )
    spread = costs["namespaces"]
    if spread:
        floor = costs.get("namespaces_floor")
        lines.append(
            f"- Namespaces: the refund spread over {spread['namespaces']} namespaces ÷ the same "
            f"refund in the default namespace only, on the mock: {spread['ratio']:.2f}x "
            f"(per CPU-second {spread['per_cpu_ratio']:.2f}x; rounds {rounds(spread)}); "
            f"target >= {PRICE_TARGET}x."
            + (
                f" The floor, which ignores the header, shows what wrk's per-request Lua call "
                f"costs the load generator: {floor['ratio']:.2f}x."
                if floor
                else ""
            )
        )
    if costs["fault"]:
        faults = extra.get("idle_faults")
        lines.append(
            "- An idle fault rule (one in each namespace, never firing): mock-fault ÷ mock, "
            + "; ".join(
                f"{name} {f['ratio']:.2f}x (per CPU-second {f['per_cpu_ratio']:.2f}x; rounds {rounds(f)})"
                for name, f in costs["fault"].items()
            )
            + f". Target >= {PRICE_TARGET}x on the refund (as the journal's), the others reported."
            + (
                f" The {faults['rules']} rule{'s' if faults['rules'] != 1 else ''} fired "
                f"{faults['fired']} times in all"
                + (" (as they must: never)." if not faults["fired"] else f": {faults['fired_in']}, NOT idle.")
                if faults
                else ""
            )
        )
    paired = extra.get("paired")
    if paired:
        what = {name: f"{label} ({on} ÷ {off})" for name, label, on, off in PAIRED}
        first = next(iter(paired.values()))
        lines.append(
            f"- The journal's, an idle fault rule's and namespaces' price on the refund, and the "
            f"refund against the floor, measured again after the rounds in {len(first['pairs'])} "
            f"pairs of {first['seconds']:g}-second runs: the two servers (with the feature and "
            "without; the mock and the floor; the mock with the refund spread over the "
            "namespaces and its twin, a second mock, with the same refund in the default "
            "namespace only) loaded at the same time on the one server core, each by its own wrk (each gets half the core, so the ratio of their "
            "req/s is the ratio of what a request costs each, and a machine slowing down slows "
            "both). The ratio of the total requests, which the targets use, then the median "
            "of the pairs' ratios and each pair's req/s, the first ÷ the second: "
            + "; ".join(
                f"{what[name]} **{p['ratio']:.2f}x** (median pair {p['median_pair_ratio']:.2f}x; "
                + ", ".join(f"{a:,.0f} ÷ {b:,.0f}" for a, b in p["pairs"])
                + ")"
                for name, p in paired.items()
            )
            + ". The rounds above set each price from runs minutes apart, on a machine whose "
            "rate moves by 10-30% from one run to the next. (Loaded together, both servers run "
            "slower than alone; the ratio is the figure.)"
        )
    return lines


def make_test_line(suite: dict) -> str:
    """ "make test: N passed in X s", the wall clock of the whole run."""
    counted = suite["summary"] or "no pytest summary line"
    status = "passed" if suite["passed"] else f"FAILED (exit status {suite['rc']})"
    own = f"; pytest's own figure {suite['pytest_s']:.1f} s" if suite["pytest_s"] is not None else ""
    how = (
        "as `make test` runs it"
        if suite["command"] == "pytest"
        else "part of the suite only (`--test-args`, a debugging run: not `make test`'s figure)"
    )
    return (
        f"- make test: {counted} in {suite['wall_s']:.1f} s (wall clock{own}): {status}. "
        f"`python -m {suite['command']}` from the repository root, {how}, after all the load "
        "above (never during it). Reported, not a target."
    )


PRICES_BULLET = (
    "- Prices (below): each steering feature as a ratio of req/s to the same run without it, "
    "from the same rounds: the journal = mock ÷ mock-nojournal; an idle fault rule = "
    "mock-fault ÷ mock; namespaces = the refund spread over the namespaces ÷ the same "
    f"refund in the default namespace only (`{SINGLE_NS_SCENARIO}`), both on the mock. Below "
    "1.00x the feature costs that share of the throughput."
)


def write_results(path: Path, args, table: dict, extra: dict, checks, started: dt.datetime) -> None:
    m, v = extra["machine"], extra["versions"]
    price_lines = price_section(table, extra)
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`benchmarks/run.py`); do not edit by hand. Re-run to refresh.",
        "",
        f"- Date: {started:%Y-%m-%d %H:%M} UTC; run took {extra['duration_s'] / 60:.1f} min"
        + (" (the measurements; the test suite's time is below)" if extra.get("make_test") else ""),
        f"- Machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram_gb']} GB RAM, Linux {m['kernel']}",
        f"- Versions: Python {v['python']}, uvicorn {v['uvicorn']} (httptools {v['httptools']}, "
        f"uvloop {v['uvloop']}), Starlette {v['starlette']}, orjson {v['orjson']}, "
        f"jsonschema {v['jsonschema']}, jsonschema_rs {v['jsonschema_rs']}, "
        f"Prism {v.get('prism', '-')} on Node {v['node']}, wrk {v['wrk']}",
        f"- Load: wrk (Debian's package; C, epoll, keeps up with far more than any contender "
        f"here) with {THREADS} threads and {CONNECTIONS} keep-alive connections on 127.0.0.1, "
        f"{args.rounds} rounds x {args.duration:g} s per scenario and contender after a "
        f"{args.warmup:g} s warm-up; contenders interleaved, their order rotating each round, "
        f"each run starting once the server of the run before is quiet (at least 2.5 s and "
        f"under 2% of a core: Prism answers its backlog for about half a second after wrk "
        f"stops, and all servers share one core). "
        f"Figures are the median of the rounds (req/s range in brackets).",
        "- Server CPU: the share of its core the server process used during the runs "
        "(`/proc/PID/stat`); below 100% the server was waiting for requests (the load "
        "generator, or other work on this shared machine, was the limit), so *req per CPU-s* "
        "(req/s ÷ CPU share; in brackets its ratio to the floor) is the cost of a request on "
        "its own, and the fairer ratio when the floor's CPU is well below 100%.",
        f"- CPUs: every server is pinned to CPU {SERVER_CPU} and wrk to CPU {WRK_CPU} "
        f"(`taskset`), so the load generator never takes the server's core. Each contender is "
        f"one process on one event loop.",
        "- Contenders: **mock** = `python -m mock_server serve --log-level warning` (uvicorn as "
        "`mock-server serve` runs it, no response validation, the default journal of 1000 "
        "entries on) on `benchmarks/fixtures.yaml`; "
        "**floor** = `benchmarks/floor.py`, Starlette on the same uvicorn answering every "
        "request with the mock's own status, headers and body for that scenario, captured "
        "once, with no logic; **mock-nojournal** = the mock with `--journal-size 0`; "
        "**mock-fault** = the mock with one fault rule that never fires "
        f"(`POST /__mock/faults?namespace=NAME` with `{json.dumps(IDLE_FAULT)}`) in each "
        "namespace the runs use and in the default one, added before the runs; "
        "**baseline** (with `--baseline DIR`) = the "
        "mock of another checkout, started the same way; **prism** = `prism mock -v warn specs/medusa-admin-payments.yaml` "
        "(static examples; `-v warn` so it does not log every request, as the mock does not).",
        "- Every request carries `Authorization: Bearer <token from POST /auth/user/emailpass>`; "
        "POSTs send `Content-Type: application/json`.",
        *spread_bullet(table),
        *([PRICES_BULLET] if price_lines else []),
        "",
    ]
    for s in SCENARIOS:
        row = table.get(s.name)
        if not row:
            continue
        lines += [
            f"## {s.title}",
            "",
            "| contender | status | body bytes | req/s | p50 ms | p99 ms (worst round) | server CPU | req per CPU-s | vs floor | vs Prism |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        floor = row.get("floor", {}).get("rps")
        floor_cpu = row.get("floor", {}).get("per_cpu_s")
        prism = row.get("prism", {}).get("rps")
        for name in ("mock", "mock-nojournal", "mock-fault", "baseline", "floor", "prism"):
            r = row.get(name)
            if not r:
                continue
            note = ""
            if r["errors"]:
                note = f" ({r['errors']} socket errors)"
            lines.append(
                f"| {name} | {r['status']} | {r['bytes']} | {r['rps']:,.0f} "
                f"({r['rps_min']:,.0f}–{r['rps_max']:,.0f}){note} | {r['p50']:.2f} | "
                f"{r['p99']:.2f} ({r['p99_max']:.2f}) | {r['cpu']:.0%} | {r['per_cpu_s']:,.0f} "
                f"({fmt_ratio(r['per_cpu_s'], floor_cpu)}) | {fmt_ratio(r['rps'], floor)} | "
                f"{fmt_ratio(r['rps'], prism)} |"
            )
        lines.append("")
    lines += ["## Start-up, memory, many refunds", ""]
    su = extra.get("startup")
    if su:
        lines.append(
            "- Start-up (process start to the first 200 on `/health`, default `specs/` "
            f"and `fixtures/`, median of {len(su['mock']['all_s'])} after one start not counted, "
            "which writes the bytecode and parsed-file caches; the contenders start in turn): "
            + "; ".join(f"{k} {d['median_s'] * 1000:.0f} ms" for k, d in su.items())
        )
        if "first_answers_s" in su["mock"]:
            lines.append(
                "- The mock from process start to its first answers to a login, a "
                "`GET /admin/payments?limit=1` and an invalid refund (400; its message needs the "
                "Python validator, imported on a thread once the mock listens), one after the "
                f"other: {su['mock']['first_answers_s'] * 1000:.0f} ms (median)"
            )
    rss = extra.get("rss")
    if rss:
        lines.append(
            "- RSS (VmRSS of the server process), idle after start-up and login → after "
            "all the rounds above: "
            + "; ".join(f"{k} {d['idle']:.1f} → {d['after']:.1f} MB" for k, d in rss.items())
        )
        lines.append(
            "  (the mock's growth after load is state, not a leak: every successful "
            "refund above is kept on the refund payment, as Medusa keeps its rows"
            + (
                ", and the namespaces of the spread refund hold their states"
                if namespace_spread(table)
                else ""
            )
            + ")"
        )
    long = extra.get("long_run")
    if long:
        s = long["samples"]
        lines.append(
            f"- RSS over a long run on a fresh mock (`GET {long['path']}`, default "
            f"fields, {s[-1][0]:,} requests in {long['seconds']:.0f} s): "
            f"idle {s[0][1]:.1f} MB, after {s[1][0]:,} requests {s[1][1]:.1f} MB, "
            f"after {s[-1][0]:,} {s[-1][1]:.1f} MB ({s[-1][1] / s[1][1] - 1:+.1%}). "
            "Every 100k: " + ", ".join(f"{mb:.1f}" for _, mb in s[1:]) + " MB."
        )
    many = extra.get("many_refunds")
    if many:
        a, b = many["runs"]["many"], many["runs"]["none"]
        lines.append(
            f"- Refund (`POST .../refund?fields=id`, amount 1) on a payment that has "
            f"{many['refunds_loaded']:,} refunds vs one with none (same mock, "
            f"{len(a)} alternating rounds of {args.many_duration:g} s each; both keep "
            f"collecting refunds as the rounds go): {median([r['rps'] for r in a]):,.0f} vs "
            f"{median([r['rps'] for r in b]):,.0f} req/s, p50 {median([r['p50'] for r in a]):.2f} vs "
            f"{median([r['p50'] for r in b]):.2f} ms, p99 {median([r['p99'] for r in a]):.2f} vs "
            f"{median([r['p99'] for r in b]):.2f} ms. Loading that fixture took "
            f"{many['startup_s']:.1f} s; RSS with it {many['rss_mb']:.0f} MB."
        )
        if many.get("pairs"):
            found = many["pairs"]
            lines.append(
                f"- The same two refunds in {len(found)} pairs of {many['pair_seconds']:g} s: that mock "
                f"refunding the payment with the refunds and a twin started from the same fixture "
                f"refunding the one without, loaded together on the one server core (each gets half "
                f"of it, so the ratio of their req/s is the ratio of what each refund costs; the "
                f"rounds above move with the machine's rate): median "
                f"{median([x / y for x, y in found]):.2f}x (pairs "
                + ", ".join(f"{x / y:.2f}" for x, y in found)
                + ")."
            )
    ns_lines = []
    spread = namespace_spread(table)
    if spread:
        pre = extra.get("ns_spread", {}).get("precreate_s")
        ns_lines.append(
            f"- Refund spread over {spread['namespaces']} namespaces (each request in the next "
            f"one, `x-mock-namespace: ns-I`; all {spread['namespaces']} created on the mock before "
            "the runs, "
            + (f"in {pre:.2f} s, " if pre is not None else "")
            + "one request each) against the same refund in the default namespace only "
            f"(`refund-1ns`), same server, in the same rounds: {spread['ratio']:.2f}x the req/s "
            f"(per round {', '.join(f'{r:.2f}' for r in spread['round_ratios'])}; "
            f"per CPU-second {spread['per_cpu_ratio']:.2f}x). The tables above have the figures."
        )
    first = extra.get("ns_first")
    if first:
        ns_lines.append(
            f"- The first request in a new namespace (it builds the namespace's state from the "
            f"default `fixtures/`) against the same request right after it, on a fresh mock: "
            f"`GET {first['path']}`, {first['namespaces']} fresh namespaces one after the other "
            f"on one keep-alive connection, timed in the client (`time.perf_counter` around "
            f"`http.client`): median {first['first_ms']:.2f} vs {first['second_ms']:.2f} ms "
            f"(the default namespace: {first['default_ms']:.2f} ms); the first costs "
            f"{first['extra_ms']:.2f} ms more (median of the differences; p90 "
            f"{first['extra_p90_ms']:.2f} ms, max {first['extra_max_ms']:.2f} ms)."
        )
    mem = extra.get("ns_memory")
    if mem:
        ns_lines.append(
            f"- Memory for {mem['namespaces']:,} namespaces of the default `fixtures/` (RSS of a "
            f"fresh mock after a login and 20 requests, then one `GET` in each of "
            f"{mem['namespaces']:,} new namespaces, {mem['touch_s']:.1f} s in all): "
            f"{mem['before_mb']:.1f} → {mem['after_mb']:.1f} MB, "
            f"{mem['per_namespace_kb']:.0f} KB per namespace; "
            f"{mem['dropped_mb']:.1f} MB after all of them were dropped "
            f"(`DELETE /__mock/namespaces/NAME`), {mem['again_mb']:.1f} MB with "
            f"{mem['namespaces']:,} other new namespaces in their place."
        )
    if ns_lines:
        lines += ["", "## Namespaces", "", *ns_lines]
    if price_lines:
        lines += ["", "## The price of each steering feature", "", *price_lines]
    suite = extra.get("make_test")
    if suite:
        lines += ["", "## The test suite", "", make_test_line(suite)]
    lines += ["", "## Targets", ""]
    lines += [f"- {'PASS' if ok else 'FAIL'}: {text}" for ok, text in checks]
    lines += [
        "",
        "What the profile shows about these figures, what each optimisation bought and "
        "why a target is missed: `benchmarks/PROFILE.md`.",
        "",
    ]
    path.write_text("\n".join(lines))


# ---- main ----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run")
    parser.add_argument(
        "--warmup", type=float, default=2.0, help="seconds of warm-up per contender and scenario"
    )
    parser.add_argument(
        "--contenders",
        default="mock,mock-nojournal,mock-fault,floor,prism",
        help="mock-nojournal: the mock with --journal-size 0 (the journal's price); mock-fault: "
        "the mock with an idle fault rule in each namespace (its price); baseline: the mock "
        "package in --baseline (another checkout, to compare versions)",
    )
    parser.add_argument(
        "--scenarios",
        default=",".join(HEADLINE),
        help=f"of {', '.join(HEADLINE)} (with refund and namespaces, {SINGLE_NS_SCENARIO} runs too)",
    )
    parser.add_argument(
        "--long-requests",
        type=int,
        default=int(os.environ.get("BENCH_LONG_REQUESTS", 1_000_000)),
        help="requests of the memory run (0: skip; env BENCH_LONG_REQUESTS)",
    )
    parser.add_argument(
        "--refunds", type=int, default=100_000, help="refunds on the 'many refunds' payment (0: skip)"
    )
    parser.add_argument(
        "--price-pairs",
        type=int,
        default=6,
        help="pairs of runs, with and without, loaded together, measuring the journal's, an "
        "idle fault rule's and namespaces' price, the refund against the floor, and the refund on "
        "a payment with many refunds against one with none, after the rounds (0: skip; the "
        "targets then use the rounds)",
    )
    parser.add_argument("--price-duration", type=float, default=3.0, help="seconds per paired run")
    parser.add_argument("--many-rounds", type=int, default=3)
    parser.add_argument("--many-duration", type=float, default=5.0)
    parser.add_argument("--startup-runs", type=int, default=5, help="0: skip")
    parser.add_argument(
        "--namespaces",
        type=int,
        default=DEFAULT_NAMESPACES,
        help="spread the requests of every scenario over this many namespaces, and run the "
        f"refund in the default namespace only too ({SINGLE_NS_SCENARIO}: the price of "
        "namespaces); 0: every request in the default namespace",
    )
    parser.add_argument(
        "--ns-fresh",
        type=int,
        default=200,
        help="fresh namespaces for the price of a namespace's first request (0: skip)",
    )
    parser.add_argument(
        "--ns-memory", type=int, default=1000, help="namespaces for the memory figure (0: skip)"
    )
    parser.add_argument(
        "--no-namespaces",
        action="store_true",
        help="skip the three namespace figures (as --namespaces 0 --ns-fresh 0 --ns-memory 0)",
    )
    parser.add_argument(
        "--no-test-time",
        action="store_true",
        help="do not run and time the whole test suite (`make test`) after the load",
    )
    parser.add_argument(
        "--test-args",
        default="",
        help="debugging aid only: pytest arguments for the timed test run, e.g. "
        "'tests/test_faults.py' to check this step quickly (the figure is then not `make test`'s)",
    )
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--json", type=Path, default=WORK / "results.json")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="mock and floor only, refund and get (spread over the namespaces), 3 x 3 s, "
        "nothing else; results to benchmarks/.work/quick.md",
    )
    parser.add_argument(
        "--mock-root",
        type=Path,
        default=ROOT,
        help="run the mock package found in this folder (to compare versions)",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="a checkout whose mock is the 'baseline' contender (in the rounds, and paired with "
        "the mock on the refund)",
    )
    args = parser.parse_args()
    global MOCK_ROOT
    MOCK_ROOT = args.mock_root.resolve()
    if args.quick:
        if args.contenders == parser.get_default("contenders"):
            args.contenders = "mock,floor"
        args.scenarios = "refund,get"
        args.duration, args.warmup = 3.0, 1.0
        args.long_requests = args.refunds = args.startup_runs = 0
        args.ns_fresh = args.ns_memory = 0
        args.no_test_time = True
        if args.results == HERE / "RESULTS.md":
            args.results = WORK / "quick.md"
        if args.json == WORK / "results.json":
            args.json = WORK / "quick.json"

    WORK.mkdir(exist_ok=True)
    started = dt.datetime.now(dt.timezone.utc)
    t0 = time.perf_counter()
    names = args.contenders.split(",")
    known = ("mock", "mock-nojournal", "mock-fault", "baseline", "floor", "prism")
    if set(names) - set(known):
        parser.error(
            f"unknown contender(s) {', '.join(sorted(set(names) - set(known)))} (known: {', '.join(known)})"
        )
    if args.no_namespaces:
        args.namespaces = args.ns_fresh = args.ns_memory = 0
    if args.namespaces < 0 or args.ns_fresh < 0 or args.ns_memory < 0:
        parser.error("--namespaces, --ns-fresh and --ns-memory are counts (0: skip)")
    SCENARIOS[:] = build_scenarios(args.namespaces)
    chosen = set(args.scenarios.split(","))
    if set(chosen) - {s.name for s in SCENARIOS}:
        parser.error(f"unknown scenario(s) {', '.join(sorted(chosen - {s.name for s in SCENARIOS}))}")
    if args.namespaces and "refund" in chosen and not args.quick:
        chosen.add(SINGLE_NS_SCENARIO)  # the spread refund is measured against the single one
    scenarios = [s for s in SCENARIOS if s.name in chosen]
    ns_names = [namespace_name(i) for i in range(args.namespaces)]
    # the namespaces besides the default one a mock may hold (its default limit is 1000)
    ns_limit = ("--max-namespaces", str(args.namespaces)) if args.namespaces > 1000 else ()
    ensure_wrk()
    if "prism" in names:
        ensure_prism()
    extra: dict = {"machine": machine(), "versions": versions("prism" in names)}
    servers: list[Server] = []
    contenders: list[Contender] = []
    mocks: list[Server] = []  # the mock servers, whose namespaces are created before the runs
    fault_server = None
    try:
        print("starting the contenders ...", flush=True)
        mock = start_mock("mock", FIXTURES, *ns_limit)
        servers.append(mock)
        auth = "Bearer " + login(mock.port)
        rss = {"mock": {"idle": mock.rss()}}
        floor_files = capture_floor_responses(mock, auth)
        if "mock" in names:
            contenders.append(Contender("mock", {s.name: mock for s in scenarios if s.runs_on("mock")}, auth))
            mocks.append(mock)
        for name, flags in (("mock-nojournal", ("--journal-size", "0")), ("mock-fault", ())):
            if name in names:
                server = start_mock(name, FIXTURES, *flags, *ns_limit)
                servers.append(server)
                mocks.append(server)
                contenders.append(
                    Contender(name, {s.name: server for s in scenarios if s.runs_on(name)}, auth)
                )
                if name == "mock-fault":
                    fault_server = server
        if "baseline" in names:
            if args.baseline is None:
                parser.error("the baseline contender needs --baseline CHECKOUT")
            baseline = start_mock("baseline", FIXTURES, root=args.baseline.resolve())
            servers.append(baseline)
            mocks.append(baseline)
            contenders.append(
                Contender("baseline", {s.name: baseline for s in scenarios if s.runs_on("baseline")}, auth)
            )
        if "floor" in names:
            floors = {}
            for s in scenarios:
                if s.runs_on("floor"):
                    floors[s.name] = start_floor(f"floor-{s.name}", floor_files[s.name])
                    servers.append(floors[s.name])
            rss["floor"] = {"idle": floors[scenarios[0].name].rss()}
            contenders.append(Contender("floor", floors, auth))
        if "prism" in names:
            prism = start_prism()
            servers.append(prism)
            rss["prism"] = {"idle": prism.rss()}
            contenders.append(
                Contender("prism", {s.name: prism for s in scenarios if s.runs_on("prism")}, auth)
            )
        if ns_names and any(s.namespaces for s in scenarios):
            # steady state: every namespace exists (built from the fixtures) before the runs
            for server in mocks:
                took = touch_namespaces(server.port, auth, ns_names)
                if server is mock:
                    extra["ns_spread"] = {"namespaces": args.namespaces, "precreate_s": took}
                print(f"  {server.name}: {args.namespaces} namespaces created in {took:.2f} s", flush=True)
        fault_namespaces: list[str | None] = [None, *ns_names]
        if fault_server is not None:
            add_idle_faults(fault_server.port, fault_namespaces)
            print(
                f"  mock-fault: the idle fault rule added in {len(fault_namespaces)} namespaces "
                f"(default and {args.namespaces} others)",
                flush=True,
            )
        contenders.sort(key=lambda c: names.index(c.name))
        print(
            f"load: {args.rounds} rounds x {args.duration:g} s, {THREADS} threads, {CONNECTIONS} connections",
            flush=True,
        )
        run_rounds(contenders, scenarios, args.rounds, args.duration, args.warmup)
        if args.price_pairs:
            print(
                f"prices on the refund: {args.price_pairs} pairs x {args.price_duration:g} s ...",
                flush=True,
            )
            paired_with = list(contenders)
            single = next((s for s in scenarios if s.name == SINGLE_NS_SCENARIO), None)
            if single is not None and "mock" in names:
                twin = start_mock(TWIN, FIXTURES, *ns_limit)
                servers.append(twin)
                paired_with.append(Contender(TWIN, {single.name: twin}, auth))
                load(paired_with[-1], single, args.warmup or 2.0)  # as the others were warmed up
            extra["paired"] = run_pairs(paired_with, scenarios, args.price_pairs, args.price_duration)
        rss["mock"]["after"] = mock.rss()
        if "floor" in names:
            rss["floor"]["after"] = floors[scenarios[0].name].rss()
        if "prism" in names:
            rss["prism"]["after"] = prism.rss()
        extra["rss"] = {k: v for k, v in rss.items() if k in names}
        if fault_server is not None:
            extra["idle_faults"] = idle_faults_fired(fault_server.port, fault_namespaces)
            if extra["idle_faults"]["fired"]:
                print(
                    f"  WARNING: the idle fault rules fired: {extra['idle_faults']['fired_in']}", flush=True
                )
    finally:
        for server in servers:
            server.stop()
    table = summarise(contenders)
    extra["prices"] = prices(table)
    if args.startup_runs:
        print("start-up ...", flush=True)
        extra["startup"] = measure_startup(args.startup_runs, "prism" in names)
    if args.refunds:
        print(f"refunds on a payment with {args.refunds:,} refunds vs none ...", flush=True)
        extra["many_refunds"] = measure_many_refunds(
            args.refunds, args.many_rounds, args.many_duration, args.price_pairs, args.price_duration
        )
    if args.long_requests:
        print(f"memory over {args.long_requests:,} requests ...", flush=True)
        extra["long_run"] = measure_long_run(args.long_requests)
    if args.ns_fresh:
        print(f"the first request in {args.ns_fresh} fresh namespaces ...", flush=True)
        extra["ns_first"] = measure_namespace_first_request(args.ns_fresh)
    if args.ns_memory:
        print(f"RSS for {args.ns_memory:,} namespaces ...", flush=True)
        extra["ns_memory"] = measure_namespace_memory(args.ns_memory)
    extra["duration_s"] = time.perf_counter() - t0  # the measurements, without the test suite
    if not args.no_test_time:
        # after every load measurement: the suite's own CPU use never overlaps a figure
        print("the whole test suite (make test) ...", flush=True)
        extra["make_test"] = measure_make_test(args.test_args.split())
    checks = targets(table, extra)
    write_results(args.results, args, table, extra, checks, started)
    args.json.write_text(json.dumps({"table": table, **extra}, indent=1, default=str))

    print()
    for s in scenarios:
        row = table.get(s.name, {})
        floor = row.get("floor", {}).get("rps")
        prism = row.get("prism", {}).get("rps")
        for name, r in row.items():
            print(
                f"{s.name:10} {name:14} {r['rps']:9,.0f} req/s  p50 {r['p50']:6.2f} ms  "
                f"p99 {r['p99']:6.2f} ms  vs floor {fmt_ratio(r['rps'], floor):>6}  "
                f"vs Prism {fmt_ratio(r['rps'], prism):>7}"
            )
    print()
    for ok, text in checks:
        print(f"{'PASS' if ok else 'FAIL'}: {text}")
    print(f"\nwritten: {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
