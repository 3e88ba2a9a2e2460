"""Serial port names, checked before anything is opened: a pyserial URL's scheme, and a device path that is
not there. Used by every command that takes --port (sync, provision, flash, deploy)."""

import importlib.util
import os
import re

from host_tools.errors import LinkError, UsageError

ENV_PORT = "BZTOKEN_PORT"
ENV_ESPTOOL_PORT = "ESPTOOL_PORT"  # esptool's own variable: a fallback for `bztoken flash` only
ENV_WAKE_WAIT = "BZTOKEN_WAKE_WAIT"

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)://")


def add_port_arg(p, help_text: str, env: tuple[str, ...] = (ENV_PORT,)) -> None:
    """--port/-p on a command that talks to a serial port. Its default is resolved by `resolve_port` at run
    time (the command's own -p, then a -p before the command, then the environment), as esptool does."""
    names = " or ".join(f"${e}" for e in env)
    p.add_argument("--port", "-p", default=None, metavar="PORT", help=f"{help_text} (default: {names})")
    p.set_defaults(port_env=env)


def resolve_port(args, global_port: str | None, command: str) -> None:
    """Fill args.port: the command's -p, else the global -p, else the first environment variable set.
    UsageError when a global -p is given to a command that takes no serial port."""
    env = getattr(args, "port_env", None)
    if env is None:
        if global_port is not None:
            raise UsageError(f"bztoken {command} takes no serial port (-p/--port {global_port})")
        return
    if args.port is None:
        args.port = global_port or next((os.environ[e] for e in env if os.environ.get(e)), None)


def url_scheme(port: str) -> str | None:
    """The scheme of a pyserial URL (`socket://h:p` -> "socket"), None for a device path."""
    m = _SCHEME.match(port)
    return m.group(1).lower() if m else ("" if "://" in port else None)


def known_schemes() -> list[str]:
    """The URL schemes this pyserial opens: its `serial.urlhandler.protocol_<scheme>` modules, which is where
    `serial.serial_for_url` looks (pyserial serial/__init__.py, serial_for_url: 'protocol_{}'.format(protocol))."""
    import pkgutil

    import serial.urlhandler

    return sorted(m.name[len("protocol_"):] for m in pkgutil.iter_modules(serial.urlhandler.__path__)
                  if m.name.startswith("protocol_"))


def check_scheme(port: str, what: str = "--port") -> None:
    """UsageError (exit 2) for a URL whose scheme pyserial does not know: a typo, not a cable problem."""
    scheme = url_scheme(port)
    if scheme is None:
        return
    if not scheme or importlib.util.find_spec(f"serial.urlhandler.protocol_{scheme}") is None:
        raise UsageError(f"{what} {port}: unknown URL scheme {scheme + '://' if scheme else port!r}",
                         hint="a device path (/dev/ttyACM0, COM3) or " + ", ".join(s + "://" for s in known_schemes()))


def wake_wait_asked(flag: float | None) -> bool:
    """A wake wait was asked for: --wake-wait S with S > 0, or $BZTOKEN_WAKE_WAIT > 0."""
    if flag is not None:
        return flag > 0
    try:
        return float(os.environ.get(ENV_WAKE_WAIT, "").strip() or 0) > 0
    except ValueError:
        return False


def check_port(port: str, wake_wait: float | None = None, what: str = "--port") -> None:
    """Before a port is opened: the scheme is known, and a device path exists unless a wake wait is asked for
    (a sleeping token's native USB port vanishes until it wakes). LinkError (exit 4) for an absent device."""
    check_scheme(port, what)
    if url_scheme(port) is not None or os.name == "nt" or os.path.exists(port):
        return
    if wake_wait_asked(wake_wait):
        return
    raise LinkError(f"cannot open port {port}: no such device",
                    hint="bztoken ports lists the serial ports; for a sleeping token add --wake-wait S")
