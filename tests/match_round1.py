"""The join: F0 entries' derived IDs against every log, then the strict rule or scoring.

Each entry's IDs are derived once per run (in chunks of at most `max_ids` IDs, so an exposure list larger than
memory streams; logs are then re-read per chunk). A join is on the 12-byte ID: the IDs' first 8 bytes as sorted
uint64 keys, searched with numpy, the last 4 bytes compared on every candidate. The smaller side is sorted:
the exposure chunk when several logs share it or it is the smaller, else the one log.

Rules (times in unix ms; a slot window is [ws, we] = [slot start, slot start + slot length]):
- strict (Bluezone phones, section 5.4): a record matches when its ID is the slot's ID and a sighting time
  (first or last seen) lies in [ws, we], both ends inclusive;
- scored: the record's [first, last] overlaps [ws - tolerance, we + tolerance] (clock error at slot edges;
  `edge` marks a match found only thanks to the tolerance); per (log, entry) the matched records' intervals are
  merged when gaps are <= merge_gap, their lengths summed into a duration, the count-weighted mean RSSI
  gives a proximity class and duration and proximity a risk level (see Thresholds).
"""

import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

import numpy as np

from host_tools.errors import UsageError
from host_tools.match import derive
from host_tools.match.exposures import Entry, KeyDay
from host_tools.match.logs import LogData, LogSource
from host_tools.progress import ProgressFn, no_progress

MODES = ("strict", "scored")
_ID_DTYPE = np.dtype([("a", ">u8"), ("b", ">u4")])
_POS_BITS = 25  # a chunk holds at most 2**25 IDs (max_ids is capped to it)


@dataclass
class Thresholds:
    tolerance_s: int = 30  # slot-edge tolerance: clock error, and Android's up to 15 s late ID change
    merge_gap_s: int = 300  # sightings this close form one contact (a background Android scans every 300 s)
    near_dbm: int = -70  # mean RSSI at or above: near (about 2 m or closer for a phone in a pocket)
    medium_dbm: int = -85  # at or above: medium; below: far
    high_min: float = 15.0  # near for at least this many minutes: high risk
    medium_min: float = 5.0  # near or medium for at least this many minutes: medium risk

    def check(self) -> None:
        if self.tolerance_s < 0 or self.merge_gap_s < 0:
            raise UsageError("tolerance and merge gap must not be negative")
        if self.medium_dbm > self.near_dbm:
            raise UsageError(f"--medium-dbm {self.medium_dbm} is above --near-dbm {self.near_dbm}")
        if not 0 <= self.medium_min <= self.high_min:
            raise UsageError("--medium-min must be between 0 and --high-min")

    def proximity(self, rssi: float) -> str:
        return "near" if rssi >= self.near_dbm else "medium" if rssi >= self.medium_dbm else "far"

    def risk(self, duration_ms: int, proximity: str) -> str:
        minutes = duration_ms / 60000
        if proximity == "near" and minutes >= self.high_min:
            return "high"
        if proximity in ("near", "medium") and minutes >= self.medium_min:
            return "medium"
        return "low"


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
class _Chunk:
    """The derived IDs of a run of key-days (all with `m` slots): ID i is slot i % m of key-day i // m.

    Only the IDs are held per ID (8 + 4 bytes); the entry and window of a candidate are computed from its
    position when it is joined, and IDs past an entry's last slot are dropped (`pos` then maps back)."""

    m: int
    a: np.ndarray  # first 8 ID bytes, as uint64 (big-endian order, so equal IDs have equal keys)
    b: np.ndarray  # last 4 ID bytes
    pos: np.ndarray | None  # original positions when some IDs were dropped
    kd_entry: np.ndarray
    kd_base: np.ndarray
    kd_slot_ms: np.ndarray
    _order: np.ndarray | None = None
    _sorted: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.a)

    def index(self) -> tuple[np.ndarray, np.ndarray]:
        """(sorted keys, order), built once and shared by every log joined against this chunk. The key is the
        ID's top 39 bits with the position packed below it, so one plain sort (several times faster than an
        argsort) does it; the truncation only adds candidates, which the full 12-byte check removes."""
        if self._order is None:
            n = len(self.a)
            assert n <= 1 << _POS_BITS
            packed = (self.a >> np.uint64(_POS_BITS)) << np.uint64(_POS_BITS)
            packed |= np.arange(n, dtype=np.uint64)
            packed.sort()
            self._order = (packed & np.uint64((1 << _POS_BITS) - 1)).astype(np.uint32)
            packed >>= np.uint64(_POS_BITS)
            self._sorted = packed
        assert self._sorted is not None
        return self._sorted, self._order

    def windows(self, ci: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(entry, window start, window end) of the IDs at chunk indices ci."""
        p = self.pos[ci] if self.pos is not None else ci.astype(np.int64)
        kd, slot = p // self.m, p % self.m
        ws = self.kd_base[kd] + slot * self.kd_slot_ms[kd]
        return self.kd_entry[kd], ws, ws + self.kd_slot_ms[kd]


def _build_chunk(kds: list[KeyDay], jobs: int, native: bool) -> _Chunk:
    m = kds[0].slots
    blob = derive.derive([kd.key for kd in kds], m, jobs=jobs, native=native)
    idv = np.frombuffer(blob, dtype=_ID_DTYPE)
    a, b = idv["a"].astype(np.uint64), idv["b"].astype(np.uint32)
    valid = np.array([kd.valid for kd in kds], dtype=np.int64)
    pos = None
    if (valid < m).any():
        slot = np.tile(np.arange(m, dtype=np.int64), len(kds))
        keep = np.nonzero(slot < np.repeat(valid, m))[0]
        a, b, pos = a[keep], b[keep], keep
    return _Chunk(m, a, b, pos, np.array([kd.entry for kd in kds], dtype=np.int64),
                  np.array([kd.base_ms for kd in kds], dtype=np.int64),
                  np.array([kd.slot_ms for kd in kds], dtype=np.int64))


def _pairs(sorted_keys: np.ndarray, order: np.ndarray, probe: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All (index into the sorted side, index into probe) with equal keys (many-to-many).

    Against a large sorted side, fewer probes are searched in sorted order (numpy's binary search narrows from
    the previous probe, and memory is touched in order); a small sorted side stays in cache, so probes go as they
    come. The right end of a run is looked up only for the probes that hit."""
    if len(sorted_keys) == 0 or len(probe) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    if len(sorted_keys) > 1 << 16 and len(probe) <= len(sorted_keys):
        porder = np.argsort(probe)
        ps = probe[porder]
    else:
        porder = np.arange(len(probe))
        ps = probe
    lo = np.searchsorted(sorted_keys, ps, side="left")
    inside = lo < len(sorted_keys)
    hit = np.nonzero(inside)[0]
    hit = hit[sorted_keys[lo[hit]] == ps[hit]]
    if len(hit) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    lo = lo[hit]
    reps = np.searchsorted(sorted_keys, ps[hit], side="right") - lo
    probe_i = np.repeat(porder[hit], reps)
    starts = np.repeat(lo, reps)
    offs = np.arange(len(probe_i)) - np.repeat(np.cumsum(reps) - reps, reps)  # 0..reps-1 within each run
    return order[starts + offs], probe_i


def join(chunk: _Chunk, log: LogData, sort_log: bool | None = None) -> tuple[np.ndarray, np.ndarray, str]:
    """(chunk index, log row index) of every equal ID; sorts the smaller side unless told."""
    lv = np.frombuffer(log.cid, dtype=_ID_DTYPE)
    la, lb = lv["a"].astype(np.uint64), lv["b"].astype(np.uint32)
    if sort_log is None:
        sort_log = len(log) < len(chunk) and chunk._order is None
    if sort_log:
        lorder = np.argsort(la, kind="stable")
        li, ci = _pairs(la[lorder], lorder, chunk.a)
    else:
        skeys, corder = chunk.index()
        ci, li = _pairs(skeys, corder, la >> np.uint64(_POS_BITS))
    eq = (chunk.a[ci] == la[li]) & (chunk.b[ci] == lb[li])
    return ci[eq], li[eq], "log" if sort_log else "exposures"


def _match_rows(mode: str, th: Thresholds | None, chunk: _Chunk, log: LogData, ci, li) -> dict:
    """Aggregate joined rows into matches keyed by (entry, contact ID, slot start)."""
    first, last = log.first_ms[li], log.last_ms[li]
    entry, ws, we = chunk.windows(ci)
    strict_hit = ((first >= ws) & (first <= we)) | ((last >= ws) & (last <= we))
    if mode == "strict":
        ok = strict_hit
    else:
        assert th is not None
        tol = th.tolerance_s * 1000
        ok = (last >= ws - tol) & (first <= we + tol)
    out: dict = {}
    for k in np.nonzero(ok)[0]:
        r = int(li[k])
        cid = log.cid[12 * r : 12 * r + 12]
        key = (int(entry[k]), cid, int(ws[k]))
        cnt = int(log.count[r])
        m = out.get(key)
        if m is None:
            out[key] = m = {"entry": key[0], "contact_id": cid.hex().upper(), "slot_start_ms": key[2],
                            "slot_end_ms": int(we[k]), "first_seen_ms": int(first[k]), "last_seen_ms": int(last[k]),
                            "count": 0, "rssi_min": int(log.rssi_min[r]), "rssi_max": int(log.rssi_max[r]),
                            "_rssi_sum": 0, "rows": 0, "edge": True, "_iv": []}
        m["first_seen_ms"] = min(m["first_seen_ms"], int(first[k]))
        m["last_seen_ms"] = max(m["last_seen_ms"], int(last[k]))
        m["count"] += cnt
        m["rows"] += 1
        m["rssi_min"] = min(m["rssi_min"], int(log.rssi_min[r]))
        m["rssi_max"] = max(m["rssi_max"], int(log.rssi_max[r]))
        m["_rssi_sum"] += int(log.rssi_mean[r]) * cnt
        m["_iv"].append((int(first[k]), int(last[k])))
        if strict_hit[k]:
            m["edge"] = False
    return out


def _finish(mode: str, th: Thresholds | None, found: dict) -> tuple[list[dict], list[dict]]:
    matches, per_entry = [], {}
    for key in sorted(found, key=lambda k: (k[0], k[2], k[1])):
        m = found[key]
        m["rssi_mean"] = round(m.pop("_rssi_sum") / m["count"]) if m["count"] else m["rssi_max"]
        iv = m.pop("_iv")
        if mode == "strict":
            m.pop("edge")
        else:
            per_entry.setdefault(key[0], []).append((m, iv))
        matches.append(m)
    exposures = []
    if mode == "scored":
        assert th is not None
        for e, items in sorted(per_entry.items()):
            ivs = sorted(x for _, iv in items for x in iv)
            merged: list[list[int]] = []
            for a, b in ivs:
                if merged and a - merged[-1][1] <= th.merge_gap_s * 1000:
                    merged[-1][1] = max(merged[-1][1], b)
                else:
                    merged.append([a, b])
            duration = sum(b - a for a, b in merged)
            count = sum(m["count"] for m, _ in items)
            rssi = sum(m["rssi_mean"] * m["count"] for m, _ in items) / count if count else -127
            prox = th.proximity(rssi)
            exposures.append({"entry": e, "first_seen_ms": merged[0][0], "last_seen_ms": merged[-1][1],
                              "duration_ms": duration, "intervals": merged, "count": count,
                              "slots": len(items), "contact_ids": sorted({m["contact_id"] for m, _ in items}),
                              "rssi_max": max(m["rssi_max"] for m, _ in items), "rssi_mean": round(rssi),
                              "proximity": prox, "risk": th.risk(duration, prox),
                              "edge_only": all(m["edge"] for m, _ in items)})
    return matches, exposures


def _key_day_chunks(entries: Iterable[Entry], max_ids: int) -> Iterable[list[KeyDay]]:
    """Key-days in runs of one slot count and at most max_ids IDs; counts entries as it goes."""
    run: list[KeyDay] = []
    for e in entries:
        for kd in e.key_days():
            if run and (kd.slots != run[0].slots or (len(run) + 1) * kd.slots > max_ids):
                yield run
                run = []
            run.append(kd)
    if run:
        yield run


def run_match(entries: Iterable[Entry], sources: list[LogSource], mode: str = "scored",
              thresholds: Thresholds | None = None, jobs: int = 1, native: bool = True,
              max_ids: int = 20_000_000, progress: ProgressFn = no_progress) -> Result:
    """Match every log against every entry; the result holds what the report prints."""
    max_ids = min(max_ids, 1 << _POS_BITS)
    if mode not in MODES:
        raise UsageError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    th = None
    if mode == "scored":
        th = thresholds or Thresholds()
        th.check()
    res = Result(mode, th)
    found: list[dict] = [{} for _ in sources]
    infos: list[dict] = [{} for _ in sources]
    counted: set[int] = set()
    t_derive = t_join = 0.0
    sides: dict[str, int] = {}
    chunks = 0

    def counting(it):
        for e in it:
            counted.add(e.index)
            yield e

    for kds in _key_day_chunks(counting(entries), max_ids):
        chunks += 1
        t0 = time.perf_counter()
        chunk = _build_chunk(kds, jobs, native)
        t_derive += time.perf_counter() - t0
        res.key_days += len(kds)
        res.ids += len(chunk)
        shared = len(sources) > 1
        for i, src in enumerate(sources):
            log = src.load()
            infos[i] = log.info
            t0 = time.perf_counter()
            ci, li, side = join(chunk, log, sort_log=False if shared else None)
            sides[side] = sides.get(side, 0) + 1
            for key, m in _match_rows(mode, th, chunk, log, ci, li).items():
                if key in found[i]:  # the same window over two chunks cannot happen: one key-day is in one chunk
                    raise AssertionError("match split over chunks")
                found[i][key] = m
            t_join += time.perf_counter() - t0
            progress(i + 1, len(sources), src.name)
    if chunks == 0:  # no entries: still read every log so its problems are reported
        for i, src in enumerate(sources):
            infos[i] = src.load().info
    res.entries = len(counted)
    for i, src in enumerate(sources):
        matches, exposures = _finish(mode, th, found[i])
        res.logs.append(LogResult(src.name, infos[i], matches, exposures))
    res.stats = {"backend": derive.backend() if native else "python", "jobs": jobs, "chunks": chunks,
                 "derive_s": round(t_derive, 3), "join_s": round(t_join, 3), "indexed": sides}
    return res
