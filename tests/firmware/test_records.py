# Encounter record codec, on the MicroPython unix port and CPython.
import binascii
import struct

from fwtest import eq, raises

from bzfw import records

DAY = 20415  # 2025-11-23
T0 = DAY * 86400000
CID = b"\x01\x23\x45\x67\x89\xab\xcd\xef\x10\x32\x54\x76"


def _rec(**kw):
    f = dict(day=DAY, slot=54, kind=1, contact_id=CID, first_ms=T0 + 54 * 900000 + 12345,
             last_ms=T0 + 54 * 900000 + 612999, count=37, rssi_min=-91, rssi_max=-48, rssi_mean=-70)
    f.update(kw)
    return records.encode(f["day"], f["slot"], f["kind"], f["contact_id"], f["first_ms"], f["last_ms"],
                          f["count"], f["rssi_min"], f["rssi_max"], f["rssi_mean"])


def test_size_and_round_trip():
    eq(records.RECORD_SIZE, 24, "record size")
    r = _rec()
    eq(len(r), 24, "encoded length")
    eq(records.decode(r, DAY), (DAY, 54, 1, CID, T0 + 54 * 900000 + 12000, T0 + 54 * 900000 + 612000, 37, -91,
                                -48, -70), "decoded")


def test_layout_byte_by_byte():
    # the layout documented in firmware/README.md, rebuilt here field by field
    r = _rec()
    eq(r[0:12], CID, "ID bytes 0..11")
    first_s = 54 * 900 + 12
    dur = 612 - 12
    w = first_s | dur << 17 | 1 << 27 | 37 << 29 | 91 << 43 | 48 << 50 | 70 << 57
    eq(r[12:20], struct.pack("<Q", w), "packed word bytes 12..19")
    crc = binascii.crc32(struct.pack("<I", DAY) + r[:20]) & 0xFFFFFFFF
    eq(r[20:24], struct.pack("<I", crc), "CRC bytes 20..23")


def test_ios_kind_and_slot_edges():
    r = _rec(kind=2, slot=0, first_ms=T0, last_ms=T0 + 899999, count=1, rssi_min=-60, rssi_max=-60, rssi_mean=-60)
    eq(records.decode(r, DAY)[1:5], (0, 2, CID, T0), "slot 0 iOS")
    eq(records.decode(r, DAY)[5], T0 + 899000, "last second of the slot")
    last = T0 + 95 * 900000
    r = _rec(slot=95, first_ms=last, last_ms=T0 + 86399999)
    eq(records.decode(r, DAY)[1], 95, "slot 95")


def test_saturation_and_clamping():
    d = records.decode(_rec(count=10 ** 6, rssi_min=-140, rssi_max=12, rssi_mean=-3), DAY)
    eq(d[6:], (records.MAX_COUNT, -127, 0, -3), "count saturates, RSSI clamps")


def test_every_bit_flip_is_caught():
    r = bytearray(_rec())
    for i in range(len(r) * 8):
        bad = bytearray(r)
        bad[i // 8] ^= 1 << (i % 8)
        raises(ValueError, records.decode, bytes(bad), DAY)
        eq(records.check(bad, DAY), False, f"check() of bit {i}")


def test_record_of_another_day_fails():
    r = _rec()
    raises(ValueError, records.decode, r, DAY + 1)
    eq(records.check(r, DAY), True, "valid")
    eq(records.check(r, DAY - 1), False, "another day")


def test_wrong_lengths_and_erased_flash():
    r = _rec()
    raises(ValueError, records.decode, r[:23], DAY)
    raises(ValueError, records.decode, r + b"\x00", DAY)
    raises(ValueError, records.decode, b"\xff" * 24, DAY)
    raises(ValueError, records.decode, b"\x00" * 24, DAY)


def test_encode_rejects_inconsistent_fields():
    raises(ValueError, lambda: _rec(contact_id=CID[:11]))
    raises(ValueError, lambda: _rec(kind=0))
    raises(ValueError, lambda: _rec(kind=3))
    raises(ValueError, lambda: _rec(slot=53))
    raises(ValueError, lambda: _rec(day=DAY + 1))
    raises(ValueError, lambda: _rec(last_ms=T0 + 55 * 900000))  # next slot
    raises(ValueError, lambda: _rec(last_ms=T0 + 54 * 900000))  # before first
    raises(ValueError, lambda: _rec(count=0))
    raises(ValueError, lambda: _rec(rssi_mean=-95))
    raises(ValueError, lambda: _rec(rssi_mean=-40))


def test_valid_crc_but_impossible_fields_is_malformed():
    # a record that passes its CRC but could not come from encode() (kind 3) is still refused
    r = bytearray(_rec())
    w = struct.unpack_from("<Q", r, 12)[0] | 3 << 27
    struct.pack_into("<Q", r, 12, w)
    struct.pack_into("<I", r, 20, binascii.crc32(struct.pack("<I", DAY) + bytes(r[:20])) & 0xFFFFFFFF)
    raises(ValueError, records.decode, bytes(r), DAY)
