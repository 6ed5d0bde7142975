"""The parsed spec, kept from one start to the next.

PyYAML (libyaml's parser, Python's constructor) takes about 50 ms to read the 100 KB
contract: a tenth of `mock-server serve`'s start-up, every start, for a file that rarely
changes. The parsed document is kept as JSON under the user's cache folder
(``$XDG_CACHE_HOME`` or ``~/.cache``, then ``medusa-payments-mock/``), named by the SHA-256
of the spec's text, and read back with orjson in about 2 ms. A name made of the content
is never stale: an edited spec has another name and is parsed again.

Only a document that JSON gives back exactly is kept (YAML has dates, non-string keys and
NaN, which JSON does not), so a spec reads the same from the cache as from its file.
Every failure (no home, a read-only folder, a damaged file) falls back to parsing; the
cache never stops a start. ``MOCK_SPEC_CACHE=0`` turns it off.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any, Callable

import orjson

FOLDER = "medusa-payments-mock"


def folder() -> Path | None:
    """Where parsed specs are kept, or None when the cache is off."""
    if os.environ.get("MOCK_SPEC_CACHE", "1") == "0":
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / FOLDER


def parsed(text: str, parse: Callable[[str], Any]) -> Any:
    """``parse(text)``, or the document a run before kept for this exact text."""
    where = folder()
    if where is None:
        return parse(text)
    file = where / f"spec-{hashlib.sha256(text.encode()).hexdigest()}.json"
    try:
        return orjson.loads(file.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        pass
    document = parse(text)
    _keep(file, document)
    return document


def _keep(file: Path, document: Any) -> None:
    try:
        data = orjson.dumps(document)
        if orjson.loads(data) != document:  # something JSON does not have: not kept
            return
        file.parent.mkdir(parents=True, exist_ok=True)
        # written whole under another name, then renamed: a reader (another mock starting
        # at the same time) sees the old file, no file, or the whole new one
        fd, temporary = tempfile.mkstemp(dir=file.parent, prefix=".spec-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(temporary, file)
        except BaseException:
            os.unlink(temporary)
            raise
    except (OSError, TypeError, orjson.JSONEncodeError):
        pass  # not kept; the next start parses again
