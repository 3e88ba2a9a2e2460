"""`bztoken scan`: tokens in BLE sync mode nearby (a wearer held the button), strongest signal first.

  bztoken scan [--seconds S] [--json]

Then `bztoken pull --ble ADDRESS` (or status/time --ble). Tokens outside sync mode are not listed: they send
only the Bluezone packet, like a phone, and accept no connection."""

import argparse
import json

from host_tools.errors import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scan", help="list tokens in BLE sync mode nearby, with their signal strength")
    p.add_argument("--seconds", type=float, default=5.0, help="how long to listen (default 5)")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(func=cmd_scan)


def cmd_scan(args: argparse.Namespace) -> int:
    from host_tools.ble.scan import scan_tokens

    if not 0 < args.seconds <= 600:
        raise UsageError(f"--seconds must be in 0..600, got {args.seconds:g}")
    found = scan_tokens(args.seconds)
    if args.json:
        print(json.dumps({"tokens": found, "seconds": args.seconds}, sort_keys=True))
        return 0
    if not found:
        print(f"no token in sync mode heard in {args.seconds:g} s "
              "(hold a token's button until its LED stays on, then scan again)")
        return 0
    print(f"{'ADDRESS':17}  {'RSSI':>5}  {'MAX':>5}  {'ADVERTS':>7}  BLUEZONE ID")
    for t in found:
        bz = (t["bluezone_id"][:6] + "***") if t["bluezone_id"] else "(clock not set)"
        print(f"{t['address']:17}  {t['rssi']:>5}  {t['rssi_max']:>5}  {t['seen']:>7}  {bz}")
    return 0
