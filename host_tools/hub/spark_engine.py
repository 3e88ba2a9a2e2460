"""The hub's job on Apache Spark: local[*] by default, a cluster through spark-submit.

    hub_encounters = the logs (day=/station= Parquet partitions) as the station's encounters (schema.encounters_sql)
    exposure_ids   = key-days --mapInArrow(the station's derivation, C kernel)--> (id_hi, id_lo, kd, slot)
    joined         = the station's matching query (query.match_sql) on Spark SQL, pruned to the lists' days,
                     exposure_ids and key_days broadcast
    results        = joined --groupBy(pseudonym).applyInArrow(the station's grouping and scoring)--> Parquet

The ID table is broadcast (every executor gets it whole; 100 k key-days are 9.6 M IDs, about 300 MB in Spark's
hashed relation), so the logs, the large side, are never shuffled for the join. Only the joined rows (rows
whose contact ID is on a list) are shuffled, by pseudonym, to the station matcher.
"""

import os
import sys

from host_tools.errors import UsageError
from host_tools.hub import keydays, schema
from host_tools.hub.score import RESULT_SCHEMA, Scorer
from host_tools.match import query


def session(master: str | None = None, conf: dict | None = None):
    """The SparkSession: `master` when given; under spark-submit, the one it configured; else local[*]."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise UsageError("the Spark engine needs pyspark", hint="pip install 'bztoken[hub]' (and a Java 17 runtime),"
                         " or use --engine duckdb") from None
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # executors run this interpreter (local mode)
    b = SparkSession.builder.appName("bztoken-hub")
    if master:
        b = b.master(master)
    elif "PYSPARK_GATEWAY_PORT" not in os.environ:  # not launched by spark-submit
        b = b.master("local[*]")
    # Partition values stay strings: a station code "007" is not the number 7, a day is not reparsed.
    b = b.config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
    if not sys.stderr.isatty():  # Spark's stage bars only where someone watches them (as host_tools.progress)
        b = b.config("spark.ui.showConsoleProgress", "false")
    for k, v in (conf or {}).items():
        b = b.config(k, v)
    try:
        s = b.getOrCreate()
    except Exception as e:  # Java missing, port in use: not a bug in bztoken
        msg = (str(e).strip().splitlines() or ["?"])[0][:300]
        raise UsageError(f"cannot start Spark: {msg}", hint="Spark needs a Java 17+ runtime (JAVA_HOME or java on"
                         " PATH); or use --engine duckdb") from None
    s.sparkContext.setLogLevel("ERROR")
    return s


def _one_line(e: Exception) -> str:
    text = str(e).strip()
    for line in text.splitlines():
        line = line.strip()
        if "Path does not exist" in line or "not a Parquet file" in line or "Could not read footer" in line:
            return line[:300]
    return (text.splitlines() or [type(e).__name__])[0][:300]


def run(spark, logs_uri: str, kd, days: tuple[str, str] | None, scorer: Scorer, results_uri: str,
        tolerance_ms: int, id_partitions: int | None = None) -> None:
    """The whole job; writes the results under `results_uri` (partitioned by record)."""
    from pyspark.sql import functions as F

    ddl = schema.spark_ddl(schema.LOG_COLUMNS) + ", `day` string, `station` string"
    try:
        spark.read.schema(ddl).option("basePath", logs_uri).parquet(logs_uri).createOrReplaceTempView("hub_logs")
        spark.sql(schema.encounters_sql("hub_logs")).createOrReplaceTempView("hub_encounters")
        n = id_partitions or max(1, min(spark.sparkContext.defaultParallelism * 2, kd.num_rows // 2000 + 1))
        kdf = spark.createDataFrame(kd)
        ids = kdf.repartition(n).mapInArrow(keydays.derive_batches, keydays.ID_DDL)
        # Both small sides go whole to every executor: the logs are never shuffled for the join.
        F.broadcast(ids).createOrReplaceTempView("exposure_ids")
        F.broadcast(kdf.select(*keydays.KEY_DAY_COLUMNS)).createOrReplaceTempView("key_days")
        where = f"e.day BETWEEN '{days[0]}' AND '{days[1]}'" if days else ""
        joined = spark.sql(query.match_sql(tolerance_ms, encounters="hub_encounters", where=where))
        bc = spark.sparkContext.broadcast(scorer)
        out_ddl = schema.spark_ddl(schema.RESULT_COLUMNS)

        def score(t):
            return bc.value(t)

        res = joined.withColumn("_p", F.substring_index("log", "/", 1)).groupBy("_p").applyInArrow(score, out_ddl)
        res.select(*RESULT_SCHEMA.names).write.mode("overwrite").partitionBy("record").parquet(results_uri)
    except UsageError:
        raise
    except Exception as e:  # AnalysisException (no such path), SparkException (a bad footer): one line
        raise UsageError(f"the Spark job failed: {_one_line(e)}",
                         hint="check the logs URI and that every file is an exported Parquet file") from None


def write_text(spark, uri: str, text: str) -> None:
    """A small file at any Hadoop URI (file:, hdfs:, s3a:), through Spark's own Hadoop file system."""
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(uri)
    fs = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    stream = fs.create(path, True)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()
