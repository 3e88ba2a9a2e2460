"""The hub's join on DuckDB, for a district on one machine: the same rows as the Spark job.

    SELECT l.<columns>, l.station, i.entry
    FROM read_parquet(<the checked files>, hive_partitioning) AS l JOIN ids AS i ON l.contact_id = i.contact_id

`ids` is the Arrow table of derived IDs (host_tools.hub.keydays); DuckDB builds its hash table on that smaller
side. The rule is then applied per pseudonym by the station matcher (host_tools.hub.score).
"""

import pyarrow as pa

from host_tools.errors import UsageError
from host_tools.hub.score import JOINED_COLUMNS


def join(files: list[str], ids: pa.Table, threads: int | None = None, memory_limit: str | None = None) -> pa.Table:
    import duckdb

    con = duckdb.connect()
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            con.execute("SET memory_limit = ?", [memory_limit])
        con.register("ids", ids)
        cols = ", ".join(f"i.{c}" if c == "entry" else f"l.{c}" for c in JOINED_COLUMNS)
        try:
            return con.sql(
                f"SELECT {cols} FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false)"
                " AS l JOIN ids AS i ON l.contact_id = i.contact_id", params={"files": files}).to_arrow_table()
        except duckdb.Error as e:
            msg = (str(e).strip().splitlines() or ["?"])[0][:300]
            raise UsageError(f"cannot read the logs dataset: {msg}") from None
    finally:
        con.close()
