"""Fixture loading, bad fixtures and bad specs stop start-up with file, path and reason."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from helpers import CAPTURED, ROOT, get_while_the_loop_turns, make_client
from mock_server.backend import fixtures
from mock_server.web import contract as spec
from mock_server.web.app import Mock
from mock_server.config import Config


def write(tmp_path: Path, text: str, name="f.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "text, where, reason",
    [
        ("payments:\n  - amount: -5\n", "payments[0].amount", "-5 is less than or equal to the minimum of 0"),
        ("payments:\n  - currency_code: usd\n", "payments[0]", "'amount' is a required property"),
        (
            "payments:\n  - amount: 10\n    colour: red\n",
            "payments[0]",
            "unknown key(s) ('colour' was unexpected)",
        ),
        (
            "payments:\n  - amount: 10\n    captures: [6, 6]\n",
            "payments[0].captures[1]",
            "captures total 12 exceeds the payment amount 10",
        ),
        (
            "payments:\n  - amount: 10\n    captured: true\n    refunds: [11]\n",
            "payments[0].refunds[0]",
            "refunds total 11 exceeds the captured amount 10",
        ),
        (
            "payments:\n  - amount: 10\n    captured: true\n    refunds: [{amount: 1, refund_reason: nope}]\n",
            "payments[0].refunds[0].refund_reason",
            "no refund reason with id or code 'nope' (define it under refund_reasons first)",
        ),
        (
            "payments:\n  - {id: pay_1, amount: 1}\n  - {id: pay_1, amount: 2}\n",
            "payments[1].id",
            "duplicate payment id 'pay_1'",
        ),
        ("payments: [\n", "line 2, column 1", "not valid YAML"),
        ("refund_reasons:\n  - label: x\n", "refund_reasons[0]", "'code' is a required property"),
    ],
)
def test_bad_fixture_names_file_path_and_reason(tmp_path, text, where, reason):
    path = write(tmp_path, text)
    with pytest.raises(fixtures.FixtureError) as caught:
        fixtures.load(path)
    assert caught.value.file == str(path)
    assert caught.value.path == where
    assert reason in caught.value.reason


def test_captures_follow_the_capture_routes_rounding(tmp_path):
    # the capture route accepts 100.004 on 100 USD (rounded to cents, as Medusa does), so a
    # fixture or a dumped state holding it must load
    store = fixtures.load(write(tmp_path, "payments:\n  - {amount: 100, captures: [40, 60.004]}\n"))
    [payment] = store.payments.values()
    assert payment.captured_at is not None and str(payment.captured_total) == "100.004"


def test_check_fixtures_cli(tmp_path):
    good = subprocess.run(
        [sys.executable, "-m", "mock_server", "check-fixtures", "fixtures"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert good.returncode == 0
    assert "10 payments, 3 refund reasons, 1 users" in good.stdout
    bad = write(tmp_path, "payments:\n  - amount: 10\n    captures: [11]\n")
    result = subprocess.run(
        [sys.executable, "-m", "mock_server", "check-fixtures", str(bad)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert (
        f"{bad}: at payments[0].captures[0]: captures total 11 exceeds the payment amount 10" in result.stderr
    )


def test_serve_refuses_to_start_on_a_bad_fixture(tmp_path):
    bad = write(tmp_path, "payments:\n  - amount: abc\n")
    result = subprocess.run(
        [sys.executable, "-m", "mock_server", "serve", "--fixtures", str(bad), "--port", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert f"cannot start: {bad}: at payments[0].amount:" in result.stderr


@pytest.mark.parametrize(
    ("ref", "reason"),
    [
        ("#/components/schemas/Nope", "$ref '#/components/schemas/Nope' does not resolve"),
        ("other.yaml#/A", "$ref 'other.yaml#/A': only local refs are supported"),
    ],
)
def test_a_bad_ref_is_named_by_its_exact_pointer(tmp_path, ref, reason):
    # "/" and "~" in a key are escaped (~1, ~0), a list index is a segment of its own
    document = f"""
openapi: 3.1.0
info: {{title: t, version: "1"}}
paths:
  /admin/a~b/{{id}}:
    get:
      parameters:
        - {{name: id, in: path, required: true, schema: {{type: string}}}}
        - {{name: q, in: query, schema: {{$ref: '#/components/schemas/Fine'}}}}
      responses:
        "200":
          content:
            application/json:
              schema:
                allOf: [{{type: object}}, {{$ref: '{ref}'}}]
components:
  schemas:
    Fine: {{type: string}}
"""
    with pytest.raises(spec.SpecError) as caught:
        spec.load(write(tmp_path, document, "spec.yaml"))
    assert caught.value.reason == reason
    assert caught.value.pointer == (
        "/paths/~1admin~1a~0b~1{id}/get/responses/200/content/application~1json/schema/allOf/1"
    )


def test_bad_spec_stops_start_up_with_file_and_pointer(tmp_path):
    document = (ROOT / "specs" / "medusa-admin-payments.yaml").read_text()
    broken = write(
        tmp_path,
        document.replace("$ref: '#/components/schemas/Error'", "$ref: '#/components/schemas/Nope'", 1),
        "spec.yaml",
    )
    with pytest.raises(spec.SpecError) as caught:
        Mock(Config(spec=broken))
    assert caught.value.file == str(broken)
    assert "'#/components/schemas/Nope' does not resolve" in caught.value.reason
    assert caught.value.pointer.startswith("/paths/")

    bad_type = write(
        tmp_path, document.replace("exclusiveMinimum: 0", "exclusiveMinimum: zero", 1), "s2.yaml"
    )
    with pytest.raises(spec.SpecError) as caught:
        Mock(Config(spec=bad_type))
    assert "invalid schema" in caught.value.reason and "'zero' is not of type 'number'" in caught.value.reason


def test_generated_ids_are_stable_and_medusa_shaped():
    first, second = fixtures.load(ROOT / "fixtures"), fixtures.load(ROOT / "fixtures")
    assert list(first.payments) == list(second.payments)
    assert [p.collection.id for p in first.payments.values()] == [
        p.collection.id for p in second.payments.values()
    ]
    for payment in first.payments.values():
        assert payment.collection.id.startswith("pay_col_") and len(payment.collection.id) == 34
        assert payment.session.id.startswith("payses_") and len(payment.session.id) == 33
    reason = next(iter(first.refund_reasons.values()))
    assert reason.id.startswith("refr_") and len(reason.id) == 31


def test_dump_loads_back_to_the_same_state(tmp_path):
    client = make_client()
    token = client.post(
        "/auth/user/emailpass", json={"email": "admin@example.com", "password": "supersecret"}
    ).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    client.post(
        "/admin/payments/pay_01KDEM0CAPTVRED00000000000/refund",
        json={"amount": 2.5, "note": "n"},
        headers=auth,
    )
    state = client.get("/__mock/state").json()
    before = client.get("/admin/payments?fields=%2Brefunds.*", headers=auth).json()
    import yaml

    assert client.post("/__mock/load", content=yaml.safe_dump(state)).status_code == 200
    assert client.get("/admin/payments?fields=%2Brefunds.*", headers=auth).json() == before


def test_an_amount_past_2_53_is_written_as_javascript_writes_its_number(client, auth):
    """JSON.stringify writes an integral number below 1e21 in digits, its shortest digits
    padded with zeros, and from 1e21 on with an exponent (orjson wrote 1e+20 and 1e+21)."""
    document = (
        "payments:\n"
        "  - {id: pay_big, amount: 123456789012345678901, captured: true}\n"
        "  - {id: pay_bigger, amount: 1.0e+21, captured: true}\n"
    )
    assert client.post("/__mock/load", content=document).status_code == 200
    big = client.get("/admin/payments/pay_big?fields=amount,captures.amount", headers=auth)
    assert big.content == (
        b'{"payment":{"amount":123456789012345680000,"id":"pay_big",'
        b'"captures":[{"amount":123456789012345680000,"id":"'
        + big.json()["payment"]["captures"][0]["id"].encode()
        + b'"}]}}'
    )
    bigger = client.get("/admin/payments/pay_bigger?fields=amount", headers=auth)
    assert bigger.content == b'{"payment":{"amount":1e+21,"id":"pay_bigger"}}'


def test_reset_returns_to_the_fixtures(client, auth):
    client.post("/admin/payments/pay_01KDEM0CAPTVRED00000000000/refund", json={"amount": 1}, headers=auth)
    client.post("/admin/refund-reasons", json={"label": "x", "code": "x"}, headers=auth)
    assert client.post("/__mock/reset").json()["refund_reasons"] == 3
    payment = client.get("/admin/payments/pay_01KDEM0CAPTVRED00000000000", headers=auth).json()["payment"]
    assert payment["refunds"] == []
    assert client.get("/admin/payments", headers=auth).status_code == 200  # the token still works


def test_load_rejects_a_bad_fixture_and_changes_nothing(client, auth):
    before = client.get("/__mock/state").json()
    response = client.post("/__mock/load", content="payments:\n  - amount: 0\n")
    assert response.status_code == 400 and response.json()["path"] == "payments[0].amount"
    assert client.get("/__mock/state").json() == before


def _refunded_store(refunds: int):
    """The default fixtures' state, with ``refunds`` more refunds of 0.01 on the captured payment."""
    from decimal import Decimal

    from mock_server.web.app import create_app

    app = create_app(Config())
    store = app.mock.namespaces.default.store
    payment = store.payments[CAPTURED]
    for _ in range(refunds):
        store.add_refund(
            payment, Decimal("0.01"), reason=None, note=None, created_by=None, at="2026-01-01T00:00:00.000Z"
        )
    return app, store, payment


def test_the_state_is_the_moment_of_the_snapshot_and_one_documents_bytes():
    from decimal import Decimal

    import orjson

    from mock_server.web.responses import encode

    _, store, payment = _refunded_store(2 * fixtures.ROWS + 5)  # three pieces of refunds
    kept = [r.id for r in payment.refunds]
    reason = next(iter(store.refund_reasons.values()))
    document = fixtures.snapshot(store)
    # after the snapshot: a refund, a capture, a deleted reason
    store.add_refund(
        payment, Decimal(1), reason=None, note="later", created_by=None, at="2026-01-02T00:00:00.000Z"
    )
    store.add_capture(payment, Decimal(1), created_by=None, at="2026-01-02T00:00:00.000Z")
    reason.deleted_at = "2026-01-02T00:00:00.000Z"
    captures = len(payment.captures) - 1
    store.dispose()  # a reset meanwhile: the snapshot still reads the state it saw
    pieces = list(document(encode))
    assert len(pieces) > 3
    written = b"".join(pieces)
    state = orjson.loads(written)
    assert encode(state) == written  # what one encode of the whole document writes
    dumped = next(p for p in state["payments"] if p["id"] == CAPTURED)
    assert [r["id"] for r in dumped["refunds"]] == kept
    assert len(dumped["captures"]) == captures
    assert not any(r.get("deleted") for r in state["refund_reasons"])


def test_a_large_state_is_written_with_the_loop_serving_in_between():
    """``/__mock/state`` of many refunds gives the event loop back while it writes them (a
    coroutine that only yields runs many times during the one request), and answers whole,
    with its Content-Length."""
    import orjson

    app, store, payment = _refunded_store(20 * fixtures.ROWS)
    turns, headers, body = get_while_the_loop_turns(app, "/__mock/state")
    assert turns >= 20
    assert int(headers[b"content-length"]) == len(body)
    assert b"transfer-encoding" not in headers
    dumped = next(p for p in orjson.loads(body)["payments"] if p["id"] == CAPTURED)
    assert len(dumped["refunds"]) == len(payment.refunds)
