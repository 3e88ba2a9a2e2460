"""`bztoken hub match` (the run, whichever engine) and `bztoken hub import` (the results back at a station).

Results: `OUT/results/record=match|exposure/*.parquet` (columns host_tools.hub.schema.RESULT_COLUMNS: one row
per matching slot, and per scored exposure, per pseudonym) and `OUT/summary.json` (what was matched, with what
rule and thresholds, and the counts per mode and per station). A local OUT is replaced only once the run has
finished (written beside it, then renamed): a failed run leaves the previous results whole.
"""

import json
import shutil
import time
import uuid
from dataclasses import asdict
from pathlib import Path

from host_tools.errors import UsageError
from host_tools.hub import dataset, schema
from host_tools.match import exposures, scoring

ENGINES = ("spark", "duckdb")
MODES = {"scored": ("scored",), "strict": ("strict",), "both": ("strict", "scored")}


def _count_local(results_dir: Path) -> tuple[dict, dict, int]:
    import duckdb

    files = sorted(str(p) for p in results_dir.rglob("*.parquet") if not p.name.startswith((".", "_")))
    counts: dict = {"match": {}, "exposure": {}}
    by_station: dict = {}
    names: set = set()
    if not files:
        return counts, by_station, 0
    con = duckdb.connect()
    try:
        rows = con.execute("SELECT record, mode, stations, pseudonym FROM read_parquet(?, hive_partitioning = true,"
                           " hive_types_autocast = false)", [files]).fetchall()
    finally:
        con.close()
    for record, mode, stations, name in rows:
        counts[record][mode] = counts[record].get(mode, 0) + 1
        names.add(name)
        if record == "match":
            for st in stations.split(","):
                by_station.setdefault(st, {}).setdefault(mode, 0)
                by_station[st][mode] += 1
    return counts, by_station, len(names)


def _write_results_local(table, results_dir: Path) -> None:
    import pyarrow.parquet as pq

    for record in ("match", "exposure"):
        part = results_dir / f"record={record}"
        part.mkdir(parents=True, exist_ok=True)
        mask = [r == record for r in table.column("record").to_pylist()]
        sub = table.filter(mask).drop_columns(["record"]) if table.num_rows else table.drop_columns(["record"])
        pq.write_table(sub, part / "part-0.parquet")


def match(logs_uri: str, exposure_files: list[str], out_uri: str, engine: str = "spark", master: str | None = None,
          mode: str = "both", days: int = exposures.DEFAULT_INFOF_DAYS, spark_conf: dict | None = None,
          threads: int | None = None, spark=None, thresholds: scoring.Thresholds | None = None) -> dict:
    """Run the hub's match; returns the summary (also written to OUT/summary.json)."""
    if engine not in ENGINES:
        raise UsageError(f"--engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if mode not in MODES:
        raise UsageError(f"--mode must be one of {', '.join(MODES)}, got {mode!r}")
    remote_out = dataset.is_remote(out_uri)
    if engine == "duckdb" and (dataset.is_remote(logs_uri) or remote_out):
        raise UsageError("the DuckDB engine reads and writes local folders", hint="use --engine spark for "
                         "hdfs:// or s3a:// URIs")
    try:  # the hub's side needs Arrow (the [hub] extra); a station's export and import do not
        from host_tools.hub import keydays
        from host_tools.hub.score import Scorer, score_all
    except ImportError as e:
        raise UsageError(f"bztoken hub match needs the [hub] extra ({e.name} is missing)",
                         hint="pip install 'bztoken[hub]'") from None
    t0 = time.perf_counter()
    entries = list(exposures.read_entries(exposure_files, days=days))  # every entry checked before any work
    kd, n_entries = keydays.keyday_table(entries)
    day_span = keydays.day_range(kd)
    th = thresholds or scoring.Thresholds()
    th.check()
    tol_ms = th.tolerance_s * 1000
    scorer = Scorer(entries, MODES[mode], th)
    logs_info: dict = {"uri": logs_uri, "days": list(day_span) if day_span else None}
    files: list[str] = []
    if not dataset.is_remote(logs_uri):
        ds = dataset.check(logs_uri, day_span)
        files = [f[2] for f in ds.files]
        logs_info.update(files=len(files), rows=ds.rows, stations=ds.stations, manifests=ds.manifests)
    run_id = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + uuid.uuid4().hex[:6]
    out_local = None if remote_out else dataset.local_path(out_uri)
    if out_local is not None:
        try:
            out_local.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise UsageError(f"{out_uri}: cannot write there: {e.strerror}") from None
        staging = out_local / f"_results-{run_id}"
        results_uri = str(staging)
    else:
        results_uri = out_uri.rstrip("/") + "/" + schema.RESULTS_DIR
    n_ids = 0
    t_join = time.perf_counter()
    try:
        if engine == "duckdb":
            from host_tools.hub import duckdb_engine

            ids = keydays.id_table(kd)
            n_ids = ids.num_rows
            joined = duckdb_engine.join(files, kd, ids, tol_ms, day_span, threads=threads) if files else None
            table = score_all(scorer, joined) if joined is not None else scorer(_empty_joined())
            assert out_local is not None
            _write_results_local(table, staging)
        else:
            from host_tools.hub import spark_engine

            spark = spark or spark_engine.session(master, spark_conf)
            if not files and not dataset.is_remote(logs_uri):
                _write_results_local(scorer(_empty_joined()), staging)
            else:
                spark_engine.run(spark, logs_uri if not files else str(dataset.local_path(logs_uri).resolve()),
                                 kd, day_span, scorer, results_uri, tol_ms)
        if out_local is not None:
            final = out_local / schema.RESULTS_DIR
            old = out_local / f"_old-{run_id}"
            if final.exists():
                final.rename(old)
            staging.rename(final)
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        if out_local is not None:
            shutil.rmtree(out_local / f"_results-{run_id}", ignore_errors=True)
        raise
    wall = time.perf_counter() - t0
    summary = {"format": schema.RESULTS_FORMAT, "version": schema.VERSION, "run_id": run_id, "engine": engine,
               "master": (spark.sparkContext.master if engine == "spark" and spark is not None else None),
               "modes": list(MODES[mode]), "thresholds": asdict(th),
               "exposures": {"files": [Path(f).name for f in exposure_files], "entries": n_entries,
                             "key_days": kd.num_rows, "ids": n_ids or None},
               "logs": logs_info, "stats": {"wall_s": round(wall, 3), "job_s": round(time.perf_counter() - t_join, 3)}}
    if out_local is not None:
        counts, by_station, pseudonyms = _count_local(out_local / schema.RESULTS_DIR)
        summary.update(matches=counts["match"], exposures_found=counts["exposure"], pseudonyms=pseudonyms,
                       by_station=by_station)
        tmp = out_local / ("." + schema.SUMMARY_FILE + ".part")
        tmp.write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        tmp.replace(out_local / schema.SUMMARY_FILE)
    else:
        from host_tools.hub import spark_engine

        spark_engine.write_text(spark, out_uri.rstrip("/") + "/" + schema.SUMMARY_FILE,
                                json.dumps(summary, indent=1, sort_keys=True) + "\n")
    return summary


def _empty_joined():
    import pyarrow as pa

    from host_tools.match import query

    types = {"log": pa.string(), "is_strict": pa.bool_(), "cid_lo": pa.int32()}
    return pa.table({c: pa.array([], types.get(c, pa.int64())) for c in query.RESULT_COLUMNS})


# -- back at the station ---------------------------------------------------------------------------------------

IMPORT_SCHEMA = """
CREATE TABLE IF NOT EXISTS hub_imports (
  id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, run_id TEXT NOT NULL, flagged INTEGER NOT NULL,
  wearers INTEGER NOT NULL, not_ours INTEGER NOT NULL, no_wearer_here INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS hub_matches (   -- the last import's rows, kept apart from the local matches
  id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, token_id TEXT NOT NULL, wearer_id INTEGER, risk TEXT NOT NULL,
  proximity TEXT NOT NULL, first_seen_ms INTEGER NOT NULL, last_seen_ms INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL, rssi_mean INTEGER, list_name TEXT NOT NULL, stations TEXT NOT NULL);
-- The station's own re-match replaces station_matches wholesale; the hub's rows (list_name 'hub RUN: LIST') stay
-- until the next hub import replaces them, which it says by setting hub_state 'replacing' in its transaction.
CREATE TABLE IF NOT EXISTS hub_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS station_matches_keep_hub BEFORE DELETE ON station_matches
  WHEN old.list_name LIKE 'hub %' AND NOT EXISTS (SELECT 1 FROM hub_state WHERE key = 'replacing')
  BEGIN SELECT RAISE(IGNORE); END;
"""
HUB_LIST_PREFIX = "hub "


def read_results(uri: str) -> tuple[dict, list[dict]]:
    """(summary, scored exposure rows) of a local results folder, checked."""
    import duckdb

    root = dataset.local_path(uri)
    sp = root / schema.SUMMARY_FILE
    try:
        summary = json.loads(sp.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{uri}: no {schema.SUMMARY_FILE}: not the output of bztoken hub match") from None
    except (ValueError, OSError) as e:
        raise UsageError(f"{sp}: malformed summary: {e}") from None
    if not isinstance(summary, dict) or summary.get("format") != schema.RESULTS_FORMAT:
        raise UsageError(f"{sp}: not a bztoken hub results summary")
    if "scored" not in summary.get("modes", []):
        raise UsageError(f"{uri}: strict-only results: a station flags wearers from scored matches",
                         hint="run bztoken hub match with --mode scored or both")
    part = root / schema.RESULTS_DIR / "record=exposure"
    files = sorted(str(p) for p in part.glob("*.parquet")) if part.is_dir() else []
    if not files:
        raise UsageError(f"{uri}: missing partition {schema.RESULTS_DIR}/record=exposure")
    con = duckdb.connect()
    try:
        cur = con.execute("SELECT * FROM read_parquet(?, hive_partitioning = false) WHERE mode = 'scored'"
                          " ORDER BY pseudonym, entry", [files])
        cols = [d[0] for d in cur.description]
        rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    except duckdb.Error as e:
        raise UsageError(f"{part}: malformed Parquet file: {(str(e).splitlines() or ['?'])[0][:300]}") from None
    finally:
        con.close()
    missing = [c for c in schema.RESULT_COLUMN_NAMES if c != "record" and c not in cols]
    if missing:
        raise UsageError(f"{part}: malformed results: no column {missing[0]}")
    for r in rows:
        try:
            r["detail"] = json.loads(r["detail"])
        except (TypeError, ValueError):
            raise UsageError(f"{part}: malformed results: a detail is not JSON") from None
    return summary, rows


def import_results(uri: str, db_path: str | Path, passphrase: str | bytes) -> dict:
    """Flag this station's wearers from the hub's scored exposures, as a local match does (station_matches),
    the list shown as `hub RUN: LIST`. Rows of pseudonyms that are not this station's tokens are counted and
    ignored; so are those of tokens registered here without a wearer (visiting tokens: their home flags them)."""
    from host_tools.hub import pseudonym
    from host_tools.station import store
    from provisioning.registry import Registry

    summary, rows = read_results(uri)  # everything checked before the database is touched
    reg = Registry(db_path, passphrase)
    try:
        names = pseudonym.station_map(reg)
        owners = {t["token_id"]: t["wearer_id"] for t in reg.tokens()}
    finally:
        reg.close()
    store.init(db_path)
    wearer_at = store.wearer_at(db_path, owners)
    run = summary.get("run_id", "?")
    near_threshold = (summary.get("thresholds") or {}).get("near_min")  # the hub run's rule, shown with each flag
    out, not_ours, no_wearer = [], set(), set()
    for r in rows:
        tid = names.get(r["pseudonym"])
        if tid is None:
            not_ours.add(r["pseudonym"])
            continue
        d = r["detail"]
        wid = wearer_at(tid, d["first_seen_ms"])
        if wid is None:
            no_wearer.add(tid)
            continue
        out.append({"token_id": tid, "wearer_id": wid, "risk": d["risk"], "proximity": d["proximity"],
                    "first_seen_ms": d["first_seen_ms"], "last_seen_ms": d["last_seen_ms"],
                    "duration_ms": d["duration_ms"], "rssi_mean": d.get("rssi_mean"),
                    "list_name": f"{HUB_LIST_PREFIX}{run}: {r['list']}", "stations": r["stations"] or "",
                    "near_min": d.get("near_min"), "near_threshold": near_threshold, "buckets_s": d.get("buckets_s")})
    con = store.connect(db_path)
    try:
        con.executescript(IMPORT_SCHEMA)
        with store.transaction(con):
            con.execute("INSERT OR REPLACE INTO hub_state VALUES ('replacing', '1')")
            con.execute("DELETE FROM station_matches WHERE list_name LIKE ?", (HUB_LIST_PREFIX + "%",))
            con.execute("DELETE FROM hub_state WHERE key = 'replacing'")
            con.execute("DELETE FROM hub_matches")
            now = store.now_ms()
            store.insert_matches(con, out, now)
            con.executemany(
                "INSERT INTO hub_matches (run_id, token_id, wearer_id, risk, proximity, first_seen_ms,"
                " last_seen_ms, duration_ms, rssi_mean, list_name, stations) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [(run, r["token_id"], r["wearer_id"], r["risk"], r["proximity"], r["first_seen_ms"],
                  r["last_seen_ms"], r["duration_ms"], r["rssi_mean"], r["list_name"], r["stations"]) for r in out])
            wearers = len({r["wearer_id"] for r in out})
            con.execute("INSERT INTO hub_imports (at_ms, run_id, flagged, wearers, not_ours, no_wearer_here)"
                        " VALUES (?,?,?,?,?,?)", (now, run, len(out), wearers, len(not_ours), len(no_wearer)))
    finally:
        con.close()
    store.audit(db_path, "hub", "hub_import", run, flagged=len(out), wearers=wearers,
                other_stations=len(not_ours), no_wearer_here=len(no_wearer))
    return {"run_id": run, "flagged": len(out), "wearers": wearers, "other_stations_pseudonyms": len(not_ours),
            "tokens_without_wearer_here": len(no_wearer), "matches": out}
