"""`bztoken hub export`: the encounters pulled since the last export, as Parquet for the provincial hub.

Rows go to `OUT/day=YYYY-MM-DD/station=S/part-S-P1-P2.parquet` (P1..P2: the pulls exported), written by DuckDB
straight from the station's encounter store (a station needs no Spark or Arrow to export), each file
through a temporary name renamed into place, mode 0600. A manifest `OUT/_manifests/S-P1-P2.json` lists the
batch's files with their row counts and SHA-256, written last: the hub refuses a batch whose files are not all
there. What was sent is recorded in the station database (`hub_exports`): the batch is recorded as `writing`
before the first file and `done` after the manifest, so a rerun after a crash writes the same pulls to the same
file names (never twice under two names), and a rerun after success sends nothing.

Columns: host_tools.hub.schema.LOG_COLUMNS. No token ID, name, phone or secret is written: each token is its
pseudonym (host_tools.hub.pseudonym), which needs the token's secret, so the registry passphrase is needed.
"""

import datetime
import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np

from host_tools.errors import AuthError, UsageError
from host_tools.hub import pseudonym, schema

STATE_SCHEMA = """
CREATE TABLE IF NOT EXISTS hub_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS hub_exports (
  id INTEGER PRIMARY KEY, started_ms INTEGER NOT NULL, finished_ms INTEGER,
  station TEXT NOT NULL, out TEXT NOT NULL,
  pull_from INTEGER NOT NULL, pull_to INTEGER NOT NULL,   -- the pulls whose encounters it holds
  status TEXT NOT NULL CHECK (status IN ('writing', 'done')),
  rows INTEGER, files INTEGER, skipped_rows INTEGER, manifest TEXT);
"""


def day_str(day: int) -> str:
    return (datetime.date(1970, 1, 1) + datetime.timedelta(days=int(day))).isoformat()


def _state(con, key: str) -> str | None:
    row = con.execute("SELECT value FROM hub_state WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def station_code(con, given: str | None) -> str:
    """The station's code for the hub: given once, remembered; a different one later is refused."""
    known = _state(con, "station")
    if given is not None:
        schema.check_station(given)
        if known is not None and known != given:
            raise UsageError(f"this station exports as {known!r}, not {given!r}",
                             hint="the code is fixed at the first export (the hub's partitions use it)")
        if known is None:
            con.execute("INSERT INTO hub_state VALUES ('station', ?)", (given,))
        return given
    if known is None:
        raise UsageError("the station has no hub code yet", hint="give it once: bztoken hub export --station CODE")
    return known


def receivers(db_path, reg) -> tuple[dict[str, float], dict[str, str]]:
    """(token -> RSSI jig offset dB, token -> registered profile): how the station scores each token's log."""
    try:
        from host_tools.match import calibration
    except ImportError:  # no jig offsets in this version: profiles from the registry
        return {}, {t["token_id"]: t["profile"] for t in reg.tokens() if t["profile"]}
    return calibration.offsets(db_path), calibration.token_profiles(db_path)


# Where each exported column comes from (e: the station's encounters, t: the token's pseudonym and receiver).
_SOURCE = {"pseudonym": "t.pseudonym", "log_day": "e.day", "rx_profile": "t.rx_profile",
           "rx_offset_db": "CASE WHEN isnan(t.rx_offset_db) THEN NULL ELSE t.rx_offset_db END"}


def _write_parquet(con, sql: str, path: Path) -> tuple[int, str]:
    """The rows of `sql` as one Parquet file, through a temporary name, mode 0600; returns (rows, SHA-256)."""
    tmp = path.with_name("." + path.name + ".part")
    con.execute(f"COPY ({sql}) TO '{tmp}' (FORMAT PARQUET, COMPRESSION ZSTD)")
    os.chmod(tmp, 0o600)
    rows = con.execute(f"SELECT num_rows FROM parquet_file_metadata('{tmp}')").fetchone()[0]
    with open(tmp, "rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return int(rows), digest


def _atomic_json(path: Path, obj: dict) -> None:
    tmp = path.with_name("." + path.name + ".part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def export(db_path: str | Path, out: str | Path, passphrase: str | bytes, station: str | None = None,
           clock=time.time) -> dict:
    """Write the not yet exported pulls' encounters under `out`; returns what was done (counts, files)."""
    from host_tools.stationdb import StationDB, close_store, connect_store
    from provisioning.registry import Registry

    out = Path(out)
    if "://" in str(out):
        raise UsageError(f"{out}: a station exports to a local folder (copy it to the hub's storage after)")
    db = StationDB(db_path)
    reg = Registry(db_path, passphrase)
    con = db.con
    try:
        con.executescript(STATE_SCHEMA)
        code = station_code(con, station)
        pending = con.execute("SELECT * FROM hub_exports WHERE status = 'writing' ORDER BY id").fetchone()
        if pending is not None:  # an export stopped half-way: the same pulls again, to the same file names
            batch_id, p_from, p_to = pending["id"], pending["pull_from"], pending["pull_to"]
            con.execute("UPDATE hub_exports SET out = ? WHERE id = ?", (str(out), batch_id))
        else:
            done = con.execute("SELECT MAX(pull_to) FROM hub_exports WHERE status = 'done'").fetchone()[0] or 0
            with db.store() as sc:
                p_to = sc.execute("SELECT MAX(pull_id) FROM encounters").fetchone()[0] or 0
            # a pull still being stored (pull IDs are drawn first, stores may commit out of order) and every later
            # one wait for the next export: the watermark never passes rows not yet there
            storing = con.execute("SELECT MIN(id) FROM pulls WHERE status = 'storing'").fetchone()[0]
            if storing is not None:
                p_to = min(p_to, storing - 1)
            p_from = done + 1
            if p_to < p_from:
                return {"station": code, "rows": 0, "files": [], "skipped_rows": 0, "pulls": None,
                        "message": "nothing new to export"}
            cur = con.execute("INSERT INTO hub_exports (started_ms, station, out, pull_from, pull_to, status)"
                              " VALUES (?,?,?,?,?, 'writing')", (int(clock() * 1000), code, str(out), p_from, p_to))
            batch_id = int(cur.lastrowid or 0)
        try:
            out.mkdir(parents=True, exist_ok=True)
            (out / schema.MANIFEST_DIR).mkdir(exist_ok=True)
        except OSError as e:
            raise UsageError(f"{out}: cannot write there: {e.strerror}") from None

        offsets, profiles = receivers(db_path, reg)
        names: dict[str, str | None] = {}

        def name_of(token_id: str) -> str | None:
            if token_id not in names:
                try:
                    names[token_id] = pseudonym.pseudonym(reg.secret_for(token_id), token_id)
                except AuthError as e:
                    if "passphrase" in str(e) or "decrypt" in str(e):
                        raise
                    names[token_id] = None  # no secret here: cannot be pseudonymised, not sent (counted)
            return names[token_id]

        files, total = [], 0
        store = connect_store(db_path)
        try:
            rng = f"e.pull_id BETWEEN {int(p_from)} AND {int(p_to)}"
            tokens = [r[0] for r in store.execute(f"SELECT DISTINCT token_id FROM encounters e WHERE {rng}"
                                                  " ORDER BY 1").fetchall()]
            mine = [t for t in tokens if name_of(t) is not None] or ["\0none"]  # (an empty relation has no types)
            store.register("hub_tokens", {
                "token_id": np.array(mine, dtype=object),
                "pseudonym": np.array([name_of(t) or "" for t in mine], dtype=object),
                "rx_profile": np.array([profiles.get(t) for t in mine], dtype=object),
                "rx_offset_db": np.array([offsets.get(t, np.nan) for t in mine], dtype=np.float64)})
            skipped = store.execute(f"SELECT COUNT(*) FROM encounters e WHERE {rng} AND e.token_id NOT IN "
                                    "(SELECT token_id FROM hub_tokens)").fetchone()[0]
            days = [r[0] for r in store.execute(f"SELECT DISTINCT e.day FROM encounters e JOIN hub_tokens t USING "
                                                f"(token_id) WHERE {rng} ORDER BY 1").fetchall()]
            cols = ", ".join(_SOURCE.get(c, f"e.{c}") + f"::{t} AS {c}" for c, t, _ in schema.LOG_COLUMNS)
            for d in days:
                part = Path(f"day={day_str(d)}") / f"station={code}"
                (out / part).mkdir(parents=True, exist_ok=True)
                rel = part / f"part-{code}-{p_from}-{p_to}.parquet"
                sql = (f"SELECT {cols} FROM encounters e JOIN hub_tokens t USING (token_id)"
                       f" WHERE {rng} AND e.day = {int(d)} ORDER BY t.pseudonym, e.file_offset")
                rows, digest = _write_parquet(store, sql, out / rel)
                files.append({"path": rel.as_posix(), "rows": rows, "sha256": digest})
                total += rows
        finally:
            close_store(store, db_path)
        manifest_name = f"{schema.MANIFEST_DIR}/{code}-{p_from}-{p_to}.json"
        manifest = {"format": schema.LOGS_FORMAT, "version": schema.VERSION, "station": code,
                    "pulls": [p_from, p_to], "exported_ms": int(clock() * 1000), "rows": total, "files": files,
                    "columns": list(schema.LOG_COLUMN_NAMES)}
        _atomic_json(out / manifest_name, manifest)
        con.execute("UPDATE hub_exports SET status = 'done', finished_ms = ?, rows = ?, files = ?, skipped_rows = ?,"
                    " manifest = ? WHERE id = ?", (int(clock() * 1000), total, len(files), skipped, manifest_name,
                                                   batch_id))
        return {"station": code, "rows": total, "files": [f["path"] for f in files], "skipped_rows": skipped,
                "pulls": [p_from, p_to], "manifest": manifest_name, "out": str(out)}
    finally:
        reg.close()
        db.close()
