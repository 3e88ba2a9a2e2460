# Encounter aggregation: sightings in, one record per (contact ID, 15-min slot) out.
#
# Memory is fixed at construction: a table of `max_open` open encounters (one int array, no object per
# encounter, so no heap churn or fragmentation as devices come and go) plus a dict from contact ID to
# table row, and at most `max_open` closed records waiting to be collected. When the table is full,
# the open encounter seen least recently is closed early: its record is kept and counted in `evicted`
# (a later sighting of it in the same slot opens a second record for that slot). Only if the queue of
# closed records is full as well is a record lost, and then it is counted in `dropped`. Nothing is
# lost silently.
from array import array

from bzfw import records
from bzfw.compat import const

_SLOT_MS = const(900000)
_DAY_MS = const(86400000)
_SLOTS_PER_DAY = const(96)
_KIND_ANDROID = const(1)
_KIND_IOS = const(2)

# Columns of a table row. Times are ms from the start of the row's slot, so everything fits in 32 bits.
_SLOT = const(0)  # absolute slot number, ts_ms // SLOT_MS
_KIND = const(1)
_FIRST = const(2)
_LAST = const(3)
_COUNT = const(4)
_MIN = const(5)
_MAX = const(6)
_SUM = const(7)
_COLS = const(8)


class Aggregator:
    def __init__(self, max_open=64):
        if max_open < 1:
            raise ValueError("max_open must be >= 1")
        self.max_open = max_open
        self._t = array("i", bytes(4 * _COLS * max_open))
        self._ids = [None] * max_open  # row -> contact ID (None: free row)
        self._row = {}  # contact ID -> row
        self._free = list(range(max_open - 1, -1, -1))
        self._ready = []  # closed (day, record) waiting for close_before()/flush()
        self.evicted = 0  # encounters closed early because the table was full
        self.dropped = 0  # records lost because the ready queue was full too
        self.sightings = 0

    @property
    def open_count(self):
        return len(self._row)

    def add(self, kind, contact_id, rssi, ts_ms):
        """One sighting. contact_id: 12 bytes; kind: KIND_ANDROID or KIND_IOS; rssi in dBm."""
        if kind != _KIND_ANDROID and kind != _KIND_IOS:
            raise ValueError("sighting: unknown kind %r" % (kind,))
        if len(contact_id) != records.ID_LEN:
            raise ValueError("sighting: contact ID must be 12 bytes, got %d" % len(contact_id))
        if ts_ms < 0:
            raise ValueError("sighting: time before 1970")
        if type(contact_id) is not bytes:  # a memoryview from the IRQ is not hashable
            contact_id = bytes(contact_id)
        self.sightings += 1
        slot = ts_ms // _SLOT_MS
        off = ts_ms - slot * _SLOT_MS
        t = self._t
        r = self._row.get(contact_id)
        if r is not None:
            b = r * _COLS
            if t[b + _SLOT] == slot:
                if off < t[b + _FIRST]:
                    t[b + _FIRST] = off
                elif off > t[b + _LAST]:
                    t[b + _LAST] = off
                t[b + _COUNT] += 1
                if rssi < t[b + _MIN]:
                    t[b + _MIN] = rssi
                if rssi > t[b + _MAX]:
                    t[b + _MAX] = rssi
                t[b + _SUM] += rssi
                return
            # same ID in another slot (a clock step, or a phone ID spanning our slot edge)
            self._close(r)
        elif not self._free:
            self._evict()
        r = self._free.pop()
        self._ids[r] = contact_id
        self._row[contact_id] = r
        b = r * _COLS
        t[b + _SLOT] = slot
        t[b + _KIND] = kind
        t[b + _FIRST] = off
        t[b + _LAST] = off
        t[b + _COUNT] = 1
        t[b + _MIN] = rssi
        t[b + _MAX] = rssi
        t[b + _SUM] = rssi

    def _evict(self):
        t = self._t
        victim = -1
        vs = vl = 0
        for r in range(self.max_open):
            b = r * _COLS
            s, l = t[b + _SLOT], t[b + _LAST]
            if victim < 0 or s < vs or (s == vs and l < vl):
                victim, vs, vl = r, s, l
        self.evicted += 1
        self._close(victim)

    def _close(self, r, queue_cap=True):
        cid = self._ids[r]
        del self._row[cid]
        self._ids[r] = None
        self._free.append(r)
        if queue_cap and len(self._ready) >= self.max_open:
            self.dropped += 1
            return
        self._ready.append(self._record(r, cid))

    def _record(self, r, cid):
        t = self._t
        b = r * _COLS
        n = t[b + _COUNT]
        mean = (2 * t[b + _SUM] + n) // (2 * n)  # rounded to nearest, halves up, with integers only
        start = t[b + _SLOT] * _SLOT_MS
        day = start // _DAY_MS
        first, last = start + t[b + _FIRST], start + t[b + _LAST]
        return day, records.encode(day, t[b + _SLOT] % _SLOTS_PER_DAY, t[b + _KIND], cid, first, last, n,
                                   t[b + _MIN], t[b + _MAX], mean)

    def close_before(self, ts_ms):
        """Close every encounter whose slot ended at or before ts_ms; returns [(day, record bytes)]."""
        t = self._t
        end_slot = ts_ms // _SLOT_MS  # slots below this one have ended
        for r in range(self.max_open):
            if self._ids[r] is not None and t[r * _COLS + _SLOT] < end_slot:
                self._close(r, False)
        out = self._ready
        self._ready = []
        return out

    def flush(self):
        """Close everything (before sleep, sync or shutdown); returns [(day, record bytes)]."""
        for r in range(self.max_open):
            if self._ids[r] is not None:
                self._close(r, False)
        out = self._ready
        self._ready = []
        return out
