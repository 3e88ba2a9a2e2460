"""The two-step join of long lists (host_tools.match.engine.run_query: candidates by the ID's first 8 bytes, in ID
ranges, then the match query on them) gives exactly the one-step join's matches and exposures: on Hypothesis
logs with rows that share a derived ID's first 8 bytes but not its last 4, on the station's store (the CLI's
whole-store and one-token runs, and the station's incremental matcher with its pull and day conditions)."""

import random
from contextlib import contextmanager
from unittest import mock

from conftest import DEEP
from hypothesis import given, settings
from hypothesis import strategies as st
from test_match_engine import _log, _src, scenario

from bzfw import ids
from host_tools.match import engine, exposures, logs
from host_tools.stationdb import StationDB

DAY0 = 20_400


@contextmanager
def _path(two_step: bool, part_ids: int = 7):
    """Force the two-step join on every list (ranges of about part_ids IDs), or the one-step join on all (logs
    read from files too: none is joined by numpy_query)."""
    with mock.patch.object(engine, "PREFILTER_MIN", 0 if two_step else 1 << 62), \
            mock.patch.object(engine, "PART_IDS", part_ids), mock.patch.object(engine, "NUMPY_JOIN_MAX_ROWS", -1):
        yield


def _same(a: engine.Result, b: engine.Result) -> None:
    assert [lr.matches for lr in a.logs] == [lr.matches for lr in b.logs]
    assert [lr.exposures for lr in a.logs] == [lr.exposures for lr in b.logs]
    assert a.ids == b.ids and a.key_days == b.key_days


def test_id_ranges_cover_every_bigint_once():
    for n, part in ((0, 5), (1, 5), (10, 5), (11, 5), (96, 7), (10**7, 5 * 10**6)):
        r = engine.id_ranges(n, part)
        assert len(r) == max(1, -(-n // part))
        assert r[0][0] == -(2**63) and r[-1][1] == 2**63 - 1
        assert all(b + 1 == c for (_, b), (c, _) in zip(r, r[1:], strict=False)) and all(a <= b for a, b in r)


@settings(max_examples=300 if DEEP else 40, deadline=None)
@given(scenario(), st.sampled_from(["strict", "scored"]), st.integers(1, 400), st.data())
def test_two_step_join_equals_one_step(sc, mode, part_ids, data):
    entries, rows = sc
    # rows whose first 8 bytes are a derived ID's and whose last 4 are not: candidates the match query drops
    for e in entries[: data.draw(st.integers(0, len(entries)))]:
        kd = next(iter(e.key_days()))
        bz = ids.day_ids(kd.key, e.max)[data.draw(st.integers(0, e.max - 1))]
        lo = bytes(b ^ 0xFF for b in bz[8:])
        rows.append((bz[:8] + lo, e.time_start * 1000, e.time_start * 1000 + 60_000))
    log = _log(rows)
    with _path(False):
        one = engine.run_match(entries, [_src(log), _src(_log(rows[::-1], "rev"))], mode=mode)
    with _path(True, part_ids):
        two = engine.run_match(entries, [_src(log), _src(_log(rows[::-1], "rev"))], mode=mode)
    _same(one, two)


def _store(tmp, rng, keys, n_rows):
    tmp.mkdir(exist_ok=True)
    db = tmp / "station.db"
    StationDB(db).close()
    offsets: dict = {}
    for p in range(6):
        token = f"BZT-{p % 3:04d}"
        rows = []
        for _ in range(n_rows):
            key, day = rng.choice(keys)
            slot = rng.randrange(96)
            cid = ids.slot_id(key, slot) if rng.random() < 0.4 else rng.randbytes(12)
            if rng.random() < 0.1:
                cid = cid[:8] + rng.randbytes(4)
            ws = day * ids.DAY_MS + slot * 900_000
            first = ws + rng.choice([-45_000, -20_000, 0, 5_000, 400_000, 899_000, 910_000, 931_000])
            last = first + rng.choice([0, 60_000, 300_000])
            off = offsets.setdefault((token, day), 0)
            offsets[(token, day)] = off + 24
            lo = rng.randrange(-95, -40)
            rows.append({"token_id": token, "day": day, "file_offset": off, "contact_id": cid, "kind": 0,
                         "slot": slot, "first_seen_ms": first, "last_seen_ms": last, "raw_first_seen_ms": first,
                         "raw_last_seen_ms": last, "correction_ms": 0, "count": rng.randrange(1, 30),
                         "rssi_min": lo, "rssi_max": min(lo + 10, -30), "rssi_mean": lo + 5, "pull_id": 0})
        with StationDB(db) as sdb:
            sdb.store_pull({"token_id": token, "started_ms": 0, "finished_ms": 1, "status": "complete"}, rows)
    return db


def test_two_step_join_on_the_station_store(tmp_path):
    rng = random.Random(15)
    keys = [(rng.randbytes(32), DAY0 + rng.randrange(3)) for _ in range(40)]
    db = _store(tmp_path, rng, keys, 120)
    exp = tmp_path / "list.json"
    exp.write_text('{"data": [' + ",".join(
        f'{{"daily_key": "{k.hex()}", "time_start": {d * 86400}, "max": 96, "time_end": {d * 86400 + 86399}}}'
        for k, d in keys) + "]}")
    ex = exposures.read_exposures([exp])
    none = tmp_path / "none.json"  # a list none of whose IDs is stored: no candidates at all
    none.write_text('{"data": [' + ",".join(
        f'{{"daily_key": "{rng.randbytes(32).hex()}", "time_start": {d * 86400}, "max": 96, '
        f'"time_end": {d * 86400 + 86399}}}' for _, d in keys) + "]}")
    for token in (None, "BZT-0001"):
        with _path(False):
            one = engine.run_match(ex, logs.db_logs(db, token), mode="scored")
        with _path(True, 500):
            two = engine.run_match(ex, logs.db_logs(db, token), mode="scored")
        _same(one, two)
        assert sum(len(lr.matches) for lr in one.logs) > 20
    with _path(True, 500):
        empty = engine.run_match(exposures.read_exposures([none]), logs.db_logs(db), mode="scored")
    with _path(False):
        want = engine.run_match(exposures.read_exposures([none]), logs.db_logs(db), mode="scored")
    _same(empty, want)
    assert not any(lr.matches for lr in empty.logs) and len(empty.logs) == 3


def test_two_step_join_in_the_station_matcher(tmp_path):
    from host_tools.station import matcher, store

    rng = random.Random(16)
    keys = [(rng.randbytes(32), DAY0 + rng.randrange(3)) for _ in range(30)]
    db = _store(tmp_path, rng, keys, 80)
    store.init(db)
    for i in range(2):
        p = tmp_path / f"list{i}.json"
        p.write_text('{"data": [' + ",".join(
            f'{{"daily_key": "{k.hex()}", "time_start": {d * 86400}, "max": 96, "time_end": {d * 86400 + 86399}}}'
            for k, d in keys[i * 15:(i + 1) * 15]) + "]}")
        store.add_list(db, p.name, str(p), f"{i:064x}", 15, "test")
    with _path(False):
        matcher.match_all(db)
        one = matcher.current_exposures(db)
    with _path(True, 300):
        matcher.match_all(db)
        two = matcher.current_exposures(db)
    assert one == two and len(one) > 5
    # incremental: a new pull is joined with its pull_id condition, through the two-step join
    more = _store(tmp_path / "more", random.Random(17), keys, 40)
    with StationDB(more) as src:
        rows = src.encounters("BZT-0002")
    for r in rows:
        r["file_offset"] += 1_000_000
    with _path(True, 300):
        with StationDB(db) as sdb:
            sdb.store_pull({"token_id": "BZT-0002", "started_ms": 0, "finished_ms": 1, "status": "complete"}, rows)
        assert matcher.run_batch(db)["pulls"] == 1
        inc = matcher.current_exposures(db)
    with _path(False):
        matcher.match_all(db)
        assert matcher.current_exposures(db) == inc and len(inc) > len(one)


def test_a_small_side_needs_no_prefilter(monkeypatch):
    """The two-step join only where both sides are long: a 100-row log against a long list is joined in one
    step (DuckDB builds its hash table on the log)."""
    calls = []
    real = engine.candidates
    monkeypatch.setattr(engine, "candidates", lambda *a, **k: calls.append(a) or real(*a, **k))
    monkeypatch.setattr(engine, "PREFILTER_MIN", 50)
    monkeypatch.setattr(engine, "NUMPY_JOIN_MAX_ROWS", -1)  # the SQL path's choice (files: numpy_query otherwise)
    key = bytes(range(32))
    t0 = DAY0 * 86_400
    entries = [engine.Entry(i, "test", i, bytes([i]) + key[1:], t0, 96, t0 + 86_399) for i in range(2)]
    hit = ids.slot_id(entries[1].daily_key, 9)
    ws = t0 * 1000 + 9 * 900_000
    small = _log([(hit, ws, ws + 1000)] + [(bytes([i]) * 12, ws, ws) for i in range(10)])
    big = _log([(hit, ws, ws + 1000)] + [(bytes([i % 250, i // 250]) * 6, ws, ws) for i in range(300)])
    res_small = engine.run_match(entries, [_src(small)], mode="strict")
    assert calls == [] and len(res_small.logs[0].matches) == 1
    res_big = engine.run_match(entries, [_src(big)], mode="strict")
    assert len(calls) == 1 and res_big.logs[0].matches == res_small.logs[0].matches
