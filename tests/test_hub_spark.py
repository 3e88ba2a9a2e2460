"""The hub on Apache Spark (local[1], one session for the whole test run): the same results as DuckDB."""

import json

import duckdb
import hub_data as hd
import pytest
from test_hub_roundtrip import duck_results, exported, province  # noqa: F401 (fixtures)

from host_tools.hub import results, spark_engine


@pytest.fixture(scope="session")
def spark():
    s = hd.spark_session()
    yield s
    s.stop()  # the JVM's memory back for the rest of the run


def _rows(out):
    files = [str(p) for p in (out / "results").rglob("*.parquet")]
    return sorted(duckdb.sql(f"SELECT * FROM read_parquet({files!r}, hive_partitioning = true)").fetchall(),
                  key=repr)


def test_spark_round_trip_equals_duckdb(spark, province, exported, duck_results):  # noqa: F811
    out = province["tmp"] / "out-spark"
    s = results.match(str(exported[0]), [str(province["list"])], str(out), engine="spark", spark=spark)
    assert s["engine"] == "spark" and s["master"] == "local[1]"
    got = _rows(out)
    assert got == _rows(duck_results)
    assert len(got) == 3 * 2 + 2  # T: 2 slots, U: 1 slot, strict and scored; 2 scored exposures
    dsum = json.loads((duck_results / "summary.json").read_text())
    for k in ("matches", "exposures_found", "by_station", "pseudonyms"):
        assert s[k] == dsum[k]
    # The station imports Spark's results exactly as DuckDB's.
    a = results.import_results(str(out), province["a"], hd.PW)
    b = results.import_results(str(duck_results), province["a"], hd.PW)
    assert [{k: v for k, v in m.items() if k != "list_name"} for m in a["matches"]] == \
        [{k: v for k, v in m.items() if k != "list_name"} for m in b["matches"]]


def test_spark_derivation_is_the_kernel(spark, province):  # noqa: F811
    """mapInArrow on the executors derives the same IDs as the station's derivation."""
    from host_tools.hub import keydays
    from host_tools.match import exposures

    kd, _ = keydays.keyday_table(exposures.read_entries([province["list"]]))
    df = spark.createDataFrame(kd).mapInArrow(keydays.derive_batches, keydays.ID_DDL)
    got = sorted((r.id_hi, r.id_lo, r.kd, r.slot) for r in df.collect())
    from bzfw import ids
    from host_tools.match import query

    hi, lo = query.split_ids(b"".join(ids.day_ids(province["key"], 96)))
    assert got == sorted(zip(hi.tolist(), lo.tolist(), [0] * 96, range(96), strict=True))


def test_spark_errors_are_one_line(spark, province, tmp_path):  # noqa: F811
    """What Spark itself finds wrong (on hdfs:// or s3a:// nothing is checked before it runs) is one line."""
    from host_tools.errors import UsageError
    from host_tools.hub import keydays, score
    from host_tools.match import exposures, scoring

    entries = list(exposures.read_entries([province["list"]]))
    kd, _ = keydays.keyday_table(entries)
    sc = score.Scorer(entries, ("scored",), scoring.Thresholds())
    with pytest.raises(UsageError) as e:
        spark_engine.run(spark, str(tmp_path / "no-such-logs"), kd, None, sc, str(tmp_path / "out"), 30_000)
    msg = str(e.value)
    assert "\n" not in msg and "Path does not exist" in msg
    bad = tmp_path / "bad" / "day=2025-11-08" / "station=X"
    bad.mkdir(parents=True)
    (bad / "part-0.parquet").write_bytes(b"PAR1" + b"\0" * 64)
    with pytest.raises(UsageError) as e:
        spark_engine.run(spark, str(tmp_path / "bad"), kd, None, sc, str(tmp_path / "out"), 30_000)
    assert "\n" not in str(e.value) and str(e.value).startswith("the Spark job failed")
