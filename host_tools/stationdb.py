"""The station's databases: clock syncs and pulls in SQLite (the registry's tables, owned by
provisioning.registry, and the station's own live in the same file), pulled encounters in columns, in a DuckDB
file beside it (`host_tools.paths.encounter_store`: `station.db` -> `station.encounters.duckdb`).

Why two engines: encounters are the only big table (a busy token stores about 2,000 a day, a station
millions) and the matcher reads them whole, column by column, to join them against millions of derived IDs;
DuckDB stores them in compressed columns and runs that join in parallel (host_tools.match.query). Everything
else (registry, secrets, audit, lists, matches, syncs, pulls) is small, row-at-a-time, written by many threads
and read by several processes at once: SQLite's strengths. DuckDB lets one process at a time open its file,
so every use of the encounter store opens it for one short operation and closes it, and waits (up to
`LOCK_WAIT_S`) while another process holds it.

A pull is stored in three steps that survive a power cut at any point: its `pulls` row is committed in SQLite
with status `storing`, its encounters in one DuckDB transaction, then the row gets its final status and counts.
A `storing` row found later (the cut came between) is settled from what the store holds. Nothing is confirmed
to the token before all three are done, so a pull cut short is read again and duplicates are ignored
(`UNIQUE(token_id, day, file_offset)` is kept by the insert itself).

Round-1 station databases kept encounters in SQLite (`ROUND1_ENCOUNTERS_SCHEMA`): the first open copies every
row into the store in one transaction, checks the count, and only then drops the SQLite table.

Clock drift: at every sync the station measures the token's offset (token clock minus station clock, the
round trip's midpoint) before setting it, and the residual offset after. Between two syncs the token's error
is taken to grow linearly from the earlier residual to the later offset, so a record the token stamped at raw
time t is stored at t - error(t); `correction_ms` = -error(t). Records from before the first sync this
station made get no correction (nothing to interpolate from), nor do periods that end at a sync that found
the clock lost (power loss: the offset then says nothing about drift)."""

import bisect
import contextlib
import sqlite3
import threading
import time
from pathlib import Path

import numpy as np

from host_tools import dbfiles, paths
from host_tools.errors import BzError, UsageError
from host_tools.match import query

# Round 1's encounters table in SQLite (the team contract). New databases no longer have it; it is here to
# migrate old ones and for tests that build a round-1 database.
ROUND1_ENCOUNTERS_SCHEMA = """CREATE TABLE IF NOT EXISTS encounters (
  id INTEGER PRIMARY KEY, token_id TEXT NOT NULL, day INTEGER NOT NULL, file_offset INTEGER NOT NULL,
  contact_id BLOB NOT NULL, kind INTEGER NOT NULL, slot INTEGER NOT NULL,
  first_seen_ms INTEGER NOT NULL, last_seen_ms INTEGER NOT NULL,
  raw_first_seen_ms INTEGER NOT NULL, raw_last_seen_ms INTEGER NOT NULL,
  correction_ms INTEGER NOT NULL, count INTEGER NOT NULL,
  rssi_min INTEGER NOT NULL, rssi_max INTEGER NOT NULL, rssi_mean INTEGER NOT NULL, pull_id INTEGER NOT NULL,
  UNIQUE(token_id, day, file_offset))"""
ENCOUNTERS_SCHEMA = ROUND1_ENCOUNTERS_SCHEMA  # old name

SCHEMA = """
CREATE TABLE IF NOT EXISTS syncs (
  id INTEGER PRIMARY KEY, token_id TEXT NOT NULL,
  host_ms INTEGER NOT NULL,        -- station clock at the measurement
  offset_ms INTEGER NOT NULL,      -- token clock minus station clock, before setting it
  rtt_ms INTEGER NOT NULL,         -- round trip of the measurement (its uncertainty is half of it)
  residual_ms INTEGER,             -- token minus station right after setting it (NULL: not set)
  clock_valid INTEGER NOT NULL     -- 0: the token had lost its time (power loss), no drift to learn
);
CREATE INDEX IF NOT EXISTS syncs_token ON syncs(token_id, host_ms);
CREATE TABLE IF NOT EXISTS pulls (
  id INTEGER PRIMARY KEY, token_id TEXT NOT NULL, sync_id INTEGER,
  started_ms INTEGER NOT NULL, finished_ms INTEGER NOT NULL,
  status TEXT NOT NULL,            -- storing (in progress) | complete | interrupted (what was read is kept)
  records INTEGER NOT NULL, new_rows INTEGER NOT NULL, duplicates INTEGER NOT NULL,
  bad_records INTEGER NOT NULL, bytes INTEGER NOT NULL,
  correction_min_ms INTEGER, correction_max_ms INTEGER, fw TEXT, battery_mv INTEGER
);
"""

SQLITE_COMPONENT = "stationdb"
# step 2: clock discipline. rate_ppb: the rate correction in force on the token after the sync (parts per billion
# its raw clock runs fast; NULL: the token reports none, an older firmware); rate_sent: 1 when this sync sent it.
SYNCS_RATE = """ALTER TABLE syncs ADD COLUMN rate_ppb INTEGER;
ALTER TABLE syncs ADD COLUMN rate_sent INTEGER NOT NULL DEFAULT 0"""
# step 1: round 1's syncs and pulls (IF NOT EXISTS: an old file keeps its rows); step 2: the rate columns
SQLITE_STEPS = [SCHEMA, SYNCS_RATE]

ENCOUNTER_COLUMNS = (
    "token_id", "day", "file_offset", "contact_id", "kind", "slot", "first_seen_ms", "last_seen_ms",
    "raw_first_seen_ms", "raw_last_seen_ms", "correction_ms", "count", "rssi_min", "rssi_max", "rssi_mean",
    "pull_id",
)

# --- the encounter store (DuckDB) -------------------------------------------------------------------------

STORE_COMPONENT = "encounters"
LOCK_WAIT_S = 60.0  # how long an operation waits for another process to release the store
# Stored columns: the contact ID as two integers (query.split_ids), so joins compare integers, not blobs.
STORE_V1 = """
CREATE TABLE IF NOT EXISTS store_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS encounters (
  token_id VARCHAR NOT NULL, day INTEGER NOT NULL, file_offset BIGINT NOT NULL,
  cid_hi BIGINT NOT NULL, cid_lo INTEGER NOT NULL,  -- the 12-byte contact ID: bytes 0-7, 8-11, big-endian signed
  kind SMALLINT NOT NULL, slot SMALLINT NOT NULL,
  first_seen_ms BIGINT NOT NULL, last_seen_ms BIGINT NOT NULL,
  raw_first_seen_ms BIGINT NOT NULL, raw_last_seen_ms BIGINT NOT NULL, correction_ms BIGINT NOT NULL,
  count INTEGER NOT NULL, rssi_min SMALLINT NOT NULL, rssi_max SMALLINT NOT NULL, rssi_mean SMALLINT NOT NULL,
  pull_id BIGINT NOT NULL);
CREATE OR REPLACE VIEW match_encounters AS
  SELECT token_id AS log, CAST(day AS BIGINT) * 4294967296 + file_offset AS row_no, token_id, day, pull_id,
         cid_hi, cid_lo, first_seen_ms, last_seen_ms, count, rssi_min, rssi_max, rssi_mean
  FROM encounters;
"""
# Version 2: the station matcher's state (host_tools.station.matcher): lists and pulls already matched, the
# joined rows, the scored exposures per (list, token, entry).
STORE_V2 = """
CREATE TABLE IF NOT EXISTS match_lists (
  list_id BIGINT PRIMARY KEY, sha256 VARCHAR NOT NULL, matched_ms BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS match_pulls (pull_id BIGINT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS match_hits (
  list_id BIGINT NOT NULL, token_id VARCHAR NOT NULL, entry BIGINT NOT NULL, row_no BIGINT NOT NULL,
  ws BIGINT NOT NULL, we BIGINT NOT NULL, cid_hi BIGINT NOT NULL, cid_lo INTEGER NOT NULL,
  first_seen_ms BIGINT NOT NULL, last_seen_ms BIGINT NOT NULL, count INTEGER NOT NULL,
  rssi_min SMALLINT NOT NULL, rssi_max SMALLINT NOT NULL, rssi_mean SMALLINT NOT NULL, is_strict BOOLEAN NOT NULL);
CREATE TABLE IF NOT EXISTS match_exposures (
  list_id BIGINT NOT NULL, token_id VARCHAR NOT NULL, entry BIGINT NOT NULL, summary VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS match_dirty (list_id BIGINT NOT NULL, token_id VARCHAR NOT NULL);
"""
# Version 3: the matcher's view gains `rid`, the row's DuckDB rowid (rows are only ever appended, so a rowid
# stays the row's while the store is open), with which the match's first step names the rows it picked and the
# second reads only those (a rowid filter DuckDB pushes into the scan). Nothing stored changes.
STORE_V3 = """
CREATE OR REPLACE VIEW match_encounters AS
  SELECT token_id AS log, CAST(day AS BIGINT) * 4294967296 + file_offset AS row_no, token_id, day, pull_id,
         cid_hi, cid_lo, first_seen_ms, last_seen_ms, count, rssi_min, rssi_max, rssi_mean, rowid AS rid
  FROM encounters;
"""
STORE_STEPS = [STORE_V1, STORE_V2, STORE_V3]  # host_tools.dbfiles: step i takes the store from version i to i + 1
STORE_SCHEMA_VERSION = len(STORE_STEPS)
STORE_ROWID = "rid"  # the column of match_encounters naming each row (STORE_V3)
# numpy dtypes of the stored columns (token_id aside), in STORE_COLUMNS order
_STORE_TYPES = {"day": np.int32, "file_offset": np.int64, "cid_hi": np.int64, "cid_lo": np.int32,
                "kind": np.int16, "slot": np.int16, "first_seen_ms": np.int64, "last_seen_ms": np.int64,
                "raw_first_seen_ms": np.int64, "raw_last_seen_ms": np.int64, "correction_ms": np.int64,
                "count": np.int32, "rssi_min": np.int16, "rssi_max": np.int16, "rssi_mean": np.int16,
                "pull_id": np.int64}
STORE_COLUMNS = ("token_id", *_STORE_TYPES)

_ready: set[tuple[str, int]] = set()  # stores checked (schema, migration) by this process: (path, inode)
_ready_lock = threading.Lock()
# DuckDB shares one database instance among a process's connections to a file; creating and closing it from
# several threads at once races (a connection can see the instance before its Python scan functions exist), so
# opening and closing go one at a time. Both take milliseconds; the work in between runs in parallel.
_open_lock = threading.Lock()


class StoreBusy(BzError):
    """Another process keeps the encounter store open for longer than we wait."""


def _is_lock_error(e: Exception) -> bool:
    return "lock" in str(e).lower()


def connect_store(station_db: str | Path, wait_s: float | None = None):
    """A DuckDB connection to the encounter store of `station_db`: created 0600 and migrated forward on open
    (host_tools.dbfiles); round-1 encounters are moved over from SQLite on the first open. Close it soon
    (`close_store`): while it is open, no other process can open the store (threads of this process share it)."""
    path = paths.encounter_store(station_db)
    wait = LOCK_WAIT_S if wait_s is None else wait_s
    deadline = time.monotonic() + wait
    delay = 0.005
    while True:
        try:
            with _open_lock:
                con = dbfiles.open_duckdb(path, STORE_COMPONENT, STORE_STEPS)
            break
        except UsageError as e:
            if not _is_lock_error(e):
                raise
            if time.monotonic() >= deadline:
                raise StoreBusy(f"the encounter store {path} is in use by another program",
                                hint="stop the station (or the other bztoken command) and try again") from None
            time.sleep(delay)
            delay = min(delay * 2, 0.1)
    try:
        key = (str(path.resolve()), path.stat().st_ino)
        if key not in _ready:
            with _ready_lock:
                if key not in _ready and Path(station_db).is_file():
                    _migrate_round1(con, Path(station_db))
                _ready.add(key)
        # a fetchone() leaves its result open, and DuckDB 2 then refuses to register relations: finish it
        con.execute("SELECT 1").fetchall()
        tune(con)
    except BaseException:
        close_store(con)
        raise
    return con


# DuckDB's share of a match run; beyond it, joins spill to disk instead of growing. A budget, not a share of the
# machine: the station shares a laptop, and a whole match of 100 k key-days against 20 M stored rows must peak
# under 1 GB (derived IDs ~200 MB in numpy, Python ~100 MB, DuckDB this). The two-step join sizes its ID ranges
# from it (host_tools.match.engine.PART_IDS). Threads: DuckDB's default, one per core.
MEMORY_LIMIT_MB = 400
MEMORY_LIMIT = f"{MEMORY_LIMIT_MB}MB"


def tune(con) -> None:
    """Settings every DuckDB connection here gets: no progress bar (DuckDB draws one on stdout for long queries,
    which would break `--json` output), a memory limit (the station shares a laptop), insertion order kept only
    where a query asks for an order."""
    con.execute("SET enable_progress_bar = false")
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    con.execute("SET preserve_insertion_order = false")


def close_store(con, station_db: str | Path | None = None) -> None:
    with _open_lock:
        con.close()
    if station_db is not None:  # a write may have left a WAL: keep it private too
        dbfiles.private_file(paths.encounter_store(station_db), create=False)


@contextlib.contextmanager
def store(station_db: str | Path):
    """`with store(db) as con:` the encounter store for one short operation. (Always read-write: DuckDB opens
    a file once per process, with one configuration, for all its connections.)"""
    con = connect_store(station_db)
    try:
        yield con
    finally:
        close_store(con, station_db)


def _migrate_round1(con, station_db: Path) -> None:
    """Round-1 databases: SQLite `encounters` -> the store, every row, once; then the SQLite table goes."""
    sq = sqlite3.connect(str(station_db), timeout=30, isolation_level=None)
    try:
        has = sq.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'encounters'").fetchone()
        if not has:
            return
        n = sq.execute("SELECT COUNT(*) FROM encounters").fetchone()[0]
        done = con.execute("SELECT value FROM store_meta WHERE key = 'round1_rows'").fetchone()
        if done is None:
            con.execute("BEGIN")
            cols = ", ".join(ENCOUNTER_COLUMNS)
            cur = sq.execute(f"SELECT {cols} FROM encounters ORDER BY id")
            moved = 0
            while True:
                batch = cur.fetchmany(200_000)
                if not batch:
                    break
                _insert_rows(con, [dict(zip(ENCOUNTER_COLUMNS, r, strict=True)) for r in batch], None,
                             dedupe=False)
                moved += len(batch)
            con.execute("INSERT INTO store_meta VALUES ('round1_rows', ?)", [str(moved)])
            con.execute("COMMIT")
            con.execute("CHECKPOINT")
            done = (str(moved),)
        if int(done[0]) != n:  # rows added to the old table after the copy: never drop what was not copied
            raise UsageError(f"{station_db}: {n} round-1 encounters, but {done[0]} were moved to the encounter store",
                             hint="restore the database from a backup taken before the upgrade")
        sq.execute("BEGIN IMMEDIATE")
        sq.execute("DROP INDEX IF EXISTS encounters_contact")
        sq.execute("DROP TABLE encounters")
        sq.execute("COMMIT")
    finally:
        sq.close()


def _columns(rows: list[dict], pull_id: int | None) -> dict[str, np.ndarray]:
    """Encounter dicts (ENCOUNTER_COLUMNS) as the store's numpy columns."""
    n = len(rows)
    out: dict[str, np.ndarray] = {}
    out["token_id"] = np.array([r["token_id"] for r in rows], dtype=object)
    cid = b"".join(bytes(r["contact_id"]) for r in rows)
    if len(cid) != 12 * n:
        raise UsageError("a contact_id is not 12 bytes")
    out["cid_hi"], out["cid_lo"] = query.split_ids(cid)
    for c, t in _STORE_TYPES.items():
        if c in ("cid_hi", "cid_lo"):
            continue
        if c == "pull_id" and pull_id is not None:
            out[c] = np.full(n, pull_id, dtype=t)
        else:
            out[c] = np.fromiter((r[c] for r in rows), dtype=t, count=n)
    return out


def _insert_rows(con, rows: list[dict], pull_id: int | None, dedupe: bool = True) -> int:
    """Append rows (inside the caller's transaction); with `dedupe`, rows already stored (same token, day and
    offset) and repeats within `rows` are skipped. Returns the number of new rows."""
    if not rows:
        return 0
    new_rows = _columns(rows, pull_id)  # noqa: F841 - scanned by name in the SQL below
    cols = ", ".join(STORE_COLUMNS)
    if not dedupe:
        con.execute(f"INSERT INTO encounters ({cols}) SELECT {cols} FROM new_rows")
        return len(rows)
    before = con.execute("SELECT COUNT(*) FROM encounters").fetchone()[0]
    toks = sorted(set(new_rows["token_id"].tolist()))
    # a pull is one token's: the stored side is cut to that token's rows before the anti-join
    only = "e.token_id IN (" + ", ".join("'" + t.replace("'", "''") + "'" for t in toks) + ")"
    con.execute(
        f"INSERT INTO encounters ({cols}) SELECT {cols} FROM ("
        f"  SELECT *, row_number() OVER (PARTITION BY token_id, day, file_offset) AS k FROM new_rows) AS n"
        f" WHERE n.k = 1 AND NOT EXISTS (SELECT 1 FROM encounters e WHERE {only} AND e.token_id = n.token_id"
        f"   AND e.day = n.day AND e.file_offset = n.file_offset)")
    return con.execute("SELECT COUNT(*) FROM encounters").fetchone()[0] - before


def _row_dicts(res) -> list[dict]:
    cols = [d[0] for d in res.description]
    out = []
    for r in res.fetchall():
        d = dict(zip(cols, r, strict=True))
        d["contact_id"] = query.join_ids(np.array([d.pop("cid_hi")], np.int64), np.array([d.pop("cid_lo")], np.int32))
        out.append(d)
    return out


class Drift:
    """Piecewise-linear token clock error, from the syncs table, as a function of the token's raw time."""

    def __init__(self, syncs: list[sqlite3.Row] | list[dict]):
        # Segments (t0, e0, t1, e1) in token time: from a sync's residual to the next sync's offset.
        self.segments: list[tuple[int, int, int, int]] = []
        rows = sorted(syncs, key=lambda r: r["host_ms"])
        for a, b in zip(rows, rows[1:], strict=False):
            if a["residual_ms"] is None or not b["clock_valid"]:
                continue
            t0, e0 = a["host_ms"] + a["residual_ms"], a["residual_ms"]
            t1, e1 = b["host_ms"] + b["offset_ms"], b["offset_ms"]
            if t1 > t0:
                self.segments.append((t0, e0, t1, e1))
        self.segments.sort()
        self._starts = [seg[0] for seg in self.segments]

    def correction(self, raw_ms: int) -> int:
        """Milliseconds to add to a raw token time (0 outside every known period)."""
        # Periods overlap only when a token's clock ran backwards; then the latest-starting one wins.
        for i in range(bisect.bisect_right(self._starts, raw_ms) - 1, -1, -1):
            t0, e0, t1, e1 = self.segments[i]
            if raw_ms <= t1:
                return -round(e0 + (e1 - e0) * (raw_ms - t0) / (t1 - t0))
        return 0


class StationDB:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.con = dbfiles.open_sqlite(self.path, SQLITE_COMPONENT, SQLITE_STEPS)
        except (sqlite3.Error, OSError) as e:
            raise UsageError(f"cannot open the station database {self.path}: {e}") from None
        self._extents: dict[str, dict[int, tuple[int, int]]] = {}
        if self.con.execute("SELECT 1 FROM pulls WHERE status = 'storing' LIMIT 1").fetchone() is not None \
                or not paths.encounter_store(self.path).exists():
            with self.store() as con:  # creates or migrates the encounter store; settles interrupted stores
                self._settle(con)

    def close(self) -> None:
        self.con.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def store(self):
        """`with db.store() as con:` the DuckDB encounter store for one short operation."""
        return store(self.path)

    def _settle(self, con) -> None:
        """Pulls whose store was cut between its steps: counts from what the encounter store holds."""
        for r in self.con.execute("SELECT id, records FROM pulls WHERE status = 'storing'").fetchall():
            n = con.execute("SELECT COUNT(*) FROM encounters WHERE pull_id = ?", [r["id"]]).fetchone()[0]
            self.con.execute("UPDATE pulls SET status = 'interrupted', new_rows = ?, duplicates = ? WHERE id = ?",
                             (n, max(0, r["records"] - n), r["id"]))

    # -- clock syncs -----------------------------------------------------------------------------
    def record_sync(self, token_id: str, host_ms: int, offset_ms: int, rtt_ms: int, residual_ms: int | None,
                    clock_valid: bool = True, rate_ppb: int | None = None, rate_sent: bool = False) -> int:
        """One clock measurement (and setting); its own transaction: it must survive a pull that fails later.
        rate_ppb: the rate correction in force on the token afterwards (None: it reports none); rate_sent: this
        sync sent it."""
        cur = self.con.execute(
            "INSERT INTO syncs (token_id, host_ms, offset_ms, rtt_ms, residual_ms, clock_valid, rate_ppb, rate_sent)"
            " VALUES (?,?,?,?,?,?,?,?)",
            (token_id, host_ms, offset_ms, rtt_ms, residual_ms, int(clock_valid), rate_ppb, int(rate_sent)),
        )
        return int(cur.lastrowid or 0)

    def last_sync(self, token_id: str) -> sqlite3.Row | None:
        return self.con.execute("SELECT * FROM syncs WHERE token_id = ? ORDER BY host_ms DESC, id DESC LIMIT 1",
                                (token_id,)).fetchone()

    def syncs(self, token_id: str) -> list[sqlite3.Row]:
        return self.con.execute("SELECT * FROM syncs WHERE token_id = ? ORDER BY host_ms", (token_id,)).fetchall()

    def drift(self, token_id: str) -> Drift:
        return Drift(self.syncs(token_id))

    # -- pulled logs -----------------------------------------------------------------------------
    def stored_extent(self, token_id: str, day: int, record_size: int) -> int:
        """End offset of the contiguous run of records stored for this day, from 0."""
        ext = self._extents.get(token_id)
        if ext is None:  # one query per token and pull, not per day
            with self.store() as con:
                rows = con.execute("SELECT day, COUNT(*), MAX(file_offset) FROM encounters WHERE token_id = ? "
                                   "GROUP BY day", [token_id]).fetchall()
            ext = self._extents[token_id] = {int(d): (int(c), int(m)) for d, c, m in rows}
        count, last = ext.get(day, (0, None))
        if not count or last is None or (last + record_size) != count * record_size:
            return 0  # gaps: do not trust it, read again from what the token says is confirmed
        return count * record_size

    def store_pull(self, pull: dict, rows: list[dict]) -> tuple[int, int, int]:
        """Store the pull and its encounters (see the module's doc). Returns (pull_id, new_rows, duplicates)."""
        con = self.con
        cur = con.execute(
            "INSERT INTO pulls (token_id, sync_id, started_ms, finished_ms, status, records, new_rows, duplicates,"
            " bad_records, bytes, correction_min_ms, correction_max_ms, fw, battery_mv)"
            " VALUES (?,?,?,?,'storing',?,0,0,?,?,?,?,?,?)",
            (pull["token_id"], pull.get("sync_id"), pull["started_ms"], pull["finished_ms"],
             len(rows), pull.get("bad_records", 0), pull.get("bytes", 0), pull.get("correction_min_ms"),
             pull.get("correction_max_ms"), pull.get("fw"), pull.get("battery_mv")),
        )
        pull_id = int(cur.lastrowid or 0)
        self._extents.pop(pull["token_id"], None)
        with self.store() as d:
            try:
                d.execute("BEGIN")
                new = _insert_rows(d, rows, pull_id)
                d.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(Exception):
                    d.execute("ROLLBACK")
                con.execute("DELETE FROM pulls WHERE id = ?", (pull_id,))
                raise
        con.execute("UPDATE pulls SET status = ?, new_rows = ?, duplicates = ? WHERE id = ?",
                    (pull["status"], new, len(rows) - new, pull_id))
        return pull_id, new, len(rows) - new

    def encounters(self, token_id: str | None = None) -> list[dict]:
        """Stored encounters as dicts (ENCOUNTER_COLUMNS, contact_id as bytes), by token, day, offset."""
        cols = ", ".join(c for c in STORE_COLUMNS)
        where = " WHERE token_id = ?" if token_id else ""
        with self.store() as con:
            res = con.execute(f"SELECT {cols} FROM encounters{where} ORDER BY token_id, day, file_offset",
                              [token_id] if token_id else [])
            return _row_dicts(res)

    def count_encounters(self, token_id: str | None = None) -> int:
        where = " WHERE token_id = ?" if token_id else ""
        with self.store() as con:
            return int(con.execute(f"SELECT COUNT(*) FROM encounters{where}", [token_id] if token_id else []
                                   ).fetchone()[0])

    def pulls(self, token_id: str | None = None) -> list[sqlite3.Row]:
        q = "SELECT * FROM pulls" + (" WHERE token_id = ?" if token_id else "") + " ORDER BY id"
        return self.con.execute(q, (token_id,) if token_id else ()).fetchall()
