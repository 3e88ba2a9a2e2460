"""The power model: every figure sourced, battery life computed as documented."""

import json

import pytest

from host_tools import power
from host_tools.cli import main
from host_tools.errors import UsageError
from host_tools.sim import profiles


def test_every_figure_has_a_known_source_and_kind():
    m = power.load()
    for chip in power.CHIPS:
        states = m["chips"][chip]
        for key in ("deep_sleep_ua", "awake_idle_ma", "rx_ma", "tx_ma", "adv_event_ms", "boot_ma"):
            fig = states[key]
            assert fig["value"] > 0
            assert fig["source"] in m["sources"]
            assert fig["kind"] in power.KINDS
            assert fig["detail"]
    for b in power.boards(m):
        for key in power.BOARD_KEYS:
            fig = m["boards"][b][key]
            assert fig["value"] >= 0 and fig["source"] in m["sources"] and fig["kind"] in power.KINDS
    for fig in m["battery"].values():
        assert fig["source"] in m["sources"] and fig["kind"] in power.KINDS
    assert m["battery"]["options_mah"]["value"] == [500, 1000, 2000]


def test_a_figure_without_a_kind_is_refused(tmp_path):
    m = power.load()
    del m["boards"]["esp32c3-supermini"]["divider_ua"]["kind"]
    f = tmp_path / "c.json"
    f.write_text(json.dumps(m))
    with pytest.raises(UsageError, match="boards.esp32c3-supermini.divider_ua"):
        power.load(f)


def test_always_on_by_hand():
    p = profiles.get("always-on")
    m = power.load()
    c = m["chips"]["esp32c3"]
    v = {k: c[k]["value"] for k in c}
    b = m["boards"]["esp32c3-supermini"]
    board = (b["ldo_quiescent_ua"]["value"] + b["divider_ua"]["value"] + b["protection_ua"]["value"]) / 1000 \
        + b["power_led_ma"]["value"]
    duty = p.scan_window_s / p.scan_period_s
    expect = (v["awake_idle_ma"] + duty * (v["rx_ma"] - v["awake_idle_ma"])
              + (v["tx_ma"] - v["awake_idle_ma"]) * v["adv_event_ms"] / p.adv_interval_ms + board)
    life = power.battery_life(p, "esp32c3")
    assert life.board == "esp32c3-supermini"
    assert life.avg_ma == pytest.approx(expect)
    cap = m["battery"]["capacity_mah"]["value"] * m["battery"]["usable_fraction"]["value"]
    assert life.days == pytest.approx(cap / expect / 24)
    assert 1 <= life.days <= 2.5  # the field notes: an awake C3 lasts about 1.5-2 days on 1000 mAh


def test_board_overheads_count_and_a_power_led_dominates_deep_sleep():
    p = profiles.get("eco-4s-300")
    bare = power.board_life(p, "esp32c3-supermini")
    led = power.board_life(p, "esp32c3-supermini-led")
    assert led.avg_ma - bare.avg_ma == pytest.approx(1.0)  # the LED's estimate
    assert led.days < 0.6 * bare.days
    parts = bare.breakdown_ma
    assert parts["regulator"] + parts["divider"] > 10 * parts["deep sleep"]  # overheads, not the chip, in sleep
    assert power.board_life(p, "esp32-devkitc").days < 0.25 * bare.days  # an AMS1117's 5 mA


def test_eco_lasts_longer_and_longer_periods_longer_still():
    days = [power.battery_life(profiles.get(n), "esp32c3").days
            for n in ("always-on", "eco", "eco-4s-120", "eco-4s-300")]
    assert days == sorted(days) and days[-1] > 10 * days[0]
    assert power.battery_life(profiles.get("eco"), "esp32c3", capacity_mah=2000).days == pytest.approx(2 * days[1])


def test_cli_power(capsys):
    assert main(["power", "--json", "--profile", "eco"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["board"] for r in rows} == set(power.boards())
    assert {r["battery_mah"] for r in rows} == {500, 1000, 2000}
    assert all(r["days"] > 0 and "deep sleep" in r["breakdown_ma"] for r in rows)
    for r in rows:  # the CLI prints the model's numbers
        life = power.board_life(profiles.get("eco"), r["board"], r["battery_mah"])
        assert r["days"] == pytest.approx(life.days, abs=0.006)
    assert main(["power", "--battery-mah", "-5"]) == 2
    assert main(["power", "--board", "no-such-board"]) == 2


def test_cli_power_text_and_sim_list(capsys):
    assert main(["power", "--profile", "always-on"]) == 0
    out = capsys.readouterr().out
    assert "Battery life in days" in out and "always-on" in out and "esp32c3-supermini" in out and "1000 mAh" in out
    assert main(["sim", "--list"]) == 0
    out = capsys.readouterr().out
    for name in ("school-day", "market", "nursing-home", "bus-ride", "always-on", "eco-4s-300"):
        assert name in out


def test_cli_sim_refuses_a_file_as_out(tmp_path, capsys):
    f = tmp_path / "f"
    f.write_text("x")
    assert main(["sim", "--scenario", "bus-ride", "--out", str(f)]) == 2
    assert "is a file" in capsys.readouterr().err


def test_stock_bound_lasts_its_days_uses_the_whole_budget_and_follows_the_battery():
    from host_tools.sim import profiles
    from host_tools.sim.scenario import PHONE_DEFAULTS

    b = power.stock_phone_bound()
    lead = profiles.get(profiles.default_name()).lead_s

    def days(win):
        return power.board_life(profiles.Profile("b", 100, 0.0, b.period_s, win, b.period_s, lead_s=lead),
                                "esp32c3-supermini").days

    assert days(b.window_s) >= 30 > days(b.window_s * 1.05 + 0.01)  # it lasts, and no longer window would
    scan = PHONE_DEFAULTS["android_background"]["scan_on_s"]
    assert b.per_scan == pytest.approx(min(1.0, (b.window_s + scan) / b.period_s))
    assert b.scans_needed == 3 and b.bound == pytest.approx(b.per_scan ** 3)
    # item 3 of the power issue: no stock profile that lasts 30 days gets 90 % of the shortest close contacts
    # heard by a backgrounded Android phone
    assert b.bound < 0.9
    # physics: more charge, or fewer days asked, buys a better chance; a day's token advertises all the time
    assert power.stock_phone_bound(capacity_mah=2000).bound > b.bound
    assert power.stock_phone_bound(days=1).bound == pytest.approx(1.0)


def test_stock_bound_cli(capsys):
    assert power.main(["--stock-bound"]) == 0
    out = capsys.readouterr().out
    assert "at most" in out and "%" in out
