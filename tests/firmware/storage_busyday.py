# A busy day for the token's storage, run on the MicroPython unix port by tests/test_storage_memory.py
# and bench/bench_storage.py: `n_dev` distinct Bluezone devices nearby for `hours`, each seen once per
# scan cycle, going through the Aggregator into the LogStore in batches, as the app does, with the open
# encounters saved to the checkpoint file every 3 minutes (bzfw/checkpoint.py).
#
# Devices: two in three advertise their ID (Android phones and tokens), one in three is an iOS phone read
# over GATT. Each has its own clock error (up to +-2 s), so its ID changes a little before or after our
# slot edge, as real phones do; RSSI is a per-device distance plus noise.
import gc
import struct

from lcg import Rng

from bzfw import checkpoint
from bzfw.encounters import Aggregator
from bzfw.keystore import KeyStore
from bzfw.logstore import LogStore

DAY_MS = 86400000
SLOT_MS = 900000


def run(root, n_dev=60, hours=8, cycle_s=30, max_open=64, capacity=1 << 21, start_ms=20415 * DAY_MS + 8 * 3600000,
        urandom=None, sample=None):
    """Returns a dict of figures. sample(): called after each batch (for heap high-water marks)."""
    rng = Rng(1)
    store = LogStore(root + "/log", capacity)
    keys = KeyStore(root + "/keys", urandom or (lambda n: bytes(rng.next(256) for _ in range(n))))
    agg = Aggregator(max_open=max_open)
    skew = [rng.next(4001) - 2000 for _ in range(n_dev)]
    base = [-50 - rng.next(45) for _ in range(n_dev)]
    kind = [2 if d % 3 == 2 else 1 for d in range(n_dev)]
    cid = bytearray(12)
    written = batches = 0
    peak = 0
    t = start_ms
    end = start_ms + hours * 3600000
    keys.key_for(t // DAY_MS)
    while t < end:
        for d in range(n_dev):
            ts = t + rng.next(cycle_s * 1000)  # when in this cycle our scan caught it
            # the ID it sent then, by its own clock: any 12 bytes unique per (device, slot) will do
            struct.pack_into("<HIHI", cid, 0, d, (ts + skew[d]) // SLOT_MS, 0xB2, d * 7919)
            agg.add(kind[d], bytes(cid), base[d] - rng.next(9), ts)
        t += cycle_s * 1000
        if t % 180000 < cycle_s * 1000:  # the app's periodic save
            checkpoint.save(root + "/encounters.ckpt", agg, store)
        if t % 60000 < cycle_s * 1000:  # once a minute, write what has closed
            out = agg.close_before(t)
            by_day = {}
            for day, rec in out:
                by_day.setdefault(day, []).append(rec)
            for day, recs in by_day.items():
                written += store.append(day, recs)
                batches += 1
            if sample is not None:
                peak = max(peak, sample())
            else:
                gc.collect()  # as the app does between scan windows: keeps the small heap unfragmented
    for day, rec in agg.flush():
        written += store.append(day, [rec])
    days = store.days()
    gc.collect()
    return {
        "records": written,
        "bytes": sum(store.size(d) for d in days),
        "batches": batches,
        "evicted": agg.evicted,
        "dropped": agg.dropped,
        "sightings": agg.sightings,
        "peak": peak,
        "stats": store.stats,
    }
