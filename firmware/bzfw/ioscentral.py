# The token as a central for iOS Bluezone phones: an iOS phone's advert carries no ID (iOS cannot add
# manufacturer data), so its 12-byte ID is read from its GATT characteristic (spec section 2.3), as Android
# Bluezone phones do (section 2.4): connect, find the ID characteristic, read it, accept exactly 12 bytes,
# disconnect. The ID is cached per address until the 15-min slot changes (the phone rotates its ID at the
# slot boundary; its address changes on its own schedule), so each later sighting of that address in the
# same slot is logged without a connection.
#
# Power: a read is a connection of a few connection events (about 50-300 ms of radio). On an always-on
# token, awake anyway, that is small; on the eco profile it would stretch the wake window: the profiles set
# `ios_reads_per_min` (0 turns this off), a hard bound on connections per minute either way.
# Only one operation at a time; connections start only while the token is not scanning (NimBLE stops a scan
# to connect); a candidate queue of fixed length; every step has a deadline.
# IRQ handlers only copy and set the state; step(), from the main loop, issues the next GATT operation.
from bzfw.compat import const

IOS_CHAR_UUID = "00004E56-73F5-4BC4-A12F-17D1AD07A689"

_IRQ_PERIPHERAL_CONNECT = const(7)
_IRQ_PERIPHERAL_DISCONNECT = const(8)
_IRQ_GATTC_CHARACTERISTIC_RESULT = const(11)
_IRQ_GATTC_CHARACTERISTIC_DONE = const(12)
_IRQ_GATTC_READ_RESULT = const(15)
_IRQ_GATTC_READ_DONE = const(16)
_NO_CONN = const(0xFFFF)
_ID_LEN = const(12)
_SLOT_MS = const(900000)
_MINUTE_MS = const(60000)
_CONNECT_MS = const(2000)  # give up connecting after this (the phone moved away)
_OP_MS = const(3000)  # and on a connected phone that does not answer
_QUEUE = const(8)
_STALE_MS = const(30000)  # a candidate seen longer ago than this is dropped
_CACHE = const(32)

_IDLE = const(0)
_CONNECTING = const(1)
_CONNECTED = const(7)  # connected (IRQ): discovery to request
_DISCOVER = const(2)  # discovery requested
_DISCOVERED = const(3)  # discovery done (IRQ)
_READING = const(4)
_READ = const(5)  # read done (IRQ)
_CLOSING = const(6)
_FAST_MS = const(5)


# A candidate: [addr_type, addr, rssi (last), seen_ms (last), first_ms, count, rssi_min, rssi_max, rssi_sum]:
# its sightings in the current slot before (and while) its ID is read, logged with the ID once read, so the
# record counts every sighting, from the first, like any other contact's.
_C_FIRST = const(4)
_C_COUNT = const(5)


class IosCentral:
    def __init__(self, ble, clock, log, reads_per_min=6, log_run=None):
        self._ble = ble
        self._clock = clock
        self._log = log  # log(kind, contact_id, rssi, ts_ms): the aggregator's add
        # log_run(kind, contact_id, first_ms, last_ms, count, rssi_min, rssi_max, rssi_sum): the aggregator's
        # add_run, for the sightings made before the read; without it only the read's sighting is logged
        self._log_run = log_run
        self.reads_per_min = reads_per_min
        self._queue = []  # candidates (see above)
        self._cache = {}  # addr -> (slot, id)
        self._starts = []  # ticks of the connections started in the last minute
        self._state = _IDLE
        self._cand = None
        self._retry = None  # a candidate whose read failed in an IRQ
        self._conn = None
        self._vh = None
        self._value = None
        self._status = 0
        self._deadline = 0
        self._uuid = None
        self.stats = {"ios_reads": 0, "ios_cached": 0, "ios_failed": 0, "ios_bad_len": 0, "ios_queue_full": 0,
                      "ios_rate_limited": 0, "ios_cancelled": 0, "ios_irq_errors": 0}

    @property
    def busy(self):
        return self._state != _IDLE

    @property
    def connecting(self):
        """A connection attempt is pending (the stack refuses to scan meanwhile)."""
        return self._state == _CONNECTING

    def seen(self, addr_type, addr, rssi, now):
        """An iOS Bluezone advert (from the scan drain): log from the cache or queue a read."""
        if not self.reads_per_min:
            return
        a = bytes(addr)
        hit = self._cache.get(a)
        if hit is not None and hit[0] == now // _SLOT_MS:
            self.stats["ios_cached"] += 1
            self._log(2, hit[1], rssi, now)
            return
        for q in self._queue:
            if q[1] == a:
                _note(q, rssi, now)
                return
        for c in (self._cand, self._retry):
            if c is not None and c[1] == a:
                _note(c, rssi, now)
                return
        if len(self._queue) >= _QUEUE:
            self.stats["ios_queue_full"] += 1
            return
        self._queue.append([addr_type, a, rssi, now, now, 1, rssi, rssi, rssi])

    def cancel(self):
        """Give up a pending connection attempt (gap_connect(None)), so the radio is idle for an address
        change; the candidate goes back to the front of the queue. True if one was pending."""
        if self._state != _CONNECTING:
            return False
        cand = self._cand
        self._state = _IDLE  # before the call: the stack reports the cancel (IRQ 8) inside it
        self._cand = None
        self.stats["ios_cancelled"] += 1
        try:
            self._ble.gap_connect(None)
        except (OSError, TypeError):  # already over, or a stack without cancel
            pass
        if cand is not None and len(self._queue) < _QUEUE:
            self._queue.insert(0, cand)
        return True

    # -- IRQ: copy, set the state ---------------------------------------------------------------
    def irq(self, event, data):
        try:
            self._irq(event, data)
        except Exception:  # bytes()/gap_disconnect can raise: never out of the IRQ (it would be removed)
            self.stats["ios_irq_errors"] += 1
        return None

    def _irq(self, event, data):
        if event == _IRQ_PERIPHERAL_CONNECT:
            if self._state == _CONNECTING and self._cand is not None and bytes(data[2]) == self._cand[1]:
                self._conn = data[0]
                self._state = _CONNECTED
            else:
                self._ble.gap_disconnect(data[0])
        elif event == _IRQ_PERIPHERAL_DISCONNECT:
            if data[0] == self._conn or (data[0] == _NO_CONN and self._state == _CONNECTING):
                self._conn = None
                if self._state != _IDLE and self._state != _CLOSING:
                    self.stats["ios_failed"] += 1
                    self._retry = self._cand  # step() queues it again, sightings kept
                self._state = _IDLE
                self._cand = None
        elif data[0] != self._conn:
            return None
        elif event == _IRQ_GATTC_CHARACTERISTIC_RESULT:
            if self._vh is None and data[4] == self._uuid:
                self._vh = data[2]
        elif event == _IRQ_GATTC_CHARACTERISTIC_DONE:
            if self._state == _DISCOVER:
                self._state = _DISCOVERED
        elif event == _IRQ_GATTC_READ_RESULT:
            if data[1] == self._vh:
                self._value = bytes(data[2])  # valid only during the IRQ
        elif event == _IRQ_GATTC_READ_DONE:
            if self._state == _READING:
                self._status = data[2]
                self._state = _READ
        return None

    # -- main loop -------------------------------------------------------------------------------
    def step(self, now, scanning):
        """Advance the current read or start the next; returns how many ms the main loop may sleep."""
        c = self._clock
        tk = c.ticks_ms()
        st = self._state
        if self._retry is not None:
            self._requeue(self._retry)
            self._retry = None
        if st == _IDLE:
            return self._start(now, tk, scanning)
        if c.ticks_diff(tk, self._deadline) >= 0:
            if st == _CLOSING:  # the disconnect IRQ never came
                self._state = _IDLE
                self._conn = None
                return _FAST_MS
            self._fail()
            return _FAST_MS
        if st == _CONNECTED:
            self._state = _DISCOVER
            self._deadline = tk + _OP_MS
            self._ble.gattc_discover_characteristics(self._conn, 1, 0xFFFF, self._uuid)
        elif st == _DISCOVERED:
            if self._vh is None:
                self._fail()
            else:
                self._state = _READING
                self._deadline = tk + _OP_MS
                self._ble.gattc_read(self._conn, self._vh)
        elif st == _READ:
            v = self._value
            cand = self._cand
            if self._status == 0 and v is not None and len(v) == _ID_LEN and cand is not None:
                self.stats["ios_reads"] += 1
                self._remember(cand[1], now // _SLOT_MS, v)
                self._log_cand(v, cand, now)
            else:
                if v is not None and len(v) != _ID_LEN:
                    self.stats["ios_bad_len"] += 1
                self.stats["ios_failed"] += 1
            self._close(tk)
        return _FAST_MS

    def _start(self, now, tk, scanning):
        q = self._queue
        while q and now - q[0][3] > _STALE_MS:
            q.pop(0)
        if not q or scanning:
            return 1000
        c = self._clock
        self._starts = [t for t in self._starts if c.ticks_diff(tk, t) < _MINUTE_MS]
        if len(self._starts) >= self.reads_per_min:
            self.stats["ios_rate_limited"] += 1
            return max(1, _MINUTE_MS - c.ticks_diff(tk, self._starts[0]))
        cand = q.pop(0)
        hit = self._cache.get(cand[1])
        if hit is not None and hit[0] == now // _SLOT_MS:  # read meanwhile
            self._log_cand(hit[1], cand, now)
            return _FAST_MS
        if self._uuid is None:
            try:
                import bluetooth

                self._uuid = bluetooth.UUID(IOS_CHAR_UUID)
            except (ImportError, AttributeError):  # a radio without a GATT client: no reads at all
                self.reads_per_min = 0
                self._queue = []
                return 1000
        self._cand = cand
        self._vh = None
        self._value = None
        self._starts.append(tk)
        self._state = _CONNECTING
        self._deadline = tk + _CONNECT_MS + 500
        try:
            self._ble.gap_connect(cand[0], cand[1], _CONNECT_MS)
        except OSError:
            self.stats["ios_failed"] += 1
            self._state = _IDLE
            self._cand = None
            self._requeue(cand)
        return _FAST_MS

    def _log_cand(self, bz_id, cand, now):
        """The candidate's sightings of this slot (before and during the read) under the ID just read."""
        slot = now // _SLOT_MS
        if self._log_run is not None and cand[_C_FIRST] // _SLOT_MS == slot and cand[3] // _SLOT_MS == slot:
            self._log_run(2, bz_id, cand[_C_FIRST], cand[3], cand[_C_COUNT], cand[6], cand[7], cand[8])
            return
        self._log(2, bz_id, cand[2], now)  # its sightings were in the previous slot, under another ID

    def _requeue(self, cand):
        """A failed read: the candidate waits for the next attempt with its sightings (still bounded by the
        queue, the stale time and the rate limit)."""
        for q in self._queue:
            if q[1] == cand[1]:
                return
        if len(self._queue) < _QUEUE:
            self._queue.append(cand)  # behind the others: a phone that does not answer waits its turn

    def _fail(self):
        self.stats["ios_failed"] += 1
        if self._cand is not None:
            self._requeue(self._cand)
        self._close(self._clock.ticks_ms())

    def _close(self, tk):
        self._cand = None
        if self._conn is None:
            self._state = _IDLE
            return
        self._state = _CLOSING
        self._deadline = tk + _OP_MS
        try:
            self._ble.gap_disconnect(self._conn)
        except OSError:
            self._state = _IDLE
            self._conn = None

    def _remember(self, addr, slot, bz_id):
        if len(self._cache) >= _CACHE:
            for k in list(self._cache):
                if self._cache[k][0] != slot:
                    del self._cache[k]
            if len(self._cache) >= _CACHE:
                self._cache.pop(next(iter(self._cache)))
        self._cache[addr] = (slot, bz_id)


def _note(c, rssi, now):
    """One more sighting of a candidate; one from a new slot starts its run again (the phone's ID changed
    at the slot boundary, so the earlier sightings cannot be given the ID read now)."""
    if now // _SLOT_MS != c[_C_FIRST] // _SLOT_MS:
        c[4] = now
        c[5] = 0
        c[6] = c[7] = rssi
        c[8] = 0
    c[2] = rssi
    c[3] = now
    c[5] += 1
    if rssi < c[6]:
        c[6] = rssi
    if rssi > c[7]:
        c[7] = rssi
    c[8] += rssi
