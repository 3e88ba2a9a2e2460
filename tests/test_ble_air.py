"""The token on a real BLE stack (bumble): what a central hears from it, and what it logs from emulated
Bluezone phones (an Android advertiser, iOS GATT peripherals), with RSSI from the distance. See tests/blesim."""

import time

import pytest
from blesim.bleakbackend import backends
from blesim.phones import AndroidPhone, IosPhone
from blesim.token import SimToken
from blesim.world import World, rssi_at

from bzfw import adv, ids
from host_tools import ble
from host_tools.ble.scan import scan_tokens
from host_tools.ble.transport import BleTransport
from host_tools.stationdb import StationDB
from host_tools.sync.client import SyncClient
from host_tools.sync.pull import pull

SECRET = bytes(range(32, 64))
SLOT_MS = 900_000
DAY_MS = 86_400_000
_EXT_CONNECTABLE = 0x01


@pytest.fixture
def world():
    w = World()
    yield w
    w.close()


def _wall() -> int:
    return time.time_ns() // 1_000_000


def test_a_central_hears_the_exact_bluezone_packet_and_a_new_id_from_a_new_address_after_the_slot(world):
    # 1.5 s before the next UTC midnight on the token's clock: the slot boundary is also a day boundary, so
    # the two IDs come from two days' keys (the harder case, tested on every run)
    start = (_wall() // DAY_MS + 1) * DAY_MS - 1500
    tok = SimToken(world, clock_ms=start, secret=SECRET, config={"profile": "always-on"})
    central = world.add_device("central", "C0:CE:27:1A:10:01", (4.0, 0.0))
    heard: list[tuple[str, bytes, int, int]] = []

    def report(r) -> None:
        heard.append((r.address.to_string(with_type_qualifier=False), bytes(r.data), int(r.event_type), r.rssi))

    central.host.on("advertising_report", report)
    world.call(central.start_scanning(active=False, filter_duplicates=False))
    slot0 = start // SLOT_MS
    expected = []
    with tok:
        tok.wait_for(lambda: tok.app.radio.rotations >= 2, timeout=5, what="the slot boundary")
        time.sleep(0.5)
        for s in (slot0, slot0 + 1):  # read while the token's flash still exists (close() removes it)
            key = tok.app.keystore.get(s * SLOT_MS // DAY_MS)
            assert key is not None
            expected.append(adv.build(ids.slot_id(key, s % ids.SLOTS_PER_DAY)))
    assert (slot0 * SLOT_MS) // DAY_MS + 1 == ((slot0 + 1) * SLOT_MS) // DAY_MS  # two days
    pairs = {(a, d) for a, d, _e, _r in heard}
    by_id: dict[bytes, set[str]] = {}
    for a, d in pairs:
        by_id.setdefault(d, set()).add(a)
    assert set(by_id) == set(expected)  # byte for byte the Bluezone packet of each slot, nothing else
    a0, a1 = (by_id[e] for e in expected)
    assert len(a0) == 1 and len(a1) == 1 and a0 != a1  # one address per ID, a new one with the new ID
    for a in a0 | a1:
        assert int(a[:2], 16) & 0xC0 == 0  # non-resolvable private addresses, never the public MAC
    assert all(not e & _EXT_CONNECTABLE for _a, _d, e, _r in heard)  # outside sync mode: not connectable
    assert {r for *_x, r in heard} == {rssi_at(4.0)}


def test_the_token_logs_an_android_phone_from_its_advert_and_ios_phones_by_a_gatt_read(world, tmp_path):
    mid = (_wall() // SLOT_MS) * SLOT_MS + SLOT_MS // 2  # the token's clock mid-slot: no rotation in the test
    cfg = {"profile": "always-on", "scan_period_ms": 1000, "scan_window_ms": 400, "ios_reads_per_min": 6,
           "long_press_ms": 500}
    tok = SimToken(world, clock_ms=mid, secret=SECRET, config=cfg)
    clock = tok.clock.now_ms
    android = AndroidPhone(world, bytes(range(32)), (2.0, 0.0), now_ms=clock).start()
    ios = IosPhone(world, bytes(range(1, 33)), (1.0, 0.0), now_ms=clock).start()
    ios_bg = IosPhone(world, bytes(range(2, 34)), (0.0, 3.0), address="E2:00:00:00:00:02", now_ms=clock,
                      background=True).start()
    st = tok.app.stats
    with tok:
        tok.wait_for(lambda: st()["ios_reads"] >= 2 and st()["ios_cached"] >= 2, timeout=15,
                     what="both iOS phones read, then logged from the cache")
        assert ios.reads == 1 and ios_bg.reads == 1  # once per slot each, however often they are heard
        assert st()["ios_failed"] == 0
        # The station pulls over BLE: what the token logged arrives with the phones' IDs and RSSI.
        c, s = backends(world, position=(0.5, 0.0))
        ble.set_backends(c, s)
        try:
            tok.hold_until_syncing()
            addr = scan_tokens(0.5)[0]["address"]
            with StationDB(tmp_path / "st.db") as db:
                pull(SyncClient(BleTransport(addr), timeout=1.0), db, lambda _t: SECRET)
                rows = {(bytes(r["contact_id"]), r["kind"]): r for r in db.encounters()}
        finally:
            ble.set_backends(None, None)
    want = {(android.current_id(), 1): 2.0, (ios.current_id(), 2): 1.0, (ios_bg.current_id(), 2): 3.0}
    assert set(rows) == set(want)
    for k, dist in want.items():
        r = rows[k]
        assert r["rssi_min"] == r["rssi_max"] == rssi_at(dist)
        assert r["slot"] == (mid % DAY_MS) // SLOT_MS and r["count"] >= 1


def test_the_ios_reader_drops_a_value_that_is_not_12_bytes(world):
    mid = (_wall() // SLOT_MS) * SLOT_MS + SLOT_MS // 2
    cfg = {"profile": "always-on", "scan_period_ms": 1000, "scan_window_ms": 400, "ios_reads_per_min": 2}
    tok = SimToken(world, clock_ms=mid, secret=SECRET, config=cfg)
    bad = IosPhone(world, bytes(32), (1.0, 0.0), value=lambda: bytes(11)).start()
    with tok:
        tok.wait_for(lambda: tok.app.stats()["ios_bad_len"] >= 2, timeout=10, what="the bad reads")
        tok.wait_for(lambda: tok.app.stats()["ios_rate_limited"] >= 1, timeout=5, what="the rate bound")
        time.sleep(1.0)
        st = tok.app.stats()
        assert bad.reads == 2  # at most 2 connections in a minute, though heard again and again
        assert st["ios_reads"] == 0 and st["open"] == 0  # nothing logged


def test_a_scan_irq_that_raises_once_is_counted_and_the_token_keeps_logging(world):
    """On bumble, with MicroPython's rule that an exception escaping the IRQ handler removes it: the radio's
    guard counts it and the token goes on logging the phone."""
    mid = (_wall() // SLOT_MS) * SLOT_MS + SLOT_MS // 2
    cfg = {"profile": "always-on", "scan_period_ms": 1000, "scan_window_ms": 400}
    tok = SimToken(world, clock_ms=mid, secret=SECRET, config=cfg)
    android = AndroidPhone(world, bytes(range(32)), (2.0, 0.0), now_ms=tok.clock.now_ms).start()
    radio = tok.app.radio
    body = radio._irq_body
    raised: list[int] = []

    def flaky(event, data):
        if event == 5 and not raised:
            raised.append(event)
            raise ValueError("a bug in the scan path")
        return body(event, data)

    radio._irq_body = flaky
    with tok:
        tok.wait_for(lambda: raised and tok.app.agg.sightings >= 3, timeout=10, what="sightings after the raise")
    st = tok.app.stats()
    assert st["irq_errors"] == 1
    assert not tok.ble.irq_removed and tok.ble.irq_errors == []
    assert android.current_id() in tok.app.agg._row  # the phone's encounter is open


def test_the_stand_in_removes_a_handler_that_raises_and_the_watchdog_rearms_it(world):
    mid = (_wall() // SLOT_MS) * SLOT_MS + SLOT_MS // 2
    cfg = {"profile": "always-on", "scan_period_ms": 1000, "scan_window_ms": 400}
    tok = SimToken(world, clock_ms=mid, secret=SECRET, config=cfg)
    AndroidPhone(world, bytes(range(32)), (2.0, 0.0), now_ms=tok.clock.now_ms).start()
    with tok:
        tok.wait_for(lambda: tok.app.agg.sightings >= 1, timeout=10, what="a first sighting")
        tok.ble.irq(lambda e, d: 1 / 0)  # a handler that raises, as a firmware bug would
        # irq_removed lasts only until the radio re-arms (at most a scan window later): a loaded machine may not
        # look in between, so wait on the count of removals, which stays
        tok.wait_for(lambda: tok.ble.irq_removals >= 1, timeout=10, what="the stack removing the handler")
        n = tok.app.agg.sightings
        tok.wait_for(lambda: tok.app.radio.irq_rearms >= 1 and tok.app.agg.sightings > n + 1, timeout=10,
                     what="re-armed at the scan's end, logging again")
        errors = list(tok.ble.irq_errors)
        tok.ble.irq_errors.clear()  # expected here (SimToken fails a test on any other)
    assert "ZeroDivisionError" in errors[0] and len(errors) == tok.ble.irq_removals == 1
