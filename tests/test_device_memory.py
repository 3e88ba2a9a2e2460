"""The scan path under an ESP32-C3's heap, on the real MicroPython unix port.

200 adverts per second for 10 virtual minutes (80 % Bluezone phones and tokens, 10 % other devices, 10 %
garbage of any length) through the whole app, with the main loop stalled 400 ms every minute.

Heap: `-X heapsize=112wK` is 112 KB as a 32-bit chip counts it (the 64-bit unix port gets twice the bytes
for its twice-as-wide objects). MicroPython on an ESP32-C3 starts with a 64 KB GC heap and grows it into the
IDF heap (about 139 KB more at the REPL, micropython issue #14293), which NimBLE needs too (about 40-60 KB):
about 150 KB for Python with BLE on. 112 KB for the firmware (loaded as .mpy files, as a token loads it),
its state and the test's own stand-ins is tighter than the chip.
"""

import json

from conftest import run_micropython
from mpyload import compile_tree, run_mpy

HEAP = "112wK"
BLOCKS = 512  # the ESP32-C3 SuperMini's 2 MB vfs partition


def test_scan_burst_bounded_memory_and_drops_counted(tmp_path):
    img = tmp_path / "flash.img"
    img.write_bytes(b"\xff" * (BLOCKS * 4096))
    mpy = compile_tree(tmp_path / "mpy")
    r = run_mpy(f"import scanload\nscanload.main({str(img)!r}, {BLOCKS})\n", mpy, heap=HEAP)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "MemoryError" not in r.stdout + r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["injected"] == 200 * 600
    assert out["received"] == out["delivered"] > 0.99 * out["injected"]  # only scan restarts miss any
    # Every stall overflowed the 32-slot ring; the drops are exactly those, and counted.
    assert out["dropped"] == out["expected_dropped"] > 0
    # Everything received is accounted for: dropped, or parsed into a sighting or a non-Bluezone advert.
    assert out["dropped"] + out["sightings"] + out["not_bluezone"] == out["received"]
    assert out["loop_errors"] == 0 and out["write_errors"] == 0
    assert out["agg_dropped"] == 0
    assert out["counted"] == out["sightings"]  # every sighting is in exactly one record on flash
    assert out["records"] >= 100  # 100 devices over two slots, flushed every 3 minutes
    assert out["live_peak"] < out["heap_total"]


def test_a_crowd_larger_than_the_encounter_table_loses_no_sighting_silently(tmp_path):
    # 40 devices, a table of 16: the crowd policy (bzfw/encounters.py) keeps the 16 strongest open and
    # refuses the weaker ones' sightings, counted; every sighting is in a record on flash or in a counter.
    img = tmp_path / "flash.img"
    img.write_bytes(b"\xff" * (BLOCKS * 4096))
    mpy = compile_tree(tmp_path / "mpy")
    r = run_mpy(f"import scanload\nscanload.main({str(img)!r}, {BLOCKS}, minutes=1, devices=40, max_open=16)\n",
                mpy, heap=HEAP)
    assert r.returncode == 0, r.stdout + r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["crowd_refused"] > out["sightings"] // 3  # 24 of the 40 devices are weaker than the table
    assert out["agg_dropped"] == 0 and out["write_errors"] == 0
    assert out["counted"] + out["crowd_refused"] + out["agg_lost"] == out["sightings"] > 0
    assert out["records"] <= 16 + 64  # one minute, no flush: the table's 16 and at most the early-close budget


def test_the_heap_limit_bites():
    # The same limit must refuse a 240 KB allocation, or the test above proves nothing.
    r = run_micropython("x = bytearray(240000)\n", heap=HEAP)
    assert r.returncode != 0 and "MemoryError" in r.stdout + r.stderr
