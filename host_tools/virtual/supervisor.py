"""The process behind a running virtual token (started by host_tools.virtual.start, one per DIR).

It runs the firmware on the MicroPython unix port (vmain.py) with the console on pipes, and:
- bridges a pseudo-terminal (DIR/port names its slave, in raw mode) to the token's stdin/stdout, byte for
  byte, as a USB serial port would;
- relays adverts injected into DIR/air.sock (datagrams, see host_tools.virtual.inject) to the token's air;
- wakes the token after a deep sleep (the process exits with EXIT_DEEPSLEEP after writing DIR/sleep_ms)
  and restarts it after a crash, keeping RTC memory, the clock and the flash image, as a reset would;
- on SIGTERM stops it gracefully (SIGINT: the token persists what RAM holds), on SIGUSR1 cuts its power;
- stops it when the process that owns it (vtoken.json "owner_pid", set by VirtualToken) is gone.
"""

import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import time
import tty
from pathlib import Path

from host_tools.virtual import process_alive

EXIT_DEEPSLEEP = 75  # vmachine.EXIT_DEEPSLEEP
_MAX_PENDING = 1 << 20
_MAX_QUICK_CRASHES = 5


class Supervisor:
    def __init__(self, d: Path):
        self.dir = d
        self.cfg = json.loads((d / "vtoken.json").read_text())
        self.speed = float(self.cfg.get("speed", 1.0))
        self.rate = self.speed * (1 + float(self.cfg.get("drift_ppm", 0)) / 1e6)  # the token's RTC
        self.sel = selectors.DefaultSelector()
        self.child: subprocess.Popen | None = None
        self.pending = bytearray()  # token -> port, waiting for the pty to drain
        self.dropped_console = 0
        self.stop_mode: str | None = None
        self.boot = 0
        self.log = open(d / "supervisor.log", "a", buffering=1)  # noqa: SIM115

    def say(self, msg: str) -> None:
        self.log.write(f"{time.strftime('%H:%M:%S')} {msg}\n")

    # -- setup -------------------------------------------------------------------------------------
    def open_port(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)  # no echo, no line-ending rewriting: binary frames pass untouched
        os.set_blocking(self.master, False)
        self.port = os.ttyname(self.slave)  # we keep the slave open so the master never sees EIO
        self.sel.register(self.master, selectors.EVENT_READ, "port")

    def open_air(self) -> None:
        path = self.dir / "air.sock"
        path.unlink(missing_ok=True)
        self.air = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.air.bind(str(path))
        self.air.setblocking(False)
        self.sel.register(self.air, selectors.EVENT_READ, "air")
        self.air_r, self.air_w = os.pipe()
        os.set_blocking(self.air_w, False)

    def spawn(self, set_clock_ms: int | str | None) -> None:
        cfg = self.cfg
        cfg["boot"] = self.boot
        (self.dir / "vtoken.json").write_text(json.dumps(cfg))
        args = [cfg["micropython"], "-X", f"heapsize={cfg['heap']}", cfg["vmain"], str(self.dir), str(self.air_r)]
        if set_clock_ms:
            args.append(str(set_clock_ms))
        env = dict(os.environ, MICROPYPATH=cfg["micropypath"])
        with open(self.dir / "console.log", "ab") as err:
            self.child = subprocess.Popen(
                args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, env=env,
                pass_fds=(self.air_r,), cwd=self.dir,
            )
        assert self.child.stdout is not None
        os.set_blocking(self.child.stdout.fileno(), False)
        self.sel.register(self.child.stdout, selectors.EVENT_READ, "stdout")
        self.say(f"boot {self.boot}: pid {self.child.pid}")

    # -- pumping -----------------------------------------------------------------------------------
    def _to_port(self, data: bytes) -> None:
        self.pending += data
        if len(self.pending) > _MAX_PENDING:  # nobody reads the port: drop the oldest, as a UART would
            cut = len(self.pending) - _MAX_PENDING
            del self.pending[:cut]
            self.dropped_console += cut
        self._flush_port()

    def _flush_port(self) -> None:
        while self.pending:
            try:
                n = os.write(self.master, self.pending)
            except BlockingIOError:
                break
            del self.pending[:n]

    def pump(self, timeout: float) -> None:
        for key, _ in self.sel.select(timeout):
            what = key.data
            if what == "port":
                try:
                    data = os.read(self.master, 4096)
                except (BlockingIOError, OSError):
                    continue
                if data and self.child is not None and self.child.poll() is None and self.child.stdin:
                    try:
                        self.child.stdin.write(data)
                        self.child.stdin.flush()
                    except (BrokenPipeError, OSError):
                        pass
            elif what == "stdout":
                try:
                    data = os.read(key.fd, 4096)
                except BlockingIOError:
                    continue
                if data:
                    self._to_port(data)
                else:
                    self.sel.unregister(key.fileobj)
            elif what == "air":
                try:
                    frame = self.air.recv(512)
                except BlockingIOError:
                    continue
                if self.child is not None and self.child.poll() is None:
                    try:
                        os.write(self.air_w, frame)
                    except BlockingIOError:
                        pass  # the token is not reading its air: the advert is lost, as on a busy radio
        if self.pending:
            self._flush_port()

    def _reap(self) -> int:
        assert self.child is not None
        rc = self.child.wait()
        try:
            self.sel.unregister(self.child.stdout)
        except (KeyError, ValueError):
            pass
        if self.child.stdin:
            try:
                self.child.stdin.close()
            except OSError:
                pass
        if self.child.stdout:
            self.child.stdout.close()
        self.child = None
        return rc

    def run(self, set_clock_ms: int | str | None) -> int:
        self.open_port()
        self.open_air()
        signal.signal(signal.SIGTERM, lambda *_: setattr(self, "stop_mode", "graceful"))
        signal.signal(signal.SIGINT, lambda *_: setattr(self, "stop_mode", "graceful"))
        signal.signal(signal.SIGUSR1, lambda *_: setattr(self, "stop_mode", "cut"))
        (self.dir / "pid").write_text(str(os.getpid()))
        self.spawn(set_clock_ms)
        (self.dir / "port").write_text(self.port + "\n")
        crashes = []
        sleep_until = None
        rc = 0
        owner = self.cfg.get("owner_pid")
        owner_checked = time.monotonic()
        while True:
            if owner and time.monotonic() - owner_checked > 1:
                owner_checked = time.monotonic()
                if not process_alive(owner):
                    self.say(f"owner {owner} is gone: stopping")
                    self.stop_mode = "graceful"
            if self.stop_mode:
                self._stop_child()
                break
            self.pump(0.05)
            if self.child is not None and self.child.poll() is not None:
                code = self._reap()
                if code == EXIT_DEEPSLEEP:
                    ms = int((self.dir / "sleep_ms").read_text() or 0)
                    sleep_until = time.monotonic() + ms / 1000 / self.rate
                    self.say(f"deep sleep {ms} ms")
                else:
                    self.say(f"token exited with {code}: restarting (a reset)")
                    now = time.monotonic()
                    crashes = [t for t in crashes if now - t < 30] + [now]
                    if len(crashes) >= _MAX_QUICK_CRASHES:
                        self.say("token keeps crashing: giving up (see console.log)")
                        rc = 1
                        break
                    sleep_until = now + 0.2
            if self.child is None and sleep_until is not None and time.monotonic() >= sleep_until:
                sleep_until = None
                self.boot += 1
                self.spawn(None)
        self.cleanup()
        return rc

    def _stop_child(self) -> None:
        c = self.child
        if c is None:
            return
        if self.stop_mode == "cut":
            c.kill()
        else:
            c.send_signal(signal.SIGINT)
            deadline = time.monotonic() + 10
            while c.poll() is None and time.monotonic() < deadline:
                self.pump(0.02)
            if c.poll() is None:
                c.kill()
        self.say(f"stopped ({self.stop_mode}): exit {self._reap()}")

    def cleanup(self) -> None:
        for name in ("port", "pid", "air.sock"):
            (self.dir / name).unlink(missing_ok=True)
        for fd in (self.master, self.slave, self.air_r, self.air_w):
            try:
                os.close(fd)
            except OSError:
                pass
        self.air.close()


def main(argv: list[str]) -> int:
    d = Path(argv[0]).resolve()
    set_clock: int | str | None = None
    if len(argv) > 1 and argv[1] != "0":
        set_clock = argv[1] if argv[1] == "host" else int(argv[1])
    return Supervisor(d).run(set_clock)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
