"""Scenario files: the shipped ones load, and every mistake is named where it is."""

import json

import pytest
from conftest import DEEP
from hypothesis import given, settings
from hypothesis import strategies as st

from host_tools.errors import UsageError
from host_tools.sim import air, mobility, profiles, scenario
from host_tools.sim.schedule import Periodic

BASE = {
    "name": "t", "date": "2026-03-02",
    "places": [{"name": "room", "rect": [0, 0, 5, 5]}],
    "groups": [{"name": "g", "size": 2, "schedule": [{"from": "08:00", "to": "09:00", "at": "room"}]}],
}


def with_(path, value):
    d = json.loads(json.dumps(BASE))
    cur = d
    for k in path[:-1]:
        cur = cur[k]
    cur[path[-1]] = value
    return d


def test_shipped_scenarios_load_and_are_documented():
    shipped = scenario.shipped()
    assert {"school-day", "market", "nursing-home", "bus-ride"} <= set(shipped)
    readme = (scenario.shipped()["school-day"].parent / "README.md").read_text()
    for name, path in shipped.items():
        sc = scenario.load(path)
        assert sc.description and name in readme
        assert sum(p.device != "none" for p in sc.persons) >= 2
        if sc.positive:
            assert any(p.pid == sc.positive and p.device == "token" for p in sc.persons)


def test_the_tokens_run_the_products_default_unless_the_scenario_says_why():
    """One default: a scenario without a profile runs the firmware's DEFAULT_PROFILE; a shipped scenario names one
    only as part of its physics, and then its description says so."""
    from bzfw import config as fwconfig

    sc = scenario.parse(json.loads(json.dumps(BASE)), "t")
    assert sc.profile == profiles.default_name() == fwconfig.DEFAULT_PROFILE
    assert {p.profile for p in sc.persons if p.device == "token"} == {fwconfig.DEFAULT_PROFILE}
    named = scenario.parse(with_(["profile"], "always-on"), "t")
    assert {p.profile for p in named.persons if p.device == "token"} == {"always-on"}
    for name, path in scenario.shipped().items():
        raw = json.loads(path.read_text())
        groups = [g for g in raw["groups"] if "profile" in g]
        if "profile" in raw or groups:
            assert "profile" in raw["description"], f"{name}: names a profile without saying why"
        else:
            assert scenario.load(path).profile == fwconfig.DEFAULT_PROFILE, name


def test_reports_say_which_profile_ran():
    from host_tools.sim import report

    sc = scenario.parse(json.loads(json.dumps(BASE)), "t")
    d = profiles.default_name()
    assert report.profiles_line(sc, [{"profile": d}]) == (
        f"Token profile: {d} (the default profile); the product's default (bzfw.config.DEFAULT_PROFILE)")
    assert report.profiles_line(sc, [{"profile": "always-on"}, {"profile": d}]) == (
        f"Token profiles: always-on, {d} (the default profile); asked for")
    named = scenario.parse(with_(["profile"], "eco"), "t")
    assert report.profiles_line(named, [{"profile": "eco"}]).endswith("; named by the scenario")


def test_school_day_has_50_devices():
    sc = scenario.load(scenario.resolve("school-day"))
    assert sum(p.device != "none" for p in sc.persons) == 50


@pytest.mark.parametrize("path,value,needle", [
    (("groups", 0, "schedule", 0, "at"), "yrd", "groups[0].schedule[0].at: unknown place 'yrd'"),
    (("groups", 0, "schedule", 0, "from"), "8h", "groups[0].schedule[0].from: expected a time"),
    (("groups", 0, "schedule", 0, "to"), "07:00", "groups[0].schedule[0].to: must be after 'from'"),
    (("groups", 0, "schedule", 0, "move"), "dance", "unknown move 'dance'"),
    (("groups", 0, "devices"), {"token": 2, "ios": 1}, "groups[0].devices: 3 devices for 2 people"),
    (("groups", 0, "size"), "two", "groups[0].size: expected a number"),
    (("places", 0, "rect"), [0, 0, 5], "places[0].rect: expected [x, y, width, height]"),
    (("places", 0, "name"), "home", "places[0].name"),
    (("positive",), "g#9", "positive: no person 'g#9'"),
    (("air",), {"loss": "lots"}, "air.loss: expected a number"),
    (("air",), {"los": 0.1}, "air: unknown key 'los'"),
    (("date",), "2026-13-01", "date:"),
    (("colour",), "blue", "(top): unknown key 'colour'"),
])
def test_mistakes_are_named_where_they_are(path, value, needle):
    with pytest.raises(UsageError) as e:
        scenario.parse(with_(path, value), "t.json")
    assert str(e.value).startswith("t.json: ") and needle in str(e.value)


def test_overlapping_schedule_entries_are_refused():
    d = with_(("groups", 0, "schedule"), [{"from": "08:00", "to": "09:00", "at": "room"},
                                          {"from": "08:30", "to": "10:00", "at": "room"}])
    with pytest.raises(UsageError, match="overlaps"):
        scenario.parse(d)


def test_positive_must_carry_a_token():
    d = with_(("groups", 0, "devices"), {"android": 2})
    d["positive"] = "g#0"
    with pytest.raises(UsageError, match="carries no token"):
        scenario.parse(d)


def test_not_json_names_line(tmp_path):
    f = tmp_path / "s.json"
    f.write_text('{"name": "x",\n "date": }')
    with pytest.raises(UsageError, match="s.json: not JSON: .* line 2"):
        scenario.load(f)


def test_profiles_and_variants():
    fw = profiles.all_profiles()
    assert {"always-on", "eco"} <= set(fw)
    v = profiles.get("eco-4s-300")
    assert (v.scan_window_s, v.wake_period_s, v.wake_window_s, v.boot_s) == (4, 300, 4, 2)
    with pytest.raises(UsageError):
        profiles.get("eco-400s-300")
    with pytest.raises(UsageError, match="unknown token profile"):
        profiles.get("sometimes")


def test_seats_are_a_grid_at_the_spacing():
    sc = scenario.parse(with_(("places", 0, "seat_spacing"), 1.5))
    import numpy as np

    paths = mobility.build_paths(sc, np.random.default_rng(0))
    x0, y0, p0 = paths[0].at(np.array([8 * 3600.0 + 60]))
    x1, y1, p1 = paths[1].at(np.array([8 * 3600.0 + 60]))
    assert p0[0] == p1[0] == 0
    assert float(np.hypot(x1 - x0, y1 - y0)[0]) == pytest.approx(1.5)
    _x, _y, ph = paths[0].at(np.array([7 * 3600.0, 10 * 3600.0]))
    assert list(ph) == [mobility.HOME_PLACE, mobility.HOME_PLACE]


@given(st.floats(1, 600), st.floats(0.01, 1), st.floats(0, 600), st.floats(0, 1e5), st.floats(0.1, 10))
def test_periodic_fraction_is_exact_on_average(period, on_frac, phase, t, dt):
    p = Periodic(period, period * on_frac, phase)
    import numpy as np

    ts = t + np.arange(0, period * 3, dt)
    f = p.fraction(ts, dt)
    assert np.all(f >= -1e-9) and np.all(f <= 1 + 1e-9)
    whole = p.on_time(np.array([t + 3 * period])) - p.on_time(np.array([t]))
    assert whole[0] == pytest.approx(3 * period * on_frac, rel=1e-6, abs=1e-6)


def test_air_range_and_reception():
    import numpy as np

    a = dict(scenario.AIR_DEFAULTS)
    r = air.range_m(-60, a)
    assert 15 < r < 40  # a token is heard across a classroom, not across a school
    m = air.mean_rssi(np.array(-60.0), np.array([1.0, r]), np.array([False, False]), a)
    assert m[0] == pytest.approx(-60) and m[1] == pytest.approx(a["sensitivity_dbm"])
    u = np.full(3, 0.5)
    heard = air.heard(np.array([-50.0, -50.0, -99.0]), np.array([5.0, 0.0, 5.0]), a, u)
    assert list(heard) == [True, False, False]  # no advert sent, or below sensitivity: nothing heard


_json = st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False)
                     | st.text(max_size=8), lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=6), c,
                                                                                                 max_size=4),
                     max_leaves=12)
_paths = st.sampled_from([("name",), ("date",), ("start",), ("end",), ("seed",), ("step_s",), ("air",), ("tx_1m",),
                          ("phones",), ("places",), ("places", 0), ("places", 0, "rect"), ("groups",),
                          ("groups", 0), ("groups", 0, "size"), ("groups", 0, "devices"), ("groups", 0, "schedule"),
                          ("groups", 0, "schedule", 0), ("groups", 0, "schedule", 0, "from"), ("positive",)])


@settings(max_examples=3000 if DEEP else 200)  # generating nested JSON is the slow part
@given(st.lists(st.tuples(_paths, _json), min_size=1, max_size=3))
def test_any_damage_is_a_usage_error_never_a_crash(edits):
    d = json.loads(json.dumps(BASE))
    for path, value in edits:
        try:
            d = with_(path, value) if d == BASE else _set(d, path, value)
        except (KeyError, IndexError, TypeError):
            continue
    try:
        sc = scenario.parse(d, "fuzz.json")
    except UsageError as e:
        assert str(e).startswith("fuzz.json: ")
    else:
        assert sc.persons and sc.places


def _set(d, path, value):
    cur = d
    for k in path[:-1]:
        cur = cur[k]
    cur[path[-1]] = value
    return d
