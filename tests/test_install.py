"""The package as a user gets it: built as a wheel, installed with pip into a fresh virtualenv
that cannot see the checkout, and run from a folder outside it.

Without extras it serves (the default contract and fixtures travel inside the wheel), starts a
fixtures folder with ``init``, and the commands that need the contract tooling say in one line
which extra to install. With the ``contract`` extra, ``snapshot`` works. The versions come from
requirements.lock (as constraints), so pip takes them from its cache.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import zipfile
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from helpers import ADMIN, CAPTURED, ROOT, free_port

HINT = "needs the contract tooling: pip install 'medusa-payments-mock[contract]'"


class Installed:
    def __init__(self, work: Path, wheel: Path) -> None:
        self.work = work
        self.wheel = wheel
        self.venv = work / "venv"
        self.bin = self.venv / "bin"
        path = os.pathsep.join([str(self.bin), os.environ.get("PATH", "")])
        # nothing that points back at the checkout or at the test environment; and bytecode
        # is written, as in a user's venv (pip --no-compile below leaves it to the first run)
        self.env = {
            k: v
            for k, v in os.environ.items()
            if k
            not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONDONTWRITEBYTECODE")
        }
        self.env["PATH"] = path

    def pip_install(self, requirement: str) -> None:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "--python",
                str(self.bin / "python"),
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-compile",
                "--constraint",
                str(ROOT / "requirements.lock"),
                requirement,
            ],
            cwd=self.work,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stdout + done.stderr

    def run(self, *args: str, cwd: Path | None = None, timeout: float = 60):
        return subprocess.run(
            [str(self.bin / args[0]), *args[1:]],
            cwd=cwd or self.work,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    work = tmp_path_factory.mktemp("install")
    assert not work.resolve().is_relative_to(ROOT)
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--wheel-dir",
            str(work / "dist"),
            str(ROOT),
        ],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (work / "dist").glob("medusa_payments_mock-*.whl")
    made = subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(work / "venv")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    installed = Installed(work, wheel)
    installed.pip_install(str(wheel))
    return installed


def test_the_wheel_carries_the_top_level_contract_and_fixtures(installed):
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())
        for folder in ("specs", "fixtures"):
            for source in sorted((ROOT / folder).iterdir()):
                packaged = f"mock_server/_data/{folder}/{source.name}"
                assert packaged in names
                assert wheel.read(packaged) == source.read_bytes()
        assert "mock_server/_data/schemathesis.toml" in names
        for name in ("diff_scenario.yaml", "diff_allowlist.yaml"):  # make diff's data
            source = ROOT / "mock_server" / "tooling" / name
            assert wheel.read(f"mock_server/tooling/{name}") == source.read_bytes()
        assert not any(n.startswith(("tests/", "specs/", "fixtures/")) for n in names)


def test_installed_without_extras_imports_from_the_venv_only(installed):
    where = installed.run(
        "python",
        "-c",
        "import importlib.util, mock_server, mock_server.config"
        " as c; print(mock_server.__file__); print(c.Config.spec);"
        " print(importlib.util.find_spec('httpx'))",
    )
    assert where.returncode == 0, where.stderr
    module, spec, httpx_spec = where.stdout.splitlines()
    site = installed.venv.resolve()
    assert Path(module).resolve().is_relative_to(site)
    assert Path(spec).resolve() == Path(module).resolve().parent / "_data" / "specs"
    assert httpx_spec == "None"  # so serving below proves the server never needs it


@contextmanager
def serving(installed: Installed, cwd: Path, *args: str):
    """``mock-server serve`` of the venv, run in ``cwd``, on a free loopback port: its URL."""
    port = free_port()
    server = subprocess.Popen(
        [
            str(installed.bin / "mock-server"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            *args,
        ],
        cwd=cwd,
        env=installed.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, server.stdout.read().decode()
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "no answer on /health"
            time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        server.wait(10)


def test_serves_from_any_folder_logs_in_and_refunds(installed, tmp_path):
    with serving(installed, tmp_path) as url, httpx.Client(base_url=url, timeout=5) as client:
        login = client.post("/auth/user/emailpass", json=ADMIN)
        assert login.status_code == 200, login.text
        token = login.json()["token"]
        refund = client.post(
            f"/admin/payments/{CAPTURED}/refund",
            json={"amount": 10},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert refund.status_code == 200, refund.text
        payment = refund.json()["payment"]
        assert payment["id"] == CAPTURED
        assert [r["amount"] for r in payment["refunds"]] == [10]
        # the dashboard's files travel inside the package
        ui = ROOT / "mock_server" / "control" / "ui"
        for path, name in [
            ("/__mock/ui", "index.html"),
            ("/__mock/ui/ui.js", "ui.js"),
            ("/__mock/ui/ui.css", "ui.css"),
            ("/__mock/ui/favicon.svg", "favicon.svg"),
        ]:
            served = client.get(path)
            assert (served.status_code, served.content) == (200, (ui / name).read_bytes()), path


@pytest.mark.parametrize(
    "args",
    [
        ("mock-server", "snapshot", "--base-url", "http://127.0.0.1:9"),
        ("mock-server", "snapshot", "--help"),
        ("mock-server", "contract", "--base-url", "http://127.0.0.1:9"),
        ("python", "-m", "mock_server.tooling.diff"),
        ("mock-server", "diff", "--real", "http://127.0.0.1:9"),
    ],
    ids=["snapshot", "snapshot-help", "contract", "diff", "mock-server-diff"],
)
def test_contract_commands_without_the_extra_name_it_in_one_line(installed, args):
    done = installed.run(*args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    prog = "python -m mock_server.tooling.diff" if args[0] == "python" else f"mock-server {args[1]}"
    assert done.stderr == f"{prog}: {HINT}\n"
    assert done.stdout == ""


def test_init_writes_fixtures_that_load_and_never_overwrites_unasked(installed, tmp_path):
    target = tmp_path / "my-fixtures"
    done = installed.run("mock-server", "init", str(target), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    written = sorted(p.name for p in target.iterdir())
    assert written == sorted(p.name for p in (ROOT / "fixtures").iterdir())
    assert f"mock-server serve --fixtures {target}" in done.stdout
    check = installed.run("mock-server", "check-fixtures", str(target))
    assert check.returncode == 0, check.stderr
    assert check.stdout.startswith(f"ok: {target}: 10 payments, 3 refund reasons, 1 users")

    edited = target / written[0]
    edited.write_text("# mine\n")
    again = installed.run("mock-server", "init", str(target))
    assert again.returncode == 1
    assert f"{edited} exists (--force to overwrite)" in again.stderr
    assert edited.read_text() == "# mine\n"
    forced = installed.run("mock-server", "init", "--force", str(target))
    assert forced.returncode == 0, forced.stderr
    assert edited.read_bytes() == (ROOT / "fixtures" / written[0]).read_bytes()


def test_with_the_contract_extra_snapshot_works(installed, tmp_path):
    """Last: installs the extra into the same venv (the tests above need it absent)."""
    installed.pip_install(f"medusa-payments-mock[contract] @ {installed.wheel.as_uri()}")
    out = tmp_path / "snapshot.yaml"
    with serving(installed, tmp_path) as url:
        snap = installed.run(
            "mock-server",
            "snapshot",
            "--base-url",
            url,
            "--email",
            ADMIN["email"],
            "--password",
            ADMIN["password"],
            "-o",
            str(out),
            cwd=tmp_path,
        )
    assert snap.returncode == 0, snap.stderr
    check = installed.run("mock-server", "check-fixtures", str(out))
    assert check.returncode == 0, check.stderr
    assert ": 10 payments, 3 refund reasons, 1 users" in check.stdout
    # the diff finds its scenario and allow-list inside the installed package, from anywhere
    loaded = installed.run(
        "python",
        "-c",
        "from mock_server.tooling.scenario import load_allow, load_scenario;"
        "print(len(load_scenario().steps), load_allow())",
        cwd=tmp_path,
    )
    assert (loaded.returncode, loaded.stdout) == (0, "271 []\n"), loaded.stderr
