"""`bztoken match`: F0 exposure entries against token logs (station database) and phone exports."""

import argparse
import json
import os
import time

from host_tools import progress
from host_tools.errors import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("match", help="match Bluezone F0 exposure entries against contact logs")
    p.add_argument("--exposures", nargs="+", metavar="FILE",
                   help="push payloads {data: [...]}, InfoF objects, or bztoken export-keys files")
    p.add_argument("--rematch", action="store_true",
                   help="with --db: match every list the station imported against every stored log again, from "
                        "nothing, and refresh the station's matches (the station does this incrementally by itself)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--log", nargs="+", metavar="FILE",
                     help="Bluezone data_trace.txt exports or bztoken export-log files (JSON/CSV)")
    src.add_argument("--db", metavar="PATH", help="the station database (every pulled token, or --token)")
    p.add_argument("--token", metavar="ID", help="with --db: only this token's log")
    p.add_argument("--mode", choices=("strict", "scored"), default="scored",
                   help="strict: the Bluezone phones' rule; scored (default): estimated near-minutes, one threshold")
    p.add_argument("--days", type=int, default=14, help="days covered by an InfoF object (default 14)")
    p.add_argument("--jobs", type=int, default=0, metavar="N",
                   help="derive IDs on N threads (default 0: one per core)")
    p.add_argument("--max-ids", type=int, default=20_000_000, metavar="N",
                   help="derived IDs held at once (about 25 bytes each; default 20,000,000); a longer exposure "
                        "list is matched in chunks, reading every log once per chunk")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    t = p.add_argument_group("scored mode (printed in every report)")
    t.add_argument("--tolerance-s", type=int, default=30, help="slot-edge tolerance for clock error (default 30)")
    t.add_argument("--near-min", type=float, default=None, metavar="MIN",
                   help="flag a contact at or above this many estimated minutes within about 2 m (default "
                        "15: Bluezone's criterion; the trade-off: bztoken sim)")
    t.add_argument("--sender-kind", choices=("token", "android", "ios"), default="token",
                   help="device kind of the positives whose keys are matched (default token)")
    p.set_defaults(func=cmd_match)


def cmd_match(args: argparse.Namespace) -> int:
    from host_tools.match import engine, exposures, logs, report

    if args.max_ids < 100_000:
        raise UsageError(f"--max-ids {args.max_ids} is too small (at least 100,000)")
    if args.token and not args.db:
        raise UsageError("--token goes with --db")
    if args.rematch:
        if not args.db or args.exposures or args.token:
            raise UsageError("--rematch goes with --db alone (the station's own lists are matched)")
        from host_tools.match.logs import _check_db
        from host_tools.station import matcher

        _check_db(args.db)
        res = matcher.match_all(args.db)
        print(json.dumps(res) if args.json else
              f"{res['lists']} list(s) matched against {res['pulls']} pull(s): {res['matches']} match(es), "
              f"{res['seconds']} s")
        return 0
    if not args.exposures:
        raise UsageError("--exposures FILE... is needed", hint="or --db PATH --rematch for the station's own lists")
    if args.jobs < 0:
        raise UsageError(f"--jobs {args.jobs}: give a number of threads, or 0 for one per core")
    jobs = args.jobs if args.jobs > 0 else len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") \
        else (os.cpu_count() or 1)
    from host_tools.match import calibration, scoring

    th = scoring.Thresholds(args.tolerance_s, scoring.DEFAULT_NEAR_MIN if args.near_min is None else args.near_min,
                            args.sender_kind)
    # Every exposure file is decoded and checked whole before any log is opened: nothing is matched from a
    # file that is not valid.
    # The usual list's IDs are derived while it is checked (engine.Prederive), and used only once it is valid.
    t0 = time.perf_counter()
    ahead = engine.Prederive(jobs, args.max_ids)
    ex = exposures.read_exposures(args.exposures, days=args.days, keys_ready=ahead)
    parse_s = time.perf_counter() - t0
    sources = logs.db_logs(args.db, args.token) if args.db else logs.file_sources(args.log)
    # a token's jig offset (bztoken calibrate) and registered profile say how its log is read
    offs = calibration.offsets(args.db) if args.db else {}
    profs = calibration.token_profiles(args.db) if args.db else {}
    res = engine.run_match(ex, sources, mode=args.mode,
                           thresholds=th, jobs=jobs, max_ids=args.max_ids, progress=progress.for_cli(args.json),
                           receiver_of=lambda info: scoring.Receiver.from_info(info, offs, profs), ahead=ahead)
    res.stats["parse_s"] = round(parse_s, 3)
    res.stats["derived_while_parsing"] = ahead.future is not None  # derive_s: then what was left of it
    if args.json:
        print(json.dumps(res.to_json()))
    else:
        print(report.text(res))
    return 0
