"""The real token firmware (bzfw.app.App) under CPython on a bumble radio (`mpble`), in its own thread.

Only the physical world is replaced: the clock is wall time plus an offset the station sets through the real
`bzfw.clock.Clock`, the flash is a directory (LogStore/KeyStore use `os` as on the token's LittleFS), the button
is a pin the test holds, the USB console is a pair of byte queues (`serial()`)."""

from __future__ import annotations

import json
import os
import queue
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bzfw import board as fwboard
from bzfw.app import App
from bzfw.clock import Clock
from host_tools.sync.transport import Transport

from . import mpble

_TICKS_MAX = (1 << 30) - 1
_TICKS_HALF = 1 << 29

BOARD = {"name": "blesim", "led": {"pin": 8, "active_low": True}, "button": {"pin": 9, "active_low": True}}


class WallTime:
    """The `time` functions the firmware uses, on the wall clock plus an offset (the RTC's setting)."""

    def __init__(self, unix_ms: int | None = None):
        self.offset_ms = 0 if unix_ms is None else unix_ms - time.time_ns() // 1_000_000

    def time_ns(self) -> int:
        return time.time_ns() + self.offset_ms * 1_000_000

    def gmtime(self, secs: int | None = None):
        return time.gmtime(secs)

    def ticks_ms(self) -> int:
        return (time.monotonic_ns() // 1_000_000) & _TICKS_MAX

    def ticks_diff(self, a: int, b: int) -> int:
        return ((a - b + _TICKS_HALF) & _TICKS_MAX) - _TICKS_HALF

    def sleep_ms(self, ms: int) -> None:
        time.sleep(ms / 1000)


class WallRTC:
    def __init__(self, tm: WallTime, set_: bool):
        self.tm = tm
        self.mem = b"BZCK" if set_ else b""

    def datetime(self, dt: tuple) -> None:
        import calendar

        y, mo, d, _wd, h, mi, s, us = dt
        ms = calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0)) * 1000 + us // 1000
        self.tm.offset_ms = ms - time.time_ns() // 1_000_000

    def memory(self, data: bytes | None = None) -> bytes | None:
        if data is None:
            return self.mem
        self.mem = bytes(data)
        return None


class _Pin:
    IN, OUT, PULL_UP, PULL_DOWN = 1, 3, 1, 2
    levels: dict[int, int] = {}

    def __init__(self, pin: int, mode: int = 1, pull: int | None = None, value: int | None = None):
        self.pin = pin
        self.levels.setdefault(pin, 1 if pull == self.PULL_UP or pull is None else 0)
        if value is not None:
            self.levels[pin] = value

    def value(self, v: int | None = None) -> int | None:
        if v is None:
            return self.levels[self.pin]
        self.levels[self.pin] = v
        return None


class QueueConsole:
    """The USB console as two byte queues (a station on the cable: `SimToken.serial()`); wait() sleeps until
    input arrives or ms pass (the BLE IRQs do not wake it, as on the ESP32)."""

    def __init__(self) -> None:
        self.inq: queue.Queue = queue.Queue()
        self.outq: queue.Queue = queue.Queue()
        self._pending = b""

    def read(self) -> bytes:
        d = self._pending
        self._pending = b""
        while True:
            try:
                d += self.inq.get_nowait()
            except queue.Empty:
                return d

    def write(self, b: bytes) -> int:
        self.outq.put(bytes(b))
        return len(b)

    def wait(self, ms: int) -> bool:
        try:
            self._pending += self.inq.get(timeout=max(ms, 1) / 1000)
            return True
        except queue.Empty:
            return False


class SerialLink(Transport):
    """The station's end of the cable (the Transport the sync client runs on)."""

    name = "sim-serial"

    def __init__(self, console: QueueConsole):
        self._c = console

    def write(self, data: bytes) -> None:
        self._c.inq.put(bytes(data))

    def read(self, timeout: float) -> bytes:
        try:
            d = self._c.outq.get(timeout=max(timeout, 0.001))
        except queue.Empty:
            return b""
        while True:
            try:
                d += self._c.outq.get_nowait()
            except queue.Empty:
                return d


class SimToken:
    """A token on the simulated air, running its firmware until stop()."""

    def __init__(self, world: Any, name: str = "token", position=(0.0, 0.0), token_id: str | None = "BZT-0001",
                 secret: bytes | None = None, config: dict | None = None, clock_ms: int | None = None,
                 root: str | None = None, mtu: int | None = None):
        mpble.install()
        self.world = world
        self.tmp = None if root is not None else tempfile.TemporaryDirectory(prefix="bzble-")
        self.root = Path(root if root is not None else self.tmp.name)  # type: ignore[union-attr]
        (self.root / "log").mkdir(exist_ok=True)
        (self.root / "keys").mkdir(exist_ok=True)
        cfg = dict(config or {})
        if token_id is not None:
            cfg.setdefault("token_id", token_id)
        (self.root / "config.json").write_text(json.dumps(cfg))
        if secret is not None:
            (self.root / "secret").write_bytes(secret)
        self.tm = WallTime(clock_ms)
        self.rtc = WallRTC(self.tm, clock_ms is not None)
        self.clock = Clock(self.rtc, self.tm)
        self.ble = mpble.BLE(world, name=name, position=position, mac=os.urandom(6), urandom=os.urandom)
        self._mtu = mtu  # overrides the MTU the firmware offers (benchmarks)
        self.pins = _Pin

        class _Machine:
            Pin = _Pin

            class ADC:
                def __init__(self, *a: Any):
                    pass

                def read_uv(self) -> int:
                    return 2_000_000

        self.board = fwboard.Board(BOARD, _Machine)
        self.logs: list[str] = []
        self.console = QueueConsole()
        self.app = App(self.ble, self.clock, self.board, self.console, fs_root=str(self.root) + "/",
                       urandom=os.urandom, deepsleep=None, log=self.logs.append)
        self._stop = threading.Event()
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def serial(self) -> SerialLink:
        """A station on the USB cable."""
        return SerialLink(self.console)

    # -- the wearer -------------------------------------------------------------------------------
    def hold_button(self, seconds: float) -> None:
        _Pin.levels[9] = 0
        try:
            time.sleep(seconds)
        finally:
            _Pin.levels[9] = 1

    def hold_until_syncing(self, timeout: float = 5.0) -> float:
        """Hold the button until the LED shows sync mode (as a wearer is told to); returns the seconds held."""
        t0 = time.monotonic()
        _Pin.levels[9] = 0
        try:
            self.wait_for(lambda: self.board.pattern == "syncing", timeout, "the LED to show sync mode")
        finally:
            _Pin.levels[9] = 1
        return time.monotonic() - t0

    # -- run ----------------------------------------------------------------------------------------
    def start(self) -> SimToken:
        self.app.start()
        if self._mtu is not None:
            self.ble.config(mtu=self._mtu)

        def run() -> None:
            try:
                self.app.run(until=self._stop.is_set)
            except BaseException as e:  # surfaced by stop()
                self.error = e

        self.thread = threading.Thread(target=run, name="token-main", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self.thread is not None:
            self.thread.join(10)
        if self.ble.irq_errors:
            raise AssertionError("IRQ handler raised:\n" + self.ble.irq_errors[0])
        if self.error is not None:
            raise self.error

    def wait_for(self, cond, timeout: float = 10.0, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; stats {self.app.stats()}")
            if self.error is not None:
                raise self.error
            time.sleep(0.01)

    def close(self) -> None:
        if self.tmp is not None:
            self.tmp.cleanup()

    def __enter__(self) -> SimToken:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        try:
            self.stop()
        finally:
            self.close()
