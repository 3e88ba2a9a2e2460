"""Progress reporting: library code takes a callback `progress(done, total, label)`; the CLI draws a bar
only when stderr is a TTY (and never with --json), so logs and pipes stay clean."""

import sys
import time
from collections.abc import Callable

ProgressFn = Callable[[int, int, str], None]


def no_progress(done: int, total: int, label: str = "") -> None:
    return None


class Bar:
    """A one-line bar on stderr, redrawn at most 10 times a second."""

    def __init__(self, stream=None, width: int = 30):
        self.stream = stream or sys.stderr
        self.width = width
        self._last = 0.0
        self._shown = False

    def __call__(self, done: int, total: int, label: str = "") -> None:
        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        frac = done / total if total else 1.0
        filled = int(self.width * frac)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r[{bar}] {100 * frac:5.1f}% {label[:40]:<40}")
        self._shown = True
        if done >= total:
            self.close()

    def close(self) -> None:
        if self._shown:
            self.stream.write("\n")
            self.stream.flush()
            self._shown = False


def for_cli(json_mode: bool = False) -> ProgressFn:
    """A Bar on a TTY, else nothing."""
    if json_mode or not sys.stderr.isatty():
        return no_progress
    return Bar()
