# The encounter log on flash: one append-only file per UTC day (`<day>.log` under root), holding
# fixed-size CRC'd records (bzfw.records), appended in batches.
#
# Power cuts: a batch is one write + close, which LittleFS commits atomically, so a cut loses at most
# the batch being written (still RAM from the caller's view: append() had not returned). Small
# state (the station's confirmations, the loss counters) lives in meta.json, replaced by write-to-temp
# + rename, which LittleFS also commits atomically. On start the store removes temp files and checks
# the tail of every day file: a partial record, or whole records with a bad CRC at the end, are cut
# off (the file is rewritten via temp + rename) and counted in stats["torn_skipped"].
#
# Flash full (used + batch > capacity_bytes, or the filesystem says ENOSPC): whole days are removed,
# days the station has confirmed completely first (oldest first), then the oldest other day, never the
# day being appended. Counted in stats["dropped_full_days"], and unconfirmed records lost in
# stats["dropped_records"]. Retention: purge(today) removes days older than retention_days
# (today and the retention_days - 1 days before it are kept); unconfirmed records removed that way
# are counted in stats["expired_records"]. A removal is recorded (counters and the days to go) in
# meta.json before the files go, so a cut can neither lose a count nor count twice.
import json
import os

from bzfw import records
from bzfw.compat import const

_R = const(24)  # records.RECORD_SIZE
_ENOSPC = const(28)
_CHUNK = const(512)
_STAT_KEYS = ("purged_days", "dropped_full_days", "dropped_records", "expired_records", "torn_skipped",
              "meta_lost")


def _exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def makedirs(path):
    p = ""
    for part in path.split("/"):
        if not part:
            continue
        p += "/" + part if (p or path.startswith("/")) else part
        if not _exists(p):
            os.mkdir(p)


def write_atomic(path, data):
    """Replace path by data: a cut leaves either the old file or the new one, never a mix."""
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, path)


class LogStore:
    def __init__(self, root, capacity_bytes, retention_days=21):
        if capacity_bytes < _R:
            raise ValueError("logstore: capacity_bytes too small")
        self.root = root.rstrip("/") or "/"
        self.capacity = capacity_bytes
        self.retention_days = retention_days
        self.stats = {}
        for k in _STAT_KEYS:
            self.stats[k] = 0
        self._sizes = {}  # day -> bytes in its file
        self._confirmed = {}  # day -> offset the station has stored up to
        self._pending = []  # type: list  # days whose removal is counted and recorded, files not yet gone
        self._used = 0
        makedirs(self.root)
        self._load_meta()
        torn = self.stats["torn_skipped"]
        self._scan()
        if self.stats["torn_skipped"] != torn or self._pending:
            self._pending = []
            self._save_meta()

    # -- paths and state --------------------------------------------------------------------------
    def _path(self, name):
        return self.root + "/" + name if self.root != "/" else "/" + name

    def _day_path(self, day):
        return self._path("%d.log" % day)

    def _load_meta(self):
        try:
            with open(self._path("meta.json")) as f:
                m = json.load(f)
            for k, v in m["confirmed"].items():
                self._confirmed[int(k)] = v
            for k in _STAT_KEYS:
                self.stats[k] = m["stats"].get(k, 0)
            self._pending = [int(d) for d in m.get("pending", ())]
        except OSError:
            pass  # first start
        except (ValueError, KeyError, TypeError, AttributeError):
            # cannot happen through write_atomic; if flash rots, the station re-pulls (nothing lost)
            self._confirmed = {}
            self.stats["meta_lost"] += 1

    def _save_meta(self):
        c = {}
        for d, off in self._confirmed.items():
            c[str(d)] = off
        m = {"confirmed": c, "stats": self.stats, "pending": self._pending}
        write_atomic(self._path("meta.json"), json.dumps(m).encode())

    def _scan(self):
        for name in os.listdir(self.root):
            if name.endswith(".tmp"):
                os.remove(self._path(name))
        for d in self._pending:  # a cut after a removal was counted and recorded: finish it, uncounted
            if _exists(self._day_path(d)):
                os.remove(self._day_path(d))
        for name in os.listdir(self.root):
            if not name.endswith(".log"):
                continue
            try:
                day = int(name[:-4])
            except ValueError:
                continue
            size = self._repair(day, os.stat(self._path(name))[6])
            if size:
                self._sizes[day] = size
                self._used += size
            else:
                os.remove(self._path(name))
        for d in list(self._confirmed):
            if d not in self._sizes:
                del self._confirmed[d]
            elif self._confirmed[d] > self._sizes[d]:
                self._confirmed[d] = self._sizes[d]

    def _repair(self, day, size):
        """Cut a torn tail off a day file; returns the good size."""
        good = size - size % _R
        torn = 1 if good != size else 0
        buf = bytearray(_R)
        path = self._day_path(day)
        with open(path, "rb") as f:
            while good:
                f.seek(good - _R)
                f.readinto(buf)
                if records.check(buf, day):
                    break
                good -= _R
                torn += 1
        if good != size and good:
            self._copy_prefix(path, good)
        self.stats["torn_skipped"] += torn
        return good

    def _copy_prefix(self, path, n):
        tmp = path + ".tmp"
        buf = bytearray(_CHUNK)
        with open(path, "rb") as src, open(tmp, "wb") as dst:
            while n:
                k = src.readinto(buf)
                if not k:
                    break
                k = min(k, n)
                dst.write(memoryview(buf)[:k])
                n -= k
        os.rename(tmp, path)

    # -- the API ----------------------------------------------------------------------------------
    def days(self):
        return sorted(self._sizes)

    def size(self, day):
        return self._sizes.get(day, 0)

    def used_bytes(self):
        return self._used

    def free_bytes(self):
        return max(0, self.capacity - self._used)

    def confirmed(self, day):
        return self._confirmed.get(day, 0)

    def append(self, day, recs):
        """Append whole records (each records.RECORD_SIZE bytes with a valid CRC for `day`).

        Returns how many were written; fewer only when even after the flash-full policy they do not
        fit (the rest counted in stats["dropped_records"]). Raises ValueError on a bad record, before
        writing anything."""
        n = len(recs)
        for i in range(n):
            if not records.check(recs[i], day):
                raise ValueError("logstore: batch record %d is not a valid record of day %d" % (i, day))
        if not n:
            return 0
        self._make_room(day, n * _R)
        fit = min(n, self.free_bytes() // _R)
        while fit:
            try:
                self._write(day, recs, fit)
                break
            except OSError as e:
                if e.args[0] != _ENOSPC:
                    raise
                self._resync(day)
                victim = self._victim(day)
                if victim is None:
                    fit = 0
                else:
                    self._count_drop(victim)
                    self._remove_days([victim])
        if fit < n:
            self.stats["dropped_records"] += n - fit
            self._save_meta()
        return fit

    def _write(self, day, recs, n):
        with open(self._day_path(day), "ab") as f:
            for i in range(n):
                f.write(recs[i])
        self._sizes[day] = self._sizes.get(day, 0) + n * _R
        self._used += n * _R

    def _resync(self, day):
        # after a failed write: trust the filesystem, not our count
        old = self._sizes.pop(day, 0)
        self._used -= old
        try:
            size = self._repair(day, os.stat(self._day_path(day))[6])
        except OSError:
            size = 0
        if size:
            self._sizes[day] = size
            self._used += size

    def _victim(self, keep):
        old = None
        for d in sorted(self._sizes):
            if d == keep:
                continue
            if self._confirmed.get(d, 0) >= self._sizes[d]:
                return d
            if old is None:
                old = d
        return old

    def _make_room(self, day, need):
        gone = []
        while self._used + need > self.capacity:
            victim = self._victim(day)
            if victim is None:
                break
            self._count_drop(victim)
            self._forget(victim)
            gone.append(victim)
        if gone:
            self._remove_days(gone)

    def _count_drop(self, day):
        self.stats["dropped_full_days"] += 1
        self.stats["dropped_records"] += (self._sizes[day] - self._confirmed.get(day, 0)) // _R

    def _forget(self, day):
        if day in self._sizes:
            self._used -= self._sizes.pop(day)
        self._confirmed.pop(day, None)

    def _remove_days(self, days):
        """Remove day files whose loss is already counted in self.stats.

        The counters and the list of days go to meta.json first, then the files go, then the list is
        cleared: a cut in between neither loses a count nor counts twice (the next start finishes the
        removals without counting)."""
        for d in days:
            self._forget(d)
        self._pending = days
        try:
            self._save_meta()
        except OSError as e:  # a filesystem too full even for meta.json: remove first, record after
            if e.args[0] != _ENOSPC:
                raise
        for d in days:
            if _exists(self._day_path(d)):
                os.remove(self._day_path(d))
        self._pending = []
        self._save_meta()

    def read(self, day, offset, length):
        """Bytes of whole records from offset (a multiple of RECORD_SIZE), at most length bytes."""
        if offset < 0 or offset % _R:
            raise ValueError("logstore: offset %d is not a record boundary" % offset)
        end = min(self._sizes.get(day, 0), offset + length - length % _R)
        if end <= offset:
            return b""
        with open(self._day_path(day), "rb") as f:
            f.seek(offset)
            data = f.read(end - offset)
        return data[: len(data) - len(data) % _R]

    def read_into(self, day, offset, buf, start, length):
        """read() into buf[start:] (a bytearray; the sync server's reply, no copy): returns the bytes read,
        whole records only."""
        if offset < 0 or offset % _R:
            raise ValueError("logstore: offset %d is not a record boundary" % offset)
        end = min(self._sizes.get(day, 0), offset + length - length % _R)
        if end <= offset:
            return 0
        with open(self._day_path(day), "rb") as f:
            f.seek(offset)
            n = f.readinto(memoryview(buf)[start:start + end - offset])
        return n - n % _R

    def confirm(self, day, upto_offset):
        """The station has stored this day's records up to upto_offset (persisted; never goes back)."""
        if upto_offset < 0 or upto_offset % _R or upto_offset > self._sizes.get(day, 0):
            raise ValueError("logstore: cannot confirm day %d up to %d" % (day, upto_offset))
        if upto_offset > self._confirmed.get(day, 0):
            self._confirmed[day] = upto_offset
            self._save_meta()

    def wipe(self):
        """Erase every day, confirmation and counter (the token changes hands). Returns days removed."""
        gone = sorted(self._sizes)
        for k in _STAT_KEYS:
            self.stats[k] = 0
        self._remove_days(gone)
        return gone

    def purge(self, today):
        """Remove days older than the retention; returns the list of days removed."""
        gone = [d for d in sorted(self._sizes) if d <= today - self.retention_days]
        for d in gone:
            self.stats["purged_days"] += 1
            self.stats["expired_records"] += (self._sizes[d] - self._confirmed.get(d, 0)) // _R
        if gone:
            self._remove_days(gone)
        return gone
