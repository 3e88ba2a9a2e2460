"""`bztoken flash` end to end: the real esptool against an emulated ROM loader on a pty, then the filesystem
read back from the emulated flash and mounted by the MicroPython unix port's vfs.VfsLfs2."""

import json
import os
import sys
from pathlib import Path

import pytest

from bzfw import config as fwconfig
from host_tools.cli import main
from host_tools.flash import boards, espimage, fsimage

sys.path.insert(0, str(Path(__file__).parent))
from conftest import MICROPYTHON, ROOT  # noqa: E402
from esp_rom_emulator import EspRomEmulator  # noqa: E402

C3 = {
    "name": "esp32c3-supermini", "chip": "esp32c3", "flash_size": 4194304, "usb": "usb-serial-jtag",
    "led": {"pin": 8, "active_low": True}, "button": {"pin": 9, "active_low": True},
}


@pytest.fixture
def c3_board(tmp_path):
    """The repository's C3 SuperMini definition, or a stand-in with the same name until it exists."""
    if "esp32c3-supermini" in boards.names():
        return "esp32c3-supermini"
    p = tmp_path / "esp32c3-supermini.json"
    p.write_text(json.dumps(C3))
    return str(p)


def firmware(tmp_path, chip, parts=espimage.MICROPYTHON_4MIB, app=0x6000):
    img = espimage.make_image(chip, parts, app)
    p = tmp_path / f"fw-{chip}.bin"
    p.write_bytes(img)
    return p, img


def flash(emu, board, fw, *extra):
    return main(["flash", "--port", emu.port, "--board", board, "--firmware", str(fw),
                 "--before", "no-reset", "--after", "no-reset", "--json", *extra])


MOUNT = r"""
import vfs, os, sys, json
SIZE = %(size)d
class Dev:
    def __init__(self, path):
        self.d = bytearray(SIZE)
        for i in range(SIZE):  # what an old filesystem left behind: never 0xFF
            self.d[i] = (i * 7 + 1) & 0xFF
        f = open(path, "rb")
        n = f.readinto(memoryview(self.d))
        f.close()
        print("image", n)
    def readblocks(self, n, buf, off=0):
        s = n * 4096 + off
        buf[:] = self.d[s:s + len(buf)]
    def writeblocks(self, n, buf, off=None):
        s = n * 4096 + (off or 0)
        self.d[s:s + len(buf)] = buf
    def ioctl(self, op, arg):
        if op == 4: return SIZE // 4096
        if op == 5: return 4096
        if op == 6:
            self.d[arg * 4096:(arg + 1) * 4096] = b"\xff" * 4096
            return 0
        return 0
dev = Dev(%(path)r)
vfs.mount(dev, "/flash")  # autodetect, as the ESP32 port's _boot.py mounts the vfs partition
print("files", sorted(os.listdir("/flash")), sorted(os.listdir("/flash/lib/bzfw")))
print("config", json.dumps(json.load(open("/flash/config.json"))))
print("board", json.load(open("/flash/board.json"))["name"])
sys.path.insert(0, "/flash/lib")
import bzfw.ids
print("ids", bzfw.ids.__file__, len(bzfw.ids.day_ids(bytes(32))))
for i in range(200):  # the token keeps writing: allocations must not trip over the unwritten tail
    f = open("/flash/log%%d" %% (i %% 20), "ab")
    f.write(bytes(900))
    f.close()
vfs.umount("/flash")
vfs.mount(vfs.VfsLfs2(dev), "/flash")
print("after", os.stat("/flash/log3")[6], open("/flash/config.json").read() == %(cfg)r)
"""


def mount_on_micropython(tmp_path, image: bytes, size: int, cfg: str):
    import subprocess

    img = tmp_path / "vfs.bin"
    img.write_bytes(image)
    script = MOUNT % {"size": size, "path": str(img), "cfg": cfg}
    r = subprocess.run([MICROPYTHON, "-X", "heapsize=8m", "-c", script], capture_output=True, text=True, timeout=120,
                       cwd=ROOT, env=dict(os.environ, MICROPYPATH=""))
    assert r.returncode == 0, r.stdout + r.stderr
    return dict(line.split(" ", 1) for line in r.stdout.strip().splitlines())


@pytest.mark.parametrize("stub", [False, True], ids=["rom", "stub"])
def test_flash_c3_writes_firmware_at_0_and_the_filesystem_at_vfs(tmp_path, capsys, c3_board, stub):
    fw, img = firmware(tmp_path, "esp32c3")
    with EspRomEmulator("esp32c3") as emu:
        rc = flash(emu, c3_board, fw, *([] if stub else ["--no-stub"]))
        out, err = capsys.readouterr()
        assert rc == 0, err
        assert ("MEM_END" in emu.commands) == stub  # the stub was uploaded only on the stub path
        assert ("FLASH_DEFL_DATA" in emu.commands) == stub and "SPI_FLASH_MD5" in emu.commands
        flash_mem = bytes(emu.flash)
    summary = json.loads(out)
    assert summary["verified"] and summary["chip"] == "esp32c3"
    assert flash_mem[: len(img)] == img  # byte for byte at 0x0 (header untouched: flash params kept)
    assert flash_mem[len(img) : 0x200000] == b"\xff" * (0x200000 - len(img))  # nothing else written
    fs = fsimage.read_image(flash_mem[0x200000:0x400000])
    assert json.loads(fs["/config.json"]) == {"board": "esp32c3-supermini", "profile": fwconfig.DEFAULT_PROFILE}
    assert json.loads(fs["/board.json"])["chip"] == "esp32c3"
    assert fs["/lib/bzfw/ids.mpy"][:2] == b"M\x06"
    if (ROOT / "firmware" / "main.py").exists():
        assert fs["/main.py"] == (ROOT / "firmware" / "main.py").read_bytes()
    if stub:
        got = mount_on_micropython(tmp_path, flash_mem[0x200000 : 0x200000 + summary["regions"][1]["size"]],
                                   0x200000, fs["/config.json"].decode())
        assert "'config.json'" in got["files"] and "'board.json'" in got["files"] and "'ids.mpy'" in got["files"]
        assert json.loads(got["config"])["board"] == "esp32c3-supermini"
        assert got["board"] == "esp32c3-supermini"
        assert got["ids"] == "/flash/lib/bzfw/ids.mpy 96"
        assert got["after"] == "9000 True"  # 10 appends of 900 bytes


def test_flash_classic_esp32_firmware_at_0x1000(tmp_path, capsys):
    fw, img = firmware(tmp_path, "esp32")
    with EspRomEmulator("esp32") as emu:
        assert flash(emu, "esp32-devkitc", fw, "--no-stub") == 0
        flash_mem = bytes(emu.flash)
    assert flash_mem[:0x1000] == b"\xff" * 0x1000
    assert flash_mem[0x1000 : 0x1000 + len(img)] == img
    cfg = fsimage.read_image(flash_mem[0x200000:])["/config.json"]
    # the firmware's own default profile (one source: bzfw.config.DEFAULT_PROFILE)
    assert json.loads(cfg) == {"board": "esp32-devkitc", "profile": fwconfig.DEFAULT_PROFILE}


def test_flash_s3_eight_megabytes(tmp_path, capsys):
    parts = espimage.MICROPYTHON_4MIB[:3] + [("vfs", 1, 0x81, 0x200000, 0x600000)]
    fw, img = firmware(tmp_path, "esp32s3", parts)
    with EspRomEmulator("esp32s3", flash_size=0x800000) as emu:
        assert flash(emu, "esp32s3-devkitc-1", fw, "--profile", "eco") == 0
        flash_mem = bytes(emu.flash)
    assert flash_mem[: len(img)] == img
    fs = fsimage.read_image(flash_mem[0x200000:])
    assert json.loads(fs["/config.json"])["profile"] == "eco"


@pytest.mark.parametrize("what", ["wrong-chip", "not-an-image"])
def test_bad_firmware_refused_before_the_port_is_opened(tmp_path, capsys, c3_board, what):
    if what == "wrong-chip":
        fw, _ = firmware(tmp_path, "esp32s3")
    else:
        fw = tmp_path / "fw.bin"
        fw.write_bytes(b"\x7fELF" + bytes(0x9000))
    with EspRomEmulator("esp32c3") as emu:
        rc = flash(emu, c3_board, fw)
        assert emu.commands == []  # nothing reached the port
    _, err = capsys.readouterr()
    assert rc == 2
    assert err.startswith("bztoken: fw") and len(err.strip().splitlines()) == 2  # message + hint, no traceback
    # a port that does not exist: still exit 2, so the check came first
    assert main(["flash", "--port", str(tmp_path / "no-tty"), "--board", c3_board, "--firmware", str(fw)]) == 2


def test_no_bootloader_on_the_port_is_a_link_error(tmp_path, capsys, c3_board):
    fw, _ = firmware(tmp_path, "esp32c3")
    rc = main(["flash", "--port", str(tmp_path / "no-tty"), "--board", c3_board, "--firmware", str(fw),
               "--before", "no-reset"])
    _, err = capsys.readouterr()
    assert rc == 4 and "no esp32c3 bootloader answered" in err


def test_pulled_cable_mid_write_fails_cleanly_and_a_rerun_succeeds(tmp_path, capsys, c3_board):
    fw, img = firmware(tmp_path, "esp32c3")
    with EspRomEmulator("esp32c3") as emu:
        emu.fail_after_writes = 20
        rc = flash(emu, c3_board, fw, "--no-stub")
        _, err = capsys.readouterr()
        assert rc in (1, 4) and err.count("\n") <= 2 and "Traceback" not in err
        emu.fail_after_writes = None
        emu.reset()
        assert flash(emu, c3_board, fw, "--no-stub") == 0
        assert bytes(emu.flash[: len(img)]) == img


def test_dry_run_opens_nothing(tmp_path, capsys, c3_board):
    fw, _ = firmware(tmp_path, "esp32c3")
    assert main(["flash", "--board", c3_board, "--firmware", str(fw), "--dry-run"]) == 0
    out, _ = capsys.readouterr()
    assert "would write firmware" in out and "at 0x200000" in out


def test_a_bad_flash_cell_fails_verification(tmp_path, capsys, c3_board):
    fw, img = firmware(tmp_path, "esp32c3")
    addr = next(i for i in range(0x100, len(img)) if img[i] & 1 == 0)  # a byte whose bit 0 must be written to 0
    with EspRomEmulator("esp32c3") as emu:
        emu.stuck_bit = addr
        rc = flash(emu, c3_board, fw)
    _, err = capsys.readouterr()
    assert rc == 1 and "bztoken: could not write firmware at 0x0" in err and "Traceback" not in err


def test_progress_reaches_the_total(tmp_path):
    from host_tools.flash import flasher

    seen = []
    regions = [flasher.Region(0, espimage.make_image("esp32c3", espimage.MICROPYTHON_4MIB), "firmware"),
               flasher.Region(0x200000, bytes(range(256)) * 64, "filesystem")]
    total = sum(len(r.data) for r in regions)
    with EspRomEmulator("esp32c3") as emu:
        res = flasher.write_regions(emu.port, "esp32c3", regions, before="no-reset", after="no-reset",
                                    progress=lambda d, t, label: seen.append((d, t, label)))
    assert res.stub and res.flash_size == "4MB"
    assert [w["label"] for w in res.written] == ["firmware", "filesystem"]
    assert seen and all(t == total for _, t, _ in seen)
    dones = [d for d, _, _ in seen]
    assert dones == sorted(dones) and dones[-1] == total
    assert {label for _, _, label in seen} == {"firmware", "filesystem"}


def test_fs_only_leaves_the_firmware_alone(tmp_path, capsys, c3_board):
    fw, img = firmware(tmp_path, "esp32c3")
    with EspRomEmulator("esp32c3") as emu:
        emu.flash[:4] = b"MPY!"  # what an earlier flash left there
        assert flash(emu, c3_board, fw, "--fs-only", "--profile", "eco") == 0
        flash_mem = bytes(emu.flash)
    assert flash_mem[:4] == b"MPY!"
    (region,) = json.loads(capsys.readouterr()[0])["regions"]
    assert (region["label"], region["offset"]) == ("filesystem", 0x200000) and region["size"] < 0x40000
    assert flash_mem[0x200000 + region["size"] : 0x400000] == b"\xff" * (0x200000 - region["size"])
    assert json.loads(fsimage.read_image(flash_mem[0x200000:0x400000])["/config.json"])["profile"] == "eco"


@pytest.mark.slow
@pytest.mark.parametrize("stub", [False, True], ids=["rom", "stub"])
def test_full_size_firmware_and_read_back_with_esptool(tmp_path, capsys, c3_board, stub):
    """A firmware as large as MicroPython's C3 build, then esptool's own read-flash of both regions."""
    import esptool

    img = bytearray(espimage.make_image("esp32c3", espimage.MICROPYTHON_4MIB, 0x1A0000))
    img[0x20000:0x80000] = os.urandom(0x60000)  # less compressible, like real code
    fw = tmp_path / "fw.bin"
    fw.write_bytes(bytes(img))
    with EspRomEmulator("esp32c3") as emu:
        assert flash(emu, c3_board, fw, *([] if stub else ["--no-stub"])) == 0
        fs_size = json.loads(capsys.readouterr()[0])["regions"][1]["size"]
        emu.reset()
        out = tmp_path / "read.bin"
        esptool.main(["--chip", "esp32c3", "--port", emu.port, "--before", "no-reset", "--after", "no-reset",
                      "read-flash", "0x0", hex(0x200000 + fs_size), str(out)])
    back = out.read_bytes()
    assert back[: len(img)] == bytes(img)
    assert json.loads(fsimage.read_image(back[0x200000:], 0x200000)["/config.json"])["board"] == "esp32c3-supermini"
