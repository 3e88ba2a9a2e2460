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
    ("kind", "TINYINT", "tinyint"),  # 1 Android phone or token, 2 iOS phone (bzfw.records)
    ("contact_id", "BLOB", "binary"),  # the 12-byte Bluezone ID heard
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
