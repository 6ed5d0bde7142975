"""What the dashboard's polling costs the mock (mock_server/control/ui/ui.js): the requests
an open page makes, timed against a real server whose journal is full of the largest
entries it keeps (1000 requests with bodies over the 16 KiB cut and long headers).

    .venv/bin/python benchmarks/dashboard.py [--entries 1000] [--rounds 30]

Prints, per request, the median and the worst round trip and the answer's size: the first
journal fetch (``limit=50``, JOURNAL_FETCH in ui.js), the steady poll (``since=`` the last
seq, nothing new), ``/__mock/state`` and ``/__mock/faults`` (read again after a write and
every 3 s), and ``/__mock/requests?limit=500`` for comparison. A round trip bounds the time
the request held the event loop from above.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mock_server.tooling.process import MockProcess  # noqa: E402


def timed(client: httpx.Client, path: str, rounds: int) -> str:
    times = []
    size = 0
    for _ in range(rounds):
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
        size = len(response.content)
    return f"{path:45} median {statistics.median(times):6.1f} ms  worst {max(times):6.1f} ms  {size / 1024:7.0f} KiB"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    server = MockProcess("--journal-size", str(args.entries))
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            body = b'{"note":"' + b"x" * 17_000 + b'"}'
            headers = {"content-type": "application/json", "x-padding": "y" * 2000}
            for _ in range(args.entries):
                client.post("/admin/payments/pay_unknown/refund", content=body, headers=headers)
            last = client.get("/__mock/requests", params={"limit": 1}).json()["requests"][0]["seq"]
            print(f"journal: {args.entries} entries of ~{len(body) // 1024} KiB bodies (kept: 16 KiB)")
            for path in (
                "/__mock/requests?limit=50",
                f"/__mock/requests?since={last}&limit=50",
                "/__mock/state",
                "/__mock/faults",
                "/__mock/requests?limit=500",
            ):
                print(timed(client, path, args.rounds))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
