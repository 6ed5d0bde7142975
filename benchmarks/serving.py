"""Machine instructions per request of a *serving* process (uvicorn, the event loop and the
app together), counted by valgrind's callgrind: the figure benchmarks/instructions.py gives
in process, with the transport included, and one that does not move with the machine's
load. Used to attribute changes in benchmarks/PROFILE.md; not part of ``make bench``.

    .venv/bin/python benchmarks/serving.py refund [get list rejected] [--server mock|floor] [--n 2000]

For each scenario (benchmarks/run.py's, spread over 100 namespaces as ``make bench`` sends
them) it starts the server under callgrind with instrumentation off, logs in, sends 3,200
requests over 16 keep-alive connections (the namespaces are built, the journals fill),
turns instrumentation on, sends ``n`` requests the same way, turns it off, and subtracts a
second run that sends none: user-space instructions per request. ``--server floor``
measures benchmarks/floor.py answering the mock's own bytes for the scenario (captured
from a mock first). Needs valgrind; about a minute per scenario and server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run  # noqa: E402

CONNECTIONS = 16
WARM_UP = 3200


async def _load(port: int, requests: list[bytes], n: int) -> None:
    """``n`` requests over ``CONNECTIONS`` keep-alive connections, each waiting for its answer."""

    async def connection(k: int, count: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for i in range(count):
            writer.write(requests[(k + i * CONNECTIONS) % len(requests)])
            head = await reader.readuntil(b"\r\n\r\n")
            length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
            if length:
                await reader.readexactly(int(length.group(1)))
        writer.close()

    await asyncio.gather(*(connection(k, n // CONNECTIONS) for k in range(CONNECTIONS)))


def _requests(s: run.Scenario, port: int, token: str) -> list[bytes]:
    out = []
    for i in range(max(s.namespaces, 1)):
        head = f"{s.method} {s.path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
        if s.namespaces:
            head += f"{run.NAMESPACE_HEADER}: {run.namespace_name(i)}\r\n"
        if s.body:
            head += f"Content-Type: application/json\r\nContent-Length: {len(s.body)}\r\n"
        out.append((head + "\r\n" + s.body).encode())
    return out


def _argv(server: str, s: run.Scenario, port: int, floor_file: Path | None) -> list[str]:
    if server == "mock":
        return [run.PYTHON, "-m", "mock_server", "serve", "--port", str(port), "--log-level", "warning"] + [
            "--spec",
            str(run.SPEC),
            "--fixtures",
            str(run.FIXTURES),
        ]
    return [run.PYTHON, str(HERE / "floor.py"), "--port", str(port), "--response", str(floor_file)]


def counted(server: str, s: run.Scenario, n: int, floor_file: Path | None) -> int:
    """Instructions callgrind counted while ``n`` requests were served (after the warm-up)."""
    port = run.free_port()
    out = Path(tempfile.mkdtemp()) / "callgrind.out"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    process = subprocess.Popen(
        ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}"]
        + _argv(server, s, port, floor_file),
        cwd=run.ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                run.request(port, "GET", "/health", timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"{server} did not start under valgrind") from None
                time.sleep(0.2)
        token = run.login(port) if server == "mock" else "x" * 300
        requests = _requests(s, port, token)
        asyncio.run(_load(port, requests, WARM_UP))
        subprocess.run(["callgrind_control", "-i", "on", str(process.pid)], check=True, capture_output=True)
        if n:
            asyncio.run(_load(port, requests, n))
        subprocess.run(["callgrind_control", "-i", "off", str(process.pid)], check=True, capture_output=True)
    finally:
        process.terminate()
        process.wait(60)
    totals = re.search(r"^totals: (\d+)", out.read_text(), re.M)
    if totals is None:
        raise RuntimeError(f"no totals in {out}")
    return int(totals.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="*", default=["refund", "get", "list", "rejected"])
    parser.add_argument("--server", choices=["mock", "floor"], default="mock")
    parser.add_argument("--n", type=int, default=2000, help="requests counted (a multiple of 16)")
    args = parser.parse_args()
    run.WORK.mkdir(exist_ok=True)
    floor_files: dict[str, Path] = {}
    if args.server == "floor":  # the mock's own answers, as make bench gives the floor
        mock = run.start_mock("serving-capture", run.FIXTURES)
        try:
            floor_files = run.capture_floor_responses(mock, "Bearer " + run.login(mock.port))
        finally:
            mock.stop()
    for name in args.scenarios:
        s = next(x for x in run.SCENARIOS if x.name == name)
        floor_file = floor_files.get(name)
        with_n = counted(args.server, s, args.n, floor_file)
        without = counted(args.server, s, 0, floor_file)
        print(
            f"{name:9} {args.server}: {(with_n - without) / args.n / 1000:.1f}k instructions a request",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
