"""An emulated ESP32-family serial ROM loader on a pseudo-terminal, for driving the real esptool.

Only the chip is replaced: esptool (Python API or CLI) opens `emu.port` like a USB serial port and speaks the
ROM protocol (SLIP frames, command/response with 4 status bytes) and, after uploading its flasher stub, the
stub protocol (2 status bytes, compressed writes, streamed reads, raw MD5). The flash is a bytearray with NOR
semantics: erase sets 0xFF, a write can only clear bits. Registers are a dict (unknown ones read 0) plus the
SPI "user command" used to read the flash JEDEC ID.

    with EspRomEmulator("esp32c3") as emu:
        esptool.main(["--chip", "esp32c3", "--port", emu.port, "--before", "no-reset", "--after", "no-reset",
                      "write-flash", "0x0", "fw.bin"])
        assert emu.flash[:n] == data

`emu.commands` records every command name received (to tell the ROM path from the stub path); `emu.reset()`
returns to the ROM loader (a chip left in the stub fails a later --no-stub session, as on hardware);
`emu.fail_after_writes = N` drops the link after N flash data blocks (a pulled cable); `emu.stuck_bit = ADDR`
keeps bit 0 of that flash byte at 1 (a worn cell, which the flash MD5 verification must catch).
"""

import hashlib
import os
import select
import struct
import threading
import tty
import zlib

SECTOR = 0x1000
MAGIC_REG = 0x40001000  # CHIP_DETECT_MAGIC_REG_ADDR: read by chips without a chip ID in GET_SECURITY_INFO
JEDEC = {0x100000: 0x1440EF, 0x200000: 0x1540EF, 0x400000: 0x1640EF, 0x800000: 0x1740EF, 0x1000000: 0x1840EF}

NAMES = {
    0x02: "FLASH_BEGIN", 0x03: "FLASH_DATA", 0x04: "FLASH_END", 0x05: "MEM_BEGIN", 0x06: "MEM_END",
    0x07: "MEM_DATA", 0x08: "SYNC", 0x09: "WRITE_REG", 0x0A: "READ_REG", 0x0B: "SPI_SET_PARAMS",
    0x0D: "SPI_ATTACH", 0x0E: "READ_FLASH_SLOW", 0x0F: "CHANGE_BAUDRATE", 0x10: "FLASH_DEFL_BEGIN",
    0x11: "FLASH_DEFL_DATA", 0x12: "FLASH_DEFL_END", 0x13: "SPI_FLASH_MD5", 0x14: "GET_SECURITY_INFO",
    0xD0: "ERASE_FLASH", 0xD1: "ERASE_REGION", 0xD2: "READ_FLASH",
}


class LinkDropped(Exception):
    pass


class EspRomEmulator:
    def __init__(self, chip: str = "esp32c3", flash_size: int = 0x400000):
        from esptool.targets import CHIP_DEFS

        self.chip = chip
        self.cls = CHIP_DEFS[chip]
        self.flash = bytearray(b"\xff" * flash_size)
        self.flash_size = flash_size
        self.commands: list[str] = []
        self.fail_after_writes: int | None = None
        self.stuck_bit: int | None = None  # a flash address whose bit 0 stays 1 (a worn cell): verify must catch it
        self._writes = 0
        self.reset()
        self._master, self._slave = os.openpty()
        tty.setraw(self._master)
        tty.setraw(self._slave)  # the slave stays open here: closing it would give EIO between sessions
        self.port = os.ttyname(self._slave)
        self._stop = threading.Event()
        self._rx = bytearray()
        self._thread = threading.Thread(target=self._serve, name=f"esp-rom-{chip}", daemon=True)
        self._thread.start()

    # --- lifecycle ---------------------------------------------------------------------------------
    def reset(self) -> None:
        """Power-cycle into the ROM loader: the stub and any write in progress are gone, the flash stays."""
        self.stub = False
        self.regs: dict[int, int] = {}
        if self.cls.USES_MAGIC_VALUE and self.cls.MAGIC_VALUE is not None:
            magic = self.cls.MAGIC_VALUE
            self.regs[MAGIC_REG] = magic[0] if isinstance(magic, (list, tuple)) else magic
        clkdiv = getattr(self.cls, "UART_CLKDIV_REG", None)
        if clkdiv is not None:  # a 40 MHz crystal at the ROM's 115200 baud
            self.regs[clkdiv] = 40_000_000 // 115200 // getattr(self.cls, "XTAL_CLK_DIVIDER", 1)
        self._write: dict | None = None

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for fd in (self._master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    # --- SLIP over the pty ------------------------------------------------------------------------
    def _send(self, payload: bytes) -> None:
        buf = b"\xc0" + payload.replace(b"\xdb", b"\xdb\xdd").replace(b"\xc0", b"\xdb\xdc") + b"\xc0"
        view = memoryview(buf)
        while view:
            try:
                n = os.write(self._master, view)
            except BlockingIOError:
                select.select([], [self._master], [], 0.1)
                continue
            view = view[n:]

    def _frames(self):
        """SLIP frames from the host, forever (until stop)."""
        frame = bytearray()
        in_frame = esc = False
        while not self._stop.is_set():
            r, _, _ = select.select([self._master], [], [], 0.05)
            if not r:
                continue
            try:
                chunk = os.read(self._master, 65536)
            except OSError:
                continue
            for b in chunk:
                if not in_frame:
                    if b == 0xC0:
                        in_frame, frame = True, bytearray()
                    continue
                if esc:
                    frame.append({0xDC: 0xC0, 0xDD: 0xDB}.get(b, b))
                    esc = False
                elif b == 0xDB:
                    esc = True
                elif b == 0xC0:
                    if frame:
                        yield bytes(frame)
                        in_frame = False
                    # an empty frame (C0 C0) is the start of the next one
                else:
                    frame.append(b)

    def _serve(self) -> None:
        frames = self._frames()
        for pkt in frames:
            if len(pkt) < 8 or pkt[0] != 0:
                continue
            op, size, chk = struct.unpack_from("<BHI", pkt, 1)
            data = pkt[8 : 8 + size]
            self.commands.append(NAMES.get(op, f"0x{op:02X}"))
            try:
                self._handle(op, data, chk, frames)
            except LinkDropped:
                self._write = None
                continue

    # --- responses --------------------------------------------------------------------------------
    def _reply(self, op: int, val: int = 0, data: bytes = b"", status: int = 0, error: int = 0) -> None:
        tail = bytes([status, error]) + (b"" if self.stub else b"\0\0")
        body = data + tail
        self._send(struct.pack("<BBHI", 1, op, len(body), val) + body)

    def _fail(self, op: int, error: int) -> None:
        self._reply(op, status=1, error=error)

    def _erase(self, start: int, size: int) -> None:
        end = min(self.flash_size, -(-(start + size) // SECTOR) * SECTOR)
        start -= start % SECTOR
        self.flash[start:end] = b"\xff" * (end - start)

    def _program(self, addr: int, data: bytes) -> None:
        if self.fail_after_writes is not None:
            if self._writes >= self.fail_after_writes:
                raise LinkDropped()
            self._writes += 1
        end = min(self.flash_size, addr + len(data))
        cur = self.flash[addr:end]
        self.flash[addr:end] = bytes(a & b for a, b in zip(cur, data, strict=False))
        if self.stuck_bit is not None and addr <= self.stuck_bit < end:
            self.flash[self.stuck_bit] |= 1

    def _handle(self, op: int, data: bytes, chk: int, frames) -> None:
        if op == 0x08:  # SYNC: the ROM answers every sync 8 times; the stub says 0
            for _ in range(8):
                self._reply(op, val=0 if self.stub else 0x20120707)
            return
        if op == 0x14:  # GET_SECURITY_INFO
            if self.cls.USES_MAGIC_VALUE and self.chip == "esp32":
                return self._fail(op, 5)
            chip_id = self.cls.IMAGE_CHIP_ID or 0
            return self._reply(op, data=struct.pack("<IBBBBBBBBII", 0, 0, 0, 0, 0, 0, 0, 0, 0, chip_id, 0))
        if op == 0x0A:  # READ_REG
            (addr,) = struct.unpack_from("<I", data)
            return self._reply(op, val=self.regs.get(addr, 0))
        if op == 0x09:  # WRITE_REG, possibly several (addr, value, mask, delay)
            for i in range(0, len(data) - 15, 16):
                addr, value, mask, _ = struct.unpack_from("<IIII", data, i)
                self.regs[addr] = (self.regs.get(addr, 0) & ~mask) | (value & mask)
                self._spi_command(addr)
            return self._reply(op)
        if op in (0x0B, 0x0D):  # SPI_SET_PARAMS, SPI_ATTACH
            return self._reply(op)
        if op == 0x0F:  # CHANGE_BAUDRATE (a pty has no line speed)
            return self._reply(op)
        if op == 0x05:  # MEM_BEGIN
            return self._reply(op)
        if op == 0x07:  # MEM_DATA
            size = struct.unpack_from("<I", data)[0]
            if self._checksum(data[16 : 16 + size]) != chk:
                return self._fail(op, 7)
            return self._reply(op)
        if op == 0x06:  # MEM_END: jump to the uploaded stub
            flag, entry = struct.unpack_from("<II", data)
            self._reply(op)
            if entry and not self.stub:
                self.stub = True
                self._send(b"OHAI")
            return
        if op in (0x02, 0x10):  # FLASH_BEGIN, FLASH_DEFL_BEGIN
            size, blocks, blocksize, offset = struct.unpack_from("<IIII", data)
            if offset + size > self.flash_size:
                return self._fail(op, 0x32)
            self._erase(offset, size)
            self._write = {"offset": offset, "pos": offset, "seq": 0, "z": zlib.decompressobj() if op == 0x10 else None}
            return self._reply(op)
        if op in (0x03, 0x11):  # FLASH_DATA, FLASH_DEFL_DATA
            w = self._write
            size, seq = struct.unpack_from("<II", data)
            block = data[16 : 16 + size]
            if w is None or seq != w["seq"]:
                return self._fail(op, 0xC1)
            if self._checksum(block) != chk:
                return self._fail(op, 7)
            if w["z"] is not None:
                block = w["z"].decompress(block)
            self._program(w["pos"], block)
            w["pos"] += len(block)
            w["seq"] += 1
            return self._reply(op)
        if op in (0x04, 0x12):  # FLASH_END, FLASH_DEFL_END
            self._write = None
            return self._reply(op)
        if op == 0x13:  # SPI_FLASH_MD5: 32 hex characters from the ROM, 16 raw bytes from the stub
            addr, size = struct.unpack_from("<II", data)
            md5 = hashlib.md5(self.flash[addr : addr + size])
            return self._reply(op, data=md5.digest() if self.stub else md5.hexdigest().encode())
        if op == 0x0E and not self.stub:  # READ_FLASH_SLOW: 64 bytes per command
            addr, size = struct.unpack_from("<II", data)
            return self._reply(op, data=bytes(self.flash[addr : addr + size]).ljust(64, b"\0"))
        if self.stub and op == 0xD1:  # ERASE_REGION
            addr, size = struct.unpack_from("<II", data)
            self._erase(addr, size)
            return self._reply(op)
        if self.stub and op == 0xD0:  # ERASE_FLASH
            self.flash[:] = b"\xff" * self.flash_size
            return self._reply(op)
        if self.stub and op == 0xD2:  # READ_FLASH: packets of sector size, each acknowledged, then the MD5
            addr, size, packet, _inflight = struct.unpack_from("<IIII", data)
            self._reply(op)
            chunk = bytes(self.flash[addr : addr + size])
            for i in range(0, size, packet):
                self._send(chunk[i : i + packet])
                next(frames)  # the host's 4-byte acknowledgement
            self._send(hashlib.md5(chunk).digest())
            return
        self._fail(op, 5)  # unknown command: esptool raises UnsupportedCommandError

    def _spi_command(self, addr: int) -> None:
        """The SPI user command esptool runs through registers: answer RDID with the JEDEC ID of our flash."""
        base = self.cls.SPI_REG_BASE
        if addr != base or not self.regs.get(base, 0) & (1 << 18):
            return
        cmd = self.regs.get(base + self.cls.SPI_USR2_OFFS, 0) & 0xFF
        w0 = base + self.cls.SPI_W0_OFFS
        self.regs[w0] = JEDEC.get(self.flash_size, 0x1640EF) if cmd == 0x9F else 0
        self.regs[base] = 0  # done

    @staticmethod
    def _checksum(data: bytes) -> int:
        state = 0xEF
        for b in data:
            state ^= b
        return state
