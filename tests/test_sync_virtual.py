"""Sync end to end against a virtual token (the real firmware on the MicroPython unix port, its console on a
pty): provision over the protocol, encounters heard on its simulated air, pulled into the station DB;
garbage on the line; a pulled cable (the token stopped mid-pull) and a rerun."""

import os
import time

import pytest

from bzfw import adv, wire
from host_tools.errors import LinkError
from host_tools.stationdb import StationDB
from host_tools.sync.client import SyncClient
from host_tools.sync.pull import pull
from host_tools.sync.transport import SerialTransport

# An awake token: tests here need it (the firmware's default profile sleeps, bzfw.config.DEFAULT_PROFILE).
ALWAYS_ON = {"profile": "always-on"}

virtual = pytest.importorskip("host_tools.virtual")

SECRET = bytes(range(100, 132))


def _client(port, **kw):
    kw.setdefault("timeout", 2.0)
    return SyncClient(SerialTransport(port), **kw)


def _hear(vt, contacts, seconds=2.0):
    """Phones around the token for a while (adverts heard only while it scans)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for i, cid in enumerate(contacts):
            vt.inject(bytes([0xC0, 0, 0, 0, 1, i]), adv.build(cid), -55 - i)
        time.sleep(0.02)


@pytest.fixture
def vt(tmp_path):
    with virtual.VirtualToken(tmp_path / "t", name="T1", speed=60, config=ALWAYS_ON) as t:
        yield t


def test_provision_hear_pull_over_the_virtual_token(vt, tmp_path):
    c = _client(vt.port)
    assert c.hello()["provisioned"] is False
    c.provision("BZT-V1", SECRET, ALWAYS_ON)
    contacts = [bytes([0x10 + i]) * 12 for i in range(4)]
    _hear(vt, contacts)
    with StationDB(tmp_path / "st.db") as db:
        s = pull(_client(vt.port), db, lambda tid: SECRET)
        rows = db.encounters("BZT-V1")
        assert s["status"] == "complete" and s["records"] == len(rows) > 0
        assert {r["contact_id"] for r in rows} <= set(contacts) and len({r["contact_id"] for r in rows}) >= 2
        assert all(r["first_seen_ms"] == r["raw_first_seen_ms"] + r["correction_ms"] for r in rows)
        assert abs(s["clock"]["residual_ms"]) < 5000  # speed 60: one real ms is 60 token ms
        again = pull(_client(vt.port), db, lambda tid: SECRET)
        assert again["new_rows"] == len(db.encounters("BZT-V1")) - len(rows)  # only what was heard since


def test_wrong_secret_and_garbage_on_the_line(vt, tmp_path):
    c = _client(vt.port)
    c.hello()
    c.provision("BZT-V2", SECRET, ALWAYS_ON)
    c.t.write(b"\r\n>>> import os\r\n" + os.urandom(500) + bytes([wire.END]) + b"\x03\x03garbage")
    info = c.hello()
    assert info["token_id"] == "BZT-V2"
    from host_tools.errors import AuthError

    with StationDB(tmp_path / "st.db") as db:
        with pytest.raises(AuthError):
            pull(_client(vt.port), db, lambda tid: b"\x00" * 32)
        assert db.encounters() == []
    st = _client(vt.port).status()
    assert st["auth_failures"] == 1 and st["line_errors"] > 0


def test_pull_interrupted_by_a_stopped_token_resumes(tmp_path):
    d = tmp_path / "t"
    contacts = [bytes([0x40 + i]) * 12 for i in range(6)]
    with virtual.VirtualToken(d, name="T3", speed=60, config=ALWAYS_ON) as vt:
        c = _client(vt.port)
        c.hello()
        c.provision("BZT-V3", SECRET, ALWAYS_ON)
        _hear(vt, contacts)
        c.hello()  # the app persists what RAM holds when a station talks
        total = c.status()["log_bytes"] // 24
        assert total > 0
        with StationDB(tmp_path / "st.db") as db:
            cl = _client(vt.port, timeout=0.5, retries=1)
            orig = cl.read

            def read(day, off, n):
                vt.stop()  # the cable is pulled before the first chunk is answered
                return orig(day, off, n)

            cl.read = read
            with pytest.raises(LinkError):
                pull(cl, db, lambda tid: SECRET)
            assert db.encounters() == []
    with virtual.VirtualToken(d, name="T3", speed=60) as vt, StationDB(tmp_path / "st.db") as db:  # as provisioned
        s = pull(_client(vt.port), db, lambda tid: SECRET)
        assert s["records"] >= total and len(db.encounters("BZT-V3")) == s["new_rows"]
        assert pull(_client(vt.port), db, lambda tid: SECRET)["duplicates"] == 0


def _provisioned_with_log(vt, n_contacts=30):
    c = _client(vt.port)
    c.hello()
    c.provision("BZT-V4", SECRET, ALWAYS_ON)
    _hear(vt, [bytes([0x60 + i]) * 12 for i in range(n_contacts)])
    info = c.hello()  # the app persists what RAM holds when a station talks
    return info


def test_corrupted_bytes_both_ways_are_retransmitted(vt, tmp_path):
    from host_tools.sync.transport import FaultyTransport

    _provisioned_with_log(vt)
    t = FaultyTransport(SerialTransport(vt.port), tx_every=5, rx_every=7)
    c = SyncClient(t, timeout=0.5, retries=10)
    with StationDB(tmp_path / "st.db") as db:
        s = pull(c, db, lambda tid: SECRET, chunk=10 * 24)
        assert t.damaged > 0 and s["retransmits"] > 0 and s["status"] == "complete"
        rows = db.encounters("BZT-V4")
        assert len(rows) == s["records"] > 0
        assert {r["contact_id"][0] for r in rows} <= set(range(0x60, 0x60 + 30))
        assert all(r["contact_id"] == bytes([r["contact_id"][0]]) * 12 for r in rows)  # no damaged ID stored
    st = _client(vt.port).status()
    assert st["line_errors"] > 0 and st["unconfirmed_bytes"] < st["log_bytes"]


def _token_pid(vt):
    import re

    boots = re.findall(r"boot \d+: pid (\d+)", (vt.dir / "supervisor.log").read_text())
    return int(boots[-1])


def test_token_reset_mid_pull_resumes_in_the_same_run(vt, tmp_path):
    import signal

    _provisioned_with_log(vt)
    c = _client(vt.port, timeout=1.0, retries=10)
    orig = c.read
    calls = []

    def read(day, off, n):
        calls.append(off)
        if len(calls) == 3:
            os.kill(_token_pid(vt), signal.SIGKILL)  # a crash: the supervisor restarts it, as a reset would
        return orig(day, off, n)

    c.read = read
    with StationDB(tmp_path / "st.db") as db:
        s = pull(c, db, lambda tid: SECRET, chunk=5 * 24)
        assert s["status"] == "complete" and s["records"] == len(db.encounters("BZT-V4")) > 10
        assert "boot 1" in (vt.dir / "supervisor.log").read_text()
        offsets = sorted(r["file_offset"] for r in db.encounters("BZT-V4") if r["day"] == s["days"][-1]["day"])
        assert offsets == list(range(0, 24 * len(offsets), 24))  # nothing lost, nothing twice


def test_token_answers_a_newer_station_with_its_version(vt):
    t = SerialTransport(vt.port)
    t.write(wire.encode(0, 7, wire.HELLO, ver=wire.VERSION + 1))
    dec = wire.Decoder()
    got = []
    for _ in range(25):
        got += dec.feed(t.read(0.2))
        if got:
            break
    t.close()
    assert got and got[0].status == wire.E_VERSION and got[0].payload == bytes([wire.VERSION])


def test_pull_sets_a_clock_lost_to_a_power_cut(tmp_path):
    with virtual.VirtualToken(tmp_path / "t", name="T5", speed=60, clock="unset", config=ALWAYS_ON) as vt:
        c = _client(vt.port)
        info = c.hello()
        assert info["clock_set"] is False
        c.provision("BZT-V5", SECRET, ALWAYS_ON)
        with StationDB(tmp_path / "st.db") as db:
            s = pull(_client(vt.port), db, lambda tid: SECRET)
            assert s["clock"]["clock_valid"] is False  # a lost clock's offset says nothing about drift
            (row,) = db.syncs("BZT-V5")
            assert row["clock_valid"] == 0 and abs(row["residual_ms"]) < 5000
        st = _client(vt.port).status()
        assert st["clock_set"] is True and abs(st["now_ms"] - int(time.time() * 1000)) < 10_000
