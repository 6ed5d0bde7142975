"""What a ``schemathesis run`` reported: its JSON summary, the ndjson event stream and
the JUnit file, read into one ``Result`` with the failures grouped by check."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Failure:
    code: str
    title: str
    operation: str
    detail: str


@dataclass
class Result:
    exit_code: int
    operations_tested: int = 0
    test_cases: int = 0
    test_cases_with_failures: int = 0
    checks_run: int = 0
    checks_passed: int = 0
    failures: list[Failure] = field(default_factory=list)
    accepted: int = 0  # failures a baseline file accepted
    errors: list[str] = field(default_factory=list)
    junit: Path | None = None
    log: str = ""

    def grouped(self) -> dict[str, dict[str, int]]:
        groups: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for failure in self.failures:
            groups[f"{failure.code} {failure.title}"][failure.operation] += 1
        return {k: dict(v) for k, v in sorted(groups.items())}

    def summary(self) -> str:
        head = (
            f"contract: {self.operations_tested} operations, {self.test_cases} test cases, "
            f"{self.checks_run} checks run, {self.checks_passed} passed, "
            f"{self.checks_run - self.checks_passed} failed; {len(self.failures)} distinct failures"
        )
        if self.accepted:
            head += f" (+{self.accepted} accepted by the baseline)"
        lines = [head]
        for group, operations in self.grouped().items():
            lines.append(f"  {group}")
            for operation, count in sorted(operations.items()):
                lines.append(f"    {operation}" + (f"  (x{count})" if count > 1 else ""))
        for error in self.errors:
            lines.append(f"  error: {error}")
        if self.junit:
            lines.append(f"  JUnit report: {self.junit}")
        lines.append("  result: " + {0: "PASS", 1: "FAIL"}.get(self.exit_code, "ERROR"))
        return "\n".join(lines)


_CHECK_LINE = re.compile(r"^- (ST\d+) (.+?)\s*$", re.M)


def read_reports(junit: Path | None, report_json: Path, ndjson: Path, returncode: int) -> Result:
    result = Result(exit_code=0 if returncode == 0 else 1, junit=junit)
    if report_json.exists():
        report = json.loads(report_json.read_text())
        result.operations_tested = report.get("operations", {}).get("tested", 0)
        cases = report.get("test_cases", {})
        result.test_cases = cases.get("generated", 0)
        result.test_cases_with_failures = cases.get("with_failures", 0)
        result.errors += [json.dumps(e)[:300] for e in report.get("errors") or []]
        base = report.get("baseline") or {}
        result.accepted = (
            int(base.get("accepted", 0) or base.get("known", 0) or 0) if isinstance(base, dict) else 0
        )
    if ndjson.exists():
        result.checks_run, result.checks_passed = _count_checks(ndjson)
    if junit is not None:
        for case in ET.parse(junit).getroot().iter("testcase"):
            operation = case.get("name", "?")
            for failure in case.findall("failure") + case.findall("error"):
                text = failure.text or ""
                found = _CHECK_LINE.findall(text)
                if not found:
                    found = [(failure.get("message") or "error", (text.strip().splitlines() or ["error"])[0])]
                for code, title in found:
                    title = re.sub(r"\s*\(\d+ \w+\)$", "", title)  # "… (2 violations)"
                    result.failures.append(Failure(code, title, operation, text))
    return result


def _count_checks(ndjson: Path) -> tuple[int, int]:
    """Checks run and passed, from the ``ndjson`` event stream (every check of every call)."""
    run = passed = 0
    for line in ndjson.read_text().splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        for checks in _find_checks(event):
            for check in checks:
                if not isinstance(check, dict) or "status" not in check:
                    continue
                run += 1
                passed += check.get("status") == "success"
    return run, passed


def _find_checks(node: Any):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "checks" and isinstance(value, list):
                yield value
            elif key == "checks" and isinstance(value, dict):
                yield [c for group in value.values() if isinstance(group, list) for c in group]
            else:
                yield from _find_checks(value)
    elif isinstance(node, list):
        for value in node:
            yield from _find_checks(value)
