"""A mock server on a free loopback port, started and stopped from Python.

``MockServer`` serves the app with uvicorn in a background thread of the calling process.
The socket is bound (port 0) before uvicorn starts, so the port is known without the race
of picking a free port and binding it later; the app is built in the caller's thread, so
a bad spec or fixture raises there::

    with MockServer() as server:
        client = MockClient(server.url)

Why a thread and not a child process: the server starts in the time the app takes to
build (the contract and fixtures, under a second), with no second interpreter to start
and nothing to leave behind if the test process dies. The one case that needs a process
of its own is a server shared by several test processes (pytest-xdist workers: no worker
outlives the others reliably); ``python -m mock_server.testing.server`` runs the same
server in its main thread for that, writes its URL to ``--url-file`` once it listens and
stops on SIGTERM or when the process ``--parent-pid`` names has gone
(``pytest_plugin`` starts it; a control token comes from ``MOCK_CONTROL_TOKEN``, as for
``mock-server serve``). Both serve as ``mock-server serve`` does: the same HTTP
protocol and limits, no ``Server`` header."""

from __future__ import annotations

import argparse
import os
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

__all__ = ["MockServer", "ServerError"]

START_TIMEOUT = 30.0


class ServerError(RuntimeError):
    """The server could not start (or stop) in time."""


class MockServer:
    """A mock server on ``host`` (a loopback address) at a free port, in a thread.

    ``spec``, ``fixtures``, ``control_token`` and any other ``Config`` field (``journal_size``,
    ``latency``, ...) as ``mock-server serve`` takes them; defaults: the packaged contract
    and fixtures, no control token."""

    def __init__(self, *, host: str = "127.0.0.1", log_level: str = "warning", **config: Any) -> None:
        self.host = host
        self.log_level = log_level
        self.config = config
        self.port: int | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise ServerError("the server is not started")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def __enter__(self) -> MockServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, timeout: float = START_TIMEOUT) -> str:
        """Build the app, bind the socket, serve; the URL once it accepts connections."""
        if self._thread is not None:
            return self.url
        server, sock = self._prepare(log_config=None)  # the test process's logging stays its own
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"mock-server:{self.port}", daemon=True
        )
        self._server, self._socket, self._thread = server, sock, thread
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise ServerError(f"the mock server on port {self.port} did not start within {timeout:g} s")
            time.sleep(0.005)
        return self.url

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving (open connections are closed) and release the port."""
        server, thread, sock = self._server, self._thread, self._socket
        self._server = self._thread = self._socket = None
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                server.force_exit = True
                thread.join(timeout)
        if sock is not None:
            sock.close()

    def _prepare(self, log_config: Any) -> tuple[Any, socket.socket]:
        import uvicorn

        from ..config import Config
        from ..web.app import create_app
        from ..web import transport

        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.bind((self.host, 0))
            sock.listen(socket.SOMAXCONN)
            sock.setblocking(False)
            self.port = sock.getsockname()[1]
            config = Config.from_env(host=self.host, port=self.port, log_level=self.log_level, **self.config)
            app = create_app(config)
        except BaseException:
            sock.close()
            raise
        server = uvicorn.Server(
            uvicorn.Config(
                app,
                log_level=self.log_level,
                log_config=log_config,
                access_log=False,
                lifespan="off",
                **transport.settings(transport.Limits()),  # as `mock-server serve`
            )
        )
        return server, sock


def _watch_parent(pid: int, server: Any) -> None:
    """Ask ``server`` to stop once process ``pid`` has gone (checked every second)."""
    while not server.should_exit:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            server.should_exit = True
            return
        except PermissionError:
            pass  # alive, owned by someone else
        time.sleep(1.0)


def main(argv: list[str] | None = None) -> int:
    """``python -m mock_server.testing.server``: one shared mock server in this process."""
    parser = argparse.ArgumentParser(prog="python -m mock_server.testing.server")
    parser.add_argument("--url-file", type=Path, required=True, help="written with the URL once listening")
    parser.add_argument("--parent-pid", type=int, help="stop when this process has gone")
    parser.add_argument("--spec", type=Path)
    parser.add_argument("--fixtures", type=Path)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    config = {k: v for k, v in (("spec", args.spec), ("fixtures", args.fixtures)) if v is not None}
    mock = MockServer(log_level=args.log_level, **config)
    server, sock = mock._prepare(log_config=_default_log_config())
    if args.parent_pid:
        threading.Thread(target=_watch_parent, args=(args.parent_pid, server), daemon=True).start()

    def announce() -> None:  # once the server accepts connections
        while not server.started and not server.should_exit:
            time.sleep(0.005)
        if server.started:
            partial = args.url_file.with_name(args.url_file.name + ".part")
            partial.write_text(mock.url)
            partial.replace(args.url_file)  # appears whole or not at all

    threading.Thread(target=announce, daemon=True).start()
    server.run(sockets=[sock])  # in the main thread: SIGTERM and SIGINT stop it
    return 0


def _default_log_config() -> Any:
    from uvicorn.config import LOGGING_CONFIG

    return LOGGING_CONFIG


if __name__ == "__main__":
    sys.exit(main())
