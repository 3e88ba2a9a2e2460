# The token's BLE sync service: the same frames as the serial link (bzfw.wire, answered by a SyncServer)
# over GATT. The station writes request bytes to RX (write, or write without response); the token sends
# response bytes as notifications on TX, cut to the negotiated ATT MTU - 3.
#
# Sync mode. The token is connectable only in sync mode, entered by a long button press (or enter() from
# the app); it ends `mode_ms` after entering or after the station last talked, never while a station is
# connected (a link loss ends that). Outside sync mode the radio sends the usual non-connectable advert.
# In sync mode the advert is unchanged (the 23-byte Bluezone packet, same rotating ID and private address,
# so phones keep logging us) but connectable, and its scan response carries the sync service UUID, which
# is the same for every token: the station finds "a token in sync mode", and nothing in the air tells
# tokens apart or links one sync to the next (see firmware/README.md, "BLE sync", for what a connected
# central can learn). While a station is connected the advert goes back to non-connectable: one station
# at a time.
# IRQ handlers only copy into bounded buffers and set flags; step(), from the main loop, does the work.
from bzfw.compat import const

SERVICE_UUID = "B21E0001-7A0C-4F5D-9D2E-5C4B3A291800"
RX_UUID = "B21E0002-7A0C-4F5D-9D2E-5C4B3A291800"  # station -> token: write / write without response
TX_UUID = "B21E0003-7A0C-4F5D-9D2E-5C4B3A291800"  # token -> station: notify

_IRQ_CENTRAL_CONNECT = const(1)
_IRQ_CENTRAL_DISCONNECT = const(2)
_IRQ_GATTS_WRITE = const(3)
_IRQ_MTU_EXCHANGED = const(21)
_FLAG_WRITE_NO_RESPONSE = const(0x0004)
_FLAG_WRITE = const(0x0008)
_FLAG_NOTIFY = const(0x0010)
_AD_UUID128_ALL = const(0x07)
_ATT_HEADER = const(3)  # opcode + handle in a notification / write
_MTU_MIN = const(23)
# Offered in the central's MTU exchange: 247 fills one 251-byte LL packet (Data Length Extension) exactly;
# larger MTUs leave a short tail packet per notification and pull slower on air (bench_ble).
MTU = const(247)
_RX_ATTR = const(512)  # the RX attribute's buffer: the largest ATT write
_RX_MAX = const(2560)  # queued request bytes (a request frame is far smaller; provision ~300 B)
_TX_MAX = const(8192)  # queued response bytes (a 2 KB read escapes to at most ~4.2 KB)
_FAST_MS = const(2)  # main-loop wait while bytes move
_LINK_MS = const(20)  # main-loop wait while a station is connected
_LINGER_MS = const(10000)  # after the station left: stay in sync mode at least this long
_PRESS_POLL_MS = const(50)  # while the button is held: look again this soon


def uuid_le(s):
    """A 128-bit UUID string as its 16 bytes on air (little-endian)."""
    h = s.replace("-", "")
    return bytes(int(h[i : i + 2], 16) for i in range(30, -2, -2))


def scan_response():
    """The sync-mode scan response: complete list of 128-bit service UUIDs = the sync service."""
    return bytes((17, _AD_UUID128_ALL)) + uuid_le(SERVICE_UUID)


class GattSync:
    def __init__(self, ble, server, clock, radio, board=None, mode_ms=120000, long_press_ms=3000):
        self._ble = ble
        self.server = server  # a SyncServer of its own: its session is not the serial link's
        if hasattr(server, "plain_provision"):
            server.plain_provision = False  # a first secret in clear over the air: refused
        self._clock = clock
        self._radio = radio
        self._board = board
        self.mode_ms = mode_ms
        self.long_press_ms = long_press_ms
        self._rx_h = None
        self._tx_h = None
        self.active = False
        self.conn = None
        self._connectable = 0  # 1: connectable advert on air, 0: not, -1: unknown (the stack stopped it)
        self.mtu = _MTU_MIN
        self._until = 0
        self._rx = bytearray()
        self._tx = b""
        self._src = None  # the server's reply buffer while _tx is (the rest of) it
        self._ev = 0  # bit 0: a station connected, bit 1: it left (set by the IRQ, cleared by step)
        self._press_at = None
        self._press_used = False
        self.stats = {"ble_entered": 0, "ble_timeouts": 0, "ble_connects": 0, "ble_rx_bytes": 0,
                      "ble_tx_bytes": 0, "ble_rx_dropped": 0, "ble_tx_retries": 0, "ble_refused": 0,
                      "ble_irq_errors": 0}

    def register(self):
        """Add the service to the GATT server; False when this radio has no GATT server (virtual token)."""
        try:
            import bluetooth
        except ImportError:
            return False
        try:
            svc = (bluetooth.UUID(SERVICE_UUID), (
                (bluetooth.UUID(RX_UUID), _FLAG_WRITE | _FLAG_WRITE_NO_RESPONSE),
                (bluetooth.UUID(TX_UUID), _FLAG_NOTIFY),
            ))
            ((self._rx_h, self._tx_h),) = self._ble.gatts_register_services((svc,))
            self._ble.gatts_set_buffer(self._rx_h, _RX_ATTR, True)
        except (AttributeError, OSError, ValueError):
            self._rx_h = None
            return False
        try:
            self._ble.config(mtu=MTU)
        except (AttributeError, OSError, ValueError):  # cannot: the exchange settles on its default
            pass
        return True

    @property
    def available(self):
        return self._rx_h is not None

    # -- sync mode ------------------------------------------------------------------------------
    def enter(self, tk=None, ms=None):
        """Enter (or extend) sync mode for ms (default mode_ms); False if this radio cannot serve GATT."""
        if self._rx_h is None:
            return False
        if tk is None:
            tk = self._clock.ticks_ms()
        self._until = tk + (self.mode_ms if ms is None else ms)
        if not self.active:
            self.active = True
            self.stats["ble_entered"] += 1
            self._advert()
        return True

    def touch(self, tk):
        """A station talked: sync mode lasts another mode_ms."""
        if self.active:
            self._until = tk + self.mode_ms

    def leave(self):
        """End sync mode: the advert is no longer connectable. A connected station keeps its link until it
        disconnects (it may be the one that asked, and its answer is still to be sent)."""
        if not self.active:
            return
        self.active = False
        self._advert()

    def _advert(self):
        """Connectable exactly while in sync mode with no station connected."""
        want = 1 if self.active and self.conn is None else 0
        if want != self._connectable:
            self._connectable = want
            if self._radio.set_sync(scan_response() if want else None) is False:
                self._connectable = -1  # the controller refused a fresh address: try again next step

    # -- IRQ: copy, flag, return -----------------------------------------------------------------
    def irq(self, event, data):
        try:
            return self._irq(event, data)
        except Exception:  # gatts_read/gap_disconnect can raise (OSError): never out of the IRQ
            self.stats["ble_irq_errors"] += 1
            return None

    def _irq(self, event, data):
        if event == _IRQ_GATTS_WRITE:
            if data[1] != self._rx_h:
                return None
            chunk = self._ble.gatts_read(self._rx_h)
            if data[0] != self.conn or len(self._rx) + len(chunk) > _RX_MAX:
                self.stats["ble_rx_dropped"] += len(chunk)  # the host resends what got no answer
            else:
                self._rx.extend(chunk)
            return None
        if event == _IRQ_CENTRAL_CONNECT:
            if not self.active or self.conn is not None:
                self.stats["ble_refused"] += 1
                self._ble.gap_disconnect(data[0])
                return None
            self.conn = data[0]
            self.mtu = _MTU_MIN
            self._ev |= 1
            return None
        if event == _IRQ_CENTRAL_DISCONNECT:
            if data[0] == self.conn:
                self.conn = None
                self._ev |= 2
            return None
        if event == _IRQ_MTU_EXCHANGED:
            if data[0] == self.conn:
                self.mtu = data[1]
            return None
        return None

    # -- main loop --------------------------------------------------------------------------------
    def step(self, tk):
        """Serve the link; returns how many ms the main loop may sleep."""
        held = self._button(tk)
        if not self.active and self.conn is None and not self._ev:
            return _PRESS_POLL_MS if held else 1000
        ev = self._ev
        self._ev = 0
        c = self._clock
        if ev & 1:
            self.stats["ble_connects"] += 1
            self._tx = b""
        if ev & 2:
            if self.conn is None:
                self._tx = b""
            if self.active and c.ticks_diff(self._until, tk) < _LINGER_MS:
                self._until = tk + _LINGER_MS  # the station may come back to resume
        if ev or self._connectable < 0:
            if ev:
                self._connectable = -1  # the stack stopped advertising on connect: set it again either way
            self._advert()  # one station at a time: not connectable while one is connected
        if self._rx:
            # Swap in an empty buffer (MicroPython's bytearray has no slice deletion); an IRQ runs between
            # two bytecodes, never inside one, so a write lands in one buffer or the other, never lost.
            data = self._rx
            self._rx = bytearray()
            self.stats["ble_rx_bytes"] += len(data)
            out = self.server.feed(data)
            self.touch(tk)
            if out and self.conn is not None:
                if len(self._tx) + len(out) > _TX_MAX:
                    self._tx = b""  # the host retransmits; the server answers from its cache
                if self._tx:
                    self._tx = bytes(self._tx) + bytes(out)
                    self._src = None
                else:
                    # The server's reply buffer itself (no copy of a 2 KB reply on a token's small heap)
                    self._tx = out
                    self._src = out if type(out) is memoryview else None
        if self._tx:
            self._send()
        if self.active and self.conn is None and c.ticks_diff(tk, self._until) >= 0:
            self.stats["ble_timeouts"] += 1
            self.leave()
        if self._tx or self._rx:
            return _FAST_MS
        if self.conn is not None:
            return _LINK_MS
        if held:
            return _PRESS_POLL_MS
        if self.active:
            return max(1, min(1000, c.ticks_diff(self._until, tk)))
        return 1000

    def _send(self):
        n = self.mtu - _ATT_HEADER
        if self._src is not None and self.server._last_rsp is not self._src:
            # The serial link's server took the shared reply buffer: ours was copied out (the same bytes).
            sent = len(self._src) - len(self._tx)
            self._tx = self.server._last_rsp[sent:]
            self._src = None
        tx = self._tx
        i = 0
        try:
            while i < len(tx):
                self._ble.gatts_notify(self.conn, self._tx_h, tx[i : i + n])
                i += n
        except OSError:  # the stack's buffers are full (ENOMEM): the rest goes on the next pass
            self.stats["ble_tx_retries"] += 1
        i = min(i, len(tx))
        self.stats["ble_tx_bytes"] += i
        self._tx = tx[i:]

    def _button(self, tk):
        """Long-press detection by polling (the main loop polls faster while the button is held)."""
        b = self._board
        if b is None:
            return False
        if not b.button_pressed():
            self._press_at = None
            self._press_used = False
            return False
        if self._press_at is None:
            self._press_at = tk
        elif not self._press_used and self._clock.ticks_diff(tk, self._press_at) >= self.long_press_ms:
            self._press_used = True
            self.enter(tk)
        return True
