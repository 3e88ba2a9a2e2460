"""The jig step (`bztoken calibrate`): a token's offset measured from its pulled records of the 1 m reference,
stored in the station database, and used by `bztoken match --db` when that token's log is scored."""

import json
import os
import sqlite3
import stat
import time

import pytest

from bzfw import ids
from host_tools import cli
from host_tools.match import calibration
from host_tools.stationdb import StationDB

TID = "BZT-0042"


def _run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


_offset = [0]


def _insert(db, rows):
    """rows: (contact_id, first_ms, last_ms, count, rssi_mean), stored as a pull stores them."""
    recs = []
    for cid, a, b, n, r in rows:
        _offset[0] += 44
        recs.append({"token_id": TID, "day": a // ids.DAY_MS, "file_offset": _offset[0], "contact_id": cid,
                     "kind": 1, "slot": (a % ids.DAY_MS) // ids.SLOT_MS, "first_seen_ms": a, "last_seen_ms": b,
                     "raw_first_seen_ms": a, "raw_last_seen_ms": b, "correction_ms": 0, "count": n,
                     "rssi_min": r - 3, "rssi_max": r + 3, "rssi_mean": r})
    with StationDB(db) as sdb:
        sdb.store_pull({"token_id": TID, "started_ms": 0, "finished_ms": 0, "status": "complete"}, recs)


def _db(tmp_path):
    path = tmp_path / "station.db"
    StationDB(path).close()
    return path


def test_jig_step_stores_an_offset_and_match_uses_it(tmp_path, capsys):
    db = _db(tmp_path)
    now = int(time.time() * 1000)
    expected = calibration.rssi_1m("token")
    # 2 minutes on the jig: the token reads the reference 11 dB low (a weak unit, or its antenna)
    jig = [(calibration.JIG_REFERENCE_ID, now - 110_000 + 10_000 * k, now - 105_000 + 10_000 * k, 5,
            round(expected - 11)) for k in range(10)]
    _insert(db, jig)
    code, out, err = _run(capsys, "calibrate", "--db", str(db), "--token", TID, "--seconds", "120", "--json")
    assert code == 0, err
    r = json.loads(out)
    assert r["stored"] and r["sightings"] == 50 and r["offset_db"] == pytest.approx(11.0)
    assert calibration.offsets(db) == {TID: pytest.approx(11.0)}
    assert stat.S_IMODE(os.stat(db).st_mode) & 0o077 == 0
    code, out, _ = _run(capsys, "calibrate", "--db", str(db), "--list")
    assert code == 0 and TID in out and "+11.0 dB" in out

    # the positive's token sat 1.2 m from this token for 30 minutes: read 11 dB low, that looks like 3 m+
    key = os.urandom(32)
    day = ids.day_of(now) - 1
    t0 = day * ids.DAY_MS + 10 * 3_600_000
    contact = []
    for k in range(10):  # a record per 3 minutes, as an always-on token writes them
        a = t0 + k * 180_000
        worn = 2 * calibration.worn_loss("token")  # both wearers' bodies, on average
        contact.append((ids.slot_id(key, ids.slot_of(a)), a, a + 150_000, 4, round(expected - 2 - worn - 11)))
    _insert(db, contact)
    exp = tmp_path / "f0.json"
    exp.write_text(json.dumps({"data": [{"daily_key": key.hex(), "time_start": day * 86_400, "max": 96,
                                         "time_end": day * 86_400 + 86_399}]}))
    code, out, err = _run(capsys, "match", "--exposures", str(exp), "--db", str(db), "--json")
    assert code == 0, err
    (x,) = json.loads(out)["logs"][0]["exposures"]
    assert x["exposed"] and x["near_min"] >= 28 and x["buckets_s"]["immediate"] + x["buckets_s"]["near"] >= 28 * 60
    # without the jig offset the same log scores as far
    con = sqlite3.connect(db)
    with con:
        con.execute("DELETE FROM rssi_calibration")
    con.close()
    code, out, _ = _run(capsys, "match", "--exposures", str(exp), "--db", str(db), "--json")
    (y,) = json.loads(out)["logs"][0]["exposures"]
    assert not y["exposed"] and y["near_min"] < 5


def test_jig_step_refuses_too_few_sightings_and_wild_offsets(tmp_path, capsys):
    db = _db(tmp_path)
    now = int(time.time() * 1000)
    _insert(db, [(calibration.JIG_REFERENCE_ID, now - 30_000, now - 20_000, 3, -61)])
    code, _, err = _run(capsys, "calibrate", "--db", str(db), "--token", TID)
    assert code == 2 and "3 sightings" in err and "Traceback" not in err
    _insert(db, [(calibration.JIG_REFERENCE_ID, now - 20_000, now - 10_000, 40, -95)])
    code, _, err = _run(capsys, "calibrate", "--db", str(db), "--token", TID)
    assert code == 2 and "expected" in err
    assert calibration.offsets(db) == {}  # nothing stored
    code, _, err = _run(capsys, "calibrate", "--db", str(db), "--token", TID, "--reference-id", "zz")
    assert code == 2 and "not hex" in err
    # a dry run measures without storing
    _insert(db, [(calibration.JIG_REFERENCE_ID, now - 9_000, now - 5_000, 400, -58)])
    code, out, _ = _run(capsys, "calibrate", "--db", str(db), "--token", TID, "--dry-run", "--json")
    assert code == 0 and not json.loads(out)["stored"] and calibration.offsets(db) == {}
