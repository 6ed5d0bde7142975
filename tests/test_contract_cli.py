"""`mock-server contract`: Schemathesis against a running backend, over loopback HTTP.

A mock answers by the contract (exit 0, JUnit report); a backend that answers wrongly is
caught (exit 1, failures grouped by check and operation in the summary)."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse

from helpers import ADMIN, API_KEY, ROOT, LiveServer, free_port, make_mock
from mock_server.tooling import contract, snapshot
from mock_server.tooling.scenario import load_scenario
from mock_server.web.app import create_app

EXAMPLES = "5"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mock_server", "contract", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_contract_passes_against_the_mock(live_server, tmp_path):
    junit = tmp_path / "contract.xml"
    done = run_cli(
        "--base-url",
        live_server.url,
        "--email",
        ADMIN["email"],
        "--password",
        ADMIN["password"],
        "--junit-xml",
        str(junit),
        "--max-examples",
        EXAMPLES,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "result: PASS" in done.stdout
    assert " 0 distinct failures" in done.stdout
    suite = ET.parse(junit).getroot()
    cases = [case.get("name") for case in suite.iter("testcase")]
    assert "POST /admin/payments/{id}/refund" in cases and "Stateful tests" in cases
    assert suite.get("failures") == "0" and suite.get("errors") == "0"
    # where the run is, on stderr: not a terminal, so plain lines per phase and operations
    progress = done.stderr.splitlines()
    assert "contract: phase examples" in progress and "contract: phase fuzzing" in progress
    assert any(
        re.fullmatch(r"contract: \d+/\d+ fuzzing: (GET|POST|DELETE) /\S*  \(0 failed so far\)", line)
        for line in progress
    ), done.stderr


def test_contract_with_an_api_key_and_a_token(live_server):
    token = httpx.post(live_server.url + "/auth/user/emailpass", json=ADMIN).json()["token"]
    by_key = run_cli(
        "--base-url",
        live_server.url,
        "--api-key",
        API_KEY,
        "--max-examples",
        "2",
        "--phases",
        "examples,fuzzing",
    )
    by_token = run_cli(
        "--base-url", live_server.url, "--token", token, "--max-examples", "2", "--phases", "examples,fuzzing"
    )
    assert by_key.returncode == 0, by_key.stdout + by_key.stderr
    assert by_token.returncode == 0, by_token.stdout + by_token.stderr


# ---- a backend that breaks the contract ---------------------------------------------------


def broken_app():
    """The mock, except for three answers that break the contract in different ways."""
    mock = create_app(mock=make_mock())

    async def providers(request):  # schema: `payment_providers` must be an array, `count` an integer
        return JSONResponse(
            {"payment_providers": "pp_system_default", "count": "1", "offset": 0, "limit": 20}
        )

    async def delete_reason(request):  # a 500 in Medusa's shape: a server error, whatever it says
        return JSONResponse(
            {"code": "unknown_error", "type": "unknown_error", "message": "An unknown error occurred."},
            status_code=500,
        )

    app = Starlette()
    app.add_route("/admin/payments/payment-providers", providers, methods=["GET"])
    app.add_route("/admin/refund-reasons/{id}", delete_reason, methods=["DELETE"])
    app.mount("/", mock)
    return app


@pytest.fixture
def broken_backend():
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(broken_app(), host="127.0.0.1", port=port, log_level="error", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_contract_fails_against_a_broken_backend(broken_backend, tmp_path):
    junit = tmp_path / "broken.xml"
    done = run_cli(
        "--base-url",
        broken_backend,
        "--email",
        ADMIN["email"],
        "--password",
        ADMIN["password"],
        "--junit-xml",
        str(junit),
        "--max-examples",
        EXAMPLES,
        "--phases",
        "examples,coverage,fuzzing",
    )
    assert done.returncode == 1, done.stdout + done.stderr
    summary = done.stdout
    assert "result: FAIL" in summary
    # grouped by check, then operation
    assert "Response violates schema" in summary
    assert "Server error" in summary
    groups = _groups(summary)
    assert groups["ST108 Response violates schema"] == ["GET /admin/payments/payment-providers"]
    assert groups["ST101 Server error"] == ["DELETE /admin/refund-reasons/{id}"]
    # the fake providers route does not check credentials either
    assert groups["ST401 API accepts requests without authentication"] == [
        "GET /admin/payments/payment-providers"
    ]
    failed = {
        case.get("name")
        for case in ET.parse(junit).getroot().iter("testcase")
        if case.find("failure") is not None
    }
    assert failed == {"GET /admin/payments/payment-providers", "DELETE /admin/refund-reasons/{id}"}
    assert re.search(r"^contract: \d+/\d+ \w+: .*\([1-9]\d* failed so far\)$", done.stderr, re.M), done.stderr


def _groups(summary: str) -> dict[str, list[str]]:
    """{"<code> <check>": [operation, ...]} from the summary's indented lines."""
    groups: dict[str, list[str]] = {}
    current = None
    for line in summary.splitlines():
        if line.startswith("  ST"):
            current = groups.setdefault(line.strip(), [])
        elif line.startswith("    ") and current is not None:
            current.append(line.strip().split("  (x")[0])
        else:
            current = None
    return groups


def test_contract_reports_an_unreachable_backend():
    done = run_cli(
        "--base-url",
        f"http://127.0.0.1:{free_port()}",
        "--email",
        ADMIN["email"],
        "--password",
        ADMIN["password"],
    )
    assert done.returncode == 2
    assert "cannot reach" in done.stdout


def test_summary_groups_failures_by_check_then_operation():
    result = contract.Result(
        exit_code=1,
        operations_tested=2,
        test_cases=10,
        checks_run=40,
        checks_passed=37,
        failures=[
            contract.Failure("ST101", "Server error", "GET /a", ""),
            contract.Failure("ST101", "Server error", "GET /a", ""),
            contract.Failure("ST101", "Server error", "POST /b", ""),
            contract.Failure("ST103", "Undocumented status code", "POST /b", ""),
        ],
    )
    assert result.summary().splitlines()[1:6] == [
        "  ST101 Server error",
        "    GET /a  (x2)",
        "    POST /b",
        "  ST103 Undocumented status code",
        "    POST /b",
    ]


# ---- make diff's machinery, mock against mock ------------------------------------------------

SEEDED = {  # label: (amount, currency, captured, order, canceled), as scripts/real-backend.sh seeds
    "A": (100, "usd", True, True, False),
    "B": (100, "usd", False, True, False),
    "C": (30, "usd", True, True, False),
    "D": (50, "usd", True, True, False),
    "E": (100, "usd", True, False, False),
    "F": (100, "usd", True, True, False),
    "G": (100, "usd", True, True, False),
    "H": (100, "usd", False, True, False),
    "I": (30, "usd", True, True, False),
    "J": (50, "usd", True, True, False),
    "K": (5000, "jpy", True, True, False),
    "L": (100, "usd", False, True, True),
    "M": (100, "usd", True, True, True),
}


def test_diff_of_the_mock_against_itself_finds_nothing(tmp_path):
    """The scenario of `make diff`, with a second mock standing in for Medusa: the snapshot,
    the second mock on a free port, the normalisation and the comparison give zero
    differences."""
    import yaml

    from mock_server.tooling import diff

    payments, seed = [], {}
    for n, (label, (amount, currency, captured, order, canceled)) in enumerate(SEEDED.items()):
        ulid = f"01KS{n:02d}".ljust(26, "0")
        ids = {
            "payment_id": f"pay_{ulid}",
            "payment_collection_id": f"pay_col_{ulid}",
            "payment_session_id": f"payses_{ulid}",
        }
        seed[label] = dict(ids, amount=amount, currency_code=currency)
        payments.append(
            {
                "id": ids["payment_id"],
                "payment_collection_id": ids["payment_collection_id"],
                "payment_session_id": ids["payment_session_id"],
                "amount": amount,
                "currency_code": currency,
                "captured": captured,
                "order": order,
                "created_at": f"2026-11-26T10:00:{n:02d}.000Z",
                **({"canceled": True} if canceled else {}),
            }
        )
    fixture = tmp_path / "seeded.yaml"
    fixture.write_text(yaml.safe_dump({"payments": payments}))
    (tmp_path / "seed.json").write_text(json.dumps(seed))
    # one fixture folder: the install defaults, the admin, the seeded payments
    folder = tmp_path / "fixtures"
    folder.mkdir()
    for name in ("00-medusa-install.yaml", "05-admin.yaml"):
        (folder / name).write_text((ROOT / "fixtures" / name).read_text())
    (folder / "20-seeded.yaml").write_text(fixture.read_text())
    stand_in = LiveServer(
        "--fixtures", str(folder), "--admin-cors", diff.REAL_CORS, "--auth-cors", diff.REAL_CORS
    )
    out = io.StringIO()
    take = snapshot.take

    def take_with_order_links(*args, **kwargs):
        # The mock does not show the order link (Medusa does, via payment_collection.order),
        # so its snapshot gives every payment an order; E has none.
        document, notes = take(*args, **kwargs)
        for payment in document["payments"]:
            if payment["id"] == seed["E"]["payment_id"]:
                payment.pop("order", None)
                payment["order"] = False
        return document, notes

    snapshot.take = take_with_order_links
    try:
        outcome = diff.run(stand_in.url, tmp_path / "seed.json", out=out)
    finally:
        snapshot.take = take
        stand_in.stop()
    report = out.getvalue()
    assert outcome.unexplained == [], report
    steps = len(load_scenario().steps)
    assert outcome.steps == steps and outcome.requests == 2 * steps
    assert "0 differences" in report.splitlines()[-1]


def test_diff_normalises_new_ids_timestamps_and_relation_order():
    from mock_server.tooling import diff

    known = {"pay_01KS0000000000000000000000"}
    a, b = diff.Normaliser(known), diff.Normaliser(known)
    mock = {
        "payment": {
            "id": "pay_01KS0000000000000000000000",
            "captured_at": "2026-11-26T10:00:00.000Z",
            "refunds": [
                {"id": "ref_01KSAAAAAAAAAAAAAAAAAAAAAA", "amount": 1},
                {"id": "ref_01KSBBBBBBBBBBBBBBBBBBBBBB", "amount": 2},
            ],
        }
    }
    real = {
        "payment": {
            "id": "pay_01KS0000000000000000000000",
            "captured_at": "2027-01-01T00:00:00.001Z",
            "refunds": [
                {"id": "ref_01M8CCCCCCCCCCCCCCCCCCCCCC", "amount": 2},
                {"id": "ref_01M8DDDDDDDDDDDDDDDDDDDDDD", "amount": 1},
            ],
        }
    }
    assert a.value(mock) == b.value(real)
    assert a.value(mock)["payment"]["refunds"][0] == {"id": "<new ref>", "amount": 1}
    assert (
        diff.cookie_shape("connect.sid=s%3Aabc.def; Path=/; Expires=Thu, 26 Nov 2026 21:00:00 GMT; HttpOnly")
        == "connect.sid=<value>; Path=/; Expires=<date>; HttpOnly"
    )
    assert diff.etag_of(b"{}") == 'W/"2-vyGp6PvFo4RvsFtPoIWeCReyIC8"'
    assert (
        diff.allowed(
            diff.Difference("login", "header vary", 1, 2),
            [diff.KnownDifference("log*", "header *", "r")],
        )
        == "r"
    )


@pytest.mark.parametrize("command", ["contract", "snapshot"])
def test_email_without_password_is_refused_before_any_request(command, capsys):
    from mock_server.cli import main

    # port 9 of loopback: nothing listens, and nothing is sent
    assert main([command, "--base-url", "http://127.0.0.1:9", "--email", "a@example.com"]) == 2
    assert capsys.readouterr().err == f"mock-server {command}: --email needs --password\n"


@pytest.mark.parametrize("source", ["ours", "published"])
def test_the_fuzzer_draws_a_refunds_reason_id_non_empty(source):
    """An empty refund_reason_id is a 500 on Medusa 2.21.2 (schemathesis.toml says why it
    is not drawn); the view works on our contract and on the bundled published one."""
    import yaml

    from mock_server.tooling.bundle import bundle_published

    if source == "ours":
        document = yaml.safe_load((ROOT / "specs" / "medusa-admin-payments.yaml").read_text())
    else:
        document = bundle_published(ROOT / "vendor" / "medusa-oas")
    contract.conformance_view(document)
    op = document["paths"]["/admin/payments/{id}/refund"]["post"]
    reason = contract._body_schema(document, op)["properties"]["refund_reason_id"]
    assert reason["minLength"] == 1
    note = contract._body_schema(document, op)["properties"]["note"]
    assert "minLength" not in note  # only the listed field
