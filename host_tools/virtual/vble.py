# The `bluetooth.BLE` API subset the token firmware uses, attached to a simulated air.
#
# Runs on the MicroPython unix port (which has no `bluetooth` module) inside a virtual token, and on
# CPython for tests. It keeps the real module's contracts that firmware bugs hide behind:
# - IRQ 5 (scan result) hands over memoryviews that are valid only during the call: the shim reuses
#   and scribbles over its buffers afterwards, so firmware that keeps a reference reads garbage;
# - config(addr_mode=3) draws one non-resolvable private address and keeps it; changing it while
#   advertising fails (EBUSY), as the controller refuses it;
# - the default address is the public MAC; every advert records which kind of address sent it;
# - adv_data or resp_data None reuses the previous call's data (b"" clears it), as documented.
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
_EPERM = 1
_EBUSY = 16
_EINVAL = 22
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
        self._rxbuf = 256
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
        self.addr_changes = 0

    # -- the bluetooth.BLE API -------------------------------------------------------------
    def active(self, *args):
        if args:
            on = bool(args[0])
            if not on:
                if self._adv is not None:
                    self.gap_advertise(None)
                if self._scan_end is not None:
                    self.gap_scan(None)
                self._addr_mode = 0
                self._addr = self._mac
                self._events = []
                self._conns = {}
                self._connecting = None
            self._active = on
        return self._active

    def config(self, *args, **kw):
        if args:
            if len(args) != 1 or kw:
                raise TypeError("config() takes one name or keywords")
            name = args[0]
            if name == "mac":
                return (ADDR_PUBLIC if self._addr_mode == 0 else ADDR_RANDOM, self._addr)
            if name == "addr_mode":
                return self._addr_mode
            if name == "rxbuf":
                return self._rxbuf
            raise ValueError("unknown config param")
        for k in kw:
            v = kw[k]
            if k == "addr_mode":
                if not self._active:
                    raise OSError(_EPERM)
                if self._adv is not None:
                    raise OSError(_EBUSY)  # the controller refuses a new address while advertising
                if v not in (0, 1, 2, 3):
                    raise OSError(_EINVAL)
                self._addr_mode = v
                if v == 0:
                    self._addr = self._mac
                else:
                    a = bytearray(self._urandom(6))
                    if v == 3:
                        a[0] &= 0x3F  # non-resolvable private: two top bits 00
                    else:
                        a[0] = (a[0] & 0x3F) | 0x40
                    self._addr = bytes(a)
                    self.addr_changes += 1
            elif k == "rxbuf":
                self._rxbuf = int(v)
            elif k in ("gap_name", "mtu"):
                pass
            else:
                raise ValueError("unknown config param")
        return None

    def irq(self, handler):
        self._irq = handler

    def gap_advertise(self, interval_us, adv_data=None, resp_data=None, connectable=True):
        if not self._active:
            raise OSError(_EPERM)
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
        self._connectable = bool(connectable)
        self._adv_interval_us = (int(interval_us) // 625) * 625
        self._adv = data
        self._report(data)

    def gap_scan(self, duration_ms, interval_us=1280000, window_us=11250, active=False):
        if not self._active:
            raise OSError(_EPERM)
        if duration_ms is None:
            if self._scan_end is not None:
                self._scan_end = None
                self._call(_IRQ_SCAN_DONE, ())
            return
        self._scan_end = 0 if duration_ms == 0 else self._air.now_ms() + int(duration_ms)

    # -- central role: connect to a peer on the air and read its characteristic --------------
    def _later(self, event, data, ms=_LINK_MS):
        due = self._air.now_ms() + ms
        i = len(self._events)
        while i and self._events[i - 1][0] > due:
            i -= 1
        self._events.insert(i, (due, event, data))

    def gap_connect(self, addr_type, addr, scan_duration_ms=2000, *args):
        if not self._active:
            raise OSError(_EPERM)
        if self._connecting is not None:
            raise OSError(_EBUSY)
        a = bytes(addr)
        self._connecting = a
        if a in self._air.peers:
            h = self._next_conn
            self._next_conn += 1
            self._conns[h] = a
            self._later(_IRQ_PERIPHERAL_CONNECT, (h, addr_type, a))
        else:  # nobody answers: the attempt times out
            self._later(_IRQ_PERIPHERAL_DISCONNECT, (_NO_CONN, addr_type, a), int(scan_duration_ms))
        return True

    def gap_disconnect(self, conn_handle):
        a = self._conns.pop(conn_handle, None)
        if a is None:
            return False
        self._later(_IRQ_PERIPHERAL_DISCONNECT, (conn_handle, ADDR_RANDOM, a))
        return True

    def gattc_discover_characteristics(self, conn_handle, start_handle, end_handle, uuid=None):
        if conn_handle not in self._conns:
            raise OSError(_EINVAL)
        if uuid is not None:
            self._later(_IRQ_GATTC_CHARACTERISTIC_RESULT, (conn_handle, _VALUE_HANDLE, _VALUE_HANDLE, _PROP_READ, uuid))
        self._later(_IRQ_GATTC_CHARACTERISTIC_DONE, (conn_handle, 0), _LINK_MS + 1)

    def gattc_read(self, conn_handle, value_handle):
        a = self._conns.get(conn_handle)
        if a is None:
            raise OSError(_EINVAL)
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
    def scanning(self):
        self._tick()
        return self._scan_end is not None

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
            if event == _IRQ_GATTC_READ_RESULT:  # the value, like the scan data, lives only during the IRQ
                self._call(event, (data[0], data[1], memoryview(bytearray(data[2]))))
            else:
                self._call(event, data)

    def _call(self, event, data):
        h = self._irq
        if h is not None:
            h(event, data)

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
