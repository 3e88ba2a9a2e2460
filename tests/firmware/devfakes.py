# Device stand-ins for the firmware tests (MicroPython unix port and CPython): a controllable clock
# with the `time` API, an RTC that can lose power, the virtual token's BLE shim (vble) and pins.
import sys
import time

try:
    from host_tools.virtual import vble, vmachine
except ImportError:  # on the MicroPython unix port the shims are plain modules
    sys.path.append("host_tools/virtual")
    import vble
    import vmachine

_EPOCH_2000_MS = 946684800000
_TICKS_MAX = (1 << 30) - 1
_TICKS_HALF = 1 << 29


def days_from_civil(y, m, d):
    # Howard Hinnant's algorithm: days since 1970-01-01 of a proleptic Gregorian date
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


class FakeTime:
    """The time module's API on a clock the test moves. epoch_2000: count like the ESP32 port."""

    def __init__(self, unix_ms=_EPOCH_2000_MS, epoch_2000=True):
        self.ms = unix_ms
        self.epoch_ms = _EPOCH_2000_MS if epoch_2000 else 0

    def time_ns(self):
        return (self.ms - self.epoch_ms) * 1000000

    def gmtime(self, secs=None):
        if secs is None:
            secs = (self.ms - self.epoch_ms) // 1000
        t = time.gmtime(secs + self.epoch_ms // 1000)
        return tuple(t[:8]) if len(t) >= 8 else tuple(t)

    def ticks_ms(self):
        return self.ms & _TICKS_MAX

    def ticks_diff(self, a, b):
        return ((a - b + _TICKS_HALF) & _TICKS_MAX) - _TICKS_HALF

    def sleep_ms(self, ms):
        self.ms += ms

    def advance(self, ms):
        self.ms += ms


class FakeRTC:
    """machine.RTC: datetime() sets the FakeTime; memory() survives until power_loss()."""

    def __init__(self, tm):
        self.tm = tm
        self.mem = b""

    def datetime(self, dt=None):
        if dt is None:
            raise NotImplementedError
        y, mo, d, _wd, h, mi, s, us = dt
        self.tm.ms = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * 1000 + us // 1000)

    def memory(self, data=None):
        if data is None:
            return self.mem
        self.mem = bytes(data)

    def power_loss(self):
        self.mem = b""
        self.tm.ms = _EPOCH_2000_MS  # the RTC restarts at the port's epoch


class FakeConsole:
    """The Console API: input queued by the test, output collected; wait() moves the clock."""

    def __init__(self, tm):
        self.tm = tm
        self.inq = b""
        self.out = b""

    def read(self):
        d = self.inq
        self.inq = b""
        return d

    def write(self, b):
        self.out += bytes(b)
        return len(b)

    def wait(self, ms):
        self.tm.advance(ms)
        return False


class FakeADC(vmachine.ADC):
    uv = 2000000

    def read_uv(self):
        return FakeADC.uv


class FakeMachine:
    Pin = vmachine.Pin
    ADC = FakeADC


BOARD = {
    "name": "test-board",
    "led": {"pin": 8, "active_low": True},
    "button": {"pin": 9, "active_low": True, "pull": "up"},
    "battery": {"adc_pin": 3, "divider": 2},
}


def air_and_ble(tm):
    air = vble.Air(lambda: tm.ms)
    ble = vble.BLE(air)
    return air, ble


_made = []


def file_root(name="t", blocks=32):
    """An empty directory for a token's files: on MicroPython a new LittleFS on a file-backed block device
    mounted at /flash (no heap for the flash itself: the suite shares one heap); on CPython a temp dir."""
    if sys.implementation.name != "micropython":
        import shutil
        import tempfile

        if _made:  # one token at a time: the previous test's directory goes
            shutil.rmtree(_made.pop(), ignore_errors=True)
        _made.append(tempfile.mkdtemp(prefix="bzfw-devtest-"))
        return _made[0] + "/" + name
    import os

    import vfs

    try:
        vfs.umount("/flash")
    except OSError:
        pass
    path = "/tmp/bzfw-devtest-" + "".join(f"{b:02x}" for b in os.urandom(6)) + ".img"
    with open(path, "wb") as f:
        f.seek(4096 * blocks - 1)
        f.write(b"\x00")
    dev = vmachine.FileBlockDev(path, 4096, blocks)
    os.remove(path)  # the open file lives on until the device is dropped: nothing is left behind
    vfs.VfsLfs2.mkfs(dev)
    vfs.mount(vfs.VfsLfs2(dev), "/flash")
    return "/flash/" + name
