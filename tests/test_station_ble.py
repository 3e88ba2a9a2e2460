"""The station's BLE scan button: a token held in sync mode (the firmware on bumble, tests/blesim) is found,
synced over GATT like a plugged-in token and leaves; without a radio the page says "BLE not available"."""

import time

import pytest
from station_helpers import SECRET, TOKEN, Client, registry, running_station, wait_for

from bzfw import records
from host_tools.errors import LinkError
from host_tools.station import store

blesim = pytest.importorskip("blesim.world", reason="the BLE simulator needs bumble")
from blesim.bleakbackend import backends  # noqa: E402
from blesim.token import SimToken  # noqa: E402

from host_tools import ble  # noqa: E402

FAST = {"profile": "always-on", "long_press_ms": 500,
        "ble_sync_ms": 4000, "scan_period_ms": 60000, "scan_window_ms": 100}


@pytest.fixture
def world():
    w = blesim.World()
    c, s = backends(w)
    ble.set_backends(c, s)
    try:
        yield w
    finally:
        ble.set_backends(None, None)
        w.close()


def test_ble_scan_finds_a_token_in_sync_mode_and_syncs_it(world, tmp_path):
    db = tmp_path / "station.db"
    registry(db)
    now = time.time_ns() // 1_000_000
    day = now // 86_400_000
    recs = [records.encode(day, 3, 1, bytes([i]) * 12, day * 86_400_000 + 2_700_000 + i * 1000,
                           day * 86_400_000 + 2_700_500 + i * 1000, 2, -80, -60, -70) for i in range(120)]
    tok = SimToken(world, clock_ms=now, secret=SECRET, token_id=TOKEN, config=FAST)
    tok.app.logstore.append(day, recs)
    with tok, running_station(db, ble_scan_s=0.4) as (st, port):
        c = Client(port)
        c.login()
        tok.hold_until_syncing()
        found = []
        for _ in range(5):
            code, r = c.post("/api/ble/scan")
            assert code == 200 and r["available"] is True
            if r["tokens"]:
                found = r["tokens"]
                break
        assert len(found) == 1
        ble_port = found[0]["port"]
        assert ble_port.startswith("ble:")

        def synced():
            p = next((p for p in c.get("/api/state")[1]["ports"] if p["port"] == ble_port), None)
            return p if p and p["state"] in ("synced", "failed") and not p["present"] else None

        p = wait_for(synced, timeout=30)
        assert p["state"] == "synced" and p["token_id"] == TOKEN, p
        assert p["summary"]["records"] == 120 and p["present"] is False  # it left sync mode: scan again
    acts = [a["action"] for a in store.audit_log(db)]
    assert "ble_scan" in acts and "ble_found" in acts and "sync" in acts


def test_without_a_radio_the_scan_says_ble_not_available(tmp_path, monkeypatch):
    db = tmp_path / "station.db"
    registry(db)

    def no_radio(seconds=5.0, backend=None):
        raise LinkError("BLE scan failed: No Bluetooth adapters found.")

    monkeypatch.setattr("host_tools.ble.scan.scan_tokens", no_radio)
    with running_station(db) as (st, port):
        c = Client(port)
        c.login()
        code, r = c.post("/api/ble/scan")
        assert code == 200 and r["available"] is False and r["message"] == "ble_not_available"
        assert "adapter" in r["detail"] and r["tokens"] == []
