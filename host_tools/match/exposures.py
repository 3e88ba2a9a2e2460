"""Exposure inputs: Bluezone F0 entries `{daily_key, time_start, max, time_end}` (protocol spec section 5).

Accepted files (JSON, detected by content):
- the push payload `{"data": [entry, ...]}` (our own `bztoken export-keys` writes this too); streamed, so a list
  larger than memory is read entry by entry;
- that payload as the JSON string nested in `InfoF`, or in an FCM message's `DataContent`, as phones receive it;
- a single uploaded InfoF object `{"base_id", "time", "daily_key", "time_start"}`: `days` days (default 14) from
  `time_start`, walking the phones' key chain.

Every entry is checked before anything is matched; a bad one raises UsageError naming the file and the entry.
An entry is expanded into key-days exactly as phones walk it (section 5.4): slot n (n = 0, 1, ...) has the window
[time_start + n*D, time_start + (n+1)*D] (D = 1 day / max, both ends inclusive) while its start is <= time_end, and
every `max` slots the key steps to SHA256(key).
"""

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bzfw import ids
from host_tools.errors import UsageError

DAY_S = ids.DAY_S
DEFAULT_INFOF_DAYS = 14
MAX_SPAN_DAYS = 100  # an F0 entry covers one to about 15 days; a longer one is a typo, not a workload
_CHUNK = 1 << 20


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


def _int_field(obj: dict, name: str, where: str) -> int:
    if name not in obj:
        raise UsageError(f"{where}: missing {name!r}")
    v = obj[name]
    if isinstance(v, str) and v.strip().isdigit():
        v = int(v)
    if isinstance(v, bool) or not isinstance(v, int):
        raise UsageError(f"{where}: {name} must be an integer, got {v!r}")
    if v < 0:
        raise UsageError(f"{where}: {name} must not be negative, got {v}")
    return v


def _key_field(obj: dict, name: str, where: str) -> bytes:
    v = obj.get(name)
    if not isinstance(v, str):
        raise UsageError(f"{where}: {name} must be a hex string, got {v!r}")
    try:
        k = bytes.fromhex(v.strip())
    except ValueError:
        raise UsageError(f"{where}: {name} is not valid hex") from None
    if len(k) != ids.KEY_LEN:
        raise UsageError(f"{where}: {name} must be 32 bytes (64 hex digits), got {len(k)} bytes")
    return k


def parse_entry(obj, where: str) -> tuple[bytes, int, int, int]:
    """(daily_key, time_start, max, time_end) of one push entry, checked."""
    if not isinstance(obj, dict):
        raise UsageError(f"{where}: an entry must be a JSON object, got {type(obj).__name__}")
    key = _key_field(obj, "daily_key", where)
    t0 = _int_field(obj, "time_start", where)
    m = _int_field(obj, "max", where)
    te = _int_field(obj, "time_end", where)
    if m == 0 or DAY_S % m:
        raise UsageError(f"{where}: max {m} does not divide a day ({DAY_S} s) into whole seconds")
    if te < t0:
        raise UsageError(f"{where}: time_end {te} is before time_start {t0}")
    if te - t0 > MAX_SPAN_DAYS * DAY_S:
        raise UsageError(f"{where}: the entry spans {(te - t0) // DAY_S} days (more than {MAX_SPAN_DAYS})")
    return key, t0, m, te


def infof_entry(obj: dict, where: str, days: int) -> tuple[bytes, int, int, int]:
    """The push entry equivalent to an uploaded InfoF: `days` days of the chain from its daily key."""
    key = _key_field(obj, "daily_key", where)
    t0 = _int_field(obj, "time_start", where)
    if t0 % DAY_S:
        raise UsageError(f"{where}: time_start {t0} is not a UTC midnight")
    if "base_id" in obj:
        _key_field(obj, "base_id", where)
    if "time" in obj and _int_field(obj, "time", where) > t0:
        raise UsageError(f"{where}: time (install day) is after time_start")
    return key, t0, ids.SLOTS_PER_DAY, t0 + days * DAY_S - 1


_DATA_START = re.compile(r'\s*\{\s*"data"\s*:\s*\[')


class _Chunks:
    """A text file read in chunks, with a cursor: just enough to pull JSON values one by one."""

    def __init__(self, f):
        self.f, self.buf, self.pos, self.eof = f, f.read(_CHUNK), 0, False

    def refill(self) -> bool:
        more = self.f.read(_CHUNK)
        if not more:
            self.eof = True
            return False
        self.buf, self.pos = self.buf[self.pos :] + more, 0
        return True

    def peek(self) -> str:
        """The next non-blank character ('' at the end of the file)."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.refill():
                return ""

    def value(self, dec: json.JSONDecoder):
        while True:
            try:
                obj, end = dec.raw_decode(self.buf, self.pos)
                if end < len(self.buf) or self.eof:  # a number at the very end may go on in the next chunk
                    self.pos = end
                    return obj
            except ValueError:
                if self.eof:
                    raise
            self.refill()


def _stream_data_array(path: Path, name: str) -> Iterator[tuple[int, object]]:
    """The elements of `{"data": [...]}` one by one, reading the file in chunks."""
    dec = json.JSONDecoder()
    with open(path, encoding="utf-8") as f:
        r = _Chunks(f)
        while len(r.buf) < 4096 and r.refill():
            pass
        m = _DATA_START.match(r.buf)
        assert m is not None
        r.pos, i = m.end(), 0
        while True:
            c = r.peek()
            if c == "":
                raise UsageError(f"{name}: malformed JSON: the file ends inside the data list (after entry {i - 1})")
            if c == "]":
                r.pos += 1
                rest = (r.buf[r.pos :] + f.read()).strip()
                if not rest.endswith("}") or not (rest == "}" or rest.startswith(",")):
                    raise UsageError(f"{name}: malformed JSON after the data list")
                return
            if i > 0:
                if c != ",":
                    raise UsageError(f"{name}: malformed JSON: expected ',' or ']' after entry {i - 1}")
                r.pos += 1
                r.peek()
            try:
                obj = r.value(dec)
            except ValueError:
                raise UsageError(f"{name}: malformed JSON in entry {i}") from None
            yield i, obj
            i += 1
            if r.pos > _CHUNK:
                r.buf, r.pos = r.buf[r.pos :], 0


def _raw_entries(path: Path, days: int) -> Iterator[tuple[str, tuple[bytes, int, int, int]]]:
    """(where, parsed entry) for every entry in one file, in order."""
    name = str(path)
    try:
        with open(path, encoding="utf-8") as f:
            head = f.read(4096)
    except OSError as e:
        raise UsageError(f"{name}: cannot read: {e.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{name}: not a UTF-8 JSON file") from None
    if _DATA_START.match(head):
        try:
            for i, obj in _stream_data_array(path, name):
                where = f"{name}: entry {i}"
                yield where, parse_entry(obj, where)
        except UnicodeDecodeError:
            raise UsageError(f"{name}: not a UTF-8 JSON file") from None
        return
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise UsageError(f"{name}: malformed JSON at line {e.lineno} column {e.colno}: {e.msg}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{name}: not a UTF-8 JSON file") from None
    yield from _from_doc(doc, name, days, 0)


def _from_doc(doc, name: str, days: int, depth: int) -> Iterator[tuple[str, tuple[bytes, int, int, int]]]:
    if depth > 3:
        raise UsageError(f"{name}: nested too deeply to be an exposure list")
    if isinstance(doc, list):
        doc = {"data": doc}
    if not isinstance(doc, dict):
        raise UsageError(f"{name}: not an exposure list (expected a JSON object)")
    for nest in ("DataContent", "InfoF"):
        if nest in doc and "daily_key" not in doc:
            inner = doc[nest]
            if isinstance(inner, str):
                try:
                    inner = json.loads(inner)
                except json.JSONDecodeError as e:
                    raise UsageError(f"{name}: malformed JSON in the {nest} string: {e.msg}") from None
            yield from _from_doc(inner, name, days, depth + 1)
            return
    if "data" in doc:
        data = doc["data"]
        if isinstance(data, str):  # the push's data nested once more as a string
            try:
                data = json.loads(data)
            except json.JSONDecodeError as e:
                raise UsageError(f"{name}: malformed JSON in the data string: {e.msg}") from None
        if not isinstance(data, list):
            raise UsageError(f"{name}: data must be a list of entries")
        for i, obj in enumerate(data):
            where = f"{name}: entry {i}"
            yield where, parse_entry(obj, where)
        return
    if "daily_key" in doc:
        if "max" in doc or "time_end" in doc:
            yield f"{name}: entry 0", parse_entry(doc, f"{name}: entry 0")
        else:
            yield f"{name}: InfoF", infof_entry(doc, f"{name}: InfoF", days)
        return
    raise UsageError(f"{name}: not an exposure list: no data, InfoF or daily_key",
                     hint='expected {"data": [{"daily_key", "time_start", "max", "time_end"}, ...]}')


def read_entries(paths: Iterable[str | Path], days: int = DEFAULT_INFOF_DAYS) -> Iterator[Entry]:
    """Every entry of every file, checked, numbered in order; duplicates (same key and start) are an error."""
    if days < 1 or days > MAX_SPAN_DAYS:
        raise UsageError(f"--days must be 1..{MAX_SPAN_DAYS}, got {days}")
    seen: dict[bytes, tuple[int, int]] = {}  # 16-byte digest of (key, start) -> (file, entry): small per entry
    n = 0
    paths = list(paths)
    for pi, p in enumerate(paths):
        for fi, (where, (key, t0, m, te)) in enumerate(_raw_entries(Path(p), days)):
            sig = hashlib.blake2b(key + t0.to_bytes(8, "big"), digest_size=16).digest()
            if sig in seen:
                f0, e0 = seen[sig]
                raise UsageError(f"{where}: duplicate of {paths[f0]}: entry {e0} (same daily_key and time_start)")
            seen[sig] = (pi, fi)
            yield Entry(n, str(p), fi, key, t0, m, te)
            n += 1


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
