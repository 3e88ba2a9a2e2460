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

virtual = pytest.importorskip("host_tools.virtual")

SECRET = bytes(range(100, 132))


def _client(port, **kw):
    kw.setdefault("timeout", 2.0)
    return SyncClient(SerialTransport(port), **kw)


def _hear(vt, contacts, seconds=2.5):
    """Phones around the token for a while (adverts heard only while it scans)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for i, cid in enumerate(contacts):
            vt.inject(bytes([0xC0, 0, 0, 0, 1, i]), adv.build(cid), -55 - i)
        time.sleep(0.02)


@pytest.fixture
def vt(tmp_path):
    with virtual.VirtualToken(tmp_path / "t", name="T1", speed=60) as t:
        yield t


def test_provision_hear_pull_over_the_virtual_token(vt, tmp_path):
    c = _client(vt.port)
    assert c.hello()["provisioned"] is False
    c.provision("BZT-V1", SECRET)
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
    c.provision("BZT-V2", SECRET)
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
    with virtual.VirtualToken(d, name="T3", speed=60) as vt:
        c = _client(vt.port)
        c.hello()
        c.provision("BZT-V3", SECRET)
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
    with virtual.VirtualToken(d, name="T3", speed=60) as vt, StationDB(tmp_path / "st.db") as db:
        s = pull(_client(vt.port), db, lambda tid: SECRET)
        assert s["records"] >= total and len(db.encounters("BZT-V3")) == s["new_rows"]
        assert pull(_client(vt.port), db, lambda tid: SECRET)["duplicates"] == 0
