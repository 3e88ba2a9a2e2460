"""A whole sync on a busy token with 16 KB of free heap: the virtual token (the firmware as .mpy on the MicroPython
unix port) with 120 contacts open, its heap then taken until only 16 KB are left (vmain's heap_free_target),
then every command a station sends over the serial link (hello, which writes the 120 open encounters to the
log, auth, time, list-days, full 2 KB reads, confirm, status, keys with the button, ble-sync, provision, bye),
all encrypted. The unix port is 64-bit: its objects take about twice the bytes they take on an ESP32, so 16 KB
free here is tighter than 16 KB on the chip."""

import time

import pytest

from bzfw import adv, ids, records, wire
from host_tools.stationdb import StationDB
from host_tools.sync.client import SyncClient
from host_tools.sync.pull import pull
from host_tools.sync.transport import SerialTransport

virtual = pytest.importorskip("host_tools.virtual")

SECRET = bytes(range(60, 92))
NEW_SECRET = bytes(range(140, 172))
FREE = 16 * 1024
BUTTON = 9  # esp32c3-supermini
CFG = {"profile": "always-on", "scan_period_ms": 10000, "scan_window_ms": 10000}


def _client(port):
    return SyncClient(SerialTransport(port), timeout=3.0)


def _status(vt, key, timeout=20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        st = vt.status()
        if st and key in st:
            return st
        time.sleep(0.05)
    raise AssertionError(f"no {key} in the token's status")


def test_a_whole_sync_with_16_kb_free(tmp_path):
    d = tmp_path / "t"
    contacts = [bytes([i, 0x5A]) + bytes(10) for i in range(120)]  # 120 records: full 2 KB reads
    with virtual.VirtualToken(d, name="LOW", speed=20, config=CFG) as vt:
        c = _client(vt.port)
        c.hello()
        c.provision("BZT-LOW", SECRET, CFG)
        end = time.monotonic() + 20
        while time.monotonic() < end and vt.status().get("open", 0) < len(contacts):
            for i, cid in enumerate(contacts):
                vt.inject(bytes([0xC2, 0, 0, 0, i >> 8, i & 0xFF]), adv.build(cid), -60)
        assert vt.status()["open"] >= len(contacts)  # a busy place: the encounter table in use
        (d / "target.tmp").write_text(str(FREE))
        (d / "target.tmp").rename(d / "heap_free_target")  # the token now has FREE bytes free
        end = time.monotonic() + 10
        while time.monotonic() < end and "heap_target" not in (st := vt.status()):
            time.sleep(0.05)
        assert st["heap_free"] <= FREE + 512, st["heap_free"]
        with StationDB(tmp_path / "st.db") as db:
            s = pull(_client(vt.port), db, lambda tid: SECRET)  # its hello writes the open encounters
            assert s["status"] == "complete" and s["records"] >= len(contacts)
        c = _client(vt.port)
        c.login(SECRET)
        st = c.status()
        assert st["token_id"] == "BZT-LOW"
        days = c.list_days()
        assert days and all(conf == size for _d, size, conf in days)  # the pull confirmed everything
        size, data = c.read(days[-1][0], 0, wire.MAX_PAYLOAD - 4)
        assert len(data) == min(size, (wire.MAX_PAYLOAD - 4) // records.RECORD_SIZE * records.RECORD_SIZE)
        today = ids.day_of(c.time_get())
        vt.set_pin(BUTTON, 0)  # the wearer holds the button: the diagnosis export is confirmed
        try:
            keys = c.keys(today - 1, today, wait_s=20)
        finally:
            vt.set_pin(BUTTON, 1)
        assert keys and all(len(k) == 32 for _d, k in keys)
        granted = wire.unpack_u32(c.request(wire.BLE_SYNC, wire.pack_u32(60000)).payload)
        assert granted == 0  # no GATT server on the virtual radio: nothing granted
        c.provision("BZT-LOW", NEW_SECRET, CFG)
        c.bye()
        c2 = _client(vt.port)
        c2.login(NEW_SECRET)
        counters = c2.status()["counters"]
        assert counters["loop_errors"] == 0 and counters["write_errors"] == 0, counters
        c2.bye()
