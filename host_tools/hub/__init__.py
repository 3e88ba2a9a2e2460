"""The provincial hub: stations export pseudonymous encounters (Parquet), the hub matches them against exposure
lists on Apache Spark or DuckDB with the station's own matcher, and stations import the results.

- `schema`: the one definition of the exported columns, the dataset layout and the results' columns;
- `pseudonym`: a token's pseudonym, a keyed hash of its ID that only stations holding the token's secret can make;
- `export`: the station side (`bztoken hub export`), what was sent is recorded so nothing is sent twice;
- `dataset`: the hub's checks of a logs dataset before anything is matched (layout, manifests, Parquet footers);
- `keydays`, `score`: exposure entries to derived IDs (the C kernel) and a pseudonym's joined rows to the
  station matcher's result, shared by both engines;
- `spark_engine`, `duckdb_engine`: the join itself;
- `results`: the results' Parquet and JSON summary, and `bztoken hub import` back at a station.
"""
