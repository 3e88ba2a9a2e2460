"""Polling for tests that watch a running token: wait on a condition by the monotonic clock, never the wall clock."""

import time


def wait_until(pred, timeout: float = 20.0, every: float = 0.02) -> bool:
    """True as soon as pred() is truthy, False once `timeout` seconds have passed without it."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(every)
    return False
