"""What a station sends to the hub and what the hub sends back: one definition of every column.

A logs dataset is a folder (local, `hdfs://`, `s3a://`) of Parquet files partitioned by Hive-style folders
`day=YYYY-MM-DD/station=S/` (the token's log day, UTC, and the exporting station's code), with one JSON manifest
per export batch in `_manifests/` (Spark, DuckDB and Arrow all skip names starting with `_`). No column holds a
name, a phone number, a secret or a token ID: a token appears only as its pseudonym (host_tools.hub.pseudonym).
"""

import re

LOGS_FORMAT = "bztoken-hub-logs"
RESULTS_FORMAT = "bztoken-hub-results"
VERSION = 1
MANIFEST_DIR = "_manifests"
SUMMARY_FILE = "summary.json"
RESULTS_DIR = "results"  # results/record=match|exposure/*.parquet

# (column, DuckDB type, Spark DDL type) of every exported row, in file order.
LOG_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("pseudonym", "VARCHAR", "string"),  # 32 hex digits
    ("log_day", "INTEGER", "int"),  # the token's log day (UTC day number), with file_offset the row's identity
    ("file_offset", "BIGINT", "bigint"),
    ("slot", "SMALLINT", "smallint"),
    ("kind", "SMALLINT", "smallint"),  # 1 Android phone or token, 2 iOS phone (bzfw.records)
    # the 12-byte Bluezone ID heard, as the station stores it and the matching query joins it (query.split_ids):
    # bytes 0-7 and 8-11 as big-endian signed integers
    ("cid_hi", "BIGINT", "bigint"),
    ("cid_lo", "INTEGER", "int"),
    ("first_seen_ms", "BIGINT", "bigint"),  # unix ms, corrected for the token's clock drift
    ("last_seen_ms", "BIGINT", "bigint"),
    ("count", "INTEGER", "int"),
    ("rssi_min", "SMALLINT", "smallint"),
    ("rssi_max", "SMALLINT", "smallint"),
    ("rssi_mean", "SMALLINT", "smallint"),
    # How the token's log is scored (the same for all its rows): its registered firmware profile (its sampling
    # period) and its RSSI jig offset in dB (NULL: not calibrated at this station).
    ("rx_profile", "VARCHAR", "string"),
    ("rx_offset_db", "DOUBLE", "double"),
)
LOG_COLUMN_NAMES = tuple(c for c, _, _ in LOG_COLUMNS)
PARTITIONS = ("day", "station")

# The results: one row per matching slot (record = match) or per scored exposure (record = exposure).
RESULT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("mode", "string"),  # strict | scored
    ("pseudonym", "string"),
    ("stations", "string"),  # the stations whose rows it came from, comma-separated
    ("entry", "int"),  # index over all exposure files, in the order given
    ("list", "string"),  # the exposure file's name
    ("list_entry", "int"),  # the entry's index in that file
    ("contact_id", "string"),  # match: the ID heard (hex); exposure: null
    ("slot_start_ms", "bigint"),  # match: the slot window's start; exposure: null
    ("first_seen_ms", "bigint"),
    ("last_seen_ms", "bigint"),
    ("risk", "string"),  # exposure: the station's risk level; match: null
    ("duration_ms", "bigint"),  # exposure only
    ("detail", "string"),  # the station matcher's own object for it, as JSON
    ("record", "string"),  # match | exposure (the output's partition)
)
RESULT_COLUMN_NAMES = tuple(c for c, _ in RESULT_COLUMNS)

STATION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def spark_ddl(cols) -> str:
    return ", ".join(f"`{c[0]}` {c[-1]}" for c in cols)


def check_station(code: str) -> str:
    from host_tools.errors import UsageError

    if not isinstance(code, str) or not STATION_RE.match(code):
        raise UsageError(f"bad station code {code!r}", hint="1-32 characters: letters, digits, '-' and '_'")
    return code


def encounters_sql(source: str) -> str:
    """The hub's `encounters` relation for host_tools.match.query.match_sql, over the logs dataset `source` (a
    table or view with the columns above and the partitions): the same columns as the station's
    `match_encounters` view (stationdb), with `log` = pseudonym/station/profile/offset (the pseudonym groups
    the results; the rest travels with each row) and `row_no` from the token's log day and file offset as at
    the station. Plain SQL that Spark and DuckDB both read."""
    return f"""SELECT concat_ws('/', pseudonym, station, coalesce(rx_profile, ''),
                 coalesce(CAST(rx_offset_db AS STRING), '')) AS log,
       CAST(log_day AS BIGINT) * 4294967296 + file_offset AS row_no, day,
       cid_hi, cid_lo, first_seen_ms, last_seen_ms, count, rssi_min, rssi_max, rssi_mean
FROM {source}"""


def parse_log(log: str) -> tuple[str, str, str | None, float | None]:
    """(pseudonym, station, profile, offset dB) of an encounters_sql `log` value."""
    p, st, prof, off = log.split("/", 3)
    return p, st, prof or None, float(off) if off else None
