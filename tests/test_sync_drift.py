"""Drift correction (host_tools.stationdb.Drift) against a plain reading of its rule, for any sync history."""

from hypothesis import given
from hypothesis import strategies as st

from host_tools.stationdb import Drift

syncs = st.lists(
    st.fixed_dictionaries({
        "host_ms": st.integers(0, 10**7),
        "offset_ms": st.integers(-10**5, 10**5),
        "residual_ms": st.one_of(st.none(), st.integers(-100, 100)),
        "clock_valid": st.sampled_from([0, 1, 1, 1]),
    }),
    max_size=8,
    unique_by=lambda r: r["host_ms"],
)


def _naive(rows, raw):
    rows = sorted(rows, key=lambda r: r["host_ms"])
    best = None
    for a, b in zip(rows, rows[1:], strict=False):
        if a["residual_ms"] is None or not b["clock_valid"]:
            continue
        t0, e0 = a["host_ms"] + a["residual_ms"], a["residual_ms"]
        t1, e1 = b["host_ms"] + b["offset_ms"], b["offset_ms"]
        seg = (t0, e0, t1, e1)
        if t1 > t0 and t0 <= raw <= t1 and (best is None or seg > best):  # the latest-starting period wins
            best = seg
    if best is None:
        return 0
    t0, e0, t1, e1 = best
    return -round(e0 + (e1 - e0) * (raw - t0) / (t1 - t0))


@given(syncs, st.lists(st.integers(-10**5, 2 * 10**7), max_size=20))
def test_correction_matches_the_rule(rows, raws):
    d = Drift(rows)
    for raw in raws + [r["host_ms"] for r in rows]:
        assert d.correction(raw) == _naive(rows, raw)


def test_linear_between_two_syncs():
    d = Drift([
        {"host_ms": 1000, "offset_ms": 0, "residual_ms": 10, "clock_valid": 1},
        {"host_ms": 101_000, "offset_ms": 2010, "residual_ms": 0, "clock_valid": 1},
    ])
    # token time runs from 1010 (error 10) to 103010 (error 2010): 2000 ms over 102000 ms
    assert [d.correction(t) for t in (1010, 52010, 103010)] == [-10, -1010, -2010]
