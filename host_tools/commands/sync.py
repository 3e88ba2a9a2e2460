"""`bztoken pull`, `bztoken status`, `bztoken time`: a token on a serial port (pyserial URL), over the sync
protocol (firmware/bzfw/wire.py)."""

import argparse
import json
from collections.abc import Callable
from pathlib import Path

from host_tools import paths
from host_tools.errors import AuthError, UsageError
from host_tools.timeutil import iso_ms


def _port_args(p: argparse.ArgumentParser, wait_alias: bool = False) -> None:
    """The link options; `wait_alias`: also accept the old spelling --wait for --wake-wait (hidden)."""
    from host_tools.portnames import add_port_arg

    add_port_arg(p, "pyserial URL: /dev/ttyUSB0, COM3, socket://HOST:PORT, rfc2217://HOST:PORT")
    p.add_argument("--ble", metavar="ADDRESS", default=None,
                   help="instead of --port: a token in BLE sync mode at this address (bztoken scan lists them)")
    p.add_argument("--baud", "-b", type=int, default=115200, help="baud rate of a UART bridge (default 115200)")
    p.add_argument("--timeout", type=float, default=1.0, help="seconds to wait for each answer (default 1)")
    p.add_argument("--wake-wait", dest="wake_wait", type=float, default=None, metavar="S",
                   help="seconds to keep knocking until a sleeping (eco) token wakes; its port may come and go "
                        "meanwhile (default: its longest sleep plus a margin, or $BZTOKEN_WAKE_WAIT; 0: no wait)")
    if wait_alias:
        p.add_argument("--wait", dest="wake_wait", type=float, help=argparse.SUPPRESS)  # old name of --wake-wait
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")


def _secret_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=Path, default=None, help="station database (default: $BZTOKEN_DB or the user data dir)")
    p.add_argument("--secret-file", type=Path, help="the token's 32-byte secret (raw, or 64 hex digits)")
    p.add_argument("--passphrase-file", type=Path, help="the registry passphrase (default: $BZTOKEN_PASSPHRASE)")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("pull", help="authenticate, set the clock, pull the token's logs into the station database")
    _port_args(p, wait_alias=True)
    _secret_args(p)
    p.set_defaults(func=cmd_pull)

    s = sub.add_parser("status", help="a token's state: ID, clock, battery, log extent, free flash (no secret)")
    _port_args(s, wait_alias=True)
    s.set_defaults(func=cmd_status)

    t = sub.add_parser("time", help="a token's clock and its offset from this station; --set corrects it")
    _port_args(t, wait_alias=True)
    _secret_args(t)
    t.add_argument("--set", action="store_true", help="authenticate and set the token clock (recorded in --db)")
    t.set_defaults(func=cmd_time)

    w = sub.add_parser("wipe", help="erase a token's logs (--all: also its keys, secret and config)")
    _port_args(w, wait_alias=True)
    _secret_args(w)
    w.add_argument("--all", action="store_true", help="also keys, secret and config: the token becomes unprovisioned")
    w.add_argument("--yes", action="store_true", help="really: records not yet pulled are lost")
    w.set_defaults(func=cmd_wipe)


def read_secret_file(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise UsageError(f"cannot read secret file {path}: {e.strerror}") from None
    if len(raw) == 32:
        return raw
    text = raw.decode("ascii", "replace").strip()
    try:
        b = bytes.fromhex(text)
    except ValueError:
        b = b""
    if len(b) != 32:
        raise UsageError(f"secret file {path} holds neither 32 raw bytes nor 64 hex digits")
    return b


def secret_lookup(args: argparse.Namespace, db_path: Path) -> Callable[[str], bytes]:
    """The secret from --secret-file, else from the provisioning registry in the station database."""
    if args.secret_file is not None:
        secret = read_secret_file(args.secret_file)
        return lambda _tid: secret
    try:
        from provisioning.registry import Registry  # type: ignore[import-not-found]
        from provisioning.secrets import passphrase_from  # type: ignore[import-not-found]
    except ImportError:
        raise UsageError("no secret: give --secret-file (this installation has no provisioning registry)") from None
    passphrase = passphrase_from(args.passphrase_file)

    def lookup(token_id: str) -> bytes:
        if not token_id:
            raise AuthError("the token reports no token ID", hint="provision it first")
        return Registry(str(db_path), passphrase).secret_for(token_id)

    return lookup


def _client(args: argparse.Namespace):
    from host_tools.sync import wake
    from host_tools.sync.client import SyncClient
    from host_tools.sync.transport import open_transport

    if getattr(args, "ble", None):  # BLE GATT: same frames, same client (host_tools/ble)
        from host_tools.ble.transport import BleTransport

        return SyncClient(BleTransport(args.ble), timeout=args.timeout)  # in sync mode a token is awake
    if not args.port:
        raise UsageError("no port", hint="--port /dev/ttyUSB0 (or set BZTOKEN_PORT), or --ble ADDRESS")
    from host_tools.portnames import check_port

    check_port(args.port, getattr(args, "wake_wait", None))  # before any wait: a typo fails at once
    wait = getattr(args, "wake_wait", None)
    wait = wake.default_wait_s() if wait is None else wait
    if wait < 0:
        raise UsageError(f"--wake-wait {wait:g}: seconds must be 0 or more")
    # With a wait the port is opened by the first hello: it may be absent while the token sleeps.
    return SyncClient(open_transport(args.port, args.baud, lazy=wait > 0), timeout=args.timeout, wake_wait=wait,
                      on_wait=wake.status_line(args.json))


def _print(args: argparse.Namespace, obj: dict, lines: list[str]) -> None:
    if args.json:
        print(json.dumps(obj, sort_keys=True))
    else:
        print("\n".join(lines))


def cmd_pull(args: argparse.Namespace) -> int:
    from host_tools import progress
    from host_tools.stationdb import StationDB
    from host_tools.sync.pull import pull

    db_path = args.db or paths.default_db()
    lookup = secret_lookup(args, db_path)
    client = _client(args)
    bar = progress.for_cli(args.json)
    try:
        with StationDB(db_path) as db:
            s = pull(client, db, lookup, bar)
    finally:
        if isinstance(bar, progress.Bar):
            bar.close()
        client.t.close()
    c = s["clock"]
    lines = [
        f"token {s['token_id']}: {s['records']} records pulled ({s['new_rows']} new, {s['duplicates']} already "
        f"stored) from {len(s['days'])} days in {s['elapsed_s']} s",
        f"clock was {c['offset_ms']:+d} ms off (round trip {c['rtt_ms']} ms); set, now {c['residual_ms']:+d} ms",
    ]
    cmin, cmax = s["correction_ms"]["min"], s["correction_ms"]["max"]
    if cmin is not None and (cmin or cmax):
        lines.append(f"drift correction applied: {cmin:+d} .. {cmax:+d} ms")
    elif cmin is not None:
        lines.append("drift correction: 0 ms (no drift found, or no earlier sync by this station)")
    if s["bad_records"]:
        lines.append(f"warning: {s['bad_records']} records failed their CRC on the token and were not stored")
    _print(args, s, lines)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    client = _client(args)
    try:
        info = client.hello()
        st = client.status()
    finally:
        client.t.close()
    info.pop("nonce", None)
    st["hello"] = info
    days = info.get("days") or []
    lines = [
        f"token {st['token_id'] or '(not provisioned)'}  firmware {st['fw']}  protocol v{st['proto']}",
        f"clock {iso_ms(st['now_ms'])}" + ("" if st.get("clock_set") else "  (NOT SET: the token is not logging)"),
        f"battery {st['battery_mv']} mV" if st.get("battery_mv") is not None else "battery unknown",
        f"log: {st['days']} days" + (f" ({days[0]}..{days[-1]})" if days else "")
        + f", {st['log_bytes']} bytes, {st['unconfirmed_bytes']} not yet pulled; {st['free_bytes']} bytes free",
    ]
    if st.get("config_error"):
        lines.append(f"config error: {st['config_error']}")
    _print(args, st, lines)
    return 0


def cmd_time(args: argparse.Namespace) -> int:
    from host_tools.sync.pull import measure_offset, sync_clock, token_rate

    client = _client(args)
    try:
        info = client.hello()
        if args.set:
            from host_tools.stationdb import StationDB

            db_path = args.db or paths.default_db()
            secret = secret_lookup(args, db_path)(info["token_id"])
            client.auth(secret)
            with StationDB(db_path) as db:
                r = sync_clock(client, db, info["token_id"], bool(info.get("clock_set", True)),
                               rate_ppb=token_rate(info))
            client.bye()
        else:
            off, rtt, at = measure_offset(client)
            r = {"offset_ms": off, "rtt_ms": rtt, "token_ms": at + off, "station_ms": at}
    finally:
        client.t.close()
    r["token_id"] = info["token_id"]
    if args.set:
        lines = [f"token {info['token_id']}: clock was {r['offset_ms']:+d} ms off; set, now {r['residual_ms']:+d} ms"
                 + (f"; rate correction {r['rate_ppb'] / 1000:+.1f} ppm" if r.get("rate_sent") else "")]
    else:
        lines = [f"token {info['token_id']}: {iso_ms(r['token_ms'])}, {r['offset_ms']:+d} ms from this station "
                 f"(round trip {r['rtt_ms']} ms)"]
    _print(args, r, lines)
    return 0


def cmd_wipe(args: argparse.Namespace) -> int:
    what = "all" if args.all else "logs"
    if not args.yes:
        raise UsageError(f"wipe erases the token's {'logs, keys, secret and config' if args.all else 'logs'}",
                         hint="pull first; then add --yes")
    db_path = args.db or paths.default_db()
    lookup = secret_lookup(args, db_path)
    client = _client(args)
    try:
        info = client.hello()
        if not info.get("provisioned"):
            raise UsageError("the token is not provisioned: nothing to authenticate against")
        client.auth(lookup(info["token_id"]))
        before = info.get("unconfirmed_bytes", 0)
        client.wipe(what)
        if what != "all":
            client.bye()
    finally:
        client.t.close()
    r = {"token_id": info["token_id"], "wiped": what, "unpulled_bytes_lost": before}
    _print(args, r, [f"token {info['token_id']}: {what} wiped ({before} bytes had not been pulled)"])
    return 0
