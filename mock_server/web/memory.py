"""How the serving process runs Python's garbage collector.

The mock's state only grows (every refund is kept, as Medusa keeps its rows; every
namespace has its journal), and CPython 3.11's collector is stop-the-world: a full
collection walks every tracked object, and even with what survived the last one frozen
(``gc.freeze``) it walked the tens of thousands of objects promoted since, every few
seconds under load: 25–50 ms pauses, the p99 of every route (benchmarks/PROFILE.md).

So, while serving (``serve_mode``):

* what survives any collection is frozen at once: an object is walked by the collector
  at most once, in the young generation, and the older generations stay empty, so no
  collection walks more than the objects made since the last one (under 1 ms, measured);
* the youngest generation is also collected every ``YOUNG_EVERY`` requests: objects that
  come from Python's free lists (a tuple, a dict, a list reused after another was freed)
  do not count towards the collector's own threshold, and a full journal makes each entry
  from the one it evicts. So on routes that allocate little else, tens of thousands of
  entries piled up between two collections, and that collection was a 50-100 ms pause
  (benchmarks/PROFILE.md). Bounded by requests, each such collection walks about what the
  last ``YOUNG_EVERY`` requests kept (a fraction of a millisecond);
* the price is that a reference cycle that becomes garbage after it was frozen is not
  collected then. None was found in steady serving (the collector collected nothing under
  ``make bench``'s load), but a closed connection's protocol and its last request form
  one. So once the server has been idle for ``IDLE`` seconds, if more than ``GROWTH``
  objects were frozen since, everything is unfrozen, collected once and frozen again
  (``release_dropped_state``). That full collection walks the whole heap (30-40 ms on
  the default state), so it waits for an idle server: a request that arrives during it
  waits for it; one that arrives while serving never waits for more than a young
  generation's walk.

A state dropped by ``/__mock/reset``, ``/__mock/load`` or a namespace's end has its
reference cycles broken first (``Store.dispose``), so it is freed by reference counting at
once and needs no collection at all.
"""

from __future__ import annotations

import asyncio
import gc

IDLE = 1.0  # seconds without a request before the frozen objects are collected again
GROWTH = 20_000  # ... if at least this many were frozen since the last time
YOUNG_EVERY = 128  # requests between two collections of the youngest generation

_active = False
_watching = False
activity = 0  # requests seen (``busy``); the idle check compares it over ``IDLE`` seconds
_frozen_at_release = 0


def _freeze_survivors(phase: str, info: dict) -> None:
    if phase == "stop":
        gc.freeze()


def serve_mode() -> None:
    """Switch the policy on for this process (``mock-server serve``)."""
    global _active, _frozen_at_release
    if not _active:
        # No collection first: start-up leaves no cyclic garbage (a full collection here
        # found none, on the default fixtures and the benchmark's, and cost 20-25 ms of a
        # start of 530), and any it did leave is freed by the first release below.
        gc.freeze()
        gc.callbacks.append(_freeze_survivors)
        _frozen_at_release = gc.get_freeze_count()
        _active = True


def busy() -> None:
    """One request on the event loop (the idle check's clock; the first starts it); every
    ``YOUNG_EVERY`` requests, a collection of the youngest generation."""
    global activity, _watching
    activity += 1
    if not _active:
        return
    if not activity % YOUNG_EVERY:
        gc.collect(0)
    if not _watching:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        _watching = True
        loop.call_later(IDLE, _check_idle, loop, activity)


def _check_idle(loop, seen: int) -> None:
    global _watching
    if activity == seen:  # no request for IDLE seconds
        if gc.get_freeze_count() - _frozen_at_release > GROWTH:
            release_dropped_state()
        _watching = False  # the next request starts the clock again
        return
    loop.call_later(IDLE, _check_idle, loop, activity)


def release_dropped_state() -> None:
    """After the store was replaced, or when idle: let what is no longer used be collected."""
    global _frozen_at_release
    if _active:
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        _frozen_at_release = gc.get_freeze_count()
