"""Medusa's and Node's wording (mock_server/backend/messages.py), without HTTP."""

from __future__ import annotations

import pytest

from mock_server.backend.messages import invalid_request, js_string, strict_violation
from mock_server.web.parsing import v8_message


# Each message as Node 20's JSON.parse words it for the same text (checked with node v20).
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a":1,}', "Expected double-quoted property name in JSON at position 7"),
        ('{"a" 1}', "Expected ':' after property name in JSON at position 5"),
        ("[1 2]", "Expected ',' or ']' after array element in JSON at position 3"),
        ('{"a":[1,2}', "Expected ',' or ']' after array element in JSON at position 9"),
        ('{"a":"x', "Unterminated string in JSON at position 7"),
        ('{"a":1}x', "Unexpected non-whitespace character after JSON at position 7"),
        ("{a:1}", "Expected property name or '}' in JSON at position 1"),
        ('{"a":"\x01"}', "Bad control character in string literal in JSON at position 6"),
        (
            '{"amount": NaN, "note": "long enough here"}',
            'Unexpected token \'N\', ...""amount": NaN, "note"... is not valid JSON',
        ),
    ],
)
def test_v8_message_words_json_parse_errors_as_node_20(text, message):
    assert v8_message(text) == message


def test_strict_mode_names_the_first_character_with_the_text():
    assert strict_violation('"x"', '"') == 'Unexpected token \'"\', ""x"" is not valid JSON'
    assert strict_violation("true", "t") == "Unexpected token 't', \"true\" is not valid JSON"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "null"),
        (True, "true"),
        (False, "false"),
        (1.0, "1"),
        (1.5, "1.5"),
        (float("nan"), "NaN"),
        (float("-inf"), "-Infinity"),
        ([1, None, "a"], "1,,a"),
        ({"a": 1}, "[object Object]"),
        ("x", "x"),
    ],
)
def test_js_string_is_javascripts_string_conversion(value, text):
    assert js_string(value) == text


def test_invalid_request_joins_at_most_three_issues():
    assert invalid_request(["a", "b", "c", "d"]) == "Invalid request: a; b; c"
