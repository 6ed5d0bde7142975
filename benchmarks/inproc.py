"""The mock's own cost per request, in process: the Starlette app called directly over ASGI
(no socket, no uvicorn, no load generator), so machine noise and the network drop out.
Used to measure each optimisation (benchmarks/PROFILE.md).

    .venv/bin/python benchmarks/inproc.py [--n 20000] [--validate] [--journal-size 0]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from mock_server.web.app import create_app  # noqa: E402
from mock_server.config import Config  # noqa: E402
from run import ADMIN, NAMESPACE_HEADER, SCENARIOS, namespace_name  # noqa: E402


def scope(method: str, target: str, headers: list[tuple[bytes, bytes]]) -> dict:
    path, _, query = target.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": headers,
        "server": ("127.0.0.1", 9000),
        "client": ("127.0.0.1", 50000),
    }


async def call(app, method: str, target: str, headers, body: bytes) -> tuple[int, bytes]:
    sent = []

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        sent.append(message)

    await app(scope(method, target, headers), receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


async def login(app) -> str:
    """A bearer token from the app's own login route."""
    data = json.dumps(ADMIN).encode()
    _, body = await call(
        app,
        "POST",
        "/auth/user/emailpass",
        [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())],
        data,
    )
    return json.loads(body)["token"]


def headers_for(s, token: str) -> list[tuple[bytes, bytes]]:
    """The ASGI headers of one request of scenario ``s`` (the default namespace)."""
    headers = [(b"host", b"127.0.0.1:9000"), (b"authorization", f"Bearer {token}".encode())]
    if s.body:
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(s.body)).encode())]
    return headers


async def main_async(n: int, validate: bool, repeat: int, **config) -> None:
    app = create_app(Config(fixtures=HERE / "fixtures.yaml", validate_responses=validate, **config))
    token = await login(app)
    for s in SCENARIOS:
        headers = headers_for(s, token)
        body = s.body.encode()
        if s.namespaces:  # one header list per namespace, the next one each request
            spread = [
                [*headers, (NAMESPACE_HEADER.encode(), namespace_name(i).encode())]
                for i in range(s.namespaces)
            ]
            for h in spread:  # every namespace built before the timing
                status, _ = await call(app, s.method, s.path, h, body)
        else:
            status, _ = await call(app, s.method, s.path, headers, body)
        best = float("inf")
        for _ in range(repeat):
            t = time.perf_counter()
            if s.namespaces:
                for i in range(n):
                    await call(app, s.method, s.path, spread[i % s.namespaces], body)
            else:
                for _ in range(n):
                    await call(app, s.method, s.path, headers, body)
            best = min(best, (time.perf_counter() - t) / n)
        print(f"{s.name:9} {status}  {best * 1e6:7.1f} us/request  ({1 / best:,.0f}/s on one core)")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--validate", action="store_true", help="with --validate-responses")
    parser.add_argument("--journal-size", type=int, help="as serve --journal-size (0: off)")
    args = parser.parse_args()
    config = {} if args.journal_size is None else {"journal_size": args.journal_size}
    asyncio.run(main_async(args.n, args.validate, args.repeat, **config))
    return 0


if __name__ == "__main__":
    sys.exit(main())
