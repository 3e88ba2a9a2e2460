# Encounter aggregation: sightings in, one record per (contact ID, 15-min slot) out.
#
# Memory is fixed at construction: a table of `max_open` open encounters (one int array, no object per
# encounter, so no heap churn or fragmentation as devices come and go) plus a dict from contact ID to
# table row, and at most `max_open` closed records waiting to be collected.
#
# Crowd policy (more contacts in range than rows), after the TraceTogether token (unique IDs, repeats
# update RSSI and count, keep the strongest, bounded records per period). Strength is an encounter's
# strongest RSSI (rssi_max: how close the contact came). When the table is full:
# - a sighting of a new ID that is not stronger than the weakest open encounter gets no row: counted
#   in `refused` (the contact is farther than every one we follow);
# - a stronger one takes the weakest encounter's row; that encounter is closed early and its record
#   kept (counted in `evicted`), up to `budget` early records per slot; past the budget the weakest's
#   record is dropped, counted in `shed` (its sightings in `lost`);
# - a row left from an ended slot (not yet collected) is always the first to go, its record kept.
# In a slot where the table overflowed ("crowded"):
# - the periodic persist (`checkpoint()`, every few minutes against power cuts) closes only the `keep`
#   strongest; the others stay open to the slot's end and give one record each (else every persist
#   would write a table of far contacts again). The price: a power cut in a crowd loses the weaker
#   contacts' sightings since the slot began;
# - at most `slot_cap` records are written: past it a close (checkpoint, slot end, the flush before a
#   deep sleep or a sync) writes its `keep` strongest and sheds the rest. This bounds the eco profile,
#   which writes its whole table before every deep sleep (RAM does not survive it); the counters
#   behind the cap and the budget are kept over the sleep in RTC memory (`state()`, `restore()`).
# So a close contact is never refused, closed early or shed while `max_open` weaker ones are open (and
# fewer than `keep` stronger ones), and a crowded slot writes at most `slot_cap` + `keep` per close.
# Only if the queue of closed records is full as well is a record lost: `dropped` (sightings in
# `lost`). Nothing is lost silently: sightings == counts in the records out + refused + lost.
import struct
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
ROW_SIZE = const(44)  # a row on flash: ID 12 + 8 x i32


class Aggregator:
    def __init__(self, max_open=64, budget=None, keep=None, slot_cap=None):
        if max_open < 1:
            raise ValueError("max_open must be >= 1")
        self.max_open = max_open
        self.budget = max_open if budget is None else budget  # early records per slot in a crowd
        self.keep = max(1, max_open // 8) if keep is None else keep  # closed at a crowded checkpoint
        self.slot_cap = 2 * max_open if slot_cap is None else slot_cap  # records a crowded slot
        self._crowd_slot = -1  # the last slot in which the table overflowed
        self._n_slot = -1  # the latest slot records came out for, and how many
        self._n = 0
        self._t = array("i", bytes(4 * _COLS * max_open))
        self._ids = [None] * max_open  # type: list  # row -> contact ID (None: free row)
        self._row = {}  # type: dict  # contact ID -> row (sized for the whole table below, as _pre)
        # 30-bit key of the ID's first bytes -> row, -1 for two IDs with one key (add_at). Sized for the
        # whole table now (filled with keys no ID has, then emptied: a dict keeps its table), so it never
        # grows, and never needs a large block, in a busy hour.
        self._pre = {}  # type: dict
        for i in range(max_open):
            self._pre[-1 - i] = 0
        for i in range(max_open):
            del self._pre[-1 - i]
        for i in range(max_open):
            self._row[-1 - i] = 0
        for i in range(max_open):
            del self._row[-1 - i]
        self._free = list(range(max_open - 1, -1, -1))
        self._ready = []  # closed (day, record) waiting for close_before()/flush()
        self._weak = -1  # the weakest row while the table is full; -1: to be found again
        self._budget_slot = -1
        self._budget_left = 0
        self.evicted = 0  # encounters closed early because the table was full (record kept)
        self.refused = 0  # sightings given no row: table full, not stronger than the weakest
        self.shed = 0  # records of the weakest dropped past the slot's budget
        self.dropped = 0  # records lost because the ready queue was full too
        self.lost = 0  # sightings inside shed and dropped records
        self.sightings = 0
        self.restored = 0  # sightings in encounters reopened from a checkpoint (counted where first seen)

    @property
    def open_count(self):
        return len(self._row)

    def add(self, kind, contact_id, rssi, ts_ms):
        """One sighting. contact_id: 12 bytes; kind: KIND_ANDROID or KIND_IOS; rssi in dBm."""
        if ts_ms < 0:
            raise ValueError("sighting: time before 1970")
        slot = ts_ms // _SLOT_MS
        self.add_slot(kind, contact_id, rssi, slot, ts_ms - slot * _SLOT_MS)

    def add_at(self, kind, buf, o, rssi, slot, off):
        """The scan path's add: the ID is buf[o:o + 12], the time is (slot, ms into the slot). Small ints
        only (the ESP32 is 32-bit: small ints stop at 2^30; a unix-ms time would be a heap bigint), and a
        contact already open in this slot is updated without allocating anything: its row is found by a
        30-bit key made of the ID's first bytes, then the whole ID compared in place."""
        r = self._pre.get(buf[o] | (buf[o + 1] << 8) | (buf[o + 2] << 16) | ((buf[o + 3] & 0x3F) << 24), -1)
        if r >= 0 and self._t[r * _COLS + _SLOT] == slot and self._ids[r] is not None:
            cid = self._ids[r]
            i = 0
            while i < 12 and cid[i] == buf[o + i]:
                i += 1
            if i == 12:
                self.sightings += 1
                self._update(r, off, rssi)
                return
        self.add_slot(kind, bytes(buf[o:o + 12]), rssi, slot, off)

    def _update(self, r, off, rssi):
        t = self._t
        b = r * _COLS
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
        if r == self._weak:
            self._weak = -1  # it may no longer be the weakest

    def add_slot(self, kind, contact_id, rssi, slot, off):
        """One sighting at ms `off` into absolute slot `slot` (both small ints)."""
        if kind != _KIND_ANDROID and kind != _KIND_IOS:
            raise ValueError("sighting: unknown kind %r" % (kind,))
        if len(contact_id) != records.ID_LEN:
            raise ValueError("sighting: contact ID must be 12 bytes, got %d" % len(contact_id))
        if slot < 0 or not 0 <= off < _SLOT_MS:
            raise ValueError("sighting: time before 1970")
        if type(contact_id) is not bytes:  # a memoryview from the IRQ is not hashable
            contact_id = bytes(contact_id)
        self.sightings += 1
        t = self._t
        r = self._row.get(contact_id)
        if r is not None:
            b = r * _COLS
            if t[b + _SLOT] == slot:
                self._update(r, off, rssi)
                return
            # same ID in another slot (a clock step, or a phone ID spanning our slot edge)
            self._close(r)
        elif not self._free:
            self._crowd_slot = slot
            w = self._weak
            if w < 0:
                w = self._weak = self._weakest()
            b = w * _COLS
            if t[b + _SLOT] < slot:
                self.evicted += 1  # its slot is over: a normal close, come early
                self._close(w)
            elif rssi <= t[b + _MAX]:
                self.refused += 1
                return
            else:
                if slot != self._budget_slot:
                    self._budget_slot = slot
                    self._budget_left = self.budget
                if self._budget_left > 0:
                    self._budget_left -= 1
                    self.evicted += 1
                    self._close(w)
                else:
                    self._shed(w)
        r = self._free.pop()
        self._ids[r] = contact_id
        self._row[contact_id] = r
        self._index(r)
        b = r * _COLS
        t[b + _SLOT] = slot
        t[b + _KIND] = kind
        t[b + _FIRST] = off
        t[b + _LAST] = off
        t[b + _COUNT] = 1
        t[b + _MIN] = rssi
        t[b + _MAX] = rssi
        t[b + _SUM] = rssi

    def add_run(self, kind, contact_id, first_ms, last_ms, count, rssi_min, rssi_max, rssi_sum):
        """`count` sightings of one contact within one slot, first_ms..last_ms, given as their RSSI min, max
        and sum (an iOS phone's sightings before its ID was read). Counted as `count` sightings."""
        if count < 1 or last_ms < first_ms or first_ms // _SLOT_MS != last_ms // _SLOT_MS:
            raise ValueError("sighting run: bad count or times")
        self.add(kind, contact_id, rssi_max, first_ms)
        if type(contact_id) is not bytes:
            contact_id = bytes(contact_id)
        r = self._row.get(contact_id)
        if r is None:  # refused (a crowd): the rest is refused with it
            self.refused += count - 1
            self.sightings += count - 1
            return
        t = self._t
        b = r * _COLS
        off = last_ms - (last_ms // _SLOT_MS) * _SLOT_MS
        if off > t[b + _LAST]:
            t[b + _LAST] = off
        if rssi_min < t[b + _MIN]:
            t[b + _MIN] = rssi_min
        t[b + _COUNT] += count - 1
        t[b + _SUM] += rssi_sum - rssi_max
        self.sightings += count - 1
        self._weak = -1

    def _weakest(self):
        # The row to give up first: an ended slot's, else the weakest (lowest rssi_max), else the least
        # recently seen. A full scan, but only when the cached one changed: a refused sighting is O(1).
        t = self._t
        victim = -1
        vs = vm = vl = 0
        for r in range(self.max_open):
            b = r * _COLS
            s, m, l = t[b + _SLOT], t[b + _MAX], t[b + _LAST]
            if victim < 0 or s < vs or (s == vs and (m < vm or (m == vm and l < vl))):
                victim, vs, vm, vl = r, s, m, l
        return victim

    def _index(self, r):
        # The scan path's 30-bit key -> row; two open IDs with one key both take the slow path (-1).
        c = self._ids[r]
        k = c[0] | (c[1] << 8) | (c[2] << 16) | ((c[3] & 0x3F) << 24)
        self._pre[k] = -1 if k in self._pre else r

    def _free_row(self, r):
        c = self._ids[r]
        k = c[0] | (c[1] << 8) | (c[2] << 16) | ((c[3] & 0x3F) << 24)
        if self._pre.get(k) == r:
            del self._pre[k]
        del self._row[self._ids[r]]
        self._ids[r] = None
        self._free.append(r)
        self._weak = -1

    def _close(self, r, queue_cap=True):
        cid = self._ids[r]
        if queue_cap and len(self._ready) >= self.max_open:
            self.dropped += 1
            self.lost += self._t[r * _COLS + _COUNT]
        else:
            self._ready.append(self._record(r, cid))
            s = self._t[r * _COLS + _SLOT]
            if s > self._n_slot:
                self._n_slot = s
                self._n = 0
            if s == self._n_slot:
                self._n += 1
        self._free_row(r)

    def _shed(self, r):
        self.shed += 1
        self.lost += self._t[r * _COLS + _COUNT]
        self._free_row(r)

    def _close_many(self, rows):
        # Close these rows; those of a crowded slot only while its cap allows, strongest first, and at
        # least the `keep` strongest. The rest are shed, counted.
        t = self._t
        cs = self._crowd_slot
        capped = []
        for r in rows:
            if cs >= 0 and t[r * _COLS + _SLOT] == cs:
                capped.append(r)
            else:
                self._close(r, False)
        if not capped:
            return
        room = self.slot_cap - (self._n if self._n_slot == cs else 0)
        if room < self.keep:
            room = self.keep
        if len(capped) > room:
            capped.sort(key=lambda r: t[r * _COLS + _MAX], reverse=True)
        for i in range(len(capped)):
            if i < room:
                self._close(capped[i], False)
            else:
                self._shed(capped[i])

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
        self._close_many([r for r in range(self.max_open)
                          if self._ids[r] is not None and t[r * _COLS + _SLOT] < end_slot])
        out = self._ready
        self._ready = []
        return out

    @property
    def crowded(self):
        """True while the table has overflowed in the latest slot it holds."""
        return self._crowd_slot >= 0 and self._crowd_slot == self._latest_slot()

    def _latest_slot(self):
        t = self._t
        latest = -1
        for r in range(self.max_open):
            if self._ids[r] is not None and t[r * _COLS + _SLOT] > latest:
                latest = t[r * _COLS + _SLOT]
        return latest

    def checkpoint(self):
        """The periodic persist: flush() unless the latest slot is crowded; then close only the `keep`
        strongest encounters (and any of an ended slot). Returns [(day, record bytes)]."""
        latest = self._latest_slot()
        if latest < 0 or self._crowd_slot != latest:
            return self.flush()
        t = self._t
        rows = []
        for r in range(self.max_open):
            if self._ids[r] is not None:
                if t[r * _COLS + _SLOT] < latest:
                    self._close(r, False)
                else:
                    rows.append(r)
        rows.sort(key=lambda r: t[r * _COLS + _MAX], reverse=True)
        self._close_many(rows[:self.keep])
        out = self._ready
        self._ready = []
        return out

    def flush_some(self, n):
        """flush() a few rows at a time (a station's hello on a token with little heap: the records of a
        whole table at once are a large list). Records already waiting come first; in a crowded slot the
        whole table is closed at once (the cap keeps the strongest of all). [] when nothing is left."""
        if self._ready:
            out = self._ready[:n]
            self._ready = self._ready[n:]
            return out
        if self._crowd_slot >= 0 and self._crowd_slot == self._latest_slot():
            return self.flush()
        rows = []
        for r in range(self.max_open):
            if self._ids[r] is not None:
                rows.append(r)
                if len(rows) >= n:
                    break
        self._close_many(rows)
        out = self._ready
        self._ready = []
        return out

    def flush(self):
        """Close everything (before sleep, sync or shutdown); returns [(day, record bytes)]."""
        self._close_many([r for r in range(self.max_open) if self._ids[r] is not None])
        out = self._ready
        self._ready = []
        return out

    # -- the open table on flash (bzfw/checkpoint.py): a row is its contact ID and its 8 columns --------
    def open_rows(self):
        """Rows of the open encounters."""
        return [r for r in range(self.max_open) if self._ids[r] is not None]

    def row_slot(self, r):
        return self._t[r * _COLS + _SLOT]

    def pack_row(self, r, buf):
        """Row r into buf (ROW_SIZE bytes): contact ID, then the 8 columns as i32 LE."""
        buf[0:12] = self._ids[r]
        b = r * _COLS
        t = self._t
        for i in range(_COLS):
            struct.pack_into("<i", buf, 12 + 4 * i, t[b + i])

    def unpack_row(self, buf):
        """Reopen an encounter from pack_row's bytes. False (nothing changed) if the row is not one
        pack_row can give, its ID is already open, or the table is full."""
        cid = bytes(buf[0:12])
        v = struct.unpack_from("<8i", buf, 12)
        ok = (v[_SLOT] >= 0 and (v[_KIND] == _KIND_ANDROID or v[_KIND] == _KIND_IOS)
              and 0 <= v[_FIRST] <= v[_LAST] < _SLOT_MS and v[_COUNT] >= 1 and v[_MIN] <= v[_MAX])
        if not ok or cid in self._row or not self._free:
            return False
        r = self._free.pop()
        self._ids[r] = cid
        self._row[cid] = r
        self._index(r)
        b = r * _COLS
        for i in range(_COLS):
            self._t[b + i] = v[i]
        self.restored += v[_COUNT]  # counts out + refused + lost == sightings + restored
        self._weak = -1
        return True

    def state(self):
        """The per-slot counters behind the budget and the cap (20 bytes), to keep over a deep sleep."""
        return struct.pack("<5i", self._budget_slot, self._budget_left, self._crowd_slot, self._n_slot,
                           self._n)

    def restore(self, data):
        """Counters from state() (after a wake); anything else is ignored: a fresh start."""
        if data is not None and len(data) == 20:
            (self._budget_slot, self._budget_left, self._crowd_slot, self._n_slot,
             self._n) = struct.unpack("<5i", data)
