"""Incremental matching at the station, in a worker process.

A sync never re-matches everything: a new pull is matched against the active exposure lists, and a new list
against the stored logs of its days. Both run the one matching query (host_tools.match.query) in the
encounter store, restricted to the new pulls (`pull_id IN (...)`) or to the list's days (± one day, for the
slot-edge tolerance), so the cost of a sync grows with its own rows, not with the station's.

What the worker keeps, in the encounter store (DuckDB, schema step 2 of host_tools.stationdb):
- `match_lists`: the lists already matched against every stored log (by station_lists id and sha256);
- `match_pulls`: the pulls already matched against every matched list;
- `match_hits`: every joined row (the query's result: which record met which derived ID, in which window);
- `match_exposures`: the scored exposures per (list, token, entry), rescored from all their hits whenever a
  pull or a list adds hits to that pair (scoring needs the pair's whole day, not the new rows alone).
The station's `station_matches` (SQLite, what the pages show) is rewritten from `match_exposures` after each
batch, with the wearer who had the token at the time.

The worker owns all of this; the station process only pokes it ("something was pulled", "the lists changed",
"the wearers changed", "match everything again") and may wait for a poke to be done. Pokes that arrive while
it works are coalesced into one batch: a burst of 1,000 syncs costs a few batches, each matching the pulls that
arrived meanwhile. Derived IDs of the active lists stay in the worker's memory between batches.
The worker opens the encounter store only while it works on a batch; syncs that store a pull meanwhile wait
for it (host_tools.stationdb.LOCK_WAIT_S), for milliseconds in the incremental case.

`match_all(db)` is the full re-match (`bztoken match --db PATH --rematch`, `Station.recompute_matches`): the
state above is cleared and rebuilt; incremental runs in any order give the same `match_exposures` (tested).
"""

from __future__ import annotations

import json
import logging
import multiprocessing as mp
import queue
import threading
import time
from pathlib import Path

import numpy as np

log = logging.getLogger("bztoken.station.matcher")

DAY_MS = 86_400_000

# The worker's tables: schema step 2 of the encounter store (host_tools.stationdb.STORE_V2).
_HIT_COLS = ("entry", "row_no", "ws", "we", "cid_hi", "cid_lo", "first_seen_ms", "last_seen_ms", "count",
             "rssi_min", "rssi_max", "rssi_mean", "is_strict")


# --- the work (runs in the worker process; callable directly for tests and the full re-match) ------------

class _Lists:
    """The active lists' derived IDs, kept between batches: list id -> (sha256, name, chunks, day range)."""

    def __init__(self):
        self.cache: dict[int, tuple] = {}

    def get(self, lst: dict):
        from host_tools.match import engine, exposures

        got = self.cache.get(lst["id"])
        if got is not None and got[0] == lst["sha256"]:
            return got
        ex = exposures.read_exposures([lst["path"]])
        chunks = [engine.build_chunk(kds) for kds in engine._key_day_chunks(ex, 20_000_000)]
        kds = ex.key_days()
        d0 = int(kds.base_ms.min() // DAY_MS) - 1 if len(kds) else 0
        d1 = int((kds.base_ms + kds.slot_ms * kds.slots).max() // DAY_MS) + 1 if len(kds) else -1
        got = (lst["sha256"], lst["name"], chunks, (d0, d1))
        self.cache[lst["id"]] = got
        return got


def _active_lists(db: Path) -> list[dict]:
    from host_tools.station import store

    return [lst for lst in store.lists(db) if Path(lst["path"]).is_file()]


def _join(con, chunks, tol_ms: int, where: str) -> dict[str, np.ndarray]:
    from host_tools import stationdb
    from host_tools.match import engine

    parts = [engine.run_query(con, ch, tol_ms, "match_encounters", where, rowid=stationdb.STORE_ROWID)
             for ch in chunks]
    parts = [p for p in parts if len(p["log"])]
    if not parts:
        return {}
    return {k: np.concatenate([np.asarray(p[k]) for p in parts]) for k in parts[0]}


def _store_hits(con, list_id: int, res: dict[str, np.ndarray]) -> set[tuple[int, str]]:
    """Append the joined rows of one list; returns the (list, token) pairs they touch."""
    if not res:
        return set()
    hits = {c: np.asarray(res[c]) for c in _HIT_COLS}  # noqa: F841 - scanned by name below
    hits["list_id"] = np.full(len(res["log"]), list_id, np.int64)
    hits["token_id"] = np.asarray(res["log"], dtype=object)
    cols = ", ".join(("list_id", "token_id", *_HIT_COLS))
    con.register("new_hits", hits)
    try:
        con.execute(f"INSERT INTO match_hits ({cols}) SELECT {cols} FROM new_hits")
    finally:
        con.unregister("new_hits")
    return {(list_id, str(t)) for t in np.unique(hits["token_id"])}


def _fetch_hits(con, pairs: set[tuple[int, str]]) -> dict[str, np.ndarray]:
    """Every hit of the given (list, token) pairs, in one query."""
    if not pairs:
        return {}
    pl = sorted(pairs)
    want = {"list_id": np.array([p[0] for p in pl], np.int64),
            "token_id": np.array([p[1] for p in pl], dtype=object)}
    con.register("want_pairs", want)
    try:
        cols = ", ".join("h." + c for c in _HIT_COLS)
        h = con.execute(f"SELECT h.list_id, h.token_id, {cols} FROM match_hits h "
                        "JOIN want_pairs w ON h.list_id = w.list_id AND h.token_id = w.token_id "
                        "ORDER BY h.list_id, h.token_id, h.row_no, h.entry, h.ws").fetchnumpy()
    finally:
        con.unregister("want_pairs")
    return {k: np.asarray(v) for k, v in h.items()}


def _score(hits: dict[str, np.ndarray], th, receiver_of) -> list[list]:
    """[list_id, token_id, entry, summary JSON] for every exposure of the hits' pairs."""
    from host_tools.match import query
    from host_tools.match.scoring import Rows, exposures

    out: list[list] = []
    if not hits or not len(hits["list_id"]):
        return out
    lid, tok = hits["list_id"], hits["token_id"].astype(str)
    cids = np.frombuffer(query.join_ids(hits["cid_hi"], hits["cid_lo"]), dtype="V12")
    change = np.flatnonzero((lid[1:] != lid[:-1]) | (tok[1:] != tok[:-1])) + 1
    for sel in np.split(np.arange(len(lid)), change):
        rows = Rows(hits["entry"][sel].astype(np.int64), hits["ws"][sel].astype(np.int64),
                    hits["first_seen_ms"][sel].astype(np.int64), hits["last_seen_ms"][sel].astype(np.int64),
                    hits["count"][sel].astype(np.int64), hits["rssi_min"][sel].astype(np.int64),
                    hits["rssi_max"][sel].astype(np.int64), hits["rssi_mean"][sel].astype(np.int64),
                    ~hits["is_strict"][sel].astype(bool), cids[sel])
        token = str(tok[sel[0]])
        for e in exposures(th, rows, receiver_of({"source": "station-db", "token_id": token})):
            out.append([int(lid[sel[0]]), token, int(e["entry"]), json.dumps(e, sort_keys=True)])
    return out


def _replace_exposures(con, pairs: set[tuple[int, str]], rows: list[list]) -> None:
    if not pairs:
        return
    pl = sorted(pairs)
    gone = {"list_id": np.array([p[0] for p in pl], np.int64),
            "token_id": np.array([p[1] for p in pl], dtype=object)}
    con.register("gone_pairs", gone)
    try:
        con.execute("DELETE FROM match_exposures WHERE EXISTS (SELECT 1 FROM gone_pairs g WHERE "
                    "g.list_id = match_exposures.list_id AND g.token_id = match_exposures.token_id)")
    finally:
        con.unregister("gone_pairs")
    if rows:
        new = {"list_id": np.array([r[0] for r in rows], np.int64),
               "token_id": np.array([r[1] for r in rows], dtype=object),
               "entry": np.array([r[2] for r in rows], np.int64),
               "summary": np.array([r[3] for r in rows], dtype=object)}
        con.register("new_exposures", new)
        try:
            con.execute("INSERT INTO match_exposures SELECT list_id, token_id, entry, summary FROM new_exposures")
        finally:
            con.unregister("new_exposures")


def run_batch(db: str | Path, lists: _Lists | None = None, full: bool = False) -> dict:
    """Bring the matches up to date: pending pulls against matched lists, then lists not matched yet (or
    changed) against the stored logs of their days; with `full`, everything again from nothing. Returns counts.

    Two short sessions on the encounter store, so syncs waiting to store a pull wait little: the first joins
    and records the hits, and which (list, token) pairs they touched (`match_dirty`); scoring runs with the
    store closed; the second replaces those pairs' exposures and clears `match_dirty`. A batch cut between the
    two leaves its pairs dirty, and the next batch scores them."""
    from host_tools import stationdb
    from host_tools.match import calibration, scoring

    db = Path(db)
    lists = lists or _Lists()
    th = scoring.Thresholds()
    tol = th.tolerance_s * 1000
    offs, profs = calibration.offsets(db), calibration.token_profiles(db)

    def receiver_of(info):
        return scoring.Receiver.from_info(info, offs, profs)

    active = _active_lists(db)
    t0 = time.perf_counter()
    out = {"pulls": 0, "lists": 0, "pairs": 0}
    with stationdb.store(db) as con:
        con.execute("BEGIN")
        try:
            if full:
                for t in ("match_lists", "match_pulls", "match_hits", "match_exposures", "match_dirty"):
                    con.execute(f"DELETE FROM {t}")
            done = {int(r[0]): r[1] for r in con.execute("SELECT list_id, sha256 FROM match_lists").fetchall()}
            ids_now = {lst["id"] for lst in active}
            gone = [lid for lid in done if lid not in ids_now]
            stale = [lst["id"] for lst in active if lst["id"] in done and done[lst["id"]] != lst["sha256"]]
            for lid in gone + stale:  # a list removed or replaced: its hits and exposures go with it
                for t in ("match_lists", "match_hits", "match_exposures", "match_dirty"):
                    con.execute(f"DELETE FROM {t} WHERE list_id = ?", [lid])
                done.pop(lid, None)
            pending = [int(r[0]) for r in con.execute(
                "SELECT DISTINCT pull_id FROM encounters WHERE pull_id NOT IN (SELECT pull_id FROM match_pulls)"
            ).fetchall()]
            pairs: set[tuple[int, str]] = {(int(a), str(b)) for a, b in con.execute(
                "SELECT DISTINCT list_id, token_id FROM match_dirty").fetchall()}
            if pending and done:
                where = "e.pull_id IN (" + ", ".join(str(p) for p in pending) + ")"
                for lst in active:
                    if lst["id"] in done:
                        _sha, _name, chunks, _days = lists.get(lst)
                        pairs |= _store_hits(con, lst["id"], _join(con, chunks, tol, where))
            for lst in active:
                if lst["id"] in done:
                    continue
                _sha, _name, chunks, (d0, d1) = lists.get(lst)
                pairs |= _store_hits(con, lst["id"], _join(con, chunks, tol, f"e.day BETWEEN {d0} AND {d1}"))
                con.execute("INSERT INTO match_lists VALUES (?, ?, ?)", [lst["id"], lst["sha256"],
                                                                         time.time_ns() // 1_000_000])
                out["lists"] += 1
            if pending:
                con.executemany("INSERT INTO match_pulls VALUES (?)", [[p] for p in pending])
            con.execute("DELETE FROM match_dirty")
            if pairs:
                con.executemany("INSERT INTO match_dirty VALUES (?, ?)", [list(p) for p in sorted(pairs)])
            hits = _fetch_hits(con, pairs)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    out["pulls"] = len(pending)
    scored = _score(hits, th, receiver_of)  # the store is free for syncs meanwhile
    with stationdb.store(db) as con:
        con.execute("BEGIN")
        try:
            _replace_exposures(con, pairs, scored)
            con.execute("DELETE FROM match_dirty")
            exps = con.execute("SELECT list_id, token_id, summary FROM match_exposures "
                               "ORDER BY list_id, token_id, entry").fetchall()
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    out["pairs"] = len(pairs)
    out["matches"] = _publish(db, active, exps, th.near_min)
    out["seconds"] = round(time.perf_counter() - t0, 3)
    return out


def _publish(db: Path, active: list[dict], exps: list[tuple], near_threshold: float) -> int:
    """station_matches (what the pages show) from the scored exposures, each with its wearer of the time and
    what its risk rests on: the scoring's near-minutes, the threshold they were held against, and the time per
    attenuation bucket (the scoring's own numbers, shown as they are)."""
    from host_tools.station import store
    from provisioning.registry import Registry

    names = {lst["id"]: lst["name"] for lst in active}
    reg = Registry(db, None)
    try:
        owners = {t["token_id"]: t["wearer_id"] for t in reg.tokens()}
    finally:
        reg.close()
    wearer_at = store.wearer_at(db, owners)
    rows = []
    for list_id, tid, summary in exps:
        e = json.loads(summary)
        rows.append({"token_id": tid, "wearer_id": wearer_at(tid, e["first_seen_ms"]), "risk": e["risk"],
                     "proximity": e["proximity"], "first_seen_ms": e["first_seen_ms"],
                     "last_seen_ms": e["last_seen_ms"], "duration_ms": e["duration_ms"],
                     "rssi_mean": e["rssi_mean"], "list_name": names.get(list_id, "?"),
                     "near_min": e["near_min"], "near_threshold": near_threshold, "buckets_s": e["buckets_s"]})
    store.replace_matches(db, rows)
    return len(rows)


def current_exposures(db: str | Path) -> list[tuple]:
    """(list_id, token_id, entry, summary dict) of every scored exposure, in order (for tests and tools)."""
    from host_tools import stationdb

    with stationdb.store(db) as con:
        rows = con.execute("SELECT list_id, token_id, entry, summary FROM match_exposures "
                           "ORDER BY list_id, token_id, entry").fetchall()
    return [(int(a), b, int(c), json.loads(d)) for a, b, c, d in rows]


def match_all(db: str | Path) -> dict:
    """The full re-match: every list against every stored log, from nothing."""
    return run_batch(db, full=True)


# --- the worker process and its handle ----------------------------------------------------------------------

def _worker(db: str, jobs, done) -> None:  # pragma: no cover - runs in the child; tested through Matcher
    lists = _Lists()
    while True:
        job = jobs.get()
        batch = [job]
        while True:  # coalesce whatever else is waiting
            try:
                batch.append(jobs.get_nowait())
            except queue.Empty:
                break
        if any(j[0] == "stop" for j in batch):
            done.put(("stopped", max(j[1] for j in batch), None, None))
            return
        full = any(j[0] == "full" for j in batch)
        try:
            res, err = run_batch(db, lists, full=full), None
        except Exception as e:  # noqa: BLE001 - reported to the station (audited), the worker goes on
            res, err = None, f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
        done.put(("done", max(j[1] for j in batch), res, err))


class Matcher:
    """The station's handle to its matching worker (a separate process: matching never runs on a sync
    thread, and never holds the station's GIL). `poke()` returns a ticket; `wait(ticket)` blocks until a batch
    that saw the poke is done."""

    def __init__(self, db: str | Path, on_result=None):
        self.db = str(db)
        self.on_result = on_result  # called (result dict or None, error or None) after each batch
        self._ctx = mp.get_context("spawn")  # the station has threads: never fork it
        self._jobs = self._ctx.Queue()
        self._done = self._ctx.Queue()
        self._proc = None
        self._next = 0
        self._finished = -1
        self._cond = threading.Condition()
        self._lock = threading.Lock()
        self._reader: threading.Thread | None = None
        self.last: dict | None = None
        self.last_error: str | None = None

    def _ensure(self) -> None:
        if self._proc is not None and self._proc.is_alive():
            return
        self._proc = self._ctx.Process(target=_worker, args=(self.db, self._jobs, self._done),
                                       name="bztoken-matcher", daemon=True)
        self._proc.start()
        if self._reader is None:
            self._reader = threading.Thread(target=self._read, name="matcher-results", daemon=True)
            self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                kind, upto, res, err = self._done.get()
            except (EOFError, OSError):
                return
            with self._cond:
                self._finished = max(self._finished, upto)
                if kind == "done":
                    self.last, self.last_error = res, err
                self._cond.notify_all()
            if kind == "stopped":
                return
            if self.on_result is not None:
                try:
                    self.on_result(res, err)
                except Exception:  # noqa: BLE001 - a callback must not stop the reader
                    log.exception("matcher callback failed")

    def poke(self, what: str = "update") -> int:
        with self._lock:
            self._ensure()
            ticket = self._next
            self._next += 1
            self._jobs.put((what, ticket))
        return ticket

    def wait(self, ticket: int, timeout: float = 120.0) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._finished < ticket:
                left = deadline - time.monotonic()
                if left <= 0 or (self._proc is not None and not self._proc.is_alive()):
                    return self._finished >= ticket
                self._cond.wait(min(left, 0.5))
        return True

    def close(self, timeout: float = 10.0) -> None:
        with self._lock:
            if self._proc is None:
                return
            if self._proc.is_alive():
                self._jobs.put(("stop", self._next))
                self._next += 1
                self._proc.join(timeout)
            if self._proc.is_alive():
                self._proc.terminate()
                self._proc.join(2)
            self._proc = None
