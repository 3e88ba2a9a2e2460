"""The virtual token end to end: the real firmware on the MicroPython unix port, behind a pty."""

import json
import os
import time

from polling import wait_until

from bzfw import adv, ids, records
from host_tools import virtual
from host_tools.virtual import VirtualToken

# An awake token: tests here need it (the firmware's default profile sleeps, bzfw.config.DEFAULT_PROFILE).
ALWAYS_ON = {"profile": "always-on"}

PHONE = bytes.fromhex("0102030405060708090a0b0c")
ADDR = bytes.fromhex("4a0102030405")
SCAN_ALWAYS = {"profile": "always-on", "scan_period_ms": 10000, "scan_window_ms": 10000}


def test_virtual_token_end_to_end(tmp_path):
    speed = 10
    b = (int(time.time() * 1000) // ids.SLOT_MS + 1) * ids.SLOT_MS  # a slot boundary
    d = tmp_path / "t1"
    with VirtualToken(d, name="T1", speed=speed, clock=b - 4000, config=SCAN_ALWAYS) as t:
        assert t.port and os.path.exists(t.port)
        assert (d / "port").read_text().strip() == t.port
        assert any(x["dir"] == str(d.resolve()) for x in virtual.list_tokens())
        # a Bluezone phone nearby, before and after the boundary
        assert wait_until(lambda: (t.inject(ADDR, adv.build(PHONE), -55), t.now_ms() > b + 6000)[1])
        assert wait_until(lambda: t.status()["received"] > 0)  # status.json is rewritten about once a second
        st = t.status()
        assert st["clock_set"] and st["loop_errors"] == 0
    assert not (d / "port").exists()
    assert all(x["dir"] != str(d.resolve()) for x in virtual.list_tokens())

    on = [e for e in virtual.adverts(d) if e["adv"]]
    assert all(not e["public"] for e in virtual.adverts(d)), "never from the public address"
    before = [e for e in on if e["t"] < b]
    after = [e for e in on if e["t"] >= b]
    assert before and after
    change = after[0]
    assert change["t"] - b < 1500  # virtual ms: at speed 10 that is 150 ms of real scheduling delay
    assert change["addr"] != before[-1]["addr"], "the address changed with the ID"

    files = virtual.read_flash(d)
    # the boundary may be a UTC midnight: each slot's ID comes from its own day's key
    key_before = files[f"/keys/{ids.day_of(b - 1)}.key"][:32]
    key = files[f"/keys/{ids.day_of(b)}.key"][:32]
    assert bytes.fromhex(before[-1]["adv"]) == adv.build(ids.slot_id(key_before, ids.slot_of(b - 1)))
    assert bytes.fromhex(change["adv"]) == adv.build(ids.slot_id(key, ids.slot_of(b)))
    # the phone was logged in its flash image, in both slots
    logged = []
    for name, data in files.items():
        if name.startswith("/log/") and name.endswith(".log"):
            dd = int(name[5:-4])
            for o in range(0, len(data), records.RECORD_SIZE):
                logged.append(records.decode(data[o:o + records.RECORD_SIZE], dd))
    assert {r[3] for r in logged} == {PHONE}
    assert {r[1] for r in logged} == {ids.slot_of(b - 1), ids.slot_of(b)}


def test_console_is_raw_binary(tmp_path):
    d = tmp_path / "t2"
    with VirtualToken(d, speed=1, config=ALWAYS_ON) as t:
        fd = os.open(t.port, os.O_RDWR | os.O_NOCTTY)
        try:
            os.write(fd, b"\x00\x03\r\n\x7f\xff\x1a\x04" * 8)  # Ctrl-C, CR, LF, Ctrl-Z, Ctrl-D: just bytes
            assert wait_until(lambda: t.status()["console_rx"] == 64)
        finally:
            os.close(fd)
        assert t.status()["loop_errors"] == 0


def test_power_loss_then_clock_not_set(tmp_path):
    d = tmp_path / "t3"
    t = VirtualToken(d, speed=1, config=ALWAYS_ON).start()
    assert wait_until(lambda: t.status()["adv_id"] is not None)
    t.stop(power_cut=True)
    with VirtualToken(d, speed=1, clock="unset") as t:  # the same flash, config kept
        st = t.status()
        assert st["clock_set"] is False and st["adv_id"] is None and st["led"] == "needs_sync"
        assert wait_until(lambda: t.status()["led_changes"] > 2)  # blinking
        for _ in range(20):
            t.inject(ADDR, adv.build(PHONE), -50)
            time.sleep(0.05)
        assert wait_until(lambda: t.status()["air_missed"] == 20)  # not scanning: nothing heard
        assert t.status()["sightings"] == 0
    assert [e for e in virtual.adverts(d) if e["adv"]] == []


def test_eco_deep_sleep_wakes_with_the_clock_kept(tmp_path):
    # A short eco cycle (20 s period, 8 s window) at 10x: the unix port's start-up (~0.2 s real) then
    # costs ~2 s of virtual time, about what a token's boot and BLE start-up cost.
    speed, period, window, lead = 10, 20000, 8000, 2000
    cfg = {"profile": "eco", "wake_period_ms": period, "wake_window_ms": window, "wake_lead_ms": lead}
    first = (int(time.time() * 1000) // period + 1) * period
    d = tmp_path / "t4"
    with VirtualToken(d, speed=speed, clock=first + 4000, config=cfg) as t:
        log = d / "supervisor.log"
        assert wait_until(lambda: "deep sleep" in log.read_text())
        assert wait_until(lambda: any(e["adv"] and e["t"] >= first + period - lead for e in t.adverts()))
        assert "boot 1" in log.read_text()
    woke = [e for e in virtual.adverts(d) if e["adv"] and e["t"] >= first + period - lead]
    # the advert after the wake proves the clock survived deep sleep (no advert without a set clock);
    # the token wakes `lead` early (its boot time) and is up for the next UTC-aligned window
    assert first + period - lead <= woke[0]["t"] < first + period + window
    stops = [e for e in virtual.adverts(d) if not e["adv"] and first <= e["t"] < first + period]
    assert stops and stops[0]["t"] % period >= window, "went to sleep only after the window"


def test_two_virtual_tokens_log_each_other(tmp_path):
    d1, d2 = tmp_path / "a", tmp_path / "b"
    with VirtualToken(d1, speed=10, config=SCAN_ALWAYS) as t1, VirtualToken(d2, speed=10, config=SCAN_ALWAYS) as t2:
        with virtual.AirRelay([d1, d2], rssi=-58) as relay:
            assert wait_until(lambda: t1.status()["sightings"] > 0 and t2.status()["sightings"] > 0)
        assert relay.sent > 0
    for me, other in ((d1, d2), (d2, d1)):
        sent = {bytes.fromhex(e["adv"])[11:] for e in virtual.adverts(other) if e["adv"]}
        logged = set()
        for name, data in virtual.read_flash(me).items():
            if name.startswith("/log/") and name.endswith(".log"):
                for o in range(0, len(data), records.RECORD_SIZE):
                    r = records.decode(data[o:o + records.RECORD_SIZE], int(name[5:-4]))
                    logged.add(r[3])
                    assert r[6] >= 1 and r[7] == -58  # count, rssi_min
        assert logged and logged <= sent, "a token logs exactly the IDs its neighbour sent"


def test_ios_phone_read_over_gatt_and_logged(tmp_path):
    ios_id = bytes.fromhex("a1a2a3a4a5a6a7a8a9aaabac")
    ios_addr = bytes.fromhex("5b0102030405")
    ios_adv = bytes.fromhex("020106") + bytes([0x14, 0xFF, 0x4C, 0x00, 0x01, 0x08]) + bytes(15)  # backgrounded iOS
    gone = bytes.fromhex("5c0102030405")  # an iOS advert whose phone is not there to connect to
    d = tmp_path / "t6"
    with VirtualToken(d, speed=10, config=dict(ALWAYS_ON, scan_period_ms=10000, scan_window_ms=5000)) as t:
        t.set_gatt_peer(ios_addr, ios_id)
        assert wait_until(lambda: (t.inject(ios_addr, ios_adv, -66), t.inject(gone, ios_adv, -70),
                              t.status().get("ios_reads", 0) >= 1)[2])
        assert wait_until(lambda: t.status().get("ios_failed", 0) >= 1)  # the absent one timed out
        assert t.status()["loop_errors"] == 0
    logged = []
    for name, data in virtual.read_flash(d).items():
        if name.startswith("/log/") and name.endswith(".log"):
            for o in range(0, len(data), records.RECORD_SIZE):
                logged.append(records.decode(data[o:o + records.RECORD_SIZE], int(name[5:-4])))
    assert {(r[2], r[3]) for r in logged} == {(adv.KIND_IOS, ios_id)}


def test_clock_host_is_exact_and_drift_is_modelled(tmp_path):
    with VirtualToken(tmp_path / "t7", speed=1, config=ALWAYS_ON) as t:
        assert abs(t.now_ms() - time.time() * 1000) < 50, "set from the host's clock at boot, no start-up lag"
    with VirtualToken(tmp_path / "t8", speed=1, drift_ppm=200000, config=ALWAYS_ON) as t:  # an RTC 20 % fast
        anchor = json.loads((tmp_path / "t8" / "clock.json").read_text())
        time.sleep(0.5)
        elapsed_ms = (time.time_ns() - anchor["real_ns"]) / 1e6
        ahead = t.now_ms() - time.time() * 1000
        assert abs(ahead - 0.2 * elapsed_ms) < 50
        assert wait_until(lambda: t.status()["now_ms"] - time.time() * 1000 > 0.1 * elapsed_ms)
