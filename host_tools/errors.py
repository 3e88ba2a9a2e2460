"""Errors the CLI turns into one-line messages, and the exit codes they map to.

Library code raises these and never prints or exits; `host_tools.cli.main` prints `bztoken: message`
(plus a hint when there is one) on stderr and exits with the error's code.
"""

EXIT_OK = 0
EXIT_FAILED = 1  # the operation ran and failed (device error, verification mismatch)
EXIT_USAGE = 2  # bad input: arguments, files, lists; nothing was done
EXIT_AUTH = 3  # the token refused authentication, or the secret is unknown
EXIT_LINK = 4  # the port or BLE link could not be opened or was lost
EXIT_PARTIAL = 5  # a batch finished with some items failed (the summary names them)
EXIT_INTERRUPTED = 130


class BzError(Exception):
    """An error that is not a bug in bztoken: shown to the user as one line, with a hint."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


class UsageError(BzError):
    exit_code = EXIT_USAGE


class AuthError(BzError):
    exit_code = EXIT_AUTH


class LinkError(BzError):
    exit_code = EXIT_LINK


class PartialError(BzError):
    exit_code = EXIT_PARTIAL

EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a command whose reader went away


def require_extra(extra: str, command: str, modules: tuple[str, ...] = (), programs: tuple[str, ...] = ()) -> None:
    """UsageError (exit 2, one line) when an optional part of the install is missing: `pip install
    'bztoken[EXTRA]'` is the fix. `modules`: importable names; `programs`: console scripts of the extra."""
    import importlib.util
    import shutil
    import sys
    from pathlib import Path

    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    missing += [p for p in programs
                if not (Path(sys.executable).parent / p).exists() and shutil.which(p) is None]
    if missing:
        raise UsageError(f"{command} needs the [{extra}] extra ({', '.join(missing)} not installed)",
                         hint=f"pip install 'bztoken[{extra}]'")
