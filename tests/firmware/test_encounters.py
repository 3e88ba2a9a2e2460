# Encounter aggregation: slot boundaries, RSSI statistics, bounded memory; the crowd policy (the weakest
# gives way, weaker sightings refused, early records past the slot's budget shed), every loss counted.
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


def test_full_table_gives_the_weakest_row_to_a_stronger_contact():
    a = encounters.Aggregator(max_open=3)
    for i, rssi in ((0, -50), (1, -70), (2, -60)):
        a.add(KIND_ANDROID, cid(i), rssi, T0 + i * 1000)
    a.add(KIND_ANDROID, cid(1), -65, T0 + 3000)  # 1 is still the weakest (-65 < -60)
    a.add(KIND_ANDROID, cid(9), -40, T0 + 6000)  # stronger than the weakest: takes its row
    eq(a.open_count, 3, "bounded")
    eq((a.evicted, a.refused, a.shed), (1, 0, 0), "one closed early")
    early = _decoded(a.close_before(T0))  # the evicted one is ready even though its slot is not over
    eq([(r[3], r[4], r[5], r[6], r[7], r[8]) for r in early], [(cid(1), T0 + 1000, T0 + 3000, 2, -70, -65)],
       "the weakest closed early, its record kept whole")
    a.add(KIND_ANDROID, cid(1), -55, T0 + 7000)  # seen again, now stronger than the weakest (2, -60)
    eq(a.evicted, 2, "second early close")
    out = _decoded(a.flush())
    eq(sorted(r[3] for r in out), sorted([cid(0), cid(1), cid(2), cid(9)]), "all encounters come out")
    eq(sum(r[6] for r in out) + 2, a.sightings, "every sighting accounted for (2 in the early record)")


def test_full_table_refuses_a_sighting_not_stronger_than_the_weakest():
    a = encounters.Aggregator(max_open=2)
    a.add(KIND_ANDROID, cid(0), -50, T0)
    a.add(KIND_ANDROID, cid(1), -60, T0 + 1)
    a.add(KIND_ANDROID, cid(2), -60, T0 + 2)  # as weak as the weakest: no row
    a.add(KIND_ANDROID, cid(3), -90, T0 + 3)
    a.add(KIND_ANDROID, cid(1), -61, T0 + 4)  # an open encounter is always updated
    eq((a.refused, a.evicted, a.open_count), (2, 0, 2), "two refused, counted")
    out = _decoded(a.flush())
    eq([(r[3], r[6]) for r in out], [(cid(0), 1), (cid(1), 2)], "the open ones whole")
    eq(sum(r[6] for r in out) + a.refused, a.sightings, "sightings = recorded + refused")


def test_early_records_past_the_slot_budget_are_shed_and_counted():
    a = encounters.Aggregator(max_open=2, budget=3)
    a.add(KIND_ANDROID, cid(100), -30, T0)  # a close contact
    out = []
    for i in range(10):  # each stronger than the last: each takes the weakest row
        a.add(KIND_ANDROID, cid(i), -99 + i, T0 + 1 + i)
        a.add(KIND_ANDROID, cid(i), -99 + i, T0 + 100 + i)
        out += a.close_before(T0)  # collect the early records, as the app does in batches
    eq((a.evicted, a.shed), (3, 6), "3 early records within the budget, then the weakest shed")
    eq((a.lost, a.dropped), (12, 0), "the sightings in the shed records")
    a.add(KIND_ANDROID, cid(20), -20, T0 + SLOT)  # next slot: the slot-0 rows go first, records kept
    a.add(KIND_ANDROID, cid(21), -20, T0 + SLOT + 1)
    eq(a.evicted, 5, "ended slot's rows closed, not shed")
    out += a.close_before(T0)
    a.add(KIND_ANDROID, cid(22), -10, T0 + SLOT + 2)  # a new slot: a new budget
    eq((a.evicted, a.shed), (6, 6), "budget renewed")
    out = _decoded(out + a.flush())
    eq(len(out), 3 + 3 + 2, "3 early, 2 of the ended slot, 1 early in slot 1, 2 open")
    eq([r[6] for r in out if r[3] == cid(100)], [1], "the close contact is never the weakest")
    eq(sum(r[6] for r in out) + a.refused + a.lost, a.sightings, "every sighting accounted for")


def test_checkpoint_in_a_crowd_closes_only_the_strongest():
    a = encounters.Aggregator(max_open=4, budget=0, keep=2)
    for i in range(4):
        a.add(KIND_ANDROID, cid(i), -80 + i, T0 + i)
    eq(a.crowded, False, "not crowded yet")
    eq(len(a.checkpoint()), 4, "not crowded: a checkpoint is a flush")
    for i in range(4):
        a.add(KIND_ANDROID, cid(i), -80 + i, T0 + 10 + i)
    a.add(KIND_ANDROID, cid(7), -99, T0 + 20)  # refused: the table is full
    eq((a.crowded, a.refused), (True, 1), "crowded")
    out = _decoded(a.checkpoint())
    eq([r[3] for r in out], [cid(2), cid(3)], "the 2 strongest closed")
    eq(a.open_count, 2, "the weaker stay open to the slot's end")
    a.add(KIND_ANDROID, cid(0), -80, T0 + 30)  # still the same open encounter
    out = _decoded(a.close_before(T0 + SLOT))
    eq([(r[3], r[6]) for r in out], [(cid(0), 2), (cid(1), 1)], "one record each for the slot")
    a.add(KIND_ANDROID, cid(5), -50, T0 + SLOT)
    eq(a.crowded, False, "a new slot starts uncrowded")


def test_a_crowded_slot_is_capped_keeping_the_strongest_and_the_cap_survives_a_sleep():
    a = encounters.Aggregator(max_open=4, budget=0, keep=1, slot_cap=6)
    a.add(KIND_ANDROID, cid(100), -30, T0)  # the close contact
    for i in range(5):  # the fourth and fifth are weaker than the table: refused, the slot is crowded
        a.add(KIND_ANDROID, cid(i), -90 - i, T0 + 1 + i)
    eq(a.refused, 2, "crowded")
    out = _decoded(a.flush())  # a flush before a sleep: 4 records of the cap's 6
    eq(len(out), 4, "under the cap: everything")
    state = a.state()
    b = encounters.Aggregator(max_open=4, budget=0, keep=1, slot_cap=6)  # after the wake (a reboot)
    b.restore(state)
    b.restore(b"junk")  # ignored
    b.add(KIND_ANDROID, cid(100), -33, T0 + 20)
    for i in range(3):
        b.add(KIND_ANDROID, cid(i), -90 - i, T0 + 21 + i)
    out = _decoded(b.flush())
    eq([(r[3], r[6]) for r in out], [(cid(0), 1), (cid(100), 1)], "2 left under the cap: the strongest")
    eq((b.shed, b.lost), (2, 2), "the weaker shed, counted")
    b.add(KIND_ANDROID, cid(100), -35, T0 + 30)
    b.add(KIND_ANDROID, cid(3), -80, T0 + 31)
    out = _decoded(b.flush())
    eq([r[3] for r in out], [cid(100)], "past the cap: the `keep` strongest only")
    eq(b.shed, 3, "counted")
    b.add(KIND_ANDROID, cid(3), -80, T0 + SLOT)
    eq(len(b.flush()), 1, "a new slot is not capped")
    eq(b.sightings, b.shed + 3 + 1, "every sighting in a record or lost")


def test_ready_queue_full_is_counted():
    a = encounters.Aggregator(max_open=2, budget=100)
    for i in range(10):
        a.add(KIND_ANDROID, cid(i), -90 + i, T0 + i)
    eq(a.evicted, 8, "early closes")
    eq(a.dropped, 6, "8 closed early, 2 fit in the ready queue, 6 dropped and counted")
    eq(len(a.flush()), 4, "2 ready + 2 open")
    eq(a.lost, 6, "their sightings counted")


def test_memoryview_ids_and_bad_input():
    a = encounters.Aggregator()
    a.add(KIND_ANDROID, memoryview(bytearray(cid(1))), -50, T0)
    a.add(KIND_ANDROID, bytearray(cid(1)), -52, T0 + 1)
    eq(a.open_count, 1, "same ID whatever its buffer type")
    raises(ValueError, a.add, 0, cid(1), -50, T0)
    raises(ValueError, a.add, KIND_ANDROID, b"short", -50, T0)
    raises(ValueError, a.add, KIND_ANDROID, cid(1), -50, -1)
    raises(ValueError, encounters.Aggregator, 0)
