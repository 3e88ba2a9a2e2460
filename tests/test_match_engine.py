"""The matcher: the vectors' matching cases under the strict rule, the strict rule against the phones' own walk
(Hypothesis), either side indexed and chunked derivation giving the same result, and scoring."""

import json

import pytest
from conftest import DEEP
from hypothesis import given, settings
from hypothesis import strategies as st

from bzfw import ids
from host_tools.errors import UsageError
from host_tools.match import engine, phones
from host_tools.match.exposures import Entry, read_entries
from host_tools.match.logs import LogSource, make_log

DAY_MS = 86_400_000


def _entry(index, key, t0, te, m=96):
    return Entry(index, "test", index, key, t0, m, te)


def _log(rows, name="log"):
    """rows: (contact_id, first_ms, last_ms[, count, rssi])"""
    full = [(c, a, b, *(x[3:4] or (1,)), *(x[4:5] or (-60,)) * 3) for x in rows for c, a, b in [x[:3]]]
    return make_log(name, full, {"source": "test"})


def _src(log):
    return LogSource(log.name, lambda: log, len(log))


def _slots(res, log_i=0):
    return {(m["entry"], m["contact_id"], m["slot_start_ms"]) for m in res.logs[log_i].matches}


def test_vector_matching_cases(vectors, tmp_path):
    for i, case in enumerate(vectors["matching"]["cases"]):
        p = tmp_path / f"e{i}.json"
        p.write_text(json.dumps({"data": [case["entry"]]}))
        sight = case["sighting"]
        log = _log([(bytes.fromhex(sight["id"]), sight["ts_ms"], sight["ts_ms"])])
        for native in (True, False):
            res = engine.run_match(read_entries([p]), [_src(log)], mode="strict", native=native)
            got = res.logs[0].matches
            assert bool(got) == case["hit"], case
            if case["hit"]:
                assert got[0]["slot_start_ms"] == case["slot_start_ms"] and got[0]["contact_id"] == sight["id"]
                assert got[0]["slot_end_ms"] == case["slot_start_ms"] + 900_000


def test_window_ends_inclusive_and_tolerance():
    key = bytes(range(32))
    t0 = 18_500 * 86_400
    e = _entry(0, key, t0, t0 + 86_399)
    id5 = ids.slot_id(key, 5)
    ws = t0 * 1000 + 5 * 900_000
    rows = [(id5, ws, ws), (id5, ws + 900_000, ws + 900_000)]  # both edges, inclusive
    res = engine.run_match([e], [_src(_log(rows))], mode="strict")
    assert res.logs[0].matches[0]["count"] == 2
    late = [(id5, ws + 900_001 + 20_000, ws + 900_001 + 20_000)]  # 20 s late: a clock error
    assert engine.run_match([e], [_src(_log(late))], mode="strict").logs[0].matches == []
    sc = engine.run_match([e], [_src(_log(late))], mode="scored")
    (m,) = sc.logs[0].matches
    assert m["edge"] is True and sc.logs[0].exposures[0]["edge_only"] is True
    th = engine.Thresholds(tolerance_s=10)
    assert engine.run_match([e], [_src(_log(late))], mode="scored", thresholds=th).logs[0].matches == []


def test_scoring_merges_durations_and_classifies():
    key = bytes(32)
    t0 = 18_500 * 86_400
    e = _entry(0, key, t0, t0 + 86_399)
    base = t0 * 1000 + 40 * 900_000
    # a phone seen every 2 minutes for 20 minutes across slot boundaries (three IDs), near
    rows = []
    for k in range(11):
        t = base + 600_000 + k * 120_000
        rows.append((ids.slot_id(key, ids.slot_of(t)), t, t, 1, -60))
    phone = _log(rows)
    phone.info["platform"] = "android"  # a sighting stands for the phone's 300 s scan period
    res = engine.run_match([e], [_src(phone)], mode="scored")
    (x,) = res.logs[0].exposures
    assert x["duration_ms"] == 20 * 60_000 and len(x["intervals"]) == 1 and x["slots"] == 3
    assert (x["proximity"], x["risk"], x["count"], x["exposed"]) == ("near", "high", 11, True)
    assert x["near_min"] >= 20 and sum(s["near_min"] for s in x["near_min_by_slot"]) == pytest.approx(x["near_min"],
                                                                                                       abs=0.05)
    far = [(c, a, b, 1, -95) for c, a, b, _, _ in rows]
    (y,) = engine.run_match([e], [_src(_log(far))], mode="scored").logs[0].exposures
    assert (y["proximity"], y["risk"], y["near_min"]) == ("far", "low", 0)
    assert y["buckets_s"]["other"] >= 10 * 60  # a token log: each sighting stands for its 50 s scan period


def test_thresholds_checked():
    with pytest.raises(UsageError):
        engine.run_match([], [], mode="scored", thresholds=engine.Thresholds(near_min=-1))
    with pytest.raises(UsageError):
        engine.run_match([], [], mode="fuzzy")


keys = st.binary(min_size=32, max_size=32)


@st.composite
def scenario(draw):
    day0 = 18_400
    n = draw(st.integers(1, 4))
    entries = []
    for i in range(n):
        m = draw(st.sampled_from([96, 48, 144]))
        t0 = (day0 + draw(st.integers(0, 3))) * 86_400 + draw(st.sampled_from([0, 0, 450, 3600]))
        te = t0 + draw(st.integers(0, 2 * 86_400))
        entries.append(_entry(i, draw(keys), t0, te, m))
    # sightings: IDs of the entries' slots at times around their windows, plus noise
    rows = []
    for _ in range(draw(st.integers(0, 25))):
        e = draw(st.sampled_from(entries))
        n_slots = e.n_slots
        slot = draw(st.integers(0, n_slots - 1))
        kd = list(e.key_days())[slot // e.max]
        bz = ids.day_ids(kd.key, e.max)[slot % e.max]
        ws = (e.time_start * 1000) + slot * e.slot_s * 1000
        a = ws + draw(st.integers(-60_000, e.slot_s * 1000 + 60_000))
        b = a + draw(st.sampled_from([0, 0, 5000, 400_000]))
        rows.append((bz, a, b))
    for _ in range(draw(st.integers(0, 5))):
        rows.append((draw(st.binary(min_size=12, max_size=12)), day0 * DAY_MS, day0 * DAY_MS + 1))
    return entries, rows


@settings(max_examples=1500 if DEEP else 80)
@given(scenario())
def test_strict_equals_the_phones_walk(sc):
    entries, rows = sc
    log = _log(rows)
    want = set()
    table = phones.log_lookup(log)
    for e in entries:
        want |= {(ei, bz.hex().upper(), t) for ei, bz, t in phones.entry_hits(e, table)}
    res = engine.run_match(entries, [_src(log)], mode="strict")
    assert _slots(res) == want


@settings(max_examples=500 if DEEP else 50)
@given(scenario(), st.integers(1, 300), st.sampled_from(["strict", "scored"]))
def test_index_side_and_chunks_do_not_change_results(sc, max_ids, mode):
    entries, rows = sc
    log = _log(rows)
    whole = engine.run_match(entries, [_src(log)], mode=mode)
    chunked = engine.run_match(entries, [_src(log)], mode=mode, max_ids=max(max_ids, 144))
    two = engine.run_match(entries, [_src(log), _src(_log(rows, "again"))], mode=mode)  # exposures indexed
    assert whole.logs[0].matches == chunked.logs[0].matches == two.logs[0].matches == two.logs[1].matches
    assert whole.logs[0].exposures == chunked.logs[0].exposures
    assert whole.key_days == chunked.key_days and whole.entries == len(entries)


def test_query_joins_equal_ids_within_the_widened_window():
    import duckdb

    key = bytes(range(32))
    t0 = 18_500 * 86_400
    e = _entry(0, key, t0, t0 + 86_399)
    chunk = engine.build_chunk(list(e.key_days()), 1, True)
    assert len(chunk) == 96
    day = ids.day_ids(key)
    ws3, ws90 = t0 * 1000 + 3 * 900_000, t0 * 1000 + 90 * 900_000
    log = _log([(day[3], ws3, ws3 + 10), (day[3], ws3 - 20_000, ws3 - 10_000), (bytes(12), ws3, ws3),
                (day[90], ws90 + 900_000 + 30_000, ws90 + 900_000 + 40_000), (day[3], ws3 - 40_000, ws3 - 31_000)])
    con = duckdb.connect()
    con.register("enc", engine.file_relation([log]))
    got = engine.run_query(con, chunk, 30_000, "enc")
    # row 0: inside; row 1: 10-20 s before the window (edge); row 3: 30 s after (edge, the limit is inclusive);
    # row 2: unknown ID; row 4: 31 s before, beyond the tolerance
    assert got["row_no"].tolist() == [0, 1, 3]
    assert got["slot"].tolist() == [3, 3, 90] and got["is_strict"].tolist() == [True, False, False]
    strict = engine.run_query(con, chunk, 0, "enc")
    assert strict["row_no"].tolist() == [0]


@pytest.mark.slow
def test_large_list_streamed_in_chunks_finds_every_planted_contact(tmp_path):
    import random

    rng = random.Random(3)
    n = 30_000
    keys = [rng.randbytes(32) for _ in range(n)]
    day0 = 18_600
    p = tmp_path / "big.json"
    p.write_text('{"data": [' + ",".join(json.dumps({"daily_key": k.hex(), "time_start": (day0 + i % 10) * 86400,
                                                    "max": 96, "time_end": (day0 + i % 10) * 86400 + 86399})
                                         for i, k in enumerate(keys)) + "]}")
    planted, rows = set(), []
    for _ in range(60):
        i, slot = rng.randrange(n), rng.randrange(96)
        ws = ((day0 + i % 10) * 86400) * 1000 + slot * 900_000
        t = ws + rng.randrange(900_001)
        rows.append((ids.slot_id(keys[i], slot), t, t))
        planted.add((i, ids.slot_id(keys[i], slot).hex().upper(), ws))
    rows += [(rng.randbytes(12), day0 * DAY_MS, day0 * DAY_MS) for _ in range(5000)]
    log = _log(rows)
    whole = engine.run_match(read_entries([p]), [_src(log)], mode="strict")
    chunked = engine.run_match(read_entries([p]), [_src(log)], mode="strict", max_ids=100_000)
    assert chunked.stats["chunks"] > 20
    assert _slots(whole) == _slots(chunked) == planted


def _round1():
    import match_round1  # the round-1 numpy join, kept as the old path (tests/match_round1.py)

    return match_round1


@settings(max_examples=500 if DEEP else 60)
@given(scenario(), st.sampled_from(["strict", "scored"]))
def test_new_join_equals_the_round1_join(sc, mode):
    """The same matches (entry, contact, window, first/last seen, counts, RSSI, edge) from the SQL join as from
    round 1's numpy join, strict and scored (the scored rule's matches: the slot-edge tolerance of 30 s)."""
    entries, rows = sc
    log = _log(rows)
    old = _round1().run_match(entries, [_src(log)], mode=mode, thresholds=_round1().Thresholds(tolerance_s=30))
    new = engine.run_match(entries, [_src(log)], mode=mode)
    assert new.logs[0].matches == old.logs[0].matches
    assert new.key_days == old.key_days and new.ids == old.ids and new.entries == old.entries


def test_new_join_equals_the_round1_join_on_the_vectors(vectors, tmp_path):
    for i, case in enumerate(vectors["matching"]["cases"]):
        p = tmp_path / f"e{i}.json"
        p.write_text(json.dumps({"data": [case["entry"]]}))
        sight = case["sighting"]
        log = _log([(bytes.fromhex(sight["id"]), sight["ts_ms"], sight["ts_ms"])])
        for mode in ("strict", "scored"):
            old = _round1().run_match(list(read_entries([p])), [_src(log)], mode=mode)
            new = engine.run_match(read_entries([p]), [_src(log)], mode=mode)
            assert new.logs[0].matches == old.logs[0].matches, (case, mode)
