# The iOS phone reader on a stand-in radio: connect, find the ID characteristic, read, accept exactly 12 bytes,
# disconnect; a per-address cache until the slot changes; the connections-per-minute bound; never connecting
# while scanning; failures (no connection, no characteristic, a silent phone) end cleanly.
from devfakes import FakeTime
from fwtest import eq
from test_gattsync import FakeBLE, install_bluetooth, uuid

from bzfw import ioscentral

T0 = 1767225600000 + 450000  # mid-slot
PHONE = b"\xe2\x00\x00\x00\x00\x01"
PHONE2 = b"\xe2\x00\x00\x00\x00\x02"
ID = bytes(range(100, 112))
CONN = 9
VH = 42


def setup(per_min=6):
    install_bluetooth()
    tm = FakeTime(T0)
    ble = FakeBLE()
    logged = []
    c = ioscentral.IosCentral(ble, tm, lambda kind, cid, rssi, ts: logged.append((kind, bytes(cid), rssi, ts)),
                              per_min)
    return tm, ble, c, logged


def serve(c, ble, tm, value=ID, addr=PHONE, found=True):
    """The phone's side of one read, driven through the IRQs the stack would raise."""
    c.step(tm.ms, False)
    eq(ble.connects[-1], (1, addr), "connect")
    c.irq(7, (CONN, 1, addr))
    c.step(tm.ms, False)
    eq(ble.ops[-1], ("discover", CONN, uuid(ioscentral.IOS_CHAR_UUID)), "discover the ID characteristic")
    if found:
        c.irq(11, (CONN, VH + 1, VH, 0x02, uuid(ioscentral.IOS_CHAR_UUID)))
    c.irq(12, (CONN, 0))
    c.step(tm.ms, False)
    if not found:
        return
    eq(ble.ops[-1], ("read", CONN, VH), "read")
    buf = bytearray(value)
    c.irq(15, (CONN, VH, memoryview(buf)))
    for i in range(len(buf)):
        buf[i] = 0xEE  # the stack reuses its buffer after the IRQ
    c.irq(16, (CONN, VH, 0))
    c.step(tm.ms, False)
    eq(ble.disconnects[-1], CONN, "disconnect")
    c.irq(8, (CONN, 1, addr))


def test_reads_the_id_logs_it_and_serves_the_slot_from_the_cache():
    tm, ble, c, logged = setup()
    c.seen(1, PHONE, -60, tm.ms)
    serve(c, ble, tm)
    eq(logged, [(2, ID, -60, T0)], "logged as iOS, with the scan's RSSI")
    eq(c.busy, False, "idle again")
    tm.advance(30000)
    c.seen(1, PHONE, -70, tm.ms)
    eq(len(ble.connects), 1, "no second connection in the slot")
    eq(logged[-1], (2, ID, -70, T0 + 30000), "logged from the cache")
    tm.advance(450000)  # the next slot: the phone has a new ID
    c.seen(1, PHONE, -65, tm.ms)
    c.step(tm.ms, False)
    eq(len(ble.connects), 2, "read again")
    eq(c.stats["ios_reads"], 1, "one read done")
    eq(c.stats["ios_cached"], 1, "one from the cache")


def test_accepts_exactly_12_bytes():
    for n in (0, 11, 13, 16):
        tm, ble, c, logged = setup()
        c.seen(1, PHONE, -60, tm.ms)
        serve(c, ble, tm, value=bytes(range(n)))
        eq(logged, [], f"{n} bytes: not logged")
        eq(c.stats["ios_failed"], 1, "failed")
    eq(c.stats["ios_bad_len"], 1, "counted as a bad length")


def test_no_characteristic_ends_the_connection():
    tm, ble, c, logged = setup()
    c.seen(1, PHONE, -60, tm.ms)
    serve(c, ble, tm, found=False)
    eq(ble.disconnects[-1], CONN, "disconnected")
    eq(logged, [], "nothing logged")


def test_a_bound_on_connections_per_minute():
    tm, ble, c, logged = setup(per_min=2)
    phones = [bytes([0xE2, 0, 0, 0, 1, i]) for i in range(4)]
    for p in phones:
        c.seen(1, p, -60, tm.ms)
    for p in phones[:2]:
        serve(c, ble, tm, addr=p)
        tm.advance(1000)
    c.step(tm.ms, False)
    eq(len(ble.connects), 2, "two in the first minute")
    eq(c.stats["ios_rate_limited"] > 0, True, "the rest wait")
    tm.advance(58500)
    for p in phones[2:]:
        c.seen(1, p, -60, tm.ms)  # still around
    serve(c, ble, tm, addr=phones[2])
    eq(len(ble.connects), 3, "the minute is over")


def test_never_connects_while_scanning_and_forgets_stale_candidates():
    tm, ble, c, logged = setup()
    c.seen(1, PHONE, -60, tm.ms)
    c.step(tm.ms, True)
    eq(ble.connects, [], "not while scanning")
    tm.advance(31000)
    c.step(tm.ms, False)
    eq(ble.connects, [], "the phone was heard too long ago")


def test_a_failed_connect_and_a_silent_phone_end_cleanly():
    tm, ble, c, logged = setup()
    c.seen(1, PHONE, -60, tm.ms)
    c.seen(1, PHONE2, -60, tm.ms)
    c.step(tm.ms, False)
    eq(c.connecting, True, "connecting (the app holds its scans meanwhile)")
    c.irq(8, (0xFFFF, 1, PHONE))  # the connection attempt timed out
    eq(c.busy or c.connecting, False, "idle after a failed connect")
    c.step(tm.ms, False)
    eq(ble.connects[-1], (1, PHONE2), "the next candidate")
    c.irq(7, (CONN, 1, PHONE2))
    c.step(tm.ms, False)
    tm.advance(3100)  # the phone never answers the discovery
    c.step(tm.ms, False)
    eq(ble.disconnects[-1], CONN, "gave up and disconnected")
    c.irq(8, (CONN, 1, PHONE2))
    eq(c.busy, False, "idle")
    eq(c.stats["ios_failed"], 2, "both failures counted")
    eq(logged, [], "nothing logged")


def test_the_candidate_queue_is_bounded_and_off_means_off():
    tm, ble, c, logged = setup()
    for i in range(20):
        c.seen(1, bytes([0xE2, 0, 0, 0, 2, i]), -60, tm.ms)
    eq(c.stats["ios_queue_full"], 12, "8 kept, the rest counted")
    tm, ble, c, logged = setup(per_min=0)
    c.seen(1, PHONE, -60, tm.ms)
    c.step(tm.ms, False)
    eq(ble.connects, [], "off")


def test_a_stray_connection_is_not_taken_for_a_phone():
    tm, ble, c, logged = setup()
    c.seen(1, PHONE, -60, tm.ms)
    c.step(tm.ms, False)
    c.irq(7, (CONN, 1, PHONE2))  # not the phone we asked for
    eq(ble.disconnects[-1], CONN, "dropped")
