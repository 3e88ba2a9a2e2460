"""Scan path on the MicroPython unix port: IRQ copy -> ring -> parse -> aggregate, and the whole app.

Figures: adverts per second absorbed (one core of this machine; an ESP32-C3 at 160 MHz is one to two
orders of magnitude slower, so read these as relative), and the heap high-water mark (live bytes after a
collection; the unix port is 64-bit, about twice an ESP32's bytes for the same objects).
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MICROPYTHON = str(Path(sys.executable).parent / "micropython")

# The firmware's scan path alone: the BLE stack's IRQ (a C call on the device) is modelled by calling
# Radio._irq with memoryviews, as the stack does; drained every 16 results, as the main loop would.
_PATH = r"""
import gc, json, time
from bzfw import adv, ids
from bzfw.radio import Radio
from bzfw.encounters import Aggregator
class B:
    def active(self, *a): return True
    def config(self, *a, **k): return (1, b"\x01" * 6) if a else None
    def irq(self, h): pass
    def gap_scan(self, *a): pass
    def gap_advertise(self, *a, **k): pass
N = %(n)d
r = Radio(B(), qlen=32)
agg = Aggregator(max_open=128)
key = bytes(range(32))
advs = [memoryview(adv.build(ids.slot_id(bytes((i,)) * 32, 0))) for i in range(%(devices)d)]
advs.append(memoryview(b"\x02\x01\x06\x0b\xff\x4c\x00\x10\x06\x31\x1e\x7a\x8b\x9c\x0d"))
addr = memoryview(b"\xc0\x01\x02\x03\x04\x05")
ts = [1767225600000]
def on(rssi, a, data):
    kind, bz = adv.parse(data)
    if kind == 1:
        agg.add(kind, bz, rssi, ts[0])
gc.collect()
base = gc.mem_alloc()
peak = 0
t0 = time.ticks_us()
m = len(advs)
for i in range(N):
    r._irq(5, (1, addr, 0, -60, advs[i %% m]))
    if i & 15 == 15:
        r.drain(on)
        ts[0] += 80
    if i & 4095 == 0:
        gc.collect()
        a = gc.mem_alloc() - base
        if a > peak: peak = a
dt = time.ticks_diff(time.ticks_us(), t0)
gc.collect()
print(json.dumps({"n": N, "us": dt, "peak": peak, "dropped": r.dropped, "open": agg.open_count}))
"""


def _mp(script: str, heap: str = "2m", path: str | None = None) -> dict:
    env = dict(os.environ, MICROPYPATH=path or f"{ROOT / 'firmware'}:{ROOT / 'tests' / 'firmware'}")
    r = subprocess.run([MICROPYTHON, "-X", f"heapsize={heap}", "-c", script], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=600)
    if r.returncode:
        raise RuntimeError(r.stderr.strip().splitlines()[-1] if r.stderr.strip() else "micropython failed")
    return json.loads(r.stdout.strip().splitlines()[-1])


def run(report):
    for devices in (10, 100):
        out = _mp(_PATH % {"n": 200000, "devices": devices})
        report(f"IRQ copy + parse + aggregate, {devices} devices", out["n"] / (out["us"] / 1e6), "adverts/s")
        report(f"  heap high-water (live, after collect), {devices} devices", out["peak"], "bytes")
    sys.path.insert(0, str(ROOT / "tests"))
    from mpyload import compile_tree

    with tempfile.TemporaryDirectory() as tmp:
        mpy = str(compile_tree(Path(tmp) / "mpy"))  # the firmware as a token loads it
        img = Path(tmp) / "flash.img"
        blocks = 512
        img.write_bytes(b"\xff" * (blocks * 4096))
        # The ring (32) drained at least every 50 ms of the main loop: 640 adverts/s sustained at most.
        for rate in (500, 1000):
            minutes = 3
            out = _mp(f"import scanload\nscanload.main({str(img)!r}, {blocks}, rate={rate}, minutes={minutes}, "
                      "stall_every_s=3600)\n", heap="112wK", path=mpy)
            report(f"whole app (.mpy), {rate}/s on air for {minutes} virtual min, 112wK heap",
                   out["injected"] / (out["real_ms"] / 1000), "adverts/s", "incl. the simulated air and flash")
            report("  heap high-water (live, after collect)", out["live_peak"], "bytes",
                   f"of {out['heap_total']:,} (64-bit)")
            report("  dropped by the ring (counted) / records written", f"{out['dropped']:,} / {out['records']}")
        # A busy place below the table size: 60 devices for 65 virtual minutes (4 slot edges). The periodic
        # saves (3 min) and eco's saves before each deep sleep replace the checkpoint file (bzfw/checkpoint.py)
        # instead of appending records: one record per device and slot. A school day = 60 devices for 8 h
        # (32 slots); the log gets 3/4 of the 2 MiB filesystem (1.5 MiB).
        minutes = 65
        for scan, cfg in (("always-on", {"profile": "always-on"}), ("eco", {"profile": "eco"})):
            out = _mp(f"import crowd\ncrowd.main({str(img)!r}, {blocks}, devices=60, close=0, minutes={minutes}, "
                      f"config={cfg!r}, eco_sleep={scan == 'eco'})\n", heap="112wK", path=mpy)
            per_slot = out["max_per_slot"]
            report(f"busy place, 60 devices, {scan}: records in the fullest slot", per_slot, "records/slot",
                   f"{out['dup_records']} duplicates of a (contact, slot); {out['records']} in {out['slots']} slots")
            day = per_slot * 32
            report("  school day (60 devices x 8 h)", day, "records/day",
                   f"{day * 24:,} bytes; 1.5 MiB full after {1572864 // (day * 24)} days (retention: 21)")
            report("  round the clock (60 devices x 24 h)", per_slot * 96, "records/day",
                   f"{per_slot * 96 * 24:,} bytes; 1.5 MiB full after {1572864 // (per_slot * 96 * 24)} days")
            report("  checkpoint saves", out["ckpt_writes"] * 1440 // minutes, "saves/day",
                   "(always-on: every 3 min + slot ends; eco: before each deep sleep)")
        # Crowds beyond the encounter table (128 rows): the crowd policy (bzfw/encounters.py) keeps the
        # strongest open, refuses weaker sightings, sheds early records past the slot's budget (64); the
        # periodic saves go to the checkpoint file, so a slot writes its early records and its table at the
        # slot's end. 200 crowd adverts/s plus 5 close devices for 65 virtual minutes from 00:10 (4 slot
        # edges; tests/firmware/crowd.py); eco reboots after each deep sleep. Before the policy each
        # sighting became a record: 9,600 a minute.
        for scan, cfg in (("always-on", {"profile": "always-on"}),
                          ("scanning always",
                           {"profile": "always-on", "scan_period_ms": 60000, "scan_window_ms": 60000}),
                          ("eco", {"profile": "eco"})):
            for devices in (200, 1000):
                out = _mp(f"import crowd\ncrowd.main({str(img)!r}, {blocks}, devices={devices}, close=5, "
                          f"minutes={minutes}, config={cfg!r}, eco_sleep={scan == 'eco'})\n",
                          heap="112wK", path=mpy)
                report(f"crowd of {devices} + 5 close, {scan}: records", out["records"] / minutes, "records/min",
                       f"{out['max_per_slot']} in the fullest slot")
                report("  log bytes a day if the crowd never left (fullest slot x 96)",
                       out["max_per_slot"] * 96 * 24, "bytes/day",
                       f"{out['sightings']:,} sightings: {out['crowd_refused']:,} refused, {out['crowd_shed']:,} "
                       f"records shed ({out['agg_lost']:,} sightings); close contacts "
                       f"{out['close_ok']}/{out['close_slots']} exact")
