"""The join: F0 entries' derived IDs against every log, then the strict rule or scoring.

Each entry's IDs are derived once per run (in chunks of at most `max_ids` IDs, so an exposure list larger than
memory streams). The derived IDs are columns (numpy): the ID as two integers, its key-day and slot. One SQL
query (host_tools.match.query.match_sql) joins them against the encounters of every log at once in DuckDB:
the station's encounter store read in place, or the logs read from files, registered as one relation. When both
sides are long, the rows that can join are picked first by a semi-join on the ID's first 8 bytes (`run_query`).
Logs read from files of at most NUMPY_JOIN_MAX_ROWS rows (a phone export) are joined by `numpy_query` instead,
which returns the query's rows exactly (tests/test_match_numpy_join.py) without opening DuckDB.
The joined rows (one per record and matching window, with whether the phones' rule holds) are grouped here
into matches per (log, entry, contact ID, window), and scored.

Rules (times in unix ms; a slot window is [ws, we] = [slot start, slot start + slot length]):
- strict (Bluezone phones, section 5.4): a record matches when its ID is the slot's ID and a sighting time
  (first or last seen) lies in [ws, we], both ends inclusive;
- scored: the record's [first, last] overlaps [ws - tolerance, we + tolerance] (clock error at slot edges;
  `edge` marks a match found only thanks to the tolerance); per (log, entry) the matched records' intervals are
  merged when gaps are <= merge_gap, their lengths summed into a duration, the count-weighted mean RSSI
  gives a proximity class and duration and proximity a risk level (see Thresholds).
"""

import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

import numpy as np

from bzfw import ids
from host_tools import stationdb
from host_tools.errors import UsageError
from host_tools.match import derive, query
from host_tools.match.exposures import DAY_S, Entry, Exposures, KeyDay, KeyDays
from host_tools.match.logs import LogData, LogSource
from host_tools.match.scoring import Receiver, Rows, Thresholds, exposures
from host_tools.progress import ProgressFn, no_progress

MODES = ("strict", "scored")
_MAX_CHUNK_IDS = 1 << 28


@dataclass
class LogResult:
    log: str
    info: dict
    matches: list[dict] = field(default_factory=list)
    exposures: list[dict] = field(default_factory=list)  # scored: one summary per matched entry


@dataclass
class Result:
    mode: str
    thresholds: Thresholds | None
    entries: int = 0
    key_days: int = 0
    ids: int = 0
    logs: list[LogResult] = field(default_factory=list)
    stats: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        out: dict = {"mode": self.mode}
        if self.thresholds is not None:
            out["thresholds"] = asdict(self.thresholds)
        else:
            out["rule"] = "same ID, slot start <= time <= slot end (both inclusive)"
        out["exposures"] = {"entries": self.entries, "key_days": self.key_days, "ids": self.ids}
        out["logs"] = []
        for lr in self.logs:
            d = {"log": lr.log, **{k: v for k, v in lr.info.items() if k != "name"}, "matches": lr.matches}
            if self.mode == "scored":
                d["exposures"] = lr.exposures
            out["logs"].append(d)
        out["stats"] = self.stats
        return out


@dataclass
class IdChunk:
    """The derived IDs of a run of key-days, as the query's `exposure_ids` and `key_days` relations."""

    exposure_ids: dict[str, np.ndarray]  # id_hi, id_lo, kd, slot
    key_days: dict[str, np.ndarray]  # kd, entry, base_ms, slot_ms

    def __len__(self) -> int:
        return len(self.exposure_ids["id_hi"])


class Prederive:
    """Deriving a list's IDs while the rest of it is still checked (exposures.read_exposures' `keys_ready`): a
    one-core stretch of the CLI (checks, duplicates, reading the logs) then overlaps the kernel. It starts only for
    the usual list, where the IDs to derive are known from the keys alone: every entry one day of
    ids.SLOTS_PER_DAY slots (the chunk is then the whole key blob, its IDs derive.derive_columns(keys, 96)), and
    all of them in one chunk (at most max_ids IDs). build_chunk takes the result only for that very chunk; a
    list refused by the checks drops it."""

    def __init__(self, jobs: int, max_ids: int, native: bool = True):
        self.jobs, self.max_ids, self.native = jobs, min(max_ids, _MAX_CHUNK_IDS), native
        self.keys: bytes | None = None
        self.future = None

    def __call__(self, keys: bytes, t0: np.ndarray, m: np.ndarray, te: np.ndarray) -> None:
        slots = ids.SLOTS_PER_DAY
        if self.future is not None or not self.native or derive.backend() == "python" or not len(m):
            return
        span = te - t0
        if len(m) * slots > self.max_ids or not ((m == slots).all() and (span >= DAY_S - DAY_S // slots).all()
                                                 and (span < DAY_S).all()):
            return
        from concurrent.futures import ThreadPoolExecutor

        self.keys = keys
        pool = ThreadPoolExecutor(max_workers=1)
        self.future = pool.submit(derive.derive_columns, keys, slots, None, self.jobs, True)
        pool.shutdown(wait=False)

    def columns(self, kds: KeyDays, m: int, valid) -> tuple | None:
        """The columns derived ahead for `kds`, or None (not derived ahead, or for other key-days)."""
        if self.future is None or valid is not None or m != ids.SLOTS_PER_DAY or len(kds) * m > self.max_ids:
            return None
        if not (kds.keys is self.keys or kds.keys == self.keys):
            return None
        return self.future.result()


def build_chunk(kds: KeyDays | list[KeyDay], jobs: int = 1, native: bool = True,
                ahead: Prederive | None = None) -> IdChunk:
    """Derive the IDs of key-days that share one slot count; IDs past an entry's last slot are left out.
    `ahead`: IDs derived while the list was checked, used when they are these key-days' (Prederive.columns)."""
    if not isinstance(kds, KeyDays):
        kds = KeyDays(np.array([k.entry for k in kds], np.int64), b"".join(k.key for k in kds),
                      np.array([k.base_ms for k in kds], np.int64), np.array([k.slot_ms for k in kds], np.int64),
                      np.array([k.slots for k in kds], np.int64), np.array([k.valid for k in kds], np.int64))
    n = len(kds)
    m = int(kds.slots[0])
    assert (kds.slots == m).all()
    valid = kds.valid.astype(np.int32) if (kds.valid < m).any() else None
    got = ahead.columns(kds, m, valid) if ahead is not None and native else None
    hi, lo, kd, slot = got if got is not None else derive.derive_columns(kds.keys, m, valid, jobs=jobs,
                                                                         native=native)
    return IdChunk({"id_hi": hi, "id_lo": lo, "kd": kd, "slot": slot},
                   {"kd": np.arange(n, dtype=np.int32), "entry": kds.entry, "base_ms": kds.base_ms,
                    "slot_ms": kds.slot_ms})


# The prefilter (see run_query): when both sides hold at least PREFILTER_MIN rows (derived IDs, encounters),
# the candidate encounters are picked first, in ID ranges of at most PART_IDS IDs each. A semi-join on one
# BIGINT holds about 40-60 bytes per ID in DuckDB 2.0 (4.8 M IDs ran in 300 MB without spilling; 9.6 M in one
# range spilled under 400 MB and took 2.5x the CPU), so a range gets at most one ID per SEMI_JOIN_BYTES of
# DuckDB's memory limit. Fewer ranges read the store's contact IDs fewer times; smaller ones are probed faster
# (fewer cache misses): 2 ranges for 9.6 M IDs measured best of 1, 2, 3, 4 and 8.
PREFILTER_MIN = 1_000_000
SEMI_JOIN_BYTES = 80
PART_IDS = stationdb.MEMORY_LIMIT_MB * 2**20 // SEMI_JOIN_BYTES
_I64 = 1 << 64


def id_ranges(n_ids: int, part_ids: int = PART_IDS) -> list[tuple[int, int]]:
    """Equal ranges [lo, hi] of the ID's leading 8 bytes (a signed BIGINT, query.split_ids), enough of them that
    each holds about `part_ids` of `n_ids` uniformly spread IDs (SHA-256 outputs). One range: everything."""
    k = max(1, -(-n_ids // max(1, part_ids)))
    step = _I64 // k
    lo = [-(1 << 63) + p * step for p in range(k)]
    return [(a, (lo[p + 1] - 1) if p + 1 < k else (1 << 63) - 1) for p, a in enumerate(lo)]


def candidates(con, encounters: str, where: str = "", n_ids: int = 0, part_ids: int = PART_IDS,
               rowid: str | None = None) -> dict[str, np.ndarray]:
    """The rows of `encounters` (alias `e`, filtered by `where`) whose contact ID's leading 8 bytes equal those
    of a derived ID in `exposure_ids`: every row the match query can join, and (IDs being random) few others.
    One semi-join on a BIGINT per ID range; DuckDB builds its hash table on the smaller side. With `rowid` (a
    column of `encounters` naming each row, e.g. the store's `rid`) the semi-joins read only the contact IDs
    and the picked rows are read whole afterwards, by their row IDs."""
    parts = []
    what = f"e.{rowid}" if rowid else "*"
    for lo, hi in id_ranges(n_ids, part_ids):
        full = lo == -(1 << 63) and hi == (1 << 63) - 1
        rng = "" if full else f" BETWEEN {lo} AND {hi}"
        conds = [f"({where})"] if where else []
        if rng:
            conds.append(f"e.cid_hi{rng}")
        conds.append(f"e.cid_hi IN (SELECT id_hi FROM exposure_ids{' WHERE id_hi' + rng if rng else ''})")
        parts.append(con.execute(f"SELECT {what} FROM {encounters} AS e WHERE {' AND '.join(conds)}").fetchnumpy())
    got = {k: np.concatenate([np.asarray(p[k]) for p in parts]) for k in parts[0]}
    if not rowid:
        return got
    con.register("match_rowids", {"r": got[rowid]})
    try:
        return con.execute(f"SELECT * FROM {encounters} WHERE {rowid} IN (SELECT r FROM match_rowids)").fetchnumpy()
    finally:
        con.unregister("match_rowids")


def _fetch_match(con, sql: str) -> dict[str, np.ndarray]:
    """Run the match query as written: its joins are in the order that is cheapest at every size (contact IDs
    first, whose result is small, then the key-days lookup on the few joined rows). DuckDB's join-order
    optimizer has no statistics on registered numpy relations and joined all derived IDs with their key-days
    first (9.6 M rows: 0.3-0.4 s of CPU whatever the log's size); which side of each join is hashed is still
    chosen by DuckDB (the smaller)."""
    con.execute("SET disabled_optimizers = 'join_order'")
    try:
        return con.execute(sql).fetchnumpy()
    finally:
        con.execute("RESET disabled_optimizers")


def run_query(con, chunk: IdChunk, tolerance_ms: int, encounters: str, where: str = "",
              rows: int | None = None, part_ids: int | None = None, rowid: str | None = None
              ) -> dict[str, np.ndarray]:
    """The match query on DuckDB connection `con`, `encounters` being a relation there (`rows`: at most how
    many rows it has, None: unknown; `rowid`: a column naming its rows, see `candidates`); the result as
    columns.

    A long list against many encounters (both at least PREFILTER_MIN) is joined in two steps with the same
    result: `candidates` picks the rows whose ID's first 8 bytes are those of a derived ID (a semi-join on one
    integer, by ID ranges), then the match query runs unchanged on those few rows. The one-step join would
    build a hash table on all derived IDs with two keys and their key-day and slot (it spilled to disk under the
    memory limit) and read every column of every row into the join. A short list or a small log needs no
    prefilter: DuckDB builds the join's hash table on the small side."""
    con.register("exposure_ids", chunk.exposure_ids)
    con.register("key_days", chunk.key_days)
    try:
        if min(len(chunk), len(chunk) if rows is None else rows) >= PREFILTER_MIN:
            cand = candidates(con, encounters, where, len(chunk), PART_IDS if part_ids is None else part_ids,
                              rowid)
            con.register("match_candidates", cand)
            try:
                res = _fetch_match(con, query.match_sql(tolerance_ms, encounters="match_candidates"))
            finally:
                con.unregister("match_candidates")
            return res
        return _fetch_match(con, query.match_sql(tolerance_ms, encounters=encounters, where=where))
    finally:
        con.unregister("exposure_ids")
        con.unregister("key_days")


# The numpy join (numpy_query) replaces DuckDB for logs read from files of at most NUMPY_JOIN_MAX_ROWS rows (a
# phone export, a token's log): no DuckDB connection to open (~15-20 ms), and one pass over the derived IDs
# instead of a hash join probed by all of them. Larger logs (and the station's store) go through match_sql.
NUMPY_JOIN_MAX_ROWS = 4096
_LITTLE = sys.byteorder == "little"
_BLOCK = 1 << 16


def numpy_query(chunk: IdChunk, tolerance_ms: int, rel: dict[str, np.ndarray],
                jobs: int = 1) -> dict[str, np.ndarray] | None:
    """query.match_sql's result (same columns, dtypes, rows and order) for the file relation `rel`, computed in
    numpy; None when `chunk` is not as build_chunk makes it (key-day k at row k of key_days), for the SQL path.

    One pass over the derived IDs: a 64 K-entry table of the low 16 bits of the log's contact IDs picks the
    derived IDs that can be equal (about rows/65,536 of them, IDs being random), which are then compared in
    full against the log's IDs sorted; the pairs found get their window and the query's conditions.
    tests/test_match_numpy_join.py checks it against match_sql in DuckDB on Hypothesis logs and lists."""
    tol = int(tolerance_ms)
    if tol < 0:
        raise ValueError("tolerance must not be negative")
    kdcol = chunk.key_days["kd"]
    if not np.array_equal(kdcol, np.arange(len(kdcol), dtype=kdcol.dtype)):
        return None
    ids_ = chunk.exposure_ids
    dhi, dlo = ids_["id_hi"], np.ascontiguousarray(ids_["id_lo"], dtype=np.int32)
    rhi, rlo = rel["cid_hi"].astype(np.int64), rel["cid_lo"].astype(np.int32)
    table = np.zeros(1 << 16, dtype=bool)
    table[rlo.astype(np.int64) & 0xFFFF] = True
    low16 = dlo.view(np.uint16)[0::2] if _LITTLE else (dlo & 0xFFFF)  # no copy of the column on x86 and ARM
    # in blocks: numpy turns an index array into intp before gathering, a block's fits in the cache
    def pick(a0: int, a1: int) -> list[np.ndarray]:
        buf = np.empty(min(a1 - a0, _BLOCK), dtype=bool)
        picked = []
        for a in range(a0, a1, _BLOCK):
            part = low16[a : min(a + _BLOCK, a1)]
            hit = np.flatnonzero(np.take(table, part, out=buf[: len(part)]))
            if len(hit):
                picked.append(hit + a)
        return picked

    n_ids = len(low16)
    if jobs > 1 and n_ids >= 64 * _BLOCK:  # numpy's gather releases the GIL: the halves on two threads
        from concurrent.futures import ThreadPoolExecutor

        cut = [n_ids * t // jobs for t in range(jobs + 1)]
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            picked = [x for p in pool.map(pick, cut[:-1], cut[1:]) for x in p]
    else:
        picked = pick(0, n_ids)
    cand = np.concatenate(picked) if picked else np.empty(0, np.int64)
    # the log's rows by (hi, lo); every derived candidate against the rows of its hi, then lo compared
    order = np.lexsort((rlo, rhi))
    shi = rhi[order]
    chi = dhi[cand]
    a = np.searchsorted(shi, chi, "left")
    b = np.searchsorted(shi, chi, "right")
    n = b - a
    j = np.repeat(cand, n)
    r = order[np.repeat(a, n) + (np.arange(int(n.sum()), dtype=np.int64) - np.repeat(np.cumsum(n) - n, n))]
    keep = rlo[r] == dlo[j]
    j, r = j[keep], r[keep]
    kd = ids_["kd"][j]
    slot = ids_["slot"][j]
    k = kd.astype(np.int64)
    base, slot_ms = chunk.key_days["base_ms"][k].astype(np.int64), chunk.key_days["slot_ms"][k].astype(np.int64)
    ws = base + slot.astype(np.int64) * slot_ms
    we = base + (slot.astype(np.int64) + 1) * slot_ms
    first, last = rel["first_seen_ms"][r].astype(np.int64), rel["last_seen_ms"][r].astype(np.int64)
    keep = (last >= ws - tol) & (first <= we + tol)
    j, r, kd, slot, k, ws, we, first, last = (x[keep] for x in (j, r, kd, slot, k, ws, we, first, last))
    entry = chunk.key_days["entry"][k].astype(np.int64)
    logs_ = rel["log"][r]
    _, log_rank = np.unique(logs_.astype(str), return_inverse=True)  # ORDER BY log: the text's order
    row_no = rel["row_no"][r].astype(np.int64)
    o = np.lexsort((ws, entry, row_no, log_rank.reshape(-1)))
    r = r[o]
    first, last, ws, we = first[o], last[o], ws[o], we[o]
    return {"log": logs_[o].astype(object), "row_no": row_no[o], "kd": kd[o].astype(np.int32),
            "slot": slot[o].astype(np.int32), "entry": entry[o], "ws": ws, "we": we,
            "cid_hi": rhi[r], "cid_lo": rlo[r], "first_seen_ms": first, "last_seen_ms": last,
            **{c: rel[c][r].astype(np.int64) for c in ("count", "rssi_min", "rssi_max", "rssi_mean")},
            "is_strict": ((first >= ws) & (first <= we)) | ((last >= ws) & (last <= we))}


def file_relation(logs: list[LogData]) -> dict[str, np.ndarray]:
    """Logs read from files as one `encounters` relation (log = its index in `logs`, as text)."""
    parts = [(str(i), lg) for i, lg in enumerate(logs)]
    n = sum(len(lg) for _, lg in parts)
    his, los = [], []
    for _, lg in parts:
        h, lo_ = query.split_ids(lg.cid)
        his.append(h)
        los.append(lo_)

    def cat(xs, dt):
        return np.concatenate(xs).astype(dt) if xs else np.empty(0, dt)

    return {"log": np.array([name for name, lg in parts for _ in range(len(lg))], dtype=object).reshape(n),
            "row_no": cat([np.arange(len(lg), dtype=np.int64) for _, lg in parts], np.int64),
            "cid_hi": cat(his, np.int64), "cid_lo": cat(los, np.int32),
            "first_seen_ms": cat([lg.first_ms for _, lg in parts], np.int64),
            "last_seen_ms": cat([lg.last_ms for _, lg in parts], np.int64),
            "count": cat([lg.count for _, lg in parts], np.int64),
            "rssi_min": cat([lg.rssi_min for _, lg in parts], np.int64),
            "rssi_max": cat([lg.rssi_max for _, lg in parts], np.int64),
            "rssi_mean": cat([lg.rssi_mean for _, lg in parts], np.int64)}


def _match_rows(mode: str, th: Thresholds | None, chunk: IdChunk, res: dict[str, np.ndarray],
                rows: np.ndarray) -> tuple[dict, Rows]:
    """Aggregate joined rows (indices into the query result `res`) into matches keyed by
    (entry, contact ID, slot start); in scored mode also the matched rows as columns for scoring."""
    first, last = res["first_seen_ms"][rows], res["last_seen_ms"][rows]
    ws, we = res["ws"][rows], res["we"][rows]
    strict_hit = res["is_strict"][rows].astype(bool)
    entry = res["entry"][rows]
    cids = query.join_ids(res["cid_hi"][rows], res["cid_lo"][rows])
    cnt_, rmin_, rmax_, rmean_ = (res[c][rows] for c in ("count", "rssi_min", "rssi_max", "rssi_mean"))
    ok = strict_hit if mode == "strict" else np.ones(len(rows), dtype=bool)
    out: dict = {}
    for k in np.nonzero(ok)[0]:
        cid = cids[12 * k : 12 * k + 12]
        key = (int(entry[k]), cid, int(ws[k]))
        cnt = int(cnt_[k])
        m = out.get(key)
        if m is None:
            out[key] = m = {"entry": key[0], "contact_id": cid.hex().upper(), "slot_start_ms": key[2],
                            "slot_end_ms": int(we[k]), "first_seen_ms": int(first[k]), "last_seen_ms": int(last[k]),
                            "count": 0, "rssi_min": int(rmin_[k]), "rssi_max": int(rmax_[k]),
                            "_rssi_sum": 0, "rows": 0, "edge": True}
        m["first_seen_ms"] = min(m["first_seen_ms"], int(first[k]))
        m["last_seen_ms"] = max(m["last_seen_ms"], int(last[k]))
        m["count"] += cnt
        m["rows"] += 1
        m["rssi_min"] = min(m["rssi_min"], int(rmin_[k]))
        m["rssi_max"] = max(m["rssi_max"], int(rmax_[k]))
        m["_rssi_sum"] += int(rmean_[k]) * cnt
        if strict_hit[k]:
            m["edge"] = False
    if mode == "strict":
        return out, Rows.empty()
    return out, Rows(entry.astype(np.int64), ws.astype(np.int64), first.astype(np.int64), last.astype(np.int64),
                     cnt_.astype(np.int64), rmin_.astype(np.int64), rmax_.astype(np.int64), rmean_.astype(np.int64),
                     ~strict_hit, np.frombuffer(cids, dtype="V12"))


def _finish(mode: str, found: dict) -> list[dict]:
    matches = []
    for key in sorted(found, key=lambda k: (k[0], k[2], k[1])):
        m = found[key]
        m["rssi_mean"] = round(m.pop("_rssi_sum") / m["count"]) if m["count"] else m["rssi_max"]
        if mode == "strict":
            m.pop("edge")
        matches.append(m)
    return matches


def _key_day_chunks(ex: Exposures, max_ids: int) -> Iterable[KeyDays]:
    """Key-days in runs of one slot count and at most max_ids IDs (at least one key-day)."""
    kds = ex.key_days()
    for m in np.unique(kds.slots):
        sel = np.flatnonzero(kds.slots == m)
        step = max(1, max_ids // int(m))
        for i in range(0, len(sel), step):
            yield kds.take(sel[i : i + step])


def run_match(entries: Exposures | Iterable[Entry], sources: list[LogSource], mode: str = "scored",
              thresholds: Thresholds | None = None, jobs: int = 1, native: bool = True,
              max_ids: int = 20_000_000, progress: ProgressFn = no_progress,
              receiver_of: Callable[[dict], Receiver] = Receiver.from_info,
              sender_of: Callable[[int], str] | None = None, ahead: Prederive | None = None) -> Result:
    """Match every log against every entry; the result holds what the report prints. `receiver_of(log info)`
    says how a log is scored (its device kind, jig offset, sampling period); `sender_of(entry index)` the kind
    of each positive's device (default: thresholds.sender_kind for all).

    Logs of the station's encounter store (`logs.db_logs`) are joined where they are stored; logs read from
    files are loaded once and joined as one relation in memory."""
    import duckdb

    max_ids = min(max_ids, _MAX_CHUNK_IDS)
    if mode not in MODES:
        raise UsageError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    th = None
    if mode == "scored":
        th = thresholds or Thresholds()
        th.check()
    tol_ms = th.tolerance_s * 1000 if th is not None else 0
    ex = entries if isinstance(entries, Exposures) else Exposures.from_entries(entries)
    res = Result(mode, th)
    found: list[dict] = [{} for _ in sources]
    scored_rows: list[list[Rows]] = [[] for _ in sources]
    infos: list[dict] = [dict(s.info) if s.store is not None else {} for s in sources]
    t_derive = t_join = 0.0
    chunks = 0

    stores = {s.store[0] for s in sources if s.store is not None}
    files = [i for i, s in enumerate(sources) if s.store is None]
    if len(stores) > 1:
        raise UsageError("logs from more than one station database in one run")
    by_log: dict[str, int] = {}
    for i, s in enumerate(sources):
        by_log[s.store[1] if s.store is not None else str(files.index(i))] = i
    file_rel = None
    store_rows = sum(s.size_hint for s in sources if s.store is not None)  # rows per token, counted by db_logs

    def load_files():
        nonlocal file_rel
        if file_rel is None:
            loaded = []
            for i in files:
                lg = sources[i].load()
                infos[i] = lg.info
                loaded.append(lg)
            file_rel = file_relation(loaded)
        return file_rel

    mem = None  # DuckDB for logs read from files, opened when a log is too large for numpy_query

    def file_query(chunk: IdChunk, rel: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        nonlocal mem
        n = len(rel["row_no"])
        if n <= NUMPY_JOIN_MAX_ROWS:
            out = numpy_query(chunk, tol_ms, rel, jobs)
            if out is not None:
                return out
        if mem is None:
            mem = duckdb.connect()
            stationdb.tune(mem)
        mem.register("file_encounters", rel)
        return run_query(mem, chunk, tol_ms, "file_encounters", rows=n)

    try:
        for kds in _key_day_chunks(ex, max_ids):
            chunks += 1
            t0 = time.perf_counter()
            chunk = build_chunk(kds, jobs, native, ahead)
            t_derive += time.perf_counter() - t0
            res.key_days += len(kds)
            res.ids += len(chunk)
            t0 = time.perf_counter()
            results = []
            if files:
                results.append(file_query(chunk, load_files()))
            if stores:
                db = next(iter(stores))
                tokens = [s.store[1] for s in sources if s.store is not None]
                where = "" if all(s.store[2] for s in sources if s.store is not None) else \
                    "e.log IN (" + ", ".join("'" + t.replace("'", "''") + "'" for t in tokens) + ")"
                with stationdb.store(db) as con:
                    results.append(run_query(con, chunk, tol_ms, "match_encounters", where, rows=store_rows,
                                             rowid=stationdb.STORE_ROWID))
            for out in results:
                logs_col = out["log"]
                if len(logs_col) == 0:
                    continue
                order = np.argsort(logs_col, kind="stable")
                names, starts = np.unique(logs_col[order], return_index=True)
                bounds = list(starts) + [len(order)]
                for j, name in enumerate(names):
                    i = by_log.get(str(name))
                    if i is None:
                        continue
                    got, rows = _match_rows(mode, th, chunk, out, order[bounds[j] : bounds[j + 1]])
                    scored_rows[i].append(rows)
                    for key, m in got.items():
                        if key in found[i]:  # one key-day is in one chunk, so a window never comes twice
                            raise AssertionError("match split over chunks")
                        found[i][key] = m
            t_join += time.perf_counter() - t0
            progress(chunks, chunks, f"{res.key_days} key-days")
    finally:
        if mem is not None:
            mem.close()
    if files:  # no entries: still read every log so its problems are reported
        load_files()
    res.entries = len(ex)
    for i, src in enumerate(sources):
        matches = _finish(mode, found[i])
        exps = exposures(th, Rows.concat(scored_rows[i]), receiver_of(infos[i]), sender_of) if th is not None else []
        res.logs.append(LogResult(src.name, infos[i], matches, exps))
    res.stats = {"backend": derive.backend() if native else "python", "jobs": jobs, "chunks": chunks,
                 "derive_s": round(t_derive, 3), "join_s": round(t_join, 3),
                 "engine": "duckdb" if stores or mem is not None else "numpy"}
    return res
