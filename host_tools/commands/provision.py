"""`bztoken provision`: give tokens their ID, secret, clock and config over the sync protocol, and record
token and wearer in the registry. One token (--wearer) or a CSV batch (--batch)."""

import argparse
import json
import sys
from pathlib import Path

from bzfw import config as fwconfig


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("provision", help="assign a token ID and secret, set the clock, record the wearer")
    from host_tools.portnames import add_port_arg

    add_port_arg(p, "pyserial URL of the token; in a batch, for rows without 'port'")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--wearer", metavar="NAME", help="the person who will wear the token")
    who.add_argument("--batch", metavar="CSV", help="wearers, one per line: name[,ref,phone,note,port,board,profile]")
    p.add_argument("--ref", help="the station's key for the wearer (list number, ID card; default: the name)")
    p.add_argument("--phone", help="the wearer's phone number, to reach them after an exposure")
    p.add_argument("--note", help="a free-text note about the wearer (class, village, ...)")
    p.add_argument("--token-id", help="use this ID instead of a random BZ-XXXXX-XXXXX")
    p.add_argument("--board", help="board name recorded and sent in the config (hardware/boards)")
    p.add_argument("--profile", help=f"duty-cycle profile: {', '.join(fwconfig.PROFILES)} "
                   f"(default {fwconfig.DEFAULT_PROFILE})")
    p.add_argument("--another", action="store_true", help="the wearer already has a token: provision a second one")
    p.add_argument("--labels", metavar="PDF", help="also write a label sheet (QR + token ID) for these tokens")
    p.add_argument("--names-on-labels", action="store_true", help="print the wearer's name under the token ID")
    p.add_argument("--prompt", action="store_true",
                   help="batch on one port: ask for the next token (press Enter) before each one "
                        "(default on a terminal)")
    p.add_argument("--wait", dest="prompt", action="store_true", help=argparse.SUPPRESS)  # old name of --prompt
    p.add_argument("--wake-wait", type=float, default=None, metavar="S",
                   help="seconds to keep knocking for a sleeping (eco) token (default: $BZTOKEN_WAKE_WAIT or "
                        "the longest sleep of any profile)")
    p.add_argument("--db", type=Path, default=None, help="station database (default: $BZTOKEN_DB or the user data dir)")
    p.add_argument("--passphrase-file", help="the registry passphrase (default: $BZTOKEN_PASSPHRASE)")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(func=cmd_provision)


def _wait_prompt(row, port: str) -> None:
    print(f"Plug in the token for {row.name} ({row.ref}) on {port}, then press Enter", file=sys.stderr)
    if not sys.stdin.readline():
        raise KeyboardInterrupt


def cmd_provision(args: argparse.Namespace) -> int:
    from host_tools import paths
    from host_tools.errors import UsageError
    from host_tools.portnames import check_port
    from host_tools.stationdb import StationDB
    from provisioning import batch, secrets
    from provisioning.registry import Registry

    db_path = args.db or paths.default_db()
    # Every row is checked (board, profile, names, sizes, IDs, port names) before the registry is opened or
    # a port touched; a bad row refuses the whole batch, one line per bad row.
    if args.batch:
        rows = batch.read_csv_file(args.batch)
        batch.check_rows(rows, port=args.port, board=args.board, profile=args.profile, where=args.batch)
    else:
        if not args.port:
            raise UsageError("--port is required", hint="the token's serial port, e.g. /dev/ttyACM0 (bztoken ports)")
        rows = [batch.WearerRow(name=args.wearer.strip(), ref=(args.ref or args.wearer).strip(), phone=args.phone,
                                note=args.note, token_id=args.token_id)]
        batch.check_rows(rows, port=args.port, board=args.board, profile=args.profile, where="")
        check_port(args.port, args.wake_wait)
    passphrase = secrets.passphrase_from(args.passphrase_file)

    def connect(port: str):
        return batch.open_client(port, wake_wait=args.wake_wait)

    with Registry(db_path, passphrase) as reg:
        # against the registry too (a token ID or ref that is someone else's), before anything is written
        batch.check_rows(rows, port=args.port, board=args.board, profile=args.profile, reg=reg,
                         where=args.batch or "")
        with StationDB(db_path) as db:
            return _provision(args, reg, db, rows, connect)


def _provision(args, reg, db, rows, connect) -> int:
    from host_tools.errors import PartialError, UsageError
    from host_tools.progress import for_cli
    from provisioning import batch, labels

    if args.batch:
        one_port = not any(r.port for r in rows)
        wait = args.prompt or (one_port and len(rows) > 1 and sys.stdin.isatty() and not args.json)
        result = batch.run_batch(reg, rows, port=args.port, board=args.board, profile=args.profile,
                                 connect=connect, progress=for_cli(args.json),
                                 before_each=_wait_prompt if wait else None, db=db)
    else:
        w = reg.wearer(rows[0].ref)
        if w and not args.another and any(t["status"] == "provisioned" for t in reg.tokens_of(w["id"])):
            tid = [t for t in reg.tokens_of(w["id"]) if t["status"] == "provisioned"][-1]["token_id"]
            raise UsageError(f"wearer {rows[0].ref!r} already has token {tid}",
                             hint="--another for a second token, or --ref to tell two people apart")
        result = batch.BatchResult([batch.provision_one(reg, rows[0], args.port, board=args.board,
                                                        profile=args.profile, another=args.another, db=db,
                                                        connect=connect)])
    if args.labels:
        wanted = {o.token_id for o in result.outcomes if o.status != "failed" and o.token_id}
        names = {o.token_id: o.name for o in result.outcomes}
        labs = [labels.Label(t, names.get(t, "") if args.names_on_labels else "") for t in sorted(wanted)]
        if labs:
            labels.write_pdf(labs, args.labels)
    summary = result.as_dict()
    if args.json:
        print(json.dumps(summary))
    else:
        for o in result.outcomes:
            extra = f": {o.error}" if o.error else ""
            print(f"{o.status:<12} {o.token_id or '-':<14} {o.ref}{extra}")
        print(f"{summary['provisioned']} provisioned, {summary['skipped']} already done, {summary['failed']} failed")
    if result.failures:  # only a batch gets here: a single token's failure is raised by provision_one
        failed = ", ".join(o.ref for o in result.failures)
        raise PartialError(f"{len(result.failures)} of {len(result.outcomes)} tokens failed: {failed}",
                           hint="fix them and run the same command again: finished tokens are skipped")
    return 0
