"""The hub end to end on DuckDB: two stations export, the hub matches, each station imports its own wearers.

A wearer (token T, home station A) synced at A and at B: their contact with a positive is split between the two
stations' logs, 9 minutes each. Neither station alone reaches the threshold (15 near-minutes); the hub, with
both halves under one pseudonym, does, and station A flags the wearer with the hub as the source; station B,
where T is only a visiting token, ignores it, and flags its own wearer U. The Spark engine's results are compared
with these in tests/test_hub_spark.py.
"""

import json
import random
import sqlite3

import hub_data as hd
import pytest

from host_tools.cli import main
from host_tools.hub import export, pseudonym, results
from host_tools.match import engine, exposures, logs

pytest.importorskip("pyarrow")

T, U = "BZ-TTTTT-00001", "BZ-UUUUU-00002"
NAMES = {T: "Nguyễn Văn An", U: "Trần Thị Bình"}


def _rows(rng, token, contacts, day, start_off=0, noise=40):
    """Encounters of `token`: the planted contacts (cid, first, last) with near RSSI, and random noise."""
    out = []
    off = start_off
    for cid, first, last in contacts:
        r = hd.encounter(token, day, off, cid, first, last, rng)
        r.update(rssi_mean=-50, rssi_max=-45, rssi_min=-56, count=12)
        out.append(r)
        off += 16
    for _ in range(noise):
        out.append(hd.noise(rng, token, day, off))
        off += 16
    return out


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hub")
    rng = random.Random(18)
    key = rng.randbytes(32)
    day = hd.DAY0
    secrets_ = {T: rng.randbytes(32), U: rng.randbytes(32)}
    from bzfw import ids

    idl = ids.day_ids(key, 96)
    ws = lambda s: day * hd.DAY_MS + s * hd.SLOT_MS  # noqa: E731
    # T: 9 min close in slot 40 (pulled at A) and 9 min in slot 41 (pulled at B); U: 14 min in slot 50 (at B).
    t_at_a = _rows(rng, T, [(idl[40], ws(40) + 300_000, ws(40) + 840_000)], day)
    t_at_b = _rows(rng, T, [(idl[41], ws(41), ws(41) + 540_000)], day, start_off=16 * 41)
    u_at_b = _rows(rng, U, [(idl[50], ws(50) + 30_000, ws(50) + 870_000)], day)
    a, b, both = tmp / "a.db", tmp / "b.db", tmp / "both.db"
    eco = {T: "eco"}  # how T's log is scored travels with it (its sampling period)
    hd.make_station(a, {T: secrets_[T]}, {T: NAMES[T]}, [(T, t_at_a)], eco)
    hd.make_station(b, {T: secrets_[T], U: secrets_[U]}, {U: NAMES[U]}, [(T, t_at_b), (U, u_at_b)], eco)
    hd.make_station(both, {T: secrets_[T]}, {T: NAMES[T]}, [(T, t_at_a), (T, t_at_b)], eco)
    lst = hd.exposure_list(tmp / "f0-list.json", [(key, day)])
    return {"tmp": tmp, "a": a, "b": b, "both": both, "list": lst, "secrets": secrets_, "key": key}


@pytest.fixture(scope="module")
def exported(province):
    logs_dir = province["tmp"] / "logs"
    ra = export.export(province["a"], logs_dir, hd.PW, station="HN-A")
    rb = export.export(province["b"], logs_dir, hd.PW, station="HN-B")
    return logs_dir, ra, rb


@pytest.fixture(scope="module")
def duck_results(province, exported):
    out = province["tmp"] / "out-duckdb"
    assert main(["hub", "match", "--engine", "duckdb", "--logs", str(exported[0]), "--exposures",
                 str(province["list"]), "--out", str(out)]) == 0
    return out


def _local(db, lst, mode="scored"):
    res = engine.run_match(list(exposures.read_entries([lst])), logs.db_logs(db), mode=mode,
                           receiver_of=hd.station_receivers(db))
    return {lr.log.removeprefix("token:"): lr for lr in res.logs}


def test_export_layout_and_pseudonyms(province, exported):
    logs_dir, ra, rb = exported
    assert ra["rows"] == 41 and rb["rows"] == 82
    day = export.day_str(hd.DAY0)
    assert sorted(p.relative_to(logs_dir).parent.as_posix() for p in logs_dir.rglob("*.parquet")) == \
        [f"day={day}/station=HN-A", f"day={day}/station=HN-B"]
    assert sorted(p.name for p in (logs_dir / "_manifests").iterdir()) == ["HN-A-1-1.json", "HN-B-1-2.json"]
    assert all(p.stat().st_mode & 0o077 == 0 for p in logs_dir.rglob("*.parquet"))
    import duckdb

    names = {r[0] for r in duckdb.sql(f"SELECT DISTINCT pseudonym FROM read_parquet('{logs_dir}/**/*.parquet')")
             .fetchall()}
    # The same token has the same pseudonym at both stations: the hub can join its days.
    pt, pu = (pseudonym.pseudonym(province["secrets"][t], t) for t in (T, U))
    assert names == {pt, pu}
    rx = set(duckdb.sql(f"SELECT DISTINCT pseudonym, rx_profile FROM read_parquet('{logs_dir}/**/*.parquet')")
             .fetchall())
    assert rx == {(pt, "eco"), (pu, None)}


def test_hub_flags_the_wearer_at_home_from_both_stations(province, duck_results):
    summary = json.loads((duck_results / "summary.json").read_text())
    assert summary["exposures_found"] == {"scored": 2}
    # Each station alone sees T near for less than the threshold (15 near-minutes): not flagged as exposed
    # ("medium"); both halves together are over it ("high"), and that is what the hub finds.
    for st in ("a", "b"):
        (alone,) = _local(province[st], province["list"])[T].exposures
        assert alone["risk"] == "medium" and alone["near_min"] < 15
    local_both = _local(province["both"], province["list"])[T].exposures[0]
    assert local_both["risk"] == "high" and local_both["near_min"] >= 15

    res_a = results.import_results(str(duck_results), province["a"], hd.PW)
    assert (res_a["flagged"], res_a["wearers"], res_a["other_stations_pseudonyms"]) == (1, 1, 1)
    con = sqlite3.connect(province["a"])
    row = con.execute("SELECT token_id, risk, proximity, first_seen_ms, last_seen_ms, duration_ms, rssi_mean,"
                      " list_name, wearer_id FROM station_matches").fetchall()
    assert len(row) == 1
    tid, risk, prox, first, last, dur, rssi, list_name, wid = row[0]
    # Exactly what a station holding both halves computes, with the hub run and the list as the source.
    assert (tid, risk, prox, first, last, dur, rssi) == (T, local_both["risk"], local_both["proximity"],
                                                        local_both["first_seen_ms"], local_both["last_seen_ms"],
                                                        local_both["duration_ms"], local_both["rssi_mean"])
    assert list_name.startswith("hub ") and list_name.endswith(": f0-list.json")
    # and the estimate behind the flag, as the station's pages and notice show it (near-minutes, buckets, rule)
    near, threshold, buckets = con.execute("SELECT near_min, near_threshold, buckets_s FROM station_matches").fetchone()
    assert near == local_both["near_min"] and threshold == summary["thresholds"]["near_min"] == 15
    assert json.loads(buckets) == local_both["buckets_s"] and sum(local_both["buckets_s"].values()) > 0
    assert con.execute("SELECT name FROM wearers WHERE id = ?", (wid,)).fetchone()[0] == NAMES[T]

    res_b = results.import_results(str(duck_results), province["b"], hd.PW)
    assert (res_b["flagged"], res_b["tokens_without_wearer_here"]) == (1, 1)
    assert [m["token_id"] for m in res_b["matches"]] == [U]

    # Importing again replaces the hub's rows (no duplicates).
    results.import_results(str(duck_results), province["a"], hd.PW)
    assert con.execute("SELECT COUNT(*) FROM station_matches").fetchone()[0] == 1
    # The station's own re-match (which replaces its matches wholesale) keeps the hub's flag.
    from host_tools.station import store

    store.replace_matches(province["a"], [{"token_id": T, "wearer_id": wid, "risk": "low", "proximity": "near",
                                          "first_seen_ms": 1, "last_seen_ms": 2, "duration_ms": 1, "rssi_mean": -60,
                                          "list_name": "local.json"}])
    kept = sorted(r[0] for r in con.execute("SELECT list_name FROM station_matches"))
    assert kept == sorted(["local.json", list_name])
    store.replace_matches(province["a"], [])
    assert [r[0] for r in con.execute("SELECT list_name FROM station_matches")] == [list_name]


def test_hub_matches_equal_the_station_matcher(province, duck_results):
    import duckdb

    files = [str(p) for p in (duck_results / "results").rglob("*.parquet")]
    hub = duckdb.sql(f"SELECT mode, pseudonym, detail FROM read_parquet({files!r}, hive_partitioning = true) "
                     "WHERE record = 'match'").fetchall()
    for mode in ("strict", "scored"):
        local = {**_local(province["both"], province["list"], mode),
                 U: _local(province["b"], province["list"], mode)[U]}
        want = sorted((pseudonym.pseudonym(province["secrets"][t], t), json.dumps(m, sort_keys=True))
                      for t, lr in local.items() for m in lr.matches)
        got = sorted((p, d) for md, p, d in hub if md == mode)
        assert got == want and got


def test_reexport_sends_nothing_twice(province, exported, tmp_path):
    logs_dir = exported[0]
    before = sorted(p.name for p in logs_dir.rglob("*.parquet"))
    again = export.export(province["a"], logs_dir, hd.PW)
    assert again["rows"] == 0 and again["files"] == []
    assert sorted(p.name for p in logs_dir.rglob("*.parquet")) == before
    # A new pull is exported alone, in a new batch.
    rng = random.Random(3)
    from host_tools.stationdb import StationDB

    with StationDB(province["a"]) as sdb:
        sdb.store_pull({"token_id": T, "started_ms": 9, "finished_ms": 9, "status": "complete"},
                       [hd.noise(rng, T, hd.DAY0 + 1, 16 * i) for i in range(5)])
    new_dir = tmp_path / "next"
    res = export.export(province["a"], new_dir, hd.PW)
    assert res["rows"] == 5 and len(res["files"]) == 1
    assert res["files"][0].startswith(f"day={export.day_str(hd.DAY0 + 1)}/station=HN-A/")


def test_export_after_a_crash_rewrites_the_same_batch(province, tmp_path):
    db = tmp_path / "c.db"
    rng = random.Random(5)
    hd.make_station(db, {T: province["secrets"][T]}, {T: NAMES[T]}, [(T, _rows(rng, T, [], hd.DAY0, noise=7))])
    out = tmp_path / "logs"
    con = sqlite3.connect(db)
    con.executescript(export.STATE_SCHEMA)
    # A batch recorded as being written (the process died before its manifest): the rerun redoes it, same names.
    con.execute("INSERT INTO hub_state VALUES ('station', 'HN-C')")
    con.execute("INSERT INTO hub_exports (started_ms, station, out, pull_from, pull_to, status)"
                " VALUES (0, 'HN-C', ?, 1, 1, 'writing')", (str(out),))
    con.commit()
    with __import__("host_tools.stationdb").stationdb.StationDB(db) as sdb:
        sdb.store_pull({"token_id": T, "started_ms": 1, "finished_ms": 1, "status": "complete"},
                       [hd.noise(rng, T, hd.DAY0, 16 * (100 + i)) for i in range(3)])
    res = export.export(db, out, hd.PW)
    assert res["pulls"] == [1, 1] and res["rows"] == 7
    res2 = export.export(db, out, hd.PW)
    assert res2["pulls"] == [2, 2] and res2["rows"] == 3
    assert export.export(db, out, hd.PW)["rows"] == 0


def test_export_cli_station_code(province, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BZTOKEN_PASSPHRASE", hd.PW)
    db = tmp_path / "d.db"
    hd.make_station(db, {T: province["secrets"][T]}, {}, [(T, _rows(random.Random(1), T, [], hd.DAY0, noise=3))])
    assert main(["hub", "export", "--db", str(db), "--out", str(tmp_path / "x")]) == 2
    assert "no hub code" in capsys.readouterr().err
    assert main(["hub", "export", "--db", str(db), "--out", str(tmp_path / "x"), "--station", "bad code"]) == 2
    assert main(["hub", "export", "--db", str(db), "--out", str(tmp_path / "x"), "--station", "QN-7", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["rows"] == 3
    assert main(["hub", "export", "--db", str(db), "--out", str(tmp_path / "x"), "--station", "QN-8"]) == 2
    assert "exports as 'QN-7'" in capsys.readouterr().err
