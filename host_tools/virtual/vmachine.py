# The device side of a virtual token, for the MicroPython unix port: a clock that can run faster than
# real time, an RTC whose memory survives deep sleep (a file) but not a power loss, LED/button/ADC
# pins, and a LittleFS block device over a file the size of the real vfs partition.
# Everything is passed to bzfw.app.App by vmain.py, exactly as firmware/main.py passes the real parts.
import json
import os
import time

_TICKS_PERIOD = 1 << 30
_TICKS_MAX = _TICKS_PERIOD - 1
_TICKS_HALF = _TICKS_PERIOD // 2
EXIT_DEEPSLEEP = 75  # vmain exits with this after machine.deepsleep(); the supervisor wakes it later


def _write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


class VirtualTime:
    """The `time` functions the firmware uses, on a virtual clock: virtual = base + (real - t0) * rate, where
    rate = speed * (1 + drift_ppm / 1e6): the world runs `speed` times real time, the token's RTC drifts.

    The anchor lives in DIR/clock.json so the time runs on across deep-sleep restarts of the process.
    """

    def __init__(self, path, speed=1.0, drift_ppm=0):
        self._path = path
        self.speed = speed
        self.rate = speed * (1 + drift_ppm / 1000000)
        self.base_ms = 946684800000  # an RTC after power loss: 2000-01-01
        self.real_ns = time.time_ns()
        try:
            with open(path) as f:
                d = json.load(f)
            self.base_ms = d["base_ms"]
            self.real_ns = d["real_ns"]
            self.speed = d.get("speed", speed)
            self.rate = d.get("rate", self.rate)
        except (OSError, ValueError, KeyError):
            self._save()
        self._t0 = self.now_ms()

    def _save(self):
        d = {"base_ms": self.base_ms, "real_ns": self.real_ns, "speed": self.speed, "rate": self.rate}
        _write_atomic(self._path, json.dumps(d))

    def set_ms(self, ms):
        self.base_ms = ms
        self.real_ns = time.time_ns()
        self._save()

    def now_ms(self):
        return self.base_ms + int((time.time_ns() - self.real_ns) * self.rate) // 1000000

    # -- the time module's API -----------------------------------------------------------------
    def time_ns(self):
        return self.now_ms() * 1000000

    def time(self):
        return self.now_ms() // 1000

    def gmtime(self, secs=None):
        return time.gmtime(self.time() if secs is None else secs)

    def ticks_ms(self):
        return (self.now_ms() - self._t0) & _TICKS_MAX

    def ticks_add(self, t, delta):
        return (t + delta) & _TICKS_MAX

    def ticks_diff(self, a, b):
        return ((a - b + _TICKS_HALF) & _TICKS_MAX) - _TICKS_HALF

    def sleep_ms(self, ms):
        time.sleep_ms(max(0, int(ms / self.rate)))


class RTC:
    """machine.RTC: datetime() sets the virtual clock; memory() is kept in a file (cleared at power-on)."""

    def __init__(self, vtime, mem_path):
        self._t = vtime
        self._mem_path = mem_path

    def datetime(self, dt=None):
        if dt is None:
            t = self._t.gmtime()
            return (t[0], t[1], t[2], t[6], t[3], t[4], t[5], (self._t.now_ms() % 1000) * 1000)
        y, mo, d, _wd, h, mi, s, us = dt
        secs = time.mktime((y, mo, d, h, mi, s, 0, 0))  # the unix port counts from 1970
        self._t.set_ms(secs * 1000 + us // 1000)

    def memory(self, data=None):
        if data is None:
            try:
                with open(self._mem_path, "rb") as f:
                    return f.read()
            except OSError:
                return b""
        if len(data) > 2048:  # the ESP32's RTC memory size
            raise ValueError("RTC memory is 2048 bytes")
        with open(self._mem_path, "wb") as f:
            f.write(data)


class Pin:
    """machine.Pin for outputs (LED: every change is recorded) and inputs (button: read from a file)."""

    IN = 1
    OUT = 3
    PULL_UP = 1
    PULL_DOWN = 2
    board_dir = None  # the virtual token's DIR; set by vmain
    changes = 0

    def __init__(self, pin, mode=IN, pull=None, value=None):
        self.pin = pin
        self.mode = mode
        self.pull = pull
        self._v = 1 if pull == Pin.PULL_UP else 0
        if value is not None:
            self._v = value

    def value(self, v=None):
        if v is None:
            if self.mode == Pin.IN and Pin.board_dir:
                try:  # the button: DIR/pin<N> holds the level a test applies
                    with open(f"{Pin.board_dir}/pin{self.pin}") as f:
                        return int(f.read().strip() or self._v)
                except (OSError, ValueError):
                    pass
            return self._v
        self._v = 1 if v else 0
        Pin.changes += 1
        return None


class ADC:
    """machine.ADC on the battery divider: DIR/adc<N> holds microvolts at the pin (default 2.0 V)."""

    ATTN_11DB = 3

    def __init__(self, pin):
        self.pin = pin.pin

    def atten(self, a):
        pass

    def read_uv(self):
        if Pin.board_dir:
            try:
                with open(f"{Pin.board_dir}/adc{self.pin}") as f:
                    return int(f.read().strip())
            except (OSError, ValueError):
                pass
        return 2000000


class FileBlockDev:
    """A LittleFS block device over a file (the extended interface: offsets within a block)."""

    def __init__(self, path, block_size, block_count):
        self._f = open(path, "r+b")  # noqa: SIM115 (open for the life of the token)
        self.bs = block_size
        self.n = block_count
        self.writes = 0

    def readblocks(self, block, buf, off=0):
        self._f.seek(block * self.bs + off)
        self._f.readinto(buf)

    def writeblocks(self, block, buf, off=None):
        self._f.seek(block * self.bs + (off or 0))
        self._f.write(buf)  # unbuffered: in the OS's hands at once, so a killed token loses nothing written
        self.writes += 1

    def ioctl(self, op, arg):
        if op == 4:
            return self.n
        if op == 5:
            return self.bs
        if op == 6:  # erase: LittleFS does not need the bytes set
            return 0
        return None


class Machine:
    """The subset of the `machine` module bzfw.board uses."""

    Pin = Pin
    ADC = ADC
