# The configuration: profiles, overrides, and a bad config that falls back instead of bricking.
from devfakes import file_root
from fwtest import eq

from bzfw import config
from bzfw.logstore import makedirs


def test_default_profile_is_the_tables_default():
    c = config.Config()
    eq(c.profile, config.DEFAULT_PROFILE, "profile")
    eq(config.Config({"token_id": "T-1"}).profile, config.DEFAULT_PROFILE, "a config without a profile")
    eq(c.deep_sleep, True, "the default lasts a sync cycle: it sleeps")
    c = config.Config({"profile": "always-on"})
    eq(c.deep_sleep, False, "no deep sleep")
    eq(c.scan_window_ms < c.scan_period_ms, True, "a duty cycle")
    eq(c.scan_period_ms % 30000 != 0, True, "not a multiple of the phones' 30 s advertising cycle")
    eq(c.error, None, "no error")


def test_eco_profile_and_overrides():
    c = config.Config({"token_id": "T-1", "profile": "eco", "scan_window_ms": 8000, "max_open": 64})
    eq((c.token_id, c.profile, c.deep_sleep), ("T-1", "eco", True), "eco")
    eq(c.wake_period_ms, config.PROFILES["eco"]["wake_period_ms"], "profile value")
    eq((c.scan_window_ms, c.max_open), (8000, 64), "overrides")
    eq(c.as_dict()["profile"], "eco", "as_dict")
    eq(c.unset_awake_ms < c.unset_period_ms, True, "clock not set: awake less than the period")
    c = config.Config({"profile": "eco", "crowd_budget": 0, "unset_period_ms": 60000, "unset_awake_ms": 2000})
    eq((c.crowd_budget, c.unset_period_ms, c.unset_awake_ms, c.error), (0, 60000, 2000, None), "crowd, unset")


def test_bad_values_fall_back_with_an_error():
    for bad, word in (
        ({"profile": "turbo"}, "profile"),
        ({"scan_window_ms": "5"}, "scan_window_ms"),
        ({"scan_window_ms": True}, "scan_window_ms"),
        ({"adv_interval_ms": 5}, "adv_interval_ms"),
        ({"scan_period_ms": 2000, "scan_window_ms": 3000}, "scan_window_ms"),
        ({"profile": "eco", "wake_window_ms": 200000}, "wake_window_ms"),
        ({"token_id": 5}, "token_id"),
        ({"crowd_budget": -1}, "crowd_budget"),
        ({"profile": "eco", "unset_period_ms": 5000, "unset_awake_ms": 5000}, "unset_awake_ms"),
        ([1, 2], "object"),
    ):
        c = config.Config(bad)
        eq(c.error is not None and word in c.error, True, f"error names {word}: {c.error!r}")
        eq(c.profile, config.DEFAULT_PROFILE, "fell back")
        eq(c.scan_window_ms, config.PROFILES[config.DEFAULT_PROFILE]["scan_window_ms"], "default values")


def test_load_from_files():
    root = file_root("cfg")
    makedirs(root)
    eq(config.load(root + "/missing.json").error, None, "missing file: defaults")
    with open(root + "/bad.json", "w") as f:
        f.write("{not json")
    eq(config.load(root + "/bad.json").error, "config is not valid JSON", "bad JSON")
    with open(root + "/null.json", "w") as f:
        f.write("null")
    eq(config.load(root + "/null.json").error, "config is not a JSON object", "null")
    with open(root + "/ok.json", "w") as f:
        f.write('{"profile": "eco", "token_id": "A"}')
    eq(config.load(root + "/ok.json").profile, "eco", "read")
