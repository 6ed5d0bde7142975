"""Parsed YAML files kept from one start to the next: the spec, and the fixture files.

PyYAML (libyaml's parser, Python's constructor) takes about 50 ms to read the 100 KB
contract, every start, for a file that rarely changes; and importing PyYAML at all takes
about 15 ms of a start. The parsed document is kept as JSON under the user's cache folder
(``$XDG_CACHE_HOME`` or ``~/.cache``, then ``medusa-payments-mock/``), named by its kind and
the SHA-256 of the file's text (and of anything else its parse depends on, ``salt``), and
read back with orjson in about 2 ms. A name made of the content is never stale: an edited
file has another name and is parsed again. A start whose files all come from the cache
never imports PyYAML.

Only a document that JSON gives back exactly is kept (YAML has dates, non-string keys and
NaN, which JSON does not), so a file reads the same from the cache as from disk; only the
files a developer names (never a document posted to ``/__mock/load``), and only up to
``MAX_TEXT`` characters (and ``MAX_KEPT`` bytes of JSON); each kind keeps its ``KEEP`` newest files, so editing a fixture
again and again does not fill the disk. Every failure (no home, a read-only folder, a
damaged file) falls back to parsing; the cache never stops a start. ``MOCK_SPEC_CACHE=0``
turns it off.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Callable

import orjson

FOLDER = "medusa-payments-mock"
MAX_TEXT = 4 * 1024 * 1024  # characters; a larger file is parsed every time, never kept
MAX_KEPT = 16 * 1024 * 1024  # bytes of JSON (YAML's aliases can make it larger than its text)
KEEP = 32  # files of one kind; older ones are removed when a new one is written


def folder() -> Path | None:
    """Where parsed files are kept, or None when the cache is off."""
    if os.environ.get("MOCK_SPEC_CACHE", "1") == "0":
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / FOLDER


def parsed(text: str, parse: Callable[[str], Any], kind: str = "spec", salt: str = "") -> Any:
    """``parse(text)``, or the document a run before kept for this exact text (and
    ``salt``: what else the parse depends on, e.g. its limits)."""
    where = folder()
    if where is None or len(text) > MAX_TEXT:
        return parse(text)
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass"))
    digest.update(b"\0" + salt.encode())
    file = where / f"{kind}-{digest.hexdigest()}.json"
    try:
        return orjson.loads(file.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        pass
    document = parse(text)
    _keep(file, kind, document)
    return document


def _keep(file: Path, kind: str, document: Any) -> None:
    import tempfile  # only when a file is written (its import is a few ms of a start)

    try:
        data = orjson.dumps(document)
        if len(data) > MAX_KEPT or orjson.loads(data) != document:  # something JSON does not have: not kept
            return
        file.parent.mkdir(parents=True, exist_ok=True)
        # written whole under another name, then renamed: a reader (another mock starting
        # at the same time) sees the old file, no file, or the whole new one
        fd, temporary = tempfile.mkstemp(dir=file.parent, prefix=f".{kind}-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(temporary, file)
        except BaseException:
            os.unlink(temporary)
            raise
        _prune(file.parent, kind)
    except (OSError, TypeError, orjson.JSONEncodeError):
        pass  # not kept; the next start parses again


def _prune(where: Path, kind: str) -> None:
    """Keep the ``KEEP`` newest files of ``kind`` (another mock may remove one at the same
    time: a file already gone is not an error)."""
    kept = []
    for entry in os.scandir(where):
        if entry.name.startswith(f"{kind}-") and entry.name.endswith(".json"):
            try:
                kept.append((entry.stat().st_mtime, entry.path))
            except OSError:
                pass
    kept.sort(reverse=True)
    for _, path in kept[KEEP:]:
        try:
            os.unlink(path)
        except OSError:
            pass
