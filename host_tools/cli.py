"""The `bztoken` command line: one CLI, a module per subcommand, one top-level error handler.

As esptool and mpremote do: global options before the command (`bztoken -p PORT status`), the port from
$BZTOKEN_PORT by default; errors as one line `bztoken: message` (and a `hint:` line) with a distinct exit code;
Ctrl-C (130) and a closed pipe (141) end quietly, at any moment, the imports at start-up included.

This module imports nothing heavy at import time: everything happens inside main()'s handlers.
"""

import os
import signal
import sys


def _interrupted_early(signum, frame):  # pragma: no cover - runs in the bztoken process
    """Ctrl-C before main() has its handlers up (the interpreter is still importing): end quietly now."""
    try:
        os.write(2, b"bztoken: interrupted\n")
    finally:
        os._exit(130)


def _started_as_bztoken() -> bool:
    """This process is the `bztoken` console script or `python -m host_tools`, not a program importing us."""
    m = sys.modules.get("__main__")
    spec = getattr(m, "__spec__", None)
    return (spec is not None and spec.name == "host_tools.__main__") or os.path.basename(
        getattr(m, "__file__", None) or "").removesuffix(".exe") == "bztoken"


def _ctrl_c_again(unraisable, _hook=sys.unraisablehook) -> None:
    """sys.unraisablehook: a Ctrl-C whose KeyboardInterrupt was raised inside a weakref callback or a __del__
    is only reported by CPython and then dropped ("Exception ignored in ..."), and the command would go on as if
    no key had been pressed. The imports at start-up hit this: importlib drops each module lock through a weakref
    callback (importlib/_bootstrap.py, _get_module_lock's `cb`). Deliver the signal again: the KeyboardInterrupt
    then comes out of the code that runs next. Anything else goes to the usual hook."""
    if isinstance(unraisable.exc_value, KeyboardInterrupt):
        signal.raise_signal(signal.SIGINT)
        return
    _hook(unraisable)


if _started_as_bztoken():  # from here until main()'s try, Ctrl-C exits 130 without a traceback
    signal.signal(signal.SIGINT, _interrupted_early)
    sys.unraisablehook = _ctrl_c_again

# The order `bztoken --help` lists the commands in: an engineer's and a station's day, first to last.
# Commands not named here (added later) follow in alphabetical order.
COMMAND_ORDER = (
    "ports", "flash", "deploy", "provision", "status", "time", "pull", "ble-sync", "scan", "wipe", "export-keys",
    "export-log", "match", "calibrate", "station", "registry", "hub", "sim", "power", "demo", "virtual", "bluezone",
)


def _command_modules() -> list[str]:
    """Every module in host_tools.commands registers its subcommands (register(subparsers))."""
    import pkgutil

    from host_tools import commands

    return sorted(m.name for m in pkgutil.iter_modules(commands.__path__) if not m.name.startswith("_"))


def _parser_class():
    import argparse

    class Parser(argparse.ArgumentParser):
        """argparse, with a usage error as one line `bztoken: ...` (exit 2) and a hint to --help."""

        def error(self, message: str):  # type: ignore[override]
            where = self.prog.removeprefix("bztoken").strip()
            sys.stderr.write(f"bztoken: {where + ': ' if where else ''}{message}\nhint: {self.prog} --help\n")
            raise SystemExit(2)

    return Parser


def _only_module(argv: list[str] | None, modules: list[str]) -> tuple[str, str] | None:
    """(module, command): the module that registers the command `argv` names, when that is plain: global options
    written out in full (`--port X`, `--port=X`, `-p X`, `-pX`), then a command named as its module (`export-keys`:
    export_keys). None (build every command) for anything else: no command, --help, --version, an unknown one."""
    if argv is None:
        return None
    it = iter(argv)
    for a in it:
        if a in ("--port", "-p"):
            next(it, None)
        elif a.startswith("--port=") or (a.startswith("-p") and not a.startswith("--")):
            continue
        elif a.startswith("-"):
            return None
        else:
            mod = a.replace("-", "_")
            return (mod, a) if mod in modules else None
    return None


def build_parser(argv: list[str] | None = None):
    """The whole parser; with `argv`, only the subcommand it names when that is plain (see _only_module): the
    other commands' modules are neither imported nor built (a few ms each), and what the command parses, prints
    and refuses is the same (its subparser does not depend on the others)."""
    import importlib

    from host_tools import __version__

    p = _parser_class()(
        prog="bztoken",
        description="Flash, provision, sync and match Bluezone-compatible contact-tracing tokens.",
        epilog="Environment: BZTOKEN_PORT (serial port), BZTOKEN_DB (station database), BZTOKEN_PASSPHRASE, "
               "BZTOKEN_WAKE_WAIT (seconds to wait for a sleeping token); ESPTOOL_PORT for flash.",
    )
    p.add_argument("--version", action="version", version=f"bztoken {__version__}")
    p.add_argument("--port", "-p", dest="global_port", metavar="PORT", default=None,
                   help="serial port for the command that follows, as if given after it (default: $BZTOKEN_PORT)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    modules = _command_modules()
    only = _only_module(argv, modules)
    if only is not None:
        importlib.import_module(f"host_tools.commands.{only[0]}").register(sub)
        if only[1] not in sub.choices:  # its module registers it under another name
            return build_parser()
        return p
    for name in modules:
        importlib.import_module(f"host_tools.commands.{name}").register(sub)
    rank = {n: i for i, n in enumerate(COMMAND_ORDER)}
    sub._choices_actions.sort(key=lambda a: (rank.get(a.dest, len(rank)), a.dest))  # the order of --help
    return p


def _run(argv: list[str] | None) -> int:
    from host_tools.errors import BzError

    parser = build_parser(sys.argv[1:] if argv is None else argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, --version, a usage error: argparse has written what it had to
        return e.code if isinstance(e.code, int) else 2
    try:
        from host_tools.portnames import resolve_port

        resolve_port(args, args.global_port, args.command)
        return int(args.func(args) or 0)
    except BzError as e:
        sys.stdout.flush()
        for line in str(e).splitlines() or [type(e).__name__]:
            print(f"bztoken: {line}", file=sys.stderr)
        if e.hint:
            print(f"hint: {e.hint}", file=sys.stderr)
        return e.exit_code


def _stdout_gone() -> None:
    """After EPIPE: point stdout at /dev/null so the interpreter's last flush does not complain
    (docs.python.org/3/library/signal.html, 'Note on SIGPIPE')."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def main(argv: list[str] | None = None) -> int:
    """The console script: returns the exit code (0 ok, 1 failed, 2 bad input, 3 auth, 4 link, 5 partial,
    130 interrupted, 141 broken pipe)."""
    try:
        if signal.getsignal(signal.SIGINT) is _interrupted_early:
            signal.signal(signal.SIGINT, signal.default_int_handler)  # KeyboardInterrupt from here on
        rc = _run(argv)
        sys.stdout.flush()  # a closed pipe shows here, inside the handlers, not at interpreter exit
        return rc
    except KeyboardInterrupt:
        # A KeyboardInterrupt that came out of an exec() of a string (dataclasses build their methods so, e.g.
        # while a module defining one is imported) leaves CPython's "unhandled KeyboardInterrupt" flag set, even
        # though we handled it, and the interpreter then kills itself with SIGINT at exit instead of exiting 130
        # (CPython 3.11 Python/pythonrun.c run_eval_code_obj sets it; Modules/main.c Py_RunMain acts on it).
        # Every exec() of a string clears the flag first: an empty one clears it.
        exec("")
        try:
            sys.stderr.write("bztoken: interrupted\n")
        except (OSError, ValueError):
            pass
        return 130
    except BrokenPipeError:
        _stdout_gone()
        return 141


if __name__ == "__main__":
    sys.exit(main())
