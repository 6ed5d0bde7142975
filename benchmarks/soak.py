"""``make soak``: a bounded mixed load of valid and hostile requests against a mock server
on a free loopback port, printing RSS and p99 latency at intervals. RSS and p99 must stay
flat: the run fails (exit 1) if RSS after the warm-up interval grows by more than
``--rss-slack`` MB, or the last interval's p99 is more than 3x the first one's (+20 ms).

    .venv/bin/python benchmarks/soak.py                     # 180 s, 4 clients, 15 s intervals
    .venv/bin/python benchmarks/soak.py --duration 60 --interval 10

Each client loops over the mix below (valid: login, GET one payment, list, a small refund
and a capture attempt; hostile: oversized and chunked bodies, a gzip bomb, a ``br`` body,
deep nesting, a 5,000-digit amount, 1e26 captures, a forged session cookie, a 17 kB head).
The state is reset (``POST /__mock/reset``) at each interval, so the refunds the valid
requests store do not count as growth.
"""

from __future__ import annotations

import argparse
import gzip
import socket
import statistics
import sys
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from mock_server.tooling.process import MockProcess  # noqa: E402

ADMIN = {"email": "admin@example.com", "password": "supersecret"}
CAPTURED = "pay_01KDEM0CAPTVRED00000000000"
AUTHORIZED = "pay_01KDEM0AVTH0R1ZED000000000"
JSON = {"Content-Type": "application/json"}


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024


def big_head(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-A: " + b"a" * 17000 + b"\r\n\r\n")
        assert s.recv(100).startswith(b"HTTP/1.1 431")


def mix(token: str):
    auth = {"Authorization": f"Bearer {token}"}
    refund = f"/admin/payments/{CAPTURED}/refund"
    capture = f"/admin/payments/{AUTHORIZED}/capture"
    oversized = b'{"email":"' + b"a" * 102400 + b'"}'
    bomb = gzip.compress(b'{"email":"' + b"a" * 5_000_000 + b'"}')
    # deep enough for the slow parser, and a 400 in Medusa (a note nested past 3,163
    # levels is its 500: the validation message runs V8 out of stack)
    deep = '{"note": ' + "[" * 3000 + "]" * 3000 + "}"
    valid = [
        ("POST", "/auth/user/emailpass", dict(json=ADMIN)),
        ("GET", f"/admin/payments/{CAPTURED}", dict(headers=auth)),
        ("GET", "/admin/payments?limit=20", dict(headers=auth)),
        ("POST", refund, dict(json={"amount": 0.01}, headers=auth)),
        ("POST", capture, dict(json={"amount": 1}, headers=auth)),
    ]
    hostile = [
        ("POST", "/auth/user/emailpass", dict(content=oversized, headers=JSON)),
        ("POST", "/auth/user/emailpass", dict(content=(b" " * 65536 for _ in range(40)), headers=JSON)),
        ("POST", "/auth/user/emailpass", dict(content=bomb, headers={**JSON, "Content-Encoding": "gzip"})),
        ("POST", refund, dict(content=b'{"amount":5}', headers={**auth, **JSON, "Content-Encoding": "br"})),
        ("POST", refund, dict(content=deep, headers={**auth, **JSON})),
        ("POST", refund, dict(content='{"amount": ' + "9" * 5000 + "}", headers={**auth, **JSON})),
        ("POST", refund, dict(content="[" * 10000, headers={**auth, **JSON})),
        ("POST", capture, dict(content='{"amount":1e26}', headers={**auth, **JSON})),
        ("GET", "/admin/payments", dict(headers={"Cookie": "connect.sid=s%3Aabc.%C3%A9"})),
        ("HEAD", None, {}),  # a 17 kB request head, on its own connection
    ]
    return valid, hostile


class Load:
    def __init__(self, server: MockProcess, clients: int) -> None:
        self.server, self.stop = server, threading.Event()
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.count = self.errors = 0
        self.threads = [threading.Thread(target=self.client, daemon=True) for _ in range(clients)]

    def client(self) -> None:
        with httpx.Client(base_url=self.server.url, timeout=60) as c:
            token = c.post("/auth/user/emailpass", json=ADMIN).json()["token"]
            valid, hostile = mix(token)
            i = 0
            while not self.stop.is_set():
                for method, url, kwargs in valid:
                    t = time.perf_counter()
                    status = c.request(method, url, **kwargs).status_code
                    took = time.perf_counter() - t
                    with self.lock:
                        self.latencies.append(took)
                        self.count += 1
                        self.errors += status >= 500
                method, url, kwargs = hostile[i % len(hostile)]
                i += 1
                if url is None:
                    big_head(self.server.port)
                    status = 431
                else:
                    status = c.request(method, url, **kwargs).status_code
                with self.lock:
                    self.count += 1
                    self.errors += status >= 500

    def take(self) -> tuple[list[float], int, int]:
        with self.lock:
            out = self.latencies, self.count, self.errors
            self.latencies, self.count, self.errors = [], 0, 0
        return out


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] * 1000 if len(values) >= 2 else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=180, help="seconds (default 180)")
    parser.add_argument("--interval", type=float, default=15, help="seconds between reports")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rss-slack", type=float, default=15, help="MB of growth allowed")
    args = parser.parse_args()

    server = MockProcess()
    try:
        load = Load(server, args.clients)
        for thread in load.threads:
            thread.start()
        start = time.monotonic()
        rows = []
        print(f"{'time s':>7} {'requests':>9} {'5xx':>4} {'RSS MB':>7} {'p99 ms':>7}", flush=True)
        while time.monotonic() - start < args.duration:
            time.sleep(args.interval)
            latencies, count, errors = load.take()
            rss = rss_mb(server.process.pid)
            rows.append((rss, p99(latencies), errors))
            print(
                f"{time.monotonic() - start:7.0f} {count:9d} {errors:4d} {rss:7.1f} {rows[-1][1]:7.1f}",
                flush=True,
            )
            httpx.post(server.url + "/__mock/reset", timeout=30)
        load.stop.set()
        for thread in load.threads:
            thread.join()
    finally:
        server.stop()
    if len(rows) < 3:
        print("too short to judge (fewer than 3 intervals)")
        return 0
    base, last = rows[1], rows[-1]  # the first interval is the warm-up
    grown = max(r[0] for r in rows[1:]) - base[0]
    failed = []
    if grown > args.rss_slack:
        failed.append(f"RSS grew {grown:.1f} MB after the warm-up")
    if last[1] > 3 * rows[1][1] + 20:
        failed.append(f"p99 went from {rows[1][1]:.1f} to {last[1]:.1f} ms")
    if any(r[2] for r in rows):
        failed.append("5xx answers")
    print(
        "FAIL: " + "; ".join(failed)
        if failed
        else f"PASS: RSS {base[0]:.1f} -> {last[0]:.1f} MB, p99 {rows[1][1]:.1f} -> {last[1]:.1f} ms"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
