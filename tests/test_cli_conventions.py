"""The CLI's conventions, after esptool and mpremote: where --port comes from, short options, distinct wait
names, ports that cannot work fail at once, one-line errors with the right exit code, quiet Ctrl-C and broken
pipes (run as a real process), output only on success, help for every option, commands in workflow order."""

import argparse
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from host_tools import cli
from host_tools.cli import main
from host_tools.stationdb import StationDB
from host_tools.sync.ptytoken import PtyToken, TokenCtx

BZTOKEN = [sys.executable, "-m", "host_tools"]


def one_line(err: str, words: str = "") -> None:
    lines = err.splitlines()
    assert lines and lines[0].startswith("bztoken: "), err
    assert len(lines) == 1 or (len(lines) == 2 and lines[1].startswith("hint: ")), err
    assert "Traceback" not in err and words in lines[0], err


@pytest.fixture
def token(tmp_path):
    t = PtyToken(TokenCtx(str(tmp_path / "tok"), None, None))
    yield t
    t.close()


def secret_file(tmp_path) -> str:
    f = tmp_path / "secret"
    f.write_text("ab" * 32)
    return str(f)


@pytest.fixture
def clean_env(monkeypatch):
    for v in ("BZTOKEN_PORT", "ESPTOOL_PORT", "BZTOKEN_WAKE_WAIT"):
        monkeypatch.delenv(v, raising=False)
    return monkeypatch


# -- where the port comes from ------------------------------------------------------------------------------
@pytest.mark.parametrize("where", ["before", "after", "env"])
def test_port_before_or_after_the_command_or_from_the_environment(where, token, clean_env, capsys):
    argv = {"before": ["-p", token.port, "status", "--json"], "after": ["status", "--json", "-p", token.port],
            "env": ["status", "--json"]}[where]
    if where == "env":
        clean_env.setenv("BZTOKEN_PORT", token.port)
    assert main(argv) == 0, capsys.readouterr().err
    assert json.loads(capsys.readouterr().out)["token_id"] in (None, "")  # a fresh token answered on that port


def test_the_commands_own_port_wins(token, clean_env, capsys):
    clean_env.setenv("BZTOKEN_PORT", "/dev/ttyNOPE-env")
    assert main(["--port", "/dev/ttyNOPE-global", "status", "--port", token.port, "--json"]) == 0
    assert main(["--port", token.port, "status", "--json"]) == 0  # global beats the environment


def flash_port(argv, capsys):
    rc = main(["flash", "--board", "esp32c3-supermini", "--fs-only", "--dry-run", "--json", *argv])
    out, err = capsys.readouterr()
    assert rc == 0, err
    return json.loads(out)["port"]


def test_flash_reads_bztoken_port_then_esptool_port(clean_env, capsys):
    assert flash_port([], capsys) is None
    clean_env.setenv("ESPTOOL_PORT", "/dev/ttyESPTOOL")
    assert flash_port([], capsys) == "/dev/ttyESPTOOL"  # esptool's own variable, for flash only
    clean_env.setenv("BZTOKEN_PORT", "/dev/ttyBZ")
    assert flash_port([], capsys) == "/dev/ttyBZ"
    assert flash_port(["-p", "/dev/ttyARG"], capsys) == "/dev/ttyARG"


def test_esptool_port_is_not_read_by_the_sync_commands(clean_env, capsys):
    clean_env.setenv("ESPTOOL_PORT", "/dev/ttyESPTOOL")
    assert main(["status"]) == 2
    one_line(capsys.readouterr().err, "no port")


def test_a_global_port_for_a_command_without_one_is_refused(clean_env, capsys):
    assert main(["-p", "/dev/ttyACM0", "power"]) == 2
    one_line(capsys.readouterr().err, "bztoken power takes no serial port")


def all_parsers():
    """(command path, parser) for every command and subcommand."""
    out = []

    def walk(path, p):
        out.append((path, p))
        for a in p._actions:
            if isinstance(a, argparse._SubParsersAction):
                for name, sp in a.choices.items():
                    walk(f"{path} {name}".strip(), sp)

    walk("", cli.build_parser())
    return out


def test_short_options_mean_what_they_mean_in_esptool():
    esptool = {"-p": "port", "-b": "baud", "-c": "chip"}  # esptool.py: --port/-p, --baud/-b, --chip/-c
    seen = {}
    for path, p in all_parsers():
        for a in p._actions:
            for s in a.option_strings:
                if s in esptool and path != "":
                    assert a.dest == esptool[s], f"{path}: {s} is {a.dest}"
                    seen[s] = path
    assert set(seen) == set(esptool)
    args = cli.build_parser().parse_args(["flash", "-b", "921600", "--board", "x", "-c", "esp32"])
    assert (args.baud, args.chip, args.board) == (921600, "esp32", "x")


def test_every_option_has_help_and_no_wait_is_ambiguous():
    for path, p in all_parsers():
        for a in p._actions:
            if isinstance(a, argparse._HelpAction | argparse._VersionAction | argparse._SubParsersAction):
                continue
            assert a.help, f"bztoken {path}: {a.option_strings or a.dest} has no help"
            if "--wait" in a.option_strings:
                assert a.help == argparse.SUPPRESS, f"bztoken {path}: --wait is only a hidden old spelling"


def test_wait_names_and_their_old_spellings():
    parse = cli.build_parser().parse_args
    assert parse(["pull", "--wake-wait", "5"]).wake_wait == 5 == parse(["pull", "--wait", "5"]).wake_wait
    assert parse(["status", "--wait", "3"]).wake_wait == 3
    a = parse(["export-keys", "--from", "2026-01-01", "--to", "2026-01-02", "--wait", "7"])
    assert (a.button_wait, a.wake_wait) == (7, None)
    a = parse(["export-keys", "--from", "2026-01-01", "--to", "2026-01-02", "--button-wait", "9", "--wake-wait", "4"])
    assert (a.button_wait, a.wake_wait) == (9, 4)
    assert parse(["provision", "--batch", "x.csv", "--wait"]).prompt is True
    assert parse(["provision", "--batch", "x.csv", "--prompt"]).prompt is True


def test_commands_are_listed_in_workflow_order():
    sub = next(a for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    listed = [a.dest for a in sub._choices_actions]
    known = [c for c in listed if c in cli.COMMAND_ORDER]
    assert known == [c for c in cli.COMMAND_ORDER if c in known]
    assert listed[: len(known)] == known  # the rest follow
    assert listed[:3] == ["ports", "flash", "deploy"] and set(sub.choices) == set(listed)


# -- ports that cannot work -----------------------------------------------------------------------------------
@pytest.mark.parametrize("argv", [
    ["status", "--port", "/dev/ttyNEVER-THERE"],
    ["pull", "--port", "/dev/ttyNEVER-THERE", "--secret-file", "SECRET"],
    ["time", "--port", "/dev/ttyNEVER-THERE"],
])
def test_a_port_that_is_not_there_fails_at_once(argv, clean_env, tmp_path, capsys):
    from host_tools.sync import client

    argv = [secret_file(tmp_path) if a == "SECRET" else a for a in argv]
    made = []
    real_init = client.SyncClient.__init__
    clean_env.setattr(client.SyncClient, "__init__", lambda self, *a, **k: made.append(k) or real_init(self, *a, **k))
    assert main(argv) == 4
    one_line(capsys.readouterr().err, "cannot open port /dev/ttyNEVER-THERE: no such device")
    assert made == []  # refused before a client (and its wake wait, 116 s by default) existed


def test_with_a_wake_wait_an_absent_port_is_waited_for(clean_env, capsys):
    assert main(["status", "--port", "/dev/ttyNEVER-THERE", "--wake-wait", "0.3"]) == 4
    err = capsys.readouterr().err
    assert "no such device" not in err and "0.3 s" in err and "Traceback" not in err


def test_provision_to_a_port_that_is_not_there_fails_at_once(clean_env, tmp_path, capsys):
    clean_env.setenv("BZTOKEN_PASSPHRASE", "station passphrase 1")
    db = tmp_path / "s.db"
    assert main(["provision", "--port", "/dev/ttyNEVER-THERE", "--wearer", "A", "--db", str(db)]) == 4
    one_line(capsys.readouterr().err, "no such device")
    assert not db.exists()  # refused before the registry was opened


@pytest.mark.parametrize("argv", [
    ["status", "--port", "foo://bar"],
    ["pull", "-p", "tpc://127.0.0.1:9", "--secret-file", "SECRET"],
    ["-p", "serial+ble://x", "time"],
    ["provision", "--port", "sockt://127.0.0.1:1", "--wearer", "A"],
    ["flash", "--port", "foo://x", "--board", "esp32c3-supermini", "--fs-only"],
    ["deploy", "--port", "bogus://x"],
])
def test_an_unknown_url_scheme_is_bad_input(argv, clean_env, tmp_path, capsys):
    clean_env.setenv("BZTOKEN_PASSPHRASE", "station passphrase 1")
    clean_env.setenv("BZTOKEN_DB", str(tmp_path / "s.db"))
    argv = [secret_file(tmp_path) if a == "SECRET" else a for a in argv]
    assert main(argv) == 2
    one_line(capsys.readouterr().err, "unknown URL scheme")


def test_known_schemes_are_pyserials():
    from host_tools import portnames

    assert {"socket", "loop", "rfc2217"} <= set(portnames.known_schemes())
    for ok in ("socket://127.0.0.1:1", "LOOP://", "/dev/ttyACM0", "COM3"):
        portnames.check_scheme(ok)


# -- errors are one line; argparse's too --------------------------------------------------------------------
@pytest.mark.parametrize("argv, rc, words", [
    (["status", "--bogus"], 2, "unrecognized arguments: --bogus"),
    (["nosuchcommand"], 2, "invalid choice"),
    (["flash", "--baud", "fast", "--board", "x"], 2, "invalid int value"),
    (["export-keys", "--from", "2026-01-01"], 2, "required"),
    (["provision", "--wearer", "A", "--batch", "x.csv"], 2, "not allowed with"),
    (["registry"], 2, "required"),
])
def test_usage_errors_are_one_line(argv, rc, words, capsys):
    assert main(argv) == rc
    out, err = capsys.readouterr()
    assert out == ""
    one_line(err, words)


# -- output only on success --------------------------------------------------------------------------------
def test_export_log_writes_nothing_to_stdout_when_it_fails(tmp_path, capsys):
    db = tmp_path / "s.db"
    StationDB(db).close()
    assert main(["export-log", "--db", str(db), "--token", "BZ-NONE-0001"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    one_line(err, "no encounters of token")
    assert main(["export-log", "--db", str(db)]) == 0
    assert json.loads(capsys.readouterr().out)["encounters"] == []


def test_registry_export_leaves_no_half_file(tmp_path, monkeypatch, capsys):
    from provisioning import secrets
    from provisioning.registry import Registry

    db = tmp_path / "a.db"
    with Registry(db, "station passphrase 1", kdf_n=2**10) as reg:
        reg.add_token("BZ-HALF-0001", secrets.new_secret())
    monkeypatch.setenv("BZTOKEN_PASSPHRASE", "wrong passphrase!")
    out = tmp_path / "export.json"
    assert main(["registry", "export", str(out), "--db", str(db)]) == 3
    assert not out.exists() and capsys.readouterr().out == ""


# -- as a real process: Ctrl-C at any moment, a closed pipe -------------------------------------------------
def spawn(args, **kw):
    env = dict(os.environ, BZTOKEN_WAKE_WAIT="0", PYTHONUNBUFFERED="0")
    env.pop("BZTOKEN_PORT", None)
    return subprocess.Popen(BZTOKEN + args, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, **kw)


# Python writes a line per finished import with -X importtime: Ctrl-C is sent right after a chosen module has
# been imported, i.e. in the middle of start-up, whatever the machine's speed (no sleeps to tune).
# (importlib.import_module is not reported by -X importtime: the marks are modules imported by statements)
@pytest.mark.parametrize("after, then", [("host_tools.cli", 0), ("host_tools.errors", 0), ("argparse", 0),
                                         ("bzfw", 0), ("host_tools.commands.sync", 0), ("host_tools.timeutil", 0),
                                         ("host_tools.portnames", 0), ("host_tools.sync.client", 0),
                                         ("host_tools.sync.client", 0.5)])  # the last: in the wake wait
def test_ctrl_c_at_any_moment_is_quiet(after, then, tmp_path):
    # A command that would wait an hour for a sleeping token: Ctrl-C lands in the imports or in the wait. The
    # wait is far longer than the test waits for the process to end, so a Ctrl-C that gets lost (CPython drops a
    # KeyboardInterrupt raised inside a weakref callback, as importlib's module-lock callbacks are) fails below
    # as "did not stop", never as a wait that happened to end on its own.
    env = dict(os.environ, BZTOKEN_WAKE_WAIT="0")
    p = subprocess.Popen([sys.executable, "-X", "importtime", "-m", "host_tools", "status", "--port",
                          str(tmp_path / "ttyACM9"), "--wake-wait", "3600"], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    seen = []
    for line in p.stderr:
        seen.append(line)
        if line.startswith(b"import time:") and line.split(b"|")[-1].strip() == after.encode():
            break
    time.sleep(then)
    p.send_signal(signal.SIGINT)
    try:
        out, rest = p.communicate(timeout=120)  # a loaded machine may be slow; a lost Ctrl-C waits an hour
    except subprocess.TimeoutExpired:
        p.kill()
        out, rest = p.communicate()
        pytest.fail("Ctrl-C did not stop it:\n" + (b"".join(seen) + rest).decode()[-2000:])
    err = b"".join(seen) + rest
    assert p.returncode == 130, err[-2000:]
    ours = [x for x in err.decode().splitlines() if not x.startswith("import time:")]
    assert "Traceback" not in err.decode() and ours[-1:] == ["bztoken: interrupted"], ours
    assert out == b""


@pytest.mark.parametrize("argv", [["--help"], ["power"], ["sim", "--list"], ["bluezone", "adv", "--id", "00" * 12]])
def test_a_closed_pipe_ends_quietly_with_141(argv):
    r, w = os.pipe()
    os.close(r)  # the reader (`| head`) is gone before the first byte
    p = spawn(argv, stdout=w)
    os.close(w)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 141, err
    assert b"Traceback" not in err and b"BrokenPipe" not in err and b"bztoken:" not in err, err
