"""Hostile callers of the control plane and of login (docs/threat-model.md): pages on other
sites and DNS rebinding against ``/__mock``, documents that would cost the server seconds,
gigabytes or a 500, and login and session requests that leaked or piled up."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest

from helpers import ADMIN, CAPTURED, make_client
from mock_server import cli, control
from mock_server.backend import fixtures
from mock_server.web.auth import Secrets, Sessions
from mock_server.web.cors import parse_origins

POSTED = "<posted fixture>"


def state(client) -> dict:
    return client.get("/__mock/state").json()


def forbidden(message: str) -> dict:
    return {"type": "forbidden", "message": message}


def origin_refused(origin: str) -> dict:
    return forbidden(
        f"Origin {origin!r} is not allowed on /__mock: only origins in ADMIN_CORS "
        "or AUTH_CORS (--admin-cors, --auth-cors) may call it"
    )


def host_refused(host: str) -> dict:
    return forbidden(
        f"Host {host!r} is not allowed on /__mock: it answers only loopback names "
        "(localhost, 127.0.0.1, [::1], *.localhost) and the address the server "
        "is bound to"
    )


CROSS_SITE = forbidden(
    "Cross-site requests are not allowed on /__mock: a browser request "
    "from another site needs an Origin in ADMIN_CORS or AUTH_CORS"
)

ATTACKER_DOCUMENT = (
    "users:\n  - email: attacker@example.com\n    password: pwned\napi_keys:\n  - token: sk_attacker\n"
)


# --- another site, DNS rebinding ---------------------------------------------------------


def test_a_page_on_another_site_cannot_load_a_document(client):
    """The CORS "simple request" a page anywhere can send without a preflight."""
    before = state(client)
    response = client.post(
        "/__mock/load",
        content=ATTACKER_DOCUMENT,
        headers={
            "Origin": "https://evil.example",
            "Content-Type": "text/plain",
            "Sec-Fetch-Site": "cross-site",
            "Sec-Fetch-Mode": "no-cors",
        },
    )
    assert response.status_code == 403
    assert response.json() == origin_refused("https://evil.example")
    assert "access-control-allow-origin" not in response.headers
    assert state(client) == before
    assert client.post("/auth/user/emailpass", json=ADMIN).status_code == 200  # users kept


@pytest.mark.parametrize(
    "method, path", [("POST", "/__mock/reset"), ("GET", "/__mock/state"), ("POST", "/__mock/load")]
)
@pytest.mark.parametrize(
    "origin", ["https://evil.example", "null", "http://localhost:5173.evil.example", "http://127.0.0.1:5173"]
)
def test_origins_the_cors_lists_do_not_allow_are_refused(client, method, path, origin):
    response = client.request(method, path, content=b"", headers={"Origin": origin})
    assert response.status_code == 403
    assert response.json() == origin_refused(origin)


def test_a_preflight_from_another_site_is_refused(client):
    response = client.options(
        "/__mock/load",
        headers={
            "Origin": "https://evil.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers


def test_cross_site_browser_requests_without_an_origin_are_refused(client):
    """A navigation or no-cors fetch carries no Origin, but the browser says cross-site."""
    response = client.get("/__mock/state", headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403
    assert response.json() == CROSS_SITE
    for own in ("same-origin", "none"):  # typed in the address bar, or the page's own
        assert client.get("/__mock/state", headers={"Sec-Fetch-Site": own}).status_code == 200


@pytest.mark.parametrize(
    "host",
    [
        "attacker.example:9000",
        "localhost.attacker.example",
        "192.168.1.20:9000",
        "[fe80::1]:9000",
        "127.0.0.1.nip.io",
        "",
    ],
)
def test_a_foreign_host_is_refused(client, host):
    """DNS rebinding: the attacker's name resolved to 127.0.0.1; the Host is theirs."""
    before = state(client)
    for method, path in (("GET", "/__mock/state"), ("POST", "/__mock/reset"), ("POST", "/__mock/load")):
        response = client.request(method, path, content=ATTACKER_DOCUMENT, headers={"Host": host})
        assert response.status_code == 403
        assert response.json() == host_refused(host)
        assert "supersecret" not in response.text
    assert state(client) == before


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "localhost:9000",
        "LocalHost.:80",
        "app.localhost:5173",
        "127.0.0.1",
        "127.0.0.1:1",
        "127.0.0.2:9000",
        "[::1]:9000",
        "[::1]",
    ],
)
def test_loopback_names_are_accepted_with_any_port(client, host):
    assert client.get("/__mock/state", headers={"Host": host}).status_code == 200


def test_the_bound_address_is_accepted_when_not_loopback():
    lan = control.HostCheck("192.168.1.5")
    assert lan.allows("192.168.1.5:9000") and lan.allows("localhost:9000")
    assert not lan.allows("192.168.1.6:9000") and not lan.allows("attacker.example")
    named = control.HostCheck("devbox.lan")
    assert named.allows("DevBox.lan:9000") and not named.allows("devbox.lan.attacker.example")
    v6 = control.HostCheck("fe80::1")
    assert v6.allows("[fe80::1]:9000") and v6.allows("[fe80:0::1]") and not v6.allows("[fe80::2]")
    anywhere = control.HostCheck("0.0.0.0")
    assert anywhere.allows("10.1.2.3:9000") and anywhere.allows("[fe80::1]:9000")
    assert anywhere.allows(socket.gethostname())
    assert not anywhere.allows("attacker.example:9000")  # a name only DNS makes ours
    assert not control.HostCheck("127.0.0.1").allows("10.1.2.3")


def test_an_allowed_origin_can_use_the_control_plane_with_cors(client):
    """A browser test runner on the app's origin (Medusa's default list has
    http://localhost:5173): preflight, then the call, with CORS headers the browser needs."""
    origin = "http://localhost:5173"
    preflight = client.options(
        "/__mock/load",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == origin
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert "POST" in preflight.headers["access-control-allow-methods"].split(",")
    assert preflight.headers["access-control-allow-headers"] == "content-type"

    headers = {"Origin": origin, "Sec-Fetch-Site": "same-site", "Content-Type": "application/yaml"}
    loaded = client.post("/__mock/load", content="payments:\n  - {id: pay_one, amount: 5}\n", headers=headers)
    assert loaded.status_code == 200
    assert loaded.json() == {"payments": 1, "refund_reasons": 0, "users": 0, "api_keys": 0}
    assert loaded.headers["access-control-allow-origin"] == origin
    assert loaded.headers["access-control-allow-credentials"] == "true"
    assert loaded.headers["vary"] == "Origin"
    got = client.get("/__mock/state", headers=headers)
    assert got.headers["access-control-allow-origin"] == origin
    assert [p["id"] for p in got.json()["payments"]] == ["pay_one"]
    reset = client.post("/__mock/reset", headers=headers)
    assert reset.status_code == 200 and reset.headers["access-control-allow-origin"] == origin


def test_origins_come_from_both_cors_lists_and_their_regex_entries():
    client = make_client(
        admin_cors=parse_origins("https://admin.example.com"),
        auth_cors=parse_origins(r"/^http:\/\/localhost:\d+$/"),
    )
    try:
        for origin in ("https://admin.example.com", "http://localhost:3000"):
            response = client.post("/__mock/reset", headers={"Origin": origin})
            assert response.status_code == 200
            assert response.headers["access-control-allow-origin"] == origin
        assert (
            client.post("/__mock/reset", headers={"Origin": "https://docs.medusajs.com"}).status_code == 403
        )  # a default entry, not in these lists
    finally:
        client.close()


def test_test_tooling_calls_still_work(live_server):
    """What the suites send: httpx from Python, Node's fetch (no Origin, Sec-Fetch-Mode:
    cors) from tests/js, on 127.0.0.1 and on localhost, as tests/test_browser.py does."""
    for base in (live_server.url, f"http://localhost:{live_server.port}"):
        assert httpx.post(base + "/__mock/reset", timeout=10).status_code == 200
        response = httpx.get(
            base + "/__mock/state", timeout=10, headers={"Sec-Fetch-Mode": "cors", "Accept": "*/*"}
        )
        assert response.status_code == 200 and response.json()["users"][0]["email"] == ADMIN["email"]


def test_refusals_on_a_live_server(live_server):
    """Over real HTTP, as a browser on another site or a rebinding page would send it."""
    before = httpx.get(live_server.url + "/__mock/state", timeout=10).json()
    response = httpx.post(
        live_server.url + "/__mock/load",
        content=ATTACKER_DOCUMENT,
        timeout=10,
        headers={"Origin": "https://evil.example", "Content-Type": "text/plain"},
    )
    assert (response.status_code, response.json()) == (403, origin_refused("https://evil.example"))
    rebound = httpx.get(
        live_server.url + "/__mock/state",
        timeout=10,
        headers={"Host": f"attacker.example:{live_server.port}"},
    )
    assert (rebound.status_code, rebound.json()) == (
        403,
        host_refused(f"attacker.example:{live_server.port}"),
    )
    assert httpx.get(live_server.url + "/__mock/state", timeout=10).json() == before


ONLY_LOGIN = (
    "address: anyone on the network can log in with the demo credentials; use --host "
    "127.0.0.1 unless that is intended"
)


@pytest.mark.parametrize(
    "host, control_on, token, expected",
    [
        ("127.0.0.1", True, False, None),
        ("localhost", True, False, None),
        ("::1", True, False, None),
        (
            "0.0.0.0",
            True,
            False,
            "mock-server: warning: --host 0.0.0.0 is not a loopback address: anyone "
            "on the network can read and rewrite its whole state through /__mock (the demo password "
            "and the secret API key included), read every request in its journal, make it fail "
            "through fault rules, and log in with the demo credentials; use --host 127.0.0.1 "
            "unless that is intended, and --control-token T to require a token on /__mock",
        ),
        (
            "192.168.1.5",
            False,
            False,
            "mock-server: warning: --host 192.168.1.5 is not a loopback " + ONLY_LOGIN,
        ),
        (
            "192.168.1.5",
            True,
            True,
            "mock-server: warning: --host 192.168.1.5 is not a loopback " + ONLY_LOGIN,
        ),
    ],
)
def test_start_up_warning_beyond_loopback(host, control_on, token, expected):
    assert control.exposure_warning(host, control_on, token) == expected


def test_serve_prints_the_warning_on_stderr(monkeypatch, capsys):
    """``serve --host 0.0.0.0`` up to the point it would listen (nothing is bound here)."""
    from mock_server.web import memory, transport

    served = []
    monkeypatch.setattr(transport, "run", lambda app, on_serving, **kw: served.append(kw["host"]) or 0)
    monkeypatch.setattr(memory, "serve_mode", lambda: None)
    assert cli.main(["serve", "--host", "0.0.0.0", "--port", "9"]) == 0
    assert served == ["0.0.0.0"]
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1
    assert err[0].startswith("mock-server: warning: --host 0.0.0.0 is not a loopback address")


# --- documents that cost too much, or break later reads ---------------------------------


def load_refused(client, content, status: int, path: str, reason: str) -> None:
    before = state(client)
    response = client.post("/__mock/load", content=content)
    assert response.status_code == status, response.text[:300]
    assert response.json() == {
        "type": "invalid_data",
        "path": path,
        "message": f"{POSTED}: at {path or '(top)'}: {reason}",
    }
    assert state(client) == before


def test_a_document_over_the_limit_is_413_from_content_length(client):
    body = b"payments: []\n" + b"#" * fixtures.MAX_DOCUMENT_BYTES
    load_refused(client, body, 413, "", "larger than 1048576 bytes (the limit of a fixture document)")


def test_a_chunked_document_over_the_limit_is_413_while_reading(client):
    sent = []

    async def chunks():  # no Content-Length: 4 MiB offered in 64 KiB chunks
        for _ in range(64):
            sent.append(1)
            yield b"#" * 65536

    load_refused(client, chunks(), 413, "", "larger than 1048576 bytes (the limit of a fixture document)")
    assert len(sent) <= 17  # it stopped taking chunks past 1 MiB


BOMB = "".join(
    f"    {name}: &{name} [{', '.join([prev] * 9)}]\n"
    for name, prev in zip("abcdefghi", ['"lol"', "*a", "*b", "*c", "*d", "*e", "*f", "*g", "*h"], strict=True)
)


def test_an_alias_bomb_in_metadata_is_refused_with_a_short_message(client):
    document = "payments:\n  - amount: 1\n    metadata:\n" + BOMB
    assert len(document) < 600
    load_refused(
        client, document, 400, "line 9, column 12", "more than 100000 values (aliases counted at every use)"
    )


def test_aliases_within_the_limits_still_load(client, auth):
    document = (
        "refund_reasons:\n  - &damaged {label: Damaged, code: damaged}\n"
        "payments:\n  - &base {id: pay_a, amount: 10, captured: true,\n"
        "      metadata: &meta {tags: [a, b], note: x}}\n"
        "  - {<<: *base, id: pay_b, metadata: *meta}\n"
    )
    assert client.post("/__mock/load", content=document).status_code == 200
    payment = client.get("/admin/payments/pay_b", params={"fields": "metadata"}, headers=auth).json()
    assert payment == {"payment": {"id": "pay_b", "metadata": {"tags": ["a", "b"], "note": "x"}}}


@pytest.mark.parametrize(
    "content, path, reason",
    [
        ("payments:\n  - amount: .nan\n", "payments[0].amount", "nan is not a JSON number"),
        ("payments:\n  - amount: .inf\n", "payments[0].amount", "inf is not a JSON number"),
        (
            "payments:\n  - amount: 1\n    metadata: {x: -.inf}\n",
            "payments[0].metadata.x",
            "-inf is not a JSON number",
        ),
        (b"payments:\n  - amount: 1\n    note: caf\xe9\n", "", "not valid UTF-8: byte 0xe9 at offset 37"),
        (
            "payments:\n  - amount: 1\n    metadata: " + "[" * 500 + "]" * 500 + "\n",
            "line 3, column 76",
            "nested deeper than 64 levels",
        ),
        (
            "payments:\n  - amount: 1\n    metadata:\n"
            + "".join("  " * i + "      - \n" for i in range(500)),
            "line 65, column 129",
            "nested deeper than 64 levels",
        ),
        (
            '{"payments": [{"amount": 1, "metadata": ' + "[" * 500 + "]" * 500 + "}]}",
            ("payments[0].metadata" + "[0]" * 61)[:199] + "…",
            "nested deeper than 64 levels",
        ),
        (
            '{"payments": [{"amount": 1, "metadata": ' + "[" * 5000 + "]" * 5000 + "}]}",
            "",
            "nested deeper than 64 levels",
        ),
        (
            "payments:\n  - amount: " + "9" * 5000 + "\n",
            "line 2, column 13",
            "an integer longer than 100 characters",
        ),
        (
            "payments:\n  - amount: 1\n    metadata: {b: !!binary aGVsbG8=}\n",
            "payments[0].metadata.b",
            "binary data is not a JSON value",
        ),
        (
            "payments:\n  - amount: 1\n    metadata: !!set {a, b}\n",
            "payments[0].metadata",
            "a set is not a JSON value",
        ),
        (
            "payments:\n  - amount: 1\n    metadata: {1: one}\n",
            "payments[0].metadata",
            "a key must be a string, not a number",
        ),
        (
            "payments:\n  - amount: 1\n    metadata: {null: x}\n",
            "payments[0].metadata",
            "a key must be a string, not null",
        ),
        (
            '{"payments": [{"amount": 1, "metadata": {"x": "\\ud800"}}]}',
            "payments[0].metadata.x",
            "a string with an unpaired surrogate is not valid text",
        ),
    ],
    ids=[
        "nan",
        "inf",
        "-inf-in-metadata",
        "utf8",
        "deep-flow",
        "deep-block",
        "deep-json",
        "deeper-json",
        "long-int",
        "binary",
        "set",
        "int-key",
        "null-key",
        "surrogate",
    ],
)
def test_values_that_broke_later_reads_are_refused(client, content, path, reason):
    load_refused(client, content, 400, path, reason)


def test_sexagesimal_integers_are_bounded(client):
    """YAML 1.1's 1:2:3 integers grow as 60**n: a long one is refused before int()."""
    load_refused(
        client,
        "payments:\n  - amount: " + ":".join(["59"] * 40) + "\n",
        400,
        "line 2, column 13",
        "an integer longer than 100 characters",
    )


def test_a_quoted_value_in_a_reason_is_cut(client):
    long_key = "k" * 1000  # libyaml's limit for a plain key is 1024
    before = state(client)
    response = client.post("/__mock/load", content=f"payments:\n  - amount: 1\n    {long_key}: 1\n")
    assert response.status_code == 400
    body = response.json()
    assert body["path"] == "payments[0]"
    assert body["message"].startswith(f"{POSTED}: at payments[0]: unknown key(s) ('kkkk")
    assert body["message"].endswith("…") and len(body["message"]) < 300
    assert state(client) == before


def test_unquoted_timestamps_in_metadata_stay_readable(client, auth):
    """YAML would make them datetimes, which no JSON answer can carry: they stay text."""
    document = "payments:\n  - {id: pay_t, amount: 1, metadata: {shipped: 2026-01-02T03:04:05Z}}\n"
    assert client.post("/__mock/load", content=document).status_code == 200
    response = client.get("/admin/payments/pay_t", params={"fields": "metadata"}, headers=auth)
    assert response.status_code == 200
    assert response.json()["payment"]["metadata"] == {"shipped": "2026-01-02T03:04:05Z"}


def test_files_on_disk_have_larger_bounds_of_their_own(tmp_path):
    """A file named at start-up is the developer's own: a snapshot of a big backend or a
    payment with 100,000 refunds may pass a posted document's 1 MiB, and still a huge file
    or an alias bomb stops start-up with the reason."""
    note = "x" * (fixtures.POSTED.bytes + 1000)  # over what /__mock/load takes
    large = tmp_path / "large.yaml"
    large.write_text(f"payments:\n  - {{id: pay_large, amount: 1, metadata: {{note: {note}}}}}\n")
    assert fixtures.read(large).data["payments"][0]["metadata"]["note"] == note
    with pytest.raises(fixtures.FixtureError) as caught:
        fixtures.parse(large.read_bytes(), large)  # the same bytes, posted
    assert caught.value.reason == "larger than 1048576 bytes"

    huge = tmp_path / "huge.yaml"
    with open(huge, "wb") as f:
        f.write(b"payments: []\n")
        f.truncate(fixtures.FILE.bytes + 1)  # sparse: nothing written to the disk
    with pytest.raises(fixtures.FixtureError) as caught:
        fixtures.read(huge)
    assert (caught.value.file, caught.value.path, caught.value.reason) == (
        str(huge),
        "",
        "larger than 67108864 bytes",
    )
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("payments:\n  - amount: 1\n    metadata:\n" + BOMB)
    with pytest.raises(fixtures.FixtureError) as caught:
        fixtures.read(bomb)
    assert caught.value.reason == "more than 10000000 values (aliases counted at every use)"


def big_document(payments: int) -> str:
    """About 210 bytes of YAML a payment, every one valid."""
    return "payments:\n" + "".join(
        f"  - id: pay_{i:020d}\n    amount: 100\n    captured: true\n    metadata: {{note: {'n' * 120}}}\n"
        for i in range(payments)
    )


def test_a_large_load_does_not_stall_other_requests(live_server):
    """A 0.8 MB document (before: 11 s parsed on the event loop, /health waiting as long)
    is parsed and built in a worker thread; /health keeps answering meanwhile. The bound
    is generous for a loaded machine: the point is seconds versus milliseconds."""
    document = big_document(4000)
    assert 780_000 < len(document) < 1024 * 1024  # within the document limit
    result = {}

    def load() -> None:
        result["response"] = httpx.post(live_server.url + "/__mock/load", content=document, timeout=120)

    waits = []
    loader = threading.Thread(target=load)
    with httpx.Client(base_url=live_server.url, timeout=30) as probe:
        probe.get("/health")
        loader.start()
        time.sleep(0.2)  # the load is under way
        while loader.is_alive() or not waits:
            started = time.monotonic()
            assert probe.get("/health").status_code == 200
            waits.append(time.monotonic() - started)
            time.sleep(0.02)
    loader.join()
    assert result["response"].status_code == 200, result["response"].text[:300]
    assert result["response"].json()["payments"] == 4000
    assert max(waits) < 1.0, f"/health waited {max(waits):.2f} s during the load"


def test_too_many_values_are_refused_before_they_are_built(live_server):
    """The same size made of tiny values: over the value limit, refused, state kept."""
    document = "payments:\n  - amount: 1\n    metadata: {x: [" + "1," * 300_000 + "1]}\n"
    before = httpx.get(live_server.url + "/__mock/state", timeout=10).json()
    response = httpx.post(live_server.url + "/__mock/load", content=document, timeout=120)
    assert response.status_code == 400
    assert response.json()["message"].endswith("more than 100000 values (aliases counted at every use)")
    assert httpx.get(live_server.url + "/__mock/state", timeout=10).json() == before


# --- login and sessions -------------------------------------------------------------------

INVALID_LOGIN = {"type": "unauthorized", "message": "Invalid email or password"}


@pytest.mark.parametrize(
    "email, password",
    [
        (ADMIN["email"], "supersécret"),
        ("nobody@example.com", "supersécret"),
        (ADMIN["email"], "supersecret\u0000"),
        ("nobody@example.com", "supersecret"),
        (ADMIN["email"], "Supersecret"),
        (ADMIN["email"], "🔑" * 50),
    ],
    ids=["non-ascii", "non-ascii-unknown-email", "nul", "unknown-email", "case", "emoji"],
)
def test_login_does_not_tell_which_emails_exist(client, email, password):
    response = client.post("/auth/user/emailpass", json={"email": email, "password": password})
    assert response.status_code == 401
    assert response.content == b'{"type":"unauthorized","message":"Invalid email or password"}'


def test_a_non_ascii_password_logs_in(client):
    client.post("/__mock/load", content="users:\n  - {email: u@example.com, password: supersécret}\n")
    response = client.post("/auth/user/emailpass", json={"email": "u@example.com", "password": "supersécret"})
    assert response.status_code == 200 and response.json()["token"].count(".") == 2


def test_sessions_are_capped_oldest_evicted_first(monkeypatch):
    assert Sessions.MAX == 10_000  # the documented bound
    monkeypatch.setattr(Sessions, "MAX", 50)
    sessions = Sessions(Secrets("s", "c"))
    cookies = [sessions.create({"actor_id": f"user_{i}", "actor_type": "user"})[0] for i in range(55)]
    assert len(sessions) == 50
    assert [sessions.lookup(c) for c in cookies[:5]] == [None] * 5
    assert sessions.lookup(cookies[5])[1]["actor_id"] == "user_5"
    assert sessions.lookup(cookies[-1])[1]["actor_id"] == "user_54"


def test_expired_sessions_are_dropped_as_new_ones_come(monkeypatch):
    import mock_server.web.auth as auth

    now = [1_000_000.0]
    monkeypatch.setattr(auth.time, "time", lambda: now[0])
    sessions = Sessions(Secrets("s", "c"))
    old = [sessions.create({"actor_id": "a", "actor_type": "user"})[0] for _ in range(100)]
    now[0] += auth.SESSION_TTL / 2
    kept = sessions.create({"actor_id": "b", "actor_type": "user"})[0]
    now[0] += auth.SESSION_TTL / 2 + 1  # the first 100 have expired, the last has not
    fresh = sessions.create({"actor_id": "c", "actor_type": "user"})[0]
    assert len(sessions) == 2
    assert sessions.lookup(old[0]) is None
    assert sessions.lookup(kept)[1]["actor_id"] == "b" and sessions.lookup(fresh)[1]["actor_id"] == "c"


def test_session_login_over_http_still_works_past_the_cap(client, monkeypatch):
    monkeypatch.setattr(Sessions, "MAX", 3)
    token = client.post("/auth/user/emailpass", json=ADMIN).json()["token"]
    cookies = []
    for _ in range(5):
        response = client.post("/auth/session", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200
        cookies.append(response.cookies["connect.sid"])
    client.cookies.clear()
    payment = f"/admin/payments/{CAPTURED}"
    assert client.get(payment, headers={"Cookie": f"connect.sid={cookies[0]}"}).status_code == 401
    assert client.get(payment, headers={"Cookie": f"connect.sid={cookies[-1]}"}).status_code == 200
