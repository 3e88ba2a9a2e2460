"""A crowd of 1000 Bluezone devices and a few close ones, through the whole app on the MicroPython unix port
(the firmware loaded as .mpy files under an ESP32-C3's heap, see test_device_memory.py), for 16 virtual
minutes across a slot boundary: records stay bounded, every close contact is on flash with its exact first,
last and count in exactly one record per slot, and every sighting is in a record or a counter
(tests/firmware/crowd.py; the policy is in firmware/bzfw/encounters.py)."""

import json

import pytest
from mpyload import compile_tree, run_mpy

HEAP = "112wK"
BLOCKS = 512
MAX_OPEN, BUDGET = 128, 64  # the app's defaults (bzfw/config.py)
# Per slot: the early-close budget, then the table at the slot's end (periodic saves and deep sleeps write
# the open encounters to the checkpoint file, not to the log: bzfw/checkpoint.py).
PER_SLOT = BUDGET + MAX_OPEN


CONFIGS = {"always-on": {"profile": "always-on"},
           "scan-always": {"profile": "always-on", "scan_period_ms": 60000, "scan_window_ms": 60000},
           "eco": {"profile": "eco"}}


@pytest.mark.parametrize("profile", list(CONFIGS))
def test_crowd_of_1000_keeps_close_contacts_and_bounded_records(tmp_path, profile):
    # eco: a deep sleep every 2 minutes, after which a new App starts (a token reboots); the open encounters
    # and the slot's crowd counters come back from the checkpoint file.
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
    assert out["close_records"] == out["close_slots"]  # one record per close contact and slot
    # Every sighting is in a record on flash or counted (refused, or inside a shed record).
    assert out["counted"] + out["crowd_refused"] + out["agg_lost"] == out["sightings"]
    assert out["crowd_refused"] > 0 and out["crowd_shed"] > 0
    # Bounded whatever the crowd; the old rule wrote one record per sighting (9,600 a minute at 200/s).
    assert out["max_per_slot"] <= PER_SLOT
    assert out["records"] <= out["slots"] * PER_SLOT
    assert out["records"] / out["minutes"] < 40


@pytest.mark.parametrize("profile", ["always-on", "eco"])
def test_busy_place_of_60_gives_one_record_per_contact_and_slot(tmp_path, profile):
    # 60 devices (below the table size) for 32 virtual minutes across two slot edges: the periodic saves
    # (always-on) and the saves before every deep sleep (eco, a reboot after each) go to the checkpoint,
    # so each device gets exactly one record in each slot, holding every sighting.
    img = tmp_path / "flash.img"
    img.write_bytes(b"\xff" * (BLOCKS * 4096))
    mpy = compile_tree(tmp_path / "mpy")
    r = run_mpy(f"import crowd\ncrowd.main({str(img)!r}, {BLOCKS}, devices=60, close=0, minutes=32, "
                f"config={CONFIGS[profile]!r}, eco_sleep={profile == 'eco'})\n", mpy, heap=HEAP)
    assert r.returncode == 0, r.stdout + r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["loop_errors"] == out["write_errors"] == out["agg_dropped"] == 0
    assert (out["sleeps"] >= 14) if profile == "eco" else (out["sleeps"] == 0)
    assert out["slots"] == 3 and out["dup_records"] == 0
    assert out["records"] == 60 * out["slots"]
    assert out["crowd_refused"] == out["agg_lost"] == 0 and out["counted"] == out["sightings"] > 0
