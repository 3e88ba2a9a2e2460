# A busy place for the scan path: `rate` adverts per second for `minutes` virtual minutes through the
# whole app (BLE IRQ -> ring -> parse -> aggregate -> flash), with the main loop stalled now and then
# (as by a slow flash write), on a file-backed LittleFS. Used by tests/test_device_memory.py under a
# heap limit and by bench/bench_scanpath.py. Prints one JSON line of figures.
# Usage (MicroPython unix port): micropython -X heapsize=H -c "import scanload; scanload.main(IMG, ...)"
import gc
import json
import os
import sys
import time

from devfakes import BOARD, FakeConsole, FakeMachine, FakeRTC, FakeTime, air_and_ble

from bzfw import adv, board, ids, records
from bzfw.app import App
from bzfw.clock import Clock

try:
    from host_tools.virtual import vmachine
except ImportError:
    sys.path.append("host_tools/virtual")
    import vmachine

DAY = 20454
T0 = DAY * 86400000 + 10 * 60000  # 00:10 UTC: the run crosses the 00:15 slot boundary


def _id(i, slot):
    """Device i's 12-byte ID in a slot: distinct per device and slot (the scan path does not check how an
    ID was derived, and deriving real ones for a crowd would make this harness slower than the firmware)."""
    return bytes((i & 0xFF, (i >> 8) & 0xFF, slot, 0x5A, 0xC3, i & 0x7F, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66))


def main(img, blocks, rate=200, minutes=10, devices=100, stall_every_s=60, stall_ms=400, qlen=32, max_open=None):
    gc.collect()
    tm = FakeTime(T0)
    rtc = FakeRTC(tm)
    clock = Clock(rtc, tm)
    clock.set_ms(T0)
    air, ble = air_and_ble(tm)
    import vfs

    bdev = vmachine.FileBlockDev(img, 4096, blocks)
    vfs.VfsLfs2.mkfs(bdev)
    vfs.mount(vfs.VfsLfs2(bdev), "/flash")
    os.mkdir("/flash/tok")
    with open("/flash/tok/config.json", "w") as f:
        cfg = {"profile": "always-on", "scan_period_ms": 60000, "scan_window_ms": 60000, "queue_len": qlen}
        if max_open:
            cfg["max_open"] = max_open  # else the firmware's default
        f.write(json.dumps(cfg))
    app = App(ble, clock, board.Board(BOARD, FakeMachine), FakeConsole(tm), fs_root="/flash/tok",
              urandom=os.urandom, sync_factory=lambda a: None)
    app.start()
    other = b"\x02\x01\x06\x0b\xff\x4c\x00\x10\x06\x31\x1e\x7a\x8b\x9c\x0d"  # someone's earbuds
    addr = bytearray(b"\xc0\x00\x00\x00\x00\x00")
    period = 1000 // rate
    end = T0 + minutes * 60000
    next_step = tm.ms
    next_stall = T0 + stall_every_s * 1000
    stall_until = 0
    stall_delivered = 0
    expected_drop = 0
    n = 0
    peak = 0
    next_sample = tm.ms
    t_real = time.ticks_ms()
    while tm.ms < end:
        if tm.ms >= next_step and tm.ms >= stall_until:
            if stall_until:
                expected_drop += max(0, stall_delivered - qlen)
                stall_until = 0
            due = app.step()
            next_step = tm.ms + min(due, 50)
            if tm.ms >= next_sample:  # live heap: what is left after a collection
                gc.collect()
                a = gc.mem_alloc()
                if a > peak:
                    peak = a
                next_sample = tm.ms + 5000
            if tm.ms >= next_stall:
                stall_until = tm.ms + stall_ms
                stall_delivered = 0
                next_stall += stall_every_s * 1000
        # one advert on the air
        k = n % 10
        if k < 8:
            i = (n * 37) % devices
            data = adv.build(_id(i, ids.slot_of(tm.ms)))
            addr[4] = i >> 8
            addr[5] = i & 0xFF
        elif k == 8:
            data = other
        else:
            data = bytes((n * 13 + j) & 0xFF for j in range(n % 40))  # garbage of any length
        if air.inject(addr, data, -50 - (n % 40)) and stall_until:
            stall_delivered += 1
        n += 1
        tm.advance(period)
    app.step()
    app.persist(app.agg.flush())
    s = app.stats()
    written = counted = 0
    ls = app.logstore
    for day in ls.days():
        for off in range(0, ls.size(day), 24 * 64):
            chunk = ls.read(day, off, 24 * 64)
            for o in range(0, len(chunk), 24):
                counted += records.decode(chunk[o:o + 24], day)[6]  # every sighting is in one record
                written += 1
    gc.collect()
    out = {
        "injected": n, "delivered": air.delivered, "received": s["received"], "dropped": s["dropped"],
        "expected_dropped": expected_drop, "sightings": s["sightings"], "evicted": s["evicted"],
        "agg_dropped": s["agg_dropped"], "crowd_refused": s["crowd_refused"], "crowd_shed": s["crowd_shed"],
        "agg_lost": s["agg_lost"], "records": written, "counted": counted, "loop_errors": s["loop_errors"],
        "write_errors": s["write_errors"], "not_bluezone": s["not_bluezone"], "live_peak": peak,
        "heap_total": gc.mem_alloc() + gc.mem_free(), "real_ms": time.ticks_diff(time.ticks_ms(), t_real),
    }
    print(json.dumps(out))
    return out
