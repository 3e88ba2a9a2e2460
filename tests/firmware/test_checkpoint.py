# The open-encounter checkpoint (bzfw/checkpoint.py): round trip through the file with the crowd
# counters, a damaged or foreign file refused whole, and the exactly-once rule: a row whose (contact,
# slot) has a record appended after the save is not reopened, one whose record came before it is.
import gc

from fwtest import eq, raises
from ramblockdev import fresh_root

from bzfw import checkpoint, records
from bzfw.encounters import Aggregator
from bzfw.logstore import LogStore, makedirs

DAY = 20415
T0 = DAY * 86400000
SLOT = 900000


def cid(n):
    return bytes((n, 0xCC)) * 6


def _setup():
    gc.collect()  # the suite shares one heap: leave it unfragmented
    root = fresh_root("ck")
    makedirs(root)
    return root + "/encounters.ckpt", LogStore(root + "/log", 1 << 20)


def _decoded(out):
    return sorted(records.decode(r, d) for d, r in out)


def _busy(agg):
    # encounters in the last slot of DAY and the first of DAY + 1, one of them iOS
    for i in range(5):
        agg.add(1, cid(i), -50 - i, T0 + 95 * SLOT + 1000 * i)
        agg.add(1, cid(i), -70, T0 + 95 * SLOT + 5000 + 1000 * i)
    agg.add(2, cid(9), -44, T0 + 96 * SLOT + 123)


def test_round_trip_with_the_crowd_counters():
    path, store = _setup()
    a = Aggregator(max_open=8, budget=3)
    _busy(a)
    n = checkpoint.save(path, a, store)
    eq(n, 8 + 20 + 2 * 8 + 6 * 44 + 4, "bytes: head, state, 2 days, 6 rows, CRC")
    b = Aggregator(max_open=8, budget=3)
    eq(checkpoint.load(path, b, store), (6, 0, 0), "six reopened")
    eq(b.state(), a.state(), "crowd counters restored")
    eq((b.sightings, b.restored), (0, a.sightings), "sightings accounted where they were made")
    eq(_decoded(b.flush()), _decoded(a.flush()), "the same records as without the save")


def test_no_file_nothing_restored():
    path, store = _setup()
    eq(checkpoint.load(path, Aggregator(max_open=4), store), (0, 0, 0), "no checkpoint")


def test_damaged_or_foreign_file_refused_whole():
    path, store = _setup()
    a = Aggregator(max_open=8)
    _busy(a)
    checkpoint.save(path, a, store)
    with open(path, "rb") as f:
        good = f.read()
    for bad, what in ((good[:-1], "truncated"), (good + b"\x00", "trailing byte"),
                      (good[:40] + bytes((good[40] ^ 1,)) + good[41:], "a flipped bit"),
                      (good[:4] + b"\x02" + good[5:], "another version"), (b"\xff" * len(good), "erased"),
                      (b"", "empty")):
        with open(path, "wb") as f:
            f.write(bad)
        b = Aggregator(max_open=8)
        raises(ValueError, checkpoint.load, path, b, store)
        eq(b.open_count, 0, what + ": nothing restored")


def test_rows_already_appended_are_not_reopened():
    path, store = _setup()
    a = Aggregator(max_open=8)
    _busy(a)
    checkpoint.save(path, a, store)
    # the slot end's append happened, the power went before the next save
    for d, rec in a.close_before(T0 + 96 * SLOT):
        store.append(d, [rec])
    b = Aggregator(max_open=8)
    eq(checkpoint.load(path, b, store), (1, 5, 0), "the five of the ended slot are in the log")
    eq(_decoded(b.flush())[0][3], cid(9), "the open one of the new day reopened")


def test_a_record_from_before_the_save_does_not_hide_the_row():
    path, store = _setup()
    a = Aggregator(max_open=2, budget=4)
    a.add(1, cid(1), -60, T0 + 1000)
    a.add(1, cid(3), -30, T0 + 1500)
    a.add(1, cid(2), -50, T0 + 2000)  # closes cid(1) early (crowd)
    a.add(1, cid(1), -40, T0 + 3000)  # cid(1) back, stronger: cid(2) closed early
    for d, rec in a.close_before(T0):
        store.append(d, [rec])
    eq(store.size(DAY), 48, "two early records")
    checkpoint.save(path, a, store)
    b = Aggregator(max_open=2)
    eq(checkpoint.load(path, b, store), (2, 0, 0), "cid(1) reopened: its earlier record is before the save")


def test_a_full_table_refuses_rows_counted():
    path, store = _setup()
    a = Aggregator(max_open=8)
    _busy(a)
    checkpoint.save(path, a, store)
    b = Aggregator(max_open=4)
    eq(checkpoint.load(path, b, store), (4, 0, 2), "four fit, two refused")


def test_row_validation():
    a = Aggregator(max_open=2)
    a.add(1, cid(1), -60, T0 + 5)
    buf = bytearray(checkpoint.ROW_SIZE)
    a.pack_row(a.open_rows()[0], buf)
    b = Aggregator(max_open=2)
    eq(b.unpack_row(buf), True, "a packed row")
    eq(b.unpack_row(buf), False, "the same ID twice")
    bad = bytearray(buf)
    bad[16] = 3  # kind 3
    eq(Aggregator(max_open=2).unpack_row(bad), False, "a kind encode cannot give")
