"""`bztoken COMMAND ...` builds only that command's parser (host_tools.cli.build_parser(argv)): for every command,
global options before it or not, the subparser is the one the whole parser has (same help text, same errors),
and anything that is not plain (no command, --help, an unknown or abbreviated name) builds every command."""

import contextlib
import io

import pytest

from host_tools import cli


def _sub(parser):
    return next(a for a in parser._actions if a.dest == "command").choices


def _help(p) -> str:
    return p.format_help()


def test_every_command_alone_is_the_same_subparser():
    full = _sub(cli.build_parser())
    assert len(full) > 10
    for name, sp in full.items():
        for argv in ([name], ["-p", "X", name, "--json"], ["--port=/dev/x", name], ["-pX", name]):
            lazy = _sub(cli.build_parser(argv))
            assert name in lazy
            assert _help(lazy[name]) == _help(sp), (argv, name)


@pytest.mark.parametrize("argv", [[], ["--help"], ["--version"], ["matchx"], ["mat"], ["--po", "X", "match"],
                                  ["-p"], ["--", "match"], ["power"]])
def test_anything_else_builds_every_command(argv):
    assert len(_sub(cli.build_parser(argv))) == len(_sub(cli.build_parser()))


def test_same_usage_error_either_way():
    for argv in (["match"], ["match", "--exposures", "a", "--log", "b", "--mode", "loose"], ["export-keys", "-x"]):
        errs = []
        for p in (cli.build_parser(), cli.build_parser(argv)):
            with pytest.raises(SystemExit) as e, contextlib.redirect_stderr(io.StringIO()) as err:
                p.parse_args(argv)
            errs.append((e.value.code, err.getvalue()))
        assert errs[0] == errs[1] and errs[0][0] == 2 and "bztoken" in errs[0][1]
