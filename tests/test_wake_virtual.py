"""`bztoken status` and `bztoken pull` reach an eco token whose clock is not set, through the CLI, while it
deep-sleeps between short awake times: the virtual token (this firmware on the MicroPython unix port; deep
sleep is a process exit the supervisor wakes from, as in tests/test_device_eco_unset.py), at 10x speed."""

import json
import time

import pytest

from host_tools import cli
from host_tools.sync.client import SyncClient
from host_tools.sync.transport import SerialTransport

virtual = pytest.importorskip("host_tools.virtual")

SECRET = bytes(range(40, 72))
# 2 s awake in every 40 s while the clock is not set: asleep 3.8 s real at 10x, longer than a client without
# a wake wait keeps trying here (6 tries of 0.3 s), so each command below, started as the token falls
# asleep, reaches it only by waiting.
CFG = {"profile": "eco", "unset_period_ms": 40000, "unset_awake_ms": 2000,
       "wake_period_ms": 60000, "wake_window_ms": 8000, "wake_lead_ms": 2000}
LINK = ["--wait", "20", "--timeout", "0.3"]


def _sleeps(log) -> int:
    return log.read_text().count("deep sleep")


def _asleep_again(log, after: int, timeout: float = 20.0) -> None:
    """Until the token has gone to deep sleep since `after` sleeps (it stays awake a minute of token time
    after a station's last byte)."""
    end = time.monotonic() + timeout
    while _sleeps(log) <= after:
        assert time.monotonic() < end, "the token never went back to sleep"
        time.sleep(0.05)


def test_status_and_pull_reach_a_sleeping_eco_token_through_the_cli(tmp_path, capsys):
    d = tmp_path / "t"
    log = d / "supervisor.log"
    with virtual.VirtualToken(d, name="W1", speed=10, clock="unset", config=CFG) as vt:
        _asleep_again(log, 0)
        # without a wake wait the client gives up while the token sleeps: exit 4
        assert cli.main(["status", "--port", vt.port, "--wait", "0", "--timeout", "0.3"]) == 4
        assert "no answer from the token to hello" in capsys.readouterr().err
        _asleep_again(log, _sleeps(log))  # (those hellos woke it: it stays awake a minute of token time)
        assert cli.main(["status", "--port", vt.port, "--json", *LINK]) == 0
        st = json.loads(capsys.readouterr().out)
        assert st["clock_set"] is False and not st["provisioned"]

        n = _sleeps(log)
        c = SyncClient(SerialTransport(vt.port, lazy=True), timeout=0.3, wake_wait=20)
        c.hello()
        c.provision("BZT-W1", SECRET, CFG)
        c.bye()
        c.t.close()
        _asleep_again(log, n)  # nobody talks: back to its short awake times

        secret = tmp_path / "secret"
        secret.write_text(SECRET.hex())
        rc = cli.main(["pull", "--port", vt.port, "--secret-file", str(secret), "--db", str(tmp_path / "st.db"),
                       "--json", *LINK])
        out, err = capsys.readouterr()
        assert rc == 0, err
        s = json.loads(out)
        assert s["token_id"] == "BZT-W1" and s["status"] == "complete"
        assert s["clock"]["clock_valid"] is False  # it had lost its clock; the pull set it
        assert cli.main(["status", "--port", vt.port, "--json", *LINK]) == 0
        assert json.loads(capsys.readouterr().out)["clock_set"] is True
