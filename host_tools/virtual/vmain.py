# A virtual token's main, on the MicroPython unix port: the counterpart of firmware/main.py. It builds
# the stand-ins for the device (vble, vmachine), mounts the flash image, and runs the same
# bzfw.app.App. Run by the supervisor: micropython vmain.py DIR AIR_FD [SET_CLOCK_MS | host]
#   DIR/vtoken.json  settings (speed, block size and count of the vfs partition)
#   DIR/flash.img    the LittleFS image          DIR/clock.json   the virtual clock's anchor
#   DIR/rtcmem.bin   RTC memory                  DIR/adverts.jsonl every advertising change
#   DIR/status.json  the app's counters, rewritten about once a second (real time)
# stdin/stdout are the console (binary sync protocol); stderr is the token's log.
import gc
import json
import os
import select
import sys
import time

import vble
import vfs
import vmachine

from bzfw import board
from bzfw.app import App
from bzfw.clock import Clock
from bzfw.console import Console

sys.modules["bluetooth"] = vble  # firmware modules that `import bluetooth` (for UUID) get the shim

_STATUS_EVERY_NS = 1000000000
_PEER_FRAME = 0xFF  # adv_type of a frame that sets a GATT peer instead of carrying an advert


def _hex(b):
    return None if b is None else "".join(f"{x:02x}" for x in b)


def _log(msg):
    sys.stderr.write(msg + "\n")


class Token:
    def __init__(self, d, air_fd, set_clock_ms):
        self.dir = d
        with open(d + "/vtoken.json") as f:
            self.cfg = json.load(f)
        vmachine.Pin.board_dir = d
        self.vtime = vmachine.VirtualTime(d + "/clock.json", self.cfg.get("speed", 1.0), self.cfg.get("drift_ppm", 0))
        rtc = vmachine.RTC(self.vtime, d + "/rtcmem.bin")
        self.clock = Clock(rtc, self.vtime)
        if set_clock_ms:
            self.clock.set_ms(set_clock_ms)
        self.air = vble.Air(self.vtime.now_ms, self._on_advertise)
        self.ble = vble.BLE(self.air, urandom=os.urandom)
        bdev = vmachine.FileBlockDev(d + "/flash.img", self.cfg["block_size"], self.cfg["block_count"])
        try:
            fs = vfs.VfsLfs2(bdev)
        except OSError:  # as the ESP32 port's _boot.py: an unformatted partition is formatted
            vfs.VfsLfs2.mkfs(bdev)
            fs = vfs.VfsLfs2(bdev)
        vfs.mount(fs, "/flash")
        try:
            b = board.Board(board.load("/flash/board.json"), vmachine.Machine)
        except ValueError as e:
            _log(f"board: {e}")
            b = board.Board(None, vmachine.Machine)
        self._air_in = open(f"/dev/fd/{air_fd}", "rb")  # noqa: SIM115
        self._air_poll = select.poll()
        self._air_poll.register(self._air_in, select.POLLIN)
        self.console = Console(sys.stdin.buffer, sys.stdout.buffer, extra=((self._air_in, self._on_air),),
                               ms_scale=1 / self.vtime.rate)
        self.app = App(self.ble, self.clock, b, self.console, fs_root="/flash/", urandom=os.urandom,
                       deepsleep=self._deepsleep, log=_log)
        self._status_at = 0
        self.boot = self.cfg.get("boot", 0)

    def _on_advertise(self, t_ms, addr, adv, public):
        line = json.dumps({"t": t_ms, "addr": _hex(addr), "adv": _hex(adv), "public": public})
        with open(self.dir + "/adverts.jsonl", "a") as f:
            f.write(line + "\n")

    def _on_air(self):
        # Frames from the supervisor: [n][addr_type][rssi + 128][adv_type][addr 6][data n-9]
        while self._air_poll.poll(0):
            h = self._air_in.read(1)
            if not h:
                self._air_poll.unregister(self._air_in)
                return
            frame = self._air_in.read(h[0])
            if len(frame) < 9:
                continue
            if frame[2] == _PEER_FRAME:  # not an advert: a GATT peer appears (value) or leaves (empty)
                self.air.set_peer(frame[3:9], frame[9:] or None)
                continue
            self.air.inject(frame[3:9], frame[9:], frame[1] - 128, frame[0], frame[2])
        self.air.poll()

    def _deepsleep(self, ms):
        self._status(force=True)
        with open(self.dir + "/sleep_ms", "w") as f:
            f.write(str(int(ms)))
        sys.exit(vmachine.EXIT_DEEPSLEEP)

    def _status(self, force=False):
        t = time.time_ns()
        if not force and (t - self._status_at < _STATUS_EVERY_NS or self._ballast is not None):
            return False
        self._status_at = t
        s = self.app.stats()
        s["adv_id"] = _hex(s.get("adv_id"))
        s["now_ms"] = self.vtime.now_ms()
        s["boot"] = self.boot
        s["air_delivered"] = self.air.delivered
        s["air_missed"] = self.air.missed
        s["led_changes"] = vmachine.Pin.changes
        s["console_rx"] = self.console.rx_bytes
        s["console_tx"] = self.console.tx_bytes
        gc.collect()  # live heap, as the chip would have it after a collection
        s["heap_free"] = gc.mem_free()
        s["heap_alloc"] = gc.mem_alloc()
        if self._ballast is not None:
            s["heap_target"] = True
        vmachine._write_atomic(self.dir + "/status.json", json.dumps(s))
        return False

    def _tick(self):
        self.air.poll()  # a scan's end is due on the virtual clock, not on an event
        if self._ballast is None and _exists(self.dir + "/heap_free_target"):
            self._ballast = _fill_heap(self.dir)  # from now on the token has only that much free
            self._status(force=True)  # the last status.json: writing it costs heap the chip would not spend
        self._status()
        # stdin closed: the supervisor is gone (a token's USB unplugged would not stop it, but an orphaned
        # interpreter must not run on): keep what RAM holds and stop.
        return self.console.closed

    def run(self):
        self._ballast = None
        self.app.start()
        self.app.step()  # the first status (start() waits for it) shows the token's first decisions
        self._status(force=True)
        try:
            self.app.run(until=self._tick)
        except KeyboardInterrupt:  # a graceful stop: persist what RAM holds, as before a power-off
            pass
        self.app.persist(self.app.agg.flush())
        self._status(force=True)


def _exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def _fill_heap(d):
    """Test knob: when a file `heap_free_target` (bytes) appears in the token's directory, take the heap
    until only that much is free (a busy token whose heap is mostly taken: tests/test_sync_lowheap.py).
    Small pieces plug the holes first, so what is left is the free end of the heap, in one piece. Status
    files are no longer written after that (the chip has no such cost)."""
    try:
        with open(d + "/heap_free_target") as f:
            target = int(f.read())
    except (OSError, ValueError):  # not there, or being written: look again at the next pass
        return None
    gc.collect()
    chain = None
    while gc.mem_free() > target + 64:
        chain = [bytearray(16), chain]
    gc.collect()
    return [chain]


def main():
    d = sys.argv[1]
    air_fd = int(sys.argv[2])
    set_clock = 0
    if len(sys.argv) > 3:  # "host": the host's UTC time now, as a station would set it
        set_clock = time.time_ns() // 1000000 if sys.argv[3] == "host" else int(sys.argv[3])
    Token(d, air_fd, set_clock).run()


main()
