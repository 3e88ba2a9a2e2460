# The token's radio over MicroPython's `bluetooth` API; the BLE object is passed in.
#
# Advertising: the current slot's Bluezone packet from a non-resolvable private address (NRPA).
# rotate() makes the radio idle (scan stopped, advertising stopped; the app cancels a pending connect
# first), draws a new NRPA with config(addr_mode=3) and READS IT BACK with config("mac"): on the ESP32
# port a refused change is silent (NimBLE only assert()s the result; the controller refuses a new
# random address while it advertises, scans or initiates a connection) and the old address stays.
# Then nothing goes on air: rotate() returns False, counts `addr_refused`, and the app retries. So
# the new ID never leaves from the old address, and ID and address change together.
# advertise() refuses to send from a public address.
# Scanning: the IRQ handler only copies the scan result into a preallocated ring (bounded: qlen slots
# of 72 bytes) and counts what it drops; drain(), called from the main loop, hands the results on.
# The IRQ side writes only _w, the main loop only _r: no lock needed, as IRQs (run synchronously by the
# stack on the ESP32 port) may run between any two bytecodes of the main loop.
# IRQ rules (firmware/README.md, "IRQ rules"): the handler's body is guarded; an exception is counted
# (`irq_errors`) and swallowed, because one that escapes makes MicroPython print it and remove the
# handler (modbluetooth.c, invoke_irq_handler): the token would go deaf. If the handler is gone anyway
# (the stack never said "scan done"), stop_scan() notices: gap_scan(None) on a running scan raises the
# scan-done IRQ inside the call, so its absence means no handler; the radio re-arms ble.irq() and
# counts it (`irq_rearms`).
from bzfw import adv
from bzfw.compat import const

_IRQ_SCAN_RESULT = const(5)
_IRQ_SCAN_DONE = const(6)
_ADDR_MODE_NRPA = const(3)
_ADDR_TYPE_PUBLIC = const(0)
_MAX_DATA = const(62)  # advert + scan response
_SLOT = const(72)  # [len][rssi][addr 6][data 62][addr_type] + 1 spare
_SCAN_INTERVAL_US = const(100000)
_SCAN_WINDOW_US = const(100000)  # window == interval: listen all the time while the scan runs
_FLAGS = b"\x02\x01\x06"


class Radio:
    def __init__(self, ble, qlen=32, adv_interval_ms=200, rxbuf=1024):
        self._ble = ble
        self._n = qlen
        self._buf = bytearray(qlen * _SLOT)
        self._mv = memoryview(self._buf)
        self._w = 0  # IRQ side, 0 .. 2*qlen-1
        self._r = 0  # main-loop side
        self._adv_us = adv_interval_ms * 1000
        self._rxbuf = rxbuf
        self.received = 0
        self.dropped = 0  # ring full: the main loop was too slow
        self.oversize = 0  # longer than a legacy advert + scan response
        self.scanning = False
        self.adv_id = None  # the ID on air, or None
        self.addr = None  # the address it is sent from
        self.rotations = 0
        self.addr_refused = 0  # address changes the controller refused (read back unchanged)
        self.irq_errors = 0  # exceptions caught in the IRQ handler
        self.irq_rearms = 0  # handler found removed and set again
        self._done = True  # the stack reported the end of the last scan
        # BLE sync and the iOS reader (bzfw/gattsync.py, bzfw/ioscentral.py): every other IRQ goes to on_irq;
        # sync_resp set = sync mode: the same advert, connectable, with this scan response.
        self.on_irq = None
        self.sync_resp = None
        self._sync_only = False  # sync mode with the clock unset: no ID on air, only the sync service
        self.addr_type = 0  # of the result drain() is handing over

    def set_interval(self, adv_interval_ms):
        self._adv_us = adv_interval_ms * 1000

    def start(self):
        b = self._ble
        b.active(True)
        try:
            b.config(rxbuf=self._rxbuf)
        except (ValueError, OSError):
            pass
        b.irq(self._irq)

    def stop(self):
        self.stop_scan()
        self.stop_advertising()
        self._ble.active(False)

    # -- IRQ: copy, enqueue, count; nothing else ---------------------------------------------
    def _irq(self, event, data):
        try:
            return self._irq_body(event, data)
        except Exception:  # never let it escape: the stack would remove the handler
            self.irq_errors += 1
            return None

    def rearm(self):
        """Set the IRQ handler again (MicroPython removes it after an exception escaped it)."""
        self._ble.irq(self._irq)
        self.irq_rearms += 1

    def _irq_body(self, event, data):
        if event == _IRQ_SCAN_RESULT:
            self.received += 1
            w = self._w
            n2 = self._n + self._n
            if (w - self._r) % n2 >= self._n:
                self.dropped += 1
                return
            d = data[4]
            ln = len(d)
            if ln > _MAX_DATA:
                self.oversize += 1
                return
            o = (w % self._n) * _SLOT
            b = self._buf
            b[o] = ln
            b[o + 1] = data[3] & 0xFF
            a = data[1]
            for i in range(6):  # element copies: a slice store would build a slice object per result
                b[o + 2 + i] = a[i]
            o += 8
            for i in range(ln):
                b[o + i] = d[i]
            b[o + 62] = data[0]
            self._w = (w + 1) % n2
        elif event == _IRQ_SCAN_DONE:
            self.scanning = False
            self._done = True
        elif self.on_irq is not None:
            return self.on_irq(event, data)
        return None

    def pending(self):
        return (self._w - self._r) % (self._n + self._n)

    def drain(self, fn, limit=64):
        """Call fn(rssi, addr, data) for up to `limit` queued results (addr and data are memoryviews
        valid only during the call); returns how many were handled."""
        k = 0
        n2 = self._n + self._n
        mv = self._mv
        while k < limit and self._r != self._w:
            o = (self._r % self._n) * _SLOT
            ln = self._buf[o]
            rssi = self._buf[o + 1]
            if rssi > 127:
                rssi -= 256
            self.addr_type = self._buf[o + 70]
            try:
                fn(rssi, mv[o + 2 : o + 8], mv[o + 8 : o + 8 + ln])
            finally:
                self._r = (self._r + 1) % n2
            k += 1
        return k

    def drain_at(self, fn, limit=64):
        """drain() without allocating (the scan path): fn(rssi, o) with the result at self.buf[o:]: buf[o]
        data length, addr buf[o + 2:o + 8], data buf[o + 8:o + 8 + length]; valid only during the call."""
        k = 0
        n2 = self._n + self._n
        b = self._buf
        while k < limit and self._r != self._w:
            o = (self._r % self._n) * _SLOT
            rssi = b[o + 1]
            if rssi > 127:
                rssi -= 256
            self.addr_type = b[o + 70]
            try:
                fn(rssi, o)
            finally:
                self._r = (self._r + 1) % n2
            k += 1
        return k

    @property
    def buf(self):
        return self._buf

    def discard(self):
        """Drop everything queued (clock not set: nothing may be logged)."""
        k = self.pending()
        self._r = self._w
        return k

    # -- advertising ------------------------------------------------------------------------
    def advertise(self, bz_id):
        """Send the Bluezone packet for bz_id from the current private address."""
        b = self._ble
        t, a = b.config("mac")
        if t == _ADDR_TYPE_PUBLIC:
            raise OSError("refusing to advertise from the public address")
        if self.sync_resp is None:
            # resp_data=b"": None would keep the previous call's scan response (sync mode's service UUID)
            b.gap_advertise(self._adv_us, adv.build(bz_id), resp_data=b"", connectable=False)
        else:
            b.gap_advertise(self._adv_us, adv.build(bz_id), resp_data=self.sync_resp, connectable=True)
        self._sync_only = False
        self.adv_id = bytes(bz_id)
        self.addr = bytes(a)

    def _mac(self):
        try:
            return self._ble.config("mac")
        except OSError:  # random mode with no random address accepted yet
            return None

    def new_address(self):
        """Radio idle (the caller made sure): ask for a fresh NRPA and read it back. True if it changed."""
        old = self._mac()
        self._ble.config(addr_mode=_ADDR_MODE_NRPA)
        new = self._mac()
        if new is None or new[0] == _ADDR_TYPE_PUBLIC or (old is not None and bytes(new[1]) == bytes(old[1])):
            self.addr_refused += 1
            return False
        return True

    def rotate(self, bz_id):
        """New slot: radio idle, a new private address read back, then the new ID from it. Returns None when
        the controller refused the address (nothing on air; retry), else whether a scan was stopped."""
        resume = self.scanning
        if resume:
            self.stop_scan()
        self.stop_advertising()
        if not self.new_address():
            return None
        self.advertise(bz_id)
        self.rotations += 1
        return resume

    def stop_advertising(self):
        if self.adv_id is not None or self._sync_only:
            self._ble.gap_advertise(None)
        self.adv_id = None
        self._sync_only = False

    def set_sync(self, resp):
        """Sync mode on (resp: the scan response naming the sync service) or off (None). With the clock
        unset there is no ID to send: the advert is only flags + the sync service, from a private address."""
        self.sync_resp = resp
        b = self._ble
        if self.adv_id is not None:
            self.advertise(self.adv_id)
        elif resp is not None:
            if not self._sync_only:  # a fresh private address: nothing links this to earlier adverts
                self.stop_advertising()
                if not self.new_address():
                    return False  # refused: not connectable yet; gattsync asks again at its next step
            b.gap_advertise(self._adv_us, _FLAGS + resp, connectable=True)
            self._sync_only = True
        elif self._sync_only:
            b.gap_advertise(None)
            self._sync_only = False
        return True

    # -- scanning ---------------------------------------------------------------------------
    def scan(self, duration_ms):
        self._done = False
        self._ble.gap_scan(duration_ms, _SCAN_INTERVAL_US, _SCAN_WINDOW_US, False)
        self.scanning = True

    def stop_scan(self):
        if self.scanning:
            self.scanning = False
            self._ble.gap_scan(None)
            if not self._done:
                # A running scan ends with IRQ 6 inside gap_scan(None), and one that ended by itself sent
                # it before: neither came, so the stack dropped our handler (an exception escaped it).
                self.rearm()
            self._done = True

    def stats(self):
        return {
            "received": self.received,
            "dropped": self.dropped,
            "oversize": self.oversize,
            "queued": self.pending(),
            "rotations": self.rotations,
            "addr_refused": self.addr_refused,
            "irq_errors": self.irq_errors,
            "irq_rearms": self.irq_rearms,
        }
