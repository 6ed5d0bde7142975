"""Byte-identity guard for the performance work: run a few hundred varied requests through
the app in process and record status, raw headers (in order) and body of every answer;
``--check`` compares a new run against the recording.

    python benchmarks/golden.py --record   # before a change (writes benchmarks/.work/golden.json)
    python benchmarks/golden.py --check    # after it: exit 1 and a diff on any difference
    python benchmarks/golden.py --wire --record / --check   # the same over a socket

``--wire`` serves the app with uvicorn and the mock's own transport (``web/transport.py``,
as ``serve`` runs it) on a loopback port in the same process, and records what arrives
there: status line, headers as written (names' case and order, duplicates), body; and the
same requests once more with ``Connection: close`` (benchmarks/.work/golden-wire.json).

Ids and clocks are pinned so two runs give the same bytes; the JWT, its iat/exp and the
session id (which depend on the wall clock or on randomness) are masked. Both with and
without ``validate_responses``. tests/test_fastpath.py runs the same corpus through the
fast path and through Starlette's plain stack and compares the two.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import re
import sys
from datetime import datetime, timezone
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mock_server.backend import ids  # noqa: E402
from mock_server.web.app import Mock, MockApp  # noqa: E402
from mock_server.config import Config  # noqa: E402

OUT = ROOT / "benchmarks" / ".work" / "golden.json"
FIXED = datetime(2026, 3, 4, 5, 6, 7, 890000, tzinfo=timezone.utc)
API_KEY = "sk_66b7a02d48f0cd3ef0c220f8a446126eb0d1a7908e518c86a812a5e64a91fe23"
CAPTURED = "pay_01KDEM0CAPTVRED00000000000"
PAYMENTS = [
    "pay_01KDEM0CAPTVRED00000000000",
    "pay_01KDEM0PARTCAPT00000000000",
    "pay_01KDEM0AVTH0R1ZED000000000",
    "pay_01KDEM0PARTREFVND000000000",
    "pay_01KDEM0REFVNDED00000000000",
    "pay_01KDEM0CANCE1ED00000000000",
    "pay_01KDEM0N00RDER00000000000",
    "pay_01KDEM0JPY0000000000000000",
    "pay_01KDEM0KWD0000000000000000",
    "pay_01KDEM0EPS1L0N000000000000",
]
JSON = {"content-type": "application/json"}


def _pin() -> None:
    counter = itertools.count(1)
    ids.now = lambda: FIXED
    ids.now_iso = lambda: ids.iso(FIXED)
    ids.new_id = lambda prefix: f"{prefix}_01KGOLDEN{next(counter):017d}"


def requests(token: str) -> list[tuple]:
    """(method, url, headers, body bytes or None)."""
    bearer = {"authorization": f"Bearer {token}"}
    auth_json = {**bearer, **JSON}
    basic = {"authorization": "Basic " + __import__("base64").b64encode(f"{API_KEY}:".encode()).decode()}
    out: list[tuple] = []
    add = out.append
    # health, unknown routes, auth failures
    for m in ("GET", "HEAD", "POST"):
        add((m, "/health", {}, None))
    add(("GET", "/nope", {}, None))
    add(("GET", "/admin/payments/x/y/z", bearer, None))
    add(("GET", "/admin/payments", {}, None))
    add(("GET", "/admin/payments", {"authorization": f"Bearer {API_KEY}"}, None))
    add(("GET", "/admin/payments", {"authorization": "Bearer garbage"}, None))
    add(("GET", "/admin/payments", {"authorization": "Basic Zm9vOg=="}, None))
    add(("GET", "/admin/payments", {"authorization": f"Basic {API_KEY}"}, None))
    add(("GET", "/admin/payments?limit=2", basic, None))
    add(("PUT", "/admin/payments", bearer, None))
    add(("DELETE", f"/admin/payments/{CAPTURED}", bearer, None))
    # login variants
    for body in (
        b'{"email":"admin@example.com","password":"nope"}',
        b'{"email":"admin@example.com"}',
        b'{"password":"x"}',
        b'{"email":1,"password":"supersecret"}',
        b"[]",
        b"",
        b"{",
        b'{"email":"x@y.z","password":"supersecret"}',
        b"null",
        b'"str"',
        b"  {} x",
    ):
        add(("POST", "/auth/user/emailpass", JSON, body))
    add(("POST", "/auth/user/emailpass", {"content-type": "text/plain"}, b"hello"))
    # sessions
    add(("POST", "/auth/session", bearer, None))
    add(("POST", "/auth/session", {}, None))
    add(("DELETE", "/auth/session", {}, None))
    add(("DELETE", "/auth/session", {"cookie": "connect.sid=s%3Aabc.def"}, None))
    # CORS
    for origin in ("http://localhost:5173", "http://evil.example", None):
        h = {"origin": origin} if origin else {}
        add(("OPTIONS", "/admin/payments", {**h, "access-control-request-method": "GET"}, None))
        add(
            (
                "OPTIONS",
                "/auth/user/emailpass",
                {**h, "access-control-request-headers": "content-type,authorization"},
                None,
            )
        )
        add(("GET", f"/admin/payments/{CAPTURED}", {**bearer, **h}, None))
        add(("OPTIONS", "/health", h, None))
    # list payments
    for qs in (
        "",
        "?limit=20",
        "?limit=2&offset=3",
        "?offset=8",
        "?limit=0",
        "?limit=-1",
        "?limit=abc",
        "?limit=1.5",
        "?limit=%2012",
        "?offset=-2",
        "?order=-created_at",
        "?order=amount",
        "?order=-id,created_at",
        "?order=nope",
        "?fields=id,amount",
        "?fields=*captures",
        "?fields=%2Braw_amount",
        "?fields=+raw_amount",
        "?fields=-captures",
        "?fields=*",
        "?fields=refunds.*",
        "?fields=payment_collection",
        "?fields=payment_session.*",
        "?fields=captures.payment.id",
        "?fields=foo.bar",
        "?fields=nope",
        "?fields=refunds.refund_reason.*",
        "?fields=payment_collection.payments.id",
        f"?id={CAPTURED}",
        f"?id[0]={CAPTURED}&id[1]={PAYMENTS[1]}",
        f"?id={CAPTURED},{PAYMENTS[2]}",
        "?created_at[$gt]=2020-01-01",
        "?created_at[$lt]=2020-01-01",
        "?created_at[$bogus]=x",
        "?q=foo",
        "?bogus=1",
        "?bogus=1&other=2&limit=x",
        "?with_deleted=true",
        "?with_deleted=maybe",
        "?$and[0][id]=" + CAPTURED,
        "?$or[0][id]=" + CAPTURED + "&$or[1][id]=x",
        "?payment_session_id=x",
        "?updated_at[$gte]=2026-01-01T00:00:00Z",
        "?deleted_at=null",
        "?limit=5&fields=id",
        "?fields=",
        "?fields=id&fields=amount",
        "?limit[a]=1",
        "?created_at=2026",
        "?id[$in][0]=" + CAPTURED,
    ):
        add(("GET", "/admin/payments" + qs, bearer, None))
        add(("GET", "/admin/payments/" + qs, bearer, None))
    add(("GET", "/admin/payments/payment-providers", bearer, None))
    add(("GET", "/admin/payments/payment-providers?fields=*&limit=1", bearer, None))
    add(("GET", "/admin/payments/payment-providers?is_enabled=true", bearer, None))
    add(("GET", "/admin/payments/payment-providers?zzz=true", bearer, None))
    # retrieve
    for pid in [*PAYMENTS, "pay_unknown"]:
        for qs in (
            "",
            "?fields=*",
            "?fields=id",
            "?fields=+raw_amount,-captures",
            "?fields=refunds.*,captures.*",
            "?fields=*payment_collection",
            "?fields=payment_session.payment.id",
        ):
            add(("GET", f"/admin/payments/{pid}{qs}", bearer, None))
    add(("GET", f"/admin/payments/{CAPTURED}?bogus=1", bearer, None))
    add(("GET", f"/admin/payments/{CAPTURED}?fields=x.y", bearer, None))
    add(("HEAD", f"/admin/payments/{CAPTURED}", bearer, None))
    # refund bodies
    bodies = [
        b'{"amount":1}',
        b'{"amount":"abc"}',
        b'{"amount":null}',
        b'{"amount":0}',
        b'{"amount":-1}',
        b'{"amount":true}',
        b'{"amount":1.5}',
        b'{"amount":1e400}',
        b"{}",
        b'{"extra":1}',
        b'{"metadata":{}}',
        b'{"refund_reason_id":1}',
        b'{"refund_reason_id":null}',
        b'{"note":5}',
        b'{"note":null,"amount":"x","refund_reason_id":[]}',
        b'{"amount":"x","note":1,"zzz":1,"yyy":2}',
        b"[]",
        b"[1,2]",
        b'"x"',
        b"1",
        b"null",
        b'{"amount":',
        b'{"amount":1,}',
        b'{"amount" 1}',
        b"{'a':1}",
        b'{"a":"\x01"}',
        b'{"a":"\\q"}',
        b"{} {}",
        b"",
        b"   ",
        b'{"amount":1,"refund_reason_id":"nope"}',
        b'{"amount":1,"refund_reason_id":""}',
        b'{"amount":1,"note":"hi"}',
        b'{"amount":100000}',
        b'{"amount":10.004}',
        b'{"amount":0.0000001}',
        b'{"amount":12345678901234567890}',
        b'{"amount":[1]}',
        b'{"amount":{"a":1}}',
        b'{"amount":1' + b" " * 40 + b",}",
        b"x" * (100 * 1024 + 1),
    ]
    for pid in (
        PAYMENTS[3],
        PAYMENTS[0],
        PAYMENTS[6],
        PAYMENTS[7],
        PAYMENTS[8],
        PAYMENTS[9],
        PAYMENTS[2],
        "pay_unknown",
    ):
        for body in bodies:
            add(("POST", f"/admin/payments/{pid}/refund", auth_json, body))
    add(("POST", f"/admin/payments/{PAYMENTS[9]}/refund", auth_json, b'{"amount":30.01}'))
    add(("POST", f"/admin/payments/{PAYMENTS[0]}/refund?fields=id", auth_json, b'{"amount":1}'))
    add(("POST", f"/admin/payments/{PAYMENTS[0]}/refund?fields=id&x=1", auth_json, b'{"amount":1}'))
    add(("POST", f"/admin/payments/{PAYMENTS[0]}/refund?fields=*refunds", auth_json, b'{"amount":1}'))
    add(
        (
            "POST",
            f"/admin/payments/{PAYMENTS[0]}/refund",
            {**bearer, "content-type": "text/plain"},
            b"amount=1",
        )
    )
    add(
        (
            "POST",
            f"/admin/payments/{PAYMENTS[0]}/refund",
            {**bearer, "content-type": "application/vnd+json"},
            b"[]",
        )
    )
    add(("POST", f"/admin/payments/{PAYMENTS[0]}/refund", auth_json, b'{"amount":"abc"}'))
    add(("POST", f"/admin/payments/{PAYMENTS[0]}/refund", {**JSON}, b'{"amount":"abc"}'))
    add(("POST", f"/admin/payments/{PAYMENTS[0]}/refund", {**JSON}, b'{"amount":'))
    # capture
    for pid in (PAYMENTS[1], PAYMENTS[2], PAYMENTS[5], PAYMENTS[0], "pay_unknown"):
        for body in (b'{"amount":10}', b'{"amount":"x"}', b"{}", b'{"amount":1000}', b'{"zz":1}'):
            add(("POST", f"/admin/payments/{pid}/capture", auth_json, body))
    # refund reasons
    for qs in (
        "",
        "?q=ship",
        "?q=zzz",
        "?limit=1",
        "?fields=id,label",
        "?order=-label",
        "?code=pricing_error",
        "?bogus=1",
        "?fields=*",
    ):
        add(("GET", "/admin/refund-reasons" + qs, bearer, None))
    for body in (
        b'{"label":"L","code":"c"}',
        b'{"label":"L"}',
        b'{"label":1,"code":2}',
        b'{"label":"L","code":"c","description":"d"}',
        b'{"label":"L","code":"c","x":1}',
        b"[]",
    ):
        add(("POST", "/admin/refund-reasons", auth_json, body))
        add(("POST", "/admin/refund-reasons?fields=id", auth_json, body))
    rr = "refr_01KGOLDEN00000000000000035"  # the first created above (ids pinned by _pin)
    for n in range(30, 45):
        rid = f"refr_01KGOLDEN{n:017d}"
        add(("GET", f"/admin/refund-reasons/{rid}", bearer, None))
    add(("GET", "/admin/refund-reasons/refr_nope", bearer, None))
    add(("POST", "/admin/refund-reasons/refr_nope", auth_json, b'{"label":"x"}'))
    for body in (b'{"label":"New"}', b'{"code":5}', b'{"description":null}', b"{}", b'{"q":1}'):
        add(("POST", f"/admin/refund-reasons/{rr}", auth_json, body))
    add(("DELETE", "/admin/refund-reasons/refr_nope", bearer, None))
    add(("DELETE", f"/admin/refund-reasons/{rr}", bearer, None))
    add(("GET", f"/admin/refund-reasons/{rr}", bearer, None))
    add(("GET", "/admin/refund-reasons?with_deleted=true&fields=id,deleted_at", bearer, None))
    add(("GET", "/admin/payments?fields=refunds.refund_reason.*", bearer, None))
    # the state at the end
    add(("GET", "/__mock/state", {}, None))
    add(("POST", "/__mock/reset", {}, None))
    add(("GET", "/admin/payments?fields=*,refunds.*,captures.*", bearer, None))
    return out


MASKS = [
    (re.compile(rb"eyJ[\w-]+\.[\w-]+\.[\w-]+"), b"<jwt>"),
    (re.compile(rb'"(iat|exp)":\d+'), rb'"\1":0'),
    (re.compile(rb"connect\.sid=s%3A[^;]+; Path=/; Expires=[^;]+;"), b"connect.sid=<sid>;"),
]


def mask(data: bytes) -> tuple[bytes, bool]:
    changed = False
    for pattern, repl in MASKS:
        data, n = pattern.subn(repl, data)
        changed |= bool(n)
    return data, changed


async def run(validate: bool, fast: bool = True) -> list[dict]:
    """The corpus through a fresh app (``fast``: with ``web/fastpath.py``, else through
    Starlette's plain stack), ids and clock pinned."""
    _pin()
    app = MockApp(Mock(Config(validate_responses=validate)), fast=fast)
    transport = httpx.ASGITransport(app=app)
    out = []
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:9000") as client:
        login = await client.post(
            "/auth/user/emailpass", json={"email": "admin@example.com", "password": "supersecret"}
        )
        token = login.json()["token"]
        for method, url, headers, body in requests(token):
            r = await client.request(method, url, headers=headers, content=body)
            content, headers_out = _masked(r)
            out.append(
                {
                    "request": f"{method} {url} {body[:80]!r}" if body else f"{method} {url}",
                    "status": r.status_code,
                    "headers": headers_out,
                    "body": content.decode("utf-8", "replace"),
                }
            )
    return out


async def run_wire(validate: bool) -> list[dict]:
    """The corpus over loopback, through uvicorn and the mock's transport, ids and clock
    pinned; every request once on a kept-alive connection and once with ``Connection: close``."""
    import socket

    import uvicorn

    from mock_server.web.transport import Limits, protocol_class

    _pin()
    app = MockApp(Mock(Config(validate_responses=validate)))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="error",
        server_header=False,
        http=protocol_class(Limits()),
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    out = []
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            login = await client.post(
                "/auth/user/emailpass", json={"email": "admin@example.com", "password": "supersecret"}
            )
            token = login.json()["token"]
            for closing in (False, True):
                for method, url, headers, body in requests(token):
                    if closing:
                        headers = {**(headers or {}), "connection": "close"}
                    r = await client.request(method, url, headers=headers, content=body)
                    out.append(_answer(method, url, body, r, closing))
    finally:
        server.should_exit = True
        await serving
    return out


def _masked(r: httpx.Response) -> tuple[bytes, list[list[str]]]:
    """The body and the raw headers, masked (a Date as ``<date>``; a masked body's ETag and
    Content-Length as ``<masked>``)."""
    content, masked = mask(r.content)
    headers_out = []
    for k, v in r.headers.raw:
        if k.lower() == b"date":
            v = b"<date>"
        v, _ = mask(v)
        if masked and k.lower() in (b"etag", b"content-length"):
            v = b"<masked>"
        headers_out.append([k.decode("latin-1"), v.decode("latin-1")])
    return content, headers_out


def _answer(method: str, url: str, body, r: httpx.Response, closing: bool) -> dict:
    content, headers_out = _masked(r)
    request = f"{method} {url} {body[:80]!r}" if body else f"{method} {url}"
    return {
        "request": request + (" (Connection: close)" if closing else ""),
        "status": f"{r.http_version} {r.status_code} {r.reason_phrase}",
        "headers": headers_out,
        "body": content.decode("utf-8", "replace"),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--record", action="store_true")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--wire", action="store_true", help="over a socket, through the mock's transport")
    parser.add_argument("--file", type=Path)
    args = parser.parse_args()
    if args.file is None:
        args.file = OUT.with_name("golden-wire.json") if args.wire else OUT
    go = run_wire if args.wire else run
    result = {"plain": asyncio.run(go(False)), "validated": asyncio.run(go(True))}
    if args.record or not args.file.exists():
        args.file.parent.mkdir(parents=True, exist_ok=True)
        args.file.write_text(json.dumps(result, indent=1))
        n = sum(len(v) for v in result.values())
        print(f"recorded {n} responses to {args.file}")
        return 0
    expected = json.loads(args.file.read_text())
    differences = 0
    for mode in expected:
        for want, got in zip(expected[mode], result[mode], strict=False):  # lengths: below
            if want != got:
                differences += 1
                if differences <= 10:
                    print(f"[{mode}] {want['request']}")
                    for key in ("status", "headers", "body"):
                        if want[key] != got[key]:
                            print(
                                f"  {key}:\n    want {str(want[key])[:600]}\n    got  {str(got[key])[:600]}"
                            )
        if len(expected[mode]) != len(result[mode]):
            differences += 1
            print(f"[{mode}] {len(expected[mode])} recorded, {len(result[mode])} now")
    total = sum(len(v) for v in expected.values())
    print(f"golden: {total - differences} identical, {differences} different")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
