"""A crowd of 1000 Bluezone devices and a few close ones, through the whole app on the MicroPython unix port
(the firmware loaded as .mpy files under an ESP32-C3's heap, see test_device_memory.py), for 16 virtual
minutes across a slot boundary: records stay bounded, every close contact is on flash with its exact first,
last and count (after the station's merge of a slot's records), and every sighting is in a record or a
counter (tests/firmware/crowd.py; the policy is in firmware/bzfw/encounters.py)."""

import json

import pytest
from mpyload import compile_tree, run_mpy

HEAP = "112wK"
BLOCKS = 512
MAX_OPEN, BUDGET = 128, 64  # the app's defaults (bzfw/config.py)
KEEP, SLOT_CAP = MAX_OPEN // 8, 2 * MAX_OPEN  # bzfw/encounters.py
# Per slot: the cap, then the `keep` strongest at each close (5 checkpoints every 3 min and the slot's end
# on always-on; 8 flushes before deep sleeps on eco), and the early-close budget.
PER_SLOT = SLOT_CAP + 9 * KEEP + BUDGET


CONFIGS = {"always-on": {}, "scan-always": {"scan_period_ms": 60000, "scan_window_ms": 60000},
           "eco": {"profile": "eco"}}


@pytest.mark.parametrize("profile", list(CONFIGS))
def test_crowd_of_1000_keeps_close_contacts_and_bounded_records(tmp_path, profile):
    # eco: a deep sleep every 2 minutes, after which a new App starts (a token reboots); the slot's crowd
    # counters come back from RTC memory, or every wake would write a full table again.
    img = tmp_path / "flash.img"
    img.write_bytes(b"\xff" * (BLOCKS * 4096))
    mpy = compile_tree(tmp_path / "mpy")
    minutes = 32 if profile == "eco" else 16
    r = run_mpy(f"import crowd\ncrowd.main({str(img)!r}, {BLOCKS}, devices=1000, close=5, minutes={minutes}, "
                f"config={CONFIGS[profile]!r}, eco_sleep={profile == 'eco'})\n", mpy, heap=HEAP)
    assert r.returncode == 0, r.stdout + r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["loop_errors"] == out["write_errors"] == out["ring_dropped"] == out["agg_dropped"] == 0
    assert out["received"] == out["sightings"] > 0
    # Every close device in every slot it was heard: exact first, last and count; nothing made up.
    assert out["close_slots"] >= 5 * 2
    assert (out["sleeps"] >= 14) if profile == "eco" else (out["sleeps"] == 0)
    assert out["close_ok"] == out["close_slots"] and out["close_bad"] == 0 and out["close_extra"] == 0
    # Every sighting is in a record on flash or counted (refused, or inside a shed record).
    assert out["counted"] + out["crowd_refused"] + out["agg_lost"] == out["sightings"]
    assert out["crowd_refused"] > 0 and out["crowd_shed"] > 0
    # Bounded whatever the crowd; the old rule wrote one record per sighting (9,600 a minute at 200/s).
    assert out["max_per_slot"] <= PER_SLOT
    assert out["records"] <= out["slots"] * PER_SLOT
    assert out["records"] / out["minutes"] < 40
