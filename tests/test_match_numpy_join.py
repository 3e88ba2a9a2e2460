"""The numpy join for small logs read from files (host_tools.match.engine.numpy_query) returns exactly what
query.match_sql returns in DuckDB: the same columns, dtypes, rows and order, for any tolerance (strict: 0; scored:
the ±1-slot tolerance), on Hypothesis lists and logs with rows built to pass each of its filters but not the next
(same low 16 bits of the ID, same first 8 bytes, same ID outside the widened window), repeated IDs, and more than
ten logs (ordered by their names as text). Through run_match, both paths give the same matches and exposures."""

from unittest import mock

import duckdb
import numpy as np
from conftest import DEEP
from hypothesis import given, settings
from hypothesis import strategies as st
from test_match_engine import _entry, _log, _src, scenario

from bzfw import ids
from host_tools.match import engine
from host_tools.match.exposures import Exposures


def _sql(chunk, tol, rel):
    con = duckdb.connect()
    try:
        con.register("enc", rel)
        return engine.run_query(con, chunk, tol, "enc")
    finally:
        con.close()


def _assert_same(sql: dict, fast: dict) -> None:
    assert list(fast) == list(sql)
    for c in sql:
        a, b = np.asarray(sql[c]), np.asarray(fast[c])
        assert a.dtype == b.dtype, (c, a.dtype, b.dtype)
        assert a.tolist() == b.tolist(), c


@st.composite
def tricky(draw):
    """scenario()'s lists and sightings, plus rows that pass the numpy join's filters one by one and fail the next."""
    entries, rows = draw(scenario())
    for e in entries[: draw(st.integers(0, len(entries)))]:
        kd = next(iter(e.key_days()))
        slot = draw(st.integers(0, min(e.max, e.n_slots) - 1))
        bz = ids.day_ids(kd.key, e.max)[slot]
        ws = e.time_start * 1000 + slot * e.slot_s * 1000
        we = ws + e.slot_s * 1000
        flip = draw(st.integers(1, 255))
        rows.append((bytes([bz[0] ^ flip]) + bz[1:], ws, ws + 1))  # same low 16 bits, other first 8 bytes
        rows.append((bz[:8] + bytes([bz[8] ^ flip]) + bz[9:], ws, ws + 1))  # same first 8 bytes and low 16 bits
        far = ws + draw(st.sampled_from([-3 * 86_400_000, 5 * 86_400_000]))
        rows.append((bz, far, far + 1000))  # same ID, days away
        rows += [(bz, ws + 10, ws + 20)] * draw(st.integers(0, 2))  # repeated rows
        # at the window's ends, with and without the scored rule's 30 s, and one ms beyond
        for d in draw(st.lists(st.sampled_from([0, 1, 30_000, 30_001]), max_size=4)):
            rows.append((bz, we + d, we + d + draw(st.sampled_from([0, 5000]))))
            rows.append((bz, ws - d - draw(st.sampled_from([0, 5000])), ws - d))
        rows += [(bz, ws, we + 60_000), (bz, ws - 60_000, we)]  # one end exactly on the window's, the other out
    return entries, rows


@settings(max_examples=300 if DEEP else 40, deadline=None)
@given(tricky(), st.integers(1, 13), st.sampled_from([0, 0, 30_000, 30_000, 1, 899_999]), st.data())
def test_numpy_join_equals_match_sql(sc, n_logs, tol, data):
    entries, rows = sc
    logs = [_log([rows[i] for i in data.draw(st.lists(st.integers(0, max(0, len(rows) - 1)), max_size=60))]
                 if rows else [], f"l{k}") for k in range(n_logs)]
    rel = engine.file_relation(logs)
    ex = Exposures.from_entries(entries)
    jobs, block = data.draw(st.sampled_from([(1, 1 << 16), (2, 1), (3, 2), (2, 7)]))  # small blocks: threads
    for kds in engine._key_day_chunks(ex, data.draw(st.sampled_from([144, 10_000]))):
        chunk = engine.build_chunk(kds)
        with mock.patch.object(engine, "_BLOCK", block):
            fast = engine.numpy_query(chunk, tol, rel, jobs)
        assert fast is not None
        _assert_same(_sql(chunk, tol, rel), fast)


@settings(max_examples=200 if DEEP else 30, deadline=None)
@given(tricky(), st.sampled_from(["strict", "scored"]))
def test_run_match_same_results_by_either_join(sc, mode):
    entries, rows = sc
    srcs = [_src(_log(rows)), _src(_log(rows[::-1], "rev"))]
    with mock.patch.object(engine, "NUMPY_JOIN_MAX_ROWS", -1):
        sql = engine.run_match(entries, srcs, mode=mode)
    fast = engine.run_match(entries, srcs, mode=mode)
    assert sql.stats["engine"] == "duckdb" and fast.stats["engine"] == "numpy"
    assert [lr.matches for lr in fast.logs] == [lr.matches for lr in sql.logs]
    assert [lr.exposures for lr in fast.logs] == [lr.exposures for lr in sql.logs]
    assert fast.ids == sql.ids and fast.key_days == sql.key_days


def test_numpy_join_finds_the_planted_rows_and_leaves_other_chunks_to_sql():
    key = bytes(range(32))
    t0 = 18_500 * 86_400
    chunk = engine.build_chunk(list(_entry(0, key, t0, t0 + 86_399).key_days()))
    day = ids.day_ids(key)
    ws = t0 * 1000 + 7 * 900_000
    rel = engine.file_relation([_log([(bytes(12), ws, ws), (day[7], ws - 20_000, ws - 10_000), (day[7], ws, ws)])])
    got = engine.numpy_query(chunk, 30_000, rel)
    assert got["row_no"].tolist() == [1, 2] and got["is_strict"].tolist() == [False, True]
    assert engine.numpy_query(chunk, 0, rel)["row_no"].tolist() == [2]
    # key-days not numbered by their row (not a chunk of build_chunk): the SQL path answers
    odd = engine.IdChunk(chunk.exposure_ids, {**chunk.key_days, "kd": chunk.key_days["kd"] + 5})
    assert engine.numpy_query(odd, 0, rel) is None
