"""Reads answered again from memory (``web/caches.Answers``): the same bytes as a fresh
answer, and never an answer older than the state it shows."""

from __future__ import annotations

import gc

import pytest

from helpers import CAPTURED, login, make_client
from mock_server.web.caches import Answers

NS = "x-mock-namespace"


@pytest.fixture
def plain():
    """The app as `mock-server serve` runs it: no response validation, so reads are remembered."""
    c = make_client(validate_responses=False)
    yield c
    c.close()


def raw(response) -> tuple:
    return response.status_code, response.headers.raw, response.content


def reason_ids(client, auth, **params) -> list[str]:
    got = client.get("/admin/refund-reasons", params=params, headers=auth).json()
    return [r["id"] for r in got["refund_reasons"]]


def test_a_read_asked_twice_is_the_same_answer_byte_for_byte(plain):
    auth = {"Authorization": f"Bearer {login(plain)}", "Origin": "http://localhost:9000"}
    for url in (
        f"/admin/payments/{CAPTURED}",
        "/admin/payments?limit=3&fields=id,amount",
        "/admin/refund-reasons",
    ):
        first, second = plain.get(url, headers=auth), plain.get(url, headers=auth)
        assert first.status_code == 200 and raw(first) == raw(second)
        head = plain.head(url, headers=auth)  # the GET's headers, remembered or not, no body
        assert head.content == b"" and head.headers["etag"] == first.headers["etag"]
    # the CORS headers are the request's own, not those of the answer remembered
    other = plain.get(f"/admin/payments/{CAPTURED}", headers={**auth, "Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    assert other.content == plain.get(f"/admin/payments/{CAPTURED}", headers=auth).content


def test_every_write_is_seen_by_the_next_read(plain):
    auth = {"Authorization": f"Bearer {login(plain)}"}
    url = f"/admin/payments/{CAPTURED}?fields=id,*refunds"
    before = plain.get(url, headers=auth)
    assert (
        plain.post(f"/admin/payments/{CAPTURED}/refund", json={"amount": 1}, headers=auth).status_code == 200
    )
    after = plain.get(url, headers=auth)
    assert len(after.json()["payment"]["refunds"]) == len(before.json()["payment"]["refunds"]) + 1
    assert after.headers["etag"] != before.headers["etag"]

    created = plain.post("/admin/refund-reasons", json={"label": "L", "code": "c"}, headers=auth)
    reason = created.json()["refund_reason"]["id"]
    assert reason in reason_ids(plain, auth)
    assert plain.post(f"/admin/refund-reasons/{reason}", json={"label": "M"}, headers=auth).status_code == 200
    assert plain.get(f"/admin/refund-reasons/{reason}", headers=auth).json()["refund_reason"]["label"] == "M"
    assert plain.delete(f"/admin/refund-reasons/{reason}", headers=auth).status_code == 200
    assert plain.get(f"/admin/refund-reasons/{reason}", headers=auth).content == b"{}"
    assert reason not in reason_ids(plain, auth)

    # a reset (a new state) and a load are seen too
    assert plain.post("/__mock/reset").status_code == 200
    assert raw(plain.get(url, headers=auth)) == raw(before)
    assert plain.post("/__mock/load", content=b"payments: []\n").status_code == 200
    assert plain.get(url, headers=auth).content == b"{}"


def test_namespaces_remember_apart(plain):
    auth = {"Authorization": f"Bearer {login(plain)}"}
    url = f"/admin/payments/{CAPTURED}?fields=id,*refunds"
    count = len(plain.get(url, headers=auth).json()["payment"]["refunds"])
    plain.get(url, headers={**auth, NS: "a"})
    assert plain.post(
        f"/admin/payments/{CAPTURED}/refund", json={"amount": 1}, headers={**auth, NS: "b"}
    ).is_success
    assert len(plain.get(url, headers={**auth, NS: "a"}).json()["payment"]["refunds"]) == count
    assert len(plain.get(url, headers={**auth, NS: "b"}).json()["payment"]["refunds"]) == count + 1
    assert len(plain.get(url, headers=auth).json()["payment"]["refunds"]) == count


def test_auth_and_validation_still_run_on_a_remembered_read(plain):
    auth = {"Authorization": f"Bearer {login(plain)}"}
    url = f"/admin/payments/{CAPTURED}"
    assert plain.get(url, headers=auth).status_code == 200
    assert plain.get(url).status_code == 401
    assert plain.get(url, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert plain.get("/admin/payments?limit=abc", headers=auth).status_code == 400


class Store:  # a stand-in: Answers keys stores by identity, weakly
    pass


def test_answers_are_bounded_and_go_with_their_state():
    answers = Answers()
    store = Store()
    answers.put(store, ("k",), b"x" * (Answers.BODY + 1), b"e")  # too large to keep
    assert answers.get(store, ("k",)) is None
    for i in range(Answers.SIZE):
        answers.put(store, (i,), b"body", b"etag")
    assert answers.get(store, (0,)) == (b"body", b"etag")
    answers.put(store, ("one more",), b"b", b"e")  # full: starts afresh
    assert answers.get(store, (0,)) is None and answers.get(store, ("one more",)) == (b"b", b"e")
    answers.forget(store)
    assert answers.get(store, ("one more",)) is None
    answers.put(store, ("k",), b"b", b"e")
    del store
    gc.collect()
    assert len(answers.by_store) == 0
