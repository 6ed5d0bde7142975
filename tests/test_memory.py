"""The serving GC policy (mock_server/web/memory.py) must not keep dropped state alive."""

from __future__ import annotations

import subprocess
import sys

from helpers import ROOT

SCRIPT = """
import gc, weakref
from mock_server.web import memory
from mock_server.web.app import Mock
from mock_server.config import Config

mock = Mock(Config())
memory.serve_mode()
assert gc.get_freeze_count() > 0
old = weakref.ref(mock.store)
gc.collect()                      # a full collection while serving: the store gets frozen
assert old() is not None and gc.get_freeze_count() > 0
mock.reset()                      # drops that store
assert old() is None, "the dropped store is still alive"
assert mock.store is not None and len(mock.store.payments) == 10
print("ok")
"""


def test_reset_frees_the_frozen_old_state():
    # in a child process: the policy changes the interpreter's collector for good
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


IDLE_SCRIPT = """
import asyncio, gc, weakref
from mock_server.web import memory

memory.serve_mode()
memory.IDLE, memory.GROWTH = 0.05, 100

class Node:
    pass

async def main():
    memory.busy()                     # a request: the idle clock starts
    a, b = Node(), Node()
    a.other, b.other = b, a           # a reference cycle
    kept = [Node() for _ in range(500)]
    gc.collect(0)                     # what survives a collection is frozen
    ref = weakref.ref(a)
    del a, b                          # the cycle is garbage now, but frozen
    gc.collect(1)
    assert ref() is not None, "a young collection walked a frozen object"
    for _ in range(3):                # still busy: nothing is collected
        await asyncio.sleep(0.03)
        memory.busy()
    assert ref() is not None
    await asyncio.sleep(0.2)          # idle: the frozen objects are collected once
    assert ref() is None, "the cycle frozen while serving was never collected"
    assert gc.get_freeze_count() >= len(kept)

asyncio.run(main())
print("ok")
"""


def test_cycles_frozen_while_serving_are_collected_once_idle():
    done = subprocess.run([sys.executable, "-c", IDLE_SCRIPT], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


YOUNG_SCRIPT = """
import collections, gc
from mock_server.web import memory

memory.serve_mode()
journal = collections.deque(maxlen=1000)     # a full journal: each new entry evicts one
for i in range(1000):
    journal.append((i, "GET", b"", None, 200, b"{}", 0.1))

def young_after(requests):
    gc.collect(0)
    for i in range(requests):
        memory.busy()
        # a tuple from the free list (the evicted entry's): the collector's count of new
        # objects does not move, so no collection of its own would come
        journal.append(tuple([i, "GET", b"", None, 200, b"{}", 0.1]))
    return len(gc.get_objects(0))

print(young_after(3 * memory.YOUNG_EVERY))
"""


def test_the_young_generation_is_bounded_by_requests_while_serving():
    """Entries a full journal recycles from Python's free lists do not count towards the
    collector's own threshold, so without a bound the youngest generation grew to tens of
    thousands of them between two collections, and that collection was a 50-100 ms pause
    (benchmarks/PROFILE.md). While serving, it is collected every ``YOUNG_EVERY`` requests."""
    done = subprocess.run([sys.executable, "-c", YOUNG_SCRIPT], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    from mock_server.web import memory

    assert int(done.stdout) <= memory.YOUNG_EVERY


NO_CYCLES_SCRIPT = """
import asyncio, gc
from decimal import Decimal
from mock_server.backend import payments
from mock_server.web.app import Mock
from mock_server.config import Config

CAPTURED = "pay_01KDEM0CAPTVRED00000000000"
PARTLY = "pay_01KDEM0PARTCAPT00000000000"

def use(store):
    payments.refund(store, CAPTURED, amount=Decimal(1), refund_reason_id=None, note="n", actor_id="user_1")
    payments.capture(store, PARTLY, amount=Decimal(1), actor_id="user_1")

mock = Mock(Config())
named = asyncio.run(mock.namespaces.get("t-1"))
gc.collect()
gc.disable()                       # from here on, only reference counting frees anything
use(mock.store)
use(named.store)
mock.reset()
assert gc.collect() == 0, "a reset left garbage only the collector frees"
use(mock.store)
mock.load(mock.namespaces.default.files)
assert gc.collect() == 0, "a load left garbage only the collector frees"
del named
assert mock.namespaces.drop("t-1") is not None
assert gc.collect() == 0, "a dropped namespace left garbage only the collector frees"
print("ok")
"""


def test_a_dropped_state_is_freed_without_the_collector():
    """Reset, load and a namespace's end free the state they drop by reference counting
    (``Store.dispose`` breaks its cycles): no full collection of the heap, a pause of tens
    of milliseconds, is needed for it."""
    done = subprocess.run([sys.executable, "-c", NO_CYCLES_SCRIPT], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
