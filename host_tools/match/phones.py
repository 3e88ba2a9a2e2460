"""The phones' way (protocol spec section 5.4), written as Bluezone does it: walk each entry's slots with
hashlib, and for each slot ask the log "any row with this ID inside [t, t + D]?". It is the reference the
strict rule is tested against, and the baseline of bench/bench_match.py; `bztoken match` does not use it.
"""

import hashlib

from bzfw import ids
from host_tools.match.exposures import DAY_S, Entry
from host_tools.match.logs import LogData


def log_lookup(log: LogData) -> dict[bytes, list[tuple[int, int]]]:
    """The phone's table as an index on blid_contact: ID -> [(first_ms, last_ms)]."""
    out: dict[bytes, list[tuple[int, int]]] = {}
    for r in range(len(log)):
        out.setdefault(log.cid[12 * r : 12 * r + 12], []).append((int(log.first_ms[r]), int(log.last_ms[r])))
    return out


def entry_hits(e: Entry, table: dict[bytes, list[tuple[int, int]]]) -> set[tuple[int, bytes, int]]:
    """(entry, ID, window start ms) of every slot of `e` with a sighting inside its window, both ends inclusive.
    (Phones stop at the first hit; this walks on so the whole set can be compared.)"""
    hits = set()
    t, delta = e.time_start * 1000, DAY_S * 1000 // e.max
    key, i = e.daily_key, 0
    s = bytes(key) + ids.SALT
    while t <= e.time_end * 1000:
        s = hashlib.sha256(s).digest()
        bz = ids.pick12(s)
        for first, last in table.get(bz, ()):
            if t <= first <= t + delta or t <= last <= t + delta:
                hits.add((e.index, bz, t))
                break
        t += delta
        i += 1
        if i == e.max:
            key = ids.next_key(key)
            s, i = key + ids.SALT, 0
    return hits
