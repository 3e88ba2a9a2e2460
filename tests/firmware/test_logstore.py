# The day-file log store, on LittleFS (RAM block device) on the MicroPython unix port, and on a
# temporary directory under CPython.
import os

from fwtest import eq, raises
from ramblockdev import fresh_root

from bzfw import records
from bzfw.logstore import LogStore

DAY = 20415
R = records.RECORD_SIZE


def rec(day, i, slot=0):
    t = day * 86400000 + slot * 900000 + i
    return records.encode(day, slot, 1, bytes((i & 0xFF, (i >> 8) & 0xFF)) * 6, t, t, 1, -60, -60, -60)


def batch(day, start, n):
    return [rec(day, i) for i in range(start, start + n)]


def test_append_read_reopen():
    root = fresh_root("log")
    s = LogStore(root, 100000)
    eq(s.days(), [], "empty")
    eq(s.append(DAY, batch(DAY, 0, 5)), 5, "written")
    eq(s.append(DAY, batch(DAY, 5, 3)), 3, "written")
    eq(s.append(DAY - 1, batch(DAY - 1, 0, 2)), 2, "other day")
    eq(s.days(), [DAY - 1, DAY], "days")
    eq(s.size(DAY), 8 * R, "size")
    eq(s.free_bytes(), 100000 - 10 * R, "free")
    eq(s.read(DAY, 0, 10000), b"".join(batch(DAY, 0, 8)), "all of it")
    eq(s.read(DAY, 2 * R, 3 * R + 5), b"".join(batch(DAY, 2, 3)), "whole records only")
    eq(s.read(DAY, 8 * R, 100), b"", "past the end")
    eq(s.read(DAY + 5, 0, 100), b"", "no such day")
    raises(ValueError, s.read, DAY, 5, 24)
    s2 = LogStore(root, 100000)
    eq(s2.days(), [DAY - 1, DAY], "days after reboot")
    eq(s2.read(DAY, 0, 10000), b"".join(batch(DAY, 0, 8)), "same bytes after reboot")
    eq(s2.stats["torn_skipped"], 0, "nothing torn")


def test_append_refuses_bad_records_before_writing():
    s = LogStore(fresh_root("log"), 100000)
    good = batch(DAY, 0, 2)
    raises(ValueError, s.append, DAY, good + [b"\x00" * R])
    raises(ValueError, s.append, DAY + 1, good)  # records of another day
    raises(ValueError, s.append, DAY, [good[0][:20]])
    eq(s.size(DAY), 0, "nothing written")
    eq(s.append(DAY, []), 0, "empty batch")


def test_confirm_persisted_and_monotonic():
    root = fresh_root("log")
    s = LogStore(root, 100000)
    s.append(DAY, batch(DAY, 0, 4))
    s.confirm(DAY, 2 * R)
    s.confirm(DAY, R)  # never goes back
    eq(s.confirmed(DAY), 2 * R, "confirmed")
    raises(ValueError, s.confirm, DAY, 5 * R)
    raises(ValueError, s.confirm, DAY, 7)
    eq(LogStore(root, 100000).confirmed(DAY), 2 * R, "after reboot")
    eq(s.confirmed(DAY - 3), 0, "unknown day")


def test_purge_keeps_21_days():
    root = fresh_root("log", blocks=96)
    s = LogStore(root, 200000)
    for d in range(DAY - 25, DAY + 1):
        s.append(d, batch(d, 0, 2))
    s.confirm(DAY - 25, 2 * R)
    gone = s.purge(DAY)
    eq(gone, list(range(DAY - 25, DAY - 20)), "days older than 21 removed")
    eq(s.days(), list(range(DAY - 20, DAY + 1)), "21 days kept")
    eq(s.stats["purged_days"], 5, "counted")
    eq(s.stats["expired_records"], 8, "unconfirmed records that expired (4 days x 2)")
    eq(s.purge(DAY), [], "idempotent")
    s2 = LogStore(root, 200000)
    eq(s2.days(), list(range(DAY - 20, DAY + 1)), "after reboot")
    eq(s2.stats["purged_days"], 5, "counter persisted")
    eq(s2.confirmed(DAY - 25), 0, "confirmation of a purged day is gone")


def test_flash_full_drops_confirmed_day_first():
    root = fresh_root("log")
    s = LogStore(root, 10 * R)
    s.append(DAY - 3, batch(DAY - 3, 0, 3))
    s.append(DAY - 2, batch(DAY - 2, 0, 3))
    s.append(DAY - 1, batch(DAY - 1, 0, 3))
    s.confirm(DAY - 2, 3 * R)  # the station has DAY-2: that one goes first, although DAY-3 is older
    eq(s.append(DAY, batch(DAY, 0, 2)), 2, "fits after dropping one day")
    eq(s.days(), [DAY - 3, DAY - 1, DAY], "confirmed day dropped")
    eq((s.stats["dropped_full_days"], s.stats["dropped_records"]), (1, 0), "a confirmed day loses nothing")
    eq(s.append(DAY, batch(DAY, 2, 3)), 3, "next batch drops the oldest unconfirmed day")
    eq(s.days(), [DAY - 1, DAY], "oldest dropped")
    eq((s.stats["dropped_full_days"], s.stats["dropped_records"]), (2, 3), "unconfirmed loss counted")
    s2 = LogStore(root, 10 * R)
    eq((s2.stats["dropped_full_days"], s2.stats["dropped_records"]), (2, 3), "counted across reboots")


def test_flash_full_single_day_counts_the_rest():
    s = LogStore(fresh_root("log"), 5 * R)
    eq(s.append(DAY, batch(DAY, 0, 3)), 3, "fits")
    eq(s.append(DAY, batch(DAY, 3, 4)), 2, "only 2 fit; today is never dropped for today")
    eq(s.stats["dropped_records"], 2, "counted")
    eq(s.free_bytes(), 0, "full")


def _raw_append(root, day, data):
    with open(root + f"/{day}.log", "ab") as f:
        f.write(data)


def test_torn_tail_detected_and_repaired():
    root = fresh_root("log")
    s = LogStore(root, 100000)
    s.append(DAY, batch(DAY, 0, 4))
    _raw_append(root, DAY, rec(DAY, 4)[:13])  # a half record, as a non-atomic write would leave
    s2 = LogStore(root, 100000)
    eq(s2.size(DAY), 4 * R, "tail cut")
    eq(s2.stats["torn_skipped"], 1, "counted")
    eq(os.stat(root + f"/{DAY}.log")[6], 4 * R, "file repaired")
    eq(s2.append(DAY, batch(DAY, 4, 2)), 2, "append after repair")
    eq(s2.read(DAY, 0, 1000), b"".join(batch(DAY, 0, 6)), "aligned")
    eq(LogStore(root, 100000).stats["torn_skipped"], 1, "persisted, not recounted")


def test_garbage_whole_records_at_tail_are_cut():
    root = fresh_root("log")
    s = LogStore(root, 100000)
    s.append(DAY, batch(DAY, 0, 3))
    bad = bytearray(rec(DAY, 3))
    bad[5] ^= 0x40
    _raw_append(root, DAY, bytes(bad) + b"\xff" * R)  # a flipped bit, then erased flash
    s2 = LogStore(root, 100000)
    eq(s2.size(DAY), 3 * R, "two bad records cut")
    eq(s2.stats["torn_skipped"], 2, "counted")
    for off in range(0, s2.size(DAY), R):
        records.decode(s2.read(DAY, off, R), DAY)


def test_fully_torn_file_removed_and_temp_files_cleaned():
    root = fresh_root("log")
    LogStore(root, 100000)
    _raw_append(root, DAY, b"\x00" * 10)
    _raw_append(root, DAY - 1, b"x")
    with open(root + "/meta.json.tmp", "wb") as f:
        f.write(b"{half")
    s = LogStore(root, 100000)
    eq(s.days(), [], "nothing valid")
    names = sorted(os.listdir(root))
    eq(names, [n for n in names if n == "meta.json"], f"only meta left: {names!r}")


def test_damaged_meta_is_counted_not_fatal():
    root = fresh_root("log")
    s = LogStore(root, 100000)
    s.append(DAY, batch(DAY, 0, 2))
    s.confirm(DAY, R)
    with open(root + "/meta.json", "wb") as f:
        f.write(b"{not json")
    s2 = LogStore(root, 100000)
    eq(s2.confirmed(DAY), 0, "confirmation forgotten: the station re-pulls, nothing is lost")
    eq(s2.stats["meta_lost"], 1, "counted")
    eq(s2.size(DAY), 2 * R, "records kept")


def test_filesystem_full_drops_oldest_day_and_counts():
    # the filesystem itself runs out (ENOSPC) before the store's own capacity: the same policy applies
    import sys

    if sys.implementation.name != "micropython":
        return  # needs a small real LittleFS; a host temp directory never fills
    root = fresh_root("log", blocks=24)
    s = LogStore(root, 1 << 30)
    k = 0
    while not s.stats["dropped_full_days"]:
        d = DAY + k // 4
        eq(s.append(d, [rec(d, i + 100 * (k % 4)) for i in range(100)]), 100, "batch written")
        k += 1
        if k > 200:
            raise AssertionError("the filesystem never filled")
    eq(s.days()[0], DAY + 1, "oldest day dropped")
    eq(s.stats["dropped_records"], 400, "its unconfirmed records counted")
    s2 = LogStore(root, 1 << 30)
    eq(s2.days(), s.days(), "after reboot")
    for d in s2.days():
        data = s2.read(d, 0, 1 << 30)
        eq(len(data), s.size(d), f"size of day {d}")
        for off in range(0, len(data), R):
            records.decode(data[off:off + R], d)


def test_wipe_erases_days_confirmations_and_counters():
    root = fresh_root("log")
    s = LogStore(root, 100000)
    for d in (DAY - 1, DAY):
        s.append(d, batch(d, 0, 2))
    s.confirm(DAY, R)
    s.purge(DAY + 1)  # DAY - 1 is still within 21 days: nothing purged, counters stay 0
    s.stats["torn_skipped"] = 3
    eq(s.wipe(), [DAY - 1, DAY], "days removed")
    eq((s.days(), s.free_bytes(), s.confirmed(DAY)), ([], 100000, 0), "empty")
    s2 = LogStore(root, 100000)
    eq((s2.days(), s2.stats["torn_skipped"]), ([], 0), "after reboot")
    eq(s2.append(DAY, batch(DAY, 0, 1)), 1, "usable")
