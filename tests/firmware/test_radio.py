# The radio over the BLE API: rotation of address and ID together, never the public address,
# the IRQ path bounded and counting what it drops, results copied out of the IRQ's buffers.
from devfakes import FakeTime, air_and_ble
from fwtest import eq, raises

from bzfw import adv
from bzfw.radio import Radio

ID1 = bytes(range(12))
ID2 = bytes(range(100, 112))
ADDR = b"\xc1\x02\x03\x04\x05\x06"


def setup(qlen=8):
    tm = FakeTime(1767225600000)
    air, ble = air_and_ble(tm)
    r = Radio(ble, qlen=qlen)
    r.start()
    return tm, air, ble, r


def test_rotate_changes_address_and_id_together():
    tm, air, ble, r = setup()
    seen = []
    air.on_advertise = lambda t, a, d, public: seen.append((a, d, public))
    r.rotate(ID1)
    a1 = r.addr
    eq(ble.advertising, adv.build(ID1), "on air")
    eq(ble.config("mac")[0], 1, "random address")
    eq(a1[0] & 0xC0, 0, "non-resolvable private address")
    r.rotate(ID2)
    eq(ble.advertising, adv.build(ID2), "new ID")
    eq(r.addr != a1, True, "new address")
    eq(r.rotations, 2, "rotations")
    eq([p for (_a, _d, p) in seen], [False] * len(seen), "never from the public address")
    # each ID went out from exactly one address, and each address carried one ID
    pairs = [(a, d) for (a, d, _p) in seen if d is not None]
    eq(len(set(a for a, _ in pairs)), len(set(d for _, d in pairs)), "one address per ID")


def test_refuses_the_public_address():
    tm, air, ble, r = setup()
    raises(OSError, r.advertise, ID1)
    eq(ble.advertising, None, "nothing on air")


def test_scan_results_are_copied_out_of_the_irq():
    tm, air, ble, r = setup()
    r.scan(1000)
    a = adv.build(ID1)
    eq(air.inject(ADDR, a, -71), True, "delivered")
    got = []
    r.drain(lambda rssi, addr, data: got.append((rssi, bytes(addr), bytes(data))))
    # the shim scribbled over its buffers after the IRQ: a kept reference would read 0xEE
    eq(got, [(-71, ADDR, a)], "copied")


def test_queue_is_bounded_and_counts_drops():
    tm, air, ble, r = setup(qlen=8)
    r.scan(0)
    a = adv.build(ID1)
    for i in range(20):
        air.inject(ADDR, a, -50 - i)
    eq(r.pending(), 8, "bounded")
    eq(r.dropped, 12, "drops counted")
    eq(r.received, 20, "received counted")
    rssis = []
    eq(r.drain(lambda rssi, addr, data: rssis.append(rssi), limit=100), 8, "drained")
    eq(rssis, [-50 - i for i in range(8)], "oldest kept, in order")
    # the ring keeps working after wrapping many times
    for k in range(50):
        air.inject(ADDR, a, -40)
        eq(r.drain(lambda rssi, addr, data: None), 1, f"one at a time {k}")
    eq(r.pending(), 0, "empty")


def test_oversize_and_stop_scan():
    tm, air, ble, r = setup()
    r.scan(500)
    ble._dbuf = bytearray(100)  # a controller that would report more than legacy adverts hold
    air.inject(ADDR, bytes(70), -60)
    eq(r.oversize, 1, "oversize counted")
    eq(r.pending(), 0, "not queued")
    tm.advance(600)
    air.poll()
    eq(r.scanning, False, "scan ended (IRQ 6)")
    eq(air.inject(ADDR, adv.build(ID1), -60), False, "not heard while not scanning")


def test_rotation_while_scanning_resumes_the_caller():
    tm, air, ble, r = setup()
    r.rotate(ID1)
    r.scan(5000)
    eq(r.rotate(ID2), True, "the scan was stopped: the caller resumes it")
    eq(r.scanning, False, "stopped for the address change")


def test_discard_and_stop():
    tm, air, ble, r = setup()
    r.rotate(ID1)
    r.scan(0)
    air.inject(ADDR, adv.build(ID1), -60)
    eq(r.discard(), 1, "discarded")
    r.stop()
    eq(ble.active(), False, "radio off")
    eq(ble.advertising, None, "not advertising")


def test_leaving_sync_mode_clears_the_scan_response():
    tm, air, ble, r = setup()
    r.rotate(ID1)
    eq((ble.scan_response, ble.connectable), (b"", False), "plain advert")
    resp = b"\x11\x07" + bytes(16)
    r.set_sync(resp)
    eq((ble.scan_response, ble.connectable), (resp, True), "sync mode")
    eq(ble.advertising, adv.build(ID1), "same advert in sync mode")
    r.set_sync(None)
    eq((ble.scan_response, ble.connectable), (b"", False), "sync service no longer announced")
    r.set_sync(resp)
    r.rotate(ID2)
    eq((ble.advertising, ble.scan_response), (adv.build(ID2), resp), "rotation keeps sync mode")
