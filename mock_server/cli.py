"""``mock-server``: serve the mock, check fixture files, start a fixtures folder; with the
``contract`` extra, check a backend against the contract or snapshot it."""

from __future__ import annotations

import argparse
import importlib
import sys
import threading
from pathlib import Path

from . import __version__
from .backend import fixtures
from .web import contract as spec
from .config import Config
from .control.faults import MAX_DELAY_MS, parse_latency
from .extras import NEEDS, missing_hint
from .web import parsing
from .web.cors import parse_origins
from .web.transport import Limits

# The commands served by this module alone: when one of them runs, the contract tooling's
# subcommands are listed without their arguments, so their modules (about 25 ms to import)
# are not imported.
OWN_COMMANDS = ("serve", "check-fixtures", "init")

# Each entry holds up to two 16 KiB bodies; a million of them is already gigabytes.
MAX_JOURNAL_SIZE = 1_000_000


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    if command in NEEDS:
        hint = missing_hint(command, prog=f"mock-server {command}")
        if hint:  # before argparse: its own errors would hide what is really missing
            print(hint, file=sys.stderr)
            return 2
    parser = argparse.ArgumentParser(
        prog="mock-server", description=("A stateful mock of the Medusa 2.21.2 admin payments API.")
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the mock over HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=9000)
    serve.add_argument("--spec", type=Path, default=Config.spec, help="OpenAPI file or folder")
    serve.add_argument("--fixtures", type=Path, default=Config.fixtures, help="fixture file or folder")
    serve.add_argument(
        "--validate-responses",
        action="store_true",
        help="check every response against the spec; a mismatch answers 500",
    )
    serve.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    serve.add_argument(
        "--admin-cors",
        help="comma-separated origins allowed on /admin (default: $ADMIN_CORS or Medusa's starter defaults)",
    )
    serve.add_argument(
        "--auth-cors",
        help="comma-separated origins allowed on /auth (default: $AUTH_CORS or Medusa's starter defaults)",
    )
    serve.add_argument("--no-control", action="store_true", help="disable the /__mock API")
    serve.add_argument(
        "--control-token",
        type=_control_token,
        metavar="T",
        help="require T in the X-Mock-Control-Token header of every /__mock request "
        "(default: $MOCK_CONTROL_TOKEN; none: /__mock is open to loopback callers)",
    )
    serve.add_argument(
        "--journal-size",
        type=_journal_size,
        default=Config.journal_size,
        metavar="N",
        help=f"requests the journal (/__mock/requests) keeps, newest last (default "
        f"{Config.journal_size}, at most {MAX_JOURNAL_SIZE}; 0 turns it off)",
    )
    serve.add_argument(
        "--latency",
        type=_latency,
        metavar="MS|MIN-MAX",
        help="delay every Medusa answer by MS milliseconds, or by a random delay from MIN "
        f"to MAX (at most {MAX_DELAY_MS})",
    )
    serve.add_argument(
        "--watch",
        action="store_true",
        help="reload the fixtures and the spec when a file under them changes: a valid change "
        "resets every namespace to it; an invalid one is logged and the old state kept",
    )
    serve.add_argument(
        "--namespace-ttl",
        type=_bounded(float, 1, 30 * 86400, "the namespace ttl is a number of seconds"),
        default=Config.namespace_ttl,
        metavar="S",
        help="drop a namespace (x-mock-namespace, /__ns/NAME) unused for S seconds "
        f"(default {Config.namespace_ttl:g}; the default namespace stays)",
    )
    serve.add_argument(
        "--max-namespaces",
        type=_bounded(int, 0, 1_000_000, "the namespace limit is a whole number"),
        default=Config.max_namespaces,
        metavar="N",
        help=f"namespaces besides the default one, at most (default {Config.max_namespaces}); "
        "a request for one more is answered 429",
    )
    limits = Limits()
    serve.add_argument(
        "--headers-timeout",
        type=float,
        default=limits.headers_timeout,
        metavar="S",
        help="close a connection that has not sent a complete "
        "request head in S seconds, with 408 (Node's default: 60)",
    )
    serve.add_argument(
        "--request-timeout",
        type=float,
        default=limits.request_timeout,
        metavar="S",
        help="the same for a whole request, body included (Node's default: 300)",
    )
    serve.add_argument(
        "--keep-alive-timeout",
        type=float,
        default=limits.keep_alive_timeout,
        metavar="S",
        help="close an idle keep-alive connection after S seconds (Node's default: 5)",
    )
    serve.add_argument(
        "--max-connections",
        type=int,
        default=limits.max_connections,
        metavar="N",
        help="open connections at most; a new one beyond closes "
        "the one idle the longest (kept under the file descriptor limit)",
    )

    check = commands.add_parser("check-fixtures", help="validate fixture files")
    check.add_argument("paths", nargs="+", type=Path)

    init = commands.add_parser(
        "init",
        help="write the default fixtures into a folder, to start your own from",
        description="Write the default fixture files (refund reasons, the admin user, demo "
        "payments) into DIR, then serve them with `mock-server serve --fixtures DIR`. Only "
        "fixtures are written: the contract stays the packaged one (`serve --spec` takes "
        "another). Existing files are left alone unless --force.",
    )
    init.add_argument("dir", type=Path, metavar="DIR")
    init.add_argument("--force", action="store_true", help="overwrite files that exist")

    contract = commands.add_parser(
        "contract",
        help="check a running backend against the contract "
        "(Schemathesis); JUnit report; exit 0 pass / 1 fail / 2 error. "
        "Needs the contract extra",
    )
    if command not in OWN_COMMANDS:
        _lazy("contract").add_arguments(contract)

    snapshot = commands.add_parser(
        "snapshot",
        help="read payments and refund reasons from a "
        "running backend and print them as a fixture file. "
        "Needs the contract extra",
    )
    if command not in OWN_COMMANDS:
        _lazy("snapshot").add_arguments(snapshot)

    diff = commands.add_parser(
        "diff",
        help="send the same requests (generated from the specs with a seed, or the scripted "
        "scenario) to a real backend and to the mock started from a snapshot of it; "
        "differences grouped by route and statuses; exit 0 none / 1 some / 2 error. "
        "Needs the contract extra",
        description="Send the same requests to a real Medusa and to the mock started from a "
        "snapshot of it, and report where they answer differently.",
    )
    if command not in OWN_COMMANDS:
        _lazy("diff").add_arguments(diff)

    args = parser.parse_args(argv)
    if args.command in ("contract", "snapshot", "diff"):
        return _lazy(args.command).main(args)
    if args.command == "serve":
        return _serve(args)
    if args.command == "init":
        return _init(args.dir, force=args.force)
    return _check(args.paths)


def _control_token(text: str) -> str:
    from .control.routes import check_token

    try:
        return check_token(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _journal_size(text: str) -> int:
    size = int(text) if text.isascii() and text.isdigit() and len(text) <= 7 else -1
    if not 0 <= size <= MAX_JOURNAL_SIZE:
        raise argparse.ArgumentTypeError(
            f"the journal size is a whole number from 0 (off) to {MAX_JOURNAL_SIZE}, not {text!r}"
        )
    return size


def _bounded(kind, low, high, what: str):
    """An argparse type: ``kind(text)`` from ``low`` to ``high``, else a clear error."""

    def convert(text: str):
        try:
            value = kind(text) if len(text) <= 20 else None
        except ValueError:
            value = None
        if value is None or not low <= value <= high or value != value:
            raise argparse.ArgumentTypeError(f"{what} from {low} to {high}, not {text[:40]!r}")
        return value

    return convert


def _latency(text: str) -> str:
    """Checked now (a bad value is an argparse error, exit 2); ``Config`` keeps the text."""
    try:
        parse_latency(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _lazy(name: str):
    """The module behind a subcommand, imported only when needed (Schemathesis is heavy)."""
    module = {"diff": "diffcmd"}.get(name, name)
    return importlib.import_module(f"{__package__}.tooling.{module}")


def _warm() -> None:
    """Import what the first request of some kinds would otherwise import on the event
    loop: jsonschema, for the first invalid request's messages (``contract.warm``), qs_codec
    for the first query string (``parsing.qs``), and
    anyio's asyncio backend, for the first call to the thread pool (a new namespace's
    state, a load, a reset: 23 ms on this machine). anyio imports its backend by this name
    (``anyio._core._eventloop``); should it move, the first such call imports it."""
    parsing.qs()
    spec.warm()
    try:
        importlib.import_module("anyio._backends._asyncio")
    except ImportError:
        pass


def _serve(args) -> int:
    import logging

    from .web import transport
    from .web.app import create_app

    overrides = dict(
        spec=args.spec,
        fixtures=args.fixtures,
        host=args.host,
        port=args.port,
        validate_responses=args.validate_responses,
        log_level=args.log_level,
        control=not args.no_control,
        control_token=args.control_token,
        journal_size=args.journal_size,
        latency=args.latency,
        namespace_ttl=args.namespace_ttl,
        max_namespaces=args.max_namespaces,
        watch=args.watch,
    )
    if args.admin_cors is not None:
        overrides["admin_cors"] = parse_origins(args.admin_cors)
    if args.auth_cors is not None:
        overrides["auth_cors"] = parse_origins(args.auth_cors)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s: %(message)s")
    config = Config.from_env(**overrides)
    from . import control

    if config.control_token is not None and args.control_token is None:
        try:
            control.check_token(config.control_token)
        except ValueError as exc:
            print(f"mock-server: cannot start: MOCK_CONTROL_TOKEN: {exc}", file=sys.stderr)
            return 2
    try:
        app = create_app(config)
    except (spec.SpecError, fixtures.FixtureError) as exc:
        print(f"mock-server: cannot start: {exc}", file=sys.stderr)
        return 2
    from .web import memory

    warning = control.exposure_warning(args.host, config.control, config.control_token is not None)
    if warning:
        print(warning, file=sys.stderr)
    memory.serve_mode()
    limits = Limits(
        headers_timeout=args.headers_timeout,
        request_timeout=args.request_timeout,
        keep_alive_timeout=args.keep_alive_timeout,
        max_connections=args.max_connections,
    )
    # What only some requests need is imported on a thread once the server listens: not
    # before (start-up), nor on the event loop later.
    warm = threading.Thread(target=_warm, name="mock-server-warm", daemon=True)
    return transport.run(
        app,
        warm.start,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        access_log=args.log_level == "debug",
        **transport.settings(limits),
    )


def _init(folder: Path, *, force: bool) -> int:
    source = Config.fixtures
    files = fixtures.files_in(source)
    targets = [folder / path.name for path in files]
    existing = [t for t in targets if t.exists()]
    if existing and not force:
        for target in existing:
            print(f"mock-server init: {target} exists (--force to overwrite)", file=sys.stderr)
        return 1
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for path, target in zip(files, targets, strict=True):
            target.write_bytes(path.read_bytes())
    except OSError as exc:
        print(f"mock-server init: {exc.filename or folder}: {exc.strerror}", file=sys.stderr)
        return 1
    for target in targets:
        print(f"wrote {target}")
    print(f"serve them with: mock-server serve --fixtures {folder}")
    return 0


def _check(paths: list[Path]) -> int:
    failures = 0
    for source in paths:
        try:
            files = fixtures.files_in(source)
            store = fixtures.build([fixtures.read(p) for p in files])
        except fixtures.FixtureError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failures += 1
            continue
        print(
            f"ok: {source}: {len(store.payments)} payments, "
            f"{len(store.refund_reasons)} refund reasons, {len(store.users)} users"
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
