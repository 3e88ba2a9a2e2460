# Boot order (firmware/main.py): BLE comes up before the application is imported, on an almost empty heap
# (micropython issue #14293: NimBLE's memory comes from the IDF heap the GC heap grows into). main.py runs
# here against stand-in `bluetooth` and `machine` modules; the stand-in BLE records what was loaded when
# active(True) ran, then stops the boot.
import gc
import sys

from devfakes import FakeTime, air_and_ble, vmachine
from fwtest import eq


class _Booted(SystemExit):
    pass


class _Bluetooth:
    seen = None

    @staticmethod
    def BLE():
        tm = FakeTime(1767225600000)
        _air, ble = air_and_ble(tm)
        real = ble.active

        def active(*a):
            if a and a[0]:
                gc.collect()
                _Bluetooth.seen = ([m for m in sys.modules if m.startswith("bzfw")],
                                   gc.mem_alloc() if hasattr(gc, "mem_alloc") else 0)
                raise _Booted()
            return real(*a)

        ble.active = active
        return ble


def _reset():
    raise AssertionError("main.py failed and reset the token")


class _Machine:
    Pin = vmachine.Pin
    ADC = vmachine.ADC
    reset = staticmethod(_reset)


def _boot():
    saved = {}
    for m in list(sys.modules):
        if m.startswith("bzfw") or m in ("bluetooth", "machine"):
            saved[m] = sys.modules.pop(m)
    sys.modules["bluetooth"] = _Bluetooth
    sys.modules["machine"] = _Machine
    gc.collect()
    base = gc.mem_alloc() if hasattr(gc, "mem_alloc") else 0
    try:
        with open("firmware/main.py") as f:
            src = f.read()
        try:
            exec(src, {"__name__": "__main__"})
            raise AssertionError("main.py did not activate BLE")
        except _Booted:
            pass
    finally:
        for m in list(sys.modules):
            if m.startswith("bzfw") or m in ("bluetooth", "machine"):
                del sys.modules[m]
        sys.modules.update(saved)
    return _Bluetooth.seen, base


def test_ble_comes_up_before_the_application_is_imported():
    (loaded, at), base = _boot()
    eq(loaded, [], "no bzfw module loaded when BLE came up")


def test_ble_comes_up_on_an_almost_empty_heap():
    (loaded, at), base = _boot()
    if sys.implementation.name == "micropython":
        # main.py's own code object and the BLE object: a few KB, not the application (~60 KB of code)
        eq(at - base < 16 * 1024, True, "heap growth before BLE (%d bytes)" % (at - base))
