"""BLE sync end to end: the token firmware (bzfw.app + bzfw.gattsync) on bumble through MicroPython's
`bluetooth` API, the unmodified host (bleak, SyncClient, pull, the CLI) on bleak backends over bumble.
See tests/blesim."""

import json
import os
import time

import pytest
from blesim.bleakbackend import backends
from blesim.token import SimToken
from blesim.world import World

from bzfw import records, wire
from host_tools import ble
from host_tools.ble.scan import scan_tokens
from host_tools.ble.transport import BleTransport
from host_tools.cli import main
from host_tools.errors import AuthError, LinkError
from host_tools.stationdb import StationDB
from host_tools.sync.client import Refused, SyncClient
from host_tools.sync.pull import pull

SECRET = bytes(range(32))
FAST = {"profile": "always-on", "long_press_ms": 500,
        "ble_sync_ms": 2000, "scan_period_ms": 60000, "scan_window_ms": 100}


@pytest.fixture
def world():
    w = World()
    yield w
    w.close()


@pytest.fixture
def station(world):
    c, s = backends(world)
    ble.set_backends(c, s)
    yield c, s
    ble.set_backends(None, None)


def _now() -> int:
    return time.time_ns() // 1_000_000


def _seed(tok: SimToken, n: int) -> tuple[int, set[bytes]]:
    """n encounter records in today's log, through the firmware's own LogStore (as if heard)."""
    now = _now()
    day = now // 86_400_000
    cids = [os.urandom(12) for _ in range(n)]
    base = day * 86_400_000
    recs = [records.encode(day, i // 900, 1, c, base + i * 1000, base + i * 1000 + 500, 2, -80, -60, -70)
            for i, c in enumerate(cids)]
    tok.app.logstore.append(day, recs)
    return day, set(cids)


def _sync_mode(tok: SimToken) -> str:
    """The wearer holds the button; the station finds the token by its sync-mode advert."""
    held = tok.hold_until_syncing()
    assert held >= tok.app.config.long_press_ms / 1000 and tok.app.gatt.active
    for _ in range(5):
        found = scan_tokens(0.4)
        if found:
            assert len(found) == 1
            return found[0]["address"]
    raise AssertionError("the token in sync mode was not found by the scan")


def _addr(b: bytes) -> str:
    return ":".join(f"{x:02X}" for x in b)


def test_pull_resumes_after_a_disconnect_mid_transfer_and_loses_nothing(world, station, tmp_path):
    tok = SimToken(world, clock_ms=_now(), secret=SECRET, config=FAST)
    day, cids = _seed(tok, 600)  # 14.4 KB: 8 reads of 2 KB
    with tok, StationDB(tmp_path / "st.db") as db:
        addr = _sync_mode(tok)
        calls = []

        def cut_after_two_reads(done: int, total: int, what: str) -> None:
            calls.append(done)
            if len(calls) == 2:  # the token's side drops the link (out of range, a reset radio)
                tok.ble.gap_disconnect(tok.app.gatt.conn)

        client = SyncClient(BleTransport(addr), timeout=1.0)
        with pytest.raises(LinkError, match="rerun to resume"):
            pull(client, db, lambda _t: SECRET, cut_after_two_reads)
        first = db.count_encounters()
        assert 0 < first < 600
        assert tok.app.logstore.confirmed(day) == 0  # nothing confirmed: the token forgets nothing

        tok.wait_for(lambda: tok.app.gatt.conn is None and tok.app.radio.sync_resp is not None,
                     what="connectable again")
        client = SyncClient(BleTransport(addr), timeout=1.0)
        s = pull(client, db, lambda _t: SECRET)
        assert s["status"] == "complete"
        rows = db.encounters("BZT-0001")
        assert {bytes(r["contact_id"]) for r in rows} == cids and len(rows) == 600
        assert s["new_rows"] == 600 - first
        assert tok.app.logstore.confirmed(day) == tok.app.logstore.size(day)
        assert s["clock"]["rtt_ms"] >= 0 and tok.app.gatt.stats["ble_connects"] == 2


def test_an_unauthenticated_central_gets_nothing(world, station):
    tok = SimToken(world, clock_ms=_now(), secret=SECRET, config=FAST)
    day, cids = _seed(tok, 50)
    with tok:
        addr = _sync_mode(tok)
        t = BleTransport(addr)
        seen = bytearray()
        real_read = t.read

        def tap(timeout: float) -> bytes:
            b = real_read(timeout)
            seen.extend(b)
            return b

        t.read = tap  # type: ignore[method-assign]
        client = SyncClient(t, timeout=1.0)
        try:
            info = client.hello()
            assert info["token_id"] == "BZT-0001" and info["provisioned"]
            for ask in (client.list_days, lambda: client.read(day, 0, 240), lambda: client.keys(day, day, 0.1),
                        lambda: client.confirm(day, 24)):
                with pytest.raises(Refused) as e:
                    ask()
                assert e.value.status == wire.E_AUTH_REQUIRED
            with pytest.raises(AuthError):
                client.auth(bytes(32))
        finally:
            t.close()
        assert not any(c in seen for c in cids)  # no record left the token
        assert tok.app.logstore.confirmed(day) == 0


def test_sync_mode_times_out_and_the_token_is_never_connectable_outside_it(world, station):
    tok = SimToken(world, clock_ms=_now(), secret=SECRET, config=FAST)
    with tok:
        tok.wait_for(lambda: tok.app.radio.addr is not None, what="advertising")
        assert scan_tokens(0.4) == []  # its Bluezone advert is not a sync-mode advert
        with pytest.raises(LinkError, match="cannot connect"):
            BleTransport(_addr(tok.app.radio.addr), timeout=0.5)
        _sync_mode(tok)
        assert tok.board.pattern == "syncing"
        tok.wait_for(lambda: not tok.app.gatt.active, timeout=5, what="sync mode to time out")
        assert tok.app.gatt.stats["ble_timeouts"] == 1
        time.sleep(0.3)  # adverts already in flight
        assert scan_tokens(0.4) == []
        with pytest.raises(LinkError, match="cannot connect"):
            BleTransport(_addr(tok.app.radio.addr), timeout=0.5)
        assert tok.app.gatt.stats["ble_connects"] == 0


def test_cli_scan_status_and_pull_over_ble(world, station, tmp_path, capsys):
    tok = SimToken(world, clock_ms=_now() - 5000, secret=SECRET, config=FAST)
    _day, cids = _seed(tok, 120)
    sf = tmp_path / "secret"
    sf.write_bytes(SECRET)
    with tok:
        tok.hold_until_syncing()
        assert main(["scan", "--seconds", "0.5", "--json"]) == 0
        found = json.loads(capsys.readouterr().out)["tokens"]
        assert len(found) == 1 and found[0]["bluezone_id"] == tok.app.radio.adv_id.hex().upper()
        addr = found[0]["address"]
        assert main(["status", "--ble", addr, "--json"]) == 0
        st = json.loads(capsys.readouterr().out)
        assert st["token_id"] == "BZT-0001" and st["hello"]["provisioned"]
        db = tmp_path / "st.db"
        assert main(["pull", "--ble", addr, "--db", str(db), "--secret-file", str(sf), "--json"]) == 0
        s = json.loads(capsys.readouterr().out)
        assert s["records"] == 120 and s["status"] == "complete"
        assert abs(s["clock"]["offset_ms"] + 5000) < 1000  # the token was 5 s behind; now set
        with StationDB(db) as d:
            got = {bytes(r["contact_id"]) for r in d.encounters()}
        assert got == cids
        assert abs(tok.clock.now_ms() - _now()) < 1000
        # Setting the clock may have crossed a slot boundary, and the token's address rotates with its ID
        # there: the station scans again rather than trust the address it connected to before.
        assert main(["scan", "--seconds", "0.5", "--json"]) == 0
        found = json.loads(capsys.readouterr().out)["tokens"]
        assert len(found) == 1
        addr = found[0]["address"]
        # The station ends sync mode rather than leaving the token connectable until the timeout.
        assert main(["ble-sync", "--ble", addr, "--off", "--secret-file", str(sf), "--json"]) == 0
        assert json.loads(capsys.readouterr().out) == {"token_id": "BZT-0001", "ble_sync_ms": 0}
        tok.wait_for(lambda: not tok.app.gatt.active and tok.app.gatt.conn is None, what="sync mode off")
        time.sleep(0.3)
        assert scan_tokens(0.4) == [] and tok.app.gatt.stats["ble_timeouts"] == 0


def test_a_station_command_turns_ble_sync_mode_on_and_off(world, station):
    tok = SimToken(world, clock_ms=_now(), secret=SECRET, config=FAST)
    with tok:
        cable = SyncClient(tok.serial(), timeout=1.0)
        cable.hello()
        with pytest.raises(Refused) as e:  # not without a session
            cable.request(wire.BLE_SYNC, wire.pack_u32(30000))
        assert e.value.status == wire.E_AUTH_REQUIRED and not tok.app.gatt.active
        cable.auth(SECRET)
        granted = wire.unpack_u32(cable.request(wire.BLE_SYNC, wire.pack_u32(30000)).payload)
        assert granted == 30000
        tok.wait_for(lambda: tok.app.gatt.active, what="sync mode")
        time.sleep(2.5)  # longer than the configured 2 s: the station asked for 30 s
        found = scan_tokens(0.4)
        assert [f["address"] for f in found] == [_addr(tok.app.radio.addr)]
        cable.request(wire.BLE_SYNC, wire.pack_u32(0))
        tok.wait_for(lambda: not tok.app.gatt.active, what="sync mode off")
        time.sleep(0.3)
        assert scan_tokens(0.4) == []
        assert tok.app.gatt.stats["ble_timeouts"] == 0


def test_a_token_that_lost_its_clock_is_found_and_set_over_ble(world, station, tmp_path, capsys):
    tok = SimToken(world, clock_ms=None, secret=SECRET, config=FAST)  # after a power loss: no time, no IDs
    sf = tmp_path / "secret"
    sf.write_bytes(SECRET)
    with tok:
        tok.hold_until_syncing()
        found = scan_tokens(0.5)
        assert len(found) == 1 and found[0]["bluezone_id"] is None  # only the sync service: no ID without time
        addr = found[0]["address"]
        assert int(addr[:2], 16) & 0xC0 == 0  # a private address, never the public MAC
        assert main(["time", "--ble", addr, "--set", "--db", str(tmp_path / "st.db"), "--secret-file", str(sf),
                     "--json"]) == 0
        r = json.loads(capsys.readouterr().out)
        assert r["token_id"] == "BZT-0001" and abs(r["residual_ms"]) < 1000
        tok.wait_for(lambda: tok.app.radio.adv_id is not None, what="the Bluezone ID on air")
        tok.wait_for(lambda: tok.app.gatt.conn is None, what="the station to leave")
        found = scan_tokens(0.5)  # still in sync mode, now with its Bluezone packet, from a new address
        assert len(found) == 1 and found[0]["bluezone_id"] == tok.app.radio.adv_id.hex().upper()
        assert found[0]["address"] != addr
        assert tok.app.stats()["loop_errors"] == 0


def test_cli_says_what_is_wrong_when_no_token_answers(world, station, capsys, monkeypatch):
    monkeypatch.setattr("host_tools.ble.transport.CONNECT_TIMEOUT_S", 0.5)
    assert main(["status", "--ble", "12:34:56:78:9A:BC", "--timeout", "0.5"]) != 0
    err = capsys.readouterr().err
    assert "cannot connect to token 12:34:56:78:9A:BC over BLE" in err and "Traceback" not in err
