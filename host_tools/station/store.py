"""The station's own tables, in the same SQLite file as the pulled logs and the registry: the audit log
(who did what, when), what each token last reported, the exposure lists imported and the current matches.

Every function opens its own short-lived connection: the web server's threads and the sync workers share
the file, never a connection (SQLite connections belong to one thread). `init` creates the file mode 0600 and
brings the station's tables to their latest version (host_tools.dbfiles); a round-1 file keeps every row."""

import contextlib
import json
import sqlite3
import time
from pathlib import Path

from host_tools import dbfiles

COMPONENT = "station"
SCHEMA = """
CREATE TABLE IF NOT EXISTS station_audit (
  id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL,
  who TEXT NOT NULL,               -- the operator who logged in, or 'station' for automatic work
  action TEXT NOT NULL, target TEXT, detail TEXT);   -- detail: JSON, never a secret
CREATE TABLE IF NOT EXISTS station_tokens (
  token_id TEXT PRIMARY KEY, seen_ms INTEGER NOT NULL, synced_ms INTEGER,
  status TEXT NOT NULL,            -- JSON: the token's own status answer (no secret in it)
  clock_offset_ms INTEGER,         -- token minus station found at the last sync, before setting it
  last_error TEXT);
CREATE TABLE IF NOT EXISTS station_lists (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL, path TEXT NOT NULL UNIQUE, sha256 TEXT NOT NULL,
  imported_ms INTEGER NOT NULL, entries INTEGER NOT NULL, who TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS station_reassignments (   -- so a match is shown for the wearer of that time
  id INTEGER PRIMARY KEY, token_id TEXT NOT NULL, from_wearer_id INTEGER, to_wearer_id INTEGER NOT NULL,
  at_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS station_matches (
  id INTEGER PRIMARY KEY, computed_ms INTEGER NOT NULL, token_id TEXT NOT NULL, wearer_id INTEGER,
  risk TEXT NOT NULL, proximity TEXT NOT NULL, first_seen_ms INTEGER NOT NULL, last_seen_ms INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL, rssi_mean INTEGER, list_name TEXT NOT NULL);
"""

# Version 2: the station's own settings (its name and phone on the printable notice).
SCHEMA_V2 = """
CREATE TABLE IF NOT EXISTS station_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
# Version 3: what a flag rests on, as the scoring computed it (host_tools.match.scoring): the estimated
# near-minutes, the threshold they were held against, and the time per attenuation bucket behind them
# (JSON {bucket: seconds}). NULL for rows from before, and for rows that came without them.
SCHEMA_V3 = """
ALTER TABLE station_matches ADD COLUMN near_min REAL;
ALTER TABLE station_matches ADD COLUMN near_threshold REAL;
ALTER TABLE station_matches ADD COLUMN buckets_s TEXT;
"""
MIGRATIONS = [SCHEMA, SCHEMA_V2, SCHEMA_V3]
SETTINGS = {"station_name": 80, "station_phone": 32}  # the settings there are, and their longest value

RISK_ORDER = {"high": 0, "medium": 1, "low": 2}


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def connect(path: str | Path) -> sqlite3.Connection:
    con = sqlite3.connect(str(path), timeout=30, isolation_level=None)
    con.row_factory = sqlite3.Row
    return con


def init(path: str | Path) -> None:
    dbfiles.open_sqlite(path, COMPONENT, MIGRATIONS).close()


def settings(path: str | Path) -> dict[str, str]:
    con = connect(path)
    try:
        got = {r[0]: r[1] for r in con.execute("SELECT key, value FROM station_settings")}
    finally:
        con.close()
    return {k: got.get(k, "") for k in SETTINGS}


@contextlib.contextmanager
def transaction(con: sqlite3.Connection):
    """BEGIN IMMEDIATE ... COMMIT on an autocommit connection; any exception (Ctrl-C too) rolls it back."""
    con.execute("BEGIN IMMEDIATE")
    try:
        yield con
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise


def save_settings(path: str | Path, values: dict[str, str]) -> None:
    con = connect(path)
    try:
        with transaction(con):
            for k, v in values.items():
                con.execute("INSERT OR REPLACE INTO station_settings (key, value) VALUES (?, ?)", (k, v))
    finally:
        con.close()


def audit(path: str | Path, who: str, action: str, target: str | None = None, **detail) -> None:
    con = connect(path)
    try:
        con.execute("INSERT INTO station_audit (at_ms, who, action, target, detail) VALUES (?,?,?,?,?)",
                    (now_ms(), who, action, target, json.dumps(detail, sort_keys=True) if detail else None))
    finally:
        con.close()


def audit_log(path: str | Path, limit: int = 500) -> list[dict]:
    con = connect(path)
    try:
        rows = con.execute("SELECT * FROM station_audit ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
    finally:
        con.close()
    return [dict(r, detail=json.loads(r["detail"]) if r["detail"] else {}) for r in rows]


def save_token_status(path: str | Path, token_id: str, status: dict, synced: bool = False,
                      clock_offset_ms: int | None = None, error: str | None = None) -> None:
    con = connect(path)
    try:
        t = now_ms()
        con.execute(
            "INSERT INTO station_tokens (token_id, seen_ms, synced_ms, status, clock_offset_ms, last_error) "
            "VALUES (?,?,?,?,?,?) ON CONFLICT(token_id) DO UPDATE SET seen_ms = excluded.seen_ms, "
            "status = excluded.status, last_error = excluded.last_error, "
            "synced_ms = COALESCE(excluded.synced_ms, synced_ms), "
            "clock_offset_ms = COALESCE(excluded.clock_offset_ms, clock_offset_ms)",
            (token_id, t, t if synced else None, json.dumps(status, sort_keys=True), clock_offset_ms, error))
    finally:
        con.close()


def token_states(path: str | Path) -> dict[str, dict]:
    con = connect(path)
    try:
        rows = con.execute("SELECT * FROM station_tokens").fetchall()
    finally:
        con.close()
    return {r["token_id"]: dict(r, status=json.loads(r["status"])) for r in rows}


def add_list(path: str | Path, name: str, file: str, sha256: str, entries: int, who: str) -> None:
    con = connect(path)
    try:
        con.execute("INSERT OR REPLACE INTO station_lists (name, path, sha256, imported_ms, entries, who) "
                    "VALUES (?,?,?,?,?,?)", (name, file, sha256, now_ms(), entries, who))
    finally:
        con.close()


def lists(path: str | Path) -> list[dict]:
    con = connect(path)
    try:
        return [dict(r) for r in con.execute("SELECT * FROM station_lists ORDER BY id")]
    finally:
        con.close()


def replace_matches(path: str | Path, rows: list[dict]) -> None:
    """The current matches, all at once (one transaction: readers never see half a recomputation)."""
    con = connect(path)
    try:
        with transaction(con):
            con.execute("DELETE FROM station_matches")
            insert_matches(con, rows, now_ms())
    finally:
        con.close()


def insert_matches(con: sqlite3.Connection, rows: list[dict], computed_ms: int) -> None:
    """Match rows into station_matches on an open connection (the caller holds the transaction)."""
    con.executemany(
        "INSERT INTO station_matches (computed_ms, token_id, wearer_id, risk, proximity, first_seen_ms, "
        "last_seen_ms, duration_ms, rssi_mean, list_name, near_min, near_threshold, buckets_s) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [(computed_ms, r["token_id"], r["wearer_id"], r["risk"], r["proximity"], r["first_seen_ms"],
          r["last_seen_ms"], r["duration_ms"], r["rssi_mean"], r["list_name"], r.get("near_min"),
          r.get("near_threshold"), json.dumps(r["buckets_s"], sort_keys=True) if r.get("buckets_s") else None)
         for r in rows])


def matches(path: str | Path) -> list[dict]:
    con = connect(path)
    try:
        rows = [dict(r) for r in con.execute("SELECT * FROM station_matches")]
    finally:
        con.close()
    # worst first: by risk, then by the estimated near-minutes the risk rests on, then by how long it was seen
    rows.sort(key=lambda r: (RISK_ORDER.get(r["risk"], 9), -(r["near_min"] or 0), -r["duration_ms"],
                             r["first_seen_ms"]))
    return rows


def encounter_counts(path: str | Path) -> dict[str, int]:
    """Rows stored per token, from the small pulls table (each pull records its new rows), not a scan of
    every encounter: the page asks every second."""
    con = connect(path)
    try:
        return {r[0]: int(r[1] or 0) for r in con.execute("SELECT token_id, SUM(new_rows) FROM pulls GROUP BY 1")}
    except sqlite3.OperationalError:
        return {}
    finally:
        con.close()


def add_reassignment(path: str | Path, token_id: str, from_wearer_id: int | None, to_wearer_id: int) -> None:
    con = connect(path)
    try:
        con.execute("INSERT INTO station_reassignments (token_id, from_wearer_id, to_wearer_id, at_ms) "
                    "VALUES (?,?,?,?)", (token_id, from_wearer_id, to_wearer_id, now_ms()))
    finally:
        con.close()


def wearer_at(path: str | Path, current: dict[str, int | None]):
    """A function (token_id, ms) -> the wearer who had the token then: the `from` of the first reassignment
    after that time, else the token's current wearer."""
    con = connect(path)
    try:
        rows = con.execute("SELECT token_id, from_wearer_id, at_ms FROM station_reassignments ORDER BY at_ms, id")
        hist: dict[str, list[tuple[int, int | None]]] = {}
        for r in rows:
            hist.setdefault(r["token_id"], []).append((r["at_ms"], r["from_wearer_id"]))
    finally:
        con.close()

    def at(token_id: str, ms: int) -> int | None:
        for t, before in hist.get(token_id, ()):
            if ms < t:
                return before
        return current.get(token_id)

    return at
