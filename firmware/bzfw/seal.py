# Encryption of the sync protocol's payloads after authentication (the token and the station share it).
#
# Once `auth` succeeded both ends hold the session key K (bzfw.syncserver.session_key). Every frame that
# carries a tag (every frame of the session, both ways) carries its payload encrypted with AES-128-CTR
# under Ke = HMAC-SHA256(K, "bz-enc")[:16], and the tag (HMAC(K, header + ciphertext)[:16], encrypt then
# MAC) covers the ciphertext. Counter block (16 bytes, big-endian):
#     direction u8 (0 request, 1 response) | 0 0 0 | seq u32 | 0 0 0 0 | block index u32
# The seq is the frame's; within a session request seqs strictly increase and never wrap (the token ends
# the session instead, the station authenticates again), each response reuses its request's seq in the
# other direction, so no counter block is ever used twice under one key. A retransmitted request and the
# token's cached answer repeat the same bytes, never new bytes under an old counter.
#
# MicroPython's `cryptolib` has AES-ECB everywhere it exists (extmod/modcryptolib.c: the ESP32 port takes
# it with MICROPY_PY_SSL and mbedTLS), but CTR only where MICROPY_PY_CRYPTOLIB_CTR is set, which py/mpconfig.h
# leaves off by default (the ESP32 and unix ports do not set it): CTR is built here from ECB, 64 bytes
# of keystream per call into preallocated buffers, XORed in place (nothing allocated per frame). On
# CPython the `cryptography` package's CTR mode computes the same keystream (the block index is the low
# 32 bits of the counter block; a frame is far below 2^32 blocks). tests/firmware/test_seal.py checks
# both against the same known-answer vector.
import struct

from bzfw.compat import const
from bzfw.hmac256 import hmac_sha256

try:
    import cryptolib  # MicroPython
except ImportError:  # CPython (the station)
    cryptolib = None  # type: ignore

REQUEST = const(0)
RESPONSE = const(1)
_ECB = const(1)
KEY_LEN = const(16)
_CHUNK = const(64)  # bytes of keystream made per cryptolib call


def enc_key(session_key):
    """The payload key of a session: HMAC-SHA256(K, "bz-enc")[:16]."""
    return hmac_sha256(session_key, b"bz-enc")[:KEY_LEN]


def counter_block(direction, seq, index=0):
    return struct.pack(">B3xI4xI", direction, seq, index)


class Cipher:
    """AES-128-CTR with the counter layout above; xor() encrypts and decrypts (an involution)."""

    def __init__(self, key):
        if len(key) != KEY_LEN:
            raise ValueError("payload key is %d bytes" % KEY_LEN)
        self._key = bytes(key)
        self._aes = cryptolib.aes(self._key, _ECB) if cryptolib is not None else None
        self._ctr = bytearray(_CHUNK)  # counter blocks and their keystream, a chunk at a time: no
        self._ks = bytearray(_CHUNK)  # allocation for any frame size (the token has little heap)

    def xor(self, direction, seq, data):
        """A new bytes object: data XOR the keystream of (direction, seq)."""
        if self._aes is None:
            return self._cpython(direction, seq, bytes(data))
        buf = bytearray(data)
        self.xor_into(direction, seq, buf, 0, len(buf))
        return bytes(buf)

    def xor_into(self, direction, seq, buf, start, end):
        """buf[start:end] XOR the keystream of (direction, seq), in place (a bytearray)."""
        if self._aes is None:
            buf[start:end] = self._cpython(direction, seq, bytes(buf[start:end]))
            return
        ctr = self._ctr
        ks = self._ks
        block = 0
        i = start
        while i < end:
            for j in range(_CHUNK // 16):
                struct.pack_into(">B3xI4xI", ctr, 16 * j, direction, seq, block + j)
            self._aes.encrypt(ctr, ks)
            block += _CHUNK // 16
            m = end - i
            if m > _CHUNK:
                m = _CHUNK
            for j in range(m):  # a byte loop: nothing allocated (2 KB: a few ms on an ESP32)
                buf[i + j] ^= ks[j]
            i += m

    def _cpython(self, direction, seq, data):
        from cryptography.hazmat.primitives.ciphers import Cipher as _C
        from cryptography.hazmat.primitives.ciphers import algorithms, modes

        enc = _C(algorithms.AES(self._key), modes.CTR(counter_block(direction, seq))).encryptor()
        return enc.update(data) + enc.finalize()
