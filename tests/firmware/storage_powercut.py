# Power cut at every write, on the MicroPython unix port (driven by tests/test_storage_powercut.py).
#
# A scripted stretch of token life (sightings -> Aggregator -> LogStore batches each slot, daily keys,
# station confirmations, 21-day-style purge with a short retention, flash-full drops) runs on LittleFS on
# a RAM block device that loses power after N writes. The bytes left are mounted again, as a reboot
# would, and checked: every record the store reported written is present at its offset and valid,
# every record read back decodes, nothing but a prefix of the batch in flight was added, confirmations
# and keys that were reported persisted are there, and the store keeps working.
import gc

import vfs
from lcg import Rng
from ramblockdev import PowerCut, RAMBlockDev, cut_runs

from bzfw import records
from bzfw.encounters import Aggregator
from bzfw.keystore import KeyStore
from bzfw.logstore import LogStore

DAY0 = 20415
SLOT = 900000
DAYMS = 86400000
R = 24
RETENTION = 2  # short, so that purge happens inside the script
CAPACITY = 7 * 1024  # the quiet day and a busy one fit; the last day needs the flash-full policy
BLOCKS = 40
SLOTS = (0, 10, 20) + tuple(range(32, 64)) + (90,)  # a night's few, a busy 8 hours, an evening


STATS = {}


class Log:
    """What the store told the caller, i.e. what must survive."""

    def __init__(self):
        self.recs = {}  # day -> list of records reported written, in file order
        self.confirmed = {}  # day -> offset
        self.keys = {}  # day -> key
        self.stats = {}  # the store's loss counters after the last operation that returned
        self.op = None  # ("append", day, batch) / ("purge", today) / ("confirm", ...) in flight
        self.may_vanish = ()  # days the operation in flight may remove


def urandom_from(rng):
    def urandom(n):
        return bytes(rng.next(256) for _ in range(n))

    return urandom


def script(root, log):
    rng = Rng(7)
    store = LogStore(root + "/log", CAPACITY, retention_days=RETENTION)
    keys = KeyStore(root + "/keys", urandom_from(rng), retention_days=RETENTION)
    agg = Aggregator(max_open=24)
    for di in range(3):
        day = DAY0 + di
        log.op = ("key", day)
        log.keys[day] = keys.key_for(day)
        log.op = ("purge", day)
        log.may_vanish = [d for d in log.recs if d <= day - RETENTION]
        for d in store.purge(day):
            del log.recs[d]
            log.confirmed.pop(d, None)
        log.stats = dict(store.stats)
        for d in keys.purge(day):
            del log.keys[d]
        for n, slot in enumerate(SLOTS):
            t = day * DAYMS + slot * SLOT
            for _ in range(1 + rng.next(3) if di == 0 else 3 + rng.next(6)):  # a quiet first day
                dev = rng.next(12)
                agg.add(1 + (dev & 1), bytes((dev, slot, di)) * 4, -40 - rng.next(50), t + rng.next(SLOT))
            by_day = {}
            for d, rec in agg.close_before(t + SLOT):
                by_day.setdefault(d, []).append(rec)
            for d, batch in by_day.items():
                log.op = ("append", d, batch)
                full = store.used_bytes() + R * len(batch) > CAPACITY
                log.may_vanish = [x for x in log.recs if x != d] if full else ()
                wrote = store.append(d, batch)
                log.stats = dict(store.stats)
                log.recs.setdefault(d, []).extend(batch[:wrote])
                for x in list(log.recs):
                    if x not in store.days():
                        del log.recs[x]
                        log.confirmed.pop(x, None)
            if n % 7 == 6 and di != 1:  # a station sync now and then (none on the middle day)
                for d in store.days():
                    log.op = ("confirm", d)
                    log.may_vanish = ()
                    store.confirm(d, store.size(d))
                    log.confirmed[d] = store.size(d)
    log.op = None
    STATS.update(store.stats)
    STATS["records"] = sum(len(r) for r in log.recs.values())
    return store, keys


def check(root, log):
    """Mount-time view after the cut; returns a list of problems (empty = good)."""
    bad = []
    store = LogStore(root + "/log", CAPACITY, retention_days=RETENTION)
    keys = KeyStore(root + "/keys", lambda n: b"\x55" * n, retention_days=RETENTION)
    flight = log.op
    vanished = 0
    for day, recs in log.recs.items():
        if day not in store.days():
            vanished += 1
            if day not in log.may_vanish:
                bad.append(f"day {day} with {len(recs)} records vanished")
            continue
        want = b"".join(recs)
        have = store.read(day, 0, 1 << 30)
        if have[: len(want)] != want:
            bad.append(f"day {day}: reported records differ")
        extra = have[len(want):]
        if extra:
            infl = b"".join(flight[2]) if flight and flight[0] == "append" and flight[1] == day else b""
            if infl[: len(extra)] != extra:
                bad.append(f"day {day}: {len(extra)} unexpected bytes after the reported records")
        if store.confirmed(day) < log.confirmed.get(day, 0):
            bad.append(f"day {day}: confirmation lost")
    removed = ("dropped_full_days", "purged_days")
    counted = sum(store.stats[k] for k in removed) - sum(log.stats.get(k, 0) for k in removed)
    if counted < vanished:
        bad.append(f"{vanished} days gone in the cut, {counted} counted")
    for k, v in log.stats.items():
        # counted before the cut: still counted; and nothing counted twice when nothing was in flight
        if store.stats[k] < v or (store.stats[k] != v and (not flight or flight[0] in ("key", "confirm"))):
            bad.append(f"counter {k}: {store.stats[k]} after the cut, {v} before")
    for day in store.days():
        data = store.read(day, 0, 1 << 30)
        for off in range(0, len(data), R):
            try:
                records.decode(data[off:off + R], day)
            except ValueError as e:
                bad.append(f"day {day} offset {off}: invalid record returned: {e}")
    for day, key in log.keys.items():
        got = keys.get(day)
        if got != key and not (flight and flight[0] == "purge" and day <= flight[1] - RETENTION):
            bad.append(f"key of day {day} lost or changed")
    if keys.stats["bad_keys"]:
        bad.append("a damaged key file was left")
    for day in keys.days():
        if keys.get(day) is None:
            bad.append(f"key file of day {day} unreadable")
    # the store keeps working after recovery, aligned
    day = max(store.days()) if store.days() else DAY0
    t = day * DAYMS + 95 * SLOT
    rec = records.encode(day, 95, 1, b"\xaa" * 12, t, t, 1, -50, -50, -50)
    before = store.size(day)
    if store.append(day, [rec]) != 1 or store.read(day, before, R) != rec:
        bad.append("append after recovery failed")
    return bad


def run_one(base, cut_after):
    dev = RAMBlockDev(blocks=BLOCKS, data=bytearray(base), cut_after=cut_after)
    vfs.mount(vfs.VfsLfs2(dev), "/flash")
    log = Log()
    finished = False
    try:
        script("/flash", log)
        finished = True
    except PowerCut:
        pass
    except OSError:  # MicroPython turns a block device exception into EIO inside LittleFS
        if not dev.dead:
            raise
    gc.collect()  # finalise files left open by the cut while their filesystem is still mounted
    vfs.umount("/flash")
    after = RAMBlockDev(blocks=BLOCKS, data=bytearray(dev.data))
    vfs.mount(vfs.VfsLfs2(after), "/flash")
    try:
        problems = check("/flash", log)
    finally:
        vfs.umount("/flash")
    return finished, dev.writes, problems


def main(cuts=None, every=False):
    """cuts: write counts to cut after; every=True: each one from 0 to the script's total."""
    dev = RAMBlockDev(blocks=BLOCKS)
    vfs.VfsLfs2.mkfs(dev)
    base = bytes(dev.data)
    finished, total, problems = run_one(base, None)
    print("writes in the script:", total)
    print("stats without a cut:", STATS)
    fails = 0
    for p in problems:
        print("FAIL no cut:", p)
        fails += 1
    todo = range(total + 1) if every else [c for c in (cuts or ()) if c <= total]
    n = 0
    for c in todo:
        finished, _, problems = run_one(base, c)
        n += 1
        for p in problems:
            print(f"FAIL cut after {c} writes: {p}")
            fails += 1
        gc.collect()
    print("cuts checked:", n, "failures:", fails)
    return fails


def key_script(root, log):
    keys = KeyStore(root + "/keys", urandom_from(Rng(3)))
    for day in range(DAY0, DAY0 + 24):
        log.op = ("key", day)
        log.keys[day] = keys.key_for(day)
        log.op = ("purge", day)
        for d in keys.purge(day):
            del log.keys[d]
    log.op = None


def key_check(root, log):
    bad = []
    keys = KeyStore(root + "/keys", lambda n: b"\x55" * n)
    flight = log.op
    for day, key in log.keys.items():
        if keys.get(day) != key and not (flight and flight[0] == "purge" and day <= flight[1] - 21):
            bad.append(f"key of day {day} lost or changed")
    for day in keys.days():
        if keys.get(day) is None:
            bad.append(f"key file of day {day} unreadable")
        in_flight = flight and ((flight[0] == "key" and day == flight[1])
                                or (flight[0] == "purge" and day <= flight[1] - 21))
        if day not in log.keys and not in_flight:
            bad.append(f"key of day {day} should not be there")
    if len(keys.days()) > 22:
        bad.append(f"more than 21 days of keys (+1 in flight): {len(keys.days())}")
    return bad


GOOD = 40  # records in the day file before its torn tail


def _torn_image():
    dev = RAMBlockDev(blocks=BLOCKS)
    vfs.VfsLfs2.mkfs(dev)
    vfs.mount(vfs.VfsLfs2(dev), "/flash")
    store = LogStore("/flash/log", 1 << 20)
    t = DAY0 * DAYMS
    store.append(DAY0, [records.encode(DAY0, 0, 1, bytes((i,)) * 12, t + i, t + i, 1, -50, -50, -50)
                        for i in range(GOOD)])
    with open(f"/flash/log/{DAY0}.log", "ab") as f:
        f.write(b"\x12" * 17)  # a torn tail, as a filesystem without atomic commits could leave
    vfs.umount("/flash")
    return bytes(dev.data)


def repair_script(root, log):
    LogStore(root + "/log", 1 << 20)  # the boot-time repair is what gets cut


def repair_check(root, log):
    store = LogStore(root + "/log", 1 << 20)
    data = store.read(DAY0, 0, 1 << 30)
    bad = []
    if len(data) != GOOD * R:
        bad.append(f"after repair: {len(data)} bytes, want {GOOD * R}")
    for off in range(0, len(data), R):
        try:
            records.decode(data[off:off + R], DAY0)
        except ValueError:
            bad.append(f"invalid record at {off} after repair")
    return bad


def main_keys():
    dev = RAMBlockDev(blocks=BLOCKS)
    vfs.VfsLfs2.mkfs(dev)
    n, fails, _w, _s = cut_runs(key_script, key_check, bytes(dev.data), BLOCKS, Log)
    print("key cuts checked:", n, "failures:", fails)
    return fails


def main_repair():
    n, fails, _w, _s = cut_runs(repair_script, repair_check, _torn_image(), BLOCKS, Log)
    print("repair cuts checked:", n, "failures:", fails)
    return fails
