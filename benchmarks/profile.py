"""Profile the mock's hot path under load with py-spy (not part of ``make bench``).

    .venv/bin/pip install py-spy==0.4.3
    .venv/bin/python benchmarks/profile.py refund get --seconds 10

For each scenario: a fresh mock (as run.py starts it), wrk load on it (same settings), and
``py-spy record`` sampling it meanwhile; prints the top functions by own time and by
inclusive time (share of samples), and keeps the collapsed stacks and a flame graph under
``benchmarks/.work/``.
"""

from __future__ import annotations

import argparse
import collections
import subprocess
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402

# The checkout this script belongs to; frames under it are shown relative to it.
REPO_ROOT = str(Path(__file__).resolve().parent.parent) + "/"


def top(collapsed: Path, n: int) -> tuple[int, list, list]:
    own: collections.Counter = collections.Counter()
    inclusive: collections.Counter = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        count = int(count)
        total += count
        frames = [_short(f) for f in stack.split(";")]
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    return total, own.most_common(n), inclusive.most_common(n)


def _short(frame: str) -> str:
    # "respond (mock_server/web/app.py:97)" -> "respond (mock_server/web/app.py)"; keep library paths short
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    path, _, _line = where.rpartition(":")
    if path.startswith(REPO_ROOT):
        path = path[len(REPO_ROOT) :]
    for marker in ("site-packages/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{name} ({path})" if path else name


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenarios", nargs="*", default=["refund", "get"])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--tag", default="", help="suffix of the output files")
    args = parser.parse_args()
    run.WORK.mkdir(exist_ok=True)
    py_spy = Path(sys.executable).parent / "py-spy"
    for name in args.scenarios:
        s = next(x for x in run.SCENARIOS if x.name == name)
        server = run.start_mock(f"profile-{name}", run.FIXTURES)
        try:
            auth = "Bearer " + run.login(server.port)
            run.wrk(
                server.port, s.method, s.path, body=s.body, auth=auth, seconds=2, namespaces=s.namespaces
            )  # warm-up
            result = {}
            load = threading.Thread(  # joined below
                target=lambda result=result, server=server, s=s, auth=auth: result.setdefault(
                    "run",
                    run.wrk(
                        server.port,
                        s.method,
                        s.path,
                        body=s.body,
                        auth=auth,
                        seconds=args.seconds + 2,
                        namespaces=s.namespaces,
                    ),
                )
            )
            load.start()
            out = run.WORK / f"profile-{name}{args.tag}"
            for fmt, suffix in (("raw", ".txt"),):
                subprocess.run(
                    [
                        str(py_spy),
                        "record",
                        "--pid",
                        str(server.pid),
                        "--rate",
                        str(args.rate),
                        "--duration",
                        str(args.seconds),
                        "--nonblocking",
                        "--format",
                        fmt,
                        "--output",
                        str(out) + suffix,
                    ],
                    check=True,
                    capture_output=True,
                    timeout=args.seconds + 60,
                )
            load.join()
        finally:
            server.stop()
        total, own, inclusive = top(Path(str(out) + ".txt"), args.top)
        r = result["run"]
        print(f"\n## {s.title}: {r.rps:,.0f} req/s under py-spy, {total} samples\n")
        print("own time:")
        for frame, count in own:
            print(f"  {count / total:6.1%}  {frame}")
        print("inclusive:")
        for frame, count in inclusive:
            print(f"  {count / total:6.1%}  {frame}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
