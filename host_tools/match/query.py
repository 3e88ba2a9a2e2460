"""The matching query: one SQL statement that joins every log's encounters against the derived exposure IDs.

The station runs it in DuckDB (host_tools.stationdb's encounter store, or logs read from files registered as
relations); a provincial hub runs the same text on Spark SQL against Parquet. It is plain SQL over three
relations, with integer columns only, so both engines read it unchanged:

- `encounters`: one row per stored encounter (or phone sighting), with at least
  `log` (VARCHAR: the token or file it belongs to), `cid_hi` (BIGINT) and `cid_lo` (INTEGER) (the 12-byte
  contact ID split as big-endian signed integers: bytes 0-7 and 8-11, see `split_ids`), `first_seen_ms`,
  `last_seen_ms` (BIGINT, unix ms, corrected for the token's clock drift), `count`, `rssi_min`, `rssi_max`,
  `rssi_mean` (INTEGER), and `row_no` (BIGINT: the row's place in its log, for a stable order);
- `exposure_ids`: one row per derived ID, `id_hi` (BIGINT), `id_lo` (INTEGER) the ID split the same way,
  `kd` (INTEGER: its key-day) and `slot` (INTEGER: its slot in that key-day's chain);
- `key_days`: one row per key-day, `kd`, `entry` (INTEGER: the exposure entry it comes from), `base_ms`
  (BIGINT: the start of slot 0's window) and `slot_ms` (BIGINT: the slot length).

A slot's window is [ws, we] = [base_ms + slot * slot_ms, base_ms + (slot + 1) * slot_ms] (both ends inclusive,
as the phones walk it). A row joins an ID when the contact ID is equal and its [first, last] interval overlaps
the window widened by the tolerance on both sides (the scored rule's slot-edge tolerance; 0 for the strict rule).
`is_strict` says whether a sighting time itself lies in the un-widened window: the Bluezone phones' rule. Rows
with `is_strict` false matched only thanks to the tolerance (`edge` in reports). The tolerance is below one slot,
so a record can only meet the ID of its own slot or of the slots on either side: the ±1-slot tolerance.

What happens to the joined rows (grouping into matches per window, scoring into exposures) is the same Python
on both tiers: host_tools.match.engine and host_tools.match.scoring.
"""

import numpy as np

ID_DTYPE = np.dtype([("hi", ">i8"), ("lo", ">i4")])  # a 12-byte Bluezone ID as two big-endian signed ints

# The columns the query returns, in order.
RESULT_COLUMNS = ("log", "row_no", "kd", "slot", "entry", "ws", "we", "cid_hi", "cid_lo", "first_seen_ms",
                  "last_seen_ms", "count", "rssi_min", "rssi_max", "rssi_mean", "is_strict")


def match_sql(tolerance_ms: int, encounters: str = "encounters", exposure_ids: str = "exposure_ids",
              key_days: str = "key_days", where: str = "") -> str:
    """The join, as one SQL statement. `tolerance_ms` is written into the text (an int, checked); the relation
    names can be replaced (a view, a Parquet scan); `where` adds a condition on the encounters (alias `e`),
    e.g. the station's incremental runs: `e.pull_id = 7` or a day range."""
    tol = int(tolerance_ms)
    if tol < 0:
        raise ValueError("tolerance must not be negative")
    extra = f"\n  WHERE {where}" if where else ""
    return f"""
SELECT log, row_no, kd, slot, entry, ws, we, cid_hi, cid_lo, first_seen_ms, last_seen_ms, count,
       rssi_min, rssi_max, rssi_mean,
       (first_seen_ms BETWEEN ws AND we) OR (last_seen_ms BETWEEN ws AND we) AS is_strict
FROM (
  SELECT e.log, e.row_no, i.kd, i.slot, k.entry,
         k.base_ms + i.slot * k.slot_ms AS ws, k.base_ms + (i.slot + 1) * k.slot_ms AS we,
         e.cid_hi, e.cid_lo, e.first_seen_ms, e.last_seen_ms, e.count, e.rssi_min, e.rssi_max, e.rssi_mean
  FROM {encounters} AS e
  JOIN {exposure_ids} AS i ON e.cid_hi = i.id_hi AND e.cid_lo = i.id_lo
  JOIN {key_days} AS k ON k.kd = i.kd{extra}
) AS j
WHERE last_seen_ms >= ws - {tol} AND first_seen_ms <= we + {tol}
ORDER BY log, row_no, entry, ws
""".strip()


def split_ids(blob: bytes | memoryview) -> tuple[np.ndarray, np.ndarray]:
    """12-byte IDs, concatenated, as (hi int64, lo int32) columns in native order (equal IDs, equal pairs)."""
    v = np.frombuffer(blob, dtype=ID_DTYPE)
    return v["hi"].astype(np.int64), v["lo"].astype(np.int32)


def join_ids(hi: np.ndarray, lo: np.ndarray) -> bytes:
    """The inverse of split_ids: the IDs as one blob, 12 bytes each."""
    out = np.empty(len(hi), dtype=ID_DTYPE)
    out["hi"], out["lo"] = hi, lo
    return out.tobytes()
