"""Machine instructions per request, in process, counted by valgrind's callgrind: a figure
that does not move with the machine's load, unlike any timing on a shared VM (where the
same run varies by 10-30%). Used to attribute each change in benchmarks/PROFILE.md; not
part of ``make bench``.

    .venv/bin/python benchmarks/instructions.py [refund get list rejected] [--n 500] [--journal-size N]

For each scenario (benchmarks/run.py's, in the default namespace, as benchmarks/inproc.py
sends them) it runs the app under callgrind twice, with ``n`` requests and with none, and
prints the difference divided by ``n``. Needs valgrind; about a minute per scenario.

Each request gets header objects of its own, as from a server's HTTP parser (both runs
build the same number of them beforehand, so building them is not counted): with one set
of objects sent again and again, comparing a request's headers with the ones the journal
remembers stops at each pair's identity, and the journal's cost read 0.4k instructions
instead of 7k (benchmarks/PROFILE.md).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))


def child(name: str, n: int, build: int, journal_size: int) -> None:
    """Log in, build sets of new header objects, warm up (until the journal is full and
    evicts), then send ``n`` requests of scenario ``name`` (under callgrind)."""
    from inproc import call, headers_for, login
    from mock_server.config import Config
    from mock_server.web import memory
    from mock_server.web.app import create_app
    from run import SCENARIOS

    app = create_app(Config(fixtures=HERE / "fixtures.yaml", journal_size=journal_size))
    warm = 50 + journal_size
    memory.serve_mode()
    scenario = next(s for s in SCENARIOS if s.name == name)

    async def main() -> None:
        headers = headers_for(scenario, await login(app))
        fresh = [
            [(bytes(bytearray(k)), bytes(bytearray(v))) for k, v in headers] for _ in range(warm + build)
        ]
        data = scenario.body.encode()
        for i in range(warm + n):  # the warm-up is the same in both runs
            await call(app, scenario.method, scenario.path, fresh[i], data)

    asyncio.run(main())


def collected(name: str, n: int, build: int, journal_size: int) -> int:
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            __file__,
            "--child",
            name,
            str(n),
            str(build),
            str(journal_size),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise RuntimeError(f"no instruction count from callgrind:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main() -> int:
    if len(sys.argv) == 6 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
        return 0
    parser = argparse.ArgumentParser()
    parser.add_argument("scenarios", nargs="*", default=["refund", "get", "list", "rejected"])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--journal-size", type=int, default=1000, help="0 turns the journal off")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind is not installed", file=sys.stderr)
        return 2
    for name in args.scenarios:
        size = args.journal_size
        per_request = (collected(name, args.n, args.n, size) - collected(name, 0, args.n, size)) / args.n
        print(f"{name:9} {per_request / 1000:7.1f}k instructions/request", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
