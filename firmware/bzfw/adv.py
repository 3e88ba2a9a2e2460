# Bluezone v2 advertisements (spec sections 2.2 to 2.7): the packet a token sends,
# and a classifier for raw advertising data received by a scan.
# Pure: no device access. parse() never raises on bytes-like input and never returns an ID
# from a malformed record.
from bzfw.compat import const

KIND_NONE = const(0)
KIND_ANDROID = const(1)  # an Android Bluezone phone or a token: ID in the advert
KIND_IOS = const(2)  # an iOS Bluezone phone: ID readable only over GATT

KIND_NAMES = {KIND_NONE: None, KIND_ANDROID: "bluezone_android", KIND_IOS: "bluezone_ios_needs_gatt_read"}

_AD_FLAGS = const(0x01)
_AD_UUID16_MORE = const(0x02)
_AD_UUID16_ALL = const(0x03)
_AD_UUID128_MORE = const(0x06)
_AD_UUID128_ALL = const(0x07)
_AD_MSD = const(0xFF)

_UUID16_LO = const(0x56)  # 0x4E56, little-endian on air
_UUID16_HI = const(0x4E)
_COMPANY_LO = const(0xB5)  # 0x22B5 (8885), little-endian on air
_COMPANY_HI = const(0x22)
_APPLE_LO = const(0x4C)
_APPLE_HI = const(0x00)
_APPLE_OVERFLOW = const(0x01)
_APPLE_OVERFLOW_LEN = const(17)  # type byte + 16-byte service bitmap
_OVERFLOW_BIT = const(0x08)  # Bluezone's bit in bitmap byte 0
_ID_LEN = const(12)
_MAX_ADV = const(31)

# iOS service 00004E56-73F5-4BC4-A12F-17D1AD07A667 as it appears on air (little-endian).
IOS_SERVICE_LE = b"\x67\xa6\x07\xad\xd1\x17\x2f\xa1\xc4\x4b\xf5\x73\x56\x4e\x00\x00"
IOS_SERVICE_UUID = "00004E56-73F5-4BC4-A12F-17D1AD07A667"
IOS_CHAR_UUID = "00004E56-73F5-4BC4-A12F-17D1AD07A689"

# Flags (LE General Discoverable, BR/EDR not supported), the 16-bit UUID list, MSD header.
_PREFIX = b"\x02\x01\x06\x03\x03\x56\x4e\x0f\xff\xb5\x22"


def build(bz_id):
    """The 23-byte Bluezone v2 Android advertising payload for a 12-byte ID (TV3)."""
    if len(bz_id) != _ID_LEN:
        raise ValueError("ID must be 12 bytes, got %d" % len(bz_id))
    return _PREFIX + bytes(bz_id)


def parse(data):
    """Classify raw advertising data: returns (kind, id) with id 12 bytes only for KIND_ANDROID.

    A zero length byte ends the data (Core spec, Vol 3 Part C 11). Any AD structure that runs past
    the end, or a 16-bit UUID list of odd length, makes the whole advert malformed: (KIND_NONE, None).
    """
    r = locate(data, 0, len(data))
    kind = r & 3
    if kind == KIND_ANDROID:
        o = r >> 2
        return kind, bytes(data[o:o + _ID_LEN])
    return kind, None


def locate(data, start, end):
    """parse() without allocating (the scan path): the advert in data[start:end]; returns the kind in the
    low 2 bits and, for KIND_ANDROID, the offset of the 12-byte ID in `data` above them (a small int)."""
    n = end
    if n - start > _MAX_ADV * 2:  # ADV + scan response at most; anything longer is not legacy advertising
        return KIND_NONE
    has_uuid16 = False
    has_ios_uuid = False
    apple_bit = False
    msd_a = msd_b = 0
    bz_msd_count = 0
    i = start
    while i < n:
        ln = data[i]
        if ln == 0:
            break
        end = i + 1 + ln
        if end > n:
            return KIND_NONE
        t = data[i + 1]
        p = i + 2  # payload start; payload length is ln - 1
        plen = ln - 1
        if t == _AD_UUID16_MORE or t == _AD_UUID16_ALL:
            if plen % 2:
                return KIND_NONE
            for j in range(p, end, 2):
                if data[j] == _UUID16_LO and data[j + 1] == _UUID16_HI:
                    has_uuid16 = True
        elif t == _AD_UUID128_MORE or t == _AD_UUID128_ALL:
            if plen % 16:
                return KIND_NONE
            for j in range(p, end, 16):
                if bytes(data[j : j + 16]) == IOS_SERVICE_LE:
                    has_ios_uuid = True
        elif t == _AD_MSD:
            if plen >= 2 and data[p] == _COMPANY_LO and data[p + 1] == _COMPANY_HI:
                bz_msd_count += 1
                msd_a = p + 2
                msd_b = end
            elif (
                plen == 2 + _APPLE_OVERFLOW_LEN
                and data[p] == _APPLE_LO
                and data[p + 1] == _APPLE_HI
                and data[p + 2] == _APPLE_OVERFLOW
                and data[p + 3] & _OVERFLOW_BIT
            ):
                apple_bit = True
        i = end
    if has_uuid16 and bz_msd_count == 1:
        if msd_b - msd_a == _ID_LEN:
            return KIND_ANDROID | (msd_a << 2)
    if has_ios_uuid or apple_bit:
        return KIND_IOS
    return KIND_NONE
