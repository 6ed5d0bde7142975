"""Where a long run is: one updating line on a terminal, a plain line per stage otherwise.

Used by ``mock-server diff`` (the generated requests) and ``mock-server contract`` (the
Schemathesis operations). On a terminal the line is rewritten in place (``\\r``) with what is
being done, done/total and the failures so far; written to a file or a pipe (CI logs), the same
facts come as ordinary lines, one every ``every`` items and one at each new stage, so a log
never fills with carriage returns.
"""

from __future__ import annotations

import shutil
import sys
from typing import TextIO


class Progress:
    def __init__(
        self,
        label: str,
        total: int,
        *,
        stream: TextIO | None = None,
        every: int = 50,
        tty: bool | None = None,
    ) -> None:
        self.label = label
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.every = max(1, every)
        self.tty = tty if tty is not None else bool(getattr(self.stream, "isatty", lambda: False)())
        self._shown = False
        self._last_stage = ""

    def _line(self, done: int, what: str, failures: int, noun: str) -> str:
        tail = f"  ({failures} {noun} so far)" if noun else ""
        return f"{self.label}: {done}/{self.total} {what}{tail}"

    def update(self, done: int, what: str, failures: int = 0, *, noun: str = "differences") -> None:
        """``done`` of ``total`` finished, the last being ``what``."""
        line = self._line(done, what, failures, noun)
        if self.tty:
            width = shutil.get_terminal_size((100, 20)).columns - 1
            self.stream.write("\r" + line[:width].ljust(width))
            self.stream.flush()
            self._shown = True
        elif done % self.every == 0 or done == self.total:
            self.stream.write(line + "\n")
            self.stream.flush()

    def stage(self, text: str) -> None:
        """A new stage (``generating``, ``snapshot``, an operation): a line of its own."""
        if text == self._last_stage:
            return
        self._last_stage = text
        self._clear()
        self.stream.write(f"{self.label}: {text}\n")
        self.stream.flush()

    def _clear(self) -> None:
        if self.tty and self._shown:
            width = shutil.get_terminal_size((100, 20)).columns - 1
            self.stream.write("\r" + " " * width + "\r")
            self._shown = False

    def finish(self) -> None:
        self._clear()
        self.stream.flush()
