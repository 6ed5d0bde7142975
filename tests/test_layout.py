"""The package's rooms import only the rooms below them: the imitated backend has no HTTP,
and the serving code never imports the contract tooling (nor its test-only packages)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from helpers import ROOT

PACKAGE = ROOT / "mock_server"


def _imports(file: Path) -> set[str]:
    """Absolute module names ``file`` imports (relative imports resolved)."""
    parts = list(file.relative_to(ROOT).with_suffix("").parts)
    package = parts[:-1]  # the package a relative import starts from
    names: set[str] = set()
    for node in ast.walk(ast.parse(file.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def _offenders(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    files = (
        sorted((PACKAGE / folder).rglob("*.py"))
        if folder
        else [p for p in sorted(PACKAGE.rglob("*.py")) if "tooling" not in p.parts]
    )
    return [
        f"{file.relative_to(ROOT)}: {name}"
        for file in files
        for name in sorted(_imports(file))
        if name.startswith(forbidden)
    ]


def test_backend_imports_no_http_and_no_other_room():
    assert (
        _offenders(
            "backend",
            (
                "starlette",
                "uvicorn",
                "httpx",
                "mock_server.web",
                "mock_server.control",
                "mock_server.tooling",
            ),
        )
        == []
    )


def test_serving_code_never_imports_the_tooling():
    assert _offenders("", ("mock_server.tooling", "schemathesis", "hypothesis", "httpx")) == []


def test_the_server_builds_without_the_test_packages():
    """Run in a child: schemathesis, hypothesis and httpx cannot be imported at all."""
    script = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("schemathesis", "hypothesis", "httpx"):
            raise ImportError("blocked: " + name)
sys.meta_path.insert(0, Block())
import mock_server
from mock_server.cli import main
app = mock_server.create_app(mock_server.Config())
assert not any(m.startswith("mock_server.tooling") for m in sys.modules), sorted(sys.modules)
print("ok")
"""
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert result.stdout.strip() == "ok", result.stderr
