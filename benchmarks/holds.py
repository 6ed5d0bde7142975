"""How long one request holds up the others: for each kind of request below, a served mock
answers ``GET /health`` back to back on another connection while that one request runs,
and the longest of those answers is printed (a request that holds the event loop for
40 ms shows as a ``/health`` of about 40 ms). Not part of ``make bench``; used for
benchmarks/PROFILE.md.

    .venv/bin/python benchmarks/holds.py [--rounds 3] [--refunds 100000]

The state requests run on a mock started with a payment of ``--refunds`` refunds (the
fixture ``make bench`` writes for its "many refunds" figure), the others on the default
fixtures with a full journal (1,000 refunds recorded first). Each kind runs ``--rounds``
times; the figure is the median round's longest ``/health``, and the worst round's.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import run  # noqa: E402
from mock_server.tooling.process import MockProcess  # noqa: E402

CAPTURED = "pay_01KDEM0CAPTVRED00000000000"
ADMIN = {"email": "admin@example.com", "password": "supersecret"}
JSON = {"content-type": "application/json"}


# The pinger runs in a process of its own: in this one it would share the interpreter lock
# with the client reading a 12 MB answer, and measure that instead of the server.
PINGER = """
import http.client, select, sys, time
connection = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=60)
longest, started = 0.0, time.perf_counter()
print("ready", flush=True)
while not select.select([sys.stdin], [], [], 0)[0]:
    t = time.perf_counter()
    connection.request("GET", "/health")
    connection.getresponse().read()
    if t - started > 0.1:  # after its own first requests
        longest = max(longest, time.perf_counter() - t)
print(longest, flush=True)
"""


def longest_health_during(port: int, request) -> tuple[float, float, object]:
    """(seconds the request took, the longest /health answered meanwhile, its status)."""
    pinger = subprocess.Popen(
        [sys.executable, "-c", PINGER, str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert pinger.stdout is not None and pinger.stdin is not None
    pinger.stdout.readline()
    time.sleep(0.15)
    t = time.perf_counter()
    status = request()
    took = time.perf_counter() - t
    time.sleep(0.03)
    pinger.stdin.write("stop\n")
    pinger.stdin.close()
    longest = float(pinger.stdout.readline())
    pinger.wait()
    return took, longest, status


def measure(server: MockProcess, cases: dict, rounds: int) -> None:
    with httpx.Client(base_url=server.url, timeout=120) as c:
        token = c.post("/auth/user/emailpass", json=ADMIN).json()["token"]
        auth = {"authorization": f"Bearer {token}", **JSON}
        for name, (method, path, body, with_auth) in cases.items():
            holds, took = [], []
            status = None
            for _ in range(rounds):

                def request(method=method, path=path, body=body, with_auth=with_auth):
                    headers = auth if with_auth else {"content-type": "application/x-yaml"}
                    return c.request(method, path, content=body, headers=headers).status_code

                t, held, status = longest_health_during(server.port, request)
                holds.append(held)
                took.append(t)
            print(
                f"  {name:<36} {status!s:>4} {statistics.median(took) * 1000:8.1f} ms"
                f" {statistics.median(holds) * 1000:9.1f} ms {max(holds) * 1000:8.1f} ms",
                flush=True,
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--refunds", type=int, default=100_000)
    args = parser.parse_args()
    refund = f"/admin/payments/{CAPTURED}/refund"
    many = "payments:\n" + "".join(
        f"  - amount: 100\n    captured: true\n    refunds: [{', '.join(['1'] * 20)}]\n" for _ in range(2000)
    )
    print(f"{'':38}{'status':>6}{'took':>11}{'/health':>12}{'worst':>11}")
    with tempfile.TemporaryDirectory() as folder:
        fixture = Path(folder) / "many-refunds.yaml"
        run.write_refunds_fixture(fixture, args.refunds)
        print(f"a payment with {args.refunds:,} refunds:")
        server = MockProcess("--fixtures", str(fixture))
        try:
            measure(server, {"GET /__mock/state": ("GET", "/__mock/state", None, False)}, args.rounds)
            measure(server, {"POST /__mock/reset": ("POST", "/__mock/reset", None, False)}, args.rounds)
        finally:
            server.stop()
    print("the default fixtures, 1,000 refunds in the journal:")
    server = MockProcess()
    try:
        with httpx.Client(base_url=server.url, timeout=60) as c:
            token = c.post("/auth/user/emailpass", json=ADMIN).json()["token"]
            for _ in range(1000):
                c.post(
                    refund,
                    content=b'{"amount": 0.0001}',
                    headers={"authorization": f"Bearer {token}", **JSON},
                )
        cases = {
            "a refund": ("POST", refund, json.dumps({"amount": 0.0001}), True),
            "a refund, note 20,000 arrays deep": (
                "POST",
                refund,
                '{"note": ' + "[" * 20000 + "]" * 20000 + "}",
                True,
            ),
            "a refund, body 20,000 arrays deep": ("POST", refund, "[" * 20000 + "]" * 20000, True),
            "GET /__mock/requests (1,000)": ("GET", "/__mock/requests", None, False),
            "POST /__mock/reset": ("POST", "/__mock/reset", None, False),
            "POST /__mock/load (2,000 payments)": ("POST", "/__mock/load", many, False),
        }
        measure(server, cases, args.rounds)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
