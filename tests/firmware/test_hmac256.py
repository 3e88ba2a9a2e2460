# HMAC-SHA256 on the MicroPython unix port against RFC 4231 vectors (the same run under CPython's pytest).
from fwtest import eq, hexu, unhex

from bzfw.hmac256 import equal, hmac_sha256

# RFC 4231 test cases 1, 2, 4 and 6 (key longer than a block).
CASES = [
    ("0b" * 20, b"Hi There", "B0344C61D8DB38535CA8AFCEAF0BF12B881DC200C9833DA726E9376C2E32CFF7"),
    ("4a656665", b"what do ya want for nothing?", "5BDCC146BF60754E6A042426089575C75A003F089D2739839DEC58B964EC3843"),
    ("0102030405060708090a0b0c0d0e0f10111213141516171819", bytes([0xCD] * 50),
     "82558A389A443C0EA4CC819899F2083A85F0FAA3E578F8077A2E3FF46729665B"),
    ("aa" * 131, b"Test Using Larger Than Block-Size Key - Hash Key First",
     "60E431591EE0B67F0D8A26AACBF5B77F8E0BC6213728C5140546040F0EE37F54"),
]


def test_rfc4231_vectors():
    for key, msg, mac in CASES:
        eq(hexu(hmac_sha256(unhex(key), msg)), mac, "rfc4231")


def test_memoryview_input():
    eq(hmac_sha256(memoryview(b"k"), memoryview(b"m")), hmac_sha256(b"k", b"m"), "memoryview")


def test_equal():
    eq(equal(b"abc", b"abc"), True, "same")
    eq(equal(b"abc", b"abd"), False, "differs")
    eq(equal(b"abc", b"ab"), False, "length")
