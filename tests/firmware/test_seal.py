# The sync protocol's payload encryption (bzfw/seal.py): AES-128-CTR built from cryptolib's ECB on
# MicroPython, the `cryptography` package's CTR on CPython; the same known-answer vectors on both.
from fwtest import eq, unhex

from bzfw import seal

KEY = bytes(range(16))

# (direction, seq, length, first 16 bytes of the ciphertext of bytes((i * 7) & 0xFF ...)), computed with
# CPython's `cryptography` AES-CTR from the counter block seal.counter_block(direction, seq)
KAT = [(0, 1, 5, "131f947ff8"), (1, 300, 37, "69cc41703d9be773e51332e8fe3eb406"),
       (0, 65535, 2048, "957f2c76e00f76912341793bda0420b9")]


def _plain(n):
    return bytes((i * 7) & 0xFF for i in range(n))


def test_known_answers():
    c = seal.Cipher(KEY)
    for d, s, n, want in KAT:
        out = c.xor(d, s, _plain(n))
        eq(len(out), n, "length kept")
        eq(out[:16], unhex(want), "ciphertext %d/%d" % (d, s))


def test_round_trip_and_distinct_counters():
    c = seal.Cipher(KEY)
    p = _plain(100)
    eq(c.xor(1, 9, c.xor(1, 9, p)), p, "involution")
    eq(c.xor(0, 9, p) != c.xor(1, 9, p), True, "directions differ")
    eq(c.xor(0, 9, p) != c.xor(0, 10, p), True, "seqs differ")
    eq(c.xor(0, 9, b""), b"", "empty")


def test_key_derivation():
    eq(len(seal.enc_key(bytes(32))), 16, "AES-128")
    eq(seal.enc_key(bytes(32)) != seal.enc_key(b"\x01" * 32), True, "per session")
