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
  with 100,000 refunds against one with none.
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
    port: int, method: str, path: str, *, body: str = "", auth: str = "", seconds: float, limit: int = 0
) -> Run:
    env = {**os.environ, "WRK_METHOD": method, "WRK_BODY": body, "WRK_AUTH": auth, "WRK_LIMIT": str(limit)}
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
        headers = {"Authorization": auth}
        if s.body:
            headers["Content-Type"] = "application/json"
        status, raw_headers, body = request(mock.port, s.method, s.path, headers, s.body or None)
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
    headers = {"Authorization": contender.auth}
    if s.body:
        headers["Content-Type"] = "application/json"
    status, _, body = request(server.port, s.method, s.path, headers, s.body or None)
    return status, len(body)


def run_rounds(
    contenders: list[Contender], scenarios: list[Scenario], rounds: int, seconds: float, warmup: float
) -> None:
    for s in scenarios:
        for c in contenders:
            c.statuses[s.name] = probe(c, s)
            if warmup:
                server = c.servers[s.name]
                wrk(server.port, s.method, s.path, body=s.body, auth=c.auth, seconds=warmup)
    for r in range(rounds):
        for s in scenarios:
            order = contenders[r % len(contenders) :] + contenders[: r % len(contenders)]
            for c in order:
                server = c.servers[s.name]
                cpu0 = server.cpu_seconds()
                run = wrk(server.port, s.method, s.path, body=s.body, auth=c.auth, seconds=seconds)
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
            "refund above is kept on the refund payment, as Medusa keeps its rows)"
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
        if args.results == HERE / "RESULTS.md":
            args.results = WORK / "quick.md"
        if args.json == WORK / "results.json":
            args.json = WORK / "quick.json"

    WORK.mkdir(exist_ok=True)
    started = dt.datetime.now(dt.timezone.utc)
    t0 = time.perf_counter()
    names = args.contenders.split(",")
    scenarios = [s for s in SCENARIOS if s.name in args.scenarios.split(",")]
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
            contenders.append(Contender("mock-nojournal", {s.name: nojournal for s in scenarios}, auth))
        if "baseline" in names:
            if args.baseline is None:
                parser.error("the baseline contender needs --baseline CHECKOUT")
            baseline = start_mock("baseline", FIXTURES, root=args.baseline.resolve())
            servers.append(baseline)
            contenders.append(Contender("baseline", {s.name: baseline for s in scenarios}, auth))
        if "floor" in names:
            floors = {}
            for s in scenarios:
                floors[s.name] = start_floor(f"floor-{s.name}", floor_files[s.name])
                servers.append(floors[s.name])
            rss["floor"] = {"idle": floors[scenarios[0].name].rss()}
            contenders.append(Contender("floor", floors, auth))
        if "prism" in names:
            prism = start_prism()
            servers.append(prism)
            rss["prism"] = {"idle": prism.rss()}
            contenders.append(Contender("prism", {s.name: prism for s in scenarios}, auth))
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
