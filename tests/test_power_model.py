"""The power model: every figure sourced, battery life computed as documented."""

import json

import pytest

from host_tools import power
from host_tools.cli import main
from host_tools.sim import profiles


def test_every_figure_has_a_known_source_and_basis():
    m = power.load()
    for chip in power.CHIPS:
        states = m["chips"][chip]
        for key in ("deep_sleep_ua", "awake_idle_ma", "rx_ma", "tx_ma", "adv_event_ms", "boot_ma"):
            fig = states[key]
            assert fig["value"] > 0
            assert fig["source"] in m["sources"]
            assert fig["basis"] in ("datasheet", "measured", "estimate")
            assert fig["detail"]
    for group in ("board", "battery"):
        for fig in m[group].values():
            assert fig["source"] in m["sources"]


def test_always_on_by_hand():
    p = profiles.get("always-on")
    m = power.load()
    c = m["chips"]["esp32c3"]
    v = {k: c[k]["value"] for k in c}
    duty = p.scan_window_s / p.scan_period_s
    expect = (v["awake_idle_ma"] + duty * (v["rx_ma"] - v["awake_idle_ma"])
              + (v["tx_ma"] - v["awake_idle_ma"]) * v["adv_event_ms"] / p.adv_interval_ms
              + m["board"]["regulator_quiescent_ua"]["value"] / 1000)
    life = power.battery_life(p, "esp32c3")
    assert life.avg_ma == pytest.approx(expect)
    cap = m["battery"]["capacity_mah"]["value"] * m["battery"]["usable_fraction"]["value"]
    assert life.days == pytest.approx(cap / expect / 24)
    assert 1 <= life.days <= 2.5  # the field notes: an awake C3 lasts about 1.5-2 days on 1000 mAh


def test_eco_lasts_longer_and_longer_periods_longer_still():
    days = [power.battery_life(profiles.get(n), "esp32c3").days
            for n in ("always-on", "eco", "eco-4s-120", "eco-4s-300")]
    assert days == sorted(days) and days[-1] > 10 * days[0]
    assert power.battery_life(profiles.get("eco"), "esp32c3", capacity_mah=2000).days == pytest.approx(2 * days[1])


def test_cli_power(capsys):
    assert main(["power", "--json", "--profile", "eco"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["chip"] for r in rows] == list(power.CHIPS)
    assert all(r["days"] > 0 and "deep sleep" in r["breakdown_ma"] for r in rows)
    assert main(["power", "--battery-mah", "-5"]) == 2


def test_cli_power_text_and_sim_list(capsys):
    assert main(["power", "--profile", "always-on"]) == 0
    out = capsys.readouterr().out
    assert "Battery life on 1000 mAh" in out and "always-on" in out and "esp32c3" in out
    assert main(["sim", "--list"]) == 0
    out = capsys.readouterr().out
    for name in ("school-day", "market", "nursing-home", "bus-ride", "always-on", "eco-4s-300"):
        assert name in out


def test_cli_sim_refuses_a_file_as_out(tmp_path, capsys):
    f = tmp_path / "f"
    f.write_text("x")
    assert main(["sim", "--scenario", "bus-ride", "--out", str(f)]) == 2
    assert "is a file" in capsys.readouterr().err
