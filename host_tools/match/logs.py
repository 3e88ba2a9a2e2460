"""Contact logs to match against: the station database, Bluezone phone exports, our own encounter exports.

Every log becomes a `LogData`: the contact IDs (12 bytes each, one blob) and numpy columns first/last seen (unix ms),
count and RSSI min/max/mean. A phone sighting is a row with count 1 and first = last; a token record is one
(contact ID, slot) encounter. Sources:
- the station database's encounter store (host_tools.stationdb, DuckDB): one log per token, `token:ID`, joined
  where it is stored (the engine runs its query on the store; `load()` reads one token's rows when asked);
- a Bluezone `data_trace.txt`: own ID, contact ID, RSSI, timestamp, tab-separated; the timestamp unit (ms on
  Android, s on iOS) is detected per file and reported; a file mixing units is refused; broken lines are skipped
  and counted when they are at most 1 % of the file's lines, else refused with the first one named;
- `bztoken export-log` files (JSON or CSV, format in host_tools/README.md): one log per token in the file.
"""

import csv
import io
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bzfw import ids
from host_tools.errors import UsageError

MS_THRESHOLD = 100_000_000_000  # a timestamp at or above this is milliseconds (1e11 s is the year 5138)
BROKEN_FRACTION = 100  # at most 1 line in 100 may be broken and skipped

EXPORT_FORMAT = "bztoken-encounters"
EXPORT_VERSION = 1
# Columns of `bztoken export-log` (CSV header, JSON object keys), in order.
EXPORT_COLUMNS = ("token_id", "day", "slot", "kind", "contact_id", "first_seen_ms", "last_seen_ms",
                  "raw_first_seen_ms", "raw_last_seen_ms", "correction_ms", "count", "rssi_min", "rssi_max",
                  "rssi_mean")
_INT_COLUMNS = tuple(c for c in EXPORT_COLUMNS if c not in ("token_id", "contact_id"))


@dataclass
class LogData:
    name: str
    cid: bytes  # n contact IDs, 12 bytes each
    first_ms: np.ndarray
    last_ms: np.ndarray
    count: np.ndarray
    rssi_min: np.ndarray
    rssi_max: np.ndarray
    rssi_mean: np.ndarray
    info: dict = field(default_factory=dict)  # source, rows, unit, skipped_lines: reported as they are

    def __len__(self) -> int:
        return len(self.first_ms)


def make_log(name: str, rows: list[tuple], info: dict) -> LogData:
    """rows: (contact_id bytes, first_ms, last_ms, count, rssi_min, rssi_max, rssi_mean)."""
    cid = b"".join([r[0] for r in rows])
    cols = np.array([r[1:] for r in rows], dtype=np.int64).reshape(len(rows), 6)
    info = dict(info, rows=len(rows))
    return LogData(name, cid, cols[:, 0].copy(), cols[:, 1].copy(), cols[:, 2].copy(), cols[:, 3].copy(),
                   cols[:, 4].copy(), cols[:, 5].copy(), info)


class LogSource:
    """A log not read yet: `load()` reads it. A log of the station's encounter store also carries
    `store` = (station db path, token ID, whether every token of the store is in the run), which the engine
    joins in place, and `info`, what the report says of it."""

    def __init__(self, name: str, loader, size_hint: int = 0, store: tuple | None = None,
                 info: dict | None = None):
        self.name = name
        self._loader = loader
        self.size_hint = size_hint
        self.store = store
        self.info = info or {}

    def load(self) -> LogData:
        return self._loader()


# --- station database ---------------------------------------------------------------------------------------


def _check_db(path: str | Path) -> None:
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"{path}: no such station database")
    try:
        con = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
        try:
            con.execute("SELECT name FROM sqlite_master LIMIT 1").fetchall()
        finally:
            con.close()
    except sqlite3.DatabaseError as e:
        raise UsageError(f"{path}: not a station database ({e})") from None


def db_logs(path: str | Path, token: str | None = None) -> list[LogSource]:
    """One log per token with encounters in the database's store (or just `token`)."""
    from host_tools import stationdb

    _check_db(path)
    with stationdb.store(path) as con:
        if token is None:
            tokens = con.execute("SELECT token_id, COUNT(*) FROM encounters GROUP BY token_id ORDER BY token_id"
                                 ).fetchall()
        else:
            n = con.execute("SELECT COUNT(*) FROM encounters WHERE token_id = ?", [token]).fetchone()[0]
            if n == 0:
                raise UsageError(f"{path}: no encounters of token {token!r}",
                                 hint="pull its log first, or list tokens without --token")
            tokens = [(token, n)]

    def loader(tok: str):
        return lambda: _load_db_token(path, tok)

    whole = token is None
    return [LogSource(f"token:{t}", loader(t), n, store=(str(path), t, whole),
                      info={"source": "station-db", "token_id": t, "rows": int(n)}) for t, n in tokens]


def _load_db_token(path: str | Path, token: str) -> LogData:
    from host_tools import stationdb
    from host_tools.match import query

    with stationdb.store(path) as con:
        c = con.execute("SELECT cid_hi, cid_lo, first_seen_ms, last_seen_ms, count, rssi_min, rssi_max, rssi_mean "
                        "FROM encounters WHERE token_id = ? ORDER BY day, file_offset", [token]).fetchnumpy()
    cols = {k: np.asarray(v) for k, v in c.items()}
    return LogData(f"token:{token}", query.join_ids(cols["cid_hi"], cols["cid_lo"]),
                   *(cols[k].astype(np.int64) for k in ("first_seen_ms", "last_seen_ms", "count", "rssi_min",
                                                         "rssi_max", "rssi_mean")),
                   info={"source": "station-db", "token_id": token, "rows": len(cols["cid_hi"])})


# --- Bluezone phone export (data_trace.txt) -----------------------------------------------------------------


def _trace_line(line: str):
    parts = line.rstrip("\r\n").split("\t")
    if len(parts) != 4:
        return None, f"{len(parts)} fields, expected 4"
    own, contact, rssi, ts = (p.strip() for p in parts)
    try:
        cid = bytes.fromhex(contact)
        own_b = bytes.fromhex(own)
    except ValueError:
        return None, "an ID is not hex"
    if len(cid) != ids.ID_LEN or len(own_b) != ids.ID_LEN:
        return None, "an ID is not 12 bytes"
    try:
        r, t = int(rssi), int(ts)
    except ValueError:
        return None, "RSSI or timestamp is not an integer"
    if t <= 0 or not -128 <= r <= 127:
        return None, "timestamp or RSSI out of range"
    return (cid, t, r), None


def read_trace(path: str | Path) -> LogData:
    """A Bluezone data_trace.txt; timestamps normalised to ms (the unit found is in info['unit'])."""
    name = str(path)
    rows, unit, unit_line, broken, lines = [], None, 0, [], 0
    try:
        f = open(path, encoding="utf-8", errors="strict", newline="")  # noqa: SIM115 - closed by the with below
    except OSError as e:
        raise UsageError(f"{name}: cannot read: {e.strerror}") from None
    with f:
        try:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                lines += 1
                row, why = _trace_line(line)
                if row is None:
                    broken.append((lineno, why))
                    continue
                u = "ms" if row[1] >= MS_THRESHOLD else "s"
                if unit is None:
                    unit, unit_line = u, lineno
                elif u != unit:
                    raise UsageError(f"{name}: line {lineno}: timestamp in {u}, but line {unit_line} is in {unit}",
                                     hint="a phone export uses one unit (ms on Android, s on iOS); split mixed files")
                rows.append(row)
        except UnicodeDecodeError:
            raise UsageError(f"{name}: not a UTF-8 text file (line {lines + 1})") from None
    if broken and len(broken) > lines // BROKEN_FRACTION:
        lineno, why = broken[0]
        raise UsageError(f"{name}: line {lineno}: broken ({why}); {len(broken)} of {lines} lines are broken",
                         hint="expected OWN_ID<TAB>CONTACT_ID<TAB>RSSI<TAB>TIMESTAMP per line")
    scale = 1000 if unit == "s" else 1
    out = [(c, t * scale, t * scale, 1, r, r, r) for c, t, r in rows]
    info = {"source": "data_trace", "unit": unit, "skipped_lines": len(broken)}
    if broken:
        info["skipped_first_line"] = broken[0][0]
    return make_log(name, out, info)


# --- our own encounter export (bztoken export-log) ----------------------------------------------------------


def _export_rows(name: str, records: Iterator[tuple[str, dict]]) -> list[LogData]:
    """Group export records by token into logs; `records` yields (where, record dict)."""
    by_token: dict[str, list[tuple]] = {}
    for where, rec in records:
        if not isinstance(rec, dict):
            raise UsageError(f"{name}: {where}: not an object")
        tok = rec.get("token_id")
        if not isinstance(tok, str) or not tok:
            raise UsageError(f"{name}: {where}: token_id missing")
        try:
            cid = bytes.fromhex(str(rec.get("contact_id", "")))
        except ValueError:
            raise UsageError(f"{name}: {where}: contact_id is not hex") from None
        if len(cid) != ids.ID_LEN:
            raise UsageError(f"{name}: {where}: contact_id must be 12 bytes, got {len(cid)}")
        vals = []
        for c in ("first_seen_ms", "last_seen_ms", "count", "rssi_min", "rssi_max", "rssi_mean"):
            v = rec.get(c)
            try:
                if isinstance(v, (bool, float)):
                    raise ValueError
                vals.append(int(v))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise UsageError(f"{name}: {where}: {c} must be an integer, got {v!r}") from None
        if vals[1] < vals[0]:
            raise UsageError(f"{name}: {where}: last_seen_ms is before first_seen_ms")
        by_token.setdefault(tok, []).append((cid, *vals))
    return [make_log(f"{name}:{tok}", rows, {"source": "export", "token_id": tok})
            for tok, rows in sorted(by_token.items())]


def read_export_json(path: str | Path, text: str) -> list[LogData]:
    name = str(path)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise UsageError(f"{name}: malformed JSON at line {e.lineno} column {e.colno}: {e.msg}") from None
    if not isinstance(doc, dict) or doc.get("format") != EXPORT_FORMAT:
        raise UsageError(f"{name}: not a bztoken encounter export (format {EXPORT_FORMAT!r})",
                         hint="Bluezone exposure lists go to --exposures, logs to --log")
    if doc.get("version") != EXPORT_VERSION:
        raise UsageError(f"{name}: export version {doc.get('version')!r} is not supported (expected {EXPORT_VERSION})")
    recs = doc.get("encounters")
    if not isinstance(recs, list):
        raise UsageError(f"{name}: encounters must be a list")
    return _export_rows(name, ((f"encounter {i}", r) for i, r in enumerate(recs)))


def read_export_csv(path: str | Path, text: str) -> list[LogData]:
    name = str(path)
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in EXPORT_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise UsageError(f"{name}: CSV export lacks columns {', '.join(missing)}")
    return _export_rows(name, ((f"line {i + 2}", r) for i, r in enumerate(reader)))


def file_logs(path: str | Path) -> list[LogData]:
    """The logs in one file, whatever its kind (detected by content)."""
    name = str(path)
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError as e:
        raise UsageError(f"{name}: cannot read: {e.strerror}") from None
    s = head.lstrip()
    if s.startswith(b"{") or s.startswith(b"["):
        return read_export_json(path, _text(path))
    if s.startswith(b"token_id,"):
        return read_export_csv(path, _text(path))
    if s.startswith(b"SQLite format 3"):
        raise UsageError(f"{name}: is an SQLite database", hint="pass the station database with --db")
    return [read_trace(path)]


def _text(path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not a UTF-8 text file") from None


def file_sources(paths: list[str]) -> list[LogSource]:
    """Log sources for --log files. A phone export is read when matched (one at a time, so many fit);
    an export of ours is read up front, since one file may hold several tokens."""
    out = []
    for p in paths:
        try:
            with open(p, "rb") as f:
                s = f.read(4096).lstrip()
        except OSError as e:
            raise UsageError(f"{p}: cannot read: {e.strerror}") from None
        if s.startswith((b"{", b"[", b"token_id,", b"SQLite format 3")):
            for log in file_logs(p):
                out.append(LogSource(log.name, (lambda lg=log: lg), len(log)))
        else:
            out.append(LogSource(str(p), (lambda q=p: read_trace(q)), Path(p).stat().st_size // 60))
    return out
