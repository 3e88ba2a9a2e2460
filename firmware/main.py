# Token entry point on an ESP32: only wires the parts together and hands them to bzfw.app.App.
# Holding the button while the token starts skips the app and leaves the REPL (for mpremote).
import os
import sys
import time

import bluetooth
import machine

from bzfw import board
from bzfw.app import App
from bzfw.clock import Clock
from bzfw.console import Console


def _board():
    try:
        return board.Board(board.load("/board.json"), machine)
    except ValueError:
        return board.Board(None, machine)  # no LED/button/battery: the token still works


def main():
    b = _board()
    if b.button_pressed():
        return  # maintenance: stay in the REPL
    # Ctrl-C stays the keyboard interrupt (engineers stop the app with it): sync frames escape 0x03.
    clock = Clock(machine.RTC(), time)
    console = Console(sys.stdin.buffer, sys.stdout.buffer)
    # BLE first: NimBLE allocates from the IDF heap that MicroPython's GC heap also grows into; started
    # after large Python allocations it can run out (micropython issue #14293, ESP32-C3).
    ble = bluetooth.BLE()
    ble.active(True)
    app = App(ble, clock, b, console, fs_root="/", urandom=os.urandom, deepsleep=machine.deepsleep)
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
