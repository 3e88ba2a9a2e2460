# Token entry point on an ESP32: brings BLE up, then wires the parts together and hands them to
# bzfw.app.App. Holding the button while the token starts skips the app and leaves the REPL (for mpremote).
#
# Boot order rule: BLE comes up FIRST, before the application is imported. NimBLE allocates its memory
# from the IDF heap, which MicroPython's GC heap also grows into; activated after the application's
# modules and buffers are on the heap it can fail on an ESP32-C3 (micropython issue #14293). So the
# only imports before `ble.active(True)` are `bluetooth` itself (built in), and tests/firmware/test_boot.py
# checks that no bzfw module is loaded when it runs.
import bluetooth

_ble = bluetooth.BLE()
try:
    _ble.active(True)
    _ble_error = None
except OSError as e:  # reported below, once the rest is loaded; the token restarts and tries again
    _ble_error = e

import os  # noqa: E402  (after BLE on purpose: see above)
import sys  # noqa: E402
import time  # noqa: E402

import machine  # noqa: E402

from bzfw import board  # noqa: E402
from bzfw.clock import Clock  # noqa: E402
from bzfw.console import Console  # noqa: E402


def _board():
    try:
        return board.Board(board.load("/board.json"), machine)
    except ValueError:
        return board.Board(None, machine)  # no LED/button/battery: the token still works


def main():
    if _ble_error is not None:
        raise _ble_error
    b = _board()
    if b.button_pressed():
        _ble.active(False)
        return  # maintenance: stay in the REPL
    from bzfw.app import App  # the application, on a heap where BLE already took its memory

    # Ctrl-C stays the keyboard interrupt (engineers stop the app with it): sync frames escape 0x03.
    clock = Clock(machine.RTC(), time)
    console = Console(sys.stdin.buffer, sys.stdout.buffer)
    app = App(_ble, clock, b, console, fs_root="/", urandom=os.urandom, deepsleep=machine.deepsleep)
    try:
        app.run()
    except KeyboardInterrupt:  # an engineer's Ctrl-C: keep what RAM holds, leave the radio off
        app.persist(app.agg.flush())
        app.radio.stop()


try:
    main()
except Exception as e:  # never leave a token dead at the REPL: report, give Ctrl-C a chance, restart
    sys.print_exception(e)
    time.sleep(10)
    machine.reset()
