"""How the serving process runs Python's garbage collector.

The mock's state only grows (every refund is kept, as Medusa keeps its rows), and CPython
3.11's full collection walks every tracked object: with a few hundred thousand refunds that
is a 50–100 ms pause in the middle of serving (benchmarks/PROFILE.md). So, while serving,
what survives a full collection is frozen (``gc.freeze``): later full collections only walk
what is newer. State that is dropped (``/__mock/reset``, ``/__mock/load``) is freed by
``release_dropped_state``, which unfreezes, collects once and freezes again.
"""

from __future__ import annotations

import asyncio
import gc

_active = False
_scheduled = False


def _freeze_survivors(phase: str, info: dict) -> None:
    if phase == "stop" and info.get("generation") == 2:
        gc.freeze()


def serve_mode() -> None:
    """Switch the policy on for this process (``mock-server serve``)."""
    global _active
    if not _active:
        gc.collect()
        gc.freeze()
        gc.callbacks.append(_freeze_survivors)
        _active = True


def release_dropped_state() -> None:
    """After the store was replaced: let the old one be collected."""
    if _active:
        gc.unfreeze()
        gc.collect()
        gc.freeze()


def release_dropped_state_soon(delay: float = 1.0) -> None:
    """``release_dropped_state`` once, ``delay`` seconds from now on the running event loop
    (at once without one): namespaces dropped one after the other (a test suite's
    teardowns, an expiry sweep) cost one full collection, not one each."""
    global _scheduled
    if not _active:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        release_dropped_state()
        return
    if not _scheduled:
        _scheduled = True
        loop.call_later(delay, _release_scheduled)


def _release_scheduled() -> None:
    global _scheduled
    _scheduled = False
    release_dropped_state()
