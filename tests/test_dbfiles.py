"""host_tools.dbfiles: private files and forward migrations, on real SQLite and DuckDB files."""

import os
import sqlite3
import stat

import pytest

from host_tools import dbfiles
from host_tools.errors import UsageError

V1 = """CREATE TABLE IF NOT EXISTS people (id INTEGER PRIMARY KEY, name TEXT NOT NULL);  -- a ; in a comment
CREATE INDEX IF NOT EXISTS people_name ON people(name)"""
V2 = "ALTER TABLE people ADD COLUMN phone TEXT DEFAULT 'x;y'"


def mode(p):
    return stat.S_IMODE(os.stat(p).st_mode)


def test_new_sqlite_file_is_0600_in_a_0700_folder(tmp_path):
    db = tmp_path / "new" / "deeper" / "s.db"
    old = os.umask(0o022)
    try:
        con = dbfiles.open_sqlite(db, "people", [V1])
        con.execute("INSERT INTO people (name) VALUES ('An')")
        con.close()
    finally:
        os.umask(old)
    assert mode(db) == 0o600
    assert mode(db.parent) == 0o700 and mode(db.parent.parent) == 0o700


def test_existing_readable_file_and_journal_are_tightened(tmp_path):
    db = tmp_path / "s.db"
    sqlite3.connect(db).execute("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL)").connection.close()
    os.chmod(db, 0o644)
    (tmp_path / "s.db-wal").write_bytes(b"")
    os.chmod(tmp_path / "s.db-wal", 0o664)
    dbfiles.open_sqlite(db, "people", [V1]).close()
    assert mode(db) == 0o600 and mode(tmp_path / "s.db-wal") == 0o600


def test_round1_file_migrates_forward_keeping_rows(tmp_path):
    db = tmp_path / "s.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
    con.executemany("INSERT INTO people (name) VALUES (?)", [("An",), ("Binh",)])
    con.commit()
    con.close()
    con = dbfiles.open_sqlite(db, "people", [V1, V2])
    assert [tuple(r) for r in con.execute("SELECT id, name, phone FROM people ORDER BY id")] == [
        (1, "An", "x;y"), (2, "Binh", "x;y")]
    assert dbfiles.version(con, "people") == 2
    con.close()
    # opening again runs nothing (an ALTER twice would fail)
    dbfiles.open_sqlite(db, "people", [V1, V2]).close()


def test_components_share_a_file_with_their_own_versions(tmp_path):
    db = tmp_path / "s.db"
    dbfiles.open_sqlite(db, "people", [V1, V2]).close()
    con = dbfiles.open_sqlite(db, "other", ["CREATE TABLE IF NOT EXISTS other (x INTEGER)"])
    assert dbfiles.version(con, "people") == 2 and dbfiles.version(con, "other") == 1


def test_failed_step_leaves_the_file_as_it_was(tmp_path):
    db = tmp_path / "s.db"
    dbfiles.open_sqlite(db, "people", [V1]).close()
    with pytest.raises(UsageError, match="no such table"):
        dbfiles.open_sqlite(db, "people", [V1, V2, "ALTER TABLE nowhere ADD COLUMN y"])
    con = dbfiles.open_sqlite(db, "people", [V1])
    assert dbfiles.version(con, "people") == 1
    assert "phone" not in [r[1] for r in con.execute("PRAGMA table_info(people)")]  # V2 rolled back with the rest


def test_newer_file_is_refused(tmp_path):
    db = tmp_path / "s.db"
    dbfiles.open_sqlite(db, "people", [V1, V2]).close()
    with pytest.raises(UsageError, match="newer bztoken"):
        dbfiles.open_sqlite(db, "people", [V1])


def test_duckdb_file_is_0600_and_versioned(tmp_path):
    pytest.importorskip("duckdb")
    db = tmp_path / "d" / "e.duckdb"
    old = os.umask(0o022)
    try:
        con = dbfiles.open_duckdb(db, "enc", ["CREATE TABLE IF NOT EXISTS enc (a INTEGER)"])
        con.execute("INSERT INTO enc VALUES (1)")
        con.close()
        con = dbfiles.open_duckdb(db, "enc", ["CREATE TABLE IF NOT EXISTS enc (a INTEGER)",
                                              "ALTER TABLE enc ADD COLUMN b INTEGER DEFAULT 7"])
    finally:
        os.umask(old)
    assert con.execute("SELECT a, b FROM enc").fetchall() == [(1, 7)]
    assert dbfiles.version(con, "enc") == 2
    con.close()
    assert mode(db) == 0o600 and mode(db.parent) == 0o700
    ro = dbfiles.open_duckdb(db, "enc", ["x", "y"], read_only=True)
    assert ro.execute("SELECT count(*) FROM enc").fetchone() == (1,)
    ro.close()
