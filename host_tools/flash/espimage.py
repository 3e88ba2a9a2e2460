"""Checks on a MicroPython firmware file before any port is opened.

A MicroPython download for an ESP32 chip (micropython.org, e.g. ESP32_GENERIC_C3-*.bin) is a merged image:
the second-stage bootloader at the chip's bootloader offset (0x0 for C3/S3, 0x1000 for the classic ESP32),
the partition table at flash 0x8000, the application at 0x10000. The bootloader starts with an ESP image
header (magic 0xE9) whose extended header names the chip (a 16-bit chip ID at byte 12). The partition table
tells where the `vfs` filesystem partition lives, which is where `bztoken flash` writes the LittleFS image.
"""

import struct
from dataclasses import dataclass

from host_tools.errors import UsageError

ESP_IMAGE_MAGIC = 0xE9
PART_TABLE_OFFSET = 0x8000  # flash address of the partition table (all ESP-IDF based ports)
PART_ENTRY_MAGIC = 0x50AA  # b"\xAA\x50" little-endian
PART_MD5_MAGIC = 0xEBEB
PART_TYPE_DATA = 0x01

# chip name -> (image chip ID in the extended header, flash offset of the bootloader / firmware file)
CHIPS: dict[str, tuple[int, int]] = {
    "esp32": (0, 0x1000),
    "esp32s2": (2, 0x1000),
    "esp32c3": (5, 0x0),
    "esp32s3": (9, 0x0),
    "esp32c2": (12, 0x0),
    "esp32c6": (13, 0x0),
    "esp32h2": (16, 0x0),
}
CHIP_BY_ID = {cid: name for name, (cid, _) in CHIPS.items()}


@dataclass(frozen=True)
class Partition:
    label: str
    type: int
    subtype: int
    offset: int
    size: int


@dataclass(frozen=True)
class FirmwareInfo:
    chip: str
    firmware_offset: int  # where the file goes in flash
    size: int
    partitions: tuple[Partition, ...]

    def partition(self, label: str) -> Partition | None:
        for p in self.partitions:
            if p.label == label:
                return p
        return None


def chip_offset(chip: str) -> int:
    if chip not in CHIPS:
        raise UsageError(f"unknown chip {chip!r}", hint="one of " + ", ".join(sorted(CHIPS)))
    return CHIPS[chip][1]


def parse_partition_table(buf: bytes, where: str = "partition table") -> tuple[Partition, ...]:
    """The ESP-IDF binary partition table: 32-byte entries (magic AA 50), ended by an MD5 entry or 0xFF."""
    parts = []
    for off in range(0, min(len(buf), 0xC00), 32):
        entry = buf[off : off + 32]
        if len(entry) < 32:
            break
        magic = struct.unpack_from("<H", entry)[0]
        if magic == PART_ENTRY_MAGIC:
            ptype, subtype, poff, psize = struct.unpack_from("<BBII", entry, 2)
            label = entry[12:28].split(b"\0", 1)[0].decode("ascii", "replace")
            parts.append(Partition(label, ptype, subtype, poff, psize))
        elif magic == PART_MD5_MAGIC or entry == b"\xff" * 32:
            break
        else:
            raise UsageError(f"{where}: bad entry at byte {off}")
    return tuple(parts)


def check_firmware(data: bytes, chip: str, name: str = "firmware") -> FirmwareInfo:
    """Refuse anything that is not a complete MicroPython/ESP-IDF image for `chip` (UsageError, exit 2)."""
    want_id, fw_off = CHIPS.get(chip, (None, 0))
    if want_id is None:
        raise UsageError(f"unknown chip {chip!r}", hint="one of " + ", ".join(sorted(CHIPS)))
    if len(data) < 24 or data[0] != ESP_IMAGE_MAGIC:
        first = f"0x{data[0]:02X}" if data else "nothing"
        raise UsageError(
            f"{name}: not an ESP firmware image (first byte {first}, expected 0xE9)",
            hint="use the .bin from micropython.org/download for your board, e.g. ESP32_GENERIC_C3",
        )
    got_id = struct.unpack_from("<H", data, 12)[0]
    if got_id != want_id:
        other = CHIP_BY_ID.get(got_id, f"unknown chip ID {got_id}")
        raise UsageError(
            f"{name}: image is for {other}, not {chip}",
            hint=f"download the MicroPython build for {chip}, or pass the right --chip/--board",
        )
    pt_at = PART_TABLE_OFFSET - fw_off
    if len(data) < pt_at + 32 or data[pt_at : pt_at + 2] != b"\xaa\x50":
        raise UsageError(
            f"{name}: no partition table at flash 0x{PART_TABLE_OFFSET:X} (an application-only image?)",
            hint="use the merged firmware .bin (bootloader + partitions + app) from micropython.org",
        )
    parts = parse_partition_table(data[pt_at : pt_at + 0xC00], f"{name}: partition table")
    if not parts:
        raise UsageError(f"{name}: empty partition table at flash 0x{PART_TABLE_OFFSET:X}")
    return FirmwareInfo(chip, fw_off, len(data), parts)


def make_image(chip: str, partitions: list[tuple[str, int, int, int, int]], app_size: int = 0x1000) -> bytes:
    """A minimal merged firmware for tests and benchmarks: bootloader header, partition table, app header.

    partitions: (label, type, subtype, offset, size). Not bootable; it has the shape `check_firmware` reads.
    """
    chip_id, fw_off = CHIPS[chip]
    # header: magic, segments, flash mode (DIO=2), size/freq, entry; extended header with chip_id at byte 12
    boot = bytearray(struct.pack("<BBBBI", ESP_IMAGE_MAGIC, 1, 2, 0x20, 0x403C7000))
    boot += struct.pack("<B3sHBHH4sB", 0xEE, b"\0\0\0", chip_id, 0, 0, 0xFFFF, b"\0" * 4, 0)
    boot += bytes((i * 7 + 3) & 0xFF for i in range(0x800))  # stand-in for the bootloader's code
    out = bytearray(b"\xff" * (PART_TABLE_OFFSET - fw_off))
    out[: len(boot)] = boot
    table = bytearray()
    for label, ptype, subtype, poff, psize in partitions:
        table += struct.pack("<HBBII16sI", PART_ENTRY_MAGIC, ptype, subtype, poff, psize, label.encode(), 0)
    table += b"\xff" * (0xC00 - len(table))
    out += table
    app_at = 0x10000 - fw_off
    out += b"\xff" * (app_at - len(out))
    app = bytearray(struct.pack("<BBBBI", ESP_IMAGE_MAGIC, 1, 2, 0x20, 0x42000000))
    app += struct.pack("<B3sHBHH4sB", 0xEE, b"\0\0\0", chip_id, 0, 0, 0xFFFF, b"\0" * 4, 0)
    app += bytes((i * 13 + 1) & 0xFF for i in range(app_size - len(app)))
    return bytes(out + app)


# MicroPython's partition layouts (ports/esp32/partitions-*.csv) for the generic builds
MICROPYTHON_4MIB = [
    ("nvs", 1, 0x02, 0x9000, 0x6000),
    ("phy_init", 1, 0x01, 0xF000, 0x1000),
    ("factory", 0, 0x00, 0x10000, 0x1F0000),
    ("vfs", 1, 0x81, 0x200000, 0x200000),
]
