"""`bztoken station`: the sync station's local web app (host_tools.station)."""

import argparse
import os
import sys
from pathlib import Path

from host_tools import paths
from host_tools.errors import UsageError


class _PortAlias(argparse.Action):
    """--port, the old name of --http-port: still accepted, with a note (a token's serial port is --extra-port)."""

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)
        if option_string == "--port":
            namespace.port_note = True


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("station", help="the sync station: a local web app that syncs plugged-in tokens")
    p.add_argument("--db", type=Path, default=None, help="station database (default: $BZTOKEN_DB or the user data dir)")
    p.add_argument("--http-port", "--port", dest="http_port", type=int, default=8080, action=_PortAlias,
                   help="HTTP port of the station page (default 8080; 0: any free port). --port is its old name")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this computer only)")
    p.add_argument("--passphrase-file", type=Path,
                   help="the station passphrase (the registry's; default: $BZTOKEN_PASSPHRASE, else asked at the "
                        "terminal)")
    p.add_argument("--extra-port", action="append", default=[], metavar="URL|GLOB",
                   help="also watch this pyserial URL, device glob, or glob of files holding a port path "
                        "(a virtual token's DIR/port); repeatable")
    p.add_argument("--no-usb", action="store_true", help="do not watch USB serial ports")
    p.add_argument("--exposures-dir", type=Path, help="folder watched for new exposure lists "
                   "(default: station/exposure-lists next to the database)")
    p.add_argument("--profile", default=None, metavar="P",
                   help="duty-cycle profile of the tokens registered here (default: the firmware's, "
                        "bzfw.config.DEFAULT_PROFILE; always-on for a short, crowded event)")
    p.add_argument("--timeout", type=float, default=2.0, help="seconds to wait for each token answer (default 2)")
    p.set_defaults(func=cmd_station, port_note=False)


def station_passphrase(db: Path, passphrase_file: Path | None, tty: bool | None = None, prompt=None) -> str:
    """The passphrase from --passphrase-file or $BZTOKEN_PASSPHRASE; else, at a terminal, asked (twice, with what
    it protects, for a new station); else exit 2 with every way to give one."""
    from provisioning import passphrase
    from provisioning.secrets import passphrase_from

    if passphrase_file or os.environ.get("BZTOKEN_PASSPHRASE"):
        return passphrase_from(passphrase_file)
    tty = sys.stdin.isatty() and sys.stderr.isatty() if tty is None else tty
    new = passphrase.is_new(db)
    if not tty:
        what = "this new station needs a passphrase" if new else "the station needs its passphrase"
        raise UsageError(what, hint=passphrase.WAYS)
    if new:
        print(f"{passphrase.both('cli_new_station', db=db)}\n{passphrase.protects()}", file=sys.stderr)
        return passphrase.ask_new(prompt)
    return passphrase.ask("cli_pass", prompt)


def cmd_station(args: argparse.Namespace) -> int:
    import logging

    from host_tools.station.server import serve
    from host_tools.station.service import Station

    logging.basicConfig(format="bztoken station: %(message)s", level=logging.INFO, stream=sys.stderr)

    if args.port_note:
        print("note: --port is now --http-port (the station page's port); --port still works", file=sys.stderr)
    if not 0 <= args.http_port <= 65535:
        raise UsageError(f"--http-port {args.http_port} is not a TCP port")
    db = args.db or paths.default_db()
    passphrase = station_passphrase(db, args.passphrase_file)
    from bzfw import config as fwconfig

    if args.profile is not None and args.profile not in fwconfig.PROFILES:
        raise UsageError(f"--profile {args.profile!r} is not a profile",
                         hint=f"one of: {', '.join(fwconfig.PROFILES)}")
    station = Station(db, passphrase, extra_ports=args.extra_port,
                      usb=not args.no_usb, exposures_dir=args.exposures_dir, serial_timeout=args.timeout,
                      profile=args.profile)
    try:
        httpd = serve(station, args.host, args.http_port)
    except OSError as e:
        raise UsageError(f"cannot listen on {args.host}:{args.http_port}: {e.strerror}",
                         hint=f"another program uses that port: try --http-port {args.http_port + 1}") from None
    import signal

    def stop(_sig, _frame):  # a service manager's stop, also when it comes before uvicorn listens for it
        httpd.uvicorn.should_exit = True

    signal.signal(signal.SIGTERM, stop)
    host, port = httpd.server_address[:2]
    print(f"station on http://{host}:{port}/  (database {station.db}; exposure folder {station.exposures_dir})",
          file=sys.stderr)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print("warning: listening beyond this computer; anyone who reaches it can try the passphrase",
              file=sys.stderr)
    station.start()
    code = 0
    try:
        # uvicorn takes SIGINT and SIGTERM while it serves: the requests in hand finish, then it returns and
        # raises the signal again for the handler before it (ours for SIGTERM; Ctrl-C: KeyboardInterrupt)
        httpd.serve_forever()
    except KeyboardInterrupt:
        code = 130
    finally:
        httpd.server_close()
        station.stop()
    print("station stopped", file=sys.stderr)
    return code
