"""Encounter record codec and aggregator on CPython: Hypothesis round trips and corruption tests."""

import binascii
import struct

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bzfw import adv, records
from bzfw.encounters import Aggregator

DAY_MS = 86400000
SLOT_MS = 900000

days = st.integers(min_value=0, max_value=60000)  # 1970 .. 2134
rssi = st.integers(min_value=-127, max_value=0)


@st.composite
def encounters(draw):
    day = draw(days)
    slot = draw(st.integers(0, 95))
    start = day * DAY_MS + slot * SLOT_MS
    first = draw(st.integers(start, start + SLOT_MS - 1))
    last = draw(st.integers(first, start + SLOT_MS - 1))
    lo, hi = sorted((draw(rssi), draw(rssi)))
    mean = draw(st.integers(lo, hi))
    kind = draw(st.sampled_from((adv.KIND_ANDROID, adv.KIND_IOS)))
    cid = draw(st.binary(min_size=12, max_size=12))
    count = draw(st.integers(1, records.MAX_COUNT))
    return day, slot, kind, cid, first, last, count, lo, hi, mean


@given(encounters())
def test_round_trip(e):
    day, slot, kind, cid, first, last, count, lo, hi, mean = e
    r = records.encode(*e)
    assert len(r) == records.RECORD_SIZE == 24
    got = records.decode(r, day)
    # times are kept to the whole second (floored), all else exactly
    assert got == (day, slot, kind, cid, first - first % 1000, first - first % 1000 + (last // 1000 - first // 1000)
                   * 1000, count, lo, hi, mean)
    assert records.encode(*got) == r  # encode(decode(r)) is the identity on records
    assert got[4] <= e[4] and got[5] <= e[5] and e[5] - got[5] < 1000


@given(encounters(), st.integers(min_value=0, max_value=24 * 8 - 1))
def test_any_single_bit_flip_is_refused(e, bit):
    r = bytearray(records.encode(*e))
    r[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(ValueError):
        records.decode(bytes(r), e[0])


@given(encounters(), st.binary(min_size=1, max_size=24), st.integers(0, 23))
def test_overwritten_bytes_are_refused(e, junk, at):
    r = records.encode(*e)
    bad = (r[:at] + junk + r[at + len(junk):])[:24]
    assume(bad != r)
    with pytest.raises(ValueError):
        records.decode(bad, e[0])


@given(st.binary(min_size=0, max_size=48), days)
def test_random_bytes_never_decode_silently(buf, day):
    # random bytes decode only if they carry the right CRC for that day and sane fields
    try:
        got = records.decode(buf, day)
    except ValueError:
        return
    assert len(buf) == 24
    assert records.encode(*got) == buf


@given(encounters(), st.integers(1, 1000))
def test_record_of_another_day_is_refused(e, delta):
    with pytest.raises(ValueError):
        records.decode(records.encode(*e), e[0] + delta)


def test_crc_is_zip_crc32_of_day_and_body():
    r = records.encode(20415, 1, 1, b"\x42" * 12, 20415 * DAY_MS + SLOT_MS, 20415 * DAY_MS + SLOT_MS, 1, -1, -1, -1)
    assert r[20:] == struct.pack("<I", binascii.crc32(struct.pack("<I", 20415) + r[:20]))


sightings = st.lists(
    st.tuples(st.integers(0, 11), st.integers(-110, -20), st.integers(0, 3 * SLOT_MS - 1)), min_size=1, max_size=80)


@given(sightings, st.integers(1, 16), st.integers(0, 20), st.integers(0, 9))
def test_aggregator_accounts_for_every_sighting(seen, max_open, budget, every):
    """Whatever the order, table size, crowd budget and checkpoints: counts add up, stats match, every
    record decodes, the strongest contact is never refused or shed, records per slot stay bounded."""
    t0 = 20415 * DAY_MS
    agg = Aggregator(max_open=max_open, budget=budget, keep=2)
    seen = sorted(seen, key=lambda s: s[2])
    out = []
    checkpoints = [0, 0, 0]
    for i, (dev, r, t) in enumerate(seen):
        agg.add(adv.KIND_ANDROID, bytes([dev]) * 12, r, t0 + t)
        if every and i % every == every - 1:  # the app's periodic persist
            out += agg.checkpoint()
            checkpoints[t // SLOT_MS] += 1
    out += agg.close_before(t0 + SLOT_MS) + agg.flush()
    recs = [records.decode(rec, d) for d, rec in out]
    assert agg.open_count == 0
    total = sum(r[6] for r in recs)
    assert total + agg.refused + agg.lost == len(seen)  # every sighting recorded or counted as lost
    assert agg.evicted + agg.shed <= len(seen)
    if agg.dropped:  # only when the ready queue overflowed, which needs more IDs than the table holds
        assert len({s[0] for s in seen}) > max_open
    for slot in range(3):  # bounded: the budget's early records, an ended slot's rows, the final close,
        # and a table's worth per checkpoint (a full flush until the table overflows, then only `keep`)
        assert sum(1 for r in recs if r[1] == slot) <= budget + 2 * max_open + checkpoints[slot] * max_open
    # A device whose every sighting is stronger than everyone else's is never refused, closed early or shed
    # (only a ready queue left uncollected, which the app writes in batches long before it is full, loses it).
    strong = max(s[1] for s in seen)
    top = {s[0] for s in seen if s[1] == strong}
    if len(top) == 1 and not agg.dropped and all(s[1] < strong for s in seen if s[0] not in top):
        dev = top.pop()
        mine = [r for r in recs if r[3] == bytes([dev]) * 12]
        if all(s[1] == strong for s in seen if s[0] == dev):
            assert sum(r[6] for r in mine) == sum(1 for s in seen if s[0] == dev)
    if agg.refused or agg.lost:
        return
    for dev in {s[0] for s in seen}:
        mine = [r for r in recs if r[3] == bytes([dev]) * 12]
        rs = [s[1] for s in seen if s[0] == dev]
        assert min(r[7] for r in mine) == min(rs)
        assert max(r[8] for r in mine) == max(rs)
    if agg.evicted == 0 and not sum(checkpoints):
        # without eviction or checkpoint: exactly one record per (ID, slot), with the exact rounded mean
        keys = {(s[0], s[2] // SLOT_MS) for s in seen}
        assert len(recs) == len(keys)
        for dev, slot in keys:
            rs = [s[1] for s in seen if s[0] == dev and s[2] // SLOT_MS == slot]
            (rec,) = [r for r in recs if r[3] == bytes([dev]) * 12 and r[1] == slot]
            assert rec[6] == len(rs)
            assert rec[9] == (2 * sum(rs) + len(rs)) // (2 * len(rs))
