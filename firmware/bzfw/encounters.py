# Encounter aggregation: sightings in, one record per (contact ID, 15-min slot) out.
#
# Memory is bounded: at most `max_open` encounters are open, and at most `max_open` closed records
# wait to be collected. When the table is full, the open encounter seen least recently is closed
# early (its record is kept, counted in `evicted`; a later sighting of it in the same slot opens a
# second record for that slot). Only if the queue of closed records is also full is a record lost,
# and then it is counted in `dropped`. Nothing is lost silently.
from bzfw import records
from bzfw.compat import const

_SLOT_MS = const(900000)
_DAY_MS = const(86400000)
_SLOTS_PER_DAY = const(96)
_KIND_ANDROID = const(1)
_KIND_IOS = const(2)

# Fields of an open encounter (a list, to update in place without allocating).
_SLOT = const(0)  # absolute slot number, ts_ms // SLOT_MS
_KIND = const(1)
_FIRST = const(2)
_LAST = const(3)
_COUNT = const(4)
_MIN = const(5)
_MAX = const(6)
_SUM = const(7)


class Aggregator:
    def __init__(self, max_open=64):
        if max_open < 1:
            raise ValueError("max_open must be >= 1")
        self.max_open = max_open
        self._open = {}  # contact ID (bytes) -> encounter fields
        self._ready = []  # closed (day, record) waiting for close_before()/flush()
        self.evicted = 0  # encounters closed early because the table was full
        self.dropped = 0  # records lost because the ready queue was full too
        self.sightings = 0

    @property
    def open_count(self):
        return len(self._open)

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
        e = self._open.get(contact_id)
        if e is not None and e[_SLOT] == slot:
            if ts_ms < e[_FIRST]:
                e[_FIRST] = ts_ms
            elif ts_ms > e[_LAST]:
                e[_LAST] = ts_ms
            e[_COUNT] += 1
            if rssi < e[_MIN]:
                e[_MIN] = rssi
            if rssi > e[_MAX]:
                e[_MAX] = rssi
            e[_SUM] += rssi
            return
        if e is not None:  # same ID in another slot (a clock step, or a phone ID spanning our slot edge)
            self._close(contact_id, e)
        elif len(self._open) >= self.max_open:
            self._evict()
        self._open[contact_id] = [slot, kind, ts_ms, ts_ms, 1, rssi, rssi, rssi]

    def _evict(self):
        victim = None
        oldest = 0
        for cid, e in self._open.items():
            if victim is None or e[_LAST] < oldest:
                victim, oldest = cid, e[_LAST]
        self.evicted += 1
        self._close(victim, self._open[victim])

    def _close(self, cid, e):
        del self._open[cid]
        if len(self._ready) >= self.max_open:
            self.dropped += 1
            return
        self._ready.append(_record(cid, e))

    def close_before(self, ts_ms):
        """Close every encounter whose slot ended at or before ts_ms; returns [(day, record bytes)]."""
        done = [cid for cid, e in self._open.items() if (e[_SLOT] + 1) * _SLOT_MS <= ts_ms]
        for cid in done:
            self._ready.append(_record(cid, self._open.pop(cid)))
        out = self._ready
        self._ready = []
        return out

    def flush(self):
        """Close everything (before sleep, sync or shutdown); returns [(day, record bytes)]."""
        for cid in list(self._open):
            self._ready.append(_record(cid, self._open.pop(cid)))
        out = self._ready
        self._ready = []
        return out


def _record(cid, e):
    n = e[_COUNT]
    mean = (2 * e[_SUM] + n) // (2 * n)  # rounded to nearest, halves up, with integers only
    day = e[_FIRST] // _DAY_MS
    return day, records.encode(day, e[_SLOT] % _SLOTS_PER_DAY, e[_KIND], cid, e[_FIRST], e[_LAST], n,
                               e[_MIN], e[_MAX], mean)
