"""`bztoken demo`: what a token does, in one screen, with no hardware attached.

Draws a fresh daily key (as a token does each UTC day), shows the first IDs of today, the current
slot's advert and that advert parsed back. The simulator issue replaces this with a whole community.
"""

import argparse
import os
import time

from bzfw import adv, ids
from host_tools.hexutil import hexu
from host_tools.timeutil import iso_ms


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="show a virtual token's IDs and advert (no hardware needed)")
    p.add_argument("--at", type=int, default=None, metavar="UNIX_MS", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    now = args.at if args.at is not None else int(time.time() * 1000)
    key = os.urandom(ids.KEY_LEN)
    day_ids = ids.day_ids(key)
    slot = ids.slot_of(now)
    day_start = now - now % ids.DAY_MS
    print(f"Virtual token, {iso_ms(now)}")
    print("Today's daily key: drawn fresh (kept on the token only, never shown by a real tool)")
    print("First IDs of today (UTC slots of 15 minutes):")
    for i in range(4):
        print(f"  slot {i:2d}  {iso_ms(day_start + i * ids.SLOT_MS)}  {hexu(day_ids[i])}")
    cur = day_ids[slot]
    payload = adv.build(cur)
    kind, parsed = adv.parse(payload)
    print(f"Current slot {slot}: ID {hexu(cur)}")
    print(f"Advert ({len(payload)} bytes): {hexu(payload)}")
    print(f"Parsed back: {adv.KIND_NAMES[kind]} {hexu(parsed) if parsed else '-'}")
    if parsed != cur:
        print("MISMATCH: the parser did not return the advertised ID")
        return 1
    return 0
