# Encounter records: the fixed-size binary record the token appends to its day files on flash,
# and the host decodes after a pull. One record = one (contact ID, 15-min slot) encounter.
#
# Layout (24 bytes; the day is not stored, it is the day file's name, and it is mixed into the CRC
# so a record moved to another day's file fails its check). Byte by byte in firmware/README.md.
#   0..11   contact ID (12 bytes, as on air / as read over GATT)
#   12..19  one little-endian 64-bit word:
#             bits  0..16  first seen, whole seconds since the UTC day began (0..86399)
#             bits 17..26  duration, last seen - first seen in whole seconds (0..899, same slot)
#             bits 27..28  kind (1 = Android phone or token, 2 = iOS phone)
#             bits 29..42  count of sightings (1..16383, saturating)
#             bits 43..49  -rssi_min (RSSI clamped to -127..0 dBm)
#             bits 50..56  -rssi_max
#             bits 57..63  -rssi_mean
#   20..23  CRC-32 (zlib/ZIP, binascii.crc32) of day (4 bytes LE) + bytes 0..19, little-endian
# Times are kept at 1 s resolution (floored): finer is meaningless for a 15-min-slot protocol.
import binascii
import struct

from bzfw.compat import const

RECORD_SIZE = const(24)
ID_LEN = const(12)
_BODY = const(20)
_DAY_MS = const(86400000)
_SLOT_S = const(900)
_DAY_S = const(86400)
MAX_COUNT = const(16383)
RSSI_FLOOR = const(-127)
RSSI_CEIL = const(0)
_KIND_ANDROID = const(1)  # bzfw.adv.KIND_ANDROID
_KIND_IOS = const(2)  # bzfw.adv.KIND_IOS


def _crc(day, body):
    return binascii.crc32(body, binascii.crc32(struct.pack("<I", day))) & 0xFFFFFFFF


def _clamp(r):
    if r < RSSI_FLOOR:
        return RSSI_FLOOR
    if r > RSSI_CEIL:
        return RSSI_CEIL
    return r


def encode(day, slot, kind, contact_id, first_ms, last_ms, count, rssi_min, rssi_max, rssi_mean):
    """One 24-byte record. Raises ValueError on inconsistent fields; count and RSSI saturate."""
    if len(contact_id) != ID_LEN:
        raise ValueError("record: contact ID must be 12 bytes, got %d" % len(contact_id))
    if kind != _KIND_ANDROID and kind != _KIND_IOS:
        raise ValueError("record: unknown kind %r" % (kind,))
    if day < 0 or first_ms // _DAY_MS != day:
        raise ValueError("record: first_ms %d is not in day %d" % (first_ms, day))
    first_s = (first_ms - day * _DAY_MS) // 1000
    if first_s // _SLOT_S != slot:
        raise ValueError("record: first_ms %d is not in slot %d" % (first_ms, slot))
    if last_ms < first_ms:
        raise ValueError("record: last_ms before first_ms")
    dur = (last_ms - day * _DAY_MS) // 1000 - first_s
    if first_s % _SLOT_S + dur >= _SLOT_S:
        raise ValueError("record: last_ms %d is past slot %d" % (last_ms, slot))
    if count < 1:
        raise ValueError("record: count must be >= 1")
    if count > MAX_COUNT:
        count = MAX_COUNT
    lo, hi, mean = _clamp(rssi_min), _clamp(rssi_max), _clamp(rssi_mean)
    if not lo <= mean <= hi:
        raise ValueError("record: RSSI needs min <= mean <= max, got %d %d %d" % (lo, mean, hi))
    w = first_s | dur << 17 | kind << 27 | count << 29 | (-lo) << 43 | (-hi) << 50 | (-mean) << 57
    buf = bytearray(RECORD_SIZE)
    buf[0:ID_LEN] = contact_id
    struct.pack_into("<Q", buf, ID_LEN, w)
    struct.pack_into("<I", buf, _BODY, _crc(day, memoryview(buf)[:_BODY]))
    return bytes(buf)


def check(buf, day):
    """True when buf is one record of `day` with a valid CRC (no field checks, no allocation of a tuple)."""
    if len(buf) != RECORD_SIZE:
        return False
    mv = memoryview(buf)
    return struct.unpack_from("<I", mv, _BODY)[0] == _crc(day, mv[:_BODY])


def decode(buf, day):
    """(day, slot, kind, contact_id, first_ms, last_ms, count, rssi_min, rssi_max, rssi_mean).

    Raises ValueError on a wrong length, a bad CRC (including a record of another day) or fields
    that encode() could never have produced."""
    if len(buf) != RECORD_SIZE:
        raise ValueError("record: need %d bytes, got %d" % (RECORD_SIZE, len(buf)))
    if not check(buf, day):
        raise ValueError("record: bad CRC (day %d)" % day)
    w = struct.unpack_from("<Q", buf, ID_LEN)[0]
    first_s = w & 0x1FFFF
    dur = (w >> 17) & 0x3FF
    kind = (w >> 27) & 3
    count = (w >> 29) & 0x3FFF
    lo = -((w >> 43) & 0x7F)
    hi = -((w >> 50) & 0x7F)
    mean = -((w >> 57) & 0x7F)
    if (first_s >= _DAY_S or first_s % _SLOT_S + dur >= _SLOT_S or kind == 0 or kind == 3 or count == 0
            or not lo <= mean <= hi):
        raise ValueError("record: malformed fields (day %d)" % day)
    base = day * _DAY_MS
    return (day, first_s // _SLOT_S, kind, bytes(buf[0:ID_LEN]), base + first_s * 1000,
            base + (first_s + dur) * 1000, count, lo, hi, mean)
