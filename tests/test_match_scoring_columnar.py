"""scoring.exposures builds its summaries column by column for all entries at once; they equal, field for field
and in order, the summaries built entry by entry (the definition, kept here as `_per_entry`), on Hypothesis rows:
several entries, records spanning slots, counts of 0, several contact IDs, edge rows, any receiver kind, jig
offsets that are not whole decibels and per-entry sender kinds."""

import numpy as np
from conftest import DEEP
from hypothesis import given, settings
from hypothesis import strategies as st

from bzfw import ids
from host_tools.match import calibration, scoring
from host_tools.match.scoring import BIN_S, MERGE_GAP_S, Receiver, Rows, Thresholds

T0 = 20_400 * 86_400_000


def _summary(th, r, bin_start, bucket, near_s, names) -> dict:
    """One entry's summary, as scoring built it before it went columnar."""
    near_min = float(near_s.sum()) / 60
    per_bucket = np.bincount(bucket, minlength=len(names)) * BIN_S
    slot = bin_start // ids.SLOT_MS
    us, sinv = np.unique(slot, return_inverse=True)
    slot_near = np.bincount(sinv.ravel(), near_s) / 60
    slots = [{"slot_start_ms": int(s) * ids.SLOT_MS, "near_min": round(float(v), 2)}
             for s, v in zip(us.tolist(), slot_near.tolist(), strict=True) if v > 0]
    count = int(r.count.sum())
    rssi = float((r.rssi_mean * r.count).sum() / count) if count else float(r.rssi_max.max())
    strongest = int(np.argmax(per_bucket * (np.arange(len(names)) < len(names) - 1))) if near_min > 0 else -1
    prox = "far" if strongest < 0 else ("near" if strongest <= 1 else "medium")
    exposed = near_min >= th.near_min
    merged: list[list[int]] = []
    for a, b in sorted(zip(r.first_ms.tolist(), r.last_ms.tolist(), strict=True)):
        if merged and a - merged[-1][1] <= MERGE_GAP_S * 1000:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return {"entry": int(r.entry[0]), "first_seen_ms": int(r.first_ms.min()), "last_seen_ms": int(r.last_ms.max()),
            "duration_ms": sum(b - a for a, b in merged), "intervals": merged, "near_min": round(near_min, 2),
            "buckets_s": {n: int(v) for n, v in zip(names, per_bucket.tolist(), strict=True)},
            "near_min_by_slot": slots, "count": count, "records": len(r),
            "slots": len(np.unique(r.slot_start_ms)),
            "contact_ids": sorted({c.hex().upper() for c in r.contact.tolist()}),
            "rssi_max": int(r.rssi_max.max()), "rssi_mean": round(rssi), "proximity": prox,
            "exposed": bool(exposed),
            "risk": "high" if exposed else "medium" if near_min > 0 else "low", "edge_only": bool(r.edge.all())}


def _per_entry(th, rows, bin_entry, bin_start, bucket, near_s, names) -> list[dict]:
    order = np.lexsort((rows.first_ms, rows.entry))
    r_all = rows.take(order)
    out = []
    for sel in np.split(np.arange(len(r_all)), np.flatnonzero(np.diff(r_all.entry)) + 1):
        r = r_all.take(sel)
        mine = bin_entry == int(r.entry[0])
        out.append(_summary(th, r, bin_start[mine], bucket[mine], near_s[mine], names))
    return out


@st.composite
def _rows(draw):
    n = draw(st.integers(1, 40))
    n_entries = draw(st.integers(1, 6))
    contacts = [draw(st.binary(min_size=12, max_size=12)) for _ in range(draw(st.integers(1, 3)))]
    cols: dict[str, list] = {k: [] for k in ("entry", "ws", "first", "last", "count", "rmin", "rmax", "rmean",
                                             "edge", "contact")}
    for _ in range(n):
        first = T0 + draw(st.integers(0, 20 * 3_600_000))
        r = draw(st.integers(-100, -35))
        cols["entry"].append(draw(st.integers(0, n_entries - 1)) * draw(st.sampled_from([1, 7, 1000])))
        cols["ws"].append(first - first % ids.SLOT_MS)
        cols["first"].append(first)
        cols["last"].append(first + draw(st.sampled_from([0, 1, 29_999, 60_000, 400_000, 2_000_000])))
        cols["count"].append(draw(st.sampled_from([0, 1, 3, 40])))
        cols["rmin"].append(r - 3)
        cols["rmax"].append(r + 3)
        cols["rmean"].append(r)
        cols["edge"].append(draw(st.booleans()))
        cols["contact"].append(draw(st.sampled_from(contacts)))
    def i64(k):
        return np.array(cols[k], np.int64)

    return Rows(i64("entry"), i64("ws"), i64("first"), i64("last"), i64("count"), i64("rmin"), i64("rmax"),
                i64("rmean"), np.array(cols["edge"], bool), np.frombuffer(b"".join(cols["contact"]), "V12"))


@settings(max_examples=400 if DEEP else 60, deadline=None)
@given(_rows(), st.sampled_from(["token", "android", "ios"]), st.sampled_from([0.0, 0.3, -2.7]),
       st.sampled_from([1.0, 5.0, 15.0]), st.booleans())
def test_columnar_summaries_equal_the_per_entry_ones(rows, kind, offset, near_min, per_entry_sender):
    th = Thresholds(near_min=near_min)
    rcv = Receiver(kind, offset)
    sender_of = (lambda e: ("token", "android", "ios")[e % 3]) if per_entry_sender else None
    seen = {}
    real = scoring._summaries

    def both(th_, r, bin_entry, bin_start, bucket, near_s, names):
        got = real(th_, r, bin_entry, bin_start, bucket, near_s, names)
        seen["want"] = _per_entry(th_, r, bin_entry, bin_start, bucket, near_s, names)
        return got

    scoring._summaries = both
    try:
        got = scoring.exposures(th, rows, rcv, sender_of)
    finally:
        scoring._summaries = real
    assert got == seen["want"]
    assert [list(g) for g in got] == [list(w) for w in seen["want"]]  # the same keys in the same order
    assert len(got) == len(set(rows.entry.tolist()))
    assert all(g["records"] >= 1 for g in got) and calibration.buckets()[1] == list(got[0]["buckets_s"])
