"""Provisioning and flashing: seconds per token in a batch of virtual tokens; flash time against the emulator."""

import os
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BATCH = 20
BAUD = 460800


def _batch(report, tmp: Path) -> None:
    from host_tools import virtual
    from provisioning import batch
    from provisioning.registry import Registry

    vts = [virtual.VirtualToken(tmp / f"vt{i}", name=f"B{i}", speed=1) for i in range(BATCH)]
    try:
        t0 = time.perf_counter()
        for v in vts:
            v.start()
        started = time.perf_counter() - t0
        rows = [batch.WearerRow(name=f"Wearer {i}", ref=f"W{i}", port=v.port) for i, v in enumerate(vts)]
        with Registry(tmp / "station.db", "bench passphrase") as reg:
            t0 = time.perf_counter()
            res = batch.run_batch(reg, rows, board="esp32c3-supermini")
            dt = time.perf_counter() - t0
    finally:
        for v in vts:
            v.stop()
    report(f"virtual tokens started ({BATCH}, MicroPython unix port)", started / BATCH, "s/token")
    report(f"provision batch of {BATCH} virtual tokens ({res.count('provisioned')} ok)", dt / BATCH, "s/token",
           "hello, provision, auth, clock, registry")


def _flash(report, tmp: Path) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from esp_rom_emulator import EspRomEmulator

    from host_tools.flash import espimage, flasher, plan

    # a firmware the size of MicroPython's ESP32_GENERIC_C3 build (about 1.7 MB), not very compressible
    rnd = os.urandom(0x60000)
    img = bytearray(espimage.make_image("esp32c3", espimage.MICROPYTHON_4MIB, 0x1A0000))
    for off in range(0x10100, len(img) - len(rnd), 0x80000):
        img[off : off + len(rnd)] = rnd
    fw = tmp / "fw.bin"
    fw.write_bytes(bytes(img))
    p = plan.prepare(str(fw), "esp32c3-supermini")
    sent = sum(len(zlib.compress(r.data, 9)) for r in p.regions)
    total = sum(len(r.data) for r in p.regions)
    report("flash: firmware + filesystem image", total, "bytes", f"{sent:,} compressed")
    report(f"flash: wire time at {BAUD} baud (10 bits/byte, compressed)", sent * 10 / BAUD, "s/token",
           "what a real UART bridge costs")
    for stub, baud in ((True, BAUD), (False, 115200)):
        with EspRomEmulator("esp32c3") as emu:
            t0 = time.perf_counter()
            flasher.write_regions(emu.port, "esp32c3", p.regions, baud=baud, before="no-reset", after="no-reset",
                                  stub=stub)
            dt = time.perf_counter() - t0
        how = "stub, compressed" if stub else "ROM loader, uncompressed"
        report(f"flash against the emulator ({how}, {baud} baud)", dt, "s/token", "pty: no line speed, CPU bound")


def run(report):
    with tempfile.TemporaryDirectory() as tmp:
        _flash(report, Path(tmp))
    with tempfile.TemporaryDirectory() as tmp:
        try:
            _batch(report, Path(tmp))
        except ImportError as e:
            report("provision batch of virtual tokens", "skipped", "", str(e))
