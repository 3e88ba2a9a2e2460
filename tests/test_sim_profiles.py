"""The default profile: battery days from the one power model, recall per direction from the pipeline, a sweep.

`make test` runs a reduced sweep on the household (two profiles, a few seconds); `make test-deep` runs the full
sweep over every shipped scenario. Item 3 of the issue (30 days and 90 % in every direction) is checked as a
strict xfail: under the honest RC clock it does not hold on stock MicroPython (hardware/POWER.md), and the test
turns red the day it does, so the note gets updated.
"""

import re
from pathlib import Path

import pytest

from bzfw import config as fwconfig
from host_tools import power
from host_tools.sim import pipeline, profiles, report, scenario

ROOT = Path(__file__).resolve().parent.parent
DIRECTIONS = ("token hears token", "android hears token", "ios hears token", "token hears android")


def _run(name: str, prof: str, tmp_path: Path) -> dict:
    sc = scenario.load(scenario.resolve(name))
    r = pipeline.run(sc, tmp_path / f"{name}-{prof}", prof).to_json()
    r["token_days"] = power.board_life(profiles.get(prof), report.TOKEN_BOARD, report.TOKEN_MAH).days
    return r


def test_the_default_lasts_a_sync_cycle_with_the_board_overheads():
    d = profiles.default_name()
    assert d == fwconfig.DEFAULT_PROFILE and d in fwconfig.PROFILES
    life = power.board_life(profiles.get(d), "esp32c3-supermini", 1000)
    assert life.days >= 30
    assert {"regulator", "divider", "protection"} <= set(life.breakdown_ma)  # overheads included
    assert "always-on" in fwconfig.PROFILES  # kept for short, crowded events
    assert power.board_life(profiles.get(d), "esp32c3-supermini-led", 1000).days < 30  # the LED must go


def test_reduced_sweep_physics_orders_the_profiles(tmp_path):
    runs = {p: _run("household", p, tmp_path) for p in profiles.SWEEP_REDUCED}
    on, dflt = runs["always-on"], runs[profiles.default_name()]
    assert on["token_days"] < 2 < 30 <= dflt["token_days"]
    for d in DIRECTIONS:  # awake all the time hears at least what a 1 % duty cycle hears
        assert on["directions"]["bluezone-strict"][d]["recall"] >= dflt["directions"]["bluezone-strict"][d]["recall"]
    assert on["scores"]["near-minutes"]["recall"] >= 0.9
    # the default is on the Pareto front of (days, recall) of the sweep, at the station's rule
    pts = [(r["token_days"], r["scores"]["near-minutes"]["recall"], p) for p, r in runs.items()]
    assert profiles.default_name() in {p for _x, _y, p in report.pareto_front(pts)}


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="stock MicroPython on the RC clock: no 30-day profile reaches 90 % in "
                                        "every direction (hardware/POWER.md)")
@pytest.mark.parametrize("name", sorted(scenario.shipped()))
def test_full_sweep_default_meets_item_3(name, tmp_path):
    runs = [_run(name, p, tmp_path) for p in profiles.SWEEP]
    d = next(r for r in runs if r["profile"] == profiles.default_name())
    assert d["token_days"] >= 30
    for k in DIRECTIONS:
        got = d["directions"]["near-minutes"].get(k)
        assert got is None or got["recall"] >= 0.9, (k, got)


def test_firmware_table_readme_and_power_read_the_same_numbers():
    """One source: bzfw.config.PROFILES -> host_tools.sim.profiles -> host_tools.power -> the READMEs' tables
    and `bztoken power`."""
    names = list(fwconfig.PROFILES)
    table = power.readme_table(names)
    for readme in ("firmware/README.md", "hardware/README.md"):
        text = (ROOT / readme).read_text()
        assert table in text, f"{readme}: regenerate with python -m host_tools.power --readme-table"
    for n in names:
        fw = fwconfig.PROFILES[n]
        p = profiles.get(n)
        assert (p.adv_interval_ms, p.scan_window_s * 1000, p.wake_period_s * 1000, p.boot_s * 1000) == (
            fw["adv_interval_ms"], fw["scan_window_ms"], fw["wake_period_ms"], fw["wake_lead_ms"])
        days = power.board_life(p, "esp32c3-supermini", 1000).days
        assert re.search(rf"\| `{re.escape(n)}`( \(default\))? \|[^\n]*\| {days:.1f} days \|", table)
    assert f"| `{fwconfig.DEFAULT_PROFILE}` (default) |" in table
