"""`bztoken export-keys`: a positive wearer's daily keys as Bluezone push entries (diagnosis export).

The token hands its keys over only after authentication and a press of its button; the output is
`{"data": [{"daily_key", "time_start", "max", "time_end"}, ...]}`, one entry per day, which Bluezone phones'
matcher and `bztoken match --exposures` both accept.
"""

import argparse
import json
import sys

from host_tools import paths
from host_tools.errors import BzError, UsageError
from host_tools.timeutil import parse_day_s

MAX_DAYS = 21  # the token keeps its keys for 21 days


def register(sub: argparse._SubParsersAction) -> None:
    from host_tools.commands.sync import _port_args, _secret_args

    p = sub.add_parser("export-keys", help="a positive wearer's token keys as Bluezone F0 push entries")
    _port_args(p)
    _secret_args(p)
    p.add_argument("--from", dest="day_from", required=True, metavar="DATE", help="first day, YYYY-MM-DD (UTC)")
    p.add_argument("--to", dest="day_to", required=True, metavar="DATE", help="last day, YYYY-MM-DD (UTC)")
    p.add_argument("--out", metavar="FILE", help="write the entries here (atomically) instead of stdout")
    p.add_argument("--button-wait", dest="button_wait", type=float, default=30.0, metavar="S",
                   help="seconds to wait for the wearer to press the token's button (default 30)")
    p.add_argument("--wait", dest="button_wait", type=float, help=argparse.SUPPRESS)  # old name of --button-wait
    p.set_defaults(func=cmd_export_keys)


def cmd_export_keys(args: argparse.Namespace) -> int:
    from host_tools.commands.sync import _client, secret_lookup
    from host_tools.match.exposures import keys_to_push_entries

    d0 = parse_day_s(args.day_from, "--from") // 86400
    d1 = parse_day_s(args.day_to, "--to") // 86400
    if d1 < d0:
        raise UsageError(f"--to {args.day_to} is before --from {args.day_from}")
    if d1 - d0 + 1 > MAX_DAYS:
        raise UsageError(f"{d1 - d0 + 1} days asked; a token keeps {MAX_DAYS} days of keys")
    lookup = secret_lookup(args, args.db or paths.default_db())
    client = _client(args)
    try:
        info = client.hello()
        if not info.get("provisioned"):
            raise UsageError("the token is not provisioned: it has no keys to export")
        client.auth(lookup(info.get("token_id", "")))
        print("press the token's button to release its keys", file=sys.stderr)
        keys = client.keys(d0, d1, wait_s=args.button_wait)
        client.bye()
    finally:
        client.t.close()
    keys = [(d, k) for d, k in keys if d0 <= d <= d1]
    if not keys:
        raise BzError(f"the token holds no keys from {args.day_from} to {args.day_to}")
    doc = keys_to_push_entries(keys)
    text = json.dumps(doc, indent=1) + "\n"
    if args.out:
        from host_tools.match.export import atomic_write_text

        atomic_write_text(args.out, text)
        if args.json:
            print(json.dumps({"token_id": info.get("token_id"), "days": len(doc["data"]), "out": args.out}))
        else:
            print(f"{len(doc['data'])} days of keys of token {info.get('token_id')} written to {args.out}",
                  file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
