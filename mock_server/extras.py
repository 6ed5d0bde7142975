"""Which optional extra a subcommand needs, and the one-line hint when it is not installed.

``pip install medusa-payments-mock`` brings what serving needs (``serve``, ``check-fixtures``,
``init``); the contract tooling (httpx, Schemathesis) comes with the ``contract`` extra.
"""

from __future__ import annotations

import importlib.util

DISTRIBUTION = "medusa-payments-mock"

# command -> (extra, the modules it needs from that extra)
NEEDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "contract": ("contract", ("httpx", "schemathesis")),
    "snapshot": ("contract", ("httpx",)),
    "diff": ("contract", ("httpx", "schemathesis")),  # the generated run draws with Schemathesis
}


def missing_hint(command: str, prog: str = "mock-server") -> str | None:
    """``None`` when ``command`` can run, else the line to print (without a traceback)."""
    extra, modules = NEEDS[command]
    if all(importlib.util.find_spec(m) is not None for m in modules):
        return None
    return f"{prog}: needs the {extra} tooling: pip install '{DISTRIBUTION}[{extra}]'"
