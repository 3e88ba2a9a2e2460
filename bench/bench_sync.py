"""Sync: wire efficiency, compression, pull time of a 21-day busy log (link models and over a pty)."""

import os
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

from bzfw import ids, records
from host_tools.stationdb import StationDB
from host_tools.sync.client import SyncClient
from host_tools.sync.ptytoken import PtyToken, SimClock, TokenCtx
from host_tools.sync.pull import CHUNK, pull
from host_tools.sync.transport import FeedTransport, SerialTransport

DAYS = 21
# A busy wearer: 40 distinct phones/tokens around in each 15-min slot for 16 waking hours
# (market, school, bus) = 64 slots x 40 = 2560 encounter records a day.
PER_DAY = 2560
SECRET = bytes(range(32))
ROOT = Path(__file__).resolve().parent.parent


def _fill(ctx, days=DAYS):
    today = ids.day_of(ctx.clock.now_ms())
    rnd = os.urandom
    for dd in range(today - days + 1, today + 1):
        recs = []
        for i in range(PER_DAY):
            slot = 24 + i // 40
            first = dd * ids.DAY_MS + slot * ids.SLOT_MS + (i * 7 % 600) * 1000
            rssi = -50 - i % 40
            recs.append(records.encode(dd, slot, 1 + (i % 5 == 0), rnd(12), first, first + (i % 300) * 1000,
                                       1 + i % 30, rssi - 8, rssi, rssi - 3))
        ctx.logstore.append(dd, recs)


def _compress(data, wbits):
    c = zlib.compressobj(9, zlib.DEFLATED, -wbits)
    return c.compress(data) + c.flush()


def run(report):
    with tempfile.TemporaryDirectory() as tmp:
        ctx = TokenCtx(tmp + "/token", "BZT-BENCH", SECRET, SimClock(), capacity=64 << 20)
        _fill(ctx)
        payload = sum(ctx.logstore.size(d) for d in ctx.logstore.days())
        report("log: days x records/day (24-byte records)", f"{DAYS} x {PER_DAY}")
        report("log payload", payload / 1e6, "MB")

        # Bytes on the wire: the whole pull in memory (CPython SyncServer, same code as the token).
        from bzfw.syncserver import SyncServer

        srv = SyncServer(ctx)
        cl = SyncClient(FeedTransport(srv.feed))
        with StationDB(tmp + "/mem.db") as db:
            s = pull(cl, db, lambda tid: SECRET)
        wire_bytes = cl.bytes_in + cl.bytes_out
        nreq = srv.requests
        report("wire bytes token->station / payload", cl.bytes_in / payload, "x")
        report("wire bytes both ways / payload (protocol efficiency)", payload / wire_bytes * 100, "%")
        report(f"requests (chunk of {CHUNK} bytes)", nreq)

        # Compression: raw deflate per chunk as a token would send it (MicroPython's deflate, if built in).
        chunks = []
        for d in ctx.logstore.days():
            for off in range(0, ctx.logstore.size(d), CHUNK):
                chunks.append(ctx.logstore.read(d, off, CHUNK))
        for wbits in (9, 10, 12):
            comp = sum(len(_compress(c, wbits)) for c in chunks)
            report(f"deflate per chunk, window 2^{wbits}: compressed/raw", comp / payload, "x")
        day0 = ctx.logstore.read(ctx.logstore.days()[0], 0, 1 << 30)
        report("zlib level 9 of a whole day (best case)", len(_compress(day0, 15)) / len(day0), "x")

        # Link models: wire time + a per-request turnaround (USB latency / token CPU, assumed).
        for name, bps, turn in (("115200 baud UART bridge (classic ESP32)", 11520, 0.004),
                                ("native USB CDC, ~1 MB/s (ESP32-C3/S3)", 1_000_000, 0.002)):
            t = wire_bytes / bps + nreq * turn
            report(f"pull time, {name}", t, "s", f"(turnaround {turn * 1000:.0f} ms/request assumed)")

        # Measured: the same pull over a real pseudo-terminal (CPython token side).
        ctx2 = TokenCtx(tmp + "/token2", "BZT-BENCH", SECRET, SimClock(), capacity=64 << 20)
        _fill(ctx2)
        with PtyToken(ctx2) as tok, StationDB(tmp + "/pty.db") as db:
            c = SyncClient(SerialTransport(tok.port))
            t0 = time.perf_counter()
            s = pull(c, db, lambda tid: SECRET)
            dt = time.perf_counter() - t0
        report("measured pull over a pty (CPython token side), incl. DB", dt, "s", f"{s['records']} records")
        report("measured throughput over the pty", payload / dt / 1e6, "MB/s")

    _virtual(report)

    # The token's per-chunk CPU cost on MicroPython (unix port; an ESP32 is roughly 20-50x slower).
    script = (
        "import time, os\nfrom bzfw import wire, syncserver\n"
        f"data = os.urandom({CHUNK})\nkey = os.urandom(32)\n"
        "t = time.ticks_us()\n"
        "for i in range(50):\n"
        "    h = wire.header(1, 0x81, i, wire.READ, 0) + data\n"
        "    wire.encode(0x80, i, wire.READ, 0, data, syncserver.tag(key, h))\n"
        "print(time.ticks_diff(time.ticks_us(), t) / 50)\n"
    )
    env = dict(os.environ, MICROPYPATH=f"{ROOT / 'firmware'}")
    r = subprocess.run([str(Path(sys.executable).parent / "micropython"), "-c", script], env=env,
                       capture_output=True, text=True, timeout=120)
    if r.returncode == 0:
        report("MicroPython unix port: tag + frame one chunk", float(r.stdout.strip()) / 1000, "ms")
    else:
        report("MicroPython chunk timing failed", r.stderr.strip().splitlines()[-1] if r.stderr else "?")


VDAYS = 3  # the virtual token's flash (2 MB, 3/4 for the log) holds a few busy days; scaled to 21 below


def _virtual(report):
    """The real firmware on the MicroPython unix port (virtual token) serving a pull over its pty."""
    import json

    from littlefs import LittleFS

    from host_tools import virtual

    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        d = Path(tmp) / "vt"
        with virtual.VirtualToken(d, name="BENCH") as vt:
            c = SyncClient(SerialTransport(vt.port), timeout=3)
            c.hello()
            c.provision("BZT-VBENCH", SECRET)
        # Busy days written into its flash image while it is off, as its LogStore would have.
        blocks = json.loads((d / "vtoken.json").read_text())["block_count"]
        fs = LittleFS(block_size=virtual.BLOCK_SIZE, block_count=blocks, mount=False)
        fs.context.buffer = bytearray((d / "flash.img").read_bytes())
        fs.mount()
        today = ids.day_of(int(time.time() * 1000))
        ctx = TokenCtx(tmp + "/gen", "x", SECRET, SimClock(), capacity=64 << 20)
        _fill(ctx, VDAYS)
        payload = 0
        for day in range(today - VDAYS + 1, today + 1):
            data = ctx.logstore.read(day, 0, 1 << 30)
            payload += len(data)
            with fs.open(f"/log/{day}.log", "wb") as f:
                f.write(data)
        (d / "flash.img").write_bytes(bytes(fs.context.buffer))
        with virtual.VirtualToken(d, name="BENCH") as vt, StationDB(tmp + "/v.db") as db:
            c = SyncClient(SerialTransport(vt.port), timeout=3)
            t0 = time.perf_counter()
            s = pull(c, db, lambda tid: SECRET)
            dt = time.perf_counter() - t0
        report(f"virtual token (MicroPython) pull of {VDAYS} busy days", dt, "s", f"{s['records']} records")
        report("virtual token throughput (token CPU bound)", payload / dt / 1e3, "KB/s")
        report(f"  same rate, {DAYS} days", dt * DAYS / VDAYS, "s")
