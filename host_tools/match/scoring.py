"""The scored rule: from the log records that matched a positive's IDs to an exposure per (log, positive).

The interface is columnar so any join (numpy here, SQL elsewhere) can feed it: `Rows` holds the matched rows of
one log as numpy arrays (one element per matched record), `exposures(th, rows)` returns one summary per entry
(positive) in it.

Scoring (see Thresholds): the matched records' [first, last] intervals are merged when gaps are <= merge_gap,
their lengths summed into a duration; the count-weighted mean RSSI gives a proximity class, and duration and
proximity a risk level.
"""

from dataclasses import dataclass, fields

import numpy as np

from host_tools.errors import UsageError


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
class Rows:
    """Matched rows of one log, columnar: element k is one log record matched to one slot of one entry."""

    entry: np.ndarray  # int64: the entry (positive) whose ID it is
    slot_start_ms: np.ndarray  # int64: start of that slot's window
    first_ms: np.ndarray  # int64
    last_ms: np.ndarray  # int64
    count: np.ndarray  # int64
    rssi_min: np.ndarray  # int64, dBm
    rssi_max: np.ndarray
    rssi_mean: np.ndarray
    edge: np.ndarray  # bool: matched only thanks to the slot-edge tolerance
    contact: np.ndarray  # "V12": the contact ID (12 raw bytes)

    def __len__(self) -> int:
        return len(self.entry)

    @classmethod
    def empty(cls) -> "Rows":
        i = np.empty(0, np.int64)
        return cls(i, i, i, i, i, i, i, i, np.empty(0, bool), np.empty(0, "V12"))

    @classmethod
    def concat(cls, parts: list["Rows"]) -> "Rows":
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls.empty()
        if len(parts) == 1:
            return parts[0]
        return cls(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)))

    def take(self, sel: np.ndarray) -> "Rows":
        return Rows(*(getattr(self, f.name)[sel] for f in fields(self)))


def exposures(th: Thresholds, rows: Rows) -> list[dict]:
    """One summary per entry with matched rows, in entry order."""
    out = []
    if not len(rows):
        return out
    order = np.lexsort((rows.first_ms, rows.entry))
    r = rows.take(order)
    bounds = np.flatnonzero(np.diff(r.entry)) + 1
    for sel in np.split(np.arange(len(r)), bounds):
        out.append(_one(th, r.take(sel)))
    return out


def _one(th: Thresholds, r: Rows) -> dict:
    # per matched slot (contact ID, slot): the rounded count-weighted mean, as the match list reports it
    slot_key = np.rec.fromarrays([r.slot_start_ms, r.contact])
    _, inv = np.unique(slot_key, return_inverse=True)
    inv = inv.ravel()
    n_slots = int(inv.max()) + 1
    cnt = np.bincount(inv, weights=r.count, minlength=n_slots)
    ssum = np.bincount(inv, weights=r.rssi_mean * r.count, minlength=n_slots)
    smax = np.full(n_slots, -(1 << 30), np.int64)
    np.maximum.at(smax, inv, r.rssi_max)
    slot_mean = np.where(cnt > 0, np.round(np.divide(ssum, cnt, out=np.zeros_like(ssum), where=cnt > 0)), smax)
    merged: list[list[int]] = []
    gap = th.merge_gap_s * 1000
    for a, b in sorted(zip(r.first_ms.tolist(), r.last_ms.tolist(), strict=True)):
        if merged and a - merged[-1][1] <= gap:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    duration = sum(b - a for a, b in merged)
    count = int(cnt.sum())
    rssi = float((slot_mean * cnt).sum() / count) if count else -127.0
    prox = th.proximity(rssi)
    return {"entry": int(r.entry[0]), "first_seen_ms": merged[0][0], "last_seen_ms": merged[-1][1],
            "duration_ms": duration, "intervals": merged, "count": count, "slots": n_slots,
            "contact_ids": sorted({c.hex().upper() for c in r.contact.tolist()}),
            "rssi_max": int(r.rssi_max.max()), "rssi_mean": round(rssi), "proximity": prox,
            "risk": th.risk(duration, prox), "edge_only": bool(r.edge.all())}
