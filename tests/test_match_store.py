"""The columnar encounter store (DuckDB beside station.db): round-1 databases migrated on first open with every
row kept, schema version and file mode, pulls stored in steps that survive a cut, duplicates ignored."""

import os
import random
import sqlite3
import stat

import pytest
from conftest import DEEP
from hypothesis import given, settings
from hypothesis import strategies as st

from host_tools import dbfiles, paths, stationdb
from host_tools.errors import UsageError
from host_tools.stationdb import ENCOUNTER_COLUMNS, ROUND1_ENCOUNTERS_SCHEMA, StationDB


def round1_db(path, rows: list[dict], pulls: int = 1) -> None:
    """A station database as round 1 wrote it: encounters in SQLite (plus the syncs and pulls tables)."""
    con = sqlite3.connect(path)
    con.executescript(ROUND1_ENCOUNTERS_SCHEMA + ";" + stationdb.SCHEMA)
    for i in range(pulls):
        con.execute("INSERT INTO pulls (token_id, started_ms, finished_ms, status, records, new_rows, duplicates, "
                    "bad_records, bytes) VALUES ('T', 0, 1, 'complete', 0, 0, 0, 0, 0)")
        con.execute("INSERT INTO syncs (token_id, host_ms, offset_ms, rtt_ms, residual_ms, clock_valid) "
                    "VALUES ('T', ?, 5, 2, 0, 1)", (i,))
    cols = ",".join(ENCOUNTER_COLUMNS)
    con.executemany(f"INSERT INTO encounters ({cols}) VALUES ({','.join('?' * len(ENCOUNTER_COLUMNS))})",
                    [tuple(r[c] for c in ENCOUNTER_COLUMNS) for r in rows])
    con.commit()
    con.close()


def random_rows(rng: random.Random, n: int, tokens: int = 3) -> list[dict]:
    out, offs = [], {}
    for _ in range(n):
        tok = f"BZ-{rng.randrange(tokens):05d}"
        day = 20_000 + rng.randrange(3)
        off = offs[(tok, day)] = offs.get((tok, day), -24) + 24
        first = day * 86_400_000 + rng.randrange(86_400_000)
        last = first + rng.randrange(900_000)
        corr = rng.randrange(-10_000, 10_000)
        lo = rng.randrange(-127, 0)
        hi = rng.randrange(lo, 1)
        out.append({"token_id": tok, "day": day, "file_offset": off, "contact_id": rng.randbytes(12),
                    "kind": rng.randrange(3), "slot": rng.randrange(96), "first_seen_ms": first, "last_seen_ms": last,
                    "raw_first_seen_ms": first - corr, "raw_last_seen_ms": last - corr, "correction_ms": corr,
                    "count": rng.randrange(1, 500), "rssi_min": lo, "rssi_max": hi, "rssi_mean": (lo + hi) // 2,
                    "pull_id": 1})
    return out


def _key(r):
    return (r["token_id"], r["day"], r["file_offset"])


@settings(max_examples=30 if DEEP else 8, deadline=None)
@given(st.integers(0, 2**32), st.integers(0, 400))
def test_round1_database_is_migrated_on_first_open_keeping_every_row(tmp_path_factory, seed, n):
    d = tmp_path_factory.mktemp("m")
    db = d / "station.db"
    rows = random_rows(random.Random(seed), n)
    round1_db(db, rows)
    with StationDB(db) as sdb:
        got = sdb.encounters()
        assert len(got) == n
        assert sorted(got, key=_key) == sorted(rows, key=_key)  # every column of every row, IDs byte for byte
        assert len(sdb.syncs("T")) == 1 and len(sdb.pulls()) == 1  # what stays in SQLite is untouched
    con = sqlite3.connect(db)
    assert con.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'encounters'").fetchone()[0] == 0
    con.close()
    with StationDB(db) as sdb:  # a second open moves nothing twice
        assert sdb.count_encounters() == n


def test_store_has_a_schema_version_and_mode_0600_beside_the_database(tmp_path):
    db = tmp_path / "station.db"
    with StationDB(db):
        pass
    p = paths.encounter_store(db)
    assert p.parent == db.parent and p.name == "station.encounters.duckdb"
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o600
    with stationdb.store(db) as con:
        assert dbfiles.version(con, "encounters") == stationdb.STORE_SCHEMA_VERSION == 3
        con.execute("UPDATE schema_versions SET version = 99 WHERE component = 'encounters'")
    stationdb._ready.clear()
    with pytest.raises(UsageError, match="newer bztoken"), StationDB(db) as sdb:
        sdb.count_encounters()  # the first use of the store refuses it


def test_migration_refuses_to_drop_rows_it_did_not_move(tmp_path):
    db = tmp_path / "station.db"
    round1_db(db, random_rows(random.Random(1), 10))
    with StationDB(db):
        pass
    # an old tool writes to the old table again: the store must not silently drop those rows
    con = sqlite3.connect(db)
    con.execute(ROUND1_ENCOUNTERS_SCHEMA)
    cols = ",".join(ENCOUNTER_COLUMNS)
    r = random_rows(random.Random(2), 1)[0]
    con.execute(f"INSERT INTO encounters ({cols}) VALUES ({','.join('?' * len(ENCOUNTER_COLUMNS))})",
                tuple(r[c] for c in ENCOUNTER_COLUMNS))
    con.commit()
    con.close()
    stationdb._ready.clear()
    with pytest.raises(UsageError, match="were moved"), StationDB(db) as sdb:
        sdb.count_encounters()
    con = sqlite3.connect(db)
    assert con.execute("SELECT COUNT(*) FROM encounters").fetchone()[0] == 1  # still there
    con.close()


def test_store_pull_ignores_duplicates_and_settles_a_cut_store(tmp_path):
    db = tmp_path / "station.db"
    rows = random_rows(random.Random(5), 50, tokens=1)
    pull = {"token_id": rows[0]["token_id"], "started_ms": 0, "finished_ms": 1, "status": "complete"}
    with StationDB(db) as sdb:
        pid, new, dup = sdb.store_pull(pull, rows[:30])
        assert (new, dup) == (30, 0)
        pid2, new, dup = sdb.store_pull(pull, rows[20:] + rows[45:])  # 10 stored already, 5 twice in the pull
        assert (new, dup) == (20, 15) and pid2 == pid + 1
        assert sdb.count_encounters() == 50
        assert {r["pull_id"] for r in sdb.encounters()} == {pid, pid2}
        tok = rows[0]["token_id"]
        day = rows[0]["day"]
        n_day = sum(r["day"] == day for r in rows)
        assert sdb.stored_extent(tok, day, 24) == 24 * n_day
        # a power cut between the store's steps: the pulls row says 'storing', the rows are there
        sdb.con.execute("UPDATE pulls SET status = 'storing', new_rows = 0 WHERE id = ?", (pid2,))
    with StationDB(db) as sdb:
        (row,) = [r for r in sdb.pulls() if r["id"] == pid2]
        assert row["status"] == "interrupted" and row["new_rows"] == 20


def test_a_second_process_waits_for_the_store_then_gets_it(tmp_path):
    import subprocess
    import sys
    import time

    db = tmp_path / "station.db"
    with StationDB(db):
        pass
    con = stationdb.connect_store(db)
    code = ("import sys; from host_tools import stationdb; stationdb.LOCK_WAIT_S = float(sys.argv[2]);"
            "print(stationdb.StationDB(sys.argv[1]).count_encounters())")
    busy = subprocess.run([sys.executable, "-c", code, str(db), "0.3"], capture_output=True, text=True)
    assert busy.returncode != 0 and "in use by another program" in busy.stderr
    p = subprocess.Popen([sys.executable, "-c", code, str(db), "30"], stdout=subprocess.PIPE, text=True)
    time.sleep(0.5)
    con.close()
    assert p.communicate(timeout=60)[0].strip() == "0" and p.returncode == 0


def _migrated_store(tmp_path, seed: int, n: int):
    """A round-1 station database with n random rows, opened once (migrated to the current store): (db, rows)."""
    db = tmp_path / "station.db"
    rows = random_rows(random.Random(seed), n)
    round1_db(db, rows)
    with StationDB(db):
        pass
    return db, rows


def _reopened(db, rows):
    """Open the store again after a test wound its schema back: every row is still there. The open StationDB."""
    stationdb._ready.clear()
    sdb = StationDB(db)
    assert sorted(sdb.encounters(), key=_key) == sorted(rows, key=_key)
    return sdb


def test_a_version_1_store_migrates_forward_keeping_its_rows(tmp_path):
    db, rows = _migrated_store(tmp_path, 9, 40)
    with stationdb.store(db) as con:  # back to version 1: as the first round-2 release left it
        for t in ("match_lists", "match_pulls", "match_hits", "match_exposures"):
            con.execute(f"DROP TABLE {t}")
        con.execute("UPDATE schema_versions SET version = 1 WHERE component = 'encounters'")
    with _reopened(db, rows) as sdb, sdb.store() as con:
        assert dbfiles.version(con, "encounters") == 3
        assert con.execute("SELECT COUNT(*) FROM match_hits").fetchone()[0] == 0
        assert con.execute("SELECT COUNT(rid) FROM match_encounters").fetchone()[0] == len(rows)


def test_a_version_2_store_gains_row_ids_keeping_everything(tmp_path):
    """Version 3 only redefines the matcher's view (its `rid`: the row's rowid); rows and match state stay."""
    db, rows = _migrated_store(tmp_path, 10, 30)
    with stationdb.store(db) as con:  # back to version 2: the view without rid, some match state
        con.execute("CREATE OR REPLACE VIEW match_encounters AS " + stationdb.STORE_V1.split(
            "CREATE OR REPLACE VIEW match_encounters AS", 1)[1])
        con.execute("INSERT INTO match_lists VALUES (1, 'ab', 5)")
        con.execute("UPDATE schema_versions SET version = 2 WHERE component = 'encounters'")
        assert "rid" not in [d[0] for d in con.execute("SELECT * FROM match_encounters LIMIT 0").description]
    with _reopened(db, rows) as sdb, sdb.store() as con:
        assert dbfiles.version(con, "encounters") == 3
        assert con.execute("SELECT * FROM match_lists").fetchall() == [(1, "ab", 5)]
        got = con.execute("SELECT rid, token_id, row_no FROM match_encounters ORDER BY rid").fetchall()
        want = con.execute("SELECT rowid, token_id, CAST(day AS BIGINT) * 4294967296 + file_offset "
                           "FROM encounters ORDER BY rowid").fetchall()
        assert got == want and len(got) == len(rows)
