# The open encounters on flash, so that records are written once per (contact, slot), at the slot's end,
# yet a power cut or a deep sleep loses nothing but the sightings since the last save.
#
# One file, REPLACED at each save (written to `<path>.tmp`, then renamed over `<path>`: LittleFS commits
# a rename atomically, so a cut leaves the old checkpoint or the new one), never appended to the log.
# Layout (little-endian): "BZCK" | version u8 | n_days u8 | n_rows u16 | the aggregator's state()
# (20 bytes: the slot's crowd counters) | n_days x (day u32, log size u32) | n_rows x row (44 bytes,
# Aggregator.pack_row) | CRC-32 of everything before.
#
# Exactly once: the file notes, for every day its rows belong to, the size of that day's log when it
# was written; its rows were in no record up to there. A record appended later for a row's (contact,
# slot) holds that row's sightings (the row was closed into it, or closed early into an earlier one and
# opened again). So on load a row whose (contact, slot) has a record past the noted size is already in
# the log and is skipped: a cut between a log append and the next save neither loses nor duplicates.
# The caller appends the rows of ended slots (Aggregator.close_before) and saves again.
import binascii
import os
import struct

from bzfw import records
from bzfw.compat import const
from bzfw.encounters import ROW_SIZE

MAGIC = b"BZCK"
VERSION = const(1)
_HEAD = const(8)
_STATE = const(20)
_SLOTS_PER_DAY = const(96)
_R = const(24)  # records.RECORD_SIZE
_CHUNK = const(480)  # log tail read this many bytes at a time (20 records)


def save(path, agg, logstore):
    """Replace the checkpoint at path by agg's open encounters. Returns the bytes written."""
    rows = agg.open_rows()
    days = []
    for r in rows:
        d = agg.row_slot(r) // _SLOTS_PER_DAY
        if d not in days:
            days.append(d)
    tmp = path + ".tmp"
    buf = bytearray(ROW_SIZE)
    with open(tmp, "wb") as f:
        head = struct.pack("<4sBBH", MAGIC, VERSION, len(days), len(rows)) + agg.state()
        crc = binascii.crc32(head)
        f.write(head)
        n = len(head)
        for d in days:
            b = struct.pack("<II", d, logstore.size(d))
            crc = binascii.crc32(b, crc)
            f.write(b)
            n += 8
        for r in rows:
            agg.pack_row(r, buf)
            crc = binascii.crc32(buf, crc)
            f.write(buf)
            n += ROW_SIZE
        f.write(struct.pack("<I", crc))
    os.rename(tmp, path)
    return n + 4


def _check(f):
    # CRC over the whole file, streamed (heap stays small); returns (n_days, n_rows) or raises ValueError.
    head = f.read(_HEAD)
    if len(head) != _HEAD or head[0:4] != MAGIC:
        raise ValueError("checkpoint: not a checkpoint")
    magic, ver, n_days, n_rows = struct.unpack("<4sBBH", head)
    if ver != VERSION:
        raise ValueError("checkpoint: version %d, this firmware reads %d" % (ver, VERSION))
    body = _STATE + 8 * n_days + ROW_SIZE * n_rows
    crc = binascii.crc32(head)
    left = body
    while left:
        b = f.read(min(left, 512))
        if not b:
            raise ValueError("checkpoint: truncated")
        crc = binascii.crc32(b, crc)
        left -= len(b)
    tail = f.read(8)
    if len(tail) != 4 or struct.unpack("<I", tail)[0] != crc:
        raise ValueError("checkpoint: bad CRC")
    return n_days, n_rows


def load(path, agg, logstore):
    """Reopen the checkpoint's encounters in agg (and its crowd counters). Returns (restored, already
    logged, refused by agg); (0, 0, 0) when there is no checkpoint. Raises ValueError on a damaged or
    foreign file (the caller counts it; nothing is restored from it)."""
    try:
        f = open(path, "rb")
    except OSError:
        return 0, 0, 0
    with f:
        n_days, n_rows = _check(f)
        f.seek(_HEAD)
        state = f.read(_STATE)
        sizes = []
        for _ in range(n_days):
            sizes.append(struct.unpack("<II", f.read(8)))
        rows_at = f.tell()
        want = {}  # contact ID -> slot of the checkpoint's rows
        for _ in range(n_rows):
            b = f.read(ROW_SIZE)
            want[b[0:12]] = struct.unpack_from("<i", b, 12)[0]
        logged = _in_log(logstore, sizes, want)
        f.seek(rows_at)
        buf = bytearray(ROW_SIZE)
        restored = skipped = refused = 0
        for _ in range(n_rows):
            f.readinto(buf)
            cid = bytes(buf[0:12])
            if cid in logged:
                skipped += 1
            elif agg.unpack_row(buf):
                restored += 1
            else:
                refused += 1
    agg.restore(state)
    return restored, skipped, refused


def _in_log(logstore, sizes, want):
    # The contact IDs of `want` that have a record of the same slot past the size noted for its day.
    found = set()
    for day, size in sizes:
        end = logstore.size(day)
        off = size if size <= end else 0  # the day shrank (wiped, removed for room): look at all of it
        off -= off % _R
        while off < end:
            data = logstore.read(day, off, _CHUNK)
            if not data:
                break
            for o in range(0, len(data), _R):
                rec = data[o:o + _R]
                cid = rec[0:12]
                s = want.get(cid)
                if s is not None and s // _SLOTS_PER_DAY == day and records.check(rec, day):
                    try:
                        if records.decode(rec, day)[1] == s % _SLOTS_PER_DAY:
                            found.add(cid)
                    except ValueError:  # a good CRC over fields encode cannot give: not ours
                        pass
            off += len(data)
    return found


def remove(path):
    """Forget the checkpoint (after a wipe of the logs)."""
    for p in (path, path + ".tmp"):
        try:
            os.remove(p)
        except OSError:
            pass
