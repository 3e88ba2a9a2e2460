"""The `bztoken` command line: one CLI, a module per subcommand, one top-level error handler."""

import argparse
import importlib
import pkgutil
import sys

from host_tools import __version__
from host_tools.errors import EXIT_INTERRUPTED, BzError


def _command_modules() -> list[str]:
    """Every module in host_tools.commands registers one subcommand (register(subparsers))."""
    from host_tools import commands

    return sorted(m.name for m in pkgutil.iter_modules(commands.__path__) if not m.name.startswith("_"))


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="bztoken",
        description="Flash, provision, sync and match Bluezone-compatible contact-tracing tokens.",
    )
    p.add_argument("--version", action="version", version=f"bztoken {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in _command_modules():
        importlib.import_module(f"host_tools.commands.{name}").register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except BzError as e:
        print(f"bztoken: {e}", file=sys.stderr)
        if e.hint:
            print(f"hint: {e.hint}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("bztoken: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
