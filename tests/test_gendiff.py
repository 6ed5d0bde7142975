"""The generated diff (`mock-server diff`): the plan is the same for a seed, differences are
grouped by route and statuses with their shortest example, a write only one side accepted
makes what follows on that entity knock-on, the allow-list names groups, and the command's
exit status says whether the mock differs. No real backend: a second mock stands in for it,
altered through its fault rules where a difference is needed."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

import httpx
import pytest

from helpers import ROOT, LiveServer
from mock_server import cli
from mock_server.tooling import diff, gendiff
from mock_server.tooling.diff import Answer, Difference
from mock_server.tooling.gendiff import Group, Planned, Result, Targets, Tracker
from mock_server.tooling.progress import Progress
from mock_server.tooling.scenario import DataFileError, load_allow, load_allow_generated

OURS = [("ours", ROOT / "specs")]
PAY1, PAY2 = "pay_01KS0000000000000000000001", "pay_01KS0000000000000000000002"
REASON = "refr_01KS0000000000000000000001"


def planned(method: str, route: str, path: str, body: bytes | None = None, index: int = 0) -> Planned:
    return Planned(index, "ours", "positive", method, route, path, (), body, "token")


def answer(status: int, body: object = None) -> Answer:
    return Answer(status, [], json.dumps(body if body is not None else {}).encode())


def result(p: Planned, real: int, mock: int, *, differs: bool = True, knock_on: bool = False) -> Result:
    diffs = [Difference(f"#{p.index}", "status", mock, real)] if differs else []
    return Result(p, (p.path, p.path), (p.body, p.body), answer(mock), answer(real), diffs, knock_on)


# ---- the plan ---------------------------------------------------------------------------------


def test_the_plan_is_the_same_for_a_seed_and_another_for_another_seed():
    first = gendiff.make_plan(11, 40, OURS)
    again = gendiff.make_plan(11, 40, OURS)
    other = gendiff.make_plan(12, 40, OURS)
    assert len(first) == 40
    assert first == again
    assert [p.path for p in first] != [p.path for p in other]
    # both kinds of data, references to the backend's ids, and both ways of authenticating
    assert {p.mode for p in first} == {"positive", "negative"}
    assert any("GDREF_payment_" in p.path for p in first)
    assert {p.auth for p in first} == {"token", "generated"}
    # no header of Schemathesis' own transport, nothing random per run
    assert not any(name.lower().startswith("x-schemathesis") for p in first for name, _ in p.headers)


def test_the_plan_draws_from_the_published_spec_too():
    plan = gendiff.make_plan(5, 60)  # ours and vendor/medusa-oas
    assert {p.source for p in plan} == {"ours", "published"}


# ---- references and knock-on -----------------------------------------------------------------


def test_references_resolve_per_side_and_reasons_created_during_the_run_differ():
    tracker = Tracker(Targets([PAY1, PAY2], [REASON]))
    assert tracker.resolve("/admin/payments/GDREF_payment_3/refund", 0) == f"/admin/payments/{PAY2}/refund"
    assert tracker.resolve_bytes(b'{"refund_reason_id":"GDREF_reason_7"}', 1) == (
        b'{"refund_reason_id":"%s"}' % REASON.encode()
    )
    assert tracker.resolve("GDREF_created_0", 0) == gendiff.NO_SUCH_REASON  # none yet
    create = planned("POST", "/admin/refund-reasons", "/admin/refund-reasons")
    tracker.after(
        create,
        answer(200, {"refund_reason": {"id": "refr_mockside"}}),
        answer(200, {"refund_reason": {"id": "refr_realside"}}),
    )
    assert (tracker.resolve("GDREF_created_4", 0), tracker.resolve("GDREF_created_4", 1)) == (
        "refr_mockside",
        "refr_realside",
    )
    assert not tracker.diverged


def test_a_write_only_one_side_accepted_makes_later_requests_on_that_entity_knock_on():
    tracker = Tracker(Targets([PAY1, PAY2], [REASON]))
    refund = planned("POST", "/admin/payments/{id}/refund", "/admin/payments/GDREF_payment_0/refund")
    tracker.after(refund, answer(200), answer(400))  # the mock refunded, Medusa did not
    same = planned("GET", "/admin/payments/{id}", f"/admin/payments/{PAY1}")
    other = planned("GET", "/admin/payments/{id}", "/admin/payments/GDREF_payment_1")
    listing = planned("GET", "/admin/payments", "/admin/payments?limit=5")
    reasons = planned("GET", "/admin/refund-reasons", "/admin/refund-reasons")
    assert tracker.is_knock_on(same)  # the same payment, named by reference or by id
    assert tracker.is_knock_on(listing)  # a list that shows it
    assert not tracker.is_knock_on(other)
    assert not tracker.is_knock_on(reasons)
    # both sides refusing (or both accepting) is no divergence
    tracker2 = Tracker(Targets([PAY1, PAY2], [REASON]))
    tracker2.after(refund, answer(400), answer(400))
    tracker2.after(refund, answer(200), answer(200))
    assert not tracker2.is_knock_on(same)


def test_a_reason_created_or_deleted_on_one_side_only_is_knock_on_for_its_requests():
    tracker = Tracker(Targets([PAY1], [REASON]))
    create = planned("POST", "/admin/refund-reasons", "/admin/refund-reasons")
    tracker.after(create, answer(400), answer(200, {"refund_reason": {"id": "refr_realside"}}))
    assert tracker.resolve("GDREF_created_0", 0) == gendiff.NO_SUCH_REASON
    assert tracker.resolve("GDREF_created_0", 1) == "refr_realside"
    update = planned("POST", "/admin/refund-reasons/{id}", "/admin/refund-reasons/GDREF_created_9")
    assert tracker.is_knock_on(update)
    assert tracker.is_knock_on(planned("GET", "/admin/refund-reasons", "/admin/refund-reasons"))
    # a refund naming a reason deleted on one side only
    tracker = Tracker(Targets([PAY1], [REASON]))
    delete = planned("DELETE", "/admin/refund-reasons/{id}", "/admin/refund-reasons/GDREF_reason_0")
    tracker.after(delete, answer(200), answer(500))
    refund = planned(
        "POST",
        "/admin/payments/{id}/refund",
        f"/admin/payments/{PAY1}/refund",
        b'{"refund_reason_id":"%s"}' % REASON.encode(),
    )
    assert tracker.is_knock_on(refund)


# ---- grouping and the allow-list -------------------------------------------------------------


def test_differences_are_grouped_by_route_and_statuses_with_the_shortest_example():
    route = "/admin/payments/{id}/refund"
    long = planned("POST", route, "/admin/payments/x/refund?fields=aaaaaaaa", b'{"amount": 1}', index=1)
    short = planned("POST", route, "/admin/payments/x/refund", b"{}", index=2)
    other = planned("POST", route, "/admin/payments/y/refund", index=3)
    same_status = planned("GET", "/admin/payments", "/admin/payments?q=1", index=4)
    results = [
        result(long, 400, 500),
        result(short, 400, 500),
        result(other, 200, 400),
        result(same_status, 200, 200),
        result(planned("GET", "/health", "/health", index=5), 200, 200, differs=False),
        result(planned("GET", "/admin/payments/{id}", "/admin/payments/x", index=6), 200, 404, knock_on=True),
    ]
    groups, knock_on = gendiff.group(results, [])
    assert [(g.route, g.real, g.mock, len(g.results)) for g in groups] == [
        (f"POST {route}", 400, 500, 2),
        ("GET /admin/payments", 200, 200, 1),
        (f"POST {route}", 200, 400, 1),
    ]
    assert groups[0].example.planned is short
    assert [(g.route, g.real, g.mock) for g in knock_on] == [("GET /admin/payments/{id}", 200, 404)]
    outcome = gendiff.GenOutcome(
        1, requests=6, identical=1, results=results, groups=groups, knock_on=knock_on
    )
    text = gendiff.report(outcome)
    assert text.splitlines()[0] == (
        "generated diff, seed 1: 6 requests (0 skipped), 1 identical (16.67%), 5 different "
        "(1 knock-on); 3 group(s), 3 not allowed"
    )
    assert f"POST {route}  real 400 / mock 500: 2 request(s)" in text
    assert "  shortest: #2 (ours, positive, auth token) POST /admin/payments/x/refund" in text


def test_the_allow_list_names_generated_groups_by_route_and_statuses(tmp_path):
    file = tmp_path / "allow.yaml"
    file.write_text(
        "- {step: 'login', where: 'header vary', reason: scripted}\n"
        "- route: 'POST /admin/payments/{id}/refund'\n"
        "  real: '500'\n"
        "  mock: '4*'\n"
        "  reason: PostgreSQL refuses it\n"
        "- {route: 'GET /admin/*', real: '200', mock: '200', where: 'body /message', reason: wording}\n"
    )
    entries = load_allow_generated(file)
    assert [e.reason for e in entries] == ["PostgreSQL refuses it", "wording"]
    assert [e.step for e in load_allow(file)] == ["login"]  # the scripted diff sees its own only

    def group_of(route: str, real: int, mock: int, where: str = "status") -> Group:
        p = planned(route.split()[0], route.split()[1], "/x")
        r = Result(p, ("/x", "/x"), (None, None), answer(mock), answer(real), [Difference("#0", where, 1, 2)])
        return Group(route, real, mock, [r])

    assert gendiff.allowed_group(group_of("POST /admin/payments/{id}/refund", 500, 400), entries) == (
        "PostgreSQL refuses it"
    )
    assert gendiff.allowed_group(group_of("POST /admin/payments/{id}/refund", 500, 200), entries) is None
    assert gendiff.allowed_group(group_of("POST /admin/payments/{id}/capture", 500, 400), entries) is None
    assert (
        gendiff.allowed_group(group_of("GET /admin/payments", 200, 200, "body /message"), entries)
        == "wording"
    )
    # `where` must cover every difference of the group
    assert gendiff.allowed_group(group_of("GET /admin/payments", 200, 200, "body /count"), entries) is None


@pytest.mark.parametrize(
    ("text", "path", "reason"),
    [
        ("- {route: 'POST /x', real: '500', reason: r}\n", "[0]", "'mock' is a required property"),
        ("- {route: 'POST /x', real: '5000', mock: '400', reason: r}\n", "[0].real", "does not match"),
        ("- {route: '/x', real: '500', mock: '400', reason: r}\n", "[0].route", "does not match"),
    ],
)
def test_a_bad_generated_allow_entry_is_refused_with_file_path_and_reason(tmp_path, text, path, reason):
    file = tmp_path / "allow.yaml"
    file.write_text(text)
    with pytest.raises(DataFileError) as caught:
        load_allow_generated(file)
    assert (caught.value.file, caught.value.path) == (str(file), path)
    assert reason in caught.value.reason


# ---- progress ----------------------------------------------------------------------------------


def test_progress_is_one_rewritten_line_on_a_terminal_and_plain_lines_elsewhere():
    log = io.StringIO()
    plain = Progress("gendiff", 120, stream=log, every=50, tty=False)
    plain.stage("sending")
    for n in range(1, 121):
        plain.update(n, "GET /x", n // 10)
    assert log.getvalue().splitlines() == [
        "gendiff: sending",
        "gendiff: 50/120 GET /x  (5 differences so far)",
        "gendiff: 100/120 GET /x  (10 differences so far)",
        "gendiff: 120/120 GET /x  (12 differences so far)",
    ]
    screen = io.StringIO()
    tty = Progress("gendiff", 3, stream=screen, tty=True)
    for n in range(1, 4):
        tty.update(n, "POST /y", 0)
    tty.finish()
    assert "\n" not in screen.getvalue()
    assert screen.getvalue().count("\r") >= 4
    assert "gendiff: 3/3 POST /y  (0 differences so far)" in screen.getvalue()


# ---- the command, mock against mock ------------------------------------------------------------

LOGIN = ["--email", "admin@example.com", "--password", "supersecret"]


@pytest.fixture(scope="module")
def stand_in():
    """A mock standing in for Medusa, with the real backend's CORS lists and secrets."""
    server = LiveServer(
        "--admin-cors",
        diff.REAL_CORS,
        "--auth-cors",
        diff.REAL_CORS,
        env={"JWT_SECRET": "supersecret", "COOKIE_SECRET": "supersecret"},
    )
    yield server
    server.stop()


def test_the_command_finds_nothing_between_the_mock_and_itself(stand_in, tmp_path, capsys):
    junit = tmp_path / "diff.xml"
    status = cli.main(
        ["diff", "--real", stand_in.url, *LOGIN, "--count", "60", "--seed", "4", "--junit-xml", str(junit)]
    )
    out = capsys.readouterr()
    assert status == 0, out.out
    summary = next(line for line in out.out.splitlines() if line.startswith("generated diff"))
    assert summary.endswith("identical (100.00%), 0 different (0 knock-on); 0 group(s), 0 not allowed")
    assert "gendiff: sending" in out.err and "/60 " in out.err  # progress, not a terminal: lines
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "0" and int(suite.get("tests") or 0) > 0


def test_the_command_exits_1_on_a_difference_and_counts_what_follows_as_knock_on(stand_in, tmp_path, capsys):
    """The stand-in refuses every capture (a fault rule): each capture the mock accepts is a
    difference, and later requests on those payments that differ are knock-on."""
    rule = httpx.post(
        stand_in.url + "/__mock/faults",
        json={"method": "POST", "path": "/admin/payments/*/capture", "status": 409},
    )
    assert rule.status_code in (200, 201), rule.text
    junit = tmp_path / "diff.xml"
    report = tmp_path / "report.txt"
    try:
        status = cli.main(
            [
                "diff",
                "--real",
                stand_in.url,
                *LOGIN,
                "--count",
                "80",
                "--seed",
                "4",
                "--junit-xml",
                str(junit),
                "--report",
                str(report),
            ]
        )
    finally:
        httpx.delete(stand_in.url + "/__mock/faults")
    text = report.read_text()
    assert status == 1, text
    assert "POST /admin/payments/{id}/capture  real 409 / mock 200: " in text
    assert "knock-on (after a write only one side accepted on the same entity):" in text
    failures = [c for c in ET.parse(junit).getroot().iter("testcase") if c.find("failure") is not None]
    assert any(
        c.get("name", "").startswith("POST /admin/payments/{id}/capture: real 409 / mock 200")
        for c in failures
    )
    capsys.readouterr()


def test_the_command_exits_2_when_the_backend_cannot_be_reached(capsys):
    status = cli.main(["diff", "--real", "http://127.0.0.1:9", *LOGIN, "--count", "5"])
    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith("mock-server diff: cannot run: cannot reach http://127.0.0.1:9")


def test_the_command_exits_2_on_a_bad_allow_list_before_any_request(tmp_path, capsys):
    bad = tmp_path / "allow.yaml"
    bad.write_text("- {route: 'POST /x', real: '500', mock: '400'}\n")
    status = cli.main(["diff", "--real", "http://127.0.0.1:9", *LOGIN, "--allow", str(bad)])
    assert status == 2
    assert capsys.readouterr().err == (
        f"mock-server diff: cannot run: {bad}: at [0]: 'reason' is a required property\n"
    )


def test_the_command_without_the_contract_extra_names_it_in_one_line(monkeypatch, capsys):
    import importlib.util

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "schemathesis" else find_spec(name, *a)
    )
    assert cli.main(["diff", "--real", "http://127.0.0.1:9", *LOGIN]) == 2
    out = capsys.readouterr()
    assert out.err == (
        "mock-server diff: needs the contract tooling: pip install 'medusa-payments-mock[contract]'\n"
    )
    assert out.out == ""
