# The scan path on a 32-bit chip: no value on it reaches 2^30 (small ints end there on the ESP32; a
# unix-ms time would be a heap-allocated bigint at every sighting), and nothing is allocated per sighting
# of a contact already open in the slot (gc.mem_alloc() over 10,000 sightings on the unix port).
import gc
import sys

from fwtest import eq
from test_app import SCAN_ALWAYS, T0, Tok

from bzfw import adv

SMALL = 1 << 30
N_CONTACTS = 50


def _checked(name, fn, bad):
    def w(*a):
        for v in a:
            if type(v) is int and not -SMALL <= v < SMALL:
                bad.append((name, v))
        return fn(*a)

    return w


def test_no_hot_path_value_reaches_2_30():
    k = Tok(T0 + 1000, config=SCAN_ALWAYS)
    bad = []
    agg = k.app.agg
    for name in ("add", "add_at", "add_slot"):
        setattr(agg, name, _checked(name, getattr(agg, name), bad))
    k.app._on_result_at = _checked("on_result", k.app._on_result_at, bad)
    ads = [adv.build(bytes((i,)) * 12) for i in range(5)]
    n = [0]

    def inject(t):
        n[0] += 1
        k.air.inject(bytes((0xC1, 0, 0, 0, 0, n[0] % 5)), ads[n[0] % 5], -60 - n[0] % 20)

    k.run_until(T0 + 30000, inject=inject, every=200)
    eq(agg.sightings > 100, True, "sightings made")
    eq(bad, [], "values past 2^30 on the scan path")


def test_no_allocation_per_sighting():
    if not hasattr(gc, "mem_alloc"):
        return  # CPython: the figure is the unix port's
    k = Tok(T0 + 1000, config=SCAN_ALWAYS)
    k.run_until(T0 + 2000)  # scanning, the slot's ID on air
    r = k.app.radio
    # The stack's IRQ data (on a device: on the C stack, no heap): one tuple per contact, built beforehand.
    events = []
    for i in range(N_CONTACTS):
        cid = bytes((i, 7, i, 9)) + bytes(8)
        events.append((1, memoryview(bytes((0xC1, 0, 0, 0, 0, i))), 0, -50 - i % 40,
                       memoryview(adv.build(cid))))
    on = k.app._on_result_at
    half = N_CONTACTS // 2
    for e in events:  # first sightings open the rows (that allocates: one ID per contact and slot)
        r._irq(5, e)
        if r.pending() >= half:
            r.drain_at(on)
    r.drain_at(on)
    eq(k.app.agg.open_count >= N_CONTACTS, True, "rows open")
    gc.collect()
    gc.disable()
    try:
        before = gc.mem_alloc()
        for j in range(10000 // N_CONTACTS):
            for i in range(N_CONTACTS):
                r._irq(5, events[i])
                if i == half - 1:
                    r.drain_at(on)
            r.drain_at(on)
        used = gc.mem_alloc() - before
    finally:
        gc.enable()
    eq(k.app.agg.sightings >= 10000, True, "10,000 sightings")
    eq(r.dropped, 0, "none dropped")
    sys.stdout.write("hot path: %d bytes allocated over 10,000 sightings\n" % used)
    eq(used < 256, True, "bytes allocated over 10,000 sightings: %d" % used)
