# Encounter aggregation: slot boundaries, RSSI statistics, bounded memory with counted eviction.
from fwtest import eq, raises

from bzfw import encounters, records
from bzfw.adv import KIND_ANDROID, KIND_IOS

DAY = 20415
T0 = DAY * 86400000
SLOT = 900000


def cid(n):
    return bytes((n & 0xFF, n >> 8)) * 6


def _decoded(out):
    return sorted(records.decode(r, d) for d, r in out)


def test_one_encounter_stats():
    a = encounters.Aggregator(max_open=8)
    for t, rssi in ((5000, -70), (9000, -50), (7000, -91), (1000, -64)):  # out of order on purpose
        a.add(KIND_ANDROID, cid(1), rssi, T0 + t)
    eq(a.open_count, 1, "open")
    eq(a.close_before(T0 + SLOT - 1), [], "slot not over yet")
    out = _decoded(a.close_before(T0 + SLOT))
    # mean of -70 -50 -91 -64 = -68.75 -> -69
    eq(out, [(DAY, 0, KIND_ANDROID, cid(1), T0 + 1000, T0 + 9000, 4, -91, -50, -69)], "record")
    eq(a.open_count, 0, "closed")


def test_mean_rounds_half_up():
    a = encounters.Aggregator()
    a.add(KIND_IOS, cid(2), -60, T0)
    a.add(KIND_IOS, cid(2), -61, T0 + 1)
    eq(_decoded(a.flush())[0][7:], (-61, -60, -60), "mean of -60,-61 is -60.5 -> -60")


def test_slot_boundary_splits():
    a = encounters.Aggregator()
    a.add(KIND_ANDROID, cid(3), -60, T0 + SLOT - 1)
    a.add(KIND_ANDROID, cid(3), -62, T0 + SLOT)  # same ID, next slot: a second record
    eq(a.open_count, 1, "one open after the edge")
    out = _decoded(a.close_before(T0 + 2 * SLOT))
    eq([(r[1], r[4], r[5], r[6]) for r in out], [(0, T0 + SLOT - 1000, T0 + SLOT - 1000, 1),
                                                 (1, T0 + SLOT, T0 + SLOT, 1)], "two slots")


def test_day_boundary():
    a = encounters.Aggregator()
    a.add(KIND_ANDROID, cid(4), -60, T0 - 1)
    a.add(KIND_ANDROID, cid(5), -60, T0)
    out = a.flush()
    eq(sorted((d, records.decode(r, d)[1]) for d, r in out), [(DAY - 1, 95), (DAY, 0)], "days and slots")


def test_close_before_only_closes_ended_slots():
    a = encounters.Aggregator()
    a.add(KIND_ANDROID, cid(6), -60, T0 + 10)
    a.add(KIND_ANDROID, cid(7), -60, T0 + SLOT + 10)
    out = a.close_before(T0 + SLOT + 20)
    eq([records.decode(r, d)[3] for d, r in out], [cid(6)], "only slot 0 closed")
    eq(a.open_count, 1, "slot 1 still open")


def test_eviction_counted_and_record_kept():
    a = encounters.Aggregator(max_open=3)
    for i in range(3):
        a.add(KIND_ANDROID, cid(i), -50, T0 + i * 1000)
    a.add(KIND_ANDROID, cid(0), -40, T0 + 5000)  # refresh 0: 1 is now the least recently seen
    a.add(KIND_ANDROID, cid(9), -70, T0 + 6000)
    eq(a.open_count, 3, "bounded")
    eq(a.evicted, 1, "one eviction counted")
    early = a.close_before(T0)  # the evicted one is ready even though its slot is not over
    eq([records.decode(r, d)[3] for d, r in early], [cid(1)], "least recently seen evicted, record kept")
    a.add(KIND_ANDROID, cid(1), -55, T0 + 7000)  # seen again: evicts again, a second record for slot 0
    eq(a.evicted, 2, "second eviction")
    out = _decoded(a.flush())
    eq(len(out), 4, "all encounters come out")
    eq(sum(r[6] for r in out) + 1, a.sightings, "every sighting accounted for (1 in the early record)")


def test_ready_queue_full_is_counted():
    a = encounters.Aggregator(max_open=2)
    for i in range(10):
        a.add(KIND_ANDROID, cid(i), -50, T0 + i)
    eq(a.evicted, 8, "evictions")
    eq(a.dropped, 6, "8 evicted, 2 fit in the ready queue, 6 dropped and counted")
    eq(len(a.flush()), 4, "2 ready + 2 open")


def test_memoryview_ids_and_bad_input():
    a = encounters.Aggregator()
    a.add(KIND_ANDROID, memoryview(bytearray(cid(1))), -50, T0)
    a.add(KIND_ANDROID, bytearray(cid(1)), -52, T0 + 1)
    eq(a.open_count, 1, "same ID whatever its buffer type")
    raises(ValueError, a.add, 0, cid(1), -50, T0)
    raises(ValueError, a.add, KIND_ANDROID, b"short", -50, T0)
    raises(ValueError, a.add, KIND_ANDROID, cid(1), -50, -1)
    raises(ValueError, encounters.Aggregator, 0)
