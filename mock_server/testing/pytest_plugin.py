"""The pytest plugin (entry point ``pytest11``: ``medusa_mock``): each test gets a namespace
of its own on one mock server, so tests run in parallel (pytest-xdist) never see each
other's payments, refund reasons, journal or fault rules.

Fixtures:

* ``medusa_mock_server`` (session): the root URL of the mock server. An external one when
  ``--medusa-mock-url`` or ``MEDUSA_MOCK_URL`` gives it (its control token, if it has one:
  ``--medusa-mock-token`` or ``MOCK_CONTROL_TOKEN``); else one this run starts on a free
  loopback port with the packaged contract and fixtures: in process (``MockServer``, a
  thread) without xdist, and under xdist one child process (``python -m
  mock_server.testing.server``) shared by every worker: the first worker to need it starts
  it, the others find its URL, and the controller stops it when the run ends (it also stops
  itself if the controller dies).
* ``medusa_mock`` (function): a ``MockClient`` in a fresh namespace, logged in as the
  fixtures' admin (``medusa_mock.token``; None when the server's fixtures have no such
  user: call ``medusa_mock.login(email, password)``). The namespace is dropped at teardown,
  so a long session's memory stays flat.

Nothing here imports the server or the client before a test asks for a fixture: the
plugin is loaded in every pytest session of an environment the package is installed in."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

URL_ENV = "MEDUSA_MOCK_URL"
TOKEN_ENV = "MOCK_CONTROL_TOKEN"
_DIR_KEY = "medusa_mock_dir"  # in an xdist worker's workerinput: the run's shared folder
_CONTROLLER_KEY = "medusa_mock_controller"  # ... and the controller's pid
_PLUGIN = "medusa_mock_session"
SHARED_START_TIMEOUT = 60.0


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("medusa-mock", "Medusa payments mock (the medusa_mock fixture)")
    group.addoption(
        "--medusa-mock-url",
        metavar="URL",
        help=f"use the mock server at URL (its root) instead of starting one (env: {URL_ENV})",
    )
    group.addoption(
        "--medusa-mock-token",
        metavar="T",
        help=f"the control token of the mock server, if it requires one (env: {TOKEN_ENV})",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_Run(config), _PLUGIN)


class _Run:
    """This process's part of the run: in an xdist controller, the shared folder it hands
    to its workers and the shared server it stops at the end."""

    def __init__(self, config: pytest.Config) -> None:
        workerinput = getattr(config, "workerinput", None)
        self.worker = workerinput is not None
        self.shared_dir: Path | None = None
        self.controller_pid: int | None = None
        if workerinput is not None and workerinput.get(_DIR_KEY):
            self.shared_dir = Path(workerinput[_DIR_KEY])
            self.controller_pid = workerinput.get(_CONTROLLER_KEY)

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """xdist, in the controller, for each worker it starts: where to share a server."""
        if self.shared_dir is None:
            self.shared_dir = Path(tempfile.mkdtemp(prefix="medusa-mock-"))
        node.workerinput[_DIR_KEY] = str(self.shared_dir)
        node.workerinput[_CONTROLLER_KEY] = os.getpid()

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self.worker or self.shared_dir is None:
            return
        _stop_shared(self.shared_dir)
        shutil.rmtree(self.shared_dir, ignore_errors=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that use the mock do not see the warning PyJWT gives for Medusa's default
    secret (shorter than it recommends): the mock signs with it on purpose, as Medusa does,
    and an in-process server warns inside whichever test logged in."""
    for item in items:
        if "medusa_mock_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning"))


def _option(config: pytest.Config, name: str, env: str) -> str | None:
    return config.getoption(name) or os.environ.get(env) or None


@pytest.fixture(scope="session")
def medusa_mock_server(request: pytest.FixtureRequest):
    """The root URL of the session's mock server (see the module's docstring)."""
    config = request.config
    url = _option(config, "medusa_mock_url", URL_ENV)
    if url:
        yield url.rstrip("/")
        return
    token = _option(config, "medusa_mock_token", TOKEN_ENV)
    run = config.pluginmanager.get_plugin(_PLUGIN)
    if run is not None and run.shared_dir is not None and _can_share():
        yield _shared_server(run.shared_dir, run.controller_pid, token)
        return
    from .server import MockServer

    with MockServer(control_token=token) as server:
        yield server.url


@pytest.fixture
def medusa_mock(medusa_mock_server: str, request: pytest.FixtureRequest):
    """A ``MockClient`` in a fresh namespace of the session's mock server, logged in as the
    fixtures' admin; the namespace is dropped afterwards."""
    from .client import MockClient, MockControlError

    client = MockClient(
        medusa_mock_server,
        control_token=_option(request.config, "medusa_mock_token", TOKEN_ENV),
        allow_remote=True,  # a URL given on purpose (a CI service's name, say) is trusted
    )
    try:
        client.login()
    except MockControlError as error:
        if error.status != 401:
            raise
    yield client
    client.drop()


# --- one server for every xdist worker --------------------------------------------------


def _can_share() -> bool:
    try:
        import fcntl  # noqa: F401  (the lock that lets one worker start it: POSIX only)
    except ImportError:
        return False
    return True


_children: list[subprocess.Popen] = []  # kept, so that no Popen is collected while it runs


def _shared_server(folder: Path, controller_pid: int | None, token: str | None) -> str:
    """The URL of the run's shared server; the first worker to ask starts it."""
    import fcntl

    url_file = folder / "url"
    with open(folder / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if url_file.exists():
            return url_file.read_text()
        command = [sys.executable, "-m", "mock_server.testing.server", "--url-file", str(url_file)]
        if controller_pid:
            command += ["--parent-pid", str(controller_pid)]
        log_path = folder / "server.log"
        env = {k: v for k, v in os.environ.items() if k != TOKEN_ENV}
        if token:
            env[TOKEN_ENV] = token  # not on the command line, where ps shows it
        with open(log_path, "ab") as log:
            child = subprocess.Popen(
                command,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _children.append(child)
        (folder / "pid").write_text(str(child.pid))
        deadline = time.monotonic() + SHARED_START_TIMEOUT
        while not url_file.exists():
            if child.poll() is not None or time.monotonic() > deadline:
                child.kill()
                output = log_path.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"the shared mock server did not start:\n{output}")
            time.sleep(0.02)
        return url_file.read_text()


def _stop_shared(folder: Path, timeout: float = 10.0) -> None:
    """Stop the shared server a worker started, if one did (SIGTERM, then SIGKILL)."""
    try:
        pid = int((folder / "pid").read_text())
    except (OSError, ValueError):
        return
    for sig, wait in ((signal.SIGTERM, timeout), (getattr(signal, "SIGKILL", signal.SIGTERM), 1.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.02)
