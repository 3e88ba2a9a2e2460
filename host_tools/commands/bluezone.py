"""`bztoken bluezone ...`: Bluezone v2 IDs and adverts, for engineers checking interoperability."""

import argparse
import json

from bzfw import adv, ids
from host_tools.errors import UsageError
from host_tools.hexutil import hexu, parse_hex
from host_tools.timeutil import parse_day_s, parse_time_ms


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bluezone", help="Bluezone v2 IDs and advertisements (interoperability checks)")
    bsub = p.add_subparsers(dest="bluezone_cmd", required=True, metavar="{id,adv,parse}")

    pid = bsub.add_parser("id", help="the rolling ID at a time, from a base key (phones) or a daily key (tokens)")
    key = pid.add_mutually_exclusive_group(required=True)
    key.add_argument("--base-key", metavar="HEX", help="a phone's 32-byte base key K0")
    key.add_argument("--daily-key", metavar="HEX", help="the 32-byte daily key of the day of --at")
    pid.add_argument("--base-day", metavar="YYYY-MM-DD", help="the phone's install day (with --base-key)")
    pid.add_argument("--at", required=True, metavar="TIME", help="ISO-8601 UTC (…Z) or unix milliseconds")
    pid.set_defaults(func=cmd_id)

    padv = bsub.add_parser("adv", help="the advertising payload a token sends for an ID, as hex")
    padv.add_argument("--id", required=True, metavar="HEX", help="12-byte ID")
    padv.set_defaults(func=cmd_adv)

    pparse = bsub.add_parser("parse", help="classify raw advertising data given as hex")
    pparse.add_argument("hex", metavar="HEX", help="advertising data (AD structures) as hex")
    pparse.add_argument("--json", action="store_true", help="one JSON object on stdout")
    pparse.set_defaults(func=cmd_parse)


def cmd_id(args: argparse.Namespace) -> int:
    ts = parse_time_ms(args.at, "--at")
    if args.base_key is not None:
        if args.base_day is None:
            raise UsageError("--base-key needs --base-day", hint="the phone's install day, YYYY-MM-DD")
        k0 = parse_hex(args.base_key, "--base-key", ids.KEY_LEN)
        day0 = parse_day_s(args.base_day, "--base-day")
        if ts < day0 * 1000:
            raise UsageError(f"--at is before the base day {args.base_day}")
        bz = ids.chain_id_at(k0, day0, ts)
    else:
        if args.base_day is not None:
            raise UsageError("--base-day goes with --base-key, not --daily-key")
        bz = ids.daily_id_at(parse_hex(args.daily_key, "--daily-key", ids.KEY_LEN), ts)
    print(hexu(bz))
    return 0


def cmd_adv(args: argparse.Namespace) -> int:
    print(hexu(adv.build(parse_hex(args.id, "--id", ids.ID_LEN))))
    return 0


def cmd_parse(args: argparse.Namespace) -> int:
    data = parse_hex(args.hex, "advert")
    kind, bz = adv.parse(data)
    name = adv.KIND_NAMES[kind]
    if args.json:
        print(json.dumps({"kind": name, "id": hexu(bz) if bz else None}))
    elif name is None:
        print("not Bluezone")
    elif bz is not None:
        print(f"{name} {hexu(bz)}")
    else:
        print(name)
    return 0
