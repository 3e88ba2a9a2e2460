# Power cut at every write of the encounter checkpoint path, on the MicroPython unix port (driven by
# tests/test_storage_powercut.py).
#
# A token's life across five slots and a midnight: sightings -> Aggregator, the periodic save of the
# open encounters (bzfw.checkpoint, replaced each time), at each slot end the ended slot's records
# appended to the log and then the checkpoint saved again, as bzfw.app does. The flash (LittleFS on a
# RAM block device) loses power after N writes. The reboot is the app's: mount, LogStore, a fresh
# Aggregator, checkpoint.load, close the ended slots, append. Then, for every (contact, slot):
# - at most one record (no duplicate, whatever the cut hit: the log append, the checkpoint's temp
#   file, its rename);
# - its count is at least what the last completed save or append held (nothing lost that had reached
#   flash) and at most the sightings made (nothing counted twice);
# and every record in the log decodes.

import vfs
from lcg import Rng
from ramblockdev import RAMBlockDev, cut_runs

from bzfw import checkpoint, records
from bzfw.encounters import Aggregator
from bzfw.logstore import LogStore

DAY0 = 20415
SLOT = 900000
R = 24
BLOCKS = 24
SLOTS = ((DAY0, 93), (DAY0, 94), (DAY0, 95), (DAY0 + 1, 0), (DAY0 + 1, 1))
SAVES = 3  # periodic saves a slot
DEVICES = 10
CKPT = "/flash/encounters.ckpt"


class Truth:
    def __init__(self):
        self.seen = {}  # (cid, abs slot) -> sightings made
        self.durable = {}  # (cid, abs slot) -> count held by the last completed save or append
        self.end = 0  # ms: the time the script reached


def _mark(truth, agg):
    # after a save returned: every open encounter's count so far is on flash
    for r in agg.open_rows():
        b = bytearray(checkpoint.ROW_SIZE)
        agg.pack_row(r, b)
        slot = agg.row_slot(r)
        n = int.from_bytes(b[28:32], "little")  # the COUNT column
        k = (bytes(b[0:12]), slot)
        if n > truth.durable.get(k, 0):
            truth.durable[k] = n


def _append(store, recs, truth):
    by_day = {}
    for d, rec in recs:
        by_day.setdefault(d, []).append(rec)
    for d, batch in by_day.items():
        store.append(d, batch)
        if truth is not None:
            for rec in batch:
                f = records.decode(rec, d)
                k = (f[3], d * 96 + f[1])
                truth.durable[k] = max(truth.durable.get(k, 0), f[6])


def script(root, truth):
    rng = Rng(11)
    store = LogStore(root + "/log", 1 << 20)
    agg = Aggregator(max_open=16)
    for day, slot in SLOTS:
        t0 = (day * 96 + slot) * SLOT
        for part in range(SAVES + 1):
            for _ in range(4 + rng.next(6)):
                dev = rng.next(DEVICES)
                cid = bytes((dev, 0xC0)) * 6
                t = t0 + part * (SLOT // (SAVES + 1)) + rng.next(SLOT // (SAVES + 1))
                agg.add(1, cid, -40 - rng.next(40), t)
                k = (cid, day * 96 + slot)
                truth.seen[k] = truth.seen.get(k, 0) + 1
                truth.end = t
            if part < SAVES:
                checkpoint.save(root + "/encounters.ckpt", agg, store)
                _mark(truth, agg)
        # the slot's end: its records to the log, then the checkpoint replaced
        _append(store, agg.close_before(t0 + SLOT), truth)
        checkpoint.save(root + "/encounters.ckpt", agg, store)
        _mark(truth, agg)
        truth.end = t0 + SLOT


def reboot_and_check(root, truth):
    bad = []
    store = LogStore(root + "/log", 1 << 20)
    agg = Aggregator(max_open=16)
    try:
        checkpoint.load(root + "/encounters.ckpt", agg, store)
    except ValueError as e:
        bad.append("checkpoint unreadable after the cut: %s" % e)
    _append(store, agg.close_before(truth.end + 2 * SLOT), None)
    got = {}
    for day in store.days():
        data = store.read(day, 0, 1 << 30)
        for off in range(0, len(data), R):
            try:
                f = records.decode(data[off:off + R], day)
            except ValueError as e:
                bad.append("day %d offset %d: invalid record: %s" % (day, off, e))
                continue
            k = (f[3], day * 96 + f[1])
            if k in got:
                bad.append("duplicate record for %s slot %d" % (k[0][:2], k[1]))
            got[k] = f[6]
    for k, n in truth.durable.items():
        if got.get(k, 0) < n:
            bad.append("%s slot %d: %d sightings on flash before the cut, %d after" % (k[0][:2], k[1], n,
                                                                                   got.get(k, 0)))
    for k, n in got.items():
        if n > truth.seen.get(k, 0):
            bad.append("%s slot %d: %d counted, %d seen" % (k[0][:2], k[1], n, truth.seen.get(k, 0)))
    return bad


def main(step=1):
    """Cut after 0, step, 2 x step ... writes, up to the script's total (step 1: every write)."""
    dev = RAMBlockDev(blocks=BLOCKS)
    vfs.VfsLfs2.mkfs(dev)
    base = bytes(dev.data)
    n, fails, total, truth = cut_runs(script, reboot_and_check, base, BLOCKS, Truth, step)
    print("checkpoint script writes:", total, "records:", len(truth.seen))
    print("checkpoint cuts checked:", n, "failures:", fails)
    return fails
