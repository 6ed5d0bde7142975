"""``make bench``: the mock against the floor and against Prism, on loopback, with wrk.

    .venv/bin/python benchmarks/run.py                  # everything, writes benchmarks/RESULTS.md
    .venv/bin/python benchmarks/run.py --quick          # mock + floor, refund and GET, 3 x 3 s
    .venv/bin/python benchmarks/run.py --help

What runs (all on 127.0.0.1, every load run bounded by wrk's -d):
- contenders: the mock (``python -m mock_server serve``, uvicorn as ``mock-server serve`` runs it,
  no response validation), the floor (``benchmarks/floor.py``: one pre-built response per
  scenario, the mock's own bytes), Stoplight Prism 5.16 in mock mode on ``specs/``;
- scenarios: a refund that succeeds, GET one payment (default fields), list 20 payments, a
  refund rejected by validation; wrk with 2 threads and 16 connections, several rounds with
  the contenders interleaved (the order rotates each round);
- start-up (process start to the first 200 on /health, median of 5), idle RSS, RSS after the
  load, RSS after the first 100,000 and after 1,000,000 requests, and the refund on a payment
  with 100,000 refunds against one with none;
- namespaces (``x-mock-namespace``): the refund spread over 100 namespaces against the same
  refund in one (same server, same rounds), the first request in a fresh namespace against the
  next one (200 fresh namespaces), and RSS before and after touching 1,000 namespaces
  (``--no-namespaces`` skips all three).
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
from dataclasses import dataclass, field
from pathlib import Path

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
NS_SCENARIO = "refund-ns"
DEFAULT_NAMESPACES = 100


def namespace_name(i: int) -> str:
    return f"ns-{i}"  # as benchmarks/wrk/request.lua names them


def ns_scenario(n: int) -> Scenario:
    """The refund scenario with its requests spread over ``n`` namespaces. Only the mock (the
    figure), the mock without journal (the price of ``n`` journals) and the floor (what wrk's
    per-request Lua call leaves of the ceiling) run it: Prism, or a baseline checkout from
    before namespaces, would ignore the header and measure the plain refund again."""
    return Scenario(
        NS_SCENARIO,
        f"POST /admin/payments/{{id}}/refund?fields=id (amount 1, succeeds) spread over {n} "
        f"namespaces (`x-mock-namespace: ns-0` .. `ns-{n - 1}`, the next one each request)",
        "POST",
        f"/admin/payments/{REFUND_ID}/refund?fields=id",
        '{"amount":1}',
        namespaces=n,
        contenders=("mock", "mock-nojournal", "floor"),
    )


SCENARIOS = [
    Scenario(
        "refund",
        "POST /admin/payments/{id}/refund?fields=id (amount 1, succeeds)",
        "POST",
        f"/admin/payments/{REFUND_ID}/refund?fields=id",
        '{"amount":1}',
    ),
    Scenario("get", "GET /admin/payments/{id} (default fields)", "GET", f"/admin/payments/{GET_ID}"),
    Scenario("list", "GET /admin/payments?limit=20", "GET", "/admin/payments?limit=20"),
    Scenario(
        "rejected",
        'POST /admin/payments/{id}/refund?fields=id, amount "abc" (400)',
        "POST",
        f"/admin/payments/{REFUND_ID}/refund?fields=id",
        '{"amount":"abc"}',
    ),
]
# right after the single-namespace refund, so the two run back to back in every round
SCENARIOS.insert(1, ns_scenario(DEFAULT_NAMESPACES))


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
                server = c.servers[s.name]
                wrk(
                    server.port,
                    s.method,
                    s.path,
                    body=s.body,
                    auth=c.auth,
                    seconds=warmup,
                    namespaces=s.namespaces,
                )
    for r in range(rounds):
        for s in scenarios:
            order = contenders[r % len(contenders) :] + contenders[: r % len(contenders)]
            for c in order:
                if s.name not in c.servers:
                    continue
                server = c.servers[s.name]
                cpu0 = server.cpu_seconds()
                run = wrk(
                    server.port,
                    s.method,
                    s.path,
                    body=s.body,
                    auth=c.auth,
                    seconds=seconds,
                    namespaces=s.namespaces,
                )
                run.cpu = (server.cpu_seconds() - cpu0) / run.seconds
                c.runs.setdefault(s.name, []).append(run)
                print(
                    f"  round {r + 1}/{rounds} {s.name:9} {c.name:6} {run.rps:9.0f} req/s  "
                    f"p50 {run.p50:6.2f} ms  p99 {run.p99:6.2f} ms  server CPU {run.cpu:4.0%}"
                    + (f"  non-2xx {run.non2xx}" if run.non2xx else "")
                    + (f"  socket errors {run.errors}" if run.errors else ""),
                    flush=True,
                )


def measure_startup(n: int, include_prism: bool) -> dict:
    """Process start to the first 200 on /health, median of ``n`` (default specs/ and fixtures/)."""
    out = {}
    kinds = [
        ("mock", lambda i: start_mock(f"startup-mock-{i}", ROOT / "fixtures")),
        ("floor", lambda i: start_floor(f"startup-floor-{i}", WORK / "floor-get.json")),
    ]
    if include_prism:
        kinds.append(("prism", lambda i: start_prism(f"startup-prism-{i}")))
    for name, start in kinds:
        times = []
        for i in range(n):
            server = start(i)
            times.append(server.startup)
            server.stop()
        out[name] = {"median_s": statistics.median(times), "all_s": times}
        print(
            f"  start-up {name:6} median {statistics.median(times) * 1000:.0f} ms "
            f"({', '.join(f'{t * 1000:.0f}' for t in times)})",
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


def measure_many_refunds(refunds: int, rounds: int, seconds: float) -> dict:
    fixture = WORK / f"refunds-{refunds}.yaml"
    write_refunds_fixture(fixture, refunds)
    server = start_mock("mock-refunds", fixture, timeout=600)
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
        return {
            "refunds_loaded": have,
            "startup_s": server.startup,
            "rss_mb": server.rss(),
            "runs": {k: [vars(x) for x in v] for k, v in runs.items()},
        }
    finally:
        server.stop()


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


def targets(table: dict, extra: dict) -> list[tuple[bool, str]]:
    checks = []
    for name in ("refund", "get"):
        row = table.get(name, {})
        mock, floor, prism = row.get("mock"), row.get("floor"), row.get("prism")
        if mock and floor:
            ratio = mock["rps"] / floor["rps"]
            per_cpu = mock["per_cpu_s"] / floor["per_cpu_s"]
            checks.append(
                (
                    ratio >= 0.5,
                    f"{name}: mock at {ratio:.2f}x the floor's req/s (target >= 0.5x; "
                    f"per CPU-second {per_cpu:.2f}x)",
                )
            )
        if mock and prism:
            ratio = mock["rps"] / prism["rps"]
            checks.append((ratio >= 10, f"{name}: mock at {ratio:.1f}x Prism's req/s (target >= 10x)"))
    for name, row in table.items():
        if "mock" in row:
            p99 = row["mock"]["p99"]
            checks.append((p99 <= 5, f"{name}: mock p99 {p99:.2f} ms (target <= 5 ms)"))
    for name, row in table.items():
        on, off = row.get("mock"), row.get("mock-nojournal")
        if on and off:
            ratio = on["rps"] / off["rps"]
            checks.append(
                (
                    ratio >= 0.9 if name == "refund" else True,
                    f"{name}: journal on (1000 entries) at {ratio:.2f}x the mock with --journal-size 0"
                    + (" (target >= 0.9x)" if name == "refund" else ""),
                )
            )
        base = row.get("baseline")
        if on and base:
            checks.append((True, f"{name}: mock at {on['rps'] / base['rps']:.2f}x the baseline checkout"))
    spread = namespace_spread(table)
    if spread:
        checks.append(
            (
                spread["ratio"] >= 0.9,
                f"refund spread over {spread['namespaces']} namespaces at {spread['ratio']:.2f}x the "
                f"same refund in one namespace, same server (target >= 0.9x; per CPU-second "
                f"{spread['per_cpu_ratio']:.2f}x)",
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
        checks.append(
            (startup["median_s"] < 1, f"start-up {startup['median_s'] * 1000:.0f} ms (target < 1 s)")
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


def namespace_spread(table: dict) -> dict | None:
    """The mock's refund spread over namespaces against the single-namespace refund of the
    same run and server: the ratio of the medians, and the ratio within each round (the two
    run back to back)."""
    spread, single = table.get(NS_SCENARIO, {}).get("mock"), table.get("refund", {}).get("mock")
    if not spread or not single:
        return None
    return {
        "namespaces": next(s.namespaces for s in SCENARIOS if s.name == NS_SCENARIO),
        "ratio": spread["rps"] / single["rps"],
        "per_cpu_ratio": spread["per_cpu_s"] / single["per_cpu_s"],
        "round_ratios": [a["rps"] / b["rps"] for a, b in zip(spread["runs"], single["runs"], strict=True)],
    }


def fmt_ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a and b else "-"


def write_results(path: Path, args, table: dict, extra: dict, checks, started: dt.datetime) -> None:
    m, v = extra["machine"], extra["versions"]
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`benchmarks/run.py`); do not edit by hand. Re-run to refresh.",
        "",
        f"- Date: {started:%Y-%m-%d %H:%M} UTC; run took {extra['duration_s'] / 60:.1f} min",
        f"- Machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram_gb']} GB RAM, Linux {m['kernel']}",
        f"- Versions: Python {v['python']}, uvicorn {v['uvicorn']} (httptools {v['httptools']}, "
        f"uvloop {v['uvloop']}), Starlette {v['starlette']}, orjson {v['orjson']}, "
        f"jsonschema {v['jsonschema']}, jsonschema_rs {v['jsonschema_rs']}, "
        f"Prism {v.get('prism', '-')} on Node {v['node']}, wrk {v['wrk']}",
        f"- Load: wrk (Debian's package; C, epoll, keeps up with far more than any contender "
        f"here) with {THREADS} threads and {CONNECTIONS} keep-alive connections on 127.0.0.1, "
        f"{args.rounds} rounds x {args.duration:g} s per scenario and contender after a "
        f"{args.warmup:g} s warm-up; contenders interleaved, their order rotating each round. "
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
        "`mock-server serve` runs it, no response validation) on `benchmarks/fixtures.yaml`; "
        "**floor** = `benchmarks/floor.py`, Starlette on the same uvicorn answering every "
        "request with the mock's own status, headers and body for that scenario, captured "
        "once, with no logic; **mock-nojournal** = the mock with `--journal-size 0` (the "
        "journal's price is mock ÷ mock-nojournal); **baseline** (with `--baseline DIR`) = the "
        "mock of another checkout, started the same way; **prism** = `prism mock -v warn specs/medusa-admin-payments.yaml` "
        "(static examples; `-v warn` so it does not log every request, as the mock does not).",
        "- Every request carries `Authorization: Bearer <token from POST /auth/user/emailpass>`; "
        "POSTs send `Content-Type: application/json`.",
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
        for name in ("mock", "mock-nojournal", "baseline", "floor", "prism"):
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
            f"and `fixtures/`, median of {len(su['mock']['all_s'])}): "
            + "; ".join(f"{k} {d['median_s'] * 1000:.0f} ms" for k, d in su.items())
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
    ns_lines = []
    spread = namespace_spread(table)
    if spread:
        pre = extra.get("ns_spread", {}).get("precreate_s")
        ns_lines.append(
            f"- Refund spread over {spread['namespaces']} namespaces (each request in the next "
            f"one, `x-mock-namespace: ns-I`; all {spread['namespaces']} created before the runs, "
            + (f"in {pre:.2f} s, " if pre is not None else "")
            + "one request each) against the same refund in the default namespace, same server, "
            f"back to back in each round: {spread['ratio']:.2f}x the req/s "
            f"(per round {', '.join(f'{r:.2f}' for r in spread['round_ratios'])}; "
            f"per CPU-second {spread['per_cpu_ratio']:.2f}x). The table above has the figures."
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
        default="mock,mock-nojournal,floor,prism",
        help="mock-nojournal: the mock with --journal-size 0 (the journal's price); "
        "baseline: the mock package in --baseline (another checkout, to compare versions)",
    )
    parser.add_argument("--scenarios", default=",".join(s.name for s in SCENARIOS))
    parser.add_argument(
        "--long-requests",
        type=int,
        default=int(os.environ.get("BENCH_LONG_REQUESTS", 1_000_000)),
        help="requests of the memory run (0: skip; env BENCH_LONG_REQUESTS)",
    )
    parser.add_argument(
        "--refunds", type=int, default=100_000, help="refunds on the 'many refunds' payment (0: skip)"
    )
    parser.add_argument("--many-rounds", type=int, default=3)
    parser.add_argument("--many-duration", type=float, default=5.0)
    parser.add_argument("--startup-runs", type=int, default=5, help="0: skip")
    parser.add_argument(
        "--namespaces",
        type=int,
        default=DEFAULT_NAMESPACES,
        help="with the refund scenario, also run it spread over this many namespaces "
        f"(scenario {NS_SCENARIO}; 0: skip)",
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
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--json", type=Path, default=WORK / "results.json")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="mock and floor only, refund and get, 3 x 3 s, nothing else; "
        "results to benchmarks/.work/quick.md",
    )
    parser.add_argument(
        "--mock-root",
        type=Path,
        default=ROOT,
        help="run the mock package found in this folder (to compare versions)",
    )
    parser.add_argument("--baseline", type=Path, help="a checkout whose mock is the 'baseline' contender")
    args = parser.parse_args()
    global MOCK_ROOT
    MOCK_ROOT = args.mock_root.resolve()
    if args.quick:
        if args.contenders == parser.get_default("contenders"):
            args.contenders = "mock,floor"
        args.scenarios = "refund,get"
        args.duration, args.warmup = 3.0, 1.0
        args.long_requests = args.refunds = args.startup_runs = 0
        args.no_namespaces = True
        if args.results == HERE / "RESULTS.md":
            args.results = WORK / "quick.md"
        if args.json == WORK / "results.json":
            args.json = WORK / "quick.json"

    WORK.mkdir(exist_ok=True)
    started = dt.datetime.now(dt.timezone.utc)
    t0 = time.perf_counter()
    names = args.contenders.split(",")
    if args.no_namespaces:
        args.namespaces = args.ns_fresh = args.ns_memory = 0
    if args.namespaces < 0 or args.ns_fresh < 0 or args.ns_memory < 0:
        parser.error("--namespaces, --ns-fresh and --ns-memory are counts (0: skip)")
    chosen = set(args.scenarios.split(","))
    if args.namespaces and "refund" in chosen:
        chosen.add(NS_SCENARIO)  # the spread refund is measured against the single one
    if not args.namespaces:
        chosen.discard(NS_SCENARIO)
    else:
        SCENARIOS[:] = [ns_scenario(args.namespaces) if s.name == NS_SCENARIO else s for s in SCENARIOS]
    scenarios = [s for s in SCENARIOS if s.name in chosen]
    ensure_wrk()
    if "prism" in names:
        ensure_prism()
    extra: dict = {"machine": machine(), "versions": versions("prism" in names)}
    servers: list[Server] = []
    contenders: list[Contender] = []
    try:
        print("starting the contenders ...", flush=True)
        mock = start_mock("mock", FIXTURES)
        servers.append(mock)
        auth = "Bearer " + login(mock.port)
        rss = {"mock": {"idle": mock.rss()}}
        floor_files = capture_floor_responses(mock, auth)
        if "mock" in names:
            contenders.append(Contender("mock", {s.name: mock for s in scenarios}, auth))
        if "mock-nojournal" in names:
            nojournal = start_mock("mock-nojournal", FIXTURES, "--journal-size", "0")
            servers.append(nojournal)
            contenders.append(
                Contender(
                    "mock-nojournal",
                    {s.name: nojournal for s in scenarios if s.runs_on("mock-nojournal")},
                    auth,
                )
            )
        if "baseline" in names:
            if args.baseline is None:
                parser.error("the baseline contender needs --baseline CHECKOUT")
            baseline = start_mock("baseline", FIXTURES, root=args.baseline.resolve())
            servers.append(baseline)
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
        spread = next((s for s in scenarios if s.namespaces), None)
        if spread and "mock" in names:
            # steady state: every namespace exists (built from the fixtures) before the runs
            took = touch_namespaces(mock.port, auth, [namespace_name(i) for i in range(spread.namespaces)])
            extra["ns_spread"] = {"namespaces": spread.namespaces, "precreate_s": took}
            print(f"  {spread.namespaces} namespaces created in {took:.2f} s", flush=True)
        contenders.sort(key=lambda c: names.index(c.name))
        print(
            f"load: {args.rounds} rounds x {args.duration:g} s, {THREADS} threads, {CONNECTIONS} connections",
            flush=True,
        )
        run_rounds(contenders, scenarios, args.rounds, args.duration, args.warmup)
        rss["mock"]["after"] = mock.rss()
        if "floor" in names:
            rss["floor"]["after"] = floors[scenarios[0].name].rss()
        if "prism" in names:
            rss["prism"]["after"] = prism.rss()
        extra["rss"] = {k: v for k, v in rss.items() if k in names}
    finally:
        for server in servers:
            server.stop()
    table = summarise(contenders)
    if args.startup_runs:
        print("start-up ...", flush=True)
        extra["startup"] = measure_startup(args.startup_runs, "prism" in names)
    if args.refunds:
        print(f"refunds on a payment with {args.refunds:,} refunds vs none ...", flush=True)
        extra["many_refunds"] = measure_many_refunds(args.refunds, args.many_rounds, args.many_duration)
    if args.long_requests:
        print(f"memory over {args.long_requests:,} requests ...", flush=True)
        extra["long_run"] = measure_long_run(args.long_requests)
    if args.ns_fresh:
        print(f"the first request in {args.ns_fresh} fresh namespaces ...", flush=True)
        extra["ns_first"] = measure_namespace_first_request(args.ns_fresh)
    if args.ns_memory:
        print(f"RSS for {args.ns_memory:,} namespaces ...", flush=True)
        extra["ns_memory"] = measure_namespace_memory(args.ns_memory)
    extra["duration_s"] = time.perf_counter() - t0
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
                f"{s.name:9} {name:6} {r['rps']:9,.0f} req/s  p50 {r['p50']:6.2f} ms  "
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
