"""`bztoken hub export|match|import`: the provincial hub (host_tools.hub)."""

import argparse
import json
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("hub", help="provincial hub: export pseudonymous logs, match them on Spark/DuckDB, import")
    hs = p.add_subparsers(dest="hub_cmd", required=True, metavar="{export,match,import}")

    ex = hs.add_parser("export", help="write the encounters pulled since the last export as Parquet for the hub")
    ex.add_argument("--db", type=Path, default=None, help="station database (default: $BZTOKEN_DB or the data dir)")
    ex.add_argument("--passphrase-file", help="the registry passphrase (default: $BZTOKEN_PASSPHRASE)")
    ex.add_argument("--out", required=True, metavar="DIR", help="the export folder (day=.../station=.../)")
    ex.add_argument("--station", metavar="CODE", help="this station's code in the hub (given once, remembered)")
    ex.add_argument("--json", action="store_true", help="one JSON object on stdout")
    ex.set_defaults(func=cmd_export)

    m = hs.add_parser("match", help="match every station's exported logs against exposure lists")
    m.add_argument("--logs", required=True, metavar="URI", help="logs dataset: a folder, hdfs://... or s3a://...")
    m.add_argument("--exposures", nargs="+", required=True, metavar="FILE", help="exposure lists (as bztoken match)")
    m.add_argument("--out", required=True, metavar="URI", help="results folder (results/ and summary.json)")
    m.add_argument("--engine", choices=("spark", "duckdb"), default="spark",
                   help="spark (default; local[*] unless --master) or duckdb (one machine)")
    m.add_argument("--master", metavar="M", help="Spark master (local[N], yarn, k8s://..., spark://...)")
    m.add_argument("--mode", choices=("both", "scored", "strict"), default="both",
                   help="the station's rules to apply (default both; a station imports the scored ones)")
    m.add_argument("--days", type=int, default=14, help="days covered by an InfoF object (default 14)")
    m.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE", help="a Spark setting (repeatable)")
    t = m.add_argument_group("scored mode (as bztoken match; printed in the summary)")
    t.add_argument("--tolerance-s", type=int, default=30, help="slot-edge tolerance for clock error (default 30)")
    t.add_argument("--near-min", type=float, default=None, metavar="MIN",
                   help="flag a contact at or above this many estimated near-minutes (default: the station's, 15)")
    t.add_argument("--sender-kind", choices=("token", "android", "ios"), default="token",
                   help="device kind of the positives whose keys are matched (default token)")
    m.add_argument("--json", action="store_true", help="the summary as JSON on stdout")
    m.set_defaults(func=cmd_match)

    im = hs.add_parser("import", help="flag this station's wearers from the hub's results")
    im.add_argument("results", metavar="RESULTS", help="the folder bztoken hub match wrote (--out)")
    im.add_argument("--db", type=Path, default=None, help="station database (default: $BZTOKEN_DB or the data dir)")
    im.add_argument("--passphrase-file", help="the registry passphrase (default: $BZTOKEN_PASSPHRASE)")
    im.add_argument("--json", action="store_true", help="one JSON object on stdout")
    im.set_defaults(func=cmd_import)


def _db(args) -> Path:
    from host_tools import paths

    return args.db or paths.default_db()


def cmd_export(args: argparse.Namespace) -> int:
    from host_tools.errors import UsageError
    from host_tools.hub import export
    from provisioning.secrets import passphrase_from

    db = _db(args)
    if not Path(db).is_file():
        raise UsageError(f"{db}: no such station database")
    res = export.export(db, args.out, passphrase_from(args.passphrase_file), station=args.station)
    if args.json:
        print(json.dumps(res))
    elif not res["rows"] and not res.get("pulls"):
        print(f"station {res['station']}: nothing new to export")
    else:
        print(f"station {res['station']}: {res['rows']} encounters of pulls {res['pulls'][0]}-{res['pulls'][1]} in "
              f"{len(res['files'])} files under {res['out']} (manifest {res['manifest']})"
              + (f"; {res['skipped_rows']} rows of tokens without a secret here not sent" if res["skipped_rows"]
                 else ""))
    return 0


def cmd_match(args: argparse.Namespace) -> int:
    from host_tools.errors import UsageError
    from host_tools.hub import results

    conf = {}
    for kv in args.conf:
        k, sep, v = kv.partition("=")
        if not sep or not k:
            raise UsageError(f"--conf {kv!r}: expected KEY=VALUE")
        conf[k] = v
    if args.engine == "duckdb" and (args.master or conf):
        raise UsageError("--master and --conf are Spark settings", hint="drop them, or use --engine spark")
    from host_tools.match import scoring

    th = scoring.Thresholds(args.tolerance_s, scoring.DEFAULT_NEAR_MIN if args.near_min is None else args.near_min,
                            args.sender_kind)
    s = results.match(args.logs, args.exposures, args.out, engine=args.engine, master=args.master, mode=args.mode,
                      days=args.days, spark_conf=conf, thresholds=th)
    if args.json:
        print(json.dumps(s))
        return 0
    logs = s["logs"]
    print(f"hub run {s['run_id']} on {s['engine']}" + (f" ({s['master']})" if s.get("master") else "")
          + f": {s['exposures']['entries']} entries, {s['exposures']['key_days']} key-days against "
          + (f"{logs['rows']} rows from {len(logs['stations'])} stations" if "rows" in logs else logs["uri"])
          + f" in {s['stats']['wall_s']} s")
    if "matches" in s:
        for mode in s["modes"]:
            print(f"  {mode}: {s['matches'].get(mode, 0)} matching slots"
                  + (f", {s['exposures_found'].get(mode, 0)} exposures" if mode == "scored" else ""))
        for st, c in sorted(s["by_station"].items()):
            print(f"  station {st}: " + ", ".join(f"{m} {n}" for m, n in sorted(c.items())))
    print(f"results in {args.out}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from host_tools.errors import UsageError
    from host_tools.hub import results
    from provisioning.secrets import passphrase_from

    db = _db(args)
    if not Path(db).is_file():
        raise UsageError(f"{db}: no such station database")
    res = results.import_results(args.results, db, passphrase_from(args.passphrase_file))
    if args.json:
        print(json.dumps(res))
        return 0
    print(f"hub run {res['run_id']}: {res['flagged']} exposures flagged for {res['wearers']} wearers of this station;"
          f" ignored: {res['other_stations_pseudonyms']} pseudonyms of other stations' tokens, "
          f"{res['tokens_without_wearer_here']} tokens with no wearer here")
    return 0
