"""The floor: a minimal Starlette app on uvicorn that answers every request with one fixed,
pre-built response (the mock's own status, headers and body for a scenario, captured once
by run.py). No parsing, no auth, no validation, no state: the best this stack can do here.

    python benchmarks/floor.py --port 8001 --response benchmarks/.work/floor-get.json
"""

from __future__ import annotations

import argparse
import base64
import json

import uvicorn
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route


def make_app(status: int, headers: list[tuple[str, str]], body: bytes) -> Starlette:
    response = Response(body, status_code=status)
    response.raw_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]

    async def answer(request):
        return response

    return Starlette(routes=[Route("/{path:path}", answer, methods=["GET", "HEAD", "POST"])])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--response", required=True, help="JSON file: {status, headers: [[name, value], ...], body_b64}"
    )
    args = parser.parse_args()
    with open(args.response) as f:
        spec = json.load(f)
    app = make_app(spec["status"], [tuple(h) for h in spec["headers"]], base64.b64decode(spec["body_b64"]))
    # The same uvicorn settings as `mock-server serve --log-level warning`.
    uvicorn.run(
        app, host=args.host, port=args.port, log_level="warning", server_header=False, access_log=False
    )


if __name__ == "__main__":
    main()
