# Daily keys: a fresh random 32-byte key per UTC day (no base key, no hash chain), kept on flash for
# retention_days, then erased.
#
# File `<day>.key` under root: the key (32 bytes) then CRC-32 of day (4 bytes LE) + key, little-endian.
# Written to a temp file and renamed into place (LittleFS commits a rename atomically), and key_for()
# returns only after that: a key ever used to advertise survives a reboot, and a cut leaves either no
# key for that day or the whole key. A file that fails its CRC is ignored (stats["bad_keys"]) and
# replaced on the next key_for().
import binascii
import os
import struct

from bzfw.compat import const
from bzfw.logstore import makedirs, write_atomic

KEY_LEN = const(32)
_FILE_LEN = const(36)


def _crc(day, key):
    return binascii.crc32(key, binascii.crc32(struct.pack("<I", day))) & 0xFFFFFFFF


class KeyStore:
    def __init__(self, root, urandom, retention_days=21):
        self.root = root.rstrip("/") or "/"
        self._urandom = urandom
        self.retention_days = retention_days
        self.stats = {"bad_keys": 0, "purged_keys": 0}
        self._cache_day = -1
        self._cache_key = b""
        makedirs(self.root)
        for name in os.listdir(self.root):
            if name.endswith(".tmp"):  # a cut during write_atomic: that key was never returned
                os.remove(self._path(name))

    def _path(self, name):
        return self.root + "/" + name if self.root != "/" else "/" + name

    def _day_path(self, day):
        return self._path("%d.key" % day)

    def get(self, day):
        """The key of `day`, or None if there is none (or only a damaged one)."""
        if day == self._cache_day:
            return self._cache_key
        try:
            with open(self._day_path(day), "rb") as f:
                data = f.read()
        except OSError:
            return None
        if len(data) != _FILE_LEN or struct.unpack_from("<I", data, KEY_LEN)[0] != _crc(day, data[:KEY_LEN]):
            self.stats["bad_keys"] += 1
            return None
        key = bytes(data[:KEY_LEN])
        self._cache_day, self._cache_key = day, key
        return key

    def key_for(self, day):
        """The key of `day`, drawn from urandom and persisted on first use."""
        key = self.get(day)
        if key is not None:
            return key
        key = bytes(self._urandom(KEY_LEN))
        if len(key) != KEY_LEN:
            raise ValueError("keystore: urandom gave %d bytes" % len(key))
        write_atomic(self._day_path(day), key + struct.pack("<I", _crc(day, key)))
        self._cache_day, self._cache_key = day, key
        return key

    def days(self):
        out = []
        for name in os.listdir(self.root):
            if name.endswith(".key"):
                try:
                    out.append(int(name[:-4]))
                except ValueError:
                    pass
        out.sort()
        return out

    def purge(self, today):
        """Erase keys older than the retention (today and the retention_days - 1 before are kept)."""
        gone = [d for d in self.days() if d <= today - self.retention_days]
        for d in gone:
            os.remove(self._day_path(d))
            self.stats["purged_keys"] += 1
            if d == self._cache_day:
                self._cache_day, self._cache_key = -1, b""
        return gone

    def wipe(self):
        """Erase every key (the token changes hands). Returns the days removed."""
        gone = self.days()
        for d in gone:
            os.remove(self._day_path(d))
        self._cache_day, self._cache_key = -1, b""
        return gone
