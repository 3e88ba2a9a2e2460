"""The simulator's physics: each parameter moves the outcome the way physics says (scenarios/README.md, "Physics")."""

import json

import numpy as np
import pytest
from test_sim_engine import log_records, seated, tiny

from host_tools.sim import air, clocks, engine, scenario

H_MS = 3_600_000


def _mean_rssi(tok) -> float | None:
    recs = log_records(tok)
    n = sum(r[6] for r in recs)
    return sum(r[9] * r[6] for r in recs) / n if n else None


def _spec(**kw) -> dict:
    s = dict(clocks.CLOCK_DEFAULTS)
    s.update(kw)
    return s


# --- clocks


def test_rc_clock_error_after_n_hours_matches_its_rate():
    spec = _spec(rc_ppm=5000, rc_wander_ppm=0, awake_ppm=0)
    rng = np.random.default_rng(1)
    hours = 10
    errs = np.array([clocks.unit_clock(spec, "rc", 0.9, 0, hours * H_MS, rng).error_ms(hours * H_MS)
                     for _ in range(400)])
    # sd = sleep share x rate sigma x time: 0.9 x 5000 ppm x 10 h = 162 s
    assert np.std(errs) == pytest.approx(0.9 * 5000e-6 * hours * H_MS, rel=0.12)
    one = clocks.unit_clock(spec, "rc", 1.0, 0, hours * H_MS, rng)
    assert one.error_ms(hours * H_MS) == pytest.approx(one.mean_ppm() * 1e-6 * hours * H_MS, rel=1e-6)  # constant


def test_wander_grows_as_an_integrated_ornstein_uhlenbeck_process():
    sig, tau, t = 1000.0, 3600.0, 24 * 3600.0
    spec = _spec(rc_ppm=0, rc_wander_ppm=sig, rc_wander_tau_s=tau, awake_ppm=0)
    rng = np.random.default_rng(2)
    errs = np.array([clocks.unit_clock(spec, "rc", 1.0, 0, t * 1000, rng).error_ms(t * 1000) for _ in range(500)])
    var_s2 = 2 * (sig * 1e-6) ** 2 * tau * tau * (t / tau - 1 + np.exp(-t / tau))
    assert np.std(errs) / 1000 == pytest.approx(np.sqrt(var_s2), rel=0.15)


def test_crystal_and_awake_clocks_are_far_better_than_the_rc():
    rng = np.random.default_rng(3)
    t = 24 * H_MS

    def sd(src, frac):
        return np.std([clocks.unit_clock(_spec(), src, frac, 0, t, rng).error_ms(t) for _ in range(200)])

    rc, xt, awake = sd("rc", 0.95), sd("xtal32k", 0.95), sd("rc", 0.0)
    assert rc > 50 * xt and rc > 100 * awake  # always-on never sleeps: the 40 MHz crystal keeps its time
    assert xt < 0.5 * 20e-6 * t * 3  # 20 ppm class: about 2 s a day


def test_rate_correction_at_sync_shrinks_the_error_over_a_week():
    rng = np.random.default_rng(4)
    week = 7 * 24 * H_MS
    raw = [clocks.unit_clock(_spec(), "rc", 0.95, 0, week, rng).error_ms(week) for _ in range(200)]
    fixed = [clocks.unit_clock(_spec(rate_correction=1), "rc", 0.95, 0, week, rng).error_ms(week) for _ in range(200)]
    assert np.sqrt(np.mean(np.square(fixed))) < 0.25 * np.sqrt(np.mean(np.square(raw)))
    # what is left is the wander's change between the two intervals: about sigma * sqrt(2 tau t) and more
    s = clocks.CLOCK_DEFAULTS
    left = 0.95 * s["rc_wander_ppm"] * 1e-6 * np.sqrt(2 * s["rc_wander_tau_s"] * week / 1000) * 1000
    assert left < np.std(fixed) < 2 * left


def test_a_token_synced_twice_a_week_apart_gets_the_stations_rate(monkeypatch):
    """The simulated discipline is the station's: the rate comes from host_tools.sync.clockrate.new_rate (the
    function a pull calls), with its clamps and its minimum interval; the week after, the error shrinks."""
    from host_tools.sync import clockrate

    calls = []
    real = clockrate.new_rate

    def spy(*a):
        calls.append(a)
        return real(*a)

    monkeypatch.setattr(clockrate, "new_rate", spy)
    week = 7 * 24 * H_MS
    # a steady RC clock (no wander): the rate learnt over the first week is the unit's, to the readings' error
    spec = _spec(rate_correction=1, rc_wander_ppm=0, awake_ppm=0)
    rng = np.random.default_rng(5)
    for _ in range(20):
        clk = clocks.unit_clock(spec, "rc", 1.0, week, 2 * week, rng, prev_sync_ms=0)
        d = clk.discipline
        prev, offset, at, rate, valid = calls[-1]
        assert (prev, offset, at, valid) == (d["prev"], d["offset_ms"], d["at_ms"], True) and rate == 0
        assert prev["host_ms"] == 0 and at == week
        assert d["rate_ppb"] == real(prev, offset, at, 0, True)  # what the station would send
        # two readings, each good to rate_measure_ms (1 s), over a week: 2.3 ppm sd; five sigma allowed
        reading_ms = 5 * np.sqrt(2) * spec["rate_measure_ms"]
        assert d["rate_ppb"] / 1000 == pytest.approx(d["raw_ppm"], abs=reading_ms / week * 1e6)
        # the following week: only that reading error is left (seconds), where the raw clock loses minutes
        assert abs(clk.error_ms(2 * week)) < reading_ms
    # with the wander, over many units: the week after a corrected sync is far better than without
    rng = np.random.default_rng(6)
    on = [clocks.unit_clock(_spec(rate_correction=1), "rc", 0.95, week, 2 * week, rng, prev_sync_ms=0)
          .error_ms(2 * week) for _ in range(200)]
    off = [clocks.unit_clock(_spec(), "rc", 0.95, week, 2 * week, rng).error_ms(2 * week) for _ in range(200)]
    assert np.sqrt(np.mean(np.square(on))) < 0.25 * np.sqrt(np.mean(np.square(off)))
    # the station's clamp: a clock beyond +-20,000 ppm is taught the bound, not its rate
    wild = [clocks.unit_clock(_spec(rate_correction=1, rc_ppm=50_000, rc_wander_ppm=0), "rc", 1.0, week, 2 * week,
                              rng, prev_sync_ms=0).discipline for _ in range(50)]
    assert {d["rate_ppb"] for d in wild if abs(d["raw_ppm"]) > 21_000} == {clockrate.RATE_LIMIT_PPB,
                                                                           -clockrate.RATE_LIMIT_PPB}
    # and its minimum interval: two syncs half an hour apart teach nothing, the clock runs raw
    short = clocks.unit_clock(spec, "rc", 1.0, week, 2 * week, np.random.default_rng(7), prev_sync_ms=week - H_MS / 2)
    raw = clocks.unit_clock(_spec(rc_wander_ppm=0, awake_ppm=0), "rc", 1.0, week, 2 * week, np.random.default_rng(7))
    assert short.discipline["rate_ppb"] is None
    assert short.error_ms(2 * week) == pytest.approx(raw.error_ms(2 * week), rel=1e-9)


def test_tokens_are_synced_at_different_times_of_the_cycle(tmp_path):
    sc = tiny([seated("a", 6)], profile="eco")
    devs = engine.make_devices(sc, tmp_path, None)
    ago = [(sc.t0_ms - d.synced_ms) / 86_400_000 for d in devs]
    assert all(0 <= a <= sc.clock["sync_cycle_days"] + 0.01 for a in ago) and len(set(ago)) == 6
    # the error at the start grows with the time since the sync: RC clocks many seconds off after days
    errs = [abs(d.clock_ms(sc.t0_ms, sc.t0_ms) - sc.t0_ms - d.clock_off_ms) for d in devs]
    assert max(errs) > 60_000


# --- radio


def test_rician_fading_keeps_mean_power_and_rayleigh_fades_deeper():
    rng = np.random.default_rng(5)
    ray = air.rician_db(-20.0, 200_000, rng)
    los = air.rician_db(9.0, 200_000, rng)
    for f in (ray, los):
        assert np.mean(10 ** (f / 10)) == pytest.approx(1.0, rel=0.02)
    assert np.std(ray) > 2 * np.std(los)
    assert np.mean(ray < -10) > 5 * np.mean(los < -10)  # deep fades: a metal bus, not an open yard


def test_body_costs_most_with_the_peer_behind():
    front, side, back = (air.body_loss_db(0.0, 14.0, 0.0, a) for a in (0.0, np.pi / 2, np.pi))
    assert front == pytest.approx(0) and side == pytest.approx(7) and back == pytest.approx(14)


def _two(tmp_path, wear=None, env="room", spacing=1.0, **top):
    places = [{"name": "room", "rect": [0, 0, 1, 40], "seat_spacing": spacing, "env": env}]
    g = seated("a", 2, **({"wear": {"token": {wear: 1}}} if wear else {}))
    return engine.simulate(tiny([g], places, **top), tmp_path)


def test_a_pocket_costs_rssi_and_sightings(tmp_path):
    lan = _two(tmp_path / "l", "lanyard", spacing=2.0)
    poc = _two(tmp_path / "p", "pocket", spacing=2.0)
    assert all(t.wear == "pocket" for t in poc.tokens)
    assert _mean_rssi(poc.tokens[0]) < _mean_rssi(lan.tokens[0]) - 3
    assert poc.stats["sightings"] < lan.stats["sightings"]


def test_a_bus_carries_the_signal_farther_than_a_room(tmp_path):
    room = _two(tmp_path / "r", "lanyard", "room", spacing=8.0)
    bus = _two(tmp_path / "b", "lanyard", "bus", spacing=8.0)
    assert _mean_rssi(bus.tokens[0]) > _mean_rssi(room.tokens[0])
    assert bus.stats["sightings"] > 1.5 * room.stats["sightings"]  # heard more often at 8 m


def test_unit_offsets_make_the_two_directions_differ_by_the_units(tmp_path):
    spread = {"token_tx": 6, "token_rx": 6}
    res = _two(tmp_path, "lanyard", spacing=1.0, unit_spread=spread, air={"shadow_db": 0, "fading_db": 0})
    a, b = res.tokens
    heard_by_a, heard_by_b = _mean_rssi(a), _mean_rssi(b)
    expect = (b.tx_off_db + a.rx_off_db) - (a.tx_off_db + b.rx_off_db)
    assert abs(expect) > 1  # the draw gives two distinct units
    assert heard_by_a - heard_by_b == pytest.approx(expect, abs=1.5)


def test_phone_models_spread_more_than_tokens(tmp_path):
    g = seated("a", 400, devices={"token": 200, "android": 200})
    devs = engine.make_devices(tiny([g]), tmp_path, "always-on")
    tok = [d.tx_off_db for d in devs if d.kind == 0]
    android = [d.tx_off_db for d in devs if d.kind == 1]
    us = scenario.UNIT_SPREAD_DEFAULTS
    assert np.std(tok) == pytest.approx(us["token_tx"], rel=0.2)
    assert np.std(android) == pytest.approx(us["android_tx"], rel=0.2)
    assert {d.wear for d in devs if d.kind == 1} <= set(scenario.WEAR_DEFAULTS["android"])


def test_pairs_beyond_the_cut_are_not_computed_and_nearer_ones_are(tmp_path):
    places = [{"name": "here", "rect": [0, 0, 4, 4]}, {"name": "there", "rect": [1500, 0, 4, 4]}]
    far = engine.simulate(tiny([seated("a", 1, at="here"), seated("b", 1, at="there")], places), tmp_path / "f")
    assert far.stats["cut_m"] < 1500 and far.stats.get("pairs", 0) == 0 and far.stats["sightings"] == 0
    near = _two(tmp_path / "n", spacing=5.0)
    assert near.stats["pairs"] > 0 and near.stats["sightings"] > 0


def test_the_cut_loses_nothing_a_receiver_could_hear(tmp_path):
    """The cut of a pair: through a wall, or within one place up to its size, the better direction's mean RSSI
    (no body in the way) is CUT_MARGIN_DB below the sensitivity there."""
    sc = tiny([seated("a", 2)])
    devs = engine.make_devices(sc, tmp_path, None)
    ph = engine.Physics.of(sc, devs, sc.air)
    best = max(ph.tx[0] + ph.rx[1], ph.tx[1] + ph.rx[0]) + engine.CUT_MARGIN_DB - sc.air["sensitivity_dbm"]
    n = sc.environments["room"]["path_loss_exp"]
    through_wall = 10 ** ((best - sc.air["wall_db"]) / (10 * n))
    in_room = min(10 ** (best / (10 * n)), np.hypot(6, 6))
    assert ph.cut_m[0, 1] == pytest.approx(max(through_wall, in_room))
    assert ph.cut_m[0, 1] == ph.cut_m[1, 0]


def test_copies_make_a_crowd_and_the_cli_simulates_it_alone(tmp_path, capsys):
    from host_tools.cli import main

    one = scenario.load(scenario.resolve("bus-ride"))
    three = scenario.load(scenario.resolve("bus-ride"), copies=3)
    assert len(three.persons) == 3 * len(one.persons) and len(three.places) == 3 * len(one.places)
    assert three.positive == one.positive.replace("#", "-0#")
    assert main(["sim", "--scenario", "bus-ride", "--copies", "2", "--sim-only", "--json",
                 "--profile", "eco", "--out", str(tmp_path)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["runs"][0]["devices"] == 2 * sum(p.device != "none" for p in one.persons)
    assert out["runs"][0]["sightings"] > 0 and out["peak_rss_mb"] > 0
    assert main(["sim", "--scenario", "bus-ride", "--copies", "2"]) == 2  # a crowd's pipeline: refused
