"""`bztoken match` derives the usual list's IDs while the list is still checked (engine.Prederive): the same
output as deriving after the checks, on Hypothesis lists of usual and other entries; it starts only for the
usual list (every entry one day of 96 slots, one chunk), and a list refused after it started is refused as
before (exit 2, one line, nothing matched)."""

import json
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bzfw import ids
from host_tools import cli
from host_tools.match import engine

DAY0 = 18_600
OWN = "AA" * 12


def _files(tmp, entries, sightings):
    exp = tmp / "push.json"
    exp.write_text(json.dumps({"data": entries}))
    trace = tmp / "data_trace.txt"
    trace.write_text("".join(f"{OWN}\t{c}\t-60\t{t}\n" for c, t in sightings) or f"{OWN}\t{'00' * 12}\t-60\t1\n")
    return exp, trace


def _run(capsys, monkeypatch, ahead: bool, *argv):
    with monkeypatch.context() as m:
        if not ahead:
            m.setattr(engine.Prederive, "__call__", lambda self, *a: None)
        code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


entry_kind = st.sampled_from(["day", "day", "day", "short", "two days", "max 144"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(entry_kind, min_size=1, max_size=8), st.integers(0, 2**32), st.sampled_from(["strict", "scored"]),
       st.sampled_from(["1", "2"]), st.sampled_from(["20000000", "100000"]))
def test_same_output_derived_ahead_or_after(tmp_path_factory, capsys, monkeypatch, kinds, seed, mode, jobs, max_ids):
    rng = random.Random(seed)
    tmp = tmp_path_factory.mktemp("p")
    entries, sightings = [], []
    for i, kind in enumerate(kinds):
        key = rng.randbytes(32)
        t0 = (DAY0 + i) * 86_400
        m = 144 if kind == "max 144" else 96
        te = t0 + {"day": 86_399, "short": 3_600, "two days": 2 * 86_400 - 1}.get(kind, 86_399)
        if kind == "day" and rng.random() < 0.5:
            te = t0 + 85_500  # the shortest span that still has all 96 slots
        entries.append({"daily_key": key.hex(), "time_start": t0, "max": m, "time_end": te})
        slot = rng.randrange(4)
        sightings.append((ids.day_ids(key, m)[slot].hex(), t0 + slot * (86_400 // m) + rng.randrange(86_400 // m + 1)))
    exp, trace = _files(tmp, entries, sightings)
    argv = ("match", "--exposures", str(exp), "--log", str(trace), "--json", "--mode", mode, "--jobs", jobs,
            "--max-ids", max_ids)
    a = _run(capsys, monkeypatch, True, *argv)
    b = _run(capsys, monkeypatch, False, *argv)
    assert a[0] == b[0] == 0
    da, db = json.loads(a[1]), json.loads(b[1])
    usual = all(k == "day" for k in kinds) and int(max_ids) >= 96 * len(kinds)
    assert da["stats"].pop("derived_while_parsing") is usual
    assert db["stats"].pop("derived_while_parsing") is False
    for d in (da, db):
        for k in ("derive_s", "join_s", "parse_s"):
            d["stats"].pop(k)
    assert da == db
    assert sum(len(lg["matches"]) for lg in da["logs"]) >= (1 if mode == "strict" else 0)


def test_refused_after_deriving_started(tmp_path, capsys, monkeypatch):
    rng = random.Random(1)
    e = [{"daily_key": rng.randbytes(32).hex(), "time_start": (DAY0 + i) * 86_400, "max": 96,
          "time_end": (DAY0 + i) * 86_400 + 86_399} for i in range(300)]
    started = []
    real = engine.Prederive.__call__
    monkeypatch.setattr(engine.Prederive, "__call__", lambda self, *a: (real(self, *a), started.append(self.future)))
    for bad, msg in (({**e[7], "time_start": e[7]["time_start"]}, "entry 300: duplicate of"),
                     ({**e[7], "time_end": e[7]["time_start"] - 1, "time_start": e[7]["time_start"] + 86_399},
                      "entry 300: ")):
        exp, trace = _files(tmp_path, e + [bad], [])
        code, out, err = _run(capsys, monkeypatch, True, "match", "--exposures", str(exp), "--log", str(trace))
        assert code == 2 and out == "" and msg in err and len(err.strip().splitlines()) <= 2
    # the duplicate's list looked usual: derived ahead, then refused; the other was never started
    assert len(started) == 2 and started[0] is not None and started[1] is None


def test_columns_only_for_the_key_days_derived():
    import numpy as np

    from host_tools.match.exposures import KeyDays

    keys = random.Random(2).randbytes(32 * 3)
    t0 = np.array([DAY0 * 86_400] * 3, np.int64)
    ahead = engine.Prederive(1, 10_000)
    ahead(keys, t0, np.full(3, 96, np.int64), t0 + 86_399)
    assert ahead.future is not None

    def kds(k, valid=96):
        n = len(k) // 32
        return KeyDays(np.arange(n), k, t0[:n] * 1000, np.full(n, 900_000), np.full(n, 96), np.full(n, valid))

    assert ahead.columns(kds(keys), 96, None) is not None
    want = engine.build_chunk(kds(keys)).exposure_ids
    got = engine.build_chunk(kds(keys), ahead=ahead).exposure_ids
    assert all(np.array_equal(want[c], got[c]) for c in want)
    assert ahead.columns(kds(keys[:64]), 96, None) is None  # other key-days
    assert ahead.columns(kds(bytes(32) + keys[32:]), 96, None) is None
    assert ahead.columns(kds(keys), 144, None) is None and ahead.columns(kds(keys), 96, np.ones(3, np.int32)) is None
    late = engine.Prederive(1, 200)  # more IDs than one chunk holds: never started
    late(keys, t0, np.full(3, 96, np.int64), t0 + 86_399)
    assert late.future is None
