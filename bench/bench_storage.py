"""Token storage on the MicroPython unix port: a busy day's records, flash use, days to full, heap high-water.

The busy day (tests/firmware/storage_busyday.py): 60 distinct Bluezone devices nearby for 8 hours, each
caught once per 30 s scan cycle, through the Aggregator (64 open encounters) into the LogStore, on LittleFS
on a RAM block device the size of the vfs partition of MicroPython's 4 MiB ESP32 layout (2 MiB, 512 blocks
of 4 KiB; newer layouts that give the app 0x210000 bytes leave 1.875 MiB). Figures, never assertions.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MICROPYTHON = str(Path(sys.executable).parent / "micropython")

SCRIPT = """
import gc, os, time, vfs
from ramblockdev import RAMBlockDev
import storage_busyday as b

BLOCKS = {blocks}
dev = RAMBlockDev(blocks=BLOCKS)
vfs.VfsLfs2.mkfs(dev)
vfs.mount(vfs.VfsLfs2(dev), "/flash")
gc.collect()
base = gc.mem_alloc()


def sample():
    gc.collect()
    return gc.mem_alloc()


DAY_MS = 86400000
day0 = 20415
t0 = time.ticks_ms()
r = b.run("/flash", hours={hours}, n_dev={n_dev}, start_ms=day0 * DAY_MS + 8 * 3600000, capacity=1 << 30,
          sample=sample)
dt = time.ticks_diff(time.ticks_ms(), t0)
st = os.statvfs("/flash")
print("records", r["records"])
print("bytes", r["bytes"])
print("batches", r["batches"])
print("evicted", r["evicted"])
print("sightings", r["sightings"])
print("ms", dt)
print("heap_peak", r["peak"] - base)
print("fs_blocks_used", st[2] - st[3])
dev2 = RAMBlockDev(blocks=BLOCKS)  # a second flash, so the one being filled holds one day only
vfs.VfsLfs2.mkfs(dev2)
vfs.mount(vfs.VfsLfs2(dev2), "/flash2")
r = b.run("/flash2", hours={hours}, n_dev={n_dev}, max_open=96, start_ms=day0 * DAY_MS + 8 * 3600000)
print("evicted_96", r["evicted"])
vfs.umount("/flash2")
del dev2
# the checkpoint of the open encounters (bzfw/checkpoint.py): flash operations per save, on a fresh flash
from bzfw import checkpoint
from bzfw.encounters import Aggregator
from bzfw.logstore import LogStore
for rows in (60, 128):
    dev3 = RAMBlockDev(blocks=BLOCKS)
    vfs.VfsLfs2.mkfs(dev3)
    erases = [0]
    ioctl = dev3.ioctl

    def counting(op, arg, ioctl=ioctl, erases=erases):
        if op == 6:
            erases[0] += 1
        return ioctl(op, arg)

    dev3.ioctl = counting
    vfs.mount(vfs.VfsLfs2(dev3), "/flash3")
    agg = Aggregator(max_open=128)
    for i in range(rows):
        agg.add(1, bytes((i, 7)) * 6, -60, day0 * DAY_MS + i)
    ls3 = LogStore("/flash3/log", 1 << 20)
    nbytes = checkpoint.save("/flash3/encounters.ckpt", agg, ls3)
    w0, e0 = dev3.writes, erases[0]
    for _ in range(200):
        checkpoint.save("/flash3/encounters.ckpt", agg, ls3)
    print("ckpt_bytes_%d" % rows, nbytes)
    print("ckpt_progs_x100_%d" % rows, (dev3.writes - w0 - (erases[0] - e0)) * 100 // 200)
    print("ckpt_erases_x100_%d" % rows, (erases[0] - e0) * 100 // 200)
    vfs.umount("/flash3")
    del dev3
# fill day after day until the filesystem says ENOSPC and the store drops a day
days = 1
full_by = 0  # 1: the store's flash-full policy dropped a day; 2: LittleFS itself said ENOSPC (errno 28)
while days < 400:
    try:
        r = b.run("/flash", hours={hours}, n_dev={n_dev}, start_ms=(day0 + days) * DAY_MS + 8 * 3600000,
                  capacity=1 << 30)
    except OSError as e:  # the filesystem is full before the store's own accounting says so: that is full too
        if e.args[0] != 28:
            raise
        full_by = 2
        break
    if r["stats"]["dropped_full_days"]:
        full_by = 1
        break
    days += 1
print("days_to_full", days)
print("full_by", full_by)
st = os.statvfs("/flash")
print("fs_blocks_free_at_full", st[3] if st[3] <= st[2] else 0)  # LittleFS may count past full: 0
"""


def _run(blocks: int, hours: int, n_dev: int) -> dict:
    env = dict(os.environ, MICROPYPATH=f"{ROOT / 'firmware'}:{ROOT / 'tests' / 'firmware'}")
    proc = subprocess.run([MICROPYTHON, "-X", "heapsize=16m", "-c",
                           SCRIPT.format(blocks=blocks, hours=hours, n_dev=n_dev)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    if proc.returncode:
        raise RuntimeError(f"micropython failed: {proc.stdout[-1500:]} {proc.stderr[-1500:]}")
    out = {}
    for line in proc.stdout.splitlines():
        k, _, v = line.partition(" ")
        out[k] = int(v)
    return out


def run(report):
    for blocks, label in ((512, "2 MiB"), (480, "1.875 MiB")):
        r = _run(blocks, 8, 60)
        if blocks == 512:
            report("busy day (60 devices x 8 h): encounter records", r["records"], "records/day")
            report("busy day: log bytes (24-byte records)", r["bytes"], "bytes/day")
            report("busy day: batches appended (one per minute with closes)", r["batches"], "batches/day")
            report("busy day: encounters closed early, table of 64", r["evicted"], "records")
            report("busy day: encounters closed early, table of 96", r["evicted_96"], "records")
            report("busy day: LittleFS blocks in use after day 1 (incl. metadata)", r["fs_blocks_used"], "x 4 KiB")
            report("aggregator+store CPU on the unix port", r["ms"] * 1000 / r["sightings"], "us/sighting",
                   "(x86; an ESP32 is some 20-50x slower)")
            report("heap high-water, live after gc (64-bit unix port)", r["heap_peak"], "bytes",
                   "(ESP32: about half for object-heavy data)")
            for rows in (60, 128):
                report(f"checkpoint save, {rows} open encounters", r[f"ckpt_bytes_{rows}"], "bytes",
                       f"{r[f'ckpt_progs_x100_{rows}'] / 100:.1f} programs + {r[f'ckpt_erases_x100_{rows}'] / 100:.2f}"
                       " block erases per save (LittleFS, 4 KiB blocks)")
                e = r[f"ckpt_erases_x100_{rows}"] / 100
                for prof, saves in (("always-on", 480 + 96), ("eco", 840)):  # eco: as bench_scanpath counts
                    report(f"  {prof}: {saves} saves/day -> erases per block per day over {blocks} blocks",
                           round(saves * e / blocks, 2), "erases/block/day",
                           f"(100k-cycle NOR: {int(100000 / max(saves * e / blocks, 1e-9) / 365):,} years)")
        how = {1: "the store dropped a day", 2: "LittleFS said ENOSPC"}.get(r["full_by"], "not full in 400 days")
        report(f"busy days until a {label} partition is full (no purge)", r["days_to_full"], "days",
               f"(then {r['fs_blocks_free_at_full']} blocks free, {how}; retention keeps 21)")
    r = _run(512, 24, 60)
    report("round-the-clock busy (60 devices x 24 h): log bytes", r["bytes"], "bytes/day")
    report("round-the-clock busy: days until 2 MiB is full", r["days_to_full"], "days",
           "(< 21: the flash-full policy drops the oldest, confirmed days first)")
