"""``JSON.parse``'s error messages, as V8 11 (Node 20, what Medusa 2.21.2 runs on) words
them and where it places them: body-parser passes them on in its 400.

``v8_error(text)`` follows V8's JSON parser (src/json/json-parser.cc) over ``text`` without
building anything: the first error it meets, or None for valid JSON. The message depends on
where the parser is (the first property of an object asks for "property name or '}'",
a later one for a "double-quoted property name"; after a later name a missing colon is a
plain unexpected token), and the position is where V8's cursor stands. Checked against
Node's own JSON.parse on thousands of mutated documents (tests/test_messages.py pins a
set). V8 reads a string as UTF-16 code units, so positions, the length that decides the
context of an unexpected token and where that context is cut count units: a character
outside the Basic Multilingual Plane (an emoji) is two, and either half can be the token
or an end of the context, as on Node (tests/test_messages.py). Iterative: any depth,
linear time.
"""

from __future__ import annotations

import re

from .messages import unexpected_token

_WS = re.compile(r"[ \t\n\r]*")
_DIGITS = re.compile(r"[0-9]*")
_PLAIN = re.compile(r'[^"\\\x00-\x1f]*')  # string characters that need no look
_HEX = "0123456789abcdefABCDEF"
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
# A surrogate in a str: always unpaired, as JSON and UTF-16 decoding make each whole pair
# one character (JSON.parse takes "\\ud800"; JSON.stringify escapes it).
UNPAIRED = re.compile("[\ud800-\udfff]")
EOS = "Unexpected end of JSON input"
_WORDS = {"t": "true", "f": "false", "n": "null"}


def _split(match: re.Match) -> str:
    code = ord(match.group()) - 0x10000
    return chr(0xD800 + (code >> 10)) + chr(0xDC00 + (code & 0x3FF))


def units(text: str) -> str:
    """``text`` as V8 holds it, one character per UTF-16 code unit: each character outside
    the Basic Multilingual Plane as its two surrogates (``text`` itself when it has none)."""
    return _ASTRAL.sub(_split, text) if _ASTRAL.search(text) else text


def joined(message: str) -> str:
    """A message worked out over ``units``, with each whole surrogate pair one character
    again; a half pair (a context cut between the two) stays as it is, as in Node's
    string, and is written as JSON.stringify writes it (``web/responses.encode``)."""
    return message.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def _token(text: str, i: int) -> str:
    """V8's message for an unexpected token at ``i``, by the token's kind."""
    if i >= len(text):
        return EOS
    c = text[i]
    if c == '"':
        return f"Unexpected string in JSON at position {i}"
    if c == "-" or "0" <= c <= "9":
        return f"Unexpected number in JSON at position {i}"
    return unexpected_token(text, i)


def _string(s: str, i: int) -> tuple[str | None, int]:
    """(error, 0) or (None, end) for the string whose quote is at ``i``."""
    n = len(s)
    j = i + 1
    while True:
        j = _PLAIN.match(s, j).end()  # type: ignore[union-attr]
        if j >= n:
            return f"Unterminated string in JSON at position {j}", 0
        c = s[j]
        if c == '"':
            return None, j + 1
        if c == "\\":
            j += 1
            if j >= n:
                return EOS, 0
            e = s[j]
            if e in '"\\/bfnrt':
                j += 1
                continue
            if e == "u":
                j += 1
                for _ in range(4):
                    if j < n and s[j] in _HEX:
                        j += 1
                    else:
                        return f"Bad Unicode escape in JSON at position {j}", 0
                continue
            return f"Bad escaped character in JSON at position {j}", 0
        if c < " ":
            return f"Bad control character in string literal in JSON at position {j}", 0
        j += 1


def _number(s: str, i: int) -> tuple[str | None, int]:
    """(error, 0) or (None, end) for the number that starts at ``i``."""
    n = len(s)
    j = i
    if s[j] == "-":
        j += 1
        if j >= n or not "0" <= s[j] <= "9":
            return f"No number after minus sign in JSON at position {j}", 0
    if s[j] == "0":
        j += 1
        if j < n and "0" <= s[j] <= "9":
            return f"Unexpected number in JSON at position {j}", 0
    else:
        j = _DIGITS.match(s, j).end()  # type: ignore[union-attr]
    if j < n and s[j] == ".":
        j += 1
        if j >= n or not "0" <= s[j] <= "9":
            return f"Unterminated fractional number in JSON at position {j}", 0
        j = _DIGITS.match(s, j).end()  # type: ignore[union-attr]
    if j < n and s[j] in "eE":
        j += 1
        if j < n and s[j] in "+-":
            j += 1
        if j >= n or not "0" <= s[j] <= "9":
            return f"Exponent part is missing a number in JSON at position {j}", 0
        j = _DIGITS.match(s, j).end()  # type: ignore[union-attr]
    return None, j


def _v8_error(s: str) -> str | None:
    """The message of ``JSON.parse(s)``'s SyntaxError, or None when ``s`` is valid JSON."""
    n = len(s)
    stack: list[str] = []
    i = _ws(s, 0)
    expecting_value = True
    while True:
        if expecting_value:
            if i >= n:
                return EOS
            c = s[i]
            if c == "{":
                i = _ws(s, i + 1)
                if i < n and s[i] == "}":
                    i += 1
                    expecting_value = False
                    continue
                if i >= n or s[i] != '"':
                    return f"Expected property name or '}}' in JSON at position {i}"
                err, end = _string(s, i)
                if err:
                    return err
                i = _ws(s, end)
                if i >= n or s[i] != ":":
                    return f"Expected ':' after property name in JSON at position {i}"
                i = _ws(s, i + 1)
                stack.append("}")
                continue
            if c == "[":
                i = _ws(s, i + 1)
                if i < n and s[i] == "]":
                    i += 1
                    expecting_value = False
                    continue
                stack.append("]")
                continue
            if c == '"':
                err, end = _string(s, i)
            elif c == "-" or "0" <= c <= "9":
                err, end = _number(s, i)
            elif c in _WORDS:
                word = _WORDS[c]
                err, end = None, i + len(word)
                for k in range(1, len(word)):
                    if i + k >= n or s[i + k] != word[k]:
                        err = _token(s, i + k)
                        break
            else:
                return _token(s, i)
            if err:
                return err
            i = end
            expecting_value = False
            continue
        i = _ws(s, i)
        if not stack:
            return None if i >= n else f"Unexpected non-whitespace character after JSON at position {i}"
        close = stack[-1]
        if i < n and s[i] == ",":
            i = _ws(s, i + 1)
            if close == "}":
                if i >= n or s[i] != '"':
                    return f"Expected double-quoted property name in JSON at position {i}"
                err, end = _string(s, i)
                if err:
                    return err
                i = _ws(s, end)
                if i >= n or s[i] != ":":
                    return _token(s, i)
                i = _ws(s, i + 1)
            expecting_value = True
            continue
        if i < n and s[i] == close:
            stack.pop()
            i += 1
            continue
        what = "'}' after property value" if close == "}" else "']' after array element"
        return f"Expected ',' or {what} in JSON at position {i}"


def _ws(s: str, k: int) -> int:
    return _WS.match(s, k).end()  # type: ignore[union-attr]


def v8_error(text: str) -> str | None:
    """``JSON.parse``'s error message for ``text``, or None when it is valid JSON."""
    held = units(text)
    message = _v8_error(held)
    return message if message is None or held is text else joined(message)


def unexpected_at_start(text: str) -> str:
    """The message for an unexpected token at the start of ``text``."""
    return joined(unexpected_token(units(text), 0))


def strict_violation(text: str, first: str) -> str:
    """body-parser's strict-mode error: ``JSON.parse`` of the text up to its first
    character, that character stood for by ``#`` (none: ``JSON.parse("")``). As in
    body-parser, the character is the first UTF-16 unit that is not white space."""
    if not first:
        return "Unexpected end of JSON input"
    held = units(text)
    index = len(held) - len(held.lstrip(" \t\n\r"))
    message = _v8_error(held[:index] + "#" * (len(held) - index)) or ""
    # body-parser then puts text back for each run of '#' in the message: always the text
    # from the first character on, as long as the run (also where V8 cut the context)
    message = re.sub(r"#+", lambda run: held[index : index + len(run.group())], message)
    return message if held is text else joined(message)
