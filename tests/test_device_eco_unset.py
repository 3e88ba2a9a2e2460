"""An eco token whose clock was lost, on the virtual token (this firmware on the MicroPython unix port, deep
sleep as a process exit the supervisor wakes from): it sleeps between short awake times instead of blinking
all day, a station that keeps trying for a period reaches it, the token stays awake while the station talks,
and once the station set the clock its ID goes on air (firmware/README.md, "Profiles")."""

import time

import pytest
from polling import wait_until

from host_tools.sync.client import SyncClient
from host_tools.sync.transport import SerialTransport

virtual = pytest.importorskip("host_tools.virtual")

SECRET = bytes(range(7, 39))
CFG = {"profile": "eco", "unset_period_ms": 10000, "unset_awake_ms": 2000,
       "wake_period_ms": 20000, "wake_window_ms": 8000, "wake_lead_ms": 2000}
SPEED = 10
PERIOD_S = CFG["unset_period_ms"] / 1000 / SPEED  # one sleep-and-wake cycle in real seconds (plus the boot)


def test_eco_token_without_clock_sleeps_until_a_station_sets_it(tmp_path):
    d = tmp_path / "t"
    log = d / "supervisor.log"
    with virtual.VirtualToken(d, name="E1", speed=SPEED, clock="unset", config=CFG) as vt:
        # 2 s awake, 8 asleep
        assert wait_until(lambda: log.read_text().count("deep sleep 8000 ms") >= 2, 30 * PERIOD_S)
        assert [e for e in virtual.adverts(d) if e["adv"]] == []  # no ID on air without a clock
        # A station that keeps knocking for longer than a period (1 s real at 10x) finds it awake. It knocks as
        # `bztoken status` does (the wake wait: a try every `timeout`, the same seq), for many periods: what it
        # writes while the token sleeps is lost, as on a vanished USB port, and on a loaded machine the boot
        # stretches a cycle, so a fixed count of tries may all fall into sleeps.
        c = SyncClient(SerialTransport(vt.port), timeout=0.4, wake_wait=30 * PERIOD_S)
        assert c.hello()["clock_set"] is False
        sleeps = log.read_text().count("deep sleep")
        c.provision("BZT-E1", SECRET, CFG)
        c.login(SECRET)
        for _ in range(4):  # 3 s real = 30 s virtual, three periods: awake while the station talks
            assert c.status()["clock_set"] is False
            time.sleep(0.75)
        assert log.read_text().count("deep sleep") == sleeps
        c.time_set(int(time.time() * 1000))
        assert c.status()["clock_set"] is True
        c.bye()
        # set: the current slot's ID goes on air (the eco windows after it: tests/firmware/test_app.py)
        assert wait_until(lambda: any(e["adv"] for e in vt.adverts()))
