"""Namespaces (mock_server/control/namespaces.py): isolated states on one mock, chosen by the
``x-mock-namespace`` header or a ``/__ns/NAME`` path prefix, and the control routes that act
on one (``?namespace=``)."""

from __future__ import annotations

import asyncio
import threading
from decimal import Decimal

import httpx
import pytest

from mock_server.backend import fixtures
from mock_server.control.namespaces import NamespaceError, Namespaces
from tests.helpers import ADMIN, API_KEY, CAPTURED, login, make_client

REFUND = f"/admin/payments/{CAPTURED}/refund"
ORIGIN = "http://localhost:5173"  # in Medusa's default ADMIN_CORS
BAD_NAME = (
    "Invalid namespace name 'bad name': 1 to 64 characters of A-Z, a-z, 0-9, '_', '.' and '-', "
    "starting with a letter or a digit"
)


@pytest.fixture
def client():
    c = make_client()
    c.headers["authorization"] = f"Bearer {login(c)}"
    yield c
    c.close()


def _refunds(client, namespace: str | None = None) -> list[Decimal]:
    params = {"namespace": namespace} if namespace else {}
    state = client.get("/__mock/state", params=params).json()
    payment = next(p for p in state["payments"] if p["id"] == CAPTURED)
    return [Decimal(str(r["amount"])) for r in payment.get("refunds", [])]


def test_a_namespace_by_header_has_its_own_state(client):
    before = _refunds(client)
    answer = client.post(REFUND, json={"amount": 7}, headers={"x-mock-namespace": "t-1"})
    assert answer.status_code == 200, answer.text
    assert _refunds(client, "t-1") == before + [Decimal(7)]
    assert _refunds(client) == before  # the default namespace did not change
    seen = client.get(f"/admin/payments/{CAPTURED}", headers={"x-mock-namespace": "t-1"}).json()
    assert seen["payment"]["refunds"][-1]["amount"] == 7


def test_a_namespace_by_path_prefix_is_the_same_namespace(client):
    client.post(REFUND, json={"amount": 3}, headers={"x-mock-namespace": "shared"})
    answer = client.post(f"/__ns/shared{REFUND}", json={"amount": 4})
    assert answer.status_code == 200, answer.text
    assert _refunds(client, "shared")[-2:] == [Decimal(3), Decimal(4)]
    # the control routes take the prefix too
    state = client.get("/__ns/shared/__mock/state").json()
    assert state == client.get("/__mock/state", params={"namespace": "shared"}).json()


def test_journal_and_faults_are_per_namespace(client):
    client.post("/__mock/faults", params={"namespace": "a"}, json={"path": REFUND, "status": 503})
    assert client.post(REFUND, json={"amount": 1}, headers={"x-mock-namespace": "a"}).status_code == 503
    assert client.post(REFUND, json={"amount": 1}).status_code == 200  # not in the default one
    assert client.post(f"/__ns/b{REFUND}", json={"amount": 1}).status_code == 200
    journal_a = client.get("/__mock/requests", params={"namespace": "a"}).json()
    assert [(e["path"], e["response"]["status"]) for e in journal_a["requests"]] == [(REFUND, 503)]
    journal_b = client.get("/__mock/requests", params={"namespace": "b", "path": REFUND}).json()
    assert [(e["path"], e["response"]["status"]) for e in journal_b["requests"]] == [
        (REFUND, 200)
    ]  # unprefixed
    default = client.get("/__mock/requests", params={"path": REFUND}).json()
    assert [e["response"]["status"] for e in default["requests"]] == [200]
    assert client.get("/__mock/faults").json() == {"faults": []}


def test_reset_and_load_act_on_one_namespace(client):
    client.post(REFUND, json={"amount": 5}, headers={"x-mock-namespace": "r"})
    client.post(REFUND, json={"amount": 6})
    default_after = _refunds(client)
    loaded = client.post("/__mock/load", params={"namespace": "r"}, content=b"payments: []\n")
    assert loaded.status_code == 200, loaded.text
    assert loaded.json()["payments"] == 0
    assert client.get("/admin/payments", headers={"x-mock-namespace": "r"}).json()["count"] == 0
    assert _refunds(client) == default_after
    assert client.post("/__mock/reset", params={"namespace": "r"}).json()["payments"] == 0  # back to its load
    client.post("/__mock/reset")
    assert Decimal(6) not in _refunds(client)


def test_logins_work_in_a_namespace_whose_fixture_has_no_users(client):
    client.post("/__mock/load", params={"namespace": "empty"}, content=b"{}")
    del client.headers["authorization"]
    answer = client.post("/__ns/empty/auth/user/emailpass", json=ADMIN)
    assert answer.status_code == 200, answer.text
    token = answer.json()["token"]
    listed = client.get("/__ns/empty/admin/payments", headers={"authorization": f"Bearer {token}"})
    assert listed.json()["count"] == 0
    by_key = client.get("/__ns/empty/admin/payments", auth=(API_KEY, ""))
    assert by_key.status_code == 200


def test_a_bad_name_is_a_400_with_cors_and_changes_nothing(client):
    before = client.get("/__mock/state").json()
    for headers, path in (({"x-mock-namespace": "bad name"}, REFUND), ({}, "/__ns/bad%20name" + REFUND)):
        answer = client.post(path, json={"amount": 1}, headers={**headers, "origin": ORIGIN})
        assert answer.status_code == 400
        assert answer.json() == {"type": "invalid_data", "message": BAD_NAME}
        assert answer.headers["access-control-allow-origin"] == ORIGIN
    assert client.get("/__mock/state").json() == before
    assert client.get("/__mock/namespaces").json()["count"] == 1
    control = client.get("/__mock/state", params={"namespace": "x" * 65})
    assert control.status_code == 400
    assert control.json()["message"].startswith("Invalid namespace name 'xxxx")


def test_two_different_names_are_refused(client):
    answer = client.post(f"/__ns/a{REFUND}", json={"amount": 1}, headers={"x-mock-namespace": "b"})
    assert answer.status_code == 400
    assert (
        answer.json()["message"] == "Two namespaces: 'a' in the path and 'b' in the x-mock-namespace header"
    )
    same = client.post(f"/__ns/a{REFUND}", json={"amount": 1}, headers={"x-mock-namespace": "a"})
    assert same.status_code == 200
    control = client.get("/__mock/state", params={"namespace": "a"}, headers={"x-mock-namespace": "b"})
    assert control.status_code == 400
    assert control.json()["message"] == "More than one namespace given: 'a', 'b'"


def test_the_namespace_limit_is_a_clear_429_and_dropping_one_frees_a_place():
    client = make_client(max_namespaces=2)
    token = login(client)
    headers = {"authorization": f"Bearer {token}"}
    for name in ("one", "two"):
        assert client.get("/admin/payments", headers={**headers, "x-mock-namespace": name}).status_code == 200
    refused = client.get("/admin/payments", headers={**headers, "x-mock-namespace": "three"})
    assert refused.status_code == 429
    assert refused.json()["message"].startswith(
        "Too many namespaces: 2 are in use, the most this mock holds (serve --max-namespaces 2)."
    )
    assert client.get("/admin/payments", headers={**headers, "x-mock-namespace": "one"}).status_code == 200
    dropped = client.delete("/__mock/namespaces/one")
    assert dropped.status_code == 200 and dropped.json()["name"] == "one"
    assert client.get("/admin/payments", headers={**headers, "x-mock-namespace": "three"}).status_code == 200
    listed = client.get("/__mock/namespaces").json()
    assert [n["name"] for n in listed["namespaces"]] == ["default", "three", "two"]
    assert listed["limit"] == 2
    assert client.delete("/__mock/namespaces/default").status_code == 400
    missing = client.delete("/__mock/namespaces/nope")
    assert missing.status_code == 404
    assert missing.json() == {"type": "not_found", "message": "no namespace named 'nope'"}
    client.close()


def test_idle_namespaces_expire_and_the_default_one_never():
    now = [0.0]
    files = [fixtures.parse(b"payments: []\n", "<test>")]
    spaces = Namespaces(files, 10, ttl=60, limit=5, clock=lambda: now[0])

    async def use(name):
        return await spaces.get(name)

    first = asyncio.run(use("a"))
    assert asyncio.run(use("a")) is first  # built once
    now[0] = 59.0
    asyncio.run(use("b"))
    now[0] = 61.0
    assert spaces.sweep(now[0]) == 1  # "a", idle for 61 s; "b" for 2 s
    assert spaces.peek("a") is None and spaces.peek("b") is not None
    now[0] = 10_000.0
    assert spaces.sweep(now[0]) == 1
    assert spaces.peek(None) is spaces.default
    with pytest.raises(NamespaceError) as caught:
        asyncio.run(use("no/slash"))
    assert caught.value.status == 400


def test_concurrent_first_requests_share_one_namespace():
    files = [fixtures.parse(b"payments: []\n", "<test>")]
    spaces = Namespaces(files, 10, limit=1)

    async def main():
        return await asyncio.gather(*(spaces.get("same") for _ in range(8)))

    got = asyncio.run(main())
    assert all(ns is got[0] for ns in got) and got[0].requests == 8


def test_namespaces_listing_shows_size_and_use(client):
    for _ in range(3):
        client.post(REFUND, json={"amount": 1}, headers={"x-mock-namespace": "sized"})
    listed = client.get("/__mock/namespaces").json()
    sized = next(n for n in listed["namespaces"] if n["name"] == "sized")
    default = listed["namespaces"][0]
    assert default["name"] == "default"
    assert sized["requests"] == 3 and sized["journal"] == 3
    assert sized["refunds"] == default["refunds"] + 3
    assert sized["payments"] == default["payments"]


def test_a_preflight_for_the_prefix_allows_the_namespace_header(client):
    answer = client.options(
        f"/__ns/p{REFUND}",
        headers={
            "origin": ORIGIN,
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization,content-type,x-mock-namespace",
        },
    )
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == ORIGIN
    assert "x-mock-namespace" in answer.headers["access-control-allow-headers"]


def test_sixteen_workers_refund_one_payment_in_sixteen_namespaces(live_server):
    """Parallel test workers on one server: each namespace ends with exactly its own refunds."""
    base = live_server.url
    token = httpx.post(base + "/auth/user/emailpass", json=ADMIN).json()["token"]
    default_before = httpx.get(base + "/__mock/state").json()
    errors: list[str] = []

    def worker(n: int) -> None:
        with httpx.Client(base_url=f"{base}/__ns/w{n}", headers={"authorization": f"Bearer {token}"}) as c:
            for i in range(5):
                answer = c.post(REFUND, json={"amount": n + 1, "note": f"w{n}-{i}"})
                if answer.status_code != 200:
                    errors.append(f"w{n}: {answer.status_code} {answer.text}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for n in range(16):
        state = httpx.get(base + "/__mock/state", params={"namespace": f"w{n}"}).json()
        refunds = next(p for p in state["payments"] if p["id"] == CAPTURED)["refunds"]
        own = [r["note"] for r in refunds if (r.get("note") or "").startswith("w")]
        assert sorted(own) == [f"w{n}-{i}" for i in range(5)]
    assert httpx.get(base + "/__mock/state").json() == default_before
