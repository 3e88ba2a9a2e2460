"""A token's sync side on CPython, served on a pseudo-terminal: the real SyncServer, LogStore and KeyStore
(bzfw) over a real os.openpty() pair, with only the physical world replaced (clock, button, battery).
For tests and benchmarks of the station side, and line faults: corrupt bytes, garbage, a pulled cable.
The full firmware on the MicroPython unix port is `host_tools.virtual` (engineer "device")."""

import calendar
import os
import select
import threading
import time
import tty

from bzfw import config as fwconfig
from bzfw import syncserver
from bzfw.keystore import KeyStore
from bzfw.logstore import LogStore
from bzfw.syncserver import SyncServer
from host_tools.sync.hostctx import HostTokenCtx


class SimClock:
    """The token's RTC: the station's clock plus an offset that grows by `ppm`; monotonic ticks."""

    def __init__(self, offset_ms: int = 0, ppm: float = 0.0):
        self._base = time.time() * 1000
        self.offset_ms = offset_ms
        self.ppm = ppm
        self.tick_skew = 0  # tests move ticks forward instead of sleeping
        self.set_count = 0

    def now_ms(self) -> int:
        t = time.time() * 1000
        return int(t + self.offset_ms + (t - self._base) * self.ppm / 1e6)

    def set_ms(self, ms: int) -> int:
        old = self.now_ms()
        self.offset_ms += ms - old
        self.set_count += 1
        return ms - old

    def is_set(self) -> bool:
        return True

    def ticks_ms(self) -> int:
        return int(time.monotonic() * 1000) + self.tick_skew

    def ticks_diff(self, a: int, b: int) -> int:
        return a - b


class DriftingRTC:
    """An RTC chip whose count runs `ppm` fast against the world's time (`world`: unix ms, the station's clock),
    as an RC slow clock does; it is both the machine.RTC (datetime, memory) and the time module (time_ns, gmtime,
    ticks) that the token's real clock, bzfw.clock.Clock(rtc, rtc), reads. Unix epoch, as the unix port counts.
    machine.RTC.datetime takes (year, month, day, weekday, hours, minutes, seconds, subseconds in us):
    micropython/micropython ports/esp32/machine_rtc.c, machine_rtc_datetime_helper."""

    def __init__(self, world, ppm: float = 0.0):
        self.world = world
        self.ppm = ppm
        self.mem = b""
        self._w0 = world()
        self._r0 = float(self._w0)

    def raw_ms(self) -> float:
        return self._r0 + (self.world() - self._w0) * (1 + self.ppm / 1e6)

    # machine.RTC
    def datetime(self, dt=None):
        if dt is None:
            raise NotImplementedError
        y, mo, d, _wd, h, mi, s, us = dt
        self._w0 = self.world()
        self._r0 = calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0)) * 1000 + us / 1000

    def memory(self, data=None):
        if data is None:
            return self.mem
        self.mem = bytes(data)

    # the time module
    def time_ns(self) -> int:
        return int(self.raw_ms() * 1e6)

    def gmtime(self, secs=None):
        return time.gmtime(self.raw_ms() // 1000 if secs is None else secs)

    def ticks_ms(self) -> int:
        return int(self.world())

    def ticks_diff(self, a: int, b: int) -> int:
        return a - b

    def sleep_ms(self, ms: int) -> None:
        time.sleep(ms / 1000)


class TokenCtx(HostTokenCtx):
    """The context SyncServer gets (contract: firmware/README.md, "Sync protocol")."""

    def __init__(self, root: str, token_id: str | None, secret: bytes | None, clock: SimClock | None = None,
                 capacity: int = 8 << 20):
        super().__init__()
        os.makedirs(root, exist_ok=True)
        self.fs_root = root.rstrip("/") + "/"
        self.logstore = LogStore(self.fs_root + "log", capacity)
        self.keystore = KeyStore(self.fs_root + "keys", os.urandom)
        self.clock = clock or SimClock()
        self.config = fwconfig.Config({"token_id": token_id} if token_id else None)
        self.secret = secret


class PtyToken:
    """Serves `feed` (a SyncServer's) on the master side of a pty; `.port` is the slave's path."""

    def __init__(self, ctx: TokenCtx, server: SyncServer | None = None):
        self.ctx = ctx
        # Reply buffers of its own, as a chip has: the firmware's module-wide ones would be shared by every pty
        # token of this process, each answering on its own thread, and one token's reply would be overwritten by
        # another's (that token's seq) between feed() and the write, so the station never sees it.
        self.pool = syncserver.new_pool()
        self.server = server or SyncServer(ctx, pool=self.pool)
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        tty.setraw(self.master)
        self.port = os.ttyname(self.slave)
        self.corrupt_every = 0  # flip one byte in every Nth response
        self.drop_after = None  # close the line after this many responses (a pulled cable)
        self.responses = 0
        self.rx = self.tx = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                r, _, _ = select.select([self.master], [], [], 0.05)
                if not r:
                    continue
                data = os.read(self.master, 4096)
            except OSError:
                return
            self.rx += len(data)
            out = self.server.feed(data)
            if not out:
                continue
            self.responses += 1
            if self.corrupt_every and self.responses % self.corrupt_every == 0:
                b = bytearray(out)
                b[len(b) // 2] ^= 0x5A
                out = bytes(b)
            try:
                os.write(self.master, out)
            except OSError:
                return
            self.tx += len(out)
            if self.drop_after is not None and self.responses >= self.drop_after:
                self.kill()
                return

    def inject(self, data: bytes) -> None:
        """Bytes on the line from the token's side (REPL text, garbage)."""
        os.write(self.master, data)

    def reboot(self) -> None:
        """The token restarts: a fresh server (no session), storage reopened from flash."""
        self.ctx.logstore = LogStore(self.ctx.fs_root + "log", self.ctx.logstore.capacity)
        self.ctx.keystore = KeyStore(self.ctx.fs_root + "keys", os.urandom)
        self.server = SyncServer(self.ctx, pool=self.pool)

    def kill(self) -> None:
        """Pull the cable: the master side goes away, the station's port reads EIO."""
        self._stop.set()
        for fd in (self.master,):
            try:
                os.close(fd)
            except OSError:
                pass

    def close(self) -> None:
        self.kill()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=2)
        try:
            os.close(self.slave)
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
