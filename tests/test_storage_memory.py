"""The token's storage path under a heap limit on the MicroPython unix port.

Budget: an ESP32-C3 running MicroPython with the BLE stack up has on the order of 120 KB of GC heap free
for the application, and storage (its code plus an aggregator of 64 open encounters, a slot's batch of
records and the stores) should take well under half of that. The unix port is 64-bit: every pointer,
small-int slot and object header is twice the ESP32's size, and imports compile from source, so the same
work needs up to about twice the bytes there. The limit below, 96 KB on the unix port, therefore stands
for about 48-60 KB on the C3; bench/bench_storage.py prints the measured high-water mark.
"""

from conftest import run_micropython

BUDGET = "96k"

SCRIPT = """
import os
import storage_busyday as b
root = {root!r}
os.mkdir(root)
r = b.run(root, n_dev=60, hours=8, max_open=64)
print("records", r["records"], "evicted", r["evicted"], "dropped", r["dropped"], "sightings", r["sightings"])
"""


def test_busy_day_fits_the_heap_budget(tmp_path):
    proc = run_micropython(SCRIPT.format(root=str(tmp_path / "fs")), heap=BUDGET)
    assert proc.returncode == 0, proc.stderr[-2000:]
    words = proc.stdout.split()
    got = dict(zip(words[::2], (int(w) for w in words[1::2]), strict=True))
    assert got["sightings"] == 60 * 8 * 120
    assert got["dropped"] == 0
    # about one record per device per slot (a few more where a device's clock puts its ID change on
    # the other side of our slot edge)
    assert 60 * 32 <= got["records"] < 60 * 32 * 1.1


def test_the_limit_bites(tmp_path):
    # the same run with far too little heap fails with MemoryError: the budget above is a real limit
    proc = run_micropython(SCRIPT.format(root=str(tmp_path / "fs")), heap="48k")
    assert proc.returncode != 0 and "MemoryError" in proc.stdout + proc.stderr
