"""Parity: the station matcher, the DuckDB hub and the Spark hub return identical matches (strict and scored) and
scored exposures, on synthetic logs with matches planted at slot edges (hub_data.EDGE_CASES).

Small in `make test` (10,000 rows, 100 key-days); the goal's size (200,000 rows, 1,000 key-days) under
`make test-deep`."""

import json

import duckdb
import hub_data as hd
import pytest

from host_tools.hub import export, pseudonym, results
from host_tools.match import engine, exposures, logs

pytest.importorskip("pyarrow")


def _station(s) -> set:
    """(mode, record, pseudonym, detail) of the station matcher over its own database."""
    out = set()
    entries = list(exposures.read_entries([s["list"]]))
    for mode in ("strict", "scored"):
        res = engine.run_match(entries, logs.db_logs(s["db"]), mode=mode, receiver_of=hd.station_receivers(s["db"]))
        for lr in res.logs:
            tid = lr.log.removeprefix("token:")
            p = pseudonym.pseudonym(s["secrets"][tid], tid)
            out |= {(mode, "match", p, json.dumps(m, sort_keys=True)) for m in lr.matches}
            out |= {(mode, "exposure", p, json.dumps(x, sort_keys=True)) for x in lr.exposures}
    return out


def _hub(out) -> set:
    files = [str(p) for p in (out / "results").rglob("*.parquet")]
    return set(duckdb.sql(f"SELECT mode, record, pseudonym, detail FROM read_parquet({files!r}, "
                          "hive_partitioning = true)").fetchall())


def _run(tmp, size, engines, spark=None):
    s = hd.synthetic_station(tmp, **size)
    export.export(s["db"], tmp / "logs", hd.PW, station="YB-01")
    want = _station(s)
    # Every edge case is there: strict hits, scored-only hits (edge), and sightings that match nothing.
    assert {m for m, r, _, _ in want if r == "match"} == {"strict", "scored"}
    assert any('"edge": true' in d for _, _, _, d in want)
    n_strict = sum(1 for m, r, _, _ in want if (m, r) == ("strict", "match"))
    n_scored = sum(1 for m, r, _, _ in want if (m, r) == ("scored", "match"))
    assert 0 < n_strict < n_scored < size["planted"]
    for eng in engines:
        out = tmp / f"out-{eng}"
        results.match(str(tmp / "logs"), [str(s["list"])], str(out), engine=eng, spark=spark)
        assert _hub(out) == want, eng


def test_parity_station_duckdb_small(tmp_path):
    _run(tmp_path, {"rows": 10_000, "key_days": 100, "tokens": 20, "planted": 200}, ["duckdb"])


@pytest.mark.slow
def test_parity_station_duckdb_spark_200k(tmp_path):
    spark = hd.spark_session()
    _run(tmp_path, {"rows": 200_000, "key_days": 1_000, "tokens": 100, "planted": 800}, ["duckdb", "spark"], spark)
