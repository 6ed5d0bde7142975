"""The dashboard at /__mock/ui (mock_server/control/dashboard.py and control/ui/).

In process: what is served and with which headers, the control token (the page and its
files are public, everything the page then calls is not), --no-control, and the page's own
calls from the mock's origin (a browser sends ``Origin`` on a same-origin POST).

In headless Chromium (``tests/js/dashboard-driver.mjs``, playwright-core, as
test_browser.py): the page on a real server, driven as a person would, and checked against
the mock's state. Screenshots at 1280x800 and 390 px go to the test's tmp_path
(docs/dashboard.png is one of them)."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import httpx
import pytest

from helpers import CAPTURED, LiveServer, _undated, make_client
from mock_server.control.dashboard import CSP, FILES
from test_browser import CHROMIUM, browser_ready  # noqa: F401 (a fixture)
from test_js_sdk import run_node, server_log

TOKEN = "dashboard-t0ken"
ASSETS = ["/__mock/ui/ui.js", "/__mock/ui/ui.css", "/__mock/ui/favicon.svg"]
# What Chromium logs for any fetch answered 4xx (it cannot be turned off from a page): the
# only console lines the dashboard may cause, and only for the answers it was asked to show.
FAILED_400 = "error: Failed to load resource: the server responded with a status of 400 (Bad Request)"
FAILED_401 = "error: Failed to load resource: the server responded with a status of 401 (Unauthorized)"


# --- in process ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plain():
    c = make_client()
    yield c
    c.close()


@pytest.fixture(scope="module")
def guarded():
    c = make_client(control_token=TOKEN)
    yield c
    c.close()


def test_the_page_and_its_files_are_served_with_a_strict_policy(plain):
    page = plain.get("/__mock/ui")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["content-security-policy"] == CSP
    assert "default-src 'none'" in CSP and "frame-ancestors 'none'" in CSP and "unsafe" not in CSP
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    # everything it loads comes from this server; no inline script or style to allow
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sorted(sources) == sorted(ASSETS)
    assert "<script>" not in page.text and "style=" not in page.text
    types = {path: plain.get(path).headers["content-type"] for path in ASSETS}
    assert types == {
        "/__mock/ui/ui.js": "text/javascript; charset=utf-8",
        "/__mock/ui/ui.css": "text/css; charset=utf-8",
        "/__mock/ui/favicon.svg": "image/svg+xml",
    }
    assert set(FILES) == {"/ui", *(p.removeprefix("/__mock") for p in ASSETS)}


def test_the_page_takes_only_a_valid_namespace(plain):
    assert plain.get("/__mock/ui", params={"namespace": "demo-1"}).status_code == 200
    bad = plain.get("/__mock/ui", params={"namespace": "no spaces"})
    assert bad.status_code == 400
    assert bad.json()["message"].startswith("Invalid namespace name 'no spaces'")
    other = plain.get("/__mock/ui", params={"x": "1"})
    assert other.json() == {
        "type": "invalid_data",
        "message": "GET /__mock/ui takes only ?namespace= (given: x)",
    }
    assert plain.get("/__mock/ui/ui.js", params={"x": "1"}).status_code == 400
    assert plain.get("/__mock/ui/nothing.js").status_code == 404
    assert plain.post("/__mock/ui").status_code == 405


def test_with_a_control_token_the_page_loads_and_everything_else_needs_it(guarded):
    """A navigation cannot send the header, so the page and its files are public (they hold
    no secret, never the token); the state, the journal and every change still need it."""
    for path in ["/__mock/ui", *ASSETS]:
        response = guarded.get(path)
        assert response.status_code == 200, path
        assert TOKEN not in response.text
    assert guarded.head("/__mock/ui").status_code == 200
    for method, path in [
        ("GET", "/__mock/state"),
        ("GET", "/__mock/requests"),
        ("GET", "/__mock/namespaces"),
        ("POST", "/__mock/reset"),
        ("POST", "/__mock/ui"),
        ("GET", "/__mock/ui/nothing.js"),
    ]:
        refused = guarded.request(method, path)
        assert refused.status_code == 401, (method, path)
        assert refused.json()["type"] == "unauthorized"
    assert guarded.get("/__mock/state", headers={"X-Mock-Control-Token": TOKEN}).status_code == 200
    # the Host check still applies to the page
    rebound = guarded.get("/__mock/ui", headers={"Host": "evil.example"})
    assert rebound.status_code == 403


def test_without_the_control_plane_there_is_no_dashboard():
    client = make_client(control=False)
    try:
        response = client.get("/__mock/ui")
        assert response.status_code == 404
        assert "Cannot GET /__mock/ui" in response.text  # the Medusa surface's own 404
    finally:
        client.close()


def test_the_pages_own_origin_may_call_the_control_api(plain):
    """Chromium sends Origin on a same-origin POST: the mock's own origin (scheme and Host)
    is accepted like a listed one, with the token still required where there is one; any
    other origin is still refused, and a rebinding Host with a matching Origin too."""
    own = {"Origin": "http://127.0.0.1:9000"}
    assert plain.post("/__mock/reset", headers=own).status_code == 200
    assert plain.post("/__mock/reset", headers={"Origin": "http://localhost:9001"}).status_code == 403
    assert plain.post("/__mock/reset", headers={"Origin": "http://127.0.0.1:9001"}).status_code == 403
    rebinding = {"Host": "evil.example:9000", "Origin": "http://evil.example:9000"}
    assert plain.post("/__mock/reset", headers=rebinding).status_code == 403
    localhost = {"Host": "localhost:9000", "Origin": "http://localhost:9000"}
    assert plain.post("/__mock/reset", headers=localhost).status_code == 200


def test_the_pages_own_origin_still_needs_the_token(guarded):
    own = {"Origin": "http://127.0.0.1:9000"}
    assert guarded.post("/__mock/reset", headers=own).status_code == 401
    assert guarded.post("/__mock/reset", headers={**own, "X-Mock-Control-Token": TOKEN}).status_code == 200


# --- in Chromium ----------------------------------------------------------------------------


def drive(scenario: str, server, tmp_path, **extra) -> dict:
    env = {
        "MOCK_URL": server.url,
        "SCENARIO": scenario,
        "CHROMIUM": CHROMIUM,
        "ARTIFACTS_DIR": str(tmp_path),
        **{k.upper(): str(v) for k, v in extra.items()},
    }
    result = run_node(["dashboard-driver.mjs"], env=env, timeout=180)
    lines = result.stdout.strip().splitlines()
    try:
        report = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        report = {}
    if result.returncode != 0 or not report or "failure" in report:
        pytest.fail(
            f"dashboard scenario {scenario!r} failed (exit {result.returncode}): "
            f"{report.get('failure', 'no report')}\n"
            f"--- report ---\n{json.dumps(report, indent=2)[:20000]}\n"
            f"--- driver stderr ---\n{result.stderr}\n"
            f"--- mock server log ---\n{server_log(server)}",
            pytrace=False,
        )
    return report


def test_the_dashboard_in_chromium(browser_ready, live_server, tmp_path):  # noqa: F811
    fixtures_state = _undated(httpx.get(live_server.url + "/__mock/state", timeout=5).json())
    report = drive("tour", live_server, tmp_path, payment=CAPTURED)

    states = dict(report["initialStates"])
    assert states[CAPTURED] == "captured"
    assert sorted(set(states.values())) == [
        "authorized",
        "canceled",
        "captured",
        "no-order",
        "partially-captured",
        "partially-refunded",
        "refunded",
    ]
    assert report["reasons"] == ["shipping_issue", "pricing_error", "customer_care_adjustment"]

    # A refund made through the SDK is on the open page within a second, without a reload.
    assert report["liveRefund"]["shown"] is True, report["liveRefund"]
    assert report["liveRefund"]["notReloaded"] is True

    # Reached with the keyboard; the refund with its note and who made it.
    assert report["keyboardReached"] is True
    assert report["detailTitle"] == f"Payment {CAPTURED}"
    [refund] = report["detailRefunds"]
    assert refund[1:5] == ["25.00 USD", "", "From the API", "admin@example.com"]
    assert report["rawBeforeLogin"].startswith("Log in")

    # Logged in on the page: the raw payment as Medusa answers, the refund form on the real
    # route, and Medusa's over-refund error in place.
    assert report["login"] == "Logged in as admin@example.com."
    assert report["raw"]["payment"]["id"] == CAPTURED
    assert report["pageRefund"] == {"kind": "ok", "text": "Refunded: 35.00 USD refunded in total."}
    assert report["overRefund"] == {
        "kind": "error",
        "text": "Refund failed: 400: You are not allowed to refund more than the captured amount",
    }
    assert [row[1:4] for row in report["detailRefundsAfter"]] == [
        ["25.00 USD", "", "From the API"],
        ["10.00 USD", "", "From the page"],
    ]
    assert report["barLabel"] == "authorized 100.00 USD, captured 100.00 USD, refunded 35.00 USD"

    # A fault rule added on the page: the next SDK refund fails with it; removed on the page.
    [rule] = report["faultsAfterAdd"]
    assert {k: rule[k] for k in ("method", "path", "status", "times", "when")} == {
        "method": "POST",
        "path": "/admin/payments/{id}/refund",
        "status": 500,
        "times": 1,
        "when": "before",
    }
    assert report["sdkRefundWithFault"] == {"status": 500, "message": "An unknown error occurred."}
    assert report["faultRowsFired"][0][:4] == [
        rule["id"],
        "POST /admin/payments/{id}/refund (before)",
        "status 500",
        "1 / 1",
    ]
    assert report["faultsAfterRemove"] == []
    # the journal: live, filtered by status and by route, an entry opened
    [faulted] = report["journal5xx"]
    assert faulted[2] == f"POST /admin/payments/{CAPTURED}/refundfault {rule['id']}" and faulted[3] == "500"
    assert report["journalAuth"] and all(
        row[2] == "POST /auth/user/emailpass" for row in report["journalAuth"]
    )
    assert report["entryRequest"]["body"] == {"amount": 1}
    assert report["entryResponse"]["status"] == 500 and report["entryResponse"]["fault"] == rule["id"]

    # An invalid fixture pasted: the reason and the path in place, nothing changed.
    assert report["loadError"]["path"] == "payments[0].currency_code"
    assert report["loadError"]["message"] == (
        "<posted fixture>: at payments[0].currency_code: 'USD' does not match '^[a-z]{3}$'"
    )
    assert report["stateAfterLoad"] == report["stateBeforeLoad"]
    refunds = next(p for p in report["stateAfterLoad"]["payments"] if p["id"] == CAPTURED)["refunds"]
    assert [Decimal(str(r["amount"])) for r in refunds] == [25, 10]

    # Another namespace shows its own state (and the URL says which); back to the default.
    assert report["otherNamespace"]["state"] == "captured"
    assert report["otherNamespace"]["url"].endswith("/__mock/ui?namespace=demo-1")
    story = report["storyLoaded"]
    assert story["result"] == (
        "Loaded: 1 payments, 2 refund reasons, 0 users, 0 API keys. Reset now returns to this document."
    )
    assert story["errorHidden"] is True
    assert story["payments"] == [["pay_story_1", "20.00 EUR", "", "partially refunded"]]
    assert story["reasons"] == [
        {"label": "Damaged", "badge": None, "deleted": False, "struck": "none"},
        {"label": "Old reason", "badge": "deleted", "deleted": True, "struck": "line-through"},
    ]
    assert story["reasonOptions"] == ["none", "Damaged"]
    assert report["backToDefault"] == {"url": live_server.url + "/__mock/ui", "state": "partially-refunded"}

    # Reset from the page: the fixtures' state again.
    assert report["reset"] == "Reset to the fixtures: 10 payments, 3 refund reasons, 1 users, 1 API keys."
    assert _undated(report["stateAfterReset"]) == fixtures_state

    # 390 px wide: nothing wider than the screen, the details open within it.
    assert report["narrow"]["scrollWidth"] <= report["narrow"]["clientWidth"] == 390
    assert report["narrowDetail"]["refunds"] == 1 and report["narrowDetail"]["right"] <= 390
    assert report["narrowDetail"]["scrollWidth"] <= 390

    # No console errors but Chromium's line for each of the two 400s the page was asked to
    # show (the over-refund and the invalid fixture); none at all at 390 px.
    assert report["console"] == [FAILED_400, FAILED_400], report["console"]
    assert report["consoleBeforeNarrow"] == len(report["console"])
    assert report["failedRequests"] == []
    assert set(report["screenshots"]) == {"dashboard-1280", "dashboard-390"}


def test_the_dashboard_asks_for_the_control_token(browser_ready, tmp_path):  # noqa: F811
    server = LiveServer("--control-token", TOKEN)
    try:
        report = drive("token", server, tmp_path, control_token=TOKEN)
        assert report["asked"] == "needs the control token"
        assert report["focusedInput"] == "token"
        assert report["wrongToken"] == "the X-Mock-Control-Token header does not hold the control token"
        assert report["payments"] == 10
        assert report["tokenPanelHidden"] is True
        assert report["reset"]["kind"] == "ok"
        assert set(report["console"]) == {FAILED_401}, report["console"]
        assert report["failedRequests"] == []
    finally:
        server.stop()
