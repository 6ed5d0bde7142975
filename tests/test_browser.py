"""A real browser against the mock: headless Chromium (Debian's package, installed by
``scripts/ensure-chromium.sh`` when missing) opens ``tests/browser/index.html`` on another
origin than the mock, as an admin app on http://localhost:5173 would call Medusa on
http://localhost:9000. The page uses ``@medusajs/js-sdk`` in session mode, so this covers
what Node cannot: CORS preflights, credentials: "include" and the HttpOnly cookie.

``tests/js/browser-driver.mjs`` (playwright-core) clicks through the page and reports what
it showed as JSON; the assertions are here, plus a look at the mock's state.
"""

from __future__ import annotations

import json
import socket
import subprocess
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from helpers import ADMIN, CAPTURED, EPSILON, ROOT, LiveServer, SharedServer, make_client
from mock_server.web.cors import parse_origins
from test_js_sdk import ensure_node_modules, run_node, server_log

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser_ready() -> None:
    """Chromium and the npm packages, installed if missing; a failure says why."""
    try:
        result = subprocess.run(
            ["bash", str(ROOT / "scripts" / "ensure-chromium.sh")],
            capture_output=True,
            text=True,
            timeout=900,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(
            f"scripts/ensure-chromium.sh did not finish in 15 min:\n{exc.stderr or ''}", pytrace=False
        )
    if result.returncode != 0:
        pytest.fail(
            f"cannot get Chromium at {CHROMIUM} (scripts/ensure-chromium.sh exited "
            f"{result.returncode}):\n{result.stdout}\n{result.stderr}",
            pytrace=False,
        )
    ensure_node_modules()


class PageSocket:
    """The page server's listening socket, bound to 127.0.0.1:0 here and held open for as long
    as the mock allowing its origin lives; each driver run is handed its descriptor and serves on
    it. Picking a free port and letting the driver bind it later raced: between the two, another
    process took the port (``listen EADDRINUSE``)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]

    def close(self) -> None:
        self.sock.close()


PAGE = PageSocket()  # for the whole module: the shared mock allows its origin
PAGE_PORT = PAGE.port
PAGE_ORIGIN = f"http://localhost:{PAGE_PORT}"


@pytest.fixture(scope="module")
def localhost_allowed():
    """A mock that allows the page's origin http://localhost:PAGE_PORT (--admin-cors,
    --auth-cors), shared by the scenarios that need just that; reset for each."""
    shared = SharedServer("--admin-cors", PAGE_ORIGIN, "--auth-cors", PAGE_ORIGIN)
    yield shared
    shared.stop()


def drive(scenario: str, server, *, backend: str, page: PageSocket, tmp_path: Path, **refund) -> dict:
    """Run one scenario of the browser driver, serving the page on ``page``'s socket; its
    report, or a failure with everything it printed (and the mock's log)."""
    env = {
        "MOCK_URL": backend,
        "PAGE_PORT": str(page.port),
        "PAGE_FD": str(page.sock.fileno()),
        "SCENARIO": scenario,
        "CHROMIUM": CHROMIUM,
        "ARTIFACTS_DIR": str(tmp_path),
        **{k.upper(): str(v) for k, v in refund.items()},
    }
    result = run_node(["browser-driver.mjs"], env=env, timeout=180, pass_fds=(page.sock.fileno(),))
    lines = result.stdout.strip().splitlines()
    try:
        report = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        report = {}
    if result.returncode != 0 or not report or "failure" in report:
        server.stop()
        pytest.fail(
            f"browser scenario {scenario!r} failed (exit {result.returncode}): "
            f"{report.get('failure', 'no report')}\n"
            f"--- report ---\n{json.dumps(report, indent=2)}\n"
            f"--- driver stderr ---\n{result.stderr}\n"
            f"--- mock server log ---\n{server_log(server)}",
            pytrace=False,
        )
    return report


def payment_as_stored(server, payment_id: str) -> dict:
    state = httpx.get(server.url + "/__mock/state", timeout=5).json()
    return next(p for p in state["payments"] if p["id"] == payment_id)


@pytest.mark.parametrize("cors", ["options", "env-regex"])
def test_admin_page_session_login_refund_logout(cors, browser_ready, localhost_allowed, tmp_path):
    """Page on http://localhost:B, mock on http://localhost:A with B allowed by
    --admin-cors/--auth-cors, or by a Medusa-style regex in ADMIN_CORS/AUTH_CORS: log in
    (cookie session), refund, log out; the refund is in the mock."""
    origin = PAGE_ORIGIN
    if cors == "options":
        server = localhost_allowed.lend()
    else:
        any_localhost_port = r"/^http:\/\/localhost:\d+$/"
        server = LiveServer(env={"ADMIN_CORS": any_localhost_port, "AUTH_CORS": any_localhost_port})
    try:
        report = drive(
            "session-flow",
            server,
            backend=f"http://localhost:{server.port}",
            page=PAGE,
            tmp_path=tmp_path,
            payment=CAPTURED,
            amount="12.5",
            note="Damaged in transit",
        )
        state = httpx.get(server.url + "/__mock/state", timeout=5).json()
        user_id = next(u["id"] for u in state["users"] if u["email"] == ADMIN["email"])
        stored = payment_as_stored(server, CAPTURED)

        # Log in: POST /auth/user/emailpass, POST /auth/session → connect.sid, HttpOnly
        assert report["origin"] == origin
        assert report["login"] == {"state": "logged-in", "status": "logged in", "error": None}
        assert report["who"] == f"Signed in as {ADMIN['email']} ({user_id})"
        assert [c["name"] for c in report["cookiesAfterLogin"]] == ["connect.sid"]
        cookie = report["cookiesAfterLogin"][0]
        assert (cookie["domain"], cookie["path"], cookie["httpOnly"]) == ("localhost", "/", True)
        assert "connect.sid" not in report["documentCookie"]  # HttpOnly: scripts cannot read it

        # Refund with the cookie alone (the SDK sends no token in session mode)
        assert report["refund"] == {"state": "refunded", "status": "refund done", "error": None}
        assert report["result"] == (f"Refunded 12.50 USD on {CAPTURED}; 12.50 USD refunded in total.")
        assert len(stored["refunds"]) == 1
        refund = stored["refunds"][0]
        # the state dump writes non-integral amounts as exact decimal strings
        assert (Decimal(str(refund["amount"])), refund["note"], refund["created_by"]) == (
            Decimal("12.5"),
            "Damaged in transit",
            user_id,
        )
        assert report["refundRows"] == [[refund["id"], "12.50 USD", "Damaged in transit", user_id]]

        # Log out: DELETE /auth/session clears the cookie; the next refund is refused
        assert report["logout"] == {"state": "logged-out", "status": "logged out", "error": None}
        assert report["cookiesAfterLogout"] == []
        assert report["refundAfterLogout"] == {
            "state": "error",
            "status": "Refund failed",
            "error": "401 Unauthorized: Unauthorized",
        }
        assert report["requests"] == [
            "POST /auth/user/emailpass → 200",
            "POST /auth/session → 200",
            f"POST /admin/payments/{CAPTURED}/refund → 200",
            "DELETE /auth/session → 200",
            f"POST /admin/payments/{CAPTURED}/refund → 401",
        ]
        assert report["failedRequests"] == []
        assert len(payment_as_stored(server, CAPTURED)["refunds"]) == 1

        # ... and the same refund through the API with a bearer token
        token = httpx.post(server.url + "/auth/user/emailpass", json=ADMIN, timeout=5).json()["token"]
        payment = httpx.get(
            f"{server.url}/admin/payments/{CAPTURED}",
            params={"fields": "+refunds.created_by"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        ).json()["payment"]
        assert [(r["id"], r["amount"], r["created_by"]) for r in payment["refunds"]] == [
            (refund["id"], 12.5, user_id)
        ]
    finally:
        if cors != "options":
            server.stop()


def test_admin_page_in_a_namespace_of_its_own(browser_ready, localhost_allowed, tmp_path):
    """The SDK's baseUrl under /__ns/NAME: preflights, the session login (its cookie is the
    mock's, Path=/) and the refund all work across origins, and the refund lands in that
    namespace only."""
    server = localhost_allowed.lend()
    default_before = httpx.get(server.url + "/__mock/state", timeout=5).json()
    prefix = "/__ns/browser-1"
    report = drive(
        "session-flow",
        server,
        backend=f"http://localhost:{server.port}{prefix}",
        page=PAGE,
        tmp_path=tmp_path,
        payment=CAPTURED,
        amount="3",
        note="namespaced",
    )
    assert report["login"] == {"state": "logged-in", "status": "logged in", "error": None}
    assert report["refund"] == {"state": "refunded", "status": "refund done", "error": None}
    assert report["failedRequests"] == []
    assert report["requests"][:3] == [
        f"POST {prefix}/auth/user/emailpass → 200",
        f"POST {prefix}/auth/session → 200",
        f"POST {prefix}/admin/payments/{CAPTURED}/refund → 200",
    ]
    state = httpx.get(server.url + "/__mock/state", params={"namespace": "browser-1"}, timeout=5).json()
    refunds = next(p for p in state["payments"] if p["id"] == CAPTURED)["refunds"]
    assert [(Decimal(str(r["amount"])), r["note"]) for r in refunds] == [(Decimal(3), "namespaced")]
    assert httpx.get(server.url + "/__mock/state", timeout=5).json() == default_before


def test_page_on_an_origin_not_in_cors_is_blocked(browser_ready, localhost_allowed, tmp_path):
    """The page on http://127.0.0.1:B while only http://localhost:B is allowed: the
    preflight gets no Access-Control-Allow-Origin, so Chromium rejects the SDK's calls
    (TypeError: Failed to fetch) and never sends them, exactly as with Medusa."""
    server = localhost_allowed.lend()
    report = drive(
        "blocked-origin",
        server,
        backend=f"http://localhost:{server.port}",
        page=PAGE,
        tmp_path=tmp_path,
        payment=EPSILON,
        amount="1",
    )
    blocked = f"from origin 'http://127.0.0.1:{PAGE_PORT}' has been blocked by CORS policy"

    assert report["origin"] == f"http://127.0.0.1:{PAGE_PORT}"
    assert report["login"] == {
        "state": "error",
        "status": "Login failed",
        "error": "TypeError: Failed to fetch",
    }
    assert report["refundWithToken"] == "TypeError: Failed to fetch"
    cors_errors = [m for m in report["console"] if blocked in m]
    assert len(cors_errors) == 2, report["console"]
    assert all("No 'Access-Control-Allow-Origin' header" in m for m in cors_errors)
    assert report["requests"] == []  # nothing got through
    assert payment_as_stored(server, EPSILON)["refunds"] == []


def test_cookie_is_not_sent_between_localhost_and_127_0_0_1(browser_ready, localhost_allowed, tmp_path):
    """localhost and 127.0.0.1 are different sites: with both allowed by CORS, login answers
    200 but Chromium keeps no session cookie (no SameSite attribute = Lax), so the refund
    gets 401, as with Medusa. Hence the README's advice: use localhost for both."""
    server = localhost_allowed.lend()
    report = drive(
        "cross-site-cookie",
        server,
        backend=server.url,
        page=PAGE,
        tmp_path=tmp_path,
        payment=EPSILON,
        amount="1",
    )
    assert server.url.startswith("http://127.0.0.1:")
    assert report["login"]["state"] == "logged-in"
    assert report["cookiesAfterLogin"] == []
    assert report["refund"] == {
        "state": "error",
        "status": "Refund failed",
        "error": "401 Unauthorized: Unauthorized",
    }
    assert payment_as_stored(server, EPSILON)["refunds"] == []


def test_cors_lists_take_medusa_regex_entries():
    """ADMIN_CORS=/^http:\\/\\/localhost:\\d+$/ (Medusa's parseCorsOrigins turns /.../flags
    entries into RegExps) allows every localhost port, and nothing else."""
    client = make_client(
        admin_cors=parse_origins(r"https://admin.example.com,/^http:\/\/localhost:\d+$/"),
        auth_cors=parse_origins("~^https://.*\\.example\\.com$~i"),
    )
    try:

        def preflight(path: str, origin: str) -> str | None:
            response = client.options(
                path,
                headers={
                    "Origin": origin,
                    "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": "content-type",
                },
            )
            assert response.status_code == 204
            return response.headers.get("access-control-allow-origin")

        refund = f"/admin/payments/{CAPTURED}/refund"
        assert preflight(refund, "http://localhost:5173") == "http://localhost:5173"
        assert preflight(refund, "http://localhost:3000") == "http://localhost:3000"
        assert preflight(refund, "https://admin.example.com") == "https://admin.example.com"
        assert preflight(refund, "http://127.0.0.1:3000") is None
        assert preflight(refund, "http://localhost:3000.evil.com") is None
        assert preflight("/auth/user/emailpass", "HTTPS://Shop.Example.com") == "HTTPS://Shop.Example.com"
        assert preflight("/auth/user/emailpass", "http://localhost:5173") is None
    finally:
        client.close()


@pytest.mark.parametrize(("when", "added_by"), [("before", "test"), ("after", "page")])
def test_a_500_fault_reaches_the_page_as_medusas_error_not_a_cors_failure(
    when, added_by, browser_ready, tmp_path
):
    """A 500 rule on the refund route, added through the control API (by the test, or by the
    page itself as a browser test runner on the app's origin would), answers with the CORS
    headers of a real answer, so the page's SDK rejects with a FetchError of status 500 and
    Medusa's message, not Chromium's "Failed to fetch". A "before" rule stores nothing; an
    "after" rule stores the refund the page was told had failed (the retry then refunds twice)."""
    page = PageSocket()
    origin = f"http://localhost:{page.port}"
    server = LiveServer("--admin-cors", origin, "--auth-cors", origin)
    route = "/admin/payments/{id}/refund"
    fault = {"method": "POST", "path": route, "status": 500, "when": when, "times": 1}
    try:
        if added_by == "test":
            added = httpx.post(server.url + "/__mock/faults", json=fault, timeout=5)
            assert added.status_code == 201, added.text
            rule = added.json()["id"]
        report = drive(
            "fault-500",
            server,
            backend=f"http://localhost:{server.port}",
            page=page,
            tmp_path=tmp_path,
            payment=EPSILON,
            amount="4",
            note="Scratched",
            **({"fault": json.dumps(fault)} if added_by == "page" else {}),
        )
        refund = {"amount": 4, "note": "Scratched"}
        if added_by == "page":
            assert report["faultAdded"]["status"] == 201, report["faultAdded"]
            rule = report["faultAdded"]["rule"]["id"]
            assert report["faultAdded"]["rule"] == {**fault, "id": rule, "fired": 0, "live": True}

        assert report["origin"] == origin
        assert report["login"]["state"] == "logged-in"
        assert report["refund"] == {
            "state": "error",
            "status": "Refund failed",
            "error": "500 Internal Server Error: An unknown error occurred.",
        }
        assert not [m for m in report["console"] if "CORS" in m], report["console"]
        assert report["failedRequests"] == []
        assert report["storedAfterFault"] == ([] if when == "before" else [refund])
        assert report["retry"] == {"state": "refunded", "status": "refund done", "error": None}
        assert report["requests"] == [
            "POST /auth/user/emailpass → 200",
            "POST /auth/session → 200",
            *(["POST /__mock/faults → 201"] if added_by == "page" else []),
            f"POST /admin/payments/{EPSILON}/refund → 500",
            f"POST /admin/payments/{EPSILON}/refund → 200",
        ]
        stored = payment_as_stored(server, EPSILON)["refunds"]
        assert [{"amount": r["amount"], "note": r["note"]} for r in stored] == [refund] * (
            1 if when == "before" else 2
        )
        assert len(report["refundRows"]) == len(stored)  # the page lists what the mock holds

        # The journal: the faulted POST as the browser sent it; preflights never faulted.
        journal = httpx.get(server.url + "/__mock/requests", params={"path": route}, timeout=5).json()
        posts = [e for e in journal["requests"] if e["method"] == "POST"]
        assert [(e["response"]["status"], e["fault"]) for e in posts] == [(200, None), (500, rule)]
        assert posts[1]["request"]["headers"]["origin"] == origin
        assert posts[1]["request"]["json"] == refund
        preflights = [e for e in journal["requests"] if e["method"] == "OPTIONS"]
        assert preflights, journal
        assert all((e["response"]["status"], e["fault"]) == (204, None) for e in preflights)
        faults = httpx.get(server.url + "/__mock/faults", timeout=5).json()["faults"]
        assert [(f["id"], f["fired"], f["live"]) for f in faults] == [(rule, 1, False)]
    finally:
        server.stop()
        page.close()
