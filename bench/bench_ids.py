"""Bluezone ID derivation with the firmware's own module on CPython (pure hashlib)."""

import os
import time

from bzfw import ids


def run(report):
    keys = [os.urandom(32) for _ in range(2000)]
    t0 = time.perf_counter()
    for k in keys:
        ids.day_ids(k)
    dt = time.perf_counter() - t0
    report("bzfw.ids.day_ids (pure Python, one core)", len(keys) / dt, "key-days/s")
