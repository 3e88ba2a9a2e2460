"""The scored rule: near-minutes per (log, positive), estimated slot by slot from the matched records.

The interface is columnar so any join (numpy here, SQL elsewhere) can feed it: `Rows` holds the matched rows of
one log as numpy arrays (one element per matched record), `exposures(th, rows, receiver)` returns one summary per
entry (positive) in it.

Near-minutes, after GAEN's weighted attenuation durations (Apple ENExposureConfiguration: exposure duration =
sum over attenuation buckets of the time in the bucket times its weight):
1. Attenuation of each record: the sender's calibrated TX level minus the record's mean RSSI corrected for the
   receiving device's kind and, for a token, its jig offset (calibration.py, calibration.json).
2. Time: a receiver looks every `sampling_s` (a phone's scan period, a token's profile period), so one sighting
   stands for that long: a record covers [first - s/2, last + s/2]. The covered time is cut in bins of `bin_s`;
   a bin covered by several records (two IDs at a slot edge, a phone's sightings 5 s apart) counts once, at the
   count-weighted mean attenuation of the records over it.
3. Each bin's attenuation, averaged over SMOOTH_S of the contact's own time, falls in a bucket (immediate, near,
   medium, other; edges in calibration.json) whose weight is the share of that time counted as near.
   Near-minutes = sum of bin length x weight, reported per 15-minute slot and per bucket.
Nothing is averaged over the day: ten close minutes stay ten close minutes next to eight far hours.

Decision rule: exposed when near-minutes >= `near_min` (one threshold; why its default, host_tools/README.md
"Exposure decisions"). The phones' strict rule stays in engine.py. For the station's list, `risk` is "high" when
exposed, "medium" when some near time was estimated but under the threshold, else "low"; `duration_ms` is the
time the contact was seen at all (spans merged across gaps of at most MERGE_GAP_S), as round 1 reported it.
"""

from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np

from bzfw import ids
from host_tools.errors import UsageError
from host_tools.match import calibration

# The default decision threshold, in near-minutes: Bluezone's public criterion of a close contact is 15 minutes
# within 2 m (protocol spec 5.5), and the estimator targets minutes within 2 m, so the threshold is the
# criterion itself; the sweep (bztoken sim, host_tools/README.md) shows what moving it would trade.
DEFAULT_NEAR_MIN = 15.0
BIN_S = 30  # time resolution of the estimate (a token scans every 50-120 s, a phone every 300 s)
MERGE_GAP_S = 300  # seen spans this close are one contact (a background Android phone scans every 300 s)
# Attenuation is averaged over this much of the contact's own time (centred) before it is bucketed: shadowing by
# bodies and orientation changes about every minute (about 4 dB), so five minutes bring it near 1.8 dB, under the
# buckets' widths, while a close contact of a few minutes still stands out from the far time around it.
SMOOTH_S = 300


@dataclass
class Thresholds:
    tolerance_s: int = 30  # slot-edge tolerance: clock error, and Android's up to 15 s late ID change
    near_min: float = DEFAULT_NEAR_MIN  # exposed at or above this many near-minutes in the day
    sender_kind: str = "token"  # the positives' devices (exported keys are tokens' unless told)

    def check(self) -> None:
        if self.tolerance_s < 0:
            raise UsageError("--tolerance-s must not be negative")
        if not 0 < self.near_min <= 24 * 60:
            raise UsageError(f"--near-min {self.near_min:g} must be above 0 and at most a day (1440)")
        calibration.rx_correction(self.sender_kind)  # a known kind


@dataclass
class Receiver:
    """How one log is read: the kind of device that logged it, its jig offset, how often it looks."""

    kind: str = "token"
    offset_db: float = 0.0
    sampling_s: float | None = None  # None: the kind's (calibration.sampling_s)
    profile: str | None = None  # a token's profile, for its sampling period

    def period_s(self) -> float:
        return self.sampling_s if self.sampling_s is not None else calibration.sampling_s(self.kind, self.profile)

    @classmethod
    def from_info(cls, info: dict, offsets: dict[str, float] | None = None,
                  profiles: dict[str, str] | None = None) -> "Receiver":
        """From a log's info (logs.py): a Bluezone export's unit tells the platform (ms: Android, s: iOS)."""
        src = info.get("source")
        if src == "data_trace":
            return cls("ios" if info.get("unit") == "s" else "android")
        if info.get("platform") in ("android", "ios"):
            return cls(info["platform"])
        tok = info.get("token_id")
        return cls("token", (offsets or {}).get(tok, 0.0), profile=(profiles or {}).get(tok))


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


def exposures(th: Thresholds, rows: Rows, receiver: Receiver | None = None,
              sender_of: Callable[[int], str] | None = None) -> list[dict]:
    """One summary per entry with matched rows, in entry order. `sender_of(entry)` names the kind of the
    positive's device when entries differ (a token's exported keys, a phone's uploaded chain); else
    th.sender_kind."""
    if not len(rows):
        return []
    rcv = receiver or Receiver()
    edges, names, weights = calibration.buckets()
    if sender_of is None:
        tx = np.full(len(rows), calibration.tx_dbm(th.sender_kind))
    else:
        ue, einv = np.unique(rows.entry, return_inverse=True)
        tx = np.array([calibration.tx_dbm(sender_of(int(e))) for e in ue])[einv.ravel()]
    att = tx - (rows.rssi_mean + calibration.rx_correction(rcv.kind)
                                                 + rcv.offset_db)
    half = rcv.period_s() * 500.0
    bin_ms = BIN_S * 1000
    lo = np.floor((rows.first_ms - half) / bin_ms).astype(np.int64)
    hi = np.ceil((rows.last_ms + half) / bin_ms).astype(np.int64) - 1
    n = np.maximum(hi - lo + 1, 1)
    idx = np.repeat(np.arange(len(rows)), n)
    b = np.repeat(lo, n) + (np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n))
    key = (rows.entry[idx] << 32) | b
    uk, inv = np.unique(key, return_inverse=True)
    inv = inv.ravel()
    w = rows.count[idx].astype(float)
    w[w <= 0] = 1.0
    wsum = np.bincount(inv, w)
    awsum = np.bincount(inv, w * att[idx])
    # average over the contact's own time within +-smooth/2 (uk is sorted by entry, then bin)
    half_bins = int(SMOOTH_S // (2 * BIN_S))
    c_w = np.concatenate([[0.0], np.cumsum(wsum)])
    c_a = np.concatenate([[0.0], np.cumsum(awsum)])
    lo_i = np.searchsorted(uk, uk - half_bins, side="left")
    hi_i = np.searchsorted(uk, uk + half_bins, side="right")
    att_bin = (c_a[hi_i] - c_a[lo_i]) / (c_w[hi_i] - c_w[lo_i])
    bucket = np.searchsorted(np.asarray(edges), att_bin, side="left")  # att <= edge[0]: bucket 0
    near_s = np.asarray(weights)[bucket] * BIN_S
    bin_entry = uk >> 32
    return _summaries(th, rows.take(np.lexsort((rows.first_ms, rows.entry))), bin_entry,
                      (uk & 0xFFFFFFFF) * bin_ms, bucket, near_s, names)


def _summaries(th: Thresholds, r: Rows, bin_entry, bin_start, bucket, near_s, names) -> list[dict]:
    """One summary per entry, from rows sorted by (entry, first seen) and bins sorted by (entry, start); computed
    column by column for all entries at once (a station scores thousands of (log, positive) pairs per run), with
    the same sums in the same order as summing each entry's own elements."""
    starts = np.flatnonzero(np.r_[True, r.entry[1:] != r.entry[:-1]])
    ue = r.entry[starts]
    b0 = np.searchsorted(bin_entry, ue, side="left")
    b1 = np.searchsorted(bin_entry, ue, side="right")
    n_e, n_b = len(ue), len(names)
    # each bin's entry group (a bin whose key lost its entry, a time before 1970, belongs to none, as before)
    grp = np.searchsorted(ue, bin_entry)
    own = (grp < n_e) & (ue[np.minimum(grp, n_e - 1)] == bin_entry)
    grp, bucket, near_own, bin_start = grp[own], bucket[own], near_s[own], bin_start[own]
    # per entry and bucket: seconds (bins x BIN_S); the bucket holding most weighted time names the proximity
    per_bucket = np.bincount(grp * n_b + bucket, minlength=n_e * n_b).reshape(n_e, n_b) * BIN_S
    strongest = np.argmax(per_bucket * (np.arange(n_b) < n_b - 1), axis=1)
    # per entry and 15-minute slot: near-minutes (bins are sorted by start within an entry)
    slot = bin_start // ids.SLOT_MS
    new_seg = np.r_[True, (grp[1:] != grp[:-1]) | (slot[1:] != slot[:-1])] if len(slot) else np.empty(0, bool)
    seg = np.cumsum(new_seg) - 1
    seg_near = (np.bincount(seg, near_own) / 60).tolist() if len(seg) else []
    seg_grp, seg_slot = grp[new_seg].tolist(), slot[new_seg].tolist()
    by_slot: list[list[dict]] = [[] for _ in range(n_e)]
    for g, s_, v in zip(seg_grp, seg_slot, seg_near, strict=True):
        if v > 0:
            by_slot[g].append({"slot_start_ms": int(s_) * ids.SLOT_MS, "near_min": round(float(v), 2)})
    count = np.add.reduceat(r.count, starts)
    wsum = np.add.reduceat(r.rssi_mean * r.count, starts)
    rmax = np.maximum.reduceat(r.rssi_max, starts)
    first = np.minimum.reduceat(r.first_ms, starts).tolist()
    last = np.maximum.reduceat(r.last_ms, starts).tolist()
    edge_only = np.logical_and.reduceat(r.edge, starts).tolist()
    with np.errstate(divide="ignore", invalid="ignore"):
        rssi = np.where(count != 0, wsum / np.where(count != 0, count, 1), rmax.astype(float)).tolist()
    f_all, l_all, ss_all = r.first_ms.tolist(), r.last_ms.tolist(), r.slot_start_ms.tolist()
    hex_all = [c.hex().upper() for c in r.contact.tolist()]
    ends = np.r_[starts[1:], len(r)].tolist()
    b0l, b1l = b0.tolist(), b1.tolist()
    buckets_l, strongest_l = per_bucket.tolist(), strongest.tolist()
    out = []
    for g, (a, b) in enumerate(zip(starts.tolist(), ends, strict=True)):
        near_min = float(near_s[b0l[g]:b1l[g]].sum()) / 60
        prox = "far" if near_min <= 0 else ("near" if strongest_l[g] <= 1 else "medium")
        exposed = near_min >= th.near_min
        # what was seen, as round 1 reported it: [first, last] spans merged across gaps of at most MERGE_GAP_S
        merged: list[list[int]] = []
        for x, y in sorted(zip(f_all[a:b], l_all[a:b], strict=True)):
            if merged and x - merged[-1][1] <= MERGE_GAP_S * 1000:
                merged[-1][1] = max(merged[-1][1], y)
            else:
                merged.append([x, y])
        out.append({"entry": int(ue[g]), "first_seen_ms": first[g], "last_seen_ms": last[g],
                    "duration_ms": sum(y - x for x, y in merged), "intervals": merged,
                    "near_min": round(near_min, 2),
                    "buckets_s": {n: int(v) for n, v in zip(names, buckets_l[g], strict=True)},
                    "near_min_by_slot": by_slot[g], "count": int(count[g]), "records": b - a,
                    "slots": len(set(ss_all[a:b])), "contact_ids": sorted(set(hex_all[a:b])),
                    "rssi_max": int(rmax[g]), "rssi_mean": round(rssi[g]), "proximity": prox,
                    "exposed": bool(exposed),
                    "risk": "high" if exposed else "medium" if near_min > 0 else "low",
                    "edge_only": bool(edge_only[g])})
    return out
