"""Exposure entries to the hub's ID table: key-days as Arrow columns, IDs derived by the C kernel.

`keyday_table` expands entries exactly as the station does (Entry.key_days: the phones' walk); `derive_batches`
turns batches of key-days into (contact_id, entry) rows with host_tools.match.derive (the C kernel when built),
for Spark's mapInArrow on the executors and for DuckDB in-process alike. Only slots inside the entry are kept.
"""

from collections.abc import Iterable, Iterator

import numpy as np
import pyarrow as pa

from bzfw import ids
from host_tools.match import derive

KEYDAY_SCHEMA = pa.schema([("entry", pa.int32()), ("key", pa.binary()), ("slots", pa.int32()),
                           ("valid", pa.int32()), ("base_ms", pa.int64())])
ID_SCHEMA = pa.schema([("contact_id", pa.binary()), ("entry", pa.int32())])
ID_DDL = "contact_id binary, entry int"


def keyday_table(entries) -> tuple[pa.Table, int]:
    """(key-days of every entry, number of entries)."""
    cols: dict[str, list] = {n: [] for n in KEYDAY_SCHEMA.names}
    n = 0
    for e in entries:
        n += 1
        for kd in e.key_days():
            cols["entry"].append(kd.entry)
            cols["key"].append(kd.key)
            cols["slots"].append(kd.slots)
            cols["valid"].append(kd.valid)
            cols["base_ms"].append(kd.base_ms)
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
    entry = batch.column("entry").to_numpy()
    keys = batch.column("key").to_pylist()
    slots = batch.column("slots").to_numpy()
    valid = batch.column("valid").to_numpy()
    blobs, entries = [], []
    for m in np.unique(slots):
        sel = np.nonzero(slots == m)[0]
        blob = derive.derive([keys[i] for i in sel], int(m))
        slot = np.tile(np.arange(m, dtype=np.int32), len(sel))
        keep = np.nonzero(slot < np.repeat(valid[sel], m))[0]
        idv = np.frombuffer(blob, dtype=f"S{ids.ID_LEN}")[keep]
        blobs.append(idv)
        entries.append(np.repeat(entry[sel], m)[keep])
    if not blobs:
        return pa.RecordBatch.from_arrays([pa.array([], pa.binary()), pa.array([], pa.int32())], schema=ID_SCHEMA)
    idv = np.concatenate(blobs)
    buf = pa.py_buffer(idv.tobytes())
    cid = pa.FixedSizeBinaryArray.from_buffers(pa.binary(ids.ID_LEN), len(idv), [None, buf]).cast(pa.binary())
    return pa.RecordBatch.from_arrays([cid, pa.array(np.concatenate(entries), pa.int32())], schema=ID_SCHEMA)


def derive_batches(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """For mapInArrow: key-day batches in, ID batches out."""
    for b in batches:
        if b.num_rows:
            yield derive_batch(b)


def id_table(kd: pa.Table, batch_rows: int = 50_000) -> pa.Table:
    return pa.Table.from_batches(list(derive_batches(kd.to_batches(max_chunksize=batch_rows))), schema=ID_SCHEMA)
