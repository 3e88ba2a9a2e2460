"""Power cut at every write of the token's storage, on the MicroPython unix port with LittleFS.

The script and checks are in tests/firmware/storage_powercut.py. make test cuts at a sample of the
write points (deterministic, so a failure names a reproducible cut); make test-deep at every one.
"""

import ast
import re

import pytest
from conftest import run_micropython

# every write for the first 40, then every 13th: about 170 of the ~1700 write points of the script
SAMPLE = list(range(40)) + list(range(40, 3000, 13))


def _run(call: str, timeout: float = 300):
    proc = run_micropython(f"import sys, storage_powercut as p\nsys.exit(1 if {call} else 0)", heap="8m",
                           timeout=timeout)
    fails = [ln for ln in proc.stdout.splitlines() if ln.startswith("FAIL")]
    assert proc.returncode == 0 and not fails, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def _stats(out: str) -> dict:
    m = re.search(r"stats without a cut: (\{.*\})", out)
    assert m, out
    return ast.literal_eval(m.group(1))  # a dict printed by MicroPython


def test_power_cut_sampled_points_of_a_scripted_day():
    out = _run(f"p.main(cuts={SAMPLE!r})")
    n = int(re.search(r"cuts checked: (\d+)", out).group(1))
    assert n >= 140
    st = _stats(out)
    # the script really exercised what the cuts are meant to hit
    assert st["purged_days"] >= 1 and st["dropped_full_days"] >= 1 and st["records"] > 100


def test_power_cut_every_write_of_the_key_store():
    out = _run("p.main_keys()")
    assert int(re.search(r"key cuts checked: (\d+)", out).group(1)) > 40


def test_power_cut_every_write_of_the_torn_tail_repair():
    out = _run("p.main_repair()")
    assert int(re.search(r"repair cuts checked: (\d+)", out).group(1)) > 3


@pytest.mark.slow
def test_power_cut_every_write_of_a_scripted_day():
    out = _run("p.main(every=True)", timeout=1200)
    total = int(re.search(r"writes in the script: (\d+)", out).group(1))
    assert int(re.search(r"cuts checked: (\d+)", out).group(1)) == total + 1


def test_power_cut_every_write_of_the_encounter_checkpoint():
    # tests/firmware/ckpt_powercut.py: periodic checkpoints and slot-end appends over five slots and a
    # midnight, cut at every write, rebooted as the app does: one record per (contact, slot), nothing lost
    # that a save or an append had completed, nothing counted twice
    proc = run_micropython("import sys, ckpt_powercut as p\nsys.exit(1 if p.main() else 0)", heap="8m",
                           timeout=300)
    fails = [ln for ln in proc.stdout.splitlines() if ln.startswith("FAIL")]
    assert proc.returncode == 0 and not fails, proc.stdout[-3000:] + proc.stderr[-3000:]
    m = re.search(r"checkpoint script writes: (\d+) records: (\d+)", proc.stdout)
    assert m and int(m.group(2)) > 30
    assert int(re.search(r"checkpoint cuts checked: (\d+)", proc.stdout).group(1)) == int(m.group(1)) + 1
