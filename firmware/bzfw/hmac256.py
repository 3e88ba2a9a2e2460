# HMAC-SHA256 (RFC 2104) over hashlib.sha256: MicroPython has no hmac module.
# Checked against CPython's hmac in tests/firmware/test_hmac256.py's vectors and tests/test_sync_hmac.py.
import hashlib

from bzfw.compat import const

_BLOCK = const(64)
_IPAD = bytes(0x36 for _ in range(_BLOCK))
_OPAD = bytes(0x5C for _ in range(_BLOCK))


def _xor(a, b):
    return bytes(x ^ y for x, y in zip(a, b))


def hmac_sha256(key, msg, more=None):
    """HMAC-SHA256(key, msg + more); `more` saves the caller a copy of a large payload."""
    key = bytes(key)
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key + bytes(_BLOCK - len(key))
    inner = hashlib.sha256(_xor(key, _IPAD))
    inner.update(msg)
    if more is not None:
        inner.update(more)
    outer = hashlib.sha256(_xor(key, _OPAD))
    outer.update(inner.digest())
    return outer.digest()


def equal(a, b):
    """Constant-time comparison of two byte strings (no early exit on the first difference)."""
    if len(a) != len(b):
        return False
    r = 0
    for x, y in zip(a, b):
        r |= x ^ y
    return r == 0
