"""What `mock-server serve` imports before it listens, and what it leaves for later: the
Python JSON Schema validator (jsonschema, referencing) is only needed for the messages of
an invalid request or a bad spec or fixture file, and the contract tooling only for its own
subcommands. Importing them took about a quarter of start-up (benchmarks/PROFILE.md)."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx

from helpers import CAPTURED, ROOT, LiveServer, login

LATER = ("jsonschema", "referencing", "mock_server.tooling")  # packages, by their full names


# `serve` as far as the moment it would listen: the arguments parsed, the app built, the
# garbage collector's serving mode on; then the modules of ``packages`` imported so far.
def _up_to_listening(packages: tuple[str, ...]) -> str:
    return f"""
import sys
from mock_server import cli
from mock_server.web import transport

def listening(app, on_serving, **settings):
    print(sorted(m for m in sys.modules if any(m == p or m.startswith(p + ".") for p in {packages!r})))
    return 0

transport.run = listening
sys.exit(cli.main(["serve", "--port", "9"]))
"""


def _imported_before_listening(packages: tuple[str, ...], env: dict | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _up_to_listening(packages)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_serve_imports_neither_jsonschema_nor_the_tooling_before_it_listens():
    assert _imported_before_listening(LATER) == "[]"


def test_a_start_whose_spec_and_fixtures_come_from_the_cache_does_not_import_pyyaml(tmp_path):
    """The first start parses specs/ and fixtures/ with PyYAML and keeps them
    (mock_server/filecache.py); the next one reads them back and never imports it."""
    env = {k: v for k, v in os.environ.items() if k != "MOCK_SPEC_CACHE"}
    env["XDG_CACHE_HOME"] = str(tmp_path)
    assert "'yaml'" in _imported_before_listening(("yaml", "mock_server.backend.yamlload"), env)
    kept = sorted(p.name.split("-")[0] for p in (tmp_path / "medusa-payments-mock").iterdir())
    assert kept == ["fixture", "fixture", "fixture", "spec"]
    assert _imported_before_listening(("yaml", "mock_server.backend.yamlload"), env) == "[]"


def test_an_invalid_request_first_thing_after_start_up_gets_medusas_message():
    """The first request a fresh server answers is an invalid refund: its message needs the
    Python validator, which the server may still be importing on its warm-up thread."""
    server = LiveServer()
    try:
        with httpx.Client(base_url=server.url) as client:
            token = login(client)
            response = client.post(
                f"/admin/payments/{CAPTURED}/refund",
                json={"amount": "abc"},
                headers={"Authorization": f"Bearer {token}"},
            )
        assert response.status_code == 400
        assert response.json() == {
            "type": "invalid_data",
            "message": "Invalid request: Expected type: 'number' for field 'amount', got: 'abc'",
        }
    finally:
        server.stop()


def test_a_bad_schema_in_the_spec_still_stops_start_up_with_its_path(tmp_path):
    """jsonschema_rs finds the schema invalid; the Python validator, imported then, words it."""
    spec = (ROOT / "specs" / "medusa-admin-payments.yaml").read_text()
    marker = "\n  schemas:\n"  # components/schemas
    assert marker in spec
    bad = spec.replace(marker, marker + "    Broken:\n      type: 12\n", 1)
    (tmp_path / "spec.yaml").write_text(bad)
    done = subprocess.run(
        [sys.executable, "-m", "mock_server", "serve", "--port", "9", "--spec", str(tmp_path / "spec.yaml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert (
        "at /components/schemas/Broken/type: invalid schema: 12 is not valid under any of the given schemas"
        in (done.stderr)
    ), done.stderr
