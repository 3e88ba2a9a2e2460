"""`bztoken ble-sync`: a station command that turns a token's BLE sync mode on or off (authenticated).

  bztoken ble-sync (--port PORT | --ble ADDRESS) [--seconds N | --off] [--secret-file F | registry options]

On: the token advertises connectably, with the sync service in its scan response, for N seconds (extended by
every request a station makes; a long press of the button does the same). Off: it stops being connectable at
once (a station connected over BLE keeps its link until it disconnects). A station ends sync mode with --off
after a BLE pull so the token does not wait out the timeout."""

import argparse
import json

from host_tools import paths
from host_tools.errors import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    from host_tools.commands.sync import _port_args, _secret_args

    p = sub.add_parser("ble-sync", help="turn a token's BLE sync mode on (for --seconds) or --off")
    _port_args(p)
    _secret_args(p)
    p.add_argument("--seconds", type=float, default=120.0, help="how long it stays in sync mode (default 120)")
    p.add_argument("--off", action="store_true", help="end BLE sync mode now")
    p.set_defaults(func=cmd_ble_sync)


def cmd_ble_sync(args: argparse.Namespace) -> int:
    from bzfw import wire
    from host_tools.commands.sync import _client, secret_lookup

    ms = 0 if args.off else int(args.seconds * 1000)
    if not args.off and not 1 <= args.seconds <= 3600:
        raise UsageError(f"--seconds must be in 1..3600, got {args.seconds:g}")
    lookup = secret_lookup(args, args.db or paths.default_db())
    client = _client(args)
    try:
        info = client.hello()
        client.auth(lookup(info["token_id"]))
        granted = wire.unpack_u32(client.request(wire.BLE_SYNC, wire.pack_u32(ms)).payload)
        client.bye()
    finally:
        client.t.close()
    if ms and not granted:
        raise UsageError(f"token {info['token_id']} cannot do BLE sync (its radio has no GATT server)")
    r = {"token_id": info["token_id"], "ble_sync_ms": granted}
    if args.json:
        print(json.dumps(r, sort_keys=True))
    elif granted:
        print(f"token {info['token_id']}: BLE sync mode for {granted / 1000:g} s (bztoken scan, then --ble)")
    else:
        print(f"token {info['token_id']}: BLE sync mode off")
    return 0
