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
