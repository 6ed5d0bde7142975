"""The parsed spec kept between starts (mock_server/web/speccache.py): read back only for the
same text, equal to what YAML gives, and never a reason for a start to fail."""

from __future__ import annotations

import datetime

import pytest
import yaml

from helpers import ROOT
from mock_server.web import contract, speccache

SPEC = ROOT / "specs" / "medusa-admin-payments.yaml"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("MOCK_SPEC_CACHE", raising=False)
    return tmp_path / "cache" / speccache.FOLDER


class Counted:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, text: str):
        self.calls += 1
        return yaml.safe_load(text)


def test_the_second_read_of_the_same_text_comes_from_the_cache_and_equals_yaml(cache):
    text = SPEC.read_text()
    parse = Counted()
    first = speccache.parsed(text, parse)
    second = speccache.parsed(text, parse)
    assert parse.calls == 1
    assert second == first == yaml.safe_load(text)
    assert [p.name.startswith("spec-") for p in cache.iterdir()] == [True]


def test_an_edited_spec_is_parsed_again(cache):
    parse = Counted()
    speccache.parsed("openapi: 3.1.0\nx: 1\n", parse)
    assert speccache.parsed("openapi: 3.1.0\nx: 2\n", parse) == {"openapi": "3.1.0", "x": 2}
    assert parse.calls == 2


def test_a_document_json_cannot_hold_is_not_kept(cache):
    parse = Counted()
    text = "day: 2024-01-31\n"  # YAML reads a date, JSON would give a string back
    assert speccache.parsed(text, parse) == {"day": datetime.date(2024, 1, 31)}
    assert speccache.parsed(text, parse) == {"day": datetime.date(2024, 1, 31)}
    assert parse.calls == 2
    assert not cache.exists() or list(cache.iterdir()) == []


def test_a_damaged_cache_file_is_parsed_again_and_replaced(cache):
    text = "a: [1, 2]\n"
    parse = Counted()
    speccache.parsed(text, parse)
    (kept,) = cache.iterdir()
    kept.write_bytes(b'{"a": [1, 2')  # cut short
    assert speccache.parsed(text, parse) == {"a": [1, 2]}
    assert parse.calls == 2
    assert speccache.parsed(text, parse) == {"a": [1, 2]}
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
    speccache.parsed("a: 1\n", parse)
    speccache.parsed("a: 1\n", parse)
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
