"""Incremental matching at the station (host_tools.station.matcher): pulls and list imports in any order, matched
batch by batch, give the same exposures as one full re-match; the worker process coalesces pokes and keeps the
station's matches up to date without a sync waiting for it."""

import hashlib
import json
import random

from conftest import DEEP
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bzfw import ids
from host_tools.station import matcher, store
from host_tools.stationdb import StationDB
from provisioning.registry import Registry

DAY0 = 20_400
SLOT_MS = 900_000
TOKENS = ("BZ-INC-0001", "BZ-INC-0002", "BZ-INC-0003")


def _station(path):
    store.init(path)
    with Registry(path, "incremental-pw", kdf_n=2**10) as reg:
        for i, t in enumerate(TOKENS):
            reg.add_token(t, bytes([i]) * 32, reg.add_wearer(f"W {i}"), None, "always-on")
    StationDB(path).close()


def _list(tmp, name, entries):
    """entries: [(key, day)] -> a push file, registered as the station does it."""
    doc = {"data": [{"daily_key": k.hex(), "time_start": d * 86400, "max": 96, "time_end": d * 86400 + 86399}
                    for k, d in entries]}
    p = tmp / name
    p.write_text(json.dumps(doc))
    return p, hashlib.sha256(p.read_bytes()).hexdigest(), len(entries)


def _pull_rows(rng, token, offsets, lists_keys, n):
    """n encounters of `token`: about half meet a list's ID (inside its window, at its edges, or just outside)."""
    rows = []
    for _ in range(n):
        day = DAY0 + rng.randrange(3)
        slot = rng.randrange(96)
        if lists_keys and rng.random() < 0.5:
            key, kday = rng.choice(lists_keys)
            day = kday
            cid = ids.slot_id(key, slot)
        else:
            cid = rng.randbytes(12)
        ws = day * ids.DAY_MS + slot * SLOT_MS
        first = ws + rng.choice([-45_000, -20_000, 0, 5_000, 400_000, 899_000, 910_000, 931_000])
        last = first + rng.choice([0, 60_000, 300_000])
        off = offsets.setdefault((token, day), 0)
        offsets[(token, day)] = off + 24
        lo = rng.randrange(-95, -40)
        rows.append({"token_id": token, "day": day, "file_offset": off, "contact_id": cid, "kind": 0, "slot": slot,
                     "first_seen_ms": first, "last_seen_ms": last, "raw_first_seen_ms": first,
                     "raw_last_seen_ms": last, "correction_ms": 0, "count": rng.randrange(1, 30), "rssi_min": lo,
                     "rssi_max": min(lo + 10, -30), "rssi_mean": lo + 5, "pull_id": 0})
    return rows


def _events(rng, tmp, n_lists, n_pulls):
    keys = [[(rng.randbytes(32), DAY0 + rng.randrange(3)) for _ in range(rng.randrange(1, 4))] for _ in range(n_lists)]
    all_keys = [k for ks in keys for k in ks]
    offsets: dict = {}
    ev = [("list", i, keys[i]) for i in range(n_lists)]
    ev += [("pull", TOKENS[rng.randrange(len(TOKENS))], _pull_rows(rng, None, offsets, all_keys, 0))
           for _ in range(n_pulls)]
    out = []
    for kind, a, b in ev:
        if kind == "pull":
            out.append(("pull", a, _pull_rows(rng, a, offsets, all_keys, rng.randrange(1, 25))))
        else:
            out.append((kind, a, b))
    rng.shuffle(out)
    return out


def _apply(db, tmp, event):
    kind, a, b = event
    if kind == "list":
        p, sha, n = _list(tmp, f"list{a}.json", b)
        store.add_list(db, f"list{a}.json", str(p), sha, n, "test")
    else:
        with StationDB(db) as sdb:
            sdb.store_pull({"token_id": a, "started_ms": 0, "finished_ms": 1, "status": "complete"}, b)


@settings(max_examples=25 if DEEP else 6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, 2**32), st.integers(1, 3), st.integers(1, 6), st.floats(0.0, 1.0))
def test_incremental_in_any_order_equals_one_full_rematch(tmp_path_factory, seed, n_lists, n_pulls, batch_p):
    tmp = tmp_path_factory.mktemp("inc")
    db = tmp / "station.db"
    _station(db)
    rng = random.Random(seed)
    cache = matcher._Lists()
    for ev in _events(rng, tmp, n_lists, n_pulls):
        _apply(db, tmp, ev)
        if rng.random() < batch_p:  # batches come when they come: after some events, several at once
            matcher.run_batch(db, cache)
    matcher.run_batch(db, cache)
    inc = matcher.current_exposures(db)
    inc_shown = sorted(map(lambda r: tuple(sorted((k, v) for k, v in r.items() if k not in ("id", "computed_ms"))),
                           store.matches(db)))
    matcher.match_all(db)
    full = matcher.current_exposures(db)
    full_shown = sorted(map(lambda r: tuple(sorted((k, v) for k, v in r.items() if k not in ("id", "computed_ms"))),
                            store.matches(db)))
    assert inc == full and inc_shown == full_shown
    # and the full re-match is the CLI's matcher over the same store, list by list
    from host_tools.match import calibration, engine, exposures, logs, scoring

    offs, profs = calibration.offsets(db), calibration.token_profiles(db)
    for lst in store.lists(db):
        res = engine.run_match(exposures.read_exposures([lst["path"]]), logs.db_logs(db) if _any(db) else [],
                               mode="scored", thresholds=scoring.Thresholds(),
                               receiver_of=lambda info: scoring.Receiver.from_info(info, offs, profs))
        want = sorted((lr.info["token_id"], e["entry"], e["duration_ms"], e["risk"]) for lr in res.logs
                      for e in lr.exposures)
        got = sorted((t, e, s["duration_ms"], s["risk"]) for lid, t, e, s in full if lid == lst["id"])
        assert got == want


def _any(db):
    with StationDB(db) as sdb:
        return sdb.count_encounters() > 0


def test_a_planted_contact_is_found_whichever_comes_first(tmp_path):
    db = tmp_path / "station.db"
    _station(db)
    key = bytes(range(32))
    ws = DAY0 * ids.DAY_MS + 40 * SLOT_MS
    row = {"token_id": TOKENS[0], "day": DAY0, "file_offset": 0, "contact_id": ids.slot_id(key, 40), "kind": 0,
           "slot": 40, "first_seen_ms": ws + 1000, "last_seen_ms": ws + 600_000, "raw_first_seen_ms": ws + 1000,
           "raw_last_seen_ms": ws + 600_000, "correction_ms": 0, "count": 40, "rssi_min": -60, "rssi_max": -50,
           "rssi_mean": -55, "pull_id": 0}
    _apply(db, tmp_path, ("pull", TOKENS[0], [row]))
    assert matcher.run_batch(db)["matches"] == 0  # no list yet
    _apply(db, tmp_path, ("list", 0, [(key, DAY0)]))
    r = matcher.run_batch(db)
    assert r["lists"] == 1 and r["pulls"] == 0 and r["matches"] == 1
    (m,) = store.matches(db)
    assert m["token_id"] == TOKENS[0] and m["first_seen_ms"] == ws + 1000 and m["list_name"] == "list0.json"
    # the same contact's second half arrives in a later pull: the pair is rescored from all its rows
    row2 = dict(row, file_offset=24, first_seen_ms=ws + 600_000, last_seen_ms=ws + 899_000,
                raw_first_seen_ms=ws + 600_000, raw_last_seen_ms=ws + 899_000)
    _apply(db, tmp_path, ("pull", TOKENS[0], [row2]))
    r = matcher.run_batch(db)
    assert r["pulls"] == 1 and r["lists"] == 0 and r["pairs"] == 1
    (m2,) = store.matches(db)
    assert m2["last_seen_ms"] == ws + 899_000 and m2["duration_ms"] >= m["duration_ms"]


def test_the_worker_process_coalesces_pokes_and_a_full_rematch_is_a_poke(tmp_path):
    db = tmp_path / "station.db"
    _station(db)
    rng = random.Random(4)
    key = rng.randbytes(32)
    _apply(db, tmp_path, ("list", 0, [(key, DAY0)]))
    m = matcher.Matcher(db)
    try:
        t = m.poke()
        assert m.wait(t, 120) and m.last_error is None and m.last["lists"] == 1
        offsets: dict = {}
        tickets = []
        for i in range(20):  # a burst: pokes pile up while the worker is busy and are done in few batches
            _apply(db, tmp_path, ("pull", TOKENS[i % 3], _pull_rows(rng, TOKENS[i % 3], offsets, [(key, DAY0)], 5)))
            tickets.append(m.poke())
        assert m.wait(tickets[-1], 120) and m.last_error is None
        inc = matcher.current_exposures(db)
        assert inc
        t = m.poke("full")
        assert m.wait(t, 120) and m.last_error is None
        assert matcher.current_exposures(db) == inc
    finally:
        m.close()


def test_full_rematch_command(tmp_path, capsys):
    from host_tools import cli

    db = tmp_path / "station.db"
    _station(db)
    key = bytes(range(1, 33))
    ws = DAY0 * ids.DAY_MS + 7 * SLOT_MS
    _apply(db, tmp_path, ("list", 0, [(key, DAY0)]))
    _apply(db, tmp_path, ("pull", TOKENS[1], [{
        "token_id": TOKENS[1], "day": DAY0, "file_offset": 0, "contact_id": ids.slot_id(key, 7), "kind": 0, "slot": 7,
        "first_seen_ms": ws, "last_seen_ms": ws + 800_000, "raw_first_seen_ms": ws, "raw_last_seen_ms": ws + 800_000,
        "correction_ms": 0, "count": 50, "rssi_min": -60, "rssi_max": -50, "rssi_mean": -55, "pull_id": 0}]))
    assert cli.main(["match", "--db", str(db), "--rematch", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["lists"] == 1 and out["pulls"] == 1 and out["matches"] == 1
    assert [m["token_id"] for m in store.matches(db)] == [TOKENS[1]]
    assert cli.main(["match", "--db", str(db), "--rematch", "--exposures", "x.json"]) == 2
