# What MicroPython's real Bluetooth stack (ESP32 port, NimBLE, synchronous IRQs) does, on the stand-in
# (host_tools/virtual/vble.py, whose header cites the upstream code), and the firmware surviving it:
# a silent refused address change, an IRQ exception that removes the handler, memoryviews valid only during
# the IRQ, scan-done inside gap_scan(None), no config("rxbuf"), ADV_SCAN_IND; the radio reading its address
# back, guarded IRQ bodies, the re-arming watchdog, the rotation at a slot boundary during an iOS connect,
# an iOS phone's record keeping its sightings from before the read.
import sys

from devfakes import FakeTime, air_and_ble, vble
from fwtest import eq, raises
from test_app import PHONE, SCAN_ALWAYS, T0, Tok

from bzfw import adv, ids
from bzfw.radio import Radio

ID1 = bytes(range(12))
ID2 = bytes(range(100, 112))
ADDR = b"\xc1\x02\x03\x04\x05\x06"
IOS_ADDR = b"\x52\x00\x00\x00\x00\x07"
IOS_ADV = bytes.fromhex("02010614ff4c000108") + bytes(15)  # a backgrounded iOS Bluezone phone
SLOT = 900000


def stand_in():
    tm = FakeTime(1767225600000)
    air, ble = air_and_ble(tm)
    ble.active(True)
    return tm, air, ble


# -- the stand-in ---------------------------------------------------------------------------------------
def test_refused_address_change_is_silent_and_keeps_the_old_address():
    tm, air, ble = stand_in()
    ble.config(addr_mode=3)
    t, a1 = ble.config("mac")
    eq(t, 1, "random")
    ble.gap_advertise(200000, b"\x02\x01\x06", connectable=False)
    ble.config(addr_mode=3)  # while advertising: Command Disallowed, nothing raises
    eq(ble.config("mac"), (1, a1), "the old address stays")
    eq(ble.addr_refused, 1, "refused once")
    ble.gap_advertise(None)
    ble.gap_scan(0)
    ble.config(addr_mode=3)  # while scanning
    eq(ble.config("mac"), (1, a1), "still the old address while scanning")
    ble.gap_scan(None)
    ble.refuse_addr = 1  # the knob: refuse once more even when idle
    ble.config(addr_mode=3)
    eq(ble.config("mac"), (1, a1), "refused by the knob")
    ble.config(addr_mode=3)
    eq(ble.config("mac")[1] != a1, True, "idle: a new address")


def test_connecting_controller_refuses_the_address():
    tm, air, ble = stand_in()
    ble.config(addr_mode=3)
    a1 = ble.config("mac")[1]
    ble.gap_connect(1, IOS_ADDR, 2000)  # nobody answers: initiating for 2 s
    ble.config(addr_mode=3)
    eq(ble.config("mac")[1], a1, "refused while initiating")
    ble.gap_connect(None)  # cancel
    ble.config(addr_mode=3)
    eq(ble.config("mac")[1] != a1, True, "accepted once the connect is cancelled")


def test_irq_exception_is_printed_and_removes_the_handler():
    tm, air, ble = stand_in()
    got = []

    def handler(event, data):
        got.append(event)
        raise ValueError("boom")

    ble.irq(handler)
    ble.gap_scan(0)
    eq(air.inject(ADDR, adv.build(ID1), -60), True, "delivered")
    eq(got, [5], "the handler ran once")
    eq(ble.irq_removed, True, "handler removed")
    air.inject(ADDR, adv.build(ID1), -60)
    ble.gap_scan(None)
    eq(got, [5], "deaf: no more scan results, no scan done")
    ble.irq(handler)
    eq(ble.irq_removed, False, "irq() sets it again")


def test_scan_data_is_a_memoryview_overwritten_after_the_irq():
    tm, air, ble = stand_in()
    kept = []
    ble.irq(lambda e, d: kept.append((d[1], d[4])) if e == 5 else None)
    ble.gap_scan(0)
    a = adv.build(ID1)
    air.inject(ADDR, a, -60)
    addr, data = kept[0]
    eq(type(data) is memoryview, True, "a memoryview")
    eq(bytes(data) == a, False, "a kept reference reads garbage")
    eq(bytes(addr), b"\xee" * 6, "the address buffer too")


def test_scan_done_fires_inside_gap_scan_none():
    tm, air, ble = stand_in()
    got = []
    ble.irq(lambda e, d: got.append(e))
    ble.gap_scan(10000)
    ble.gap_scan(None)
    eq(got, [6], "IRQ 6 before gap_scan(None) returned")
    ble.gap_scan(None)
    eq(got, [6], "nothing for a scan that is not running")


def test_rxbuf_does_not_exist_with_sync_events():
    tm, air, ble = stand_in()
    raises(ValueError, ble.config, "rxbuf")
    try:
        ble.config(rxbuf=1024)
        raise AssertionError("config(rxbuf=) accepted")
    except ValueError:
        pass


def test_non_connectable_advert_is_adv_scan_ind():
    tm, air, ble = stand_in()
    ble.config(addr_mode=3)
    ble.gap_advertise(200000, adv.build(ID1), resp_data=b"", connectable=False)
    eq(ble.adv_type, 2, "ADV_SCAN_IND")
    eq(ble.scan_response, b"", "an empty scan response")
    ble.gap_advertise(200000, adv.build(ID1), resp_data=b"", connectable=True)
    eq(ble.adv_type, 0, "ADV_IND")


# -- the radio and the app on it ----------------------------------------------------------------------------
def test_radio_reads_the_address_back_and_never_sends_a_new_id_from_the_old_one():
    tm, air, ble = stand_in()
    sent = []
    air.on_advertise = lambda t, a, d, public: sent.append((bytes(a), d))
    r = Radio(ble)
    r.start()
    eq(r.rotate(ID1) is not None, True, "first rotation")
    a1 = r.addr
    ble.refuse_addr = 1
    eq(r.rotate(ID2), None, "refused: nothing on air")
    eq(ble.advertising, None, "silent")
    eq(r.addr_refused, 1, "counted")
    eq(r.rotate(ID2) is not None, True, "the retry")
    eq(r.addr != a1, True, "new address")
    pairs = set((a, d) for a, d in sent if d is not None)
    eq(len(pairs), 2, "two adverts")
    eq(len(set(a for a, _ in pairs)), 2, "each ID from its own address")


def test_scan_irq_that_raises_once_keeps_the_token_logging():
    k = Tok(T0 + 1000, config=SCAN_ALWAYS)
    r = k.app.radio
    body = r._irq_body
    n = [0]

    def flaky(event, data):
        if event == 5 and n[0] == 0:
            n[0] += 1
            raise ValueError("a bug in the scan path")
        return body(event, data)

    r._irq_body = flaky
    a = adv.build(PHONE)
    k.run_until(T0 + 60000, inject=lambda t: k.air.inject(ADDR, a, -60), every=1000)
    k.app.persist(k.app.agg.flush())
    recs = [x for x in k.records() if x[3] == PHONE]
    eq(len(recs), 1, "one record")
    eq(recs[0][6], k.air.delivered - 1, "every sighting but the one that raised")
    eq(k.app.stats()["irq_errors"], 1, "counted")
    eq(k.ble.irq_removed, False, "the handler stayed")


def test_watchdog_rearms_a_removed_handler():
    k = Tok(T0 + 1000, config={"profile": "always-on", "scan_period_ms": 10000, "scan_window_ms": 5000})
    a = adv.build(PHONE)
    k.run_until(T0 + 3000)
    k.ble.irq(None)  # what the stack does after an exception escaped the handler
    k.run_until(T0 + 40000, inject=lambda t: k.air.inject(ADDR, a, -60), every=500)
    st = k.app.stats()
    eq(st["irq_rearms"] >= 1, True, "re-armed")
    k.app.persist(k.app.agg.flush())
    recs = [x for x in k.records() if x[3] == PHONE]
    eq(len(recs), 1, "logging again after the re-arm")
    eq(recs[0][4] // 1000 >= (T0 + 10000) // 1000, True, "from the next scan on")


def _with_vble_module():
    # The firmware imports `bluetooth` for UUID when it reads an iOS phone: the stand-in module, as in the
    # virtual token (another test may have installed its own: replace it for this test only).
    old = sys.modules.get("bluetooth")
    sys.modules["bluetooth"] = vble
    return old


def _restore(old):
    if old is None:
        del sys.modules["bluetooth"]
    else:
        sys.modules["bluetooth"] = old


def _advert_ids(events):
    """(t, address, ID) of every advert sent."""
    out = []
    for t, a, d, _public in events:
        if d is not None:
            kind, bz = adv.parse(d)
            out.append((t, bytes(a), bytes(bz) if bz is not None else None))
    return out


def test_slot_boundary_during_a_pending_ios_connect():
    cfg = {"profile": "always-on", "scan_period_ms": 60000, "scan_window_ms": 10000, "ios_reads_per_min": 6}
    start = T0 + SLOT - 30000
    old = _with_vble_module()
    try:
        _boundary(start, cfg)
    finally:
        _restore(old)


def _boundary(start, cfg):
    k = Tok(start, config=cfg)
    k.run_until(T0 + SLOT - 1000)  # past the scan window: the reader may connect
    k.app.central.seen(1, IOS_ADDR, -60, k.clock.now_ms())  # no such peer on air: the connect stays pending
    k.app.central.step(k.clock.now_ms(), False)
    k.run_until(T0 + SLOT - 10)
    eq(k.ble.connecting, True, "a connect pending at the boundary")
    k.run_until(T0 + SLOT + 2000)
    sent = _advert_ids(k.events)
    by_id = {}
    for _t, a, bz in sent:
        by_id.setdefault(bz, set()).add(a)
    for bz in by_id:
        eq(len(by_id[bz]), 1, "one address per ID")
    addrs = [a for a in by_id.values()]
    eq(len(set(list(x)[0] for x in addrs)), len(by_id), "no address carries two IDs")
    key = k.app.keystore.key_for(T0 // 86400000)
    new = ids.slot_id(key, 1)
    after = [t for t, _a, bz in sent if bz == new]
    eq(len(after) >= 1 and after[0] - (T0 + SLOT) < 1000, True, "the new ID and address within the slot's first second")


def test_ios_record_keeps_sightings_before_and_after_the_read():
    old = _with_vble_module()
    try:
        _ios_run()
    finally:
        _restore(old)


def _ios_run():
    cfg = {"profile": "always-on", "scan_period_ms": 10000, "scan_window_ms": 5000, "ios_reads_per_min": 6}
    k = Tok(T0 + 1000, config=cfg)
    phone_id = bytes(range(60, 72))
    n = [0]

    def inject(t):
        if t >= T0 + 7 * 60000:
            k.air.set_peer(IOS_ADDR, phone_id)  # it answers from minute 7 on (before: no connection)
        if k.air.inject(IOS_ADDR, IOS_ADV, -62):
            n[0] += 1

    k.run_until(T0 + 14 * 60000, inject=inject, every=2000)
    k.app.persist(k.app.agg.flush())
    recs = [x for x in k.records() if x[3] == phone_id]
    eq(len(recs), 1, "one record")
    rec = recs[0]
    eq(rec[6], n[0], "every sighting counted, before and after the read")
    eq(rec[4] - T0 < 15000, True, "first seen at the first sighting, not at the read")
    eq(rec[5] - rec[4] > 12 * 60000, True, "the whole duration")


def test_the_tokens_advert_goes_out_as_adv_scan_ind_with_an_empty_scan_response():
    k = Tok(T0 + 1000, config=SCAN_ALWAYS)
    k.run_until(T0 + 3000)
    eq(k.ble.advertising is not None, True, "advertising")
    eq(k.ble.adv_type, 2, "non-connectable: ADV_SCAN_IND on the ESP32 port")
    eq(k.ble.scan_response, b"", "an active scanner gets an empty scan response")
    eq(k.ble.config("mac")[0], 1, "from a random address")
