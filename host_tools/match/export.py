"""`bztoken export-log`: encounters from the station database as JSON or CSV, streamed row by row.

JSON: `{"format": "bztoken-encounters", "version": 1, "encounters": [{column: value, ...}, ...]}`;
CSV: a header line of the same columns. Columns: logs.EXPORT_COLUMNS (contact_id as 24 upper-case hex digits,
times in unix ms, first/last seen corrected for the token's clock drift, raw_* as the token recorded them).
Both read back with `bztoken match --log FILE`.
"""

import csv
import json
import os
import tempfile
from pathlib import Path
from typing import TextIO

from host_tools.errors import UsageError
from host_tools.match.logs import EXPORT_COLUMNS, EXPORT_FORMAT, EXPORT_VERSION, _check_db


def _rows(db: str | Path, token: str | None):
    """Export rows from the encounter store, in batches (a station's store may not fit in memory twice)."""
    from host_tools import stationdb
    from host_tools.match import query

    _check_db(db)
    sel = [c if c != "contact_id" else "cid_hi, cid_lo" for c in EXPORT_COLUMNS]
    with stationdb.store(db) as con:
        if token is not None:
            if con.execute("SELECT 1 FROM encounters WHERE token_id = ? LIMIT 1", [token]).fetchone() is None:
                raise UsageError(f"{db}: no encounters of token {token!r}")
            cur = con.execute(f"SELECT {', '.join(sel)} FROM encounters WHERE token_id = ? ORDER BY day, "
                              "file_offset", [token])
        else:
            cur = con.execute(f"SELECT {', '.join(sel)} FROM encounters ORDER BY token_id, day, file_offset")
        ci = EXPORT_COLUMNS.index("contact_id")
        while True:
            batch = cur.fetchmany(50_000)
            if not batch:
                break
            for r in batch:
                r = list(r)
                hi, lo = r.pop(ci), r.pop(ci)
                r.insert(ci, query.join_ids([hi], [lo]).hex().upper())
                yield r


def write(db: str | Path, out: TextIO, token: str | None = None, fmt: str = "json") -> int:
    """Write the export to `out`; returns the number of encounters."""
    n = 0
    if fmt == "csv":
        w = csv.writer(out, lineterminator="\n")
        w.writerow(EXPORT_COLUMNS)
        for r in _rows(db, token):
            w.writerow(r)
            n += 1
        return n
    if fmt != "json":
        raise UsageError(f"format must be json or csv, got {fmt!r}")
    out.write(f'{{"format": "{EXPORT_FORMAT}", "version": {EXPORT_VERSION}, "encounters": [')
    for r in _rows(db, token):
        out.write(("\n  " if n == 0 else ",\n  ") + json.dumps(dict(zip(EXPORT_COLUMNS, r, strict=True))))
        n += 1
    out.write("\n]}\n")
    return n


def _atomic(path: str | Path, fill) -> int:
    """Write through `fill(file)` to a temporary file renamed into place: never a half-written file."""
    target = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".export-", dir=target.parent)
    except OSError as e:
        raise UsageError(f"{path}: cannot write there: {e.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            n = fill(f)
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise
    return n


def write_file(db: str | Path, path: str | Path, token: str | None = None, fmt: str = "json") -> int:
    """Write the export to `path` atomically; returns the number of encounters."""
    return _atomic(path, lambda f: write(db, f, token, fmt))


def atomic_write_text(path: str | Path, text: str) -> None:
    _atomic(path, lambda f: f.write(text))
