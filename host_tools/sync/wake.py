"""Reaching a token that sleeps: how long a station keeps knocking, and the line it shows meanwhile.

An eco token deep-sleeps between short awake times (firmware/README.md, "Profiles"): between its wake windows
with the clock set, between 3 s pulses every 30 s without. A station's `hello` therefore has to be retried for
a whole sleep; the token's first console byte keeps it awake for the rest of the session. The default wait is
derived from the firmware's own profiles (bzfw.config), so a change of timings there moves it too."""

import os
import sys
import time

from bzfw import config as fwconfig

WAKE_MARGIN_S = 10.0  # boot, USB enumeration and a try's own answer time on top of the longest sleep
ENV_WAIT = "BZTOKEN_WAKE_WAIT"  # seconds; overrides the default for every command (provision has no option)


def longest_sleep_s() -> float:
    """The longest deep sleep of any profile in bzfw.config.PROFILES, clock set or not, in seconds."""
    longest = 0
    for name in fwconfig.PROFILES:
        c = fwconfig.Config({"profile": name})  # the profile with the firmware's defaults applied
        if not c.deep_sleep:
            continue
        longest = max(longest,
                      c.wake_period_ms - c.wake_window_ms - c.wake_lead_ms,  # between wake windows
                      c.unset_period_ms - c.unset_awake_ms)  # clock not set: between awake times
    return longest / 1000


def default_wait_s() -> float:
    """The wake wait when none is given: $BZTOKEN_WAKE_WAIT, else the longest sleep plus WAKE_MARGIN_S."""
    env = os.environ.get(ENV_WAIT, "").strip()
    if env:
        try:
            v = float(env)
        except ValueError:
            v = -1.0
        if v >= 0:
            return v
        from host_tools.errors import UsageError

        raise UsageError(f"{ENV_WAIT}={env!r} is not a number of seconds")
    return longest_sleep_s() + WAKE_MARGIN_S


class StatusLine:
    """The wait callback for a terminal: one line on stderr, redrawn once a second, cleared once the token
    answers; nothing at all when stderr is not a TTY (logs and pipes stay clean)."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self._last = -1.0
        self._shown = False

    def __call__(self, waited_s: float, limit_s: float, what: str) -> None:
        if what not in ("silent", "gone"):  # awake, or stopped waiting
            if self._shown:
                self.stream.write("\r" + " " * 79 + "\r")
                self.stream.flush()
                self._shown = False
            return
        now = time.monotonic()
        if now - self._last < 1.0:
            return
        self._last = now
        why = "no port: asleep?" if what == "gone" else "no answer yet"
        text = f"waiting for the token to wake ... {waited_s:.0f} of {limit_s:g} s ({why}) Ctrl-C stops"
        self.stream.write("\r" + text[:79].ljust(79))
        self.stream.flush()
        self._shown = True


def status_line(json_mode: bool = False):
    """A StatusLine on a TTY (never with --json), else None."""
    if json_mode or not sys.stderr.isatty():
        return None
    return StatusLine()
