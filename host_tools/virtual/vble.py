# The `bluetooth.BLE` API subset the token firmware uses, attached to a simulated air.
#
# Runs on the MicroPython unix port (which has no `bluetooth` module) inside a virtual token, and on
# CPython for tests. It behaves as MicroPython's ESP32 port (NimBLE, MICROPY_PY_BLUETOOTH_USE_SYNC_EVENTS)
# does, including where that is unkind; each behaviour names the upstream code that shows it
# (micropython/micropython, v1.22-v1.28: extmod/modbluetooth.c, extmod/nimble/modbluetooth_nimble.c):
# - IRQs run synchronously, inside the stack's call (modbluetooth.c, invoke_irq_handler under
#   MICROPY_PY_BLUETOOTH_USE_SYNC_EVENTS): the `addr` and `data` memoryviews are built with
#   mp_obj_memoryview_init over the stack's own event buffers (mv_addr/mv_data are C locals of the
#   call). Here they are memoryviews over one buffer per kind that is overwritten (0xEE) as soon as
#   the handler returns, so a reference kept past the call reads garbage, as on a device.
# - An exception that escapes the handler is printed ("Unhandled exception in IRQ callback handler")
#   and the handler is set to None (modbluetooth.c, invoke_irq_handler, in the releases the firmware
#   targets, 1.25-1.28; the older copies of invoke_irq_handler read while writing this call the handler
#   with no guard at all, which is no kinder): no scan result, scan-done or GATT event reaches Python
#   again until irq() is called again. `irq_errors` counts them; `irq_removed` tells a test it went deaf.
# - config(addr_mode=3) draws a fresh non-resolvable private address (modbluetooth_nimble.c,
#   mp_bluetooth_set_address_mode -> set_random_address(true): ble_hs_id_gen_rnd(1) then
#   ble_hs_id_set_rnd, whose results are only assert()ed, compiled out on the ESP32 build). The
#   controller refuses HCI LE Set Random Address while legacy advertising, scanning or initiating is
#   enabled (Bluetooth Core 5.x, Vol 4 Part E, 7.8.4: Command Disallowed); NimBLE then keeps its old
#   address (apache/mynewt-nimble nimble/host/src/ble_hs_id.c, ble_hs_id_set_rnd: memcpy into
#   ble_hs_id_rnd only after ble_hs_hci_util_set_random_addr succeeded), config("mac") keeps returning it
#   (mp_bluetooth_get_current_address reads ble_hs_id_copy_addr), and nothing raises. This stand-in
#   refuses the same way, silently, while it advertises, scans or connects; `refuse_addr` (a count)
#   makes the controller refuse that many more changes whatever its state (a test's knob), and
#   `addr_refused` counts the refusals.
# - gap_scan(None) on a running scan calls mp_bluetooth_gap_on_scan_complete inside the call
#   (modbluetooth_nimble.c, mp_bluetooth_gap_scan_stop after ble_gap_disc_cancel): IRQ 6 fires before
#   gap_scan returns; on a scan that is not running nothing fires.
# - gap_connect(None) cancels a pending connect (mp_bluetooth_gap_peripheral_connect_cancel ->
#   ble_gap_conn_cancel); the stack then reports IRQ 8 with conn_handle 0xFFFF.
# - config("rxbuf") raises ValueError("unknown config param"): the rxbuf case is compiled only
#   #if !MICROPY_PY_BLUETOOTH_USE_SYNC_EVENTS (modbluetooth.c, bluetooth_ble_config), and the ESP32
#   port uses sync events.
# - gap_advertise(connectable=False) is sent as ADV_SCAN_IND, with whatever scan response was set
#   (resp_data=b"" sets an empty one): modbluetooth_nimble.c, mp_bluetooth_gap_advertise_start uses
#   conn_mode BLE_GAP_CONN_MODE_NON with disc_mode BLE_GAP_DISC_MODE_GEN, which NimBLE
#   (apache/mynewt-nimble, host/src/ble_gap.c, ble_gap_adv_type()) sends as ADV_SCAN_IND; `adv_type`
#   reports it.
# - adv_data or resp_data None keeps the previous call's data (only non-NULL buffers are set).
# - With BLE off every call raises OSError(ENODEV) (ERRNO_BLUETOOTH_NOT_ACTIVE = MP_ENODEV).
# Where it must differ from the real stack:
# - there is no radio: adverts are delivered by Air.inject, and only while a scan runs; no timing,
#   loss or collisions, and RSSI is what the test says;
# - time-driven events (a scan's end, a connection, GATT results) are raised from Air.poll() (the
#   virtual token's idle loop), not from a controller task: they cannot interrupt a bytecode;
# - the GATT client knows one readable characteristic per peer (an iOS Bluezone phone's ID), and there
#   is no GATT server (the virtual token syncs over its pty; BLE sync runs on bumble, tests/blesim);
# - the printed traceback goes to stderr (sys.print_exception where it exists), not to the UART.
# Times are the air's clock (virtual ms), so a fast virtual clock runs scans faster too.
import os

_IRQ_SCAN_RESULT = 5
_IRQ_SCAN_DONE = 6
_IRQ_PERIPHERAL_CONNECT = 7
_IRQ_PERIPHERAL_DISCONNECT = 8
_IRQ_GATTC_CHARACTERISTIC_RESULT = 11
_IRQ_GATTC_CHARACTERISTIC_DONE = 12
_IRQ_GATTC_READ_RESULT = 15
_IRQ_GATTC_READ_DONE = 16
_NO_CONN = 0xFFFF
_LINK_MS = 30  # a GATT round trip on the virtual air
_VALUE_HANDLE = 3
_PROP_READ = 0x02
_EBUSY = 16
_ENODEV = 19
_EINVAL = 22
_EALREADY = 114
_ENOTCONN = 107
_ADV_IND = 0
_ADV_SCAN_IND = 2
_MAX_READ = 512
ADDR_PUBLIC = 0
ADDR_RANDOM = 1
_MAX_ADV = 31
_SCRIBBLE = 0xEE


class UUID:
    """bluetooth.UUID: compares equal to another UUID of the same value."""

    def __init__(self, value):
        self._v = value.upper() if isinstance(value, str) else value

    def __eq__(self, other):
        return isinstance(other, UUID) and self._v == other._v

    def __hash__(self):
        return hash(self._v)

    def __str__(self):
        return str(self._v)


class Air:
    """What one virtual token's radio hears and sends.

    now_ms: function returning the current (virtual) time in ms. on_advertise(t_ms, addr, adv, public)
    is called whenever the token starts, changes or stops (adv None) its advertising.
    """

    def __init__(self, now_ms, on_advertise=None):
        self.now_ms = now_ms
        self.on_advertise = on_advertise
        self.ble = None
        self.delivered = 0
        self.missed = 0  # injected while the token was not scanning
        self.peers = {}  # address -> value of the one readable characteristic (an iOS phone's ID)

    def set_peer(self, addr, value=None):
        """A connectable device at addr serving `value` from one readable characteristic (an iOS Bluezone
        phone's ID); value None removes it. Without a peer, a connection attempt times out."""
        if value is None:
            self.peers.pop(bytes(addr), None)
        else:
            self.peers[bytes(addr)] = bytes(value)

    def inject(self, addr, adv, rssi, addr_type=ADDR_RANDOM, adv_type=0):
        """An advert on the air; reaches the token only while it scans. Returns True if delivered."""
        b = self.ble
        if b is not None and b._rx(addr_type, addr, adv_type, rssi, adv):
            self.delivered += 1
            return True
        self.missed += 1
        return False

    def poll(self):
        """Lets time-driven events (a scan's end) happen; call from the main loop's idle."""
        if self.ble is not None:
            self.ble._tick()


class BLE:
    def __init__(self, air, mac=b"\x34\x85\x18\x00\x00\x01", urandom=os.urandom):
        self._air = air
        air.ble = self
        self._urandom = urandom
        self._active = False
        self._irq = None
        self._mac = bytes(mac)
        self._addr_mode = 0
        self._addr = self._mac
        self._rnd = None  # NimBLE's random address (ble_hs_id_set_rnd), None until one was accepted
        self._pending = None  # the event that ends the pending connect
        self._adv = None
        self._resp = b""  # the scan response; None passed to gap_advertise keeps it, b"" clears it
        self._connectable = False
        self._adv_interval_us = 0
        self._scan_end = None  # None: not scanning; 0: scanning with no end; else air ms
        self._events = []  # (due air ms, event, data): IRQs the stack raises later
        self._conns = {}  # conn handle -> peer address
        self._next_conn = 1
        self._connecting = None
        self._abuf = bytearray(6)
        self._dbuf = bytearray(_MAX_ADV * 2)
        self._rbuf = bytearray(_MAX_READ)
        self.addr_changes = 0
        self.refuse_addr = 0  # knob: the controller refuses this many more address changes, busy or not
        self.addr_refused = 0
        self.irq_errors = 0
        self.irq_removed = False

    # -- the bluetooth.BLE API -------------------------------------------------------------
    def active(self, *args):
        if args:
            on = bool(args[0])
            if not on and self._active:
                if self._adv is not None:
                    self.gap_advertise(None)
                if self._scan_end is not None:
                    self.gap_scan(None)
                self._addr_mode = 0
                self._addr = self._mac
                self._rnd = None
                self._events = []
                self._conns = {}
                self._connecting = None
                self._pending = None
            self._active = on
        return self._active

    def _need_active(self):
        if not self._active:
            raise OSError(_ENODEV)

    @property
    def busy(self):
        """Advertising, scanning or initiating: the controller refuses a new random address."""
        self._tick()
        return self._adv is not None or self._scan_end is not None or self._connecting is not None

    def config(self, *args, **kw):
        if args:
            if len(args) != 1 or kw:
                raise TypeError("must query one param")
            name = args[0]
            if name == "mac":
                self._need_active()
                if self._addr_mode == 0:
                    return (ADDR_PUBLIC, self._mac)
                if self._rnd is None:  # random mode, no random address accepted yet: copy_addr fails
                    raise OSError(_EINVAL)
                return (ADDR_RANDOM, self._rnd)
            if name in ("gap_name", "mtu"):
                return b"MPY NIMBLE" if name == "gap_name" else 256
            raise ValueError("unknown config param")  # rxbuf too: compiled out with sync events
        for k in kw:
            v = kw[k]
            if k == "addr_mode":
                self._need_active()
                if v == 0:
                    self._addr_mode = 0
                    self._addr = self._mac
                    continue
                self._addr = self._rnd
                if v not in (1, 2, 3):
                    continue  # NimBLE's switch has no default: another value does nothing
                a = bytearray(self._urandom(6))
                if v == 3:
                    a[0] &= 0x3F  # non-resolvable private: two top bits 00
                else:
                    a[0] = (a[0] & 0x3F) | 0xC0  # static random (the identity of an RPA too)
                self._addr_mode = v
                if self.refuse_addr > 0 or self.busy:
                    # Command Disallowed: NimBLE keeps the old address, the assert is compiled out.
                    if self.refuse_addr > 0:
                        self.refuse_addr -= 1
                    self.addr_refused += 1
                    continue
                self._rnd = bytes(a)
                self._addr = self._rnd
                self.addr_changes += 1
            elif k in ("gap_name", "mtu"):
                pass
            else:
                raise ValueError("unknown config param")
        return None

    def irq(self, handler):
        self._irq = handler
        if handler is not None:
            self.irq_removed = False

    def gap_advertise(self, interval_us, adv_data=None, resp_data=None, connectable=True):
        self._need_active()
        if interval_us is None:
            if self._adv is not None:
                self._adv = None
                self._report(None)
            return
        if adv_data is not None:
            if len(adv_data) > _MAX_ADV:
                raise OSError(_EINVAL)
            data = bytes(adv_data)
        elif self._adv is not None:
            data = self._adv
        else:
            data = b""
        if resp_data is not None:
            if len(resp_data) > _MAX_ADV:
                raise OSError(_EINVAL)
            self._resp = bytes(resp_data)
        if self._addr_mode != 0 and self._rnd is None:
            raise OSError(_EINVAL)  # own address type random with no random address set
        self._connectable = bool(connectable)
        self._adv_interval_us = (int(interval_us) // 625) * 625
        self._adv = data
        self._report(data)

    def gap_scan(self, duration_ms, interval_us=1280000, window_us=11250, active=False):
        self._need_active()
        if duration_ms is None:
            if self._scan_end is not None:
                self._scan_end = None
                self._call(_IRQ_SCAN_DONE, ())  # inside the call, as mp_bluetooth_gap_scan_stop does
            return
        self._tick()  # a due connect timeout ends the attempt first
        if self._connecting is not None:
            raise OSError(_EBUSY)  # NimBLE: no discovery while a connection is being established
        self._scan_end = 0 if duration_ms == 0 else self._air.now_ms() + int(duration_ms)

    # -- central role: connect to a peer on the air and read its characteristic --------------
    def _later(self, event, data, ms=_LINK_MS):
        due = self._air.now_ms() + ms
        i = len(self._events)
        while i and self._events[i - 1][0] > due:
            i -= 1
        ev = (due, event, data)
        self._events.insert(i, ev)
        return ev

    def gap_connect(self, addr_type, addr=None, scan_duration_ms=2000, *args):
        self._need_active()
        if addr_type is None:  # gap_connect(None): cancel the pending attempt (ble_gap_conn_cancel)
            if self._connecting is None:
                raise OSError(_EALREADY)
            self._connecting = None
            p = self._pending
            self._pending = None
            if p in self._events:
                self._events.remove(p)
                if p[1] == _IRQ_PERIPHERAL_CONNECT:
                    self._conns.pop(p[2][0], None)
            self._call(_IRQ_PERIPHERAL_DISCONNECT, (_NO_CONN, 0xFF, bytes(6)))
            return True
        if self._connecting is not None:
            raise OSError(_EALREADY)
        if self._scan_end is not None:
            self.gap_scan(None)  # mp_bluetooth_gap_peripheral_connect stops a running scan first
        a = bytes(addr)
        self._connecting = a
        if a in self._air.peers:
            h = self._next_conn
            self._next_conn += 1
            self._conns[h] = a
            self._pending = self._later(_IRQ_PERIPHERAL_CONNECT, (h, addr_type, a))
        else:  # nobody answers: the attempt times out
            self._pending = self._later(_IRQ_PERIPHERAL_DISCONNECT, (_NO_CONN, addr_type, a), int(scan_duration_ms))
        return True

    def gap_disconnect(self, conn_handle):
        self._need_active()
        a = self._conns.pop(conn_handle, None)
        if a is None:
            return False
        self._later(_IRQ_PERIPHERAL_DISCONNECT, (conn_handle, ADDR_RANDOM, a))
        return True

    def gattc_discover_characteristics(self, conn_handle, start_handle, end_handle, uuid=None):
        if conn_handle not in self._conns:
            raise OSError(_ENOTCONN)
        if uuid is not None:
            self._later(_IRQ_GATTC_CHARACTERISTIC_RESULT, (conn_handle, _VALUE_HANDLE, _VALUE_HANDLE, _PROP_READ, uuid))
        self._later(_IRQ_GATTC_CHARACTERISTIC_DONE, (conn_handle, 0), _LINK_MS + 1)

    def gattc_read(self, conn_handle, value_handle):
        a = self._conns.get(conn_handle)
        if a is None:
            raise OSError(_ENOTCONN)
        value = self._air.peers.get(a)
        if value is None or value_handle != _VALUE_HANDLE:
            self._later(_IRQ_GATTC_READ_DONE, (conn_handle, value_handle, 1))
            return
        self._later(_IRQ_GATTC_READ_RESULT, (conn_handle, value_handle, value))
        self._later(_IRQ_GATTC_READ_DONE, (conn_handle, value_handle, 0), _LINK_MS + 1)

    # -- the air's side ----------------------------------------------------------------------
    @property
    def advertising(self):
        """The advert being sent, or None."""
        return self._adv

    @property
    def scan_response(self):
        """What an active scan gets back (b"" for none): MicroPython keeps it across gap_advertise calls
        that pass resp_data=None."""
        return self._resp

    @property
    def connectable(self):
        return self._connectable

    @property
    def adv_type(self):
        """The PDU type on air: 0 ADV_IND (connectable), 2 ADV_SCAN_IND (connectable=False), None off."""
        if self._adv is None:
            return None
        return _ADV_IND if self._connectable else _ADV_SCAN_IND

    @property
    def scanning(self):
        self._tick()
        return self._scan_end is not None

    @property
    def connecting(self):
        self._tick()
        return self._connecting is not None

    def _report(self, data):
        cb = self._air.on_advertise
        if cb is not None:
            cb(self._air.now_ms(), self._addr, data, self._addr_mode == 0)

    def _tick(self):
        now = self._air.now_ms()
        e = self._scan_end
        if e and now >= e:
            self._scan_end = None
            self._call(_IRQ_SCAN_DONE, ())
        while self._events and self._events[0][0] <= now:
            _, event, data = self._events.pop(0)
            if event == _IRQ_PERIPHERAL_CONNECT or (event == _IRQ_PERIPHERAL_DISCONNECT and data[0] == _NO_CONN):
                self._connecting = None
                self._pending = None
            if event == _IRQ_GATTC_READ_RESULT:  # the value, like the scan data, lives only during the IRQ
                v = data[2]
                n = min(len(v), len(self._rbuf))
                self._rbuf[:n] = v[:n]
                try:
                    self._call(event, (data[0], data[1], memoryview(self._rbuf)[:n]))
                finally:
                    for i in range(n):
                        self._rbuf[i] = _SCRIBBLE
            else:
                self._call(event, data)

    def _call(self, event, data):
        h = self._irq
        if h is None:
            return None
        try:
            return h(event, data)
        except Exception as e:  # noqa: BLE001 - what modbluetooth.c does with any exception
            # modbluetooth.c invoke_irq_handler: print it, then "Disable the BLE IRQ handler".
            self.irq_errors += 1
            self.irq_removed = True
            self._irq = None
            _print_exception(e)
            return None

    def _rx(self, addr_type, addr, adv_type, rssi, adv):
        self._tick()
        if self._scan_end is None or not self._active:
            return False
        n = len(adv)
        if n > len(self._dbuf) or len(addr) != 6:
            return False  # the controller does not report what does not fit a legacy advert
        self._abuf[:] = addr
        self._dbuf[:n] = adv
        a = memoryview(self._abuf)
        d = memoryview(self._dbuf)[:n]
        try:
            self._call(_IRQ_SCAN_RESULT, (addr_type, a, adv_type, rssi, d))
        finally:
            # The real buffers are reused after the IRQ returns: make kept references visible.
            for i in range(6):
                self._abuf[i] = _SCRIBBLE
            for i in range(n):
                self._dbuf[i] = _SCRIBBLE
        return True


def _print_exception(e):
    import sys

    sys.stderr.write("Unhandled exception in IRQ callback handler\n")
    pe = getattr(sys, "print_exception", None)
    if pe is not None:  # MicroPython
        pe(e, sys.stderr)
    else:
        import traceback

        traceback.print_exception(type(e), e, e.__traceback__, file=sys.stderr)
