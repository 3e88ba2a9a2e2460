"""Exposure inputs: Bluezone F0 entries `{daily_key, time_start, max, time_end}` (protocol spec section 5).

Accepted files (JSON, detected by content):
- the push payload `{"data": [entry, ...]}` (our own `bztoken export-keys` writes this too);
- that payload as the JSON string nested in `InfoF`, or in an FCM message's `DataContent`, as phones receive it;
- a single uploaded InfoF object `{"base_id", "time", "daily_key", "time_start"}`: `days` days (default 14) from
  `time_start`, walking the phones' key chain.

Files are decoded by msgspec against the entry's type (strict JSON: no trailing garbage, no comments, integers
only where integers go, within range), and the entries become columns (numpy), never an object per entry.
Every entry of every file is checked before anything is matched: the first problem raises UsageError naming
the file and the entry (or the line and column of broken JSON), exit 2.
An entry is expanded into key-days exactly as phones walk it (section 5.4): slot n (n = 0, 1, ...) has the window
[time_start + n*D, time_start + (n+1)*D] (D = 1 day / max, both ends inclusive) while its start is <= time_end, and
every `max` slots the key steps to SHA256(key).
"""

import hashlib
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import Annotated

import msgspec
import numpy as np

from bzfw import ids
from host_tools.errors import UsageError

DAY_S = ids.DAY_S
DEFAULT_INFOF_DAYS = 14
MAX_SPAN_DAYS = 100  # an F0 entry covers one to about 15 days; a longer one is a typo, not a workload
MAX_TIME_S = 253_402_300_799  # 9999-12-31T23:59:59Z: later is not a date (and its ms would not fit 64 bits)
MAX_NESTING = 3  # InfoF / DataContent / data strings inside one another

_Time = Annotated[int, msgspec.Meta(ge=0, le=MAX_TIME_S)]


class _F0(msgspec.Struct, gc=False):  # no cycles: 100 k of them need no GC tracking
    """One push entry as it must be typed (other fields are ignored, as phones ignore them)."""

    daily_key: str
    time_start: _Time
    max: Annotated[int, msgspec.Meta(ge=0, le=DAY_S)]
    time_end: _Time


class _Push(msgspec.Struct, gc=False):
    data: list[_F0] | str


_PUSH = msgspec.json.Decoder(_Push)
_LIST = msgspec.json.Decoder(list[_F0])
_ANY = msgspec.json.Decoder()


@dataclass(frozen=True)
class Entry:
    index: int  # 0-based, over all exposure files in the order given
    source: str  # file it came from
    file_index: int  # its index in that file
    daily_key: bytes
    time_start: int  # unix s
    max: int
    time_end: int  # unix s

    @property
    def slot_s(self) -> int:
        return DAY_S // self.max

    @property
    def n_slots(self) -> int:
        return (self.time_end - self.time_start) // self.slot_s + 1

    def key_days(self) -> Iterator["KeyDay"]:
        """The key-days phones derive for this entry, in order (the chain step at each `max` slots)."""
        key, n, d = self.daily_key, self.n_slots, 0
        while True:
            yield KeyDay(self.index, key, (self.time_start + d * DAY_S) * 1000, self.slot_s * 1000, self.max,
                         min(self.max, n - d * self.max))
            d += 1
            if d * self.max >= n:
                return
            key = ids.next_key(key)

    def to_json(self) -> dict:
        return {"daily_key": self.daily_key.hex().upper(), "time_start": self.time_start, "max": self.max,
                "time_end": self.time_end}


@dataclass(frozen=True)
class KeyDay:
    entry: int
    key: bytes
    base_ms: int  # start of this key's slot 0 window
    slot_ms: int
    slots: int  # IDs per key (the entry's max)
    valid: int  # slots 0..valid-1 are inside the entry


@dataclass
class Exposures:
    """Entries as columns, in order (entry i is row i): where each came from, its key and times."""

    sources: list[str]  # the files, in the order given
    source: np.ndarray  # int32: index into sources
    file_index: np.ndarray  # int64: its index in that file
    keys: bytes  # 32 bytes per entry
    time_start: np.ndarray  # int64, unix s
    max: np.ndarray  # int64
    time_end: np.ndarray  # int64, unix s

    def __len__(self) -> int:
        return len(self.time_start)

    def entry(self, i: int) -> Entry:
        return Entry(i, self.sources[int(self.source[i])], int(self.file_index[i]), self.keys[32 * i : 32 * i + 32],
                     int(self.time_start[i]), int(self.max[i]), int(self.time_end[i]))

    def __iter__(self) -> Iterator[Entry]:
        return (self.entry(i) for i in range(len(self)))

    def source_of(self, i: int) -> str:
        return self.sources[int(self.source[i])]

    @classmethod
    def from_entries(cls, entries: Iterable[Entry]) -> "Exposures":
        es = list(entries)
        sources = list(dict.fromkeys(e.source for e in es))
        at = {s: i for i, s in enumerate(sources)}
        return cls(sources, np.array([at[e.source] for e in es], np.int32), np.array([e.file_index for e in es],
                   np.int64), b"".join(e.daily_key for e in es), np.array([e.time_start for e in es], np.int64),
                   np.array([e.max for e in es], np.int64), np.array([e.time_end for e in es], np.int64))

    def key_days(self) -> "KeyDays":
        """Every key-day the phones derive, as columns (entry order, then day order within an entry)."""
        n = len(self)
        m = self.max
        slot_s = DAY_S // np.maximum(m, 1)
        n_slots = (self.time_end - self.time_start) // slot_s + 1
        n_kd = (n_slots + m - 1) // m
        total = int(n_kd.sum())
        if total == n:  # every entry is one key-day (the usual list): no copies
            return KeyDays(np.arange(n, dtype=np.int64), self.keys, self.time_start * 1000, slot_s * 1000, m,
                           np.minimum(m, n_slots))
        entry = np.repeat(np.arange(n, dtype=np.int64), n_kd)
        d = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(n_kd) - n_kd, n_kd)
        keys = np.frombuffer(self.keys, np.uint8).reshape(n, 32)[entry].copy()
        starts = np.cumsum(n_kd) - n_kd
        for i in np.nonzero(n_kd > 1)[0]:  # the chain steps at midnight: SHA-256 of the day's key
            k = self.keys[32 * i : 32 * i + 32]
            for j in range(1, int(n_kd[i])):
                k = hashlib.sha256(k).digest()
                keys[starts[i] + j] = np.frombuffer(k, np.uint8)
        em = m[entry]
        return KeyDays(entry, keys.tobytes(), (self.time_start[entry] + d * DAY_S) * 1000, slot_s[entry] * 1000, em,
                       np.minimum(em, n_slots[entry] - d * em))


@dataclass
class KeyDays:
    """Key-days as columns: key-day i has `slots[i]` IDs from `keys[32i:32i+32]`, slot 0's window starting at
    base_ms[i]; slots 0..valid[i]-1 lie inside its entry."""

    entry: np.ndarray  # int64
    keys: bytes
    base_ms: np.ndarray  # int64
    slot_ms: np.ndarray  # int64
    slots: np.ndarray  # int64 (the entry's max)
    valid: np.ndarray  # int64

    def __len__(self) -> int:
        return len(self.entry)

    def take(self, sel: np.ndarray) -> "KeyDays":
        sel = np.asarray(sel)
        if len(sel) == len(self) and (len(sel) == 0 or (sel == np.arange(len(sel))).all()):
            return self  # all of them, in order
        k = np.frombuffer(self.keys, np.uint8).reshape(-1, 32)[sel]
        return KeyDays(self.entry[sel], k.tobytes(), self.base_ms[sel], self.slot_ms[sel], self.slots[sel],
                       self.valid[sel])


# --- decoding ---------------------------------------------------------------------------------------------


def _where_json(buf: bytes | memoryview, msg: str) -> str:
    """msgspec's 'JSON is malformed: ... (byte N)' as line, column and what."""
    buf = bytes(buf)
    m = re.search(r"\(byte (\d+)\)$", msg)
    what = re.sub(r"^JSON is malformed: ", "", re.sub(r"\s*\(byte \d+\)$", "", msg))
    if "truncated" in msg:
        return "the JSON ends early (truncated)"
    if not m:
        return what
    b = int(m.group(1))
    line = buf.count(b"\n", 0, b) + 1
    col = b - (buf.rfind(b"\n", 0, b) + 1) + 1
    return f"line {line} column {col} (byte {b}): {what}"


_FIELD_MSG = [
    (re.compile(r"^Expected `int`, got `(\w+)`$"), "{field} must be an integer, got {0}"),
    (re.compile(r"^Expected `str`, got `(\w+)`$"), "{field} must be a hex string, got {0}"),
    (re.compile(r"^Expected `int` <= (\d+)$"), "{field} is out of range (at most {0})"),
    (re.compile(r"^Expected `int` >= (\d+)$"), "{field} must not be negative"),
    (re.compile(r"^Expected `object`, got `(\w+)`$"), "an entry must be a JSON object, got {0}"),
    (re.compile(r"^Expected `array`, got `(\w+)`$"), "data must be a list of entries, got {0}"),
    (re.compile(r"^Expected `(?:array \| str|str \| array)`, got `(\w+)`$"), "data must be a list of entries, got {0}"),
    (re.compile(r"^Object missing required field `(\w+)`$"), "missing {0!r}"),
]


def _validation(name: str, msg: str, what: str) -> UsageError:
    """A msgspec ValidationError ('... - at `$.data[3].max`') as our one line naming the entry."""
    m = re.match(r"^(.*?)(?: - at `\$(.*)`)?$", msg)
    text, path = (m.group(1), m.group(2) or "") if m else (msg, "")
    pm = re.match(r"^(?:\.data)?\[(\d+)\](?:\.(\w+))?", path)
    field = pm.group(2) if pm and pm.group(2) else "the entry"
    for rx, fmt in _FIELD_MSG:
        fm = rx.match(text)
        if fm:
            text = fmt.format(*fm.groups(), field=field)
            break
    where = f"{name}: {what}entry {pm.group(1)}" if pm else f"{name}: {what.rstrip(': ')}".rstrip(": ")
    return UsageError(f"{where}: {text}")


def _decode(buf: bytes, name: str, days: int, depth: int = 0, what: str = "") -> list:
    """The entries of one JSON document: a list of (file_index, key str, t0, max, te) rows, or an
    InfoF-derived one; nested documents (strings) recurse."""
    if depth > MAX_NESTING:
        raise UsageError(f"{name}: nested too deeply to be an exposure list")
    try:
        doc = _PUSH.decode(buf)
        data = doc.data
        if isinstance(data, str):
            return _decode_list(data.encode(), name, what + "the data string: ")
        return data
    except msgspec.ValidationError as e:
        msg = str(e)
        if "`$.data" in msg:
            if msg.endswith("`$.data`"):  # data itself has the wrong type
                raise _validation(name, msg.rsplit(" - at ", 1)[0], what) from None
            raise _validation(name, msg, what) from None
    except msgspec.DecodeError as e:
        sep = " at" if "(byte" in str(e) else ":"
        raise UsageError(f"{name}: {what}malformed JSON{sep} {_where_json(buf, str(e))}") from None
    except RecursionError:
        raise UsageError(f"{name}: {what}JSON nested too deeply") from None
    # not a push payload: another of the accepted shapes
    try:
        doc = _ANY.decode(buf)
    except RecursionError:
        raise UsageError(f"{name}: {what}JSON nested too deeply") from None
    except msgspec.DecodeError as e:  # pragma: no cover - the typed pass read the same bytes
        raise UsageError(f"{name}: {what}malformed JSON: {e}") from None
    if isinstance(doc, list):
        return _decode_list(buf, name, what)
    if not isinstance(doc, dict):
        raise UsageError(f"{name}: {what}not an exposure list (expected a JSON object)")
    for nest in ("DataContent", "InfoF"):
        if nest in doc and "daily_key" not in doc:
            inner = doc[nest]
            if isinstance(inner, str):
                return _decode(inner.encode(), name, days, depth + 1, what + f"the {nest} string: ")
            return _decode(msgspec.json.encode(inner), name, days, depth + 1, what)
    if "daily_key" in doc:
        if "max" in doc or "time_end" in doc:
            return _decode_list(b"[" + buf + b"]", name, what)
        return [_infof(doc, f"{name}: {what}InfoF", days)]
    raise UsageError(f"{name}: {what}not an exposure list: no data, InfoF or daily_key",
                     hint='expected {"data": [{"daily_key", "time_start", "max", "time_end"}, ...]}')


def _decode_list(buf: bytes, name: str, what: str) -> list:
    try:
        return _LIST.decode(buf)
    except msgspec.ValidationError as e:
        raise _validation(name, str(e), what) from None
    except msgspec.DecodeError as e:
        sep = " at" if "(byte" in str(e) else ":"
        raise UsageError(f"{name}: {what}malformed JSON{sep} {_where_json(buf, str(e))}") from None
    except RecursionError:
        raise UsageError(f"{name}: {what}JSON nested too deeply") from None


def _infof(doc: dict, where: str, days: int) -> _F0:
    """The push entry equivalent to an uploaded InfoF: `days` days of the chain from its daily key."""
    key = doc.get("daily_key")
    t0 = doc.get("time_start")
    if not isinstance(key, str):
        raise UsageError(f"{where}: daily_key must be a hex string")
    for f in ("time_start", "time"):
        v = doc.get(f)
        if f in doc and (isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= MAX_TIME_S):
            raise UsageError(f"{where}: {f} must be an integer from 0 to {MAX_TIME_S}, got {v!r}")
    if not isinstance(t0, int) or isinstance(t0, bool):
        raise UsageError(f"{where}: missing 'time_start'")
    if t0 % DAY_S:
        raise UsageError(f"{where}: time_start {t0} is not a UTC midnight")
    if "base_id" in doc:
        b = doc["base_id"]
        if not isinstance(b, str) or not re.fullmatch(r"\s*[0-9A-Fa-f]{64}\s*", b):
            raise UsageError(f"{where}: base_id must be 64 hex digits")
    if "time" in doc and doc["time"] > t0:
        raise UsageError(f"{where}: time (install day) is after time_start")
    return _F0(key, t0, ids.SLOTS_PER_DAY, t0 + days * DAY_S - 1)


_TIME_START, _MAX, _TIME_END, _DAILY_KEY = (attrgetter(f) for f in ("time_start", "max", "time_end", "daily_key"))


KeysReady = Callable[[bytes, np.ndarray, np.ndarray, np.ndarray], None]


def _check(rows: list, name: str, keys_ready: KeysReady | None = None
           ) -> tuple[bytes, np.ndarray, np.ndarray, np.ndarray]:
    """(keys, time_start, max, time_end) columns of one file's entries, every rule checked."""
    n = len(rows)
    t0 = np.fromiter(map(_TIME_START, rows), np.int64, n)
    m = np.fromiter(map(_MAX, rows), np.int64, n)
    te = np.fromiter(map(_TIME_END, rows), np.int64, n)
    # Every key 64 hex digits, in one pass: joined by spaces, each space must sit right after 64 characters,
    # and bytes.fromhex (which skips whitespace between bytes) must give 32 bytes a key, so no key holds anything
    # but hex digits (a space or another character inside one leaves fewer than 64 digits, or fails fromhex).
    joined = " ".join(map(_DAILY_KEY, rows))
    keys = None
    if len(joined) == 65 * n - 1 and joined[64::65] == " " * (n - 1):
        try:
            keys = bytes.fromhex(joined)
        except ValueError:
            keys = None
        if keys is not None and len(keys) != 32 * n:
            keys = None
    del joined
    if keys is not None and keys_ready is not None:
        keys_ready(keys, t0, m, te)  # not checked yet: for work that can start early and be dropped
    if keys is None:  # find the first bad one and say what is wrong with it
        hexes = list(map(_DAILY_KEY, rows))
        for i, h in enumerate(hexes):
            try:
                k = bytes.fromhex(h.strip())
            except ValueError:
                raise UsageError(f"{name}: entry {i}: daily_key is not valid hex") from None
            if len(k) != ids.KEY_LEN:
                raise UsageError(f"{name}: entry {i}: daily_key must be 32 bytes (64 hex digits), got {len(k)} bytes")
        keys = bytes.fromhex("".join(h.strip() for h in hexes))
    problems = [
        ((m == 0) | (DAY_S % np.maximum(m, 1) != 0), lambda i: f"max {m[i]} does not divide a day ({DAY_S} s) into "
                                                            "whole seconds"),
        (te < t0, lambda i: f"time_end {te[i]} is before time_start {t0[i]}"),
        (te - t0 > MAX_SPAN_DAYS * DAY_S, lambda i: f"the entry spans {(te[i] - t0[i]) // DAY_S} days (more than "
                                                   f"{MAX_SPAN_DAYS})"),
    ]
    first = None
    for bad, say in problems:
        hit = np.flatnonzero(bad)
        if len(hit) and (first is None or hit[0] < first[0]):
            first = (int(hit[0]), say)
    if first is not None:
        i, say = first
        raise UsageError(f"{name}: entry {i}: {say(i)}")
    return keys, t0, m, te


_HUGE = 2 << 20  # a huge page (x86-64)


def _read_bytes(path: Path) -> bytes | memoryview:
    """The file's bytes. A large regular file is read into a buffer that starts on a huge page boundary (numpy
    asks the OS for huge pages for large arrays): its fresh pages are mapped 2 MB at a time, not 4 KB (a 5 MB
    list: ~8 ms less in a new process). A file that grows while read is read whole as it is then."""
    with open(path, "rb", buffering=0) as f:
        st = os.fstat(f.fileno())
        size = st.st_size
        if not stat.S_ISREG(st.st_mode) or size < _HUGE:
            return f.read()
        raw = np.empty(size + 1 + _HUGE, np.uint8)
        at = (-raw.ctypes.data) % _HUGE
        mv = memoryview(raw[at : at + size + 1])
        got = 0
        while got < len(mv):
            k = f.readinto(mv[got:])
            if not k:
                break
            got += k
        if got > size:
            return mv[:got].tobytes() + f.read()
        return mv[:got]


def _read_file(path: Path, days: int, keys_ready: KeysReady | None = None
               ) -> tuple[bytes, np.ndarray, np.ndarray, np.ndarray]:
    name = str(path)
    try:
        buf = _read_bytes(path)
    except OSError as e:
        raise UsageError(f"{name}: cannot read: {e.strerror}") from None
    try:
        rows = _decode(buf, name, days)
    except UsageError:
        # msgspec decodes only valid UTF-8 (outside strings JSON is ASCII, inside them it checks), so a file it
        # accepted needs no second pass; a refused one may be refused for its encoding, which says it best
        try:
            bytes(buf).decode("utf-8")
        except UnicodeDecodeError as e:
            raise UsageError(f"{name}: not a UTF-8 JSON file (byte {e.start})") from None
        raise
    return _check(rows, name, keys_ready)


def read_exposures(paths: Iterable[str | Path], days: int = DEFAULT_INFOF_DAYS,
                   keys_ready: KeysReady | None = None) -> Exposures:
    """Every entry of every file, checked, as columns numbered in order; duplicates (same key and start, within
    or across files) are an error. Nothing is returned unless every file is valid.

    `keys_ready(keys, time_start, max, time_end)`, for a single file, is called as soon as its keys are decoded,
    before the entries are checked (the columns are not checked yet, and the file may still be refused): the
    matcher starts deriving there (engine.Prederive)."""
    if days < 1 or days > MAX_SPAN_DAYS:
        raise UsageError(f"--days must be 1..{MAX_SPAN_DAYS}, got {days}")
    paths = [str(p) for p in paths]
    parts = [_read_file(Path(p), days, keys_ready if len(paths) == 1 else None) for p in paths]
    n = [len(t0) for _, t0, _, _ in parts]
    source = np.repeat(np.arange(len(paths), dtype=np.int32), n)
    file_index = np.concatenate([np.arange(k, dtype=np.int64) for k in n]) if parts else np.empty(0, np.int64)
    keys = b"".join(k for k, _, _, _ in parts)

    def cat(j):
        return np.concatenate([p[j] for p in parts]) if parts else np.empty(0, np.int64)

    ex = Exposures(paths, source, file_index, keys, cat(1), cat(2), cat(3))
    _no_duplicates(ex)
    return ex


def _no_duplicates(ex: Exposures) -> None:
    n = len(ex)
    if n < 2:
        return
    # A 64-bit hash of (key, time_start) sorted first (an integer sort, fast); only entries whose hash is not
    # unique can be duplicates, and only those are compared in full (every copy of a duplicate has the same hash,
    # so the exact pass below sees all of them, in their order).
    k8 = np.frombuffer(ex.keys, np.uint64).reshape(n, 4)
    h = k8[:, 0] ^ (k8[:, 1] * np.uint64(0x9E3779B97F4A7C15)) ^ (ex.time_start.astype(np.uint64)
                                                                 * np.uint64(0xC2B2AE3D27D4EB4F))
    hs = np.sort(h)
    twins = hs[1:][hs[1:] == hs[:-1]]
    if not len(twins):
        return
    cand = np.flatnonzero(np.isin(h, twins))
    sig = np.empty(len(cand), dtype=[("k", "V32"), ("t", "<i8")])
    sig["k"] = np.frombuffer(ex.keys, "V32")[cand]
    sig["t"] = ex.time_start[cand]
    order = np.argsort(sig, kind="stable")
    s = sig[order]
    dup = np.flatnonzero((s["k"][1:] == s["k"][:-1]) & (s["t"][1:] == s["t"][:-1]))
    if not len(dup):
        return
    later = cand[order[dup + 1]]  # stable sort: the later entry of each equal pair comes second
    j = int(np.argmin(later))
    i, i0 = int(later[j]), int(cand[order[dup[j]]])
    e, e0 = ex.entry(i), ex.entry(i0)
    raise UsageError(f"{e.source}: entry {e.file_index}: duplicate of {e0.source}: entry {e0.file_index} "
                     "(same daily_key and time_start)")


def read_entries(paths: Iterable[str | Path], days: int = DEFAULT_INFOF_DAYS) -> Iterator[Entry]:
    """The entries of read_exposures one by one (objects, for code that wants them)."""
    return iter(read_exposures(paths, days))


def keys_to_push_entries(days_keys) -> dict:
    """Push entries (the phones' F0 format) for a token's daily keys: one per UTC day, that day only.

    `days_keys` maps UTC day numbers to 32-byte keys (a dict or (day, key) pairs). `time_end` is the day's last
    second, so the phones' walk (while t <= time_end) covers the day's 96 windows and never steps the key chain:
    a token's days have independent keys.
    """
    items = sorted(days_keys.items() if isinstance(days_keys, dict) else days_keys)
    out, last = [], None
    for day, key in items:
        if isinstance(day, bool) or not isinstance(day, int) or day < 0:
            raise UsageError(f"day {day!r} is not a UTC day number")
        if day == last:
            raise UsageError(f"day {day} is given twice")
        if len(key) != ids.KEY_LEN:
            raise UsageError(f"the key of day {day} must be 32 bytes, got {len(key)}")
        last = day
        out.append({"daily_key": bytes(key).hex().upper(), "time_start": day * DAY_S, "max": ids.SLOTS_PER_DAY,
                    "time_end": day * DAY_S + DAY_S - 1})
    return {"data": out}
