"""Hostile query strings: filters, ``fields`` and ``order`` a client can send to stall, blow up
or crash the mock. Each answered as a running Medusa 2.21.2 answers it, or, where the mock
refuses on purpose (the ``fields`` limits), with a clear 400 that leaves nothing written."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from urllib.parse import quote

import httpx
import pytest

from helpers import ADMIN, CAPTURED, PARTIALLY_REFUNDED, ROOT
from mock_server.backend import fields as fields_module
from mock_server.backend.fields import MAX_DEPTH, MAX_ENTRIES, parse
from mock_server.backend.listing import like


def invalid(message: str) -> dict:
    return {"type": "invalid_data", "message": "Invalid request: " + message}


UNKNOWN = {"code": "unknown_error", "type": "unknown_error", "message": "An unknown error occurred."}


# ---- filters: what Medusa's validators take, and nothing that backtracks -------------------

# (path, status, body) as a running 2.21.2 answered each
FILTERS = [
    (
        "/admin/payments?fields=id&$or[0][id][$like]=%25%25%25%25%25%25%25%25%25!",
        400,
        invalid("Field '$or, 0, id' is required"),
    ),
    (
        "/admin/payments?fields=id&id[$like]=pay%25",
        400,
        invalid("Expected type: 'string, array' for field 'id', got: '[object Object]'"),
    ),
    (
        "/admin/payments?fields=id&id[$re]=(a%2B)%2B$",
        400,
        invalid("Expected type: 'string, array' for field 'id', got: '[object Object]'"),
    ),
    (
        "/admin/payments?fields=id&payment_session_id[$like]=pay%25",
        400,
        invalid("Expected type: 'string, array' for field 'payment_session_id', got: '[object Object]'"),
    ),
    (
        "/admin/payments?fields=id&$or[0][payment_session_id][$like]=x",
        400,
        invalid("Field '$or, 0, payment_session_id' is required"),
    ),
    ("/admin/payments?fields=id&$and[0][id][$in][0]=x", 400, invalid("Field '$and, 0, id' is required")),
    (
        "/admin/payments?fields=id&$or[0][created_at][$in]=x",
        400,
        invalid("Field '$or, 0, created_at, $in' is required"),
    ),
    (
        "/admin/payments?fields=id&$or[0][created_at][$like][0]=x",
        400,
        invalid("Field '$or, 0, created_at, $like' is required"),
    ),
    (
        "/admin/payments?fields=id&created_at[$like][0]=x",
        400,
        invalid("Expected type: 'string' for field 'created_at, $like', got: 'x'"),
    ),
    (
        "/admin/payments?fields=id&$or[0][id][$like]=x&$or[0][payment_session_id][$like]=x"
        "&$or[1][id][$like]=x&$or[2][id][a]=1",
        400,
        invalid(
            "Field '$or, 0, id' is required; Field '$or, 0, payment_session_id' is required; "
            "Field '$or, 1, id' is required"
        ),
    ),
    ("/admin/payments?fields=id&$or=x", 400, invalid("Expected type: 'array' for field '$or', got: 'x'")),
    (
        "/admin/payments/payment-providers?fields=id&id[$like]=x",
        400,
        invalid("Expected type: 'string, array' for field 'id', got: '[object Object]'"),
    ),
    (
        "/admin/payments/payment-providers?fields=id&is_enabled[$eq]=true",
        400,
        invalid("Expected type: 'boolean, string' for field 'is_enabled', got: '[object Object]'"),
    ),
    (
        "/admin/payments/payment-providers?fields=id&$or[0][is_enabled][$eq]=true",
        400,
        invalid("Field '$or, 0, is_enabled' is required"),
    ),
    ("/admin/payments/payment-providers?fields=id&$or[0][is_enabled]=yes", 400, invalid("Invalid input")),
    (
        "/admin/payments/payment-providers?fields=id&$or[0][id][$like]=x",
        400,
        invalid("Field '$or, 0, id' is required"),
    ),
    (
        "/admin/refund-reasons?fields=id&id[$like]=x",
        400,
        invalid("Expected type: 'string, array' for field 'id', got: '[object Object]'"),
    ),
    (
        "/admin/refund-reasons?fields=id&q[$re]=x",
        400,
        invalid("Expected type: 'string' for field 'q', got: '[object Object]'"),
    ),
    ("/admin/refund-reasons?fields=id&$or[0][id]=x", 400, invalid("Unrecognized fields: '$or'")),
    # PostgreSQL has no LIKE, regex or containment on a timestamp: Medusa's database layer fails
    ("/admin/payments?fields=id&created_at[$like]=2%25", 500, UNKNOWN),
    ("/admin/payments?fields=id&created_at[$ilike]=2020-01-01", 500, UNKNOWN),
    ("/admin/payments?fields=id&created_at[$re]=(a%2B)%2B$", 500, UNKNOWN),
    ("/admin/payments?fields=id&created_at[$contains]=2020-01-01", 500, UNKNOWN),
    ("/admin/payments?fields=id&$or[0][created_at][$like]=x", 500, UNKNOWN),
    ("/admin/refund-reasons?fields=id&created_at[$re]=x", 500, UNKNOWN),
    # `q` inside `$or` reaches the database as a column
    ("/admin/payments?fields=id&$or[0][q]=x", 500, UNKNOWN),
]


@pytest.mark.parametrize("path, status, body", FILTERS, ids=[f[0] for f in FILTERS])
def test_filter_operators_answer_as_medusa(client, auth, path, status, body):
    response = client.get(path.replace("[", "%5B").replace("]", "%5D"), headers=auth)
    assert (response.status_code, response.json()) == (status, body)


def test_or_items_take_only_the_routes_filters(client, auth):
    def ids(path):
        response = client.get(path.replace("[", "%5B").replace("]", "%5D"), headers=auth)
        assert response.status_code == 200, response.text
        return [p["id"] for p in response.json()["payments"]]

    everything = ids("/admin/payments?fields=id")
    assert len(everything) == 10
    # any other key, a nested `$or` or a paging key included, is dropped (observed: no effect)
    assert ids("/admin/payments?fields=id&$or[0][currency_code]=zzz") == everything
    assert ids("/admin/payments?fields=id&$or[0][$or][0][id][$like]=x") == everything
    assert ids("/admin/payments?fields=id&$or[0][limit]=x") == everything
    # the route's own filters work inside it
    assert ids(f"/admin/payments?fields=id&$or[0][id]={CAPTURED}&$or[1][id]=nope") == [CAPTURED]
    assert ids("/admin/payments?fields=id&$or[0][created_at][$gt]=2099-01-01") == []
    providers = client.get(
        "/admin/payments/payment-providers?fields=id&%24or%5B0%5D%5Bis_enabled%5D=false", headers=auth
    ).json()
    assert providers["count"] == 0


def test_like_matches_as_sql_like():
    assert like("pay_123", "pay%")
    assert like("pay_123", "%123")
    assert like("pay_123", "pay_1_3")
    assert like("pay_123", "%")
    assert like("", "%")
    assert like("", "")
    assert like("abcabc", "a%c%c")
    assert like("a%b", "a%b")
    assert like("xaybz", "%a_b%")
    assert not like("pay_123", "pay")
    assert not like("pay_123", "pay_12")
    assert not like("abc", "a%c%c")
    assert not like("ab", "a__")
    assert not like("abc", "%d%")
    assert not like("aaaa", "a%aaaa")


def test_like_does_not_backtrack():
    # a regex translation of this pattern takes exponential time on this text; the piece
    # by piece match takes one pass per piece
    text = "a" * 5000
    pattern = "%a" * 2000 + "%!"
    started = time.process_time()
    assert not like(text, pattern)
    assert not like(text, "%" + "_%" * 2000 + "!")
    assert time.process_time() - started < 5  # a generous bound: it takes milliseconds


# ---- `fields`: parsed in linear time, bounded, no fan-out ------------------------------------


def test_fields_parse_is_linear_in_its_input():
    value = ",".join([f"+refunds.f{i}" for i in range(16_000)] + [f"-x{i}" for i in range(10_000)])
    started = time.process_time()
    paths = parse(value, ("id", "x1", "x1.y", "x10x", "refunds.id"))
    assert time.process_time() - started < 5  # a generous bound: quadratic took 18 s here
    assert paths[:3] == ["id", "x10x", "refunds.id"] and len(paths) == 16_003


def test_fields_removal_takes_the_item_and_everything_under_it():
    assert parse("-refunds", ("id", "refunds.id", "refunds_x", "refunds.reason.code")) == ["id", "refunds_x"]
    assert parse("-a.b", ("id", "a.b.c", "a.bc", "a.b")) == ["id", "a.bc"]
    assert parse("+a.b.c,+a.bc,-a.b,+a.b.d", ("id",)) == ["id", "a.bc", "a.b.d"]  # only what came before
    assert parse("*a.b,-a", ("id",)) == ["id"]  # a `*` item is taken by its name
    # in replace mode (an item without a modifier) nothing is removed: `-a.b` is `a.b`
    assert parse("id,a.b.c,a.bc,-a.b", ()) == ["id", "a.b.c", "a.bc", "a.b"]


@pytest.mark.parametrize(
    "fields, shape",
    [
        # each shape as a running 2.21.2 answered it: a relation back to an entity type already on
        # the path from the root is not followed
        (
            "refunds.payment.refunds.payment.refunds.payment.refunds.id",
            {"id": str, "refunds": [{"id": str, "payment_id": str}]},
        ),
        ("refunds.payment.id", {"id": str, "refunds": [{"id": str, "payment_id": str}]}),
        (
            "id,refunds.amount,refunds.payment.amount",
            {"id": str, "refunds": [{"amount": int, "id": str, "payment_id": str}]},
        ),
        ("id,refunds.amount,refunds.payment", {"id": str, "refunds": [{"amount": int, "id": str}]}),
        ("captures.payment.id", {"id": str, "captures": [{"id": str, "payment_id": str}]}),
        (
            "payment_collection.payments.payment_collection.payments.id",
            {"id": str, "payment_collection_id": str, "payment_collection": {"id": str}},
        ),
        (
            "payment_collection.payments.id",
            {"id": str, "payment_collection_id": str, "payment_collection": {"id": str}},
        ),
        (
            "payment_session.payment.id",
            {"id": str, "payment_session_id": str, "payment_session": {"id": str}},
        ),
        (
            "payment_collection.payment_sessions.payment_collection.id",
            {
                "id": str,
                "payment_collection_id": str,
                "payment_collection": {
                    "id": str,
                    "payment_sessions": [{"id": str, "payment_collection_id": str}],
                },
            },
        ),
        (
            "id,payment_collection.payment_sessions.payment_collection",
            {
                "id": str,
                "payment_collection_id": str,
                "payment_collection": {"id": str, "payment_sessions": [{"id": str}]},
            },
        ),
        (
            "payment_session.payment_collection.payments.id",
            {
                "id": str,
                "payment_session_id": str,
                "payment_session": {
                    "id": str,
                    "payment_collection_id": str,
                    "payment_collection": {"id": str},
                },
            },
        ),
    ],
)
def test_fields_do_not_fan_out_back_to_an_entity_on_the_path(client, auth, fields, shape):
    payment = client.get(f"/admin/payments/{PARTIALLY_REFUNDED}?fields={fields}", headers=auth).json()[
        "payment"
    ]
    assert _shape(payment) == _shape_of(shape)


def test_star_back_to_the_path_adds_nothing_but_the_defaults(client, auth):
    defaults = client.get(f"/admin/payments/{PARTIALLY_REFUNDED}", headers=auth).json()["payment"]
    payment = client.get(
        f"/admin/payments/{PARTIALLY_REFUNDED}?fields=refunds.payment.*", headers=auth
    ).json()
    assert payment["payment"] == defaults
    # only the foreign key of the relation not followed shows (observed)
    payment = client.get(
        f"/admin/payments/{PARTIALLY_REFUNDED}?fields=captures.payment.*", headers=auth
    ).json()
    assert payment["payment"] == {
        **defaults,
        "captures": [{**c, "payment_id": PARTIALLY_REFUNDED} for c in defaults["captures"]],
    }
    for fields, key in (
        ("payment_collection.payments.*", "payment_collection"),
        ("payment_session.payment.*", "payment_session"),
    ):
        payment = client.get(f"/admin/payments/{PARTIALLY_REFUNDED}?fields={fields}", headers=auth).json()
        assert payment["payment"] == {**defaults, key: {"id": payment["payment"][key]["id"]}}, fields
    # in a `*` expansion, the slot of a relation back to the path is left out
    payment = client.get(
        f"/admin/payments/{PARTIALLY_REFUNDED}?fields=id,payment_collection.payment_sessions.*", headers=auth
    ).json()["payment"]
    [session] = payment["payment_collection"]["payment_sessions"]
    assert "payment_collection" not in session and "payment_collection_id" in session


def test_fields_after_many_refunds_answer_small(client, auth):
    for _ in range(30):
        assert (
            client.post(f"/admin/payments/{CAPTURED}/refund", json={"amount": 1}, headers=auth).status_code
            == 200
        )
    response = client.get(
        f"/admin/payments/{CAPTURED}?fields=refunds.payment.refunds.payment.refunds.payment.refunds.id",
        headers=auth,
    )
    refunds = response.json()["payment"]["refunds"]
    assert len(refunds) == 30 and all(list(r) == ["id", "payment_id"] for r in refunds)
    assert len(response.content) < 3000


def _shape(value):
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value)


def _shape_of(spec):
    if isinstance(spec, dict):
        return {k: _shape_of(v) for k, v in spec.items()}
    if isinstance(spec, list):
        return [_shape_of(spec[0])]
    return spec


def test_refund_with_a_fields_past_the_limits_is_refused_before_anything_is_written(client, auth):
    def refunds():
        return len(
            client.get(f"/admin/payments/{CAPTURED}?fields=refunds.id", headers=auth).json()["payment"][
                "refunds"
            ]
        )

    before = refunds()
    deep = "payment_collection.payments." * 300 + "id"
    response = client.post(
        f"/admin/payments/{CAPTURED}/refund?fields={deep}", json={"amount": 5}, headers=auth
    )
    assert (response.status_code, response.json()) == (
        400,
        invalid(f"Field 'fields' has a path 601 levels deep, more than the {MAX_DEPTH} the mock accepts"),
    )
    many = ",".join(["id"] * (MAX_ENTRIES + 1))
    response = client.post(
        f"/admin/payments/{CAPTURED}/refund?fields={many}", json={"amount": 5}, headers=auth
    )
    assert (response.status_code, response.json()) == (
        400,
        invalid(
            f"Field 'fields' has {MAX_ENTRIES + 1} entries, more than the {MAX_ENTRIES} the mock accepts"
        ),
    )
    assert refunds() == before
    # at the limits, accepted
    response = client.get(f"/admin/payments?fields={','.join(['id'] * MAX_ENTRIES)}&limit=1", headers=auth)
    assert response.status_code == 200
    at_depth = "refunds." * (MAX_DEPTH - 1) + "id"
    assert client.get(f"/admin/payments?fields={at_depth}&limit=1", headers=auth).status_code == 200


def test_a_body_error_still_wins_over_a_fields_past_the_limits(client, auth):
    deep = "refunds." * 20 + "id"
    response = client.post(
        f"/admin/payments/{CAPTURED}/refund?fields={deep}", json={"amount": "x"}, headers=auth
    )
    assert response.json() == invalid("Expected type: 'number' for field 'amount', got: 'x'")


# ---- order: only the entity's columns, never a traceback -------------------------------------


@pytest.mark.parametrize(
    "order", ["lock", "captured_total", "__class__", "collection", "-__dict__", "amount,__class__"]
)
def test_order_by_what_is_not_a_column_is_medusas_500_without_a_traceback(client, auth, caplog, order):
    with caplog.at_level(logging.ERROR, logger="mock_server"):
        response = client.get(f"/admin/payments?order={order}", headers=auth)
    assert (response.status_code, response.json()) == (500, UNKNOWN)
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize(
    "path",
    [
        "/admin/payments?order=metadata",
        "/admin/payments?order=-data",
        "/admin/payments?order=raw_amount",
        "/admin/refund-reasons?order=metadata",
        "/admin/payments/payment-providers?order=-is_enabled",
    ],
)
def test_order_by_any_real_column_answers(client, auth, caplog, path):
    with caplog.at_level(logging.ERROR, logger="mock_server"):
        assert client.get(path, headers=auth).status_code == 200
    assert "Traceback" not in caplog.text


# ---- memory: distinct `fields` values do not pile up ----------------------------------------

LEAK_SCRIPT = """
import gc, weakref
from mock_server.web import memory
from mock_server.web.app import Mock
from mock_server.config import Config

mock = Mock(Config())
payment = next(iter(mock.store.payments.values()))
memory.serve_mode()
mock.projector.project("payment", payment, "id,amount")
first = weakref.ref(mock.projector._renderers[("payment", "id,amount")])
gc.collect()                       # a full collection while serving: what survives is frozen
for i in range(3000):              # enough distinct values to evict it
    mock.projector.project("payment", payment, f"id,f{i}")
assert ("payment", "id,amount") not in mock.projector._renderers
assert first() is None, "an evicted renderer is still alive"
print("ok")
"""


def test_evicted_fields_renderers_are_freed_while_serving():
    # in a child process: the serving policy changes the interpreter's collector for good
    result = subprocess.run(
        [sys.executable, "-c", LEAK_SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-2000:]


def test_renderers_are_not_in_a_reference_cycle():
    renderer = fields_module._compile_renderer(fields_module.compile_fields("payment", "id,refunds.id"))
    assert renderer not in renderer.__globals__.values()


# ---- cost: the event loop stays free -----------------------------------------------------------


def test_hostile_queries_do_not_hold_the_event_loop(live_server):
    token = httpx.post(live_server.url + "/auth/user/emailpass", json=ADMIN).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    hostile = [
        "/admin/payments?fields=id&%24or%5B0%5D%5Bid%5D%5B%24like%5D=" + "%25" * 40 + "!",
        "/admin/payments?fields=id&created_at%5B%24re%5D=" + quote("(a+)+$"),
        "/admin/payments?fields=" + ",".join(["+refunds.x"] * 600 + ["-refunds.x"] * 390),
        "/admin/payments?fields=" + ",".join(["id"] * 3000),
        f"/admin/payments/{CAPTURED}?fields=" + "payment_collection.payments." * 300 + "id",
        f"/admin/payments/{CAPTURED}?fields=" + ".".join(["refunds.payment"] * 4) + ".refunds.id",
    ]
    slowest = []
    done = threading.Event()

    def probe():
        with httpx.Client(base_url=live_server.url, timeout=30) as c:
            while not done.is_set():
                started = time.monotonic()
                assert c.get("/health").status_code == 200
                slowest.append(time.monotonic() - started)
                time.sleep(0.01)

    prober = threading.Thread(target=probe)
    prober.start()
    try:
        with httpx.Client(base_url=live_server.url, headers=auth, timeout=30) as c:
            for _ in range(5):
                for path in hostile:
                    assert c.get(path).status_code in (200, 400, 500), path
    finally:
        done.set()
        prober.join()
    assert slowest and max(slowest) < 2.0  # generous: each of these answers in milliseconds
    assert "Traceback" not in live_server.output()


def test_a_q_word_whose_wildcards_would_cost_too_much_is_refused_before_the_search(client, auth):
    """A piece of a LIKE pattern with `_` costs up to its length at each place of the text,
    and a client writes both (a long description, a long q): past LIKE_COMPARISONS the
    search is refused instead of holding the event loop. A search a person types is never."""
    from mock_server.backend.listing import LIKE_COMPARISONS

    created = client.post(
        "/admin/refund-reasons", json={"label": "l", "code": "c", "description": "a" * 40_000}, headers=auth
    )
    assert created.status_code == 200
    word = "a_" * 100 + "b"  # 201 characters: 8 million comparisons against the description
    response = client.get(f"/admin/refund-reasons?q={word}", headers=auth)
    assert (response.status_code, response.json()) == (
        400,
        {
            "type": "invalid_data",
            "message": "Invalid request: A pattern piece of 201 characters with '_' in it, matched "
            f"against a text of 40000 characters, is more than the {LIKE_COMPARISONS} comparisons "
            "the mock makes",
        },
    )
    assert client.get("/admin/refund-reasons?q=a_a", headers=auth).json()["count"] == 1
