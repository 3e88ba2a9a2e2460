# A crowd for the whole app (BLE IRQ -> ring -> parse -> aggregate -> flash): `devices` Bluezone devices
# farther away (-70..-100 dBm) and a few close ones (-45..-55 dBm, +-4 dB of noise on every sighting),
# for `minutes` virtual minutes, on a file-backed LittleFS. The crowd sends `rate` adverts per second
# (device (n * 37) % devices: each in turn), every close device one a second. Used by
# tests/test_device_crowd.py under a heap limit and by bench/bench_scanpath.py. Prints one JSON line.
# The truth for the close devices is noted as the app sees it: a sighting takes the time of the main-loop
# pass that drains it from the ring.
# Usage (MicroPython unix port): micropython -X heapsize=H -c "import crowd; crowd.main(IMG, BLOCKS, ...)"
import gc
import json
import os
import sys
import time

from devfakes import BOARD, FakeConsole, FakeMachine, FakeRTC, FakeTime, air_and_ble

from bzfw import adv, board, records
from bzfw.app import App
from bzfw.clock import Clock

try:
    from host_tools.virtual import vmachine
except ImportError:
    sys.path.append("host_tools/virtual")
    import vmachine

DAY = 20454
T0 = DAY * 86400000 + 10 * 60000  # 00:10 UTC: a 15-minute run crosses a slot boundary
SLOT_MS = 900000
CLOSE = (-45, -50, -55, -52, -48)  # base RSSI of the close devices


def _id(i, slot):
    """Device i's 12-byte ID in a slot (unique per device and slot; see scanload.py)."""
    return bytes((i & 0xFF, (i >> 8) & 0xFF, slot & 0xFF, 0x5A, 0xC3, i & 0x7F,
                  0x11, 0x22, 0x33, 0x44, 0x55, 0x66))


_SUMMED = ("received", "dropped", "sightings", "evicted", "crowd_refused", "crowd_shed", "agg_dropped", "agg_lost",
           "write_errors", "loop_errors", "ckpt_writes")


class _Slept(Exception):
    pass


def main(img, blocks, devices=1000, close=3, minutes=16, rate=200, config=None, eco_sleep=False):
    """eco_sleep: deep sleep as on a token: the App is gone and a new one starts after it (the counters
    of every boot are summed); RTC memory and the clock are kept."""
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
        f.write(json.dumps(config or {"profile": "always-on"}))
    sleeps = []

    def deepsleep(ms):
        sleeps.append(ms)
        tm.advance(ms)
        raise _Slept()

    def boot():
        a = App(ble, clock, board.Board(BOARD, FakeMachine), FakeConsole(tm), fs_root="/flash/tok",
                urandom=os.urandom, sync_factory=lambda a: None, deepsleep=deepsleep if eco_sleep else None)
        a.start()
        return a

    summed = dict((k, 0) for k in _SUMMED)
    app = boot()
    addr = bytearray(b"\xc0\x00\x00\x00\x00\x00")
    base = [-70 - (i * 7919) % 31 for i in range(devices)]
    x = 12345
    truth = {}  # (close index, slot) -> [first ms, last ms, count], as the app timestamps them
    pending = []  # close sightings delivered since the last main-loop pass
    period = 1000 // rate
    end = T0 + minutes * 60000
    next_step = tm.ms
    next_close = tm.ms
    n = 0
    t_real = time.ticks_ms()
    while tm.ms < end:
        if tm.ms >= next_step:
            if pending:
                now = tm.ms
                for c in pending:
                    k = (c, now // SLOT_MS)
                    e = truth.get(k)
                    if e is None:
                        truth[k] = [now, now, 1]
                    else:
                        e[1] = now
                        e[2] += 1
                pending = []
            try:
                due = app.step()
            except _Slept:
                s = app.stats()
                for k in _SUMMED:
                    summed[k] += s[k]
                app = None  # type: ignore  # RAM does not survive a deep sleep: nothing may keep the old App
                ble.irq(None)
                gc.collect()
                app = boot()
                due = 1
            next_step = tm.ms + min(due, 50)
        slot = tm.ms // SLOT_MS
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        noise = (x >> 8) % 9 - 4
        if tm.ms >= next_close:
            for c in range(close):
                addr[4] = 0xFF
                addr[5] = c
                if air.inject(addr, adv.build(_id(60000 + c, slot)), CLOSE[c % len(CLOSE)] + noise):
                    pending.append(c)
            next_close += 1000
        i = (n * 37) % devices
        addr[4] = i >> 8
        addr[5] = i & 0xFF
        air.inject(addr, adv.build(_id(i, slot)), base[i] + noise)
        n += 1
        tm.advance(period)
    app.step()
    app.persist(app.agg.flush())
    s = app.stats()
    for k in _SUMMED:
        s[k] += summed[k]
    written = counted = close_recs = dups = 0
    seen = {}  # slot -> one byte per crowd device: has a record (duplicates counted; close ones apart)
    per_slot = {}
    got = {}  # the station's merge of a contact's records in a slot: first = min, last = max, count = sum
    ls = app.logstore
    for day in ls.days():
        for off in range(0, ls.size(day), 24 * 64):
            chunk = ls.read(day, off, 24 * 64)
            for o in range(0, len(chunk), 24):
                r = records.decode(chunk[o:o + 24], day)
                counted += r[6]
                written += 1
                sl = day * 96 + r[1]
                per_slot[sl] = per_slot.get(sl, 0) + 1
                cid = r[3]
                i = cid[0] | cid[1] << 8  # the device, see _id
                if i < devices and cid[3] == 0x5A:
                    bm = seen.get(sl)
                    if bm is None:
                        bm = seen[sl] = bytearray(devices)
                    dups += bm[i]
                    bm[i] = 1
                c = cid[0] + (cid[1] << 8) - 60000
                if 0 <= c < close and cid[3] == 0x5A:
                    k = (c, sl)
                    close_recs += 1
                    e = got.get(k)
                    if e is None:
                        got[k] = [r[4], r[5], r[6]]
                    else:
                        e[0] = min(e[0], r[4])
                        e[1] = max(e[1], r[5])
                        e[2] += r[6]
    close_ok = close_bad = 0
    for k in truth:
        t = truth[k]
        want = [t[0] // 1000 * 1000, t[1] // 1000 * 1000, t[2]]  # records keep whole seconds
        if got.get(k) == want:
            close_ok += 1
        else:
            close_bad += 1
    gc.collect()
    out = {
        "devices": devices, "minutes": minutes, "injected": n, "delivered": air.delivered,
        "received": s["received"], "ring_dropped": s["dropped"], "sightings": s["sightings"],
        "evicted": s["evicted"], "crowd_refused": s["crowd_refused"], "crowd_shed": s["crowd_shed"],
        "agg_dropped": s["agg_dropped"], "agg_lost": s["agg_lost"], "records": written, "dup_records": dups, "counted": counted,
        "max_per_slot": max(per_slot.values()) if per_slot else 0, "slots": len(per_slot),
        "close_slots": len(truth), "close_records": close_recs, "close_ok": close_ok, "close_bad": close_bad,
        "close_extra": len([k for k in got if k not in truth]), "write_errors": s["write_errors"],
        "loop_errors": s["loop_errors"], "ckpt_writes": s["ckpt_writes"], "bytes": sum(ls.size(d) for d in ls.days()),
        "sleeps": len(sleeps), "heap_free": gc.mem_free(), "real_ms": time.ticks_diff(time.ticks_ms(), t_real),
    }
    print(json.dumps(out))
    return out
