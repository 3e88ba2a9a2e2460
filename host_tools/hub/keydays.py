"""Exposure entries to the matching query's `key_days` and `exposure_ids` relations (host_tools.match.query).

`keyday_table` expands entries exactly as the station does (Entry.key_days: the phones' walk), numbering the
key-days `kd`; `derive_batches` derives their IDs with the station's own host_tools.match.engine.build_chunk (the
C kernel when built) batch by batch: on Spark's executors through mapInArrow, in-process for DuckDB.
"""

from collections.abc import Iterable, Iterator

import numpy as np
import pyarrow as pa

from bzfw import ids
from host_tools.match import engine
from host_tools.match.exposures import KeyDay

KEYDAY_SCHEMA = pa.schema([("kd", pa.int32()), ("entry", pa.int64()), ("key", pa.binary()), ("base_ms", pa.int64()),
                           ("slot_ms", pa.int64()), ("slots", pa.int32()), ("valid", pa.int32())])
ID_SCHEMA = pa.schema([("id_hi", pa.int64()), ("id_lo", pa.int32()), ("kd", pa.int32()), ("slot", pa.int32())])
ID_DDL = "id_hi bigint, id_lo int, kd int, slot int"
KEY_DAY_COLUMNS = ("kd", "entry", "base_ms", "slot_ms")  # the query's key_days relation


def keyday_table(entries) -> tuple[pa.Table, int]:
    """(key-days of every entry, numbered, and the number of entries)."""
    cols: dict[str, list] = {n: [] for n in KEYDAY_SCHEMA.names}
    n = 0
    for e in entries:
        n += 1
        for kd in e.key_days():
            cols["kd"].append(len(cols["kd"]))
            cols["entry"].append(kd.entry)
            cols["key"].append(kd.key)
            cols["base_ms"].append(kd.base_ms)
            cols["slot_ms"].append(kd.slot_ms)
            cols["slots"].append(kd.slots)
            cols["valid"].append(kd.valid)
    return pa.table(cols, schema=KEYDAY_SCHEMA), n


def day_range(kd: pa.Table, slack_days: int = 1) -> tuple[str, str] | None:
    """The log days (YYYY-MM-DD) that can hold a match, with a day of slack each side (clock correction)."""
    import datetime

    if kd.num_rows == 0:
        return None
    base = kd.column("base_ms").to_numpy()
    lo = int(base.min()) // (ids.DAY_S * 1000) - slack_days
    hi = int(base.max()) // (ids.DAY_S * 1000) + 1 + slack_days  # a key-day's windows end within a day
    d = datetime.date(1970, 1, 1)
    return ((d + datetime.timedelta(days=max(lo, 0))).isoformat(), (d + datetime.timedelta(days=hi)).isoformat())


def derive_batch(batch: pa.RecordBatch) -> pa.RecordBatch:
    """A batch of key-days to their IDs, by engine.build_chunk per slot count (its kd numbers made global)."""
    d = batch.to_pydict()
    parts = []
    slots = np.array(d["slots"])
    for m in np.unique(slots):
        sel = np.nonzero(slots == m)[0]
        kds = [KeyDay(d["entry"][i], d["key"][i], d["base_ms"][i], d["slot_ms"][i], int(m), d["valid"][i])
               for i in sel]
        c = engine.build_chunk(kds).exposure_ids
        kd_global = np.array(d["kd"], dtype=np.int32)[sel][c["kd"]]
        parts.append((c["id_hi"], c["id_lo"], kd_global, c["slot"]))
    cols = [np.concatenate([p[j] for p in parts]) if parts else np.empty(0) for j in range(4)]
    return pa.RecordBatch.from_arrays([pa.array(cols[0], pa.int64()), pa.array(cols[1], pa.int32()),
                                       pa.array(cols[2], pa.int32()), pa.array(cols[3], pa.int32())],
                                      schema=ID_SCHEMA)


def derive_batches(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """For mapInArrow: key-day batches in, ID batches out."""
    for b in batches:
        if b.num_rows:
            yield derive_batch(b)


def id_table(kd: pa.Table, batch_rows: int = 50_000) -> pa.Table:
    return pa.Table.from_batches(list(derive_batches(kd.to_batches(max_chunksize=batch_rows))), schema=ID_SCHEMA)


def key_days(kd: pa.Table) -> pa.Table:
    return kd.select(list(KEY_DAY_COLUMNS))
