"""The official ``@medusajs/js-sdk`` 2.21.2 against the mock, from Node.

Each ``tests/js/*.test.mjs`` file runs with ``node --test`` against a mock server at the
fixtures' state (the session's shared one, ``live_server``), with ``MOCK_URL`` pointing at
it; the suites reset it themselves before each of their tests. The npm packages pinned in
``tests/js/package-lock.json`` are installed with ``npm ci`` when missing or stale.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

JS_DIR = Path(__file__).resolve().parent / "js"
NODE_MIN = 20
NODE_SUITES = sorted(p.name for p in JS_DIR.glob("*.test.mjs"))


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"`{name}` is not on PATH: these tests need Node.js {NODE_MIN}+ with npm")
    return path


def ensure_node_modules() -> None:
    """``npm ci`` in tests/js when node_modules is missing or older than the lock file.

    npm writes ``node_modules/.package-lock.json`` at the end of every install, so its
    mtime says when node_modules was last made. A file lock keeps two test processes
    from installing at once.
    """
    node = _tool("node")
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    major = int(re.match(r"v(\d+)", version).group(1)) if version.startswith("v") else 0
    if major < NODE_MIN:
        pytest.fail(f"Node.js {NODE_MIN}+ is needed for @medusajs/js-sdk 2.21.2; found {version!r}")
    npm = _tool("npm")
    with open(JS_DIR / ".npm-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stamp = JS_DIR / "node_modules" / ".package-lock.json"
        inputs = [JS_DIR / "package-lock.json", JS_DIR / "package.json"]
        if stamp.exists() and all(stamp.stat().st_mtime >= p.stat().st_mtime for p in inputs):
            return
        result = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=JS_DIR,
            capture_output=True,
            text=True,
            timeout=600,
            env={**os.environ, "npm_config_update_notifier": "false"},
        )
        if result.returncode != 0:
            pytest.fail(
                f"`npm ci` in {JS_DIR} failed (exit {result.returncode}):\n{result.stdout}\n{result.stderr}",
                pytrace=False,
            )
        stamp.touch()  # npm may keep the old mtime when nothing changed


def run_node(
    args: list[str], *, env: dict, timeout: int = 300, input: str | None = None, pass_fds: tuple = ()
) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(
            [_tool("node"), *args],
            cwd=JS_DIR,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **env},
            input=input,
            pass_fds=pass_fds,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(
            f"node {' '.join(args)} did not finish within {timeout} s:\n"
            f"{exc.stdout or ''}\n{exc.stderr or ''}",
            pytrace=False,
        )


def server_log(server) -> str:
    """What the mock printed (a ``LiveServer``'s, or a loan's): tracebacks of any 500s."""
    try:
        return server.output().strip() or "(nothing)"
    except (OSError, ValueError):
        return "(unavailable)"


@pytest.fixture(scope="module")
def node_modules() -> None:
    ensure_node_modules()


def test_node_suites_exist():
    assert {
        "jwt.test.mjs",
        "query.test.mjs",
        "refund-reasons.test.mjs",
        "session.test.mjs",
        "api-key.test.mjs",
        "steering.test.mjs",
    } <= set(NODE_SUITES)


@pytest.mark.parametrize("suite", NODE_SUITES)
def test_js_sdk(suite: str, node_modules, live_server) -> None:
    result = run_node(["--test", "--test-reporter=spec", suite], env={"MOCK_URL": live_server.url})
    output = f"{result.stdout}\n{result.stderr}".strip()
    counts = dict(re.findall(r"^ℹ (tests|pass|fail) (\d+)$", result.stdout, re.M))
    if result.returncode != 0 or counts.get("fail") != "0" or int(counts.get("pass", 0)) == 0:
        pytest.fail(
            f"node --test {suite} exited {result.returncode} "
            f"(tests {counts.get('tests')}, pass {counts.get('pass')}, fail {counts.get('fail')}):\n"
            f"{output}\n\n--- mock server log ---\n{server_log(live_server)}",
            pytrace=False,
        )
