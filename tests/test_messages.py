"""Medusa's and Node's wording (mock_server/backend/messages.py), without HTTP."""

from __future__ import annotations

import pytest

from mock_server.backend.jsonparse import strict_violation
from mock_server.backend.messages import invalid_request, js_string
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
        # where a cut document ends matters: V8 asks for what it expected there
        ('{"amount":1', "Expected ',' or '}' after property value in JSON at position 11"),
        ("[1,2", "Expected ',' or ']' after array element in JSON at position 4"),
        ('{"amount"', "Expected ':' after property name in JSON at position 9"),
        ('{"a":1,"b"', "Unexpected end of JSON input"),  # a later name: no such help
        ('{"a":1,"b"}', 'Unexpected token \'}\', "{"a":1,"b"}" is not valid JSON'),
        ('{"a":1,"b" "c"}', "Unexpected string in JSON at position 11"),
        ('{"a":', "Unexpected end of JSON input"),
        ('{"a":"b\\', "Unexpected end of JSON input"),
        # numbers
        ('{"amount":01}', "Unexpected number in JSON at position 11"),
        ('{"amount":1e}', "Exponent part is missing a number in JSON at position 12"),
        ("[1E-]", "Exponent part is missing a number in JSON at position 4"),
        ("[0.e1]", "Unterminated fractional number in JSON at position 3"),
        ("[-a]", "No number after minus sign in JSON at position 2"),
        # escapes and literals
        ('{"a\\u00":1}', "Bad Unicode escape in JSON at position 7"),
        ('{"a":"\\u', "Bad Unicode escape in JSON at position 8"),
        ('{"a":"\\x"}', "Bad escaped character in JSON at position 7"),
        ("[nul1]", "Unexpected number in JSON at position 4"),
        (
            '{"amount":e 12.5, "note": "hi',
            'Unexpected token \'e\', ..."{"amount":e 12.5, "n"... is not valid JSON',
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


def test_json_parse_errors_match_node_on_mutated_documents():
    """The same messages as Node's own JSON.parse, on 3,000 documents cut, grown and
    trimmed at random (a fixed seed) from three valid ones, one with characters outside
    the Basic Multilingual Plane (positions and contexts count UTF-16 units, and either
    half of an emoji, or a lone surrogate, can be the token or cut the context)."""
    import json
    import random

    from test_js_sdk import run_node

    rnd = random.Random(20)
    bases = [
        '{"amount": 12.5, "note": "hi\\n\\u00e9", "refund_reason_id": "refr_1", "x": [1, {"y": null}]}',
        '[{"a":[]},{"b":{}},"s",0,-1.5E+2,true,false]',
        '{"note": "\U0001f600 refunded \U0001f389\U0001f389", "amount": 1, "r": ["\U0001f4b3", 2]}',
    ]
    noise = '{}[],:"\\0123456789.-+eEtrufalsn xu\t\n\x01/\U0001f600\ud83d'
    cases = []
    for _ in range(3000):
        text = rnd.choice(bases)
        for _ in range(rnd.randint(1, 3)):
            i, op = rnd.randrange(len(text) + 1), rnd.random()
            if op < 0.25:
                text = text[:i]
            elif op < 0.65:
                text = text[:i] + rnd.choice(noise) + text[i:]
            else:
                text = text[:i] + text[i + 1 :]
        cases.append(text)
    script = (
        "const cs = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(cs.map(c => { try { JSON.parse(c); return null }"
        " catch (e) { return e.message } })))"
    )
    result = run_node(["-e", script], env={}, timeout=60, input=json.dumps(cases))
    expected = json.loads(result.stdout)
    from mock_server.backend.jsonparse import v8_error

    differing = [(c, e, v8_error(c)) for c, e in zip(cases, expected, strict=True) if v8_error(c) != e]
    assert differing == []


# body-parser 1.20.9 (Medusa 2.21.2's) on Node 20, each text sent as a JSON body: its
# strict-mode check and JSON.parse both count UTF-16 units, so an emoji is two, and the
# token or either end of the context can be half of one (a lone surrogate).
OUTSIDE_THE_BMP = [
    (" \U0001f600{}", "Unexpected token '\ud83d', \" \U0001f600{}\" is not valid JSON"),
    ("\U0001f600" * 13, "Unexpected token '\ud83d', \"" + "\U0001f600" * 5 + '"... is not valid JSON'),
    (
        "t" + "\U0001f600" * 13,
        "Unexpected token 't', \"t" + "\U0001f600" * 4 + '\ud83d"... is not valid JSON',
    ),
    ("[\U0001f600]", "Unexpected token '\ud83d', \"[\U0001f600]\" is not valid JSON"),
    ('{"a":1} ' + "\U0001f600" * 12, "Unexpected non-whitespace character after JSON at position 8"),
    (
        '["' + "\U0001f600" * 12 + '", x]',
        "Unexpected token 'x', ...\"\ude00" + "\U0001f600" * 3 + '", x]" is not valid JSON',
    ),
]


@pytest.mark.parametrize(("text", "message"), OUTSIDE_THE_BMP)
def test_json_errors_count_utf16_units_as_body_parser_does(text, message):
    from mock_server.web.parsing import BodyError, parse_body

    with pytest.raises(BodyError) as caught:
        parse_body(text.encode(), "application/json")
    assert caught.value.message == message


def test_half_an_emoji_in_a_message_is_written_as_json_stringify_writes_it(client, auth):
    """The 400 quotes the lone surrogate V8 stopped at: JSON.stringify escapes it (lower
    case) and writes a whole emoji as UTF-8. A 500 before (orjson refuses the surrogate)."""
    r = client.post(
        "/admin/payments/pay_x/refund",
        content="[\U0001f600]".encode(),
        headers={**auth, "Content-Type": "application/json"},
    )
    assert r.status_code == 400
    assert r.content == (
        b'{"message":"Unexpected token \'\\ud83d\', \\"[\xf0\x9f\x98\x80]\\" is not valid JSON",'
        b'"type":"invalid_data"}'
    )
