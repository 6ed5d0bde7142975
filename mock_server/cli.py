"""``mock-server``: serve the mock, or check fixture files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__, fixtures, spec
from .config import Config
from .cors import parse_origins


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mock-server", description=(
        "A stateful mock of the Medusa 2.21.2 admin payments API."))
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the mock over HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=9000)
    serve.add_argument("--spec", type=Path, default=Config.spec, help="OpenAPI file or folder")
    serve.add_argument("--fixtures", type=Path, default=Config.fixtures,
                       help="fixture file or folder")
    serve.add_argument("--validate-responses", action="store_true",
                       help="check every response against the spec; a mismatch answers 500")
    serve.add_argument("--log-level", default="info",
                       choices=["critical", "error", "warning", "info", "debug"])
    serve.add_argument("--admin-cors", help="comma-separated origins allowed on /admin "
                       "(default: $ADMIN_CORS or Medusa's starter defaults)")
    serve.add_argument("--auth-cors", help="comma-separated origins allowed on /auth "
                       "(default: $AUTH_CORS or Medusa's starter defaults)")
    serve.add_argument("--no-control", action="store_true", help="disable the /__mock API")

    check = commands.add_parser("check-fixtures", help="validate fixture files")
    check.add_argument("paths", nargs="+", type=Path)

    contract = commands.add_parser("contract", help="check a running backend against the contract "
                                   "(Schemathesis); JUnit report; exit 0 pass / 1 fail / 2 error")
    _lazy("contract").add_arguments(contract)

    snapshot = commands.add_parser("snapshot", help="read payments and refund reasons from a "
                                   "running backend and print them as a fixture file")
    _lazy("snapshot").add_arguments(snapshot)

    args = parser.parse_args(argv)
    if args.command in ("contract", "snapshot"):
        return _lazy(args.command).main(args)
    if args.command == "serve":
        return _serve(args)
    return _check(args.paths)


def _lazy(name: str):
    """The module behind a subcommand, imported only when needed (Schemathesis is heavy)."""
    import importlib

    return importlib.import_module(f"{__package__}.{name}")


def _serve(args) -> int:
    import logging

    import uvicorn

    from .app import create_app

    overrides = dict(spec=args.spec, fixtures=args.fixtures, host=args.host, port=args.port,
                     validate_responses=args.validate_responses, log_level=args.log_level,
                     control=not args.no_control)
    if args.admin_cors is not None:
        overrides["admin_cors"] = parse_origins(args.admin_cors)
    if args.auth_cors is not None:
        overrides["auth_cors"] = parse_origins(args.auth_cors)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s: %(message)s")
    try:
        app = create_app(Config.from_env(**overrides))
    except (spec.SpecError, fixtures.FixtureError) as exc:
        print(f"mock-server: cannot start: {exc}", file=sys.stderr)
        return 2
    from . import control, memory

    warning = control.exposure_warning(args.host, not args.no_control)
    if warning:
        print(warning, file=sys.stderr)
    memory.serve_mode()
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level,
                server_header=False, access_log=args.log_level == "debug")
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
        print(f"ok: {source}: {len(store.payments)} payments, "
              f"{len(store.refund_reasons)} refund reasons, {len(store.users)} users")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
