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

    # The token's serving cost on MicroPython (unix port; an ESP32 is roughly 20-50x slower): SyncServer.feed
    # answering full reads of a log on a RAM LittleFS, encrypted (protocol v2) and, in the same run, with the
    # cipher replaced by a no-op (what v1 sent: the payload in clear, tagged). Payload MB/s the token's CPU
    # allows; the link (115200 baud: 0.0115 MB/s, USB CDC ~1 MB/s) is the limit on a chip either way.
    script = _SERVE.replace("NREC", "2000")
    env = dict(os.environ, MICROPYPATH=f"{ROOT / 'firmware'}:{ROOT / 'tests' / 'firmware'}")
    r = subprocess.run([str(Path(sys.executable).parent / "micropython"), "-X", "heapsize=4m", "-c", script],
                       env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)
    if r.returncode == 0:
        out = dict(line.split() for line in r.stdout.strip().splitlines())
        clear, enc = float(out["clear"]), float(out["encrypted"])
        report("MicroPython unix port: token serves reads, payload in clear (v1)", clear, "MB/s")
        report("MicroPython unix port: token serves reads, encrypted (v2)", enc, "MB/s",
               f"{clear / enc:.2f}x the CPU per byte; ESP32 ~20-50x slower: "
               f"{enc * 1000 / 50:.0f}-{enc * 1000 / 20:.0f} KB/s, above a 115200-baud UART (11.5 KB/s)")
    else:
        report("MicroPython serving timing failed", r.stderr.strip().splitlines()[-1] if r.stderr else "?")


_SERVE = """
import time
from test_syncserver import Ctx, Station, DAY, R
from bzfw import records, seal, syncserver, wire
def rec(i):
    slot = (i // 25) % 96
    t = DAY * 86400000 + slot * 900000 + (i % 25) * 1000
    return records.encode(DAY, slot, 1, bytes(((i * 7) & 0xFF, i & 0xFF)) * 6, t, t, 1, -60, -60, -60)
ctx = Ctx(blocks=64)
n = NREC
for j in range(0, n, 100):
    ctx.logstore.append(DAY, [rec(i) for i in range(j, min(n, j + 100))])
real_xor, real_into = seal.Cipher.xor, seal.Cipher.xor_into
def run(name):
    srv = syncserver.SyncServer(ctx)
    st = Station(srv)
    st.login()
    lines = []
    seq = 1000
    for off in range(0, n * R, 2040):
        seq += 1
        lines.append(syncserver.seal_request(st.key, seq, wire.READ, wire.pack_read(DAY, off, 2040)))
    t = time.ticks_us()
    got = 0
    for line in lines:
        got += len(srv.feed(line))
    return n * R / time.ticks_diff(time.ticks_us(), t)
best = {"encrypted": 0, "clear": 0}
for rep in range(3):  # alternated, best of three: the machine is shared
    seal.Cipher.xor, seal.Cipher.xor_into = real_xor, real_into
    best["encrypted"] = max(best["encrypted"], run("encrypted"))
    seal.Cipher.xor = lambda self, d, s, data: bytes(data)
    seal.Cipher.xor_into = lambda self, d, s, buf, a, b: None
    best["clear"] = max(best["clear"], run("clear"))
for k in best:
    print(k, best[k])
"""


# The pull is measured on an awake token (the default profile sleeps between windows).
AWAKE = {"profile": "always-on"}
VDAYS = 3  # the virtual token's flash (2 MB, 3/4 for the log) holds a few busy days; scaled to 21 below


def _virtual(report):
    """The real firmware on the MicroPython unix port (virtual token) serving a pull over its pty."""
    import json

    from littlefs import LittleFS

    from host_tools import virtual

    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        d = Path(tmp) / "vt"
        with virtual.VirtualToken(d, name="BENCH", config=AWAKE) as vt:
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
        with virtual.VirtualToken(d, name="BENCH", config=AWAKE) as vt, StationDB(tmp + "/v.db") as db:
            c = SyncClient(SerialTransport(vt.port), timeout=3)
            t0 = time.perf_counter()
            s = pull(c, db, lambda tid: SECRET)
            dt = time.perf_counter() - t0
        report(f"virtual token (MicroPython) pull of {VDAYS} busy days", dt, "s", f"{s['records']} records")
        report("virtual token throughput (token CPU bound)", payload / dt / 1e3, "KB/s")
        report(f"  same rate, {DAYS} days", dt * DAYS / VDAYS, "s")
