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
