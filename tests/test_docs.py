"""The repository stands alone: every citation of the behaviour reference resolves to a heading
of docs/medusa-behaviour.md, and no tracked file names a path of one particular machine."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "medusa-behaviour.md"

# A section number as the reference writes it: 4, 4.1, 8.1a, 15a.
_NUMBER = r"\d+[a-z]?(?:\.\d+[a-z]?)*"
# A heading of the reference: "## §4. Refund …", "### §4.1 Checks in order".
_HEADING = re.compile(rf"^#{{1,6}}[ \t]+§({_NUMBER})\.?[ \t]", re.MULTILINE)
_NAME = re.compile(r"medusa-behaviour\.md`?")
# After the file name, a citation is a run of "§N" items, separated by commas, "and" or white
# space (new lines and YAML indentation included, so wrapped spec notes are read whole), that
# may also hold numbered checks of a section ("§4.1, #5–#10"). It ends at anything else.
_SEPARATOR = r"[\s,]*(?:and\s+)?"
_SECTION = re.compile(rf"{_SEPARATOR}§({_NUMBER})")
_CHECK = re.compile(rf"{_SEPARATOR}#\d+(?:\s*[–-]\s*#?\d+)?")
# Absolute paths of a machine, and the folder beside the checkout the project once read from.
_MACHINE_PATH = re.compile(r"/(?:work|root|home)/|\.\./shared")


def _tracked_text_files() -> list[tuple[str, str]]:
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
        ).stdout.decode()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: nothing to scan")
    files = []
    for name in filter(None, listed.split("\0")):
        base = name.rsplit("/", 1)[-1]
        if re.search(r"(?:^|[-_.])(?:py)?lock(?:[-_.]|$)", base):
            continue  # lock files: generated, and full of registry URLs
        path = ROOT / name
        if not path.is_file():
            continue  # deleted in the working tree, not yet committed
        data = path.read_bytes()
        if b"\0" in data:
            continue
        try:
            files.append((name, data.decode("utf-8")))
        except UnicodeDecodeError:
            continue
    return files


def headings(text: str) -> list[str]:
    return _HEADING.findall(text)


def citations(text: str) -> list[tuple[int, str]]:
    """(line, section) for every section cited after a mention of medusa-behaviour.md."""
    found = []
    for mention in _NAME.finditer(text):
        pos = mention.end()
        while True:
            section = _SECTION.match(text, pos)
            if section:
                found.append((text.count("\n", 0, section.start(1)) + 1, section.group(1)))
                pos = section.end()
                continue
            check = _CHECK.match(text, pos)
            if check and check.end() > pos:
                pos = check.end()
                continue
            break
    return found


def test_the_citation_scanner_reads_wrapped_and_listed_sections():
    text = (
        "see docs/medusa-behaviour.md §4.1, #5–#10 and §8.1a.\n"
        "      x: 'a note (docs/medusa-behaviour.md\n"
        "        §10.2, §15a, §16).'\n"
        "docs/medusa-behaviour.md sections; §9 is not a citation\n"
    )
    assert citations(text) == [(1, "4.1"), (1, "8.1a"), (3, "10.2"), (3, "15a"), (3, "16")]
    assert headings("## §4. Refund\n### §4.1 Checks in order\n#### §8.1a Body size\n") == [
        "4",
        "4.1",
        "8.1a",
    ]


def test_every_citation_of_the_reference_has_a_heading():
    known = headings(REFERENCE.read_text(encoding="utf-8"))
    assert len(known) == len(set(known)), f"section numbers used twice: {sorted(known)}"
    known_set = set(known)
    dangling, total = [], 0
    for name, text in _tracked_text_files():
        for line, section in citations(text):
            total += 1
            if section not in known_set:
                dangling.append(f"{name}:{line}: §{section}")
    # The repository cites the reference about a hundred times; finding almost none would mean
    # the scanner is broken, not that everything resolves.
    assert total > 50, f"only {total} citations found"
    assert not dangling, "citations without a heading in docs/medusa-behaviour.md:\n" + "\n".join(dangling)


def test_no_tracked_file_names_a_machine_path():
    offending = []
    for name, text in _tracked_text_files():
        for match in _MACHINE_PATH.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            offending.append(f"{name}:{line}: {match.group(0)}")
    assert not offending, "machine paths in tracked files:\n" + "\n".join(offending)
