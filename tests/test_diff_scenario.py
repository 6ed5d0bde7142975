"""`make diff`'s data files: the shipped scenario and allow-list load, and a file that is not
what the diff needs is refused naming the file, the path inside it and what is wrong."""

from __future__ import annotations

import pytest

from mock_server.tooling import diff
from mock_server.tooling.scenario import (
    ALLOW_FILE,
    SCENARIO_FILE,
    DataFileError,
    Step,
    load_allow,
    load_scenario,
)

GOOD_STEP = "  - {name: health, method: GET, path: /health, auth: none}\n"


def scenario_file(tmp_path, steps: str, seed: str = "seed: {A: {captured: 100, refunded: 0}}\n"):
    path = tmp_path / "scenario.yaml"
    path.write_text(seed + "steps:\n" + steps)
    return path


def test_the_shipped_scenario_loads_every_step():
    scenario = load_scenario()
    assert len(scenario.steps) == 271
    assert len({s.name for s in scenario.steps}) == 271
    assert list(scenario.seed) == list("ABCDEFGHIJKLM")
    assert scenario.seed["K"] == (5000, 0) and scenario.seed["B"] == (0, 0)
    steps = {s.name: s for s in scenario.steps}
    assert steps["health"] == Step("health", "GET", "/health", auth="none")
    # YAML's numbers and bytes come out as the wire needs them
    assert steps["refund M 1e-7 (renders 0)"].body == {"amount": 1e-7}
    assert steps["refund amount numeric string"].body == {"amount": "10"}
    assert steps["malformed JSON"].raw == b'{"amount": 10,'
    assert steps["create reason"].save == {"R1": "refund_reason.id"}
    assert steps["list payments, whole backend"].unscoped is True
    assert steps["refund A no body after partial"].body is None
    assert steps["refund A default amount after partial"].body == {}


def test_the_shipped_allow_list_loads():
    assert load_allow() == []
    assert SCENARIO_FILE.parent == ALLOW_FILE.parent == diff.Path(diff.__file__).parent


@pytest.mark.parametrize(
    ("steps", "path", "reason"),
    [
        (
            GOOD_STEP + "  - {name: x, method: GET, path: /x, auth: beare}\n",
            "steps[1].auth",
            "'beare' is not one of",
        ),
        ("  - {name: x, method: GET}\n", "steps[0]", "'path' is a required property"),
        ("  - {name: x, method: FETCH, path: /x}\n", "steps[0].method", "'FETCH' is not one of"),
        ("  - {name: x, method: GET, path: x}\n", "steps[0].path", "does not match '^/'"),
        ("  - {name: x, method: GET, path: /x, bdy: {}}\n", "steps[0]", "('bdy' was unexpected)"),
        (
            "  - {name: x, method: GET, path: /x, headers: {a: 1}}\n",
            "steps[0].headers.a",
            "1 is not of type 'string'",
        ),
        (GOOD_STEP + GOOD_STEP, "steps[1].name", "'health' already names steps[0]"),
        ("  - {name: x, method: POST, path: /x, body: {}, raw: x}\n", "steps[0]", "either `body` or `raw`"),
        (
            "  - {name: x, method: POST, path: /x, body: {at: 2024-01-01}}\n",
            "steps[0].body",
            "not a JSON value",
        ),
        (
            "  - {name: x, method: GET, path: '/admin/payments/{Z}'}\n",
            "steps[0].path",
            "{Z} names no seeded label (A)",
        ),
        (
            "  - {name: x, method: GET, path: '/admin/payments/{A.foo}'}\n",
            "steps[0].path",
            "{A.foo} names no",
        ),
        (
            "  - {name: x, method: GET, path: '/r/{R1}'}\n  - {name: y, method: POST, path: /r, save: {R1: id}}\n",
            "steps[0].path",
            "{R1} names no seeded label (A), no value saved by an earlier step",
        ),
        ("  - {name: x, method: GET, path: /x\n", "line 4, column 1", "not valid YAML"),
        ("  []\n", "steps", "[] should be non-empty"),
    ],
)
def test_a_bad_scenario_is_refused_with_file_path_and_reason(tmp_path, steps, path, reason):
    file = scenario_file(tmp_path, steps)
    with pytest.raises(DataFileError) as caught:
        load_scenario(file)
    assert (caught.value.file, caught.value.path) == (str(file), path)
    assert reason in caught.value.reason
    assert str(caught.value).startswith(f"{file}: at {path}: ")


def test_placeholders_that_resolve_are_accepted(tmp_path):
    steps = (
        "  - {name: a, method: POST, path: /r, save: {R1: refund_reason.id}}\n"
        "  - {name: b, method: POST, path: '/p/{A}/refund?x={A.col},{A.session},{A.created},{since}',"
        " body: {refund_reason_id: '{R1}', other: ['{reason}']}}\n"
    )
    scenario = load_scenario(scenario_file(tmp_path, steps))
    assert [s.name for s in scenario.steps] == ["a", "b"]


def test_a_seed_entry_without_its_refunded_amount_is_refused(tmp_path):
    file = scenario_file(tmp_path, GOOD_STEP, seed="seed: {A: {captured: 100}}\n")
    with pytest.raises(DataFileError, match=r"at seed\.A: 'refunded' is a required property"):
        load_scenario(file)


def test_a_missing_scenario_file_is_named(tmp_path):
    with pytest.raises(DataFileError) as caught:
        load_scenario(tmp_path / "nope.yaml")
    assert str(caught.value) == f"{tmp_path / 'nope.yaml'}: at (top): no such file"


@pytest.mark.parametrize(
    ("text", "path", "reason"),
    [
        ("- {step: a, where: status}\n", "[0]", "'reason' is a required property"),
        ("- {step: a, where: status, reason: ''}\n", "[0].reason", "should be non-empty"),
        ("{step: a}\n", "", "is not of type 'array'"),
    ],
)
def test_a_bad_allow_list_is_refused_with_file_path_and_reason(tmp_path, text, path, reason):
    file = tmp_path / "allow.yaml"
    file.write_text(text)
    with pytest.raises(DataFileError) as caught:
        load_allow(file)
    assert (caught.value.file, caught.value.path) == (str(file), path)
    assert reason in caught.value.reason


def test_an_empty_allow_list_file_allows_nothing(tmp_path):
    (tmp_path / "allow.yaml").write_text("# nothing yet\n")
    assert load_allow(tmp_path / "allow.yaml") == []


def test_diff_stops_with_status_2_on_a_bad_scenario_before_any_request(tmp_path, capsys):
    file = scenario_file(tmp_path, "  - {name: x, method: GET, path: /x, auth: beare}\n")
    # port 9 of loopback: nothing is sent, the scenario is refused first
    status = diff.main(
        ["--real", "http://127.0.0.1:9", "--seed", str(tmp_path / "seed.json"), "--scenario", str(file)]
    )
    assert status == 2
    assert capsys.readouterr().err.startswith(
        f"diff: cannot run: {file}: at steps[0].auth: 'beare' is not one of"
    )
