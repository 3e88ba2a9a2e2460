"""Firmware file checks (before any port is opened) and the LittleFS image of the application."""

import json
import struct
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from host_tools.errors import BzError, UsageError
from host_tools.flash import espimage, fsimage, plan

ROOT = Path(__file__).resolve().parent.parent


def test_generic_images_pass_for_their_chip():
    for chip in ("esp32", "esp32c3", "esp32s3"):
        img = espimage.make_image(chip, espimage.MICROPYTHON_4MIB)
        info = espimage.check_firmware(img, chip)
        assert info.firmware_offset == (0x1000 if chip == "esp32" else 0)
        vfs = info.partition("vfs")
        assert (vfs.offset, vfs.size, vfs.type, vfs.subtype) == (0x200000, 0x200000, 1, 0x81)
        assert [p.label for p in info.partitions] == ["nvs", "phy_init", "factory", "vfs"]


@pytest.mark.parametrize("chip,other", [("esp32c3", "esp32s3"), ("esp32c3", "esp32"), ("esp32", "esp32c3")])
def test_wrong_chip_refused(chip, other):
    img = espimage.make_image(other, espimage.MICROPYTHON_4MIB)
    with pytest.raises(UsageError, match=f"image is for {other}, not {chip}"):
        espimage.check_firmware(img, chip)


def test_not_an_image_refused():
    with pytest.raises(UsageError, match="not an ESP firmware image"):
        espimage.check_firmware(b"PK\x03\x04" + bytes(100), "esp32c3")
    with pytest.raises(UsageError, match="not an ESP firmware image"):
        espimage.check_firmware(b"", "esp32c3")


def test_app_only_image_refused():
    app_only = espimage.make_image("esp32c3", espimage.MICROPYTHON_4MIB)[0x10000:]
    with pytest.raises(UsageError, match="no partition table"):
        espimage.check_firmware(app_only, "esp32c3")
    big_app = espimage.make_image("esp32c3", espimage.MICROPYTHON_4MIB, 0x20000)[0x10000:]  # as long as a firmware
    assert len(big_app) > 0x9000
    with pytest.raises(UsageError, match="no partition table at flash 0x8000"):
        espimage.check_firmware(big_app, "esp32c3")


def test_corrupt_partition_table_refused():
    img = bytearray(espimage.make_image("esp32c3", espimage.MICROPYTHON_4MIB))
    img[0x8000 + 32 : 0x8000 + 34] = b"\x12\x34"  # the second entry
    with pytest.raises(UsageError, match="bad entry at byte 32"):
        espimage.check_firmware(bytes(img), "esp32c3")


@given(st.binary(max_size=0x9000), st.sampled_from(sorted(espimage.CHIPS)))
def test_check_never_crashes(data, chip):
    try:
        espimage.check_firmware(data, chip)
    except UsageError:
        pass


@given(st.lists(st.tuples(st.text("abcdefghijklmnop_", min_size=1, max_size=15), st.integers(0, 1),
                          st.integers(0, 255), st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1)), max_size=20))
def test_partition_table_round_trip(entries):
    img = espimage.make_image("esp32c3", entries)
    parts = espimage.check_firmware(img, "esp32c3").partitions if entries else ()
    assert [(p.label, p.type, p.subtype, p.offset, p.size) for p in parts] == entries


def test_image_holds_the_app_and_round_trips():
    files = fsimage.app_files(ROOT / "firmware", "esp32c3")
    assert "/main.py" in files or not (ROOT / "firmware" / "main.py").exists()
    assert "/lib/bzfw/ids.mpy" in files and files["/lib/bzfw/ids.mpy"][:2] == b"M\x06"
    files["/config.json"] = b'{"board":"x"}'
    img = fsimage.build_image(files, 0x200000)
    assert len(img) % fsimage.BLOCK_SIZE == 0 and len(img) < 0x200000 // 4  # the erased tail is left out
    assert fsimage.read_image(img, 0x200000) == files


def test_image_too_small_is_a_clear_error():
    with pytest.raises(BzError, match="do not fit"):
        fsimage.build_image({"/big.bin": bytes(64 * 1024)}, 8 * 4096)


def test_plan_refuses_board_chip_mismatch_and_missing_firmware(tmp_path):
    fw = tmp_path / "fw.bin"
    fw.write_bytes(espimage.make_image("esp32s3", espimage.MICROPYTHON_4MIB))
    with pytest.raises(UsageError, match="does not match board"):
        plan.prepare(str(fw), "esp32-devkitc", chip="esp32s3")
    with pytest.raises(UsageError, match="image is for esp32s3, not esp32"):
        plan.prepare(str(fw), "esp32-devkitc")
    with pytest.raises(UsageError, match="No such file"):
        plan.prepare(str(tmp_path / "missing.bin"), "esp32-devkitc")
    with pytest.raises(UsageError, match="unknown board"):
        plan.prepare(str(fw), "no-such-board")


def test_plan_refuses_vfs_past_flash(tmp_path):
    fw = tmp_path / "fw.bin"
    parts = espimage.MICROPYTHON_4MIB[:3] + [("vfs", 1, 0x81, 0x200000, 0x600000)]  # an 8 MB build
    fw.write_bytes(espimage.make_image("esp32", parts))
    with pytest.raises(UsageError, match="past the 4 MB flash"):
        plan.prepare(str(fw), "esp32-devkitc")


def test_plan_config_checked_by_the_firmware_rules(tmp_path):
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({"profile": "turbo"}))
    with pytest.raises(UsageError, match="unknown profile"):
        plan.load_config(str(cfg), "esp32-devkitc", None)
    assert plan.load_config(None, "esp32-devkitc", "eco") == {"board": "esp32-devkitc", "profile": "eco"}


def test_header_chip_id_is_read_from_byte_12():
    img = bytearray(espimage.make_image("esp32c3", espimage.MICROPYTHON_4MIB))
    assert struct.unpack_from("<H", img, 12)[0] == 5
    img[12] = 9
    with pytest.raises(UsageError, match="esp32s3"):
        espimage.check_firmware(bytes(img), "esp32c3")


def test_plan_refuses_a_layout_the_board_does_not_expect(tmp_path):
    fw = tmp_path / "fw.bin"
    parts = espimage.MICROPYTHON_4MIB[:3] + [("vfs", 1, 0x81, 0x300000, 0x100000)]
    fw.write_bytes(espimage.make_image("esp32", parts))
    with pytest.raises(UsageError, match="board esp32-devkitc expects 0x200000 at 0x200000") as e:
        plan.prepare(str(fw), "esp32-devkitc")
    assert "ESP32_GENERIC" in e.value.hint


def test_fs_only_without_firmware_uses_the_board_partitions(tmp_path):
    p = plan.prepare(None, "esp32s3-devkitc-1", fs_only=True)
    assert [(r.label, r.offset) for r in p.regions] == [("filesystem", 0x200000)] and p.firmware is None
    assert p.vfs.size == 0x600000 and fsimage.read_image(p.regions[0].data, p.vfs.size)["/board.json"]
    with pytest.raises(UsageError, match="--firmware is required"):
        plan.prepare(None, "esp32s3-devkitc-1")
    bare = {k: v for k, v in json.loads((ROOT / "hardware/boards/esp32-devkitc.json").read_text()).items()
            if k != "partitions"}
    (tmp_path / "esp32-devkitc.json").write_text(json.dumps(bare))
    with pytest.raises(UsageError, match="needs partitions.vfs_offset"):
        plan.prepare(None, str(tmp_path / "esp32-devkitc.json"), fs_only=True)
