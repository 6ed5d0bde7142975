"""The request journal and its routes (mock_server/control/journal.py, steering.py), and the
path patterns its filters use (paths.py), without the request pipeline."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from mock_server.control.faults import Faults
from mock_server.control import journal as journal_module
from mock_server.control.journal import REDACTED, Journal, make_filters
from mock_server.control.paths import MAX_PATTERN, PathPattern, PatternError
from mock_server.control.steering import MAX_BODY, steering_routes

from helpers import _SyncASGIClient, fixed_namespace, get_while_the_loop_turns

import httpx

REFUND = "/admin/payments/{id}/refund"
HEADERS = [
    (b"host", b"127.0.0.1:9000"),
    (b"authorization", b"Bearer secret-token"),
    (b"cookie", b"connect.sid=s%3Aabc"),
    (b"content-type", b"application/json"),
    (b"origin", b"http://localhost:5173"),
]


def record(
    journal,
    method="POST",
    path="/admin/payments/pay_1/refund",
    body=b'{"amount":25}',
    status=200,
    response=b'{"payment":{"id":"pay_1"}}',
    operation="PostPaymentsIdRefund",
    query=b"",
    headers=HEADERS,
    fault=None,
):
    journal.record(method, path, query, operation, headers, body, status, response, 0.0015, fault=fault)


# Path patterns


@pytest.mark.parametrize(
    "pattern, path, expected",
    [
        ("/admin/payments", "/admin/payments", True),
        ("/admin/payments", "/admin/payments/", False),
        ("/admin/payments", "/admin/Payments", False),
        (REFUND, "/admin/payments/pay_1/refund", True),
        (REFUND, "/admin/payments//refund", False),  # {id} is a non-empty segment
        (REFUND, "/admin/payments/a/b/refund", False),  # ... and exactly one
        (REFUND, "/admin/payments/pay_1/capture", False),
        ("/admin/payments/*/refund", "/admin/payments/pay_1/refund", True),
        ("/admin/payments/*", "/admin/payments/pay_1/refund", False),  # * stays in its segment
        ("/admin/payments/*", "/admin/payments/pay_1", True),
        ("/admin/payments/pay_*", "/admin/payments/pay_01KDEM", True),
        ("/admin/payments/pay_*", "/admin/payments/ref_01KDEM", False),
        ("/admin/payments/*_0*M", "/admin/payments/pay_01KDEM", True),
        ("/admin/payments/*_0*M", "/admin/payments/pay_01KDEX", False),
        ("/admin/payments/a*a", "/admin/payments/a", False),  # prefix and suffix may not overlap
        ("/admin/**", "/admin", True),
        ("/admin/**", "/admin/payments/pay_1/refund", True),
        ("/admin/**", "/auth/session", False),
        ("/**/refund", "/admin/payments/pay_1/refund", True),
        ("/**/refund", "/admin/payments/pay_1/capture", False),
        ("/admin/**/{id}/refund", "/admin/payments/pay_1/refund", True),
        ("/**/a/**/b", "/x/a/y/a/z/b", True),
        ("/**/a/**/b", "/x/a/y/a/z/c", False),
    ],
)
def test_path_patterns(pattern, path, expected):
    assert PathPattern(pattern).matches(path) is expected


def test_pattern_kinds():
    assert PathPattern("/admin/payments").kind == "literal"
    assert PathPattern(REFUND).kind == "template"
    assert PathPattern("/admin/*/x").kind == "glob"


@pytest.mark.parametrize(
    "pattern, message",
    [
        ("admin/payments", "starts with '/'"),
        ("/admin/pay**", "'**' must be a whole path segment"),
        ("/admin/{id}x/refund", "a template placeholder is a whole segment"),
        ("/admin/{}", "a template placeholder is a whole segment"),
        ("/" + "a" * MAX_PATTERN, f"at most {MAX_PATTERN} characters"),
    ],
)
def test_bad_patterns(pattern, message):
    with pytest.raises(PatternError, match=message.replace("*", r"\*").replace("{", r"\{")):
        PathPattern(pattern)


def test_many_stars_against_a_long_path_answer_without_backtracking():
    # A regex like (a*)*b or a chain of .* would take exponential or high-polynomial time
    # here; segment globs are matched by str.find, ** by a single restart point.
    assert not PathPattern("/" + "*a" * 200 + "b").matches("/" + "a" * 100_000)
    assert not PathPattern("/**/" * 100 + "z").matches("/a" * 10_000)


# The journal


def test_the_journal_never_exceeds_its_bound():
    journal = Journal(5)
    for i in range(1, 101):
        record(journal, path=f"/admin/payments/pay_{i}/refund")
        assert len(journal) == min(i, 5)
    entries, count = journal.query()
    assert count == 5
    assert [e["seq"] for e in entries] == [100, 99, 98, 97, 96]
    assert entries[0]["path"] == "/admin/payments/pay_100/refund"


def test_a_repeated_request_shares_what_it_repeats_and_nothing_else():
    journal = Journal(10)
    other = [*HEADERS[:-1], (b"origin", b"http://localhost:3000")]
    record(journal, path="/admin/payments/" + "pay_1/refund", query=b"fields=" + b"id")
    record(journal, path="/admin/payments/" + "pay_1/refund", query=b"fields=" + b"id")
    record(journal, path="/admin/payments/pay_2/refund", query=b"fields=id", headers=other)
    first, second, third = journal._entries
    path, query, headers = journal_module._PATH, journal_module._QUERY, journal_module._HEADERS
    for i in (path, query, headers):  # one object each for the repeated request
        assert second[i] is first[i]
    assert third[path] is not second[path] and third[headers] is not second[headers]
    newest, middle, oldest = journal.query()[0]
    assert newest["path"] == "/admin/payments/pay_2/refund"
    assert newest["request"]["headers"]["origin"] == "http://localhost:3000"
    assert middle["request"]["headers"] == oldest["request"]["headers"]
    assert middle["request"]["headers"]["origin"] == "http://localhost:5173"
    assert (middle["path"], middle["query"]) == ("/admin/payments/pay_1/refund", "fields=id")


def test_headers_sent_in_two_orders_alternately_are_each_packed_once():
    journal = Journal(10)
    swapped = [HEADERS[1], HEADERS[0], *HEADERS[2:]]
    for _ in range(3):
        record(journal, headers=list(HEADERS))
        record(journal, headers=list(swapped))
    packed = [e[journal_module._HEADERS] for e in journal._entries]
    assert all(p is packed[0] for p in packed[0::2]) and all(p is packed[1] for p in packed[1::2])
    assert packed[0] != packed[1]
    newest, oldest = journal.query()[0][0], journal.query()[0][-1]
    assert list(newest["request"]["headers"]) == [k.decode() for k, _ in swapped]
    assert list(oldest["request"]["headers"]) == [k.decode() for k, _ in HEADERS]


def test_headers_render_as_sent_empty_values_colons_and_repeats_included():
    journal = Journal(10)
    given = [
        (b"host", b"127.0.0.1:9000"),
        (b"x-empty", b""),
        (b"x-colon", b"a: b: c"),
        (b"accept", b"text/html"),
        (b"accept", b"application/json"),
        (b"x-last", b""),
    ]
    record(journal, headers=given)
    given[0] = (b"host", b"changed.example")  # the list is the server's; the entry keeps its copy
    headers = journal.query()[0][0]["request"]["headers"]
    assert headers == {
        "host": "127.0.0.1:9000",
        "x-empty": "",
        "x-colon": "a: b: c",
        "accept": "text/html, application/json",
        "x-last": "",
    }
    record(journal, headers=[])
    assert journal.query()[0][0]["request"]["headers"] == {}


def test_journals_share_header_pairs_and_the_shared_table_stays_bounded(monkeypatch):
    first, second = Journal(10), Journal(10)
    record(first, headers=[(bytes(bytearray(k)), bytes(bytearray(v))) for k, v in HEADERS])
    record(second, headers=[(bytes(bytearray(k)), bytes(bytearray(v))) for k, v in HEADERS])
    held = journal_module._HEADERS
    one, other = first._entries[-1][held], second._entries[-1][held]
    assert one is not other and all(a is b for a, b in zip(one, other, strict=True))
    # past the limit the table starts again; what entries hold stays as it was
    monkeypatch.setattr(journal_module, "SHARED_LIMIT", 64)
    for i in range(50):
        record(first, headers=[(b"x-trace", b"%d-" % i + b"t" * 20)])
    assert journal_module._shared_size <= 64
    assert first.query(limit=1)[0][0]["request"]["headers"] == {"x-trace": "49-" + "t" * 20}
    assert second.query()[0][0]["request"]["headers"]["host"] == "127.0.0.1:9000"


def test_bodies_are_cut_to_the_limit_on_record():
    journal = Journal(3, body_limit=64)
    big = b'{"note":"' + b"x" * 1_000_000 + b'"}'
    for _ in range(10):
        record(journal, body=big, response=big)
    stored = journal._entries[-1]
    assert len(stored[journal_module._BODY]) == 64 and len(stored[journal_module._RESPONSE]) == 64
    entry = journal.query()[0][0]
    assert entry["request"]["truncated"] is True and entry["response"]["truncated"] is True
    assert entry["request"]["json"] is None  # a cut body is not parsed
    assert entry["request"]["body"] == big[:64].decode()
    assert entry["response"]["body"] == big[:64].decode()


def test_an_entry_renders_everything_and_redacts_credentials():
    journal = Journal(10)
    record(journal, query=b"fields=id,amount", fault="fault_1")
    (entry,), count = journal.query()
    assert count == 1
    assert entry["seq"] == 1
    assert entry["time"].endswith("Z") and "T" in entry["time"]
    assert entry["duration_ms"] == 1.5
    assert (entry["method"], entry["path"], entry["query"], entry["operation"], entry["fault"]) == (
        "POST",
        "/admin/payments/pay_1/refund",
        "fields=id,amount",
        "PostPaymentsIdRefund",
        "fault_1",
    )
    assert entry["request"] == {
        "headers": {
            "host": "127.0.0.1:9000",
            "authorization": REDACTED,
            "cookie": REDACTED,
            "content-type": "application/json",
            "origin": "http://localhost:5173",
        },
        "body": '{"amount":25}',
        "json": {"amount": 25},
        "truncated": False,
    }
    assert entry["response"] == {"status": 200, "body": {"payment": {"id": "pay_1"}}, "truncated": False}


def test_a_non_json_response_is_text_and_a_dropped_one_has_no_status():
    journal = Journal(10)
    record(journal, response=b"<pre>Cannot GET /x</pre>", status=404, body=b"")
    record(journal, response=b"", status=None, fault="fault_2")
    dropped, html = journal.query()[0]
    assert html["response"]["body"] == "<pre>Cannot GET /x</pre>"
    assert html["request"]["body"] is None and html["request"]["json"] is None
    assert dropped["response"] == {"status": None, "body": None, "truncated": False}


def test_count_is_before_limit_and_filters_combine():
    journal = Journal(100)
    for i in range(6):
        record(journal, path=f"/admin/payments/pay_{i}/refund")
    record(journal, method="GET", path="/admin/payments/pay_1", operation="GetPaymentsId", body=b"")
    record(journal, status=400, response=b'{"type":"invalid_data","message":"x"}')
    entries, count = journal.query(path=REFUND, limit=2)
    assert count == 7 and [e["seq"] for e in entries] == [8, 6]
    assert journal.query(method="get")[1] == 1
    assert journal.query(operation="GetPaymentsId")[0][0]["seq"] == 7
    assert journal.query(status=400)[1] == 1
    assert journal.query(status="4xx")[1] == 1
    assert journal.query(status="2xx")[1] == 7
    assert journal.query(since=6)[1] == 2
    assert journal.query(path="/admin/payments/pay_1/**", method="POST")[1] == 2  # seq 2 and 8


def test_clear_empties_it_and_sequence_numbers_go_on():
    journal = Journal(10)
    record(journal)
    record(journal)
    assert journal.clear() == 2
    assert journal.query() == ([], 0)
    record(journal)
    assert journal.query()[0][0]["seq"] == 3
    assert journal.last_seq == 3


def test_size_zero_is_off():
    journal = Journal(0)
    assert not journal.enabled
    record(journal)
    assert len(journal) == 0 and journal.query() == ([], 0)


def test_verify_counts_exactly_at_least_and_at_most():
    journal = Journal(10)
    record(journal)
    record(journal, body=b'{"amount":30}')
    refunds = make_filters(method="POST", path=REFUND)
    assert journal.verify(refunds, times=2).ok
    assert not journal.verify(refunds, times=1).ok
    assert journal.verify(refunds).ok  # nothing given: at least one
    assert journal.verify(refunds, at_least=1, at_most=2).ok
    assert not journal.verify(refunds, at_most=1).ok
    assert journal.verify(make_filters(method="DELETE"), times=0).ok


def test_verify_by_body_contents():
    journal = Journal(10)
    record(journal, body=b'{"amount":25,"refund_reason_id":"refr_1","note":"n"}')
    record(journal, body=b'{"amount":"25"}')
    record(journal, body=b'{"amount":true}')
    assert journal.verify(make_filters(body={"amount": 25, "refund_reason_id": "refr_1"}), times=1).ok
    assert journal.verify(make_filters(body={"amount": 25.0}), times=1).ok  # numbers by value
    assert journal.verify(make_filters(body={"amount": "25"}), times=1).ok  # a string is a string
    assert journal.verify(make_filters(body={"amount": 1}), times=0).ok  # true is not 1
    assert journal.verify(make_filters(body={"amount": True}), times=1).ok


def test_a_failed_verification_names_what_was_sent_instead():
    journal = Journal(10)
    record(journal, method="GET", path="/admin/payments/pay_1", operation="GetPaymentsId", body=b"")
    record(journal, body=b'{"amount":20}')  # right route, wrong amount
    record(
        journal,
        method="POST",
        path="/admin/refund-reasons",
        operation="PostRefundReasons",
        body=b'{"label":"x"}',
    )
    result = journal.verify(make_filters(method="POST", path=REFUND, body={"amount": 25}), times=1)
    assert not result.ok and result.count == 0
    assert result.expected == {"times": 1}
    assert result.message() == "expected exactly 1 matching request(s), got 0"
    best, second, third = result.near_misses
    assert (best["matched"], best["of"]) == (2, 3)
    assert best["differences"] == {"body": {"expected": {"amount": 25}, "actual": {"amount": 20}}}
    assert best["request"]["seq"] == 2
    assert second["matched"] == 1 and second["request"]["seq"] == 3  # newest first among equals
    assert set(second["differences"]) == {"path", "body"}
    assert second["differences"]["path"] == {"expected": REFUND, "actual": "/admin/refund-reasons"}
    assert third["differences"]["method"] == {"expected": "POST", "actual": "GET"}


def test_verify_ignores_requests_before_since():
    journal = Journal(10)
    record(journal)
    mark = journal.last_seq
    assert journal.verify(make_filters(since=mark), times=0).ok
    record(journal)
    result = journal.verify(make_filters(since=mark, method="GET"), times=1)
    assert [m["request"]["seq"] for m in result.near_misses] == [2]


# The routes, mounted as the app will mount them


@pytest.fixture
def steer():
    journal, faults = Journal(50), Faults()
    app = Starlette(routes=[Mount("/__mock", routes=steering_routes(fixed_namespace(journal, faults)))])
    client = _SyncASGIClient(httpx.ASGITransport(app=app), app)
    client.journal, client.faults = journal, faults
    yield client
    client.close()


def test_a_large_journal_is_read_with_the_loop_serving_in_between():
    """Reading 5,000 entries gives the event loop back while it filters and renders them
    (a coroutine that only yields runs during the one request), and answers what one
    encoding of the whole listing would, under one Content-Length."""
    from mock_server.web.responses import encode

    journal = Journal(5000)
    for i in range(5000):
        record(journal, path=f"/admin/payments/pay_{i}/refund")
    app = Starlette(routes=[Mount("/__mock", routes=steering_routes(fixed_namespace(journal, Faults())))])
    turns, headers, body = get_while_the_loop_turns(app, "/__mock/requests")
    entries, count = journal.query()
    assert body == encode({"requests": entries, "count": count}) and count == 5000
    assert int(headers[b"content-length"]) == len(body)
    assert turns >= 5000 // journal_module.RENDERED_A_STEP
    turns, _, body = get_while_the_loop_turns(app, "/__mock/requests?method=GET")
    assert body == b'{"requests":[],"count":0}'
    assert turns >= 5000 // journal_module.LOOKED_A_STEP


def test_get_requests_answers_newest_first_with_count_before_limit(steer):
    for i in range(4):
        record(steer.journal, path=f"/admin/payments/pay_{i}/refund")
    record(steer.journal, method="GET", path="/admin/payments", operation="GetPayments", body=b"")
    response = steer.get("/__mock/requests", params={"path": REFUND, "limit": "2"})
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 4 and [e["seq"] for e in data["requests"]] == [4, 3]
    assert data["requests"][0]["request"]["headers"]["authorization"] == REDACTED
    data = steer.get("/__mock/requests?method=GET&status=200&operation=GetPayments&since=1").json()
    assert data["count"] == 1 and data["requests"][0]["path"] == "/admin/payments"


@pytest.mark.parametrize(
    "query, message",
    [
        ("colour=red", "unknown parameter(s): colour"),
        ("method=GET&method=POST", "repeated parameter(s): method"),
        ("method=BREW", "method must be one of"),
        ("method=get", "method must be one of"),
        ("operation=", "operation must be an operationId of 1 to 200 characters"),
        ("status=404%0A", "status must be a status from 100 to 599"),
        ("since=%D9%A1", "since must be an integer"),
        ("path=admin", "path: a path pattern starts with '/'"),
        ("status=600", "status must be a status from 100 to 599 or a class such as 4xx"),
        ("status=abc", "status must be a status from 100 to 599"),
        ("limit=-1", "limit must be an integer from 0 to 100000"),
        ("limit=100001", "limit must be an integer from 0 to 100000"),
        ("since=x", "since must be an integer"),
    ],
)
def test_bad_journal_queries_are_400_and_clear_nothing(steer, query, message):
    record(steer.journal)
    response = steer.get(f"/__mock/requests?{query}")
    assert response.status_code == 400
    assert response.json()["type"] == "invalid_data"
    assert message in response.json()["message"]
    assert len(steer.journal) == 1


def test_delete_requests_empties_the_journal(steer):
    record(steer.journal)
    record(steer.journal)
    assert steer.delete("/__mock/requests").json() == {"deleted": 2}
    assert steer.get("/__mock/requests").json() == {"requests": [], "count": 0}


def test_verify_route_answers_200_or_409_with_near_misses(steer):
    record(steer.journal, body=b'{"amount":20}')
    ok = steer.post("/__mock/requests/verify", json={"method": "POST", "path": REFUND, "times": 1})
    assert ok.status_code == 200 and ok.json() == {"ok": True, "count": 1}
    failed = steer.post(
        "/__mock/requests/verify", json={"method": "POST", "path": REFUND, "body": {"amount": 25}, "times": 1}
    )
    assert failed.status_code == 409
    data = failed.json()
    assert data["ok"] is False and data["expected"] == {"times": 1} and data["actual"] == 0
    assert data["message"] == "expected exactly 1 matching request(s), got 0"
    assert data["near_misses"][0]["differences"] == {
        "body": {"expected": {"amount": 25}, "actual": {"amount": 20}}
    }


@pytest.mark.parametrize(
    "body, message",
    [
        ({"times": 1, "at_least": 1}, "give times, or at_least and/or at_most, not both"),
        ({"at_least": 3, "at_most": 1}, "at_least is more than at_most"),
        ({"times": "1"}, "times must be an integer"),
        ({"times": -1}, "times must be an integer"),
        ({"times": True}, "times must be an integer"),
        ({"since": 1.5}, "since must be an integer"),
        ({"verb": "POST"}, "unknown parameter(s): verb"),
        ({"method": None}, "method must be one of"),
        ({"status": "4XX"}, "status must be a status from 100 to 599"),
        ({"path": "/a/**b"}, "'**' must be a whole path segment"),
        ([1], "the body is a JSON object"),
    ],
)
def test_bad_verifications_are_400(steer, body, message):
    response = steer.post("/__mock/requests/verify", json=body)
    assert response.status_code == 400
    assert message in response.json()["message"]


def test_verify_with_a_body_filter_too_deep_is_400(steer):
    deep: object = 1
    for _ in range(40):
        deep = {"a": deep}
    response = steer.post("/__mock/requests/verify", json={"body": deep})
    assert response.status_code == 400
    assert response.json()["message"] == "body is nested more than 32 levels deep"


def test_verify_body_must_be_json_and_bounded(steer):
    response = steer.post(
        "/__mock/requests/verify", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("the body is not JSON")
    response = steer.post("/__mock/requests/verify", content=b" " * (MAX_BODY + 1))
    assert response.status_code == 413
    assert response.json() == {"type": "invalid_data", "message": f"the body is larger than {MAX_BODY} bytes"}


def test_journal_routes_say_when_the_journal_is_off():
    app = Starlette(routes=[Mount("/__mock", routes=steering_routes(fixed_namespace(Journal(0), Faults())))])
    client = _SyncASGIClient(httpx.ASGITransport(app=app), app)
    try:
        for response in (
            client.get("/__mock/requests"),
            client.delete("/__mock/requests"),
            client.post("/__mock/requests/verify", json={}),
        ):
            assert response.status_code == 409
            assert response.json() == {
                "type": "not_allowed",
                "message": "the request journal is off (serve --journal-size 0)",
            }
    finally:
        client.close()
