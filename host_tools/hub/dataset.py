"""The hub's checks of a logs dataset before anything is matched: a bad file stops the run with one line.

For a dataset on a local disk: every Parquet file sits in a `day=YYYY-MM-DD/station=S/` partition and has
the exported columns with their types (read from its footer, not its data); every batch manifest in
`_manifests/` names files that are all there with the row counts it lists (a partition folder missing, e.g.
an incomplete copy, is named). On `hdfs://` or `s3a://` the engine reads the footers itself and its error
is turned into one line (host_tools.hub.spark_engine).
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

from host_tools.errors import UsageError
from host_tools.hub import schema


@dataclass
class Dataset:
    root: str
    files: list[tuple[str, str, str, int]] = field(default_factory=list)  # (day, station, path, rows)
    manifests: int = 0

    @property
    def rows(self) -> int:
        return sum(f[3] for f in self.files)

    @property
    def stations(self) -> list[str]:
        return sorted({f[1] for f in self.files})

    @property
    def days(self) -> list[str]:
        return sorted({f[0] for f in self.files})


def is_remote(uri: str) -> bool:
    return "://" in uri and not uri.startswith("file://")


def local_path(uri: str) -> Path:
    return Path(uri[len("file://"):] if uri.startswith("file://") else uri)


def _first_line(e: Exception) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0][:300]


def _footer(duck, path: Path) -> tuple[int, dict[str, str]]:
    """(rows, {column: DuckDB type}) from the file's footer; UsageError when it is not Parquet."""
    p = str(path).replace("'", "''")
    try:
        rows = duck.execute(f"SELECT num_rows FROM parquet_file_metadata('{p}')").fetchone()[0]
        cols = {r[0]: r[1] for r in duck.execute(f"DESCRIBE SELECT * FROM read_parquet('{p}', "
                                                 "hive_partitioning = false)").fetchall()}
    except Exception as e:  # duckdb.Error and its subclasses: the file is not readable Parquet
        raise UsageError(f"{path}: malformed Parquet file: {_first_line(e)}",
                         hint="re-copy it from the station's export folder, or run the export again") from None
    return int(rows), cols


def check(uri: str, days: tuple[str, str] | None = None) -> Dataset:
    """Check a local dataset (only the partitions of `days` (first, last) when given); returns its files."""
    import duckdb

    root = local_path(uri)
    if not root.is_dir():
        raise UsageError(f"{uri}: no such logs dataset (a folder of day=YYYY-MM-DD/station=S/ partitions)")
    ds = Dataset(uri)
    duck = duckdb.connect()
    try:
        found: dict[str, int] = {}
        for p in sorted(root.rglob("*")):
            rel = p.relative_to(root)
            if any(part.startswith(("_", ".")) for part in rel.parts) or p.is_dir():
                continue
            parts = rel.parts
            ok = (len(parts) == 3 and parts[0].startswith("day=") and parts[1].startswith("station=")
                  and schema.DAY_RE.match(parts[0][4:]) and schema.STATION_RE.match(parts[1][8:])
                  and parts[2].endswith(".parquet"))
            if not ok:
                raise UsageError(f"{p}: not in a day=YYYY-MM-DD/station=S/ partition as a .parquet file",
                                 hint="the logs folder holds only what bztoken hub export wrote")
            day, station = parts[0][4:], parts[1][8:]
            if days is not None and not days[0] <= day <= days[1]:
                continue
            rows, cols = _footer(duck, p)
            for c, t, _ in schema.LOG_COLUMNS:
                if cols.get(c) != t:
                    raise UsageError(f"{p}: malformed Parquet file: column {c} "
                                     + (f"is {cols[c]}, expected {t}" if c in cols else "is missing"))
            found[rel.as_posix()] = rows
            ds.files.append((day, station, str(p), rows))
        mdir = root / schema.MANIFEST_DIR
        for m in sorted(mdir.glob("*.json")) if mdir.is_dir() else []:
            try:
                man = json.loads(m.read_text(encoding="utf-8"))
                listed = [(f["path"], int(f["rows"])) for f in man["files"]]
                if man.get("format") != schema.LOGS_FORMAT:
                    raise ValueError("not a bztoken hub manifest")
            except (ValueError, KeyError, TypeError, OSError) as e:
                raise UsageError(f"{m}: malformed manifest: {_first_line(e)}") from None
            ds.manifests += 1
            for path, rows in listed:
                part_dir = Path(path).parent
                day = part_dir.parts[0][4:] if part_dir.parts else ""
                if days is not None and not days[0] <= day <= days[1]:
                    continue
                if path not in found:
                    what = "partition" if not (root / part_dir).is_dir() else "file"
                    raise UsageError(f"{uri}: missing {what} {part_dir if what == 'partition' else path} "
                                     f"(listed in {m.relative_to(root)})",
                                     hint="the copy from the station is incomplete: copy the whole export folder")
                if found[path] != rows:
                    raise UsageError(f"{root / path}: {found[path]} rows, its manifest {m.name} lists {rows}")
    finally:
        duck.close()
    if not ds.files and days is None:
        raise UsageError(f"{uri}: no Parquet files in the logs dataset")
    return ds
