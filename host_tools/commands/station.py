"""`bztoken station`: the sync station's local web app (host_tools.station)."""

import argparse
import sys
from pathlib import Path

from host_tools import paths
from host_tools.errors import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("station", help="the sync station: a local web app that syncs plugged-in tokens")
    p.add_argument("--db", type=Path, default=None, help="station database (default: $BZTOKEN_DB or the user data dir)")
    p.add_argument("--port", type=int, default=8080, help="HTTP port (default 8080; 0: any free port)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this computer only)")
    p.add_argument("--passphrase-file", type=Path,
                   help="the station passphrase (the registry's; default: $BZTOKEN_PASSPHRASE)")
    p.add_argument("--extra-port", action="append", default=[], metavar="URL|GLOB",
                   help="also watch this pyserial URL, device glob, or glob of files holding a port path "
                        "(a virtual token's DIR/port); repeatable")
    p.add_argument("--no-usb", action="store_true", help="do not watch USB serial ports")
    p.add_argument("--exposures-dir", type=Path, help="folder watched for new exposure lists "
                   "(default: station/exposure-lists next to the database)")
    p.add_argument("--timeout", type=float, default=2.0, help="seconds to wait for each token answer (default 2)")
    p.set_defaults(func=cmd_station)


def cmd_station(args: argparse.Namespace) -> int:
    import logging

    from host_tools.station.server import serve
    from host_tools.station.service import Station
    from provisioning.secrets import passphrase_from

    logging.basicConfig(format="bztoken station: %(message)s", level=logging.INFO, stream=sys.stderr)

    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port} is not a TCP port")
    passphrase = passphrase_from(args.passphrase_file)
    station = Station(args.db or paths.default_db(), passphrase, extra_ports=args.extra_port,
                      usb=not args.no_usb, exposures_dir=args.exposures_dir, serial_timeout=args.timeout)
    try:
        httpd = serve(station, args.host, args.port)
    except OSError as e:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {e.strerror}",
                         hint="another program uses that port: try --port 8081") from None
    host, port = httpd.server_address[:2]
    print(f"station on http://{host}:{port}/  (database {station.db}; exposure folder {station.exposures_dir})",
          file=sys.stderr)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print("warning: listening beyond this computer; anyone who reaches it can try the passphrase",
              file=sys.stderr)
    import signal
    import threading

    def stop(_sig, _frame):  # a service manager's stop: finish the request in hand, then leave cleanly
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    station.start()
    try:
        httpd.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        print("station stopped", file=sys.stderr)
    finally:
        httpd.server_close()
        station.stop()
    return 0
