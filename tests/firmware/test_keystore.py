# Daily key store, on LittleFS (RAM block device) on the MicroPython unix port, and on a temporary
# directory under CPython.
import os

from fwtest import eq, raises
from ramblockdev import fresh_root

from bzfw.keystore import KeyStore

DAY = 20415


class Draws:
    """urandom stand-in that records what it handed out (the real one is os.urandom)."""

    def __init__(self):
        self.n = 0

    def __call__(self, k):
        self.n += 1
        return os.urandom(k)


def test_fresh_key_per_day_persisted():
    root = fresh_root("keys")
    rng = Draws()
    ks = KeyStore(root, rng)
    eq(ks.get(DAY), None, "no key yet")
    k1 = ks.key_for(DAY)
    eq(len(k1), 32, "32 bytes")
    eq(ks.key_for(DAY), k1, "same day, same key")
    k2 = ks.key_for(DAY + 1)
    eq(k1 != k2, True, "independent keys")
    eq(rng.n, 2, "one draw per day")
    ks2 = KeyStore(root, rng)
    eq((ks2.get(DAY), ks2.get(DAY + 1)), (k1, k2), "keys survive a reboot")
    eq(ks2.key_for(DAY), k1, "not redrawn after reboot")
    eq(rng.n, 2, "no new draw")
    eq(ks2.days(), [DAY, DAY + 1], "days")


def test_purge_after_21_days():
    root = fresh_root("keys")
    ks = KeyStore(root, os.urandom)
    for d in range(DAY - 23, DAY + 1):
        ks.key_for(d)
    eq(ks.purge(DAY), [DAY - 23, DAY - 22, DAY - 21], "older than 21 days erased")
    eq(ks.days(), list(range(DAY - 20, DAY + 1)), "21 kept")
    eq(ks.get(DAY - 21), None, "gone")
    eq(KeyStore(root, os.urandom).days(), list(range(DAY - 20, DAY + 1)), "after reboot")


def test_damaged_key_ignored_and_replaced():
    root = fresh_root("keys")
    ks = KeyStore(root, os.urandom)
    k = ks.key_for(DAY)
    with open(root + f"/{DAY}.key", "r+b") as f:
        f.seek(3)
        f.write(b"\x00" if k[3] else b"\x01")
    ks2 = KeyStore(root, os.urandom)
    eq(ks2.get(DAY), None, "a damaged key is never used")
    eq(ks2.stats["bad_keys"], 1, "counted")
    k2 = ks2.key_for(DAY)
    eq(k2 != k, True, "replaced")
    eq(KeyStore(root, os.urandom).get(DAY), k2, "replacement persisted")


def test_torn_write_leaves_no_key_and_temp_cleaned():
    root = fresh_root("keys")
    KeyStore(root, os.urandom)
    with open(root + f"/{DAY}.key.tmp", "wb") as f:
        f.write(b"\x11" * 20)  # a cut during write_atomic: never renamed, never returned
    ks = KeyStore(root, os.urandom)
    eq(ks.get(DAY), None, "no key")
    eq(os.listdir(root), [], "temp removed")


def test_bad_urandom():
    ks = KeyStore(fresh_root("keys"), lambda n: b"\x00" * (n - 1))
    raises(ValueError, ks.key_for, DAY)
    eq(ks.days(), [], "nothing written")


def test_wipe_erases_every_key():
    root = fresh_root("keys")
    ks = KeyStore(root, os.urandom)
    k = ks.key_for(DAY)
    ks.key_for(DAY + 1)
    eq(ks.wipe(), [DAY, DAY + 1], "days removed")
    eq((ks.get(DAY), ks.days()), (None, []), "no key left, none cached")
    eq(KeyStore(root, os.urandom).days(), [], "after reboot")
    eq(ks.key_for(DAY) != k, True, "a new key after the wipe")
