# The token's GATT sync service on a stand-in radio (MicroPython unix port and CPython): notifications cut to
# the negotiated MTU and carrying the whole answer, a full stack retried rather than lost, connectable only
# in sync mode, one station at a time, the sync-mode timeout (never while connected), the long press,
# bounded buffers, and no GATT server at all (the virtual token's radio).
import sys

from devfakes import FakeTime, air_and_ble
from fwtest import eq

from bzfw import adv, gattsync
from bzfw.radio import Radio

_ENOMEM = 12
CONN = 7
ADDR = b"\x11\x22\x33\x44\x55\x66"


class _UUID:
    def __init__(self, v):
        self.v = v.upper() if isinstance(v, str) else v

    def __eq__(self, o):
        return isinstance(o, _UUID) and o.v == self.v

    def __hash__(self):
        return hash(self.v)


class _BluetoothModule:
    UUID = _UUID


def install_bluetooth():
    """`import bluetooth` inside the firmware finds this stand-in (unless another one is loaded)."""
    if "bluetooth" not in sys.modules:
        sys.modules["bluetooth"] = _BluetoothModule


def uuid(s):
    """A UUID of whichever `bluetooth` module the firmware imports (another test may have loaded a shim)."""
    return sys.modules["bluetooth"].UUID(s)


class FakeBLE:
    """The GATT parts of bluetooth.BLE, recording what the firmware asks for."""

    def __init__(self, notify_budget=1000):
        self.mac = (1, b"\x01\x02\x03\x04\x05\x06")
        self.adverts = []  # (interval, adv, resp, connectable) or None
        self.services = None
        self.buffers = {}
        self.pending = {}
        self.notified = []
        self.notify_budget = notify_budget
        self.disconnects = []
        self.addr_modes = 0
        self.connects = []
        self.ops = []
        self.irq = None
        self.mtu = 23

    def config(self, *a, **kw):
        if a:
            return self.mac
        if "mtu" in kw:
            self.mtu = kw["mtu"]
        if "addr_mode" in kw:
            self.addr_modes += 1
            self.mac = (1, bytes([self.addr_modes, 2, 3, 4, 5, 6]))

    def gap_advertise(self, interval, adv_data=None, resp_data=None, connectable=True):
        self.adverts.append(None if interval is None else (interval, adv_data, resp_data, connectable))

    def gatts_register_services(self, svcs):
        self.services = svcs
        return ((21, 23),)

    def gatts_set_buffer(self, h, n, append=False):
        self.buffers[h] = (n, append)

    def gatts_read(self, h):
        d = self.pending.get(h, b"")
        self.pending[h] = b""
        return d

    def gatts_notify(self, conn, h, data):
        if self.notify_budget <= 0:
            raise OSError(_ENOMEM)
        self.notify_budget -= 1
        self.notified.append((conn, h, bytes(data)))

    def gap_disconnect(self, conn):
        self.disconnects.append(conn)
        return True

    def gap_connect(self, addr_type, addr, ms=2000):
        self.connects.append((addr_type, bytes(addr)))

    def gattc_discover_characteristics(self, conn, start, end, uuid=None):
        self.ops.append(("discover", conn, uuid))

    def gattc_read(self, conn, vh):
        self.ops.append(("read", conn, vh))

    # the stack's side
    def write(self, g, data, conn=CONN):
        self.pending[21] = self.pending.get(21, b"") + data
        g.irq(3, (conn, 21))


class FakeRadio:
    def __init__(self):
        self.sync = []

    def set_sync(self, resp):
        self.sync.append(resp)


class FakeBoard:
    def __init__(self):
        self.down = False

    def button_pressed(self):
        return self.down


class Repeat:
    """A server that answers every request with `k` copies of it (the codec is tested elsewhere)."""

    def __init__(self, k=1):
        self.k = k
        self.fed = b""

    def feed(self, data):
        self.fed += data
        return bytes(data) * self.k


def setup(mode_ms=10000, server=None, budget=1000):
    install_bluetooth()
    tm = FakeTime(1767225600000)
    ble = FakeBLE(budget)
    radio = FakeRadio()
    board = FakeBoard()
    g = gattsync.GattSync(ble, server or Repeat(), tm, radio, board, mode_ms=mode_ms, long_press_ms=3000)
    eq(g.register(), True, "registered")
    return tm, ble, radio, board, g


def connect(g, tm, mtu=None):
    g.irq(1, (CONN, 1, ADDR))
    if mtu:
        g.irq(21, (CONN, mtu))
    g.step(tm.ticks_ms())


def test_registers_a_write_and_a_notify_characteristic_with_an_append_buffer():
    tm, ble, radio, board, g = setup()
    ((svc, chars),) = ble.services
    eq(svc, uuid(gattsync.SERVICE_UUID), "service")
    eq([c[0] for c in chars], [uuid(gattsync.RX_UUID), uuid(gattsync.TX_UUID)], "characteristics")
    eq(chars[0][1] & 0x000C, 0x000C, "write + write without response")
    eq(chars[1][1], 0x0010, "notify only")
    eq(ble.buffers[21], (512, True), "RX buffer")
    eq(ble.mtu, 247, "offers the MTU that fills one DLE packet")


def test_notifications_are_cut_to_the_mtu_and_carry_the_whole_answer():
    for mtu in (23, 100, 247, 517):
        tm, ble, radio, board, g = setup(server=Repeat(7))
        g.enter(tm.ticks_ms())
        connect(g, tm, mtu)
        req = bytes(range(256)) * 2
        for i in range(0, len(req), mtu - 3):
            ble.write(g, req[i : i + mtu - 3])
        g.step(tm.ticks_ms())
        eq(g.server.fed, req, "request reassembled")
        sizes = [len(d) for (_c, h, d) in ble.notified]
        eq(max(sizes) <= mtu - 3, True, f"fits the MTU {mtu}")
        eq(b"".join(d for (_c, _h, d) in ble.notified), req * 7, "whole answer, in order")
        eq(set(h for (_c, h, _d) in ble.notified), {23}, "on TX")


def test_a_full_stack_is_retried_not_lost():
    tm, ble, radio, board, g = setup(server=Repeat(20), budget=3)
    g.enter(tm.ticks_ms())
    connect(g, tm, 50)
    ble.write(g, bytes(range(40)))
    passes = 0
    while g.step(tm.ticks_ms()) == 2 and passes < 100:  # the main loop comes back quickly while bytes wait
        ble.notify_budget = 3  # the stack sent some: buffers free again
        passes += 1
    eq(b"".join(d for (_c, _h, d) in ble.notified), bytes(range(40)) * 20, "all of it, in order")
    eq(g.stats["ble_tx_retries"] > 0, True, "retried")


def test_connectable_only_in_sync_mode_one_station_at_a_time():
    tm, ble, radio, board, g = setup()
    g.irq(1, (CONN, 1, ADDR))  # a central that got in outside sync mode is dropped
    eq(ble.disconnects, [CONN], "dropped")
    eq(g.conn, None, "no link")
    eq(g.enter(tm.ticks_ms()), True, "entered")
    eq(radio.sync, [gattsync.scan_response()], "connectable, sync service in the scan response")
    connect(g, tm)
    eq(radio.sync[-1], None, "not connectable while a station is connected")
    g.irq(1, (CONN + 1, 1, ADDR))
    eq(ble.disconnects[-1], CONN + 1, "a second central is refused")
    ble.write(g, b"x", conn=CONN + 1)
    g.step(tm.ticks_ms())
    eq(g.server.fed, b"", "nothing from a refused central")
    eq(g.stats["ble_refused"], 2, "refusals")


def test_sync_mode_times_out_but_not_while_a_station_is_connected():
    tm, ble, radio, board, g = setup(mode_ms=5000)
    g.enter(tm.ticks_ms())
    connect(g, tm)
    tm.advance(60000)
    g.step(tm.ticks_ms())
    eq(g.active, True, "held by the connected station")
    g.irq(2, (CONN, 1, ADDR))
    g.step(tm.ticks_ms())
    eq(radio.sync[-1], gattsync.scan_response(), "connectable again after the station left")
    tm.advance(9000)
    g.step(tm.ticks_ms())
    eq(g.active, True, "lingers after a disconnect (the station may reconnect)")
    tm.advance(2000)
    g.step(tm.ticks_ms())
    eq(g.active, False, "timed out")
    eq(radio.sync[-1], None, "back to the non-connectable advert")
    eq(g.stats["ble_timeouts"], 1, "counted")


def test_requests_extend_sync_mode():
    tm, ble, radio, board, g = setup(mode_ms=5000)
    g.enter(tm.ticks_ms())
    tm.advance(4000)
    g.touch(tm.ticks_ms())  # a station said hello (over serial or BLE)
    tm.advance(4000)
    g.step(tm.ticks_ms())
    eq(g.active, True, "extended")
    tm.advance(1500)
    g.step(tm.ticks_ms())
    eq(g.active, False, "then over")


def test_a_long_press_enters_sync_mode_once_per_press():
    tm, ble, radio, board, g = setup()
    board.down = True
    eq(g.step(tm.ticks_ms()) <= 50, True, "polls fast while held")
    tm.advance(2900)
    g.step(tm.ticks_ms())
    eq(g.active, False, "short press: nothing")
    tm.advance(200)
    g.step(tm.ticks_ms())
    eq(g.active, True, "long press: sync mode")
    g.leave()
    tm.advance(5000)
    g.step(tm.ticks_ms())
    eq(g.active, False, "still the same press: not again")
    board.down = False
    g.step(tm.ticks_ms())
    board.down = True
    g.step(tm.ticks_ms())
    tm.advance(3000)
    g.step(tm.ticks_ms())
    eq(g.active, True, "a new long press")
    eq(g.stats["ble_entered"], 2, "entered twice")


def test_buffers_are_bounded():
    tm, ble, radio, board, g = setup()
    g.enter(tm.ticks_ms())
    connect(g, tm, 517)
    for _ in range(10):
        ble.write(g, bytes(512))  # the main loop is not running: the IRQ keeps at most _RX_MAX
    eq(len(g._rx) <= 2560, True, "RX bounded")
    eq(g.stats["ble_rx_dropped"] > 0, True, "drops counted")


def test_no_gatt_server_no_sync_mode():
    tm = FakeTime(1767225600000)
    _air, vb = air_and_ble(tm)  # the virtual token's radio: scan and advertise only
    g = gattsync.GattSync(vb, Repeat(), tm, FakeRadio(), FakeBoard())
    eq(g.register(), False, "no GATT server")
    eq(g.enter(tm.ticks_ms()), False, "cannot enter")
    eq(g.step(tm.ticks_ms()) > 0, True, "steps harmlessly")


def test_radio_sync_advert_is_connectable_with_the_sync_service_and_needs_no_clock():
    ble = FakeBLE()
    ble.mac = (0, b"\x34\x85\x18\x00\x00\x01")  # the public MAC until a private address is drawn
    r = Radio(ble)
    r.set_sync(gattsync.scan_response())  # the clock is not set: no ID to send
    _iv, data, resp, conn = ble.adverts[-1]
    eq(ble.mac[0], 1, "from a private address")
    first = ble.mac
    r.set_sync(gattsync.scan_response())
    eq(ble.mac, first, "extending sync mode keeps the address")
    r.set_sync(None)
    eq(ble.adverts[-1], None, "stopped")
    r.set_sync(gattsync.scan_response())
    eq(ble.mac != first, True, "a new sync mode, a new address")
    eq(conn, True, "connectable")
    eq(adv.parse(data)[0], adv.KIND_NONE, "no Bluezone ID without a clock")
    eq(gattsync.scan_response() in data, True, "the sync service in the advert")
    r.stop_advertising()
    eq(ble.adverts[-1], None, "stopped")
    r.set_sync(None)
    eq(ble.adverts[-1], None, "nothing restarted")
    bz = bytes(range(12))
    r.rotate(bz)
    eq(ble.adverts[-1][1:], (adv.build(bz), b"", False), "normal: non-connectable Bluezone packet, no response")
    r.set_sync(gattsync.scan_response())
    eq(ble.adverts[-1][1:], (adv.build(bz), gattsync.scan_response(), True), "sync: same packet, connectable")
    r.set_sync(None)
    eq(ble.adverts[-1][1:], (adv.build(bz), b"", False), "back, the scan response cleared")


def test_scan_response_is_the_complete_128_bit_uuid_list():
    sr = gattsync.scan_response()
    eq(len(sr), 18, "length")
    eq(sr[:2], b"\x11\x07", "AD header")
    eq(sr[2:], bytes(reversed(bytes.fromhex(gattsync.SERVICE_UUID.replace("-", "")))), "little-endian UUID")


def test_first_provisioning_is_refused_over_ble():
    # A token without a secret shares no key with anyone: its first secret would cross the air in clear.
    from test_syncserver import Ctx

    from bzfw import syncserver, wire

    ctx = Ctx(secret=None)
    srv = syncserver.SyncServer(ctx)
    install_bluetooth()
    gattsync.GattSync(FakeBLE(), srv, FakeTime(0), None)
    line = wire.encode(0, 5, wire.PROVISION, 0, b'{"token_id": "BZT-9", "secret": "' + b"ab" * 32 + b'"}')
    (f,) = wire.Decoder().feed(srv.feed(line))
    eq(f.status, wire.E_STATE, "refused")
    eq(ctx.secret, None, "nothing provisioned")
