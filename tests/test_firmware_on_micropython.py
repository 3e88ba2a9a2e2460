"""The firmware on the real MicroPython unix port: its suite, mpy-cross, and a heap budget."""

import subprocess
import sys

from conftest import MICROPYTHON, ROOT, run_micropython


def test_firmware_suite_passes_on_micropython():
    r = subprocess.run(
        [MICROPYTHON, "-X", "heapsize=2m", "tests/firmware/runner.py"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={"MICROPYPATH": "firmware:tests/firmware", "PATH": "/usr/bin:/bin"},
    )
    last = r.stdout.strip().splitlines()[-1]
    assert r.returncode == 0 and last.endswith(" 0 failed"), r.stdout + r.stderr


def test_every_firmware_file_compiles_with_mpy_cross():
    r = subprocess.run([sys.executable, "tools/compile_firmware.py"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (ROOT / "build" / "mpy" / "bzfw" / "ids.mpy").exists()


def test_core_derives_a_day_under_a_64k_heap(vectors):
    d = vectors["chain"]["days"][1]
    script = (
        "import binascii, gc\n"
        "from bzfw import ids, adv\n"
        f"k = binascii.unhexlify('{d['daily_key']}')\n"
        "day = ids.day_ids(k)\n"
        "a = adv.build(day[95])\n"
        "kind, got = adv.parse(a)\n"
        "print(binascii.hexlify(day[0]).decode().upper(), binascii.hexlify(got).decode().upper())\n"
    )
    r = run_micropython(script, heap="64k")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [d["ids"][0], d["ids"][95]]


def test_heap_limit_is_real():
    # The same interpreter flag must fail on a budget too small, or the test above proves nothing.
    r = run_micropython("x = bytearray(100000)\n", heap="64k")
    assert r.returncode != 0 and "MemoryError" in r.stderr + r.stdout
