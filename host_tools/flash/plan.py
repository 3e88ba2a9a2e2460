"""What `bztoken flash` writes, worked out before any port is opened: every input is checked here."""

import json
from dataclasses import dataclass
from pathlib import Path

from bzfw import config as fwconfig
from host_tools.errors import UsageError
from host_tools.flash import boards, espimage, fsimage
from host_tools.flash.flasher import Region

FIRMWARE_DIR = boards.ROOT / "firmware"
VFS_LABEL = "vfs"


@dataclass
class Plan:
    chip: str
    board: dict
    firmware: espimage.FirmwareInfo | None  # None: --fs-only with the board's partitions
    vfs: espimage.Partition
    files: dict[str, bytes]  # what the filesystem image holds
    regions: list[Region]


def check_config(config: dict, where: str) -> dict:
    """The config as the token will read it (bzfw.config); a value it would reject is refused here."""
    from bzfw import config as bzconfig

    c = bzconfig.Config(config)
    if c.error:
        raise UsageError(f"{where}: {c.error}")
    return config


def load_config(path: str | None, board: str, profile: str | None) -> dict:
    cfg: dict = {}
    if path:
        try:
            cfg = json.loads(Path(path).read_text())
        except (OSError, ValueError) as e:
            raise UsageError(f"--config {path}: {e}") from e
        if not isinstance(cfg, dict):
            raise UsageError(f"--config {path}: not a JSON object")
    cfg["board"] = board
    if profile:
        cfg["profile"] = profile
    cfg.setdefault("profile", fwconfig.DEFAULT_PROFILE)
    return check_config(cfg, f"--config {path}" if path else "config")


def _check_firmware(firmware: str, chip: str, board: dict):
    """(bytes, FirmwareInfo, vfs Partition) of a firmware file that fits the chip and board; else UsageError."""
    fw_path = Path(firmware)
    try:
        data = fw_path.read_bytes()
    except OSError as e:
        raise UsageError(f"--firmware {firmware}: {e.strerror or e}") from e
    info = espimage.check_firmware(data, chip, fw_path.name)
    vfs = info.partition(VFS_LABEL)
    if vfs is None or vfs.type != espimage.PART_TYPE_DATA:
        raise UsageError(f"{fw_path.name}: no data partition labelled {VFS_LABEL!r} in its partition table",
                         hint="use a MicroPython build with a LittleFS 'vfs' partition (the generic builds)")
    if vfs.offset + vfs.size > board["flash_size"]:
        raise UsageError(f"{fw_path.name}: its vfs partition ends at 0x{vfs.offset + vfs.size:X}, past the "
                         f"{board['flash_size'] // 1048576} MB flash of {board['name']}",
                         hint=f"use the build for {board.get('micropython_build', board['chip'])}")
    want = board.get("partitions") or {}
    if "vfs_offset" in want and (want["vfs_offset"], want.get("vfs_size", vfs.size)) != (vfs.offset, vfs.size):
        raise UsageError(f"{fw_path.name}: its vfs partition is 0x{vfs.size:X} bytes at 0x{vfs.offset:X}; board "
                         f"{board['name']} expects 0x{want.get('vfs_size', vfs.size):X} at 0x{want['vfs_offset']:X}",
                         hint=f"use the {board.get('micropython_build', 'matching')} build, or fix the board file")
    if info.firmware_offset + len(data) > vfs.offset:
        raise UsageError(f"{fw_path.name}: {len(data)} bytes at 0x{info.firmware_offset:X} overlap the vfs partition")
    return data, info, vfs


def prepare(
    firmware: str | None,
    board_name: str,
    chip: str | None = None,
    config: dict | None = None,
    firmware_dir: Path = FIRMWARE_DIR,
    fs_only: bool = False,
) -> Plan:
    """Check the firmware file against the chip and board, build the filesystem image; raise UsageError
    (exit 2) on anything wrong. `fs_only`: the firmware, when given, is read for its partition table but not
    written; without it the board's partitions say where the filesystem goes."""
    board = boards.load(board_name)
    chip = chip or board["chip"]
    if chip != board["chip"]:
        raise UsageError(f"--chip {chip} does not match board {board['name']} ({board['chip']})")
    data = b""
    info: espimage.FirmwareInfo | None = None
    if firmware:
        data, info, vfs = _check_firmware(firmware, chip, board)
    elif fs_only:  # the board file says where the filesystem lives
        parts = board.get("partitions") or {}
        if "vfs_offset" not in parts or "vfs_size" not in parts:
            raise UsageError(f"--fs-only without --firmware needs partitions.vfs_offset/vfs_size in {board['name']}",
                             hint="give --firmware: its partition table says where the filesystem is")
        vfs = espimage.Partition(VFS_LABEL, espimage.PART_TYPE_DATA, 0x81, parts["vfs_offset"], parts["vfs_size"])
    else:
        raise UsageError("--firmware is required", hint="the MicroPython .bin for the board, see hardware/README.md")
    cfg = check_config(dict(config or {"board": board["name"], "profile": fwconfig.DEFAULT_PROFILE}), "config")
    files = fsimage.app_files(firmware_dir, chip)
    files["/board.json"] = json.dumps(board, sort_keys=True, indent=1).encode()
    files["/config.json"] = fsimage.config_bytes(cfg)
    image = fsimage.build_image(files, vfs.size)
    regions = [] if fs_only or info is None else [Region(info.firmware_offset, data, "firmware")]
    regions.append(Region(vfs.offset, image, "filesystem"))
    return Plan(chip, board, info, vfs, files, regions)
