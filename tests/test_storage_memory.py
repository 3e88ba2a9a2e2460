"""The token's storage path under a heap limit on the MicroPython unix port.

Budget: MicroPython on an ESP32-C3 has about 150 KB of GC heap left for Python with BLE on (see "Scan path and
memory" in firmware/README.md). Storage (its code, compiled from source here, plus an aggregator of 64 open
encounters, a slot's batch of records and both stores on a mounted LittleFS, through a busy 8-hour day) gets a
third of that: 48 KB.
`-X heapsize=48wK` gives 48 K of 32-bit words' worth, i.e. it doubles the bytes on this 64-bit port, where
pointers, object headers and small-int slots are twice the ESP32's size. Measured: the run needs 44wK here
(a 16.9 KB live high-water mark over 21 KB of imported code; `python -m bench storage`).
"""

from conftest import run_micropython

BUDGET = "48wK"

SCRIPT = """
import vfs
from ramblockdev import FileBlockDev
dev = FileBlockDev({image!r}, 512)  # the 2 MiB vfs partition, as a host file: no heap of ours
vfs.VfsLfs2.mkfs(dev)
vfs.mount(vfs.VfsLfs2(dev), "/flash")
import storage_busyday as b
r = b.run("/flash", n_dev=60, hours=8, max_open=64)
print("records", r["records"], "evicted", r["evicted"], "dropped", r["dropped"], "sightings", r["sightings"])
"""


def test_busy_day_fits_the_heap_budget(tmp_path):
    proc = run_micropython(SCRIPT.format(image=str(tmp_path / "flash.img")), heap=BUDGET)
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
    proc = run_micropython(SCRIPT.format(image=str(tmp_path / "flash.img")), heap="24wK")
    assert proc.returncode != 0 and "MemoryError" in proc.stdout + proc.stderr
