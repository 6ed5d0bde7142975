"""The parsed spec and fixture files kept between starts (mock_server/filecache.py): read
back only for the same text, equal to what YAML gives, never a reason for a start to fail;
a start whose files all come from it does not import PyYAML."""

from __future__ import annotations

import datetime
import os

import pytest
import yaml

from helpers import ROOT
from mock_server import filecache
from mock_server.backend import fixtures, yamlload
from mock_server.web import contract

SPEC = ROOT / "specs" / "medusa-admin-payments.yaml"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("MOCK_SPEC_CACHE", raising=False)
    return tmp_path / "cache" / filecache.FOLDER


class Counted:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, text: str):
        self.calls += 1
        return yaml.safe_load(text)


def test_the_second_read_of_the_same_text_comes_from_the_cache_and_equals_yaml(cache):
    text = SPEC.read_text()
    parse = Counted()
    first = filecache.parsed(text, parse)
    second = filecache.parsed(text, parse)
    assert parse.calls == 1
    assert second == first == yaml.safe_load(text)
    assert [p.name.startswith("spec-") for p in cache.iterdir()] == [True]


def test_an_edited_spec_is_parsed_again(cache):
    parse = Counted()
    filecache.parsed("openapi: 3.1.0\nx: 1\n", parse)
    assert filecache.parsed("openapi: 3.1.0\nx: 2\n", parse) == {"openapi": "3.1.0", "x": 2}
    assert parse.calls == 2


def test_a_document_json_cannot_hold_is_not_kept(cache):
    parse = Counted()
    text = "day: 2024-01-31\n"  # YAML reads a date, JSON would give a string back
    assert filecache.parsed(text, parse) == {"day": datetime.date(2024, 1, 31)}
    assert filecache.parsed(text, parse) == {"day": datetime.date(2024, 1, 31)}
    assert parse.calls == 2
    assert not cache.exists() or list(cache.iterdir()) == []


def test_a_damaged_cache_file_is_parsed_again_and_replaced(cache):
    text = "a: [1, 2]\n"
    parse = Counted()
    filecache.parsed(text, parse)
    (kept,) = cache.iterdir()
    kept.write_bytes(b'{"a": [1, 2')  # cut short
    assert filecache.parsed(text, parse) == {"a": [1, 2]}
    assert parse.calls == 2
    assert filecache.parsed(text, parse) == {"a": [1, 2]}
    assert parse.calls == 2


def test_a_cache_folder_that_cannot_be_written_does_not_stop_a_load(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    loaded = contract.load(SPEC)
    assert loaded.document == yaml.safe_load(SPEC.read_text())


def test_mock_spec_cache_0_turns_it_off(cache, monkeypatch):
    monkeypatch.setenv("MOCK_SPEC_CACHE", "0")
    parse = Counted()
    filecache.parsed("a: 1\n", parse)
    filecache.parsed("a: 1\n", parse)
    assert parse.calls == 2
    assert not cache.exists()


def test_the_contract_loads_the_same_from_the_cache(cache):
    fresh = contract.load(SPEC)
    assert any(cache.iterdir())
    cached = contract.load(SPEC)
    assert cached.document == fresh.document
    assert [(op.operation_id, op.method, op.path) for op in cached.operations] == [
        (op.operation_id, op.method, op.path) for op in fresh.operations
    ]


# -- fixture files --------------------------------------------------------------------------

FIXTURE = ROOT / "fixtures" / "10-demo-payments.yaml"


class CountedYaml:
    """Counts the YAML parses of fixture documents (``yamlload.load``)."""

    def __init__(self, monkeypatch) -> None:
        self.calls = 0
        real = yamlload.load

        def load(text, limits):
            self.calls += 1
            return real(text, limits)

        monkeypatch.setattr(yamlload, "load", load)


def test_a_fixture_file_read_again_comes_from_the_cache_and_equals_its_parse(cache, monkeypatch):
    counted = CountedYaml(monkeypatch)
    first = fixtures.read(FIXTURE)
    second = fixtures.read(FIXTURE)
    assert counted.calls == 1
    assert second.data == first.data == fixtures.parse(FIXTURE.read_text()).data
    assert [p.name.split("-")[0] for p in cache.iterdir()] == ["fixture"]


def test_a_posted_fixture_document_is_never_kept(cache, monkeypatch):
    counted = CountedYaml(monkeypatch)
    text = FIXTURE.read_text()
    fixtures.parse(text)
    fixtures.parse(text)
    assert counted.calls == 2
    assert not cache.exists() or list(cache.iterdir()) == []


def test_a_fixture_kept_under_one_limits_is_parsed_again_under_others(cache, monkeypatch, tmp_path):
    """An alias bomb a file may hold is refused under a document's tighter limits: a
    document kept under one set of limits is never read back under another."""
    counted = CountedYaml(monkeypatch)
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    bomb += "c: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    path = tmp_path / "bomb.yaml"
    path.write_text(bomb)
    tight = fixtures.Limits(bytes=10_000, nodes=500, text=10_000)
    with pytest.raises(fixtures.FixtureError):  # the schema refuses a, b and c either way
        fixtures.read(path)
    assert counted.calls == 1
    with pytest.raises(fixtures.FixtureError) as refused:
        fixtures.read(path, tight)
    assert counted.calls == 2
    assert "more than 500 values (aliases counted at every use)" in str(refused.value)


def test_a_broken_fixture_file_is_never_kept_and_says_where_every_time(cache, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("payments:\n  - id: [unclosed\n")
    for _ in range(2):
        with pytest.raises(fixtures.FixtureError) as broken:
            fixtures.read(path)
        assert str(broken.value).startswith(f"{path}: at line 3, column 1: not valid YAML: ")
    assert not cache.exists() or list(cache.iterdir()) == []


def test_each_kind_keeps_its_newest_files_only(cache, monkeypatch):
    monkeypatch.setattr(filecache, "KEEP", 2)
    parse = Counted()
    for n in range(4):
        filecache.parsed(f"x: {n}\n", parse)
        os.utime(max(cache.iterdir(), key=lambda p: p.stat().st_mtime_ns), (n, n))  # n: its age order
    filecache.parsed("y: 1\n", parse, kind="fixture")
    names = sorted(p.name.split("-")[0] for p in cache.iterdir())
    assert names == ["fixture", "spec", "spec"]
    assert filecache.parsed("x: 3\n", parse) == {"x": 3}
    assert parse.calls == 5  # "x: 3" (the newest spec) was still kept
    filecache.parsed("x: 0\n", parse)
    assert parse.calls == 6  # "x: 0" (the oldest) was not
