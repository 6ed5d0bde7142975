"""``mock-server diff``: the mock against a real Medusa, side by side, scripted or generated.

    mock-server diff --real http://127.0.0.1:9001 --email admin@example.com \\
        --password supersecret [--generated | --scripted | --both] [--seed N] [--count N] \\
        [--junit-xml FILE] [--report FILE]

``--generated`` (the default): ``--count`` requests generated from the specs with ``--seed``
(``gendiff.py``), for a team that wants to see where the mock drifts from its own backend, e.g.
after a Medusa upgrade. ``--scripted``: the hand-written scenario of ``make diff``
(``diff.py``), which needs the payments ``scripts/real-backend.sh seed`` makes (``--seed-file``).
``--both``: the scripted run, then the generated one (the latter then meets payments the
scenario has used up). Both take a snapshot of the real backend and start the mock from it.

Exit status: 0 when every difference is allowed (``--allow``), 1 when one is not, 2 when the
run could not be done (backend down, login refused, a bad allow-list or scenario).
"""

from __future__ import annotations

import sys
from pathlib import Path

DEFAULT_SEED_FILE = Path(__file__).resolve().parent.parent.parent / "realbackend" / ".state" / "seed.json"
DEFAULT_SEED = 20261130  # the generated run's (also `make diff`'s)
DEFAULT_COUNT = 500


def add_arguments(parser) -> None:
    # Imports nothing: the parser of every subcommand is built on each start of mock-server.
    parser.add_argument(
        "--real", required=True, metavar="URL", help="the real backend, e.g. http://127.0.0.1:9001"
    )
    parser.add_argument("--email", required=True, help="log in to both sides with email/password")
    parser.add_argument("--password", required=True, help="password for --email")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--generated", dest="mode", action="store_const", const="generated", help="(default)")
    mode.add_argument("--scripted", dest="mode", action="store_const", const="scripted")
    mode.add_argument("--both", dest="mode", action="store_const", const="both")
    parser.set_defaults(mode="generated")
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"generation seed (default {DEFAULT_SEED})"
    )
    parser.add_argument(
        "--count",
        type=_count,
        default=DEFAULT_COUNT,
        help=f"generated requests (default {DEFAULT_COUNT}, at most 100000)",
    )
    parser.add_argument("--junit-xml", type=Path, help="write a JUnit report here")
    parser.add_argument("--report", type=Path, help="write the generated run's grouped report here too")
    parser.add_argument("--allow", type=Path, help="allow-list of differences (default: the shipped one)")
    parser.add_argument(
        "--seed-file",
        type=Path,
        default=DEFAULT_SEED_FILE,
        help="the scripted run's seeded payments (scripts/real-backend.sh seed writes it)",
    )
    parser.add_argument("--keep-fixture", type=Path, help="also write the snapshot fixture here")


def _count(text: str) -> int:
    import argparse

    if not (text.isascii() and text.isdigit() and 0 < len(text) <= 6 and 1 <= int(text) <= 100_000):
        raise argparse.ArgumentTypeError(f"the count is a whole number from 1 to 100000, not {text[:20]!r}")
    return int(text)


def main(args) -> int:
    from . import diff, gendiff, snapshot
    from .client import ContractError
    from .scenario import ALLOW_FILE, DataFileError, load_scenario

    allow = args.allow or ALLOW_FILE
    suites: list[tuple[str, list]] = []
    failed = False
    try:
        if args.mode in ("scripted", "both"):
            outcome = diff.run(
                args.real,
                args.seed_file,
                allow,
                email=args.email,
                password=args.password,
                keep_fixture=args.keep_fixture,
            )
            failed |= bool(outcome.unexplained)
            suites.append(("scripted", scripted_cases(load_scenario().steps, outcome)))
        if args.mode in ("generated", "both"):
            generated = gendiff.run(
                args.real,
                seed=args.seed,
                count=args.count,
                allow_path=allow,
                email=args.email,
                password=args.password,
                keep_fixture=args.keep_fixture,
                report_path=args.report,
            )
            failed |= bool(generated.failing)
            suites.append((f"generated (seed {args.seed})", gendiff.junit_cases(generated)))
    except (
        diff.DiffError,
        gendiff.GenDiffError,
        DataFileError,
        ContractError,
        snapshot.SnapshotError,
        OSError,
    ) as exc:
        print(f"mock-server diff: cannot run: {exc}", file=sys.stderr)
        return 2
    if args.junit_xml:
        write_junit(args.junit_xml, suites)
    return 1 if failed else 0


def scripted_cases(steps, outcome) -> list[tuple[str, str | None, str | None, str]]:
    by_step: dict[str, list] = {}
    for d in outcome.differences:
        by_step.setdefault(d.step, []).append(d)
    cases: list[tuple[str, str | None, str | None, str]] = []
    for step in steps:
        found = by_step.get(step.name, [])
        text = "\n".join(str(d).strip() for d in found)
        bad = [d for d in found if not d.allowed]
        cases.append((f"{step.method} {step.name}", text if bad else None, None, text))
    return cases


def write_junit(path: Path, suites: list[tuple[str, list]]) -> None:
    """One <testsuite> per run; each case: (name, failure text or None, skipped reason or None,
    output)."""
    import xml.etree.ElementTree as ET

    root = ET.Element("testsuites", name="mock-server diff")
    for name, cases in suites:
        suite = ET.SubElement(
            root,
            "testsuite",
            name=name,
            tests=str(len(cases)),
            failures=str(sum(1 for c in cases if c[1])),
            skipped=str(sum(1 for c in cases if c[2] and not c[1])),
            errors="0",
        )
        for case_name, failure, skipped, output in cases:
            case = ET.SubElement(suite, "testcase", classname=name, name=case_name)
            if failure:
                ET.SubElement(case, "failure", message="differs from the real backend").text = _xml_safe(
                    failure
                )
            elif skipped:
                ET.SubElement(case, "skipped", message=_xml_safe(skipped))
            if output:
                ET.SubElement(case, "system-out").text = _xml_safe(output)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def _xml_safe(text: str) -> str:
    """XML 1.0 cannot hold most control characters, nor lone surrogates: shown escaped."""
    return "".join(
        c
        if c in "\t\n\r" or (" " <= c <= "\ud7ff") or ("\ue000" <= c <= "\ufffd") or c >= "\U00010000"
        else f"\\x{ord(c):02x}"
        for c in text
    )
