"""The station's SQLite database: pulled encounters, clock syncs and pulls (the registry's tables, owned by
provisioning.registry, live in the same file).

Clock drift: at every sync the station measures the token's offset (token clock minus station clock, the
round trip's midpoint) before setting it, and the residual offset after. Between two syncs the token's error
is taken to grow linearly from the earlier residual to the later offset, so a record the token stamped at raw
time t is stored at t - error(t); `correction_ms` = -error(t). Records from before the first sync this
station made get no correction (nothing to interpolate from), nor do periods that end at a sync that found
the clock lost (power loss: the offset then says nothing about drift)."""

import bisect
import sqlite3
from pathlib import Path

from host_tools.errors import UsageError

# The team contract's encounters table (one statement: the matcher's tests and benchmark build it alone).
ENCOUNTERS_SCHEMA = """CREATE TABLE IF NOT EXISTS encounters (
  id INTEGER PRIMARY KEY, token_id TEXT NOT NULL, day INTEGER NOT NULL, file_offset INTEGER NOT NULL,
  contact_id BLOB NOT NULL, kind INTEGER NOT NULL, slot INTEGER NOT NULL,
  first_seen_ms INTEGER NOT NULL, last_seen_ms INTEGER NOT NULL,
  raw_first_seen_ms INTEGER NOT NULL, raw_last_seen_ms INTEGER NOT NULL,
  correction_ms INTEGER NOT NULL, count INTEGER NOT NULL,
  rssi_min INTEGER NOT NULL, rssi_max INTEGER NOT NULL, rssi_mean INTEGER NOT NULL, pull_id INTEGER NOT NULL,
  UNIQUE(token_id, day, file_offset))"""

SCHEMA = ENCOUNTERS_SCHEMA + """;
CREATE INDEX IF NOT EXISTS encounters_contact ON encounters(contact_id);
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
  status TEXT NOT NULL,            -- complete | interrupted (what was read is kept; a rerun resumes)
  records INTEGER NOT NULL, new_rows INTEGER NOT NULL, duplicates INTEGER NOT NULL,
  bad_records INTEGER NOT NULL, bytes INTEGER NOT NULL,
  correction_min_ms INTEGER, correction_max_ms INTEGER, fw TEXT, battery_mv INTEGER
);
"""

ENCOUNTER_COLUMNS = (
    "token_id", "day", "file_offset", "contact_id", "kind", "slot", "first_seen_ms", "last_seen_ms",
    "raw_first_seen_ms", "raw_last_seen_ms", "correction_ms", "count", "rssi_min", "rssi_max", "rssi_mean",
    "pull_id",
)


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
            self.con = sqlite3.connect(str(self.path), timeout=30, isolation_level=None)
            self.con.row_factory = sqlite3.Row
            self.con.executescript(SCHEMA)
        except (sqlite3.Error, OSError) as e:
            raise UsageError(f"cannot open the station database {self.path}: {e}") from None

    def close(self) -> None:
        self.con.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- clock syncs -----------------------------------------------------------------------------
    def record_sync(self, token_id: str, host_ms: int, offset_ms: int, rtt_ms: int, residual_ms: int | None,
                    clock_valid: bool = True) -> int:
        """One clock measurement (and setting); its own transaction: it must survive a pull that fails later."""
        cur = self.con.execute(
            "INSERT INTO syncs (token_id, host_ms, offset_ms, rtt_ms, residual_ms, clock_valid) VALUES (?,?,?,?,?,?)",
            (token_id, host_ms, offset_ms, rtt_ms, residual_ms, int(clock_valid)),
        )
        return int(cur.lastrowid or 0)

    def syncs(self, token_id: str) -> list[sqlite3.Row]:
        return self.con.execute("SELECT * FROM syncs WHERE token_id = ? ORDER BY host_ms", (token_id,)).fetchall()

    def drift(self, token_id: str) -> Drift:
        return Drift(self.syncs(token_id))

    # -- pulled logs -----------------------------------------------------------------------------
    def stored_extent(self, token_id: str, day: int, record_size: int) -> int:
        """End offset of the contiguous run of records stored for this day, from 0."""
        n = self.con.execute(
            "SELECT COUNT(*), MAX(file_offset) FROM encounters WHERE token_id = ? AND day = ?", (token_id, day)
        ).fetchone()
        count, last = n[0], n[1]
        if not count or last is None or (last + record_size) != count * record_size:
            return 0  # gaps: do not trust it, read again from what the token says is confirmed
        return count * record_size

    def store_pull(self, pull: dict, rows: list[dict]) -> tuple[int, int, int]:
        """Insert the pull and its encounters in one transaction. Returns (pull_id, new_rows, duplicates)."""
        con = self.con
        try:
            con.execute("BEGIN IMMEDIATE")
            cur = con.execute(
                "INSERT INTO pulls (token_id, sync_id, started_ms, finished_ms, status, records, new_rows, duplicates,"
                " bad_records, bytes, correction_min_ms, correction_max_ms, fw, battery_mv)"
                " VALUES (?,?,?,?,?,?,0,0,?,?,?,?,?,?)",
                (pull["token_id"], pull.get("sync_id"), pull["started_ms"], pull["finished_ms"], pull["status"],
                 len(rows), pull.get("bad_records", 0), pull.get("bytes", 0), pull.get("correction_min_ms"),
                 pull.get("correction_max_ms"), pull.get("fw"), pull.get("battery_mv")),
            )
            pull_id = int(cur.lastrowid or 0)
            cols = ",".join(ENCOUNTER_COLUMNS)
            marks = ",".join("?" * len(ENCOUNTER_COLUMNS))
            before = con.total_changes
            con.executemany(
                f"INSERT OR IGNORE INTO encounters ({cols}) VALUES ({marks})",
                [tuple(pull_id if c == "pull_id" else r[c] for c in ENCOUNTER_COLUMNS) for r in rows],
            )
            new = con.total_changes - before
            con.execute("UPDATE pulls SET new_rows = ?, duplicates = ? WHERE id = ?", (new, len(rows) - new, pull_id))
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        return pull_id, new, len(rows) - new

    def encounters(self, token_id: str | None = None) -> list[sqlite3.Row]:
        where = " WHERE token_id = ?" if token_id else ""
        q = "SELECT * FROM encounters" + where + " ORDER BY token_id, day, file_offset"
        return self.con.execute(q, (token_id,) if token_id else ()).fetchall()

    def pulls(self, token_id: str | None = None) -> list[sqlite3.Row]:
        q = "SELECT * FROM pulls" + (" WHERE token_id = ?" if token_id else "") + " ORDER BY id"
        return self.con.execute(q, (token_id,) if token_id else ()).fetchall()
