"""Clock discipline end to end on CPython: the station's sync_clock against the real SyncServer and the token's
real clock (bzfw.clock) on an RTC that runs fast (host_tools.sync.ptytoken.DriftingRTC), over a pseudo-terminal.
Simulated hours pass by moving the world's clock, not by waiting."""

import time

import pytest

from bzfw import wire
from bzfw.clock import Clock
from host_tools.stationdb import StationDB
from host_tools.sync import client as sclient
from host_tools.sync.clockrate import RATE_LIMIT_PPB, RATE_MIN_INTERVAL_MS, new_rate
from host_tools.sync.ptytoken import DriftingRTC, PtyToken, SimClock, TokenCtx
from host_tools.sync.pull import sync_clock, token_rate
from host_tools.sync.transport import SerialTransport

TID = "BZT-0077"
SECRET = bytes(range(32))
HOUR = 3_600_000


class World:
    """The station's clock: real time plus hours the test skips."""

    def __init__(self):
        self.skip_ms = 0

    def __call__(self) -> int:
        return time.time_ns() // 1_000_000 + self.skip_ms


def _session(tok):
    c = sclient.SyncClient(SerialTransport(tok.port))
    info = c.hello()
    c.auth(SECRET)
    return c, info


def _sync(tok, db, world):
    c, info = _session(tok)
    try:
        return sync_clock(c, db, TID, bool(info.get("clock_set", True)), world, token_rate(info))
    finally:
        c.bye()
        c.t.close()


@pytest.fixture
def db(tmp_path):
    with StationDB(tmp_path / "station.db") as d:
        yield d


@pytest.mark.parametrize("ppm", [5000.0, -3000.0])
def test_the_station_teaches_a_fast_clock_its_rate(tmp_path, db, ppm):
    world = World()
    rtc = DriftingRTC(world, ppm)  # an RC slow clock `ppm` off, as scenarios/README.md "Physics" measures
    ctx = TokenCtx(str(tmp_path / "token"), TID, SECRET, Clock(rtc, rtc))
    with PtyToken(ctx) as tok:
        first = _sync(tok, db, world)  # the first sync at this station: nothing to measure a rate from
        assert first["rate_sent"] is False and first["rate_ppb"] == 0
        world.skip_ms += 6 * HOUR
        second = _sync(tok, db, world)  # six hours later: the offset is the drift
        assert abs(second["offset_ms"] - 6 * HOUR * ppm / 1e6) < 100
        assert second["rate_sent"] is True and abs(second["rate_ppb"] - ppm * 1000) < 50_000  # within 50 ppm
        assert ctx.clock.rate_ppb == second["rate_ppb"]
        world.skip_ms += 6 * HOUR
        third = _sync(tok, db, world)  # the next six hours under the rate the station sent
    # the error over the interval after the rate is at least 100 times smaller than before it
    assert abs(third["offset_ms"]) * 100 < abs(second["offset_ms"])
    assert third["rate_sent"] is True and abs(third["rate_ppb"] - ppm * 1000) < 50_000  # refined, not undone
    rows = db.syncs(TID)
    assert [(r["rate_sent"], r["rate_ppb"]) for r in rows] == [(0, 0), (1, second["rate_ppb"]),
                                                               (1, third["rate_ppb"])]


def test_a_token_without_a_rate_gets_the_time_only(tmp_path, db):
    world = World()
    ctx = TokenCtx(str(tmp_path / "token"), TID, SECRET, SimClock(ppm=5000))  # reports clock_rate_ppb null
    with PtyToken(ctx) as tok:
        _sync(tok, db, world)
        world.skip_ms += 6 * HOUR
        s = _sync(tok, db, world)  # an older token: the 8-byte time-set it knows, no error
    assert s["rate_sent"] is False and s["rate_ppb"] is None and abs(s["residual_ms"]) < 200


def test_a_malformed_rate_field_is_refused_and_sets_nothing(tmp_path):
    world = World()
    rtc = DriftingRTC(world, 5000)
    ctx = TokenCtx(str(tmp_path / "token"), TID, SECRET, Clock(rtc, rtc))
    ctx.clock.set_ms(world())
    with PtyToken(ctx) as tok:
        c, _ = _session(tok)
        for bad in (wire.pack_ms(world()) + b"\x01\x02", wire.pack_time_set(world() + 60_000, 10**9)):
            with pytest.raises(sclient.Refused) as e:
                c.request(wire.TIME_SET, bad)
            assert e.value.status == wire.E_BAD_REQUEST
            assert "time-set is 8 bytes" in str(e.value) or "rate_ppb" in str(e.value)
        assert ctx.clock.rate_ppb == 0 and abs(ctx.clock.now_ms() - world()) < 1000  # nothing set
        c.bye()
        c.t.close()


def _prev(residual=0, rate=0, at=0):
    return {"host_ms": at, "residual_ms": residual, "rate_ppb": rate}


def test_new_rate_only_from_a_sound_interval():
    assert new_rate(_prev(), 18_000, HOUR, 0, True) == 5_000_000  # 18 s in an hour: 5000 ppm
    assert new_rate(_prev(rate=5_000_000), 0, HOUR, 5_000_000, True) == 5_000_000  # no drift left: kept
    # on top of a rate in force: composed, (1 + r)(1 + e) - 1
    assert new_rate(_prev(rate=5_000_000), 3600, HOUR, 5_000_000, True) == round((1.005 * 1.001 - 1) * 1e9)
    assert new_rate(None, 18_000, HOUR, 0, True) is None  # no earlier sync here
    assert new_rate(_prev(), 18_000, HOUR, None, True) is None  # an older token
    assert new_rate(_prev(), 18_000, HOUR, 0, False) is None  # the clock was lost meanwhile (power loss)
    assert new_rate(_prev(residual=None), 18_000, HOUR, 0, True) is None  # the previous sync set nothing
    assert new_rate(_prev(rate=1000), 18_000, HOUR, 0, True) is None  # someone else changed its rate since
    assert new_rate(_prev(), 1000, RATE_MIN_INTERVAL_MS - 1, 0, True) is None  # too short to mean anything
    assert new_rate(_prev(), 3_000_000, HOUR, 0, True) == RATE_LIMIT_PPB  # clamped
    assert new_rate(_prev(), -3_000_000, HOUR, 0, True) == -RATE_LIMIT_PPB


def test_provisioning_records_the_rate_in_force_and_teaches_a_token_synced_before(tmp_path):
    """A new token's provisioning records the rate it reports (0), so its first pull already measures one; a
    token provisioned again after a sync at this station (here: a run cut by Ctrl-C after the clock was set, run
    again six hours later) gets the rate measured from the last recorded sync, by the pull's own new_rate."""
    from provisioning import batch
    from provisioning.registry import Registry

    path = tmp_path / "station.db"
    world = World()
    rtc = DriftingRTC(world, 5000)
    ctx = TokenCtx(str(tmp_path / "token"), None, None, Clock(rtc, rtc))
    calls = {"n": 0}

    def cut_after_the_clock(port):
        client = batch.open_client(port)
        if calls["n"] == 0:
            def interrupted():
                raise KeyboardInterrupt
            client.bye = interrupted
        calls["n"] += 1
        return client

    row = batch.WearerRow(name="Trần Thị Mai", ref="R-7")
    with PtyToken(ctx) as tok, Registry(path, "station passphrase 1", kdf_n=2**10) as reg, StationDB(path) as db:
        with pytest.raises(KeyboardInterrupt):
            batch.provision_one(reg, row, tok.port, db=db, clock_ms=world, connect=cut_after_the_clock)
        (t,) = reg.tokens()
        tid = t["token_id"]
        assert t["status"] == "pending"
        (first,) = db.syncs(tid)
        assert (first["clock_valid"], first["rate_ppb"], first["rate_sent"]) == (0, 0, 0)  # the time only
        world.skip_ms += 6 * HOUR
        out = batch.provision_one(reg, row, tok.port, db=db, clock_ms=world, connect=cut_after_the_clock)
        assert out.status == "provisioned" and out.token_id == tid
        prev, second = db.syncs(tid)
        assert second["rate_sent"] == 1 and abs(second["offset_ms"] - 6 * HOUR * 5000 / 1e6) < 100
        assert second["rate_ppb"] == new_rate(prev, second["offset_ms"], second["host_ms"], 0, True)
        assert abs(second["rate_ppb"] - 5_000_000) < 50_000 and ctx.clock.rate_ppb == second["rate_ppb"]
