"""`mock-server snapshot`: a running mock's state, read over HTTP, loads into another mock that
then answers the same bodies."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest
import yaml

from helpers import ADMIN, AUTHORIZED, CAPTURED, ROOT, LiveServer
from mock_server.backend import fixtures
from mock_server.tooling import snapshot


def _token(url: str) -> dict:
    response = httpx.post(url + "/auth/user/emailpass", json=ADMIN)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def _pages(url: str, path: str, headers: dict, **params) -> list:
    """Every page of a list, with the default limit (so pagination is compared too)."""
    bodies, offset = [], 0
    while True:
        response = httpx.get(url + path, params={**params, "offset": offset}, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        bodies.append(body)
        items = next(v for v in body.values() if isinstance(v, list))
        offset += len(items)
        if not items or offset >= body["count"]:
            return bodies


@pytest.fixture
def source(live_server):
    """A mock with more than its fixtures: a capture, refunds with reasons and notes, a created
    and a deleted refund reason."""
    auth = _token(live_server.url)
    post = lambda path, body: httpx.post(live_server.url + path, json=body, headers=auth)  # noqa: E731
    created = post(
        "/admin/refund-reasons", {"label": "Snapshot", "code": "snap", "description": None}
    ).json()["refund_reason"]
    doomed = post("/admin/refund-reasons", {"label": "Doomed", "code": "doomed"}).json()["refund_reason"]
    assert (
        post(
            f"/admin/payments/{CAPTURED}/refund",
            {"amount": 12.5, "refund_reason_id": created["id"], "note": "Dented"},
        ).status_code
        == 200
    )
    assert (
        post(
            f"/admin/payments/{CAPTURED}/refund", {"amount": 0.001, "refund_reason_id": doomed["id"]}
        ).status_code
        == 200
    )
    assert post(f"/admin/payments/{AUTHORIZED}/capture", {"amount": 40}).status_code == 200
    assert (
        httpx.delete(f"{live_server.url}/admin/refund-reasons/{doomed['id']}", headers=auth).status_code
        == 200
    )
    return live_server


def test_snapshot_loads_into_a_mock_that_answers_the_same(source, tmp_path):
    out = tmp_path / "from-mock.yaml"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mock_server",
            "snapshot",
            "--base-url",
            source.url,
            "--email",
            ADMIN["email"],
            "--password",
            ADMIN["password"],
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    out.write_text(done.stdout)
    assert done.stdout.startswith(f"# Snapshot of {source.url}")

    check = subprocess.run(
        [sys.executable, "-m", "mock_server", "check-fixtures", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stderr + check.stdout

    document = yaml.safe_load(out.read_text())
    captured = next(p for p in document["payments"] if p["id"] == CAPTURED)
    assert [(r["amount"], r["note"]) for r in captured["refunds"]] == [("12.5", "Dented"), ("0.001", None)]
    # a deleted reason is only known from the refund that names it: id kept, label/code unknown
    [deleted] = [r for r in document["refund_reasons"] if r.get("deleted")]
    assert deleted["id"].startswith("refr_") and (deleted["label"], deleted["code"]) == ("", "")

    copy = LiveServer("--fixtures", str(out))
    try:
        a, b = _token(source.url), _token(copy.url)
        for path, params in (
            ("/admin/payments", {}),
            ("/admin/payments", {"limit": 3}),
            (
                "/admin/payments",
                {
                    "fields": "+captures.*,+refunds.*,+provider_id,"
                    "+payment_collection.status,"
                    "+payment_collection.captured_amount,"
                    "+payment_collection.refunded_amount"
                },
            ),
            ("/admin/refund-reasons", {}),
            ("/admin/payments/payment-providers", {}),
        ):
            assert _pages(copy.url, path, b, **params) == _pages(source.url, path, a, **params), path
        for payment in document["payments"]:
            path = f"/admin/payments/{payment['id']}"
            assert (
                httpx.get(copy.url + path, headers=b).json() == httpx.get(source.url + path, headers=a).json()
            )
    finally:
        copy.stop()


def test_snapshot_of_a_backend_that_shows_the_order_link():
    """Against Medusa the collection's `order` link tells which payments have an order."""

    class Fake:
        def __init__(self, pages):
            self.pages = pages

    payments = [
        {
            "id": "pay_A",
            "amount": 100,
            "raw_amount": {"value": "100", "precision": 20},
            "currency_code": "usd",
            "payment_collection_id": "pay_col_A",
            "payment_session_id": "payses_A",
            "captures": [
                {
                    "id": "capt_A",
                    "amount": 100,
                    "created_by": "user_1",
                    "created_at": "2026-01-01T00:00:00.000Z",
                }
            ],
            "refunds": [
                {
                    "id": "ref_A",
                    "amount": 0,
                    "raw_amount": {"value": "1e-7", "precision": 20},
                    "note": None,
                    "created_by": "user_1",
                    "refund_reason_id": "refr_gone",
                    "refund_reason": {"label": "Gone", "code": "gone", "id": "refr_gone"},
                }
            ],
            "payment_collection": {"id": "pay_col_A", "order": {"id": "order_A"}},
        },
        {
            "id": "pay_E",
            "amount": 30.01,
            "raw_amount": {"value": "30.01", "precision": 20},
            "currency_code": "usd",
            "payment_collection_id": "pay_col_E",
            "payment_session_id": "payses_E",
            "canceled_at": "2026-01-01T00:00:00.000Z",
            "captures": [],
            "refunds": [],
            "payment_collection": {"id": "pay_col_E"},
        },
    ]

    class Reader(snapshot.Reader):
        def __init__(self, *_):
            pass

        def all(self, path, key, params):
            return {
                "payment_providers": [{"id": "pp_system_default", "is_enabled": True}],
                "refund_reasons": [],
                "payments": payments,
            }[key]

    original = snapshot.Reader
    snapshot.Reader = Reader
    try:
        document, notes = snapshot.take("http://backend", {})
    finally:
        snapshot.Reader = original
    a, e = document["payments"]
    assert a["order_id"] == "order_A" and "order" not in a
    assert e["order"] is False and e["canceled"] is True and e["amount"] == "30.01"
    assert a["refunds"][0]["amount"] == "0.0000001" and a["refunds"][0]["refund_reason"] == "refr_gone"
    assert document["refund_reasons"] == [
        {"id": "refr_gone", "label": "Gone", "code": "gone", "deleted": True}
    ]
    assert notes == ["1 refund reason(s) only known from refunds: written as deleted"]
    fixtures.build([fixtures.parse(yaml.safe_dump(document))])  # loads


def test_a_snapshot_over_a_posted_documents_limit_is_loadable_as_the_file_it_becomes():
    """`make diff` starts its mock from a snapshot of the real backend, as a fixture file:
    after a few contract runs the backend holds more than the 1 MB a posted document may."""
    reasons = [
        {"id": f"refr_{i:026d}", "label": f"Reason {i}", "code": f"code_{i}", "description": "x" * 200}
        for i in range(5000)
    ]
    document = {"refund_reasons": reasons, "payments": []}
    text = yaml.safe_dump(document, allow_unicode=True)
    assert len(text.encode()) > fixtures.POSTED.bytes
    with pytest.raises(fixtures.FixtureError, match="larger than 1048576 bytes"):
        fixtures.parse(text)
    kept, dropped = snapshot.loadable(document)
    assert dropped == [] and len(kept["refund_reasons"]) == 5000


@pytest.mark.parametrize("label", ["\x85\U00085f0d%", "a\x85 b", "ab \u2028", "\u2029x", "a\nb\rc\x85d\x0be"])
def test_a_snapshot_keeps_texts_with_unicode_line_breaks(label):
    # PyYAML's own dump wrote "\x85\U00085f0d%" (a reason's label on a real backend, left by the
    # generated differential) raw inside single quotes, and read it back as "  \U00085f0d%"
    document = {"refund_reasons": [{"id": "refr_1", "label": label, "code": "c", "description": None}]}
    text = snapshot.render(document, "http://127.0.0.1:9001", [])
    store = fixtures.build([fixtures.parse(text, limits=fixtures.FILE)])
    assert [r.label for r in store.refund_reasons.values()] == [label]
