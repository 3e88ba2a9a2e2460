"""Near-minutes (host_tools.match.scoring): synthetic contacts with a known distance over time, through the real
matcher (derived IDs, join, scoring), as a token and as a Bluezone phone would log them."""

import math

import numpy as np
import pytest
from conftest import DEEP
from hypothesis import given, settings
from hypothesis import strategies as st

from bzfw import ids
from host_tools.errors import UsageError
from host_tools.match import calibration, engine, scoring
from host_tools.match.exposures import Entry
from host_tools.match.logs import LogSource, make_log

KEY = bytes(range(32))
T0 = 20_000 * 86_400  # a UTC midnight, unix s
N_PATH = 2.5  # path-loss exponent of the synthetic world (indoor, people around)


def _entry():
    return Entry(0, "test", 0, KEY, T0, 96, T0 + 86_399)


def _rssi(d: float, rcv: str = "token") -> float:
    """A token's advert d metres away as a worn `rcv` reads it: path loss and both wearers' bodies."""
    return (calibration.rssi_1m("token") - 10 * N_PATH * math.log10(d) - calibration.worn_loss("token")
            - calibration.worn_loss(rcv))


def _token_log(segments, rng, period_s=50, flush_s=180, offset_db=0.0, noise_db=4.0, name="tok"):
    """A token's records of the positive's token: per (slot, flush window) one record of the scans that heard
    it (one scan every period_s). segments: (start s from T0, end s, distance m). offset_db: the token reads
    this much too high (a unit's spread)."""
    rows, buf = [], {}
    for a, b, d in segments:
        for t in np.arange(a, b, period_s):
            t_ms = int((T0 + t) * 1000)
            key = (ids.slot_of(t_ms), t_ms // (flush_s * 1000))
            buf.setdefault(key, []).append((t_ms, _rssi(d) + offset_db + rng.normal(0, noise_db)))
    for (slot, _w), sights in sorted(buf.items()):
        ts = [t for t, _ in sights]
        rs = [round(r) for _, r in sights]
        rows.append((ids.slot_id(KEY, slot % 96), min(ts), max(ts) + 5000, len(rs), min(rs), max(rs),
                     round(sum(rs) / len(rs))))
    return make_log(name, rows, {"source": "test", "token_id": name})


def _phone_log(segments, rng, scan_on_s=40, period_s=300, noise_db=4.0):
    """A backgrounded Android phone: a 40 s scan every 300 s, one row per sighting at most every 5 s."""
    rows = []
    for a, b, d in segments:
        for c in np.arange(a - a % period_s, b, period_s):
            for t in np.arange(c, c + scan_on_s, 5):
                if a <= t < b:
                    t_ms = int((T0 + t) * 1000)
                    r = round(_rssi(d, "android") + rng.normal(0, noise_db))
                    rows.append((ids.slot_id(KEY, ids.slot_of(t_ms) % 96), t_ms, t_ms, 1, r, r, r))
    return make_log("phone", rows, {"source": "sim-phone", "platform": "android"})


def _score(log, receiver=None, th=None):
    res = engine.run_match([_entry()], [LogSource(log.name, lambda: log, len(log))], "scored", th,
                           receiver_of=lambda info: receiver or scoring.Receiver.from_info(info))
    (x,) = res.logs[0].exposures
    return x


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_near_minutes_of_a_known_contact_are_within_tolerance(seed):
    rng = np.random.default_rng(seed)
    h = 9 * 3600
    # 25 min at 1 m, 40 min at 6 m, 20 min at 1.5 m, then 2 h at 5 m: 45 minutes within 2 m
    segs = [(h, h + 1500, 1.0), (h + 1500, h + 3900, 6.0), (h + 3900, h + 5100, 1.5), (h + 5100, h + 12300, 5.0)]
    x = _score(_token_log(segs, rng), scoring.Receiver("token", sampling_s=50))
    # within 15 %: the 5-minute averaging blurs each near/far transition by up to about a minute and a half
    assert abs(x["near_min"] - 45) <= 7, x["near_min"]
    assert x["exposed"] and x["risk"] == "high"
    by_slot = {s["slot_start_ms"]: s["near_min"] for s in x["near_min_by_slot"]}
    assert all(v <= 15.01 for v in by_slot.values())  # never more than a slot's length
    assert abs(sum(by_slot.values()) - x["near_min"]) < 0.05
    assert sum(x["buckets_s"].values()) * 1000 >= x["duration_ms"] * 0.9  # the buckets hold the covered time
    # the same contact logged by a backgrounded Android phone (one 40 s scan every 5 minutes)
    y = _score(_phone_log(segs, rng))
    assert abs(y["near_min"] - 45) <= 10, y["near_min"]


def test_ten_near_minutes_are_not_hidden_by_eight_far_hours():
    rng = np.random.default_rng(7)
    h = 8 * 3600
    segs = [(h, h + 600, 1.0), (h + 600, h + 600 + 8 * 3600, 8.0)]
    x = _score(_token_log(segs, rng), scoring.Receiver("token", sampling_s=50))
    assert 8 <= x["near_min"] <= 13, x["near_min"]
    assert not x["exposed"] and x["risk"] == "medium"  # near, but under the 15-minute threshold
    assert x["rssi_mean"] < _rssi(2.0) - 10  # the day's mean says "far": it would have hidden the ten minutes
    assert x["duration_ms"] > 8 * 3_600_000
    # the ten minutes are in the slots where they happened
    near_slots = [s for s in x["near_min_by_slot"] if s["near_min"] >= 1]
    assert near_slots and all(abs(s["slot_start_ms"] - (T0 + h) * 1000) <= 2 * ids.SLOT_MS for s in near_slots)
    assert x["buckets_s"]["other"] > 7 * 3600


def test_far_all_day_is_not_near():
    rng = np.random.default_rng(3)
    x = _score(_token_log([(0, 6 * 3600, 4.0)], rng), scoring.Receiver("token", sampling_s=50))
    assert x["near_min"] < 15 and not x["exposed"]


def test_one_threshold_decides():
    rng = np.random.default_rng(11)
    log = _token_log([(3600, 3600 + 20 * 60, 1.0)], rng)
    rcv = scoring.Receiver("token", sampling_s=50)
    nm = _score(log, rcv)["near_min"]
    assert _score(log, rcv, scoring.Thresholds(near_min=nm - 0.5))["exposed"]
    assert not _score(log, rcv, scoring.Thresholds(near_min=nm + 0.5))["exposed"]
    with pytest.raises(UsageError):
        engine.run_match([], [], "scored", scoring.Thresholds(near_min=0))


def test_calibration_offset_moves_attenuation_by_its_amount():
    """A unit that reads 12 dB low looks 3 times farther away; its jig offset puts it back."""
    rng = np.random.default_rng(5)
    segs = [(7200, 7200 + 30 * 60, 1.2)]
    log = _token_log(segs, rng, offset_db=-12.0, noise_db=1.0)
    raw = _score(log, scoring.Receiver("token", 0.0, 50))
    fixed = _score(log, scoring.Receiver("token", 12.0, 50))
    truth = _score(_token_log(segs, np.random.default_rng(5), noise_db=1.0), scoring.Receiver("token", 0.0, 50))
    assert raw["near_min"] < 5 and fixed["near_min"] >= 25
    assert abs(fixed["near_min"] - truth["near_min"]) <= 1.0
    # the shift is exact: the same rows with every RSSI 12 dB higher score as the offset does
    lifted = make_log("tok", [(log.cid[12 * i:12 * i + 12], int(log.first_ms[i]), int(log.last_ms[i]),
                               int(log.count[i]), int(log.rssi_min[i]) + 12, int(log.rssi_max[i]) + 12,
                               int(log.rssi_mean[i]) + 12) for i in range(len(log))], {"source": "test"})
    assert _score(lifted, scoring.Receiver("token", 0.0, 50))["buckets_s"] == fixed["buckets_s"]


def test_receiver_kind_from_the_log():
    assert scoring.Receiver.from_info({"source": "data_trace", "unit": "s"}).kind == "ios"
    assert scoring.Receiver.from_info({"source": "data_trace", "unit": "ms"}).kind == "android"
    r = scoring.Receiver.from_info({"source": "station-db", "token_id": "T1"}, {"T1": 3.5}, {"T1": "eco"})
    assert (r.kind, r.offset_db, r.period_s()) == ("token", 3.5, 120.0)
    assert scoring.Receiver("android").period_s() == 300.0


def test_calibration_table_is_complete_and_sourced():
    t = calibration.table()
    for k in calibration.KINDS:
        row = t["kinds"][k]
        assert row["source"] and isinstance(row["rssi_1m_dbm"], float)
    edges, names, weights = calibration.buckets()
    assert edges == sorted(edges) and weights == sorted(weights, reverse=True) and weights[-1] == 0
    for k in calibration.KINDS:
        assert calibration.tx_dbm(k) - calibration.rssi_1m(k) == pytest.approx(t["fspl_1m_db"]
                                                                              - calibration.worn_loss(k))


def test_simulator_senders_agree_with_the_table():
    """The simulated world and the station's table describe the same devices (one source of figures each:
    if one changes, this says so)."""
    from host_tools.sim.scenario import TX_1M_DEFAULTS, WEAR_DEFAULTS, WEAR_POSITIONS

    for k in calibration.KINDS:
        assert TX_1M_DEFAULTS[k] == pytest.approx(calibration.rssi_1m(k), abs=1.0), k
        shares = WEAR_DEFAULTS[k]
        worn = sum(w * (WEAR_POSITIONS[p]["base"] + WEAR_POSITIONS[p]["back"] / 2) for p, w in shares.items())
        assert worn / sum(shares.values()) == pytest.approx(calibration.worn_loss(k), abs=1.0), k


def test_sender_kind_per_entry():
    """The same RSSI from a quieter sender (an Android phone advertises about 12 dB under a token) means closer."""
    rng = np.random.default_rng(9)
    log = _token_log([(3600, 3600 + 20 * 60, 3.0)], rng, noise_db=1.0)
    src = [LogSource(log.name, lambda: log, len(log))]
    rcv = lambda info: scoring.Receiver("token", sampling_s=50)  # noqa: E731
    tok = engine.run_match([_entry()], src, "scored", receiver_of=rcv, sender_of=lambda e: "token")
    phone = engine.run_match([_entry()], src, "scored", receiver_of=rcv, sender_of=lambda e: "android")
    (x,), (y,) = tok.logs[0].exposures, phone.logs[0].exposures
    assert x["near_min"] < 3 and y["near_min"] >= 18
    assert calibration.tx_dbm("token") - calibration.tx_dbm("android") == pytest.approx(
        calibration.rssi_1m("token") - calibration.rssi_1m("android") - calibration.worn_loss("token")
        + calibration.worn_loss("android"))



@st.composite
def _records(draw):
    n = draw(st.integers(1, 30))
    rows = []
    for _ in range(n):
        t = T0 * 1000 + draw(st.integers(0, 6 * 3_600_000))
        span = draw(st.sampled_from([0, 5_000, 60_000, 170_000]))
        r = draw(st.integers(-100, -40))
        rows.append((ids.slot_id(KEY, ids.slot_of(t) % 96), t, t + span, draw(st.integers(1, 40)), r - 2, r + 2, r))
    return rows


@settings(max_examples=200 if DEEP else 20, deadline=None)
@given(_records(), st.sampled_from(["token", "android", "ios"]), st.integers(1, 20))
def test_near_minutes_invariants(rows, kind, lift):
    """Whatever the records: the slots add up to the total, no slot holds more than 15 minutes, near time is
    part of the covered time, and a stronger signal never means fewer near-minutes."""
    rcv = scoring.Receiver(kind, sampling_s=50 if kind == "token" else None)
    x = _score(make_log("x", rows, {"source": "test"}), rcv)
    by_slot = sum(s["near_min"] for s in x["near_min_by_slot"])
    assert by_slot == pytest.approx(x["near_min"], abs=0.01 * len(rows) + 0.05)
    assert all(s["near_min"] <= 15.0 + 1e-6 for s in x["near_min_by_slot"])
    assert x["near_min"] * 60 <= sum(x["buckets_s"].values()) + 1e-6
    up = [(c, a, b, n, lo + lift, hi + lift, m + lift) for c, a, b, n, lo, hi, m in rows]
    y = _score(make_log("x", up, {"source": "test"}), rcv)
    assert y["near_min"] >= x["near_min"] - 1e-6


def test_each_bucket_edge_stands_for_its_printed_distance():
    """The distance the station prints beside each bucket (calibration.json about_m) is the one its edge was set
    for: the log-distance model 40.2 + 10 n log10(d), n = 2.0..2.5 (indoor, people around), puts it within
    1 dB of the edge."""
    edges, _names, _weights = calibration.buckets()
    fspl = calibration.table()["fspl_1m_db"]
    for edge, d in zip(edges, calibration.bucket_distances_m(), strict=True):
        lo, hi = fspl + 20 * math.log10(d), fspl + 25 * math.log10(d)
        assert lo - 1 <= edge <= hi + 1, (edge, d, lo, hi)
    assert calibration.bucket_distances_m() == sorted(calibration.bucket_distances_m())
