"""The simulator on small scenarios whose outcome can be checked by hand."""

import numpy as np
import pytest

from bzfw import adv, ids, records
from host_tools.sim import engine, scenario
from host_tools.sim.devices import Phone, Token


def tiny(groups, places=None, **top):
    """A scenario of a few people, 08:00-09:00 local (UTC), the ones given."""
    data = {
        "name": "tiny",
        "date": "2026-03-02",
        "start": "08:00",
        "end": "09:00",
        "seed": 7,
        "places": places or [{"name": "room", "rect": [0, 0, 6, 6], "seat_spacing": 1.0},
                             {"name": "far", "rect": [1000, 0, 6, 6]}],
        "groups": groups,
        # named: these tests count detections in an hour, which the awake profile gives; the product's default
        # (scenarios run it unless they name one) sleeps between short windows (test_sim_scenario.py)
        "profile": "always-on",
    }
    data.update(top)
    return scenario.parse(data, "tiny")


def seated(name, n, at="room", devices=None, frm="08:00", to="09:00", **g):
    return {"name": name, "size": n, "devices": devices or {"token": n},
            "schedule": [{"from": frm, "to": to, "at": at, "move": "seated"}], **g}


def log_records(tok: Token):
    out = []
    for day in tok.logstore.days():
        data = tok.logstore.read(day, 0, tok.logstore.size(day))
        for i in range(0, len(data), records.RECORD_SIZE):
            out.append(records.decode(data[i:i + records.RECORD_SIZE], day))
    return out


def token_ids(tok: Token, day: int) -> set[bytes]:
    return set(ids.day_ids(tok.keystore.key_for(day)))


def test_two_tokens_side_by_side_log_each_others_ids(tmp_path):
    sc = tiny([seated("a", 2)])
    res = engine.simulate(sc, tmp_path)
    a, b = res.tokens
    day = ids.day_of(sc.t0_ms)
    recs_a = log_records(a)
    assert recs_a, "a token next to another logs it"
    assert {r[3] for r in recs_a} <= token_ids(b, day)
    assert {r[3] for r in log_records(b)} <= token_ids(a, day)
    for r in recs_a:  # every record is a well-formed encounter within the simulated hour
        assert r[2] == adv.KIND_ANDROID
        assert sc.t0_ms - 5000 <= r[4] <= r[5] <= sc.t1_ms + 5000
        assert -127 <= r[7] <= r[9] <= r[8] <= 0
    # 1 m apart, side by side, both facing the front: each body shadows half its back loss toward the other;
    # the hour's mean is the 1 m RSSI less both bodies, plus both units' offsets (shadowing and fading average out)
    n = sum(r[6] for r in recs_a)
    expect = (-60 + b.tx_off_db + a.rx_off_db - a.body_base_db - a.body_back_db / 2
              - b.body_base_db - b.body_back_db / 2)
    assert expect - 4 <= sum(r[9] * r[6] for r in recs_a) / n <= expect + 3
    # seats 1 m apart for an hour: a close contact, and the only pair there is
    assert res.truth_pairs() == {(0, 1)}
    assert res.contact_s[0, 1] == pytest.approx(3600, abs=2 * sc.step_s)


def test_ground_truth_counts_time_within_2m_only(tmp_path):
    places = [{"name": "room", "rect": [0, 0, 6, 6], "seat_spacing": 1.0},
              {"name": "hall", "rect": [0, 20, 20, 2], "seat_spacing": 5.0}]
    # x and y sit 1 m apart for 10 minutes (not a contact), then 5 m apart in the hall for 50
    g = {"name": "p", "size": 2, "devices": {"token": 2}, "schedule": [
        {"from": "08:00", "to": "08:10", "at": "room", "move": "seated"},
        {"from": "08:10", "to": "09:00", "at": "hall", "move": "seated"}]}
    res = engine.simulate(tiny([g], places), tmp_path)
    assert res.contact_s[0, 1] == pytest.approx(600, abs=4)
    assert res.truth_pairs() == set()


def test_same_seed_same_result(tmp_path):
    groups = [seated("a", 3, devices={"token": 2, "android": 1}),
              {"name": "w", "size": 3, "devices": {"token": 2, "ios": 1},
               "schedule": [{"from": "08:00", "to": "09:00", "at": "room", "move": "mingle", "dwell_s": 60}]}]
    runs = [engine.simulate(tiny(groups), tmp_path / str(i)) for i in range(2)]
    assert np.array_equal(runs[0].contact_s, runs[1].contact_s)
    for t0, t1 in zip(runs[0].tokens, runs[1].tokens, strict=True):
        assert log_records(t0) == log_records(t1)
        assert t0.keystore.key_for(ids.day_of(runs[0].scenario.t0_ms)) == t1.keystore.key_for(
            ids.day_of(runs[1].scenario.t0_ms))
    for p0, p1 in zip(runs[0].phones, runs[1].phones, strict=True):
        assert p0.log == p1.log
    other = engine.simulate(tiny(groups, seed=8), tmp_path / "other")
    assert [log_records(t) for t in other.tokens] != [log_records(t) for t in runs[0].tokens]


def test_a_token_out_of_range_of_everyone_logs_nothing(tmp_path):
    res = engine.simulate(tiny([seated("a", 3), seated("alone", 1, at="far")]), tmp_path)
    alone = next(t for t in res.tokens if t.pid.startswith("alone"))
    assert alone.logstore.days() == []
    assert alone.agg.sightings == 0
    day = ids.day_of(res.scenario.t0_ms)
    for t in res.tokens:
        if t is not alone:
            assert log_records(t), "the others hear each other"
            assert not {r[3] for r in log_records(t)} & token_ids(alone, day)


def test_a_token_at_home_all_day_logs_nothing(tmp_path):
    g = {"name": "h", "size": 2, "devices": {"token": 2}, "schedule": [{"from": "08:00", "to": "09:00", "at": "home"}]}
    res = engine.simulate(tiny([g]), tmp_path)
    assert all(t.logstore.days() == [] for t in res.tokens)
    assert res.stats["busy_blocks"] == 0


def test_eco_tokens_hear_each_other_only_in_their_utc_aligned_windows(tmp_path):
    sc = tiny([seated("a", 2)], profile="eco", clock_ppm=0, clock_error_ms=0)
    res = engine.simulate(sc, tmp_path)
    p = res.tokens[0].profile
    assert p.eco
    recs = log_records(res.tokens[0])
    assert recs
    period, scan = p.wake_period_s * 1000, p.scan_window_s * 1000
    for r in recs:  # the window starts at the UTC multiple (the token booted before it) and scans its start
        for t in (r[4], r[5]):
            assert t % period < scan + 1000
    # the firmware flushes before every deep sleep: at least one record per window with a contact
    assert len(recs) >= 0.9 * 3600 / p.wake_period_s


def test_phones_and_tokens(tmp_path):
    sc = tiny([seated("a", 3, devices={"token": 1, "android": 1, "ios": 1})])
    res = engine.simulate(sc, tmp_path)
    tok = res.tokens[0]
    android = next(p for p in res.phones if p.platform == "android")
    ios = next(p for p in res.phones if p.platform == "ios")
    assert isinstance(android, Phone)
    day = ids.day_of(sc.t0_ms)
    logged = {r[3] for r in log_records(tok)}
    android_ids = {android.id_at(t) for t in range(sc.t0_ms, sc.t1_ms, ids.SLOT_MS)}
    assert logged & android_ids, "a token logs a backgrounded Android phone next to it"
    # always-on reads iOS phones over GATT (bzfw/ioscentral.py, ios_reads_per_min 6): their IDs are logged
    assert tok.profile.ios_gatt
    assert logged & {ios.id_at(t) for t in range(sc.t0_ms - 60000, sc.t1_ms + 60000, 60000)}
    assert {c for c, *_ in android.log} & token_ids(tok, day), "the phone logs the token"
    assert {c for c, *_ in ios.log} & token_ids(tok, day)
    # Android reads the iOS phone over GATT (when close and lucky): its ID is in the Android log
    assert {c for c, *_ in android.log} & {ios.id_at(t) for t in range(sc.t0_ms, sc.t1_ms, ids.SLOT_MS)}


def test_workdir_not_ours_is_refused(tmp_path):
    (tmp_path / "precious.txt").write_text("x")
    from host_tools.errors import UsageError

    with pytest.raises(UsageError, match="not empty"):
        engine.simulate(tiny([seated("a", 2)]), tmp_path)
    assert (tmp_path / "precious.txt").exists()


def test_phones_follow_bluezone_duty_cycles(tmp_path):
    """Background Android: scans 40 s of every 300 s and advertises 15 s of every 30 s (spec 2.2, 2.4)."""
    sc = tiny([seated("a", 3, devices={"token": 1, "android": 2}, android_foreground=1)])
    res = engine.simulate(sc, tmp_path)
    bg = next(p for p in res.phones if p.mode == "background")
    fg = next(p for p in res.phones if p.mode == "foreground")
    assert (bg.scan_sched.on_s, bg.adv_sched.on_s) == (40, 15)
    assert 300 <= bg.scan_sched.period_s <= 306 and 30 <= bg.adv_sched.period_s <= 30.6  # cycles run a bit late
    assert bg.log
    per = bg.scan_sched.period_s
    for _cid, t, _rssi, _kind in bg.log:
        phase = (t / 1000 - bg.scan_sched.phase_s + 0.01) % per  # t: the phone's clock, as its windows
        assert phase <= 40.02
    # a foreground phone scans nearly all the time: it hears the token far more often
    tok_day = token_ids(res.tokens[0], ids.day_of(sc.t0_ms))
    n_bg = sum(c in tok_day for c, *_ in bg.log)
    n_fg = sum(c in tok_day for c, *_ in fg.log)
    assert n_fg > 4 * n_bg > 0


def test_gatt_variant_logs_ios_phones(tmp_path):
    sc = tiny([seated("a", 2, devices={"token": 1, "ios": 1})], profile="always-on+gatt")
    res = engine.simulate(sc, tmp_path)
    tok, ios = res.tokens[0], res.phones[0]
    assert tok.profile.ios_gatt
    recs = log_records(tok)
    assert recs and {r[2] for r in recs} == {adv.KIND_IOS}
    assert {r[3] for r in recs} <= {ios.id_at(t) for t in range(sc.t0_ms - 60000, sc.t1_ms + 60000, 60000)}


def test_any_group_name_gives_a_valid_token_id_and_a_safe_directory(tmp_path):
    from provisioning.registry import check_token_id

    groups = [seated("a/../../b", 1), seated("a b", 1), seated("a-b", 1), seated("x" * 40, 1)]
    res = engine.simulate(tiny(groups), tmp_path / "w")
    tids = [t.token_id for t in res.tokens]
    assert len(set(tids)) == 4
    for t in res.tokens:
        assert check_token_id(t.token_id)
        assert t.root.parent == tmp_path / "w" / "tokens"
