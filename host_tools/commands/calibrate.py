"""`bztoken calibrate`: the provisioning jig step: a token's RSSI offset from a reference advertiser at 1 m.

On the jig the token under test lies 1 m from the station's reference advertiser (which sends the fixed jig ID,
host_tools.match.calibration.JIG_REFERENCE_ID) for N seconds; the station then pulls the token (`bztoken sync`)
and runs this step, which compares what the token logged with what the calibration table says a token reads at
1 m, and stores the difference. `bztoken match --db` adds it to that token's RSSI when it scores its log.
"""

import argparse
import json
import time

from host_tools import paths
from host_tools.errors import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("calibrate", help="jig step: measure and store a token's RSSI offset (reference at 1 m)")
    p.add_argument("--db", metavar="PATH", help="station database (default: BZTOKEN_DB or the user data folder)")
    p.add_argument("--token", metavar="ID", help="the token on the jig (pulled after its N seconds there)")
    p.add_argument("--seconds", type=float, default=120.0, metavar="N",
                   help="how long it lay on the jig before the pull: records of the reference in the last N "
                        "seconds before now count (default 120)")
    p.add_argument("--reference-id", metavar="HEX", help="the reference's 12-byte ID (default: the jig ID)")
    p.add_argument("--reference-kind", choices=("token", "android", "ios"), default="token",
                   help="kind of the reference advertiser, a row of the calibration table (default token)")
    p.add_argument("--min-count", type=int, default=None, metavar="K",
                   help="sightings of the reference needed (default 20)")
    p.add_argument("--dry-run", action="store_true", help="measure and print, store nothing")
    p.add_argument("--list", action="store_true", help="list the stored offsets")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(func=cmd_calibrate)


def cmd_calibrate(args: argparse.Namespace) -> int:
    from host_tools.match import calibration

    db = args.db or str(paths.default_db())
    if args.list:
        offs = calibration.offsets(db)
        if args.json:
            print(json.dumps({"offsets_db": offs}))
        else:
            for t, o in sorted(offs.items()):
                print(f"{t:<32} {o:+.1f} dB")
            if not offs:
                print("no token calibrated yet")
        return 0
    if not args.token:
        raise UsageError("--token is needed", hint="the token that lay on the jig; or --list")
    if not 0 < args.seconds <= 86_400:
        raise UsageError(f"--seconds {args.seconds:g} must be above 0 and at most a day")
    ref = calibration.JIG_REFERENCE_ID
    if args.reference_id:
        try:
            ref = bytes.fromhex(args.reference_id)
        except ValueError:
            raise UsageError(f"--reference-id {args.reference_id!r} is not hex") from None
        if len(ref) != 12:
            raise UsageError(f"--reference-id must be 12 bytes, got {len(ref)}")
    min_count = calibration.JIG_MIN_COUNT if args.min_count is None else args.min_count
    if min_count < 1:
        raise UsageError("--min-count must be at least 1")
    now = int(time.time() * 1000)
    res = calibration.measure(db, args.token, now - int(args.seconds * 1000), ref, args.reference_kind,
                              min_count, now_ms=now)
    if not args.dry_run:
        calibration.store(db, res)
    if args.json:
        print(json.dumps({**res.to_json(), "stored": not args.dry_run}))
    else:
        print(f"token {res.token_id}: reads the 1 m reference at {res.measured_dbm:.1f} dBm "
              f"({res.sightings} sightings over {res.seconds:.0f} s), expected {res.expected_dbm:.1f} dBm: "
              f"offset {res.offset_db:+.1f} dB" + (" (not stored: --dry-run)" if args.dry_run else " stored"))
    return 0
