"""Reaching a sleeping token (host_tools/sync/wake.py): the first hello keeps knocking for the wake wait, a port
that vanishes and comes back meanwhile is reopened, a port that never answers ends in one line and exit 4, and
the station's auto-sync waits the same way, saying so in the port's row."""

import os
import threading
import time
import tty

import pytest

from bzfw import config as fwconfig
from bzfw.syncserver import SyncServer
from host_tools import cli
from host_tools.errors import LinkError, UsageError
from host_tools.sync import wake
from host_tools.sync.client import SyncClient
from host_tools.sync.ptytoken import PtyToken, TokenCtx
from host_tools.sync.transport import SerialTransport, Transport


def test_default_wait_covers_the_longest_sleep_of_every_profile(monkeypatch):
    monkeypatch.delenv(wake.ENV_WAIT, raising=False)
    sleeps = []
    for name in fwconfig.PROFILES:
        c = fwconfig.Config({"profile": name})
        if c.deep_sleep:
            sleeps += [c.wake_period_ms - c.wake_window_ms - c.wake_lead_ms, c.unset_period_ms - c.unset_awake_ms]
    assert sleeps and wake.default_wait_s() > max(sleeps) / 1000
    assert wake.default_wait_s() == wake.longest_sleep_s() + wake.WAKE_MARGIN_S
    monkeypatch.setenv(wake.ENV_WAIT, "2.5")
    assert wake.default_wait_s() == 2.5
    monkeypatch.setenv(wake.ENV_WAIT, "soon")
    with pytest.raises(UsageError, match=wake.ENV_WAIT):
        wake.default_wait_s()


class Vanishing(Transport):
    """A link to a token's sync server that is gone (every use raises LinkError, reopening too) for its first
    `gone_opens` reopen attempts, as a native-USB port is while the chip deep-sleeps."""

    reopenable = True
    name = "vanishing"

    def __init__(self, server: SyncServer, gone_opens: int):
        self.server, self.gone_opens = server, gone_opens
        self.open, self.opens, self.rx = False, 0, b""

    def reopen(self) -> None:
        self.opens += 1
        if self.opens <= self.gone_opens:
            raise LinkError("cannot open port vanishing: no such device")
        self.open = True

    def write(self, data: bytes) -> None:
        if not self.open:
            raise LinkError("port vanishing lost")
        self.rx += self.server.feed(data)

    def read(self, timeout: float) -> bytes:
        if not self.open:
            raise LinkError("port vanishing lost")
        data, self.rx = self.rx, b""
        return data

    def close(self) -> None:
        self.open = False


def test_a_vanished_link_is_reopened_until_the_token_is_back(tmp_path):
    ctx = TokenCtx(str(tmp_path / "tok"), "BZT-W1", bytes(32))
    t = Vanishing(SyncServer(ctx), gone_opens=3)
    seen = []
    c = SyncClient(t, timeout=0.2, wake_wait=10, on_wait=lambda w, lim, what: seen.append(what))
    assert c.hello()["token_id"] == "BZT-W1"
    assert t.opens == 4 and c.reopens == 1  # three failed opens while gone, the fourth got it
    assert "gone" in seen and seen[-1] == "awake" and c.woke_after_s is not None
    assert "stopped" not in seen
    assert c.status()["token_id"] == "BZT-W1"  # the session goes on as usual


def test_a_link_that_stays_gone_ends_in_a_link_error_naming_it(tmp_path):
    ctx = TokenCtx(str(tmp_path / "tok"), "BZT-W1", bytes(32))
    c = SyncClient(Vanishing(SyncServer(ctx), gone_opens=10**6), timeout=0.2, wake_wait=0.6)
    with pytest.raises(LinkError, match="within 0.6 s; the port: cannot open port vanishing") as e:
        c.hello()
    assert "--wake-wait" in (e.value.hint or "")


class SilentPort:
    """A pty nobody answers on (a token asleep behind a UART bridge), its slave reachable by a symlink."""

    def __init__(self, link):
        self.master, self.slave = os.openpty()
        tty.setraw(self.master)
        tty.setraw(self.slave)
        self.link = str(link)
        os.symlink(os.ttyname(self.slave), self.link)

    def vanish(self) -> None:  # the chip sleeps, its USB device goes away: the node is gone, the line dead
        os.unlink(self.link)
        for fd in (self.master, self.slave):
            os.close(fd)


def _later(seconds, fn):
    th = threading.Timer(seconds, fn)
    th.daemon = True
    th.start()
    return th


def test_serial_port_that_goes_away_and_comes_back_is_reopened(tmp_path):
    link = tmp_path / "ttyACM0"
    silent = SilentPort(link)
    tok = PtyToken(TokenCtx(str(tmp_path / "tok"), "BZT-W2", bytes(32)))
    try:
        _later(0.6, silent.vanish)
        _later(1.4, lambda: os.symlink(tok.port, link))  # it woke: a new device node, a new pty behind it
        seen = []
        c = SyncClient(SerialTransport(str(link), lazy=True), timeout=0.3, wake_wait=15,
                       on_wait=lambda w, lim, what: seen.append(what))
        assert c.hello()["token_id"] == "BZT-W2"
        assert c.reopens >= 2  # the first open, and the one after it came back
        assert seen[0] == "silent" and "gone" in seen and seen[-1] == "awake"
        c.t.close()
    finally:
        tok.close()


def test_cli_a_port_that_never_answers_exits_4_with_a_hint(tmp_path, capsys):
    silent = SilentPort(tmp_path / "ttyS9")
    try:
        rc = cli.main(["status", "--port", silent.link, "--wait", "1", "--timeout", "0.3"])
    finally:
        silent.vanish()
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 4
    assert err[0] == f"bztoken: no token answered on {silent.link} within 1 s"
    assert err[1].startswith("hint: press the token's button")
    (tmp_path / "secret").write_text("ab" * 32)
    rc = cli.main(["pull", "--port", str(tmp_path / "nothing"), "--wake-wait", "0.5", "--secret-file",
                   str(tmp_path / "secret"), "--db", str(tmp_path / "st.db")])
    err = capsys.readouterr().err
    assert rc == 4 and "within 0.5 s; the port: cannot open port" in err and "hint:" in err


def test_station_waits_for_a_sleeping_token_and_syncs_it_once(tmp_path):
    from station_helpers import PW, TOKEN, pty_token, registry, wait_for

    from host_tools.station.service import Station
    from host_tools.stationdb import StationDB

    db = tmp_path / "station.db"
    registry(db)
    link = tmp_path / "ttyACM0"
    silent = SilentPort(link)
    st = Station(db, PW, extra_ports=[str(link)], usb=False, poll_s=0.1, serial_timeout=0.3, wake_wait_s=20)
    st.start()
    try:
        def row():
            return next((p for p in st.port_views() if p["port"] == str(link)), None)

        r = wait_for(lambda: (r := row()) and r["msg_key"] == "m_waking" and r)
        assert r["state"] == "syncing" and "waiting for the token to wake" in r["message"]
        silent.vanish()  # asleep on native USB: the port goes away while the station waits
        wait_for(lambda: (r := row()) and not r["present"])
        time.sleep(0.3)
        with pty_token(tmp_path / "tok") as tok:
            os.symlink(tok.port, link)  # awake again
            r = wait_for(lambda: (r := row()) and r["state"] in ("synced", "failed") and r, timeout=30)
            assert r["state"] == "synced", r["message"]
            assert r["present"] and r["token_id"] == TOKEN and r["summary"]["records"] == 6
    finally:
        st.stop()
    with StationDB(db) as sdb:
        assert [p["status"] for p in sdb.pulls()] == ["complete"]  # one sync: the port's return started no other


def test_terminal_line_while_waiting_is_cleared_once_awake():
    import io

    out = io.StringIO()
    line = wake.StatusLine(out)
    line(3.2, 116, "gone")
    assert "waiting for the token to wake ... 3 of 116 s (no port: asleep?)" in out.getvalue()
    line(4.0, 116, "awake")
    assert out.getvalue().endswith("\r" + " " * 79 + "\r")
    assert wake.status_line(json_mode=True) is None
