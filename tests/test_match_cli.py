"""`bztoken match`, `export-log` and `export-keys` end to end: the real SyncServer/KeyStore/LogStore over a pty
(host_tools.sync.ptytoken), the station database filled by a real pull, phone exports, bad input."""

import json
import os
import threading
import time

import pytest

from bzfw import ids, records
from host_tools import cli
from host_tools.match import phones
from host_tools.match.exposures import read_entries
from host_tools.match.logs import read_trace
from host_tools.stationdb import StationDB
from host_tools.sync.ptytoken import PtyToken, SimClock, TokenCtx

TID = "BZT-0007"
SECRET = bytes(range(32, 64))
K0 = "4C5224B397F8AB3896781D5AA0F3119F280513F1B592CA280EBDED6357E21084"
E0 = {"daily_key": K0, "time_start": 1596844800, "max": 96, "time_end": 1596931200}
OWN = "AA" * 12


def _run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_match_json_schema_and_text(tmp_path, capsys):
    exp = tmp_path / "push.json"
    exp.write_text(json.dumps({"data": [E0]}))
    trace = tmp_path / "data_trace.txt"
    trace.write_text(f"{OWN}\tB9A665D754FE65E665D76A45\t-62\t1596866191\n{OWN}\t{'00' * 12}\t-90\t1596866195\n")
    code, out, _ = _run(capsys, "match", "--exposures", str(exp), "--log", str(trace), "--json", "--mode", "strict")
    assert code == 0
    doc = json.loads(out)
    assert doc["mode"] == "strict" and doc["exposures"]["entries"] == 1
    (log,) = doc["logs"]
    assert log["log"] == str(trace) and log["unit"] == "s" and log["rows"] == 2
    (m,) = log["matches"]
    assert m["entry"] == 0 and m["contact_id"] == "B9A665D754FE65E665D76A45"
    assert (m["slot_start_ms"], m["first_seen_ms"], m["last_seen_ms"], m["count"], m["rssi_max"]) == (
        1596865500000, 1596866191000, 1596866191000, 1, -62)
    code, out, _ = _run(capsys, "match", "--exposures", str(exp), "--log", str(trace), "--tolerance-s", "12")
    assert code == 0 and "tolerance 12 s" in out and "B9A665D754FE65E665D76A45" in out and "timestamps in s" in out
    code, out, _ = _run(capsys, "match", "--exposures", str(exp), "--log", str(trace), "--json")
    doc = json.loads(out)
    assert doc["thresholds"]["tolerance_s"] == 30 and doc["thresholds"]["near_min"] == 15
    (x,) = doc["logs"][0]["exposures"]  # one iPhone sighting 1 m away stands for its 5-minute scan period
    assert x["risk"] == "medium" and not x["exposed"] and x["near_min"] == pytest.approx(5, abs=0.5)
    assert set(x["buckets_s"]) == {"immediate", "near", "medium", "other"} and x["near_min_by_slot"]


@pytest.mark.parametrize("content, message", [
    ('{"data": [', "malformed JSON"),
    (json.dumps({"data": [dict(E0, daily_key=K0[:60])]}), "entry 0: daily_key must be 32 bytes"),
    (json.dumps({"data": [E0, E0]}), "entry 1: duplicate of"),
    (json.dumps({"data": [dict(E0, max=7)]}), "max 7 does not divide"),
])
def test_bad_exposures_exit_2(tmp_path, capsys, content, message):
    exp = tmp_path / "x.json"
    exp.write_text(content)
    trace = tmp_path / "t.txt"
    trace.write_text(f"{OWN}\t{'00' * 12}\t-90\t1596866195\n")
    code, out, err = _run(capsys, "match", "--exposures", str(exp), "--log", str(trace))
    assert code == 2 and out == "" and message in err and str(exp) in err and "Traceback" not in err


def test_bad_log_exit_2(tmp_path, capsys):
    exp = tmp_path / "x.json"
    exp.write_text(json.dumps({"data": [E0]}))
    trace = tmp_path / "mixed.txt"
    trace.write_text(f"{OWN}\t{'00' * 12}\t-90\t1596866195\n{OWN}\t{'00' * 12}\t-90\t1596866195000\n")
    code, _, err = _run(capsys, "match", "--exposures", str(exp), "--log", str(trace))
    assert code == 2 and "mixed.txt: line 2" in err
    code, _, err = _run(capsys, "match", "--exposures", str(exp), "--db", str(tmp_path / "none.db"))
    assert code == 2 and "no such station database" in err


def _token_with_keys_and_log(tmp_path, today, phone_key):
    """A token that met a phone (whose daily key is phone_key) today for 20 minutes, near."""
    ctx = TokenCtx(str(tmp_path / "token"), TID, SECRET, SimClock())
    for d in range(today - 2, today + 1):
        ctx.keystore.key_for(d)
    recs, slot0 = [], 30
    for s in range(slot0, slot0 + 2):
        first = today * ids.DAY_MS + s * ids.SLOT_MS + 60_000
        recs.append(records.encode(today, s, 1, ids.slot_id(phone_key, s), first, first + 600_000, 10, -70, -55, -60))
    other = today * ids.DAY_MS + 50 * ids.SLOT_MS
    recs.append(records.encode(today, 50, 1, os.urandom(12), other, other + 1000, 1, -90, -90, -90))
    assert ctx.logstore.append(today, recs) == 3
    return ctx


def test_pull_then_match_db_and_export_log(tmp_path, capsys):
    today = ids.day_of(SimClock().now_ms())
    phone_key = os.urandom(32)
    ctx = _token_with_keys_and_log(tmp_path, today, phone_key)
    db = tmp_path / "station.db"
    sf = tmp_path / "secret"
    sf.write_bytes(SECRET)
    with PtyToken(ctx) as tok:
        code, out, err = _run(capsys, "pull", "--port", tok.port, "--db", str(db), "--secret-file", str(sf), "--json")
    assert code == 0, err
    exp = tmp_path / "f0.json"
    exp.write_text(json.dumps({"data": [{"daily_key": phone_key.hex(), "time_start": today * 86400, "max": 96,
                                         "time_end": today * 86400 + 86399}]}))
    code, out, err = _run(capsys, "match", "--exposures", str(exp), "--db", str(db), "--json")
    assert code == 0, err
    (log,) = json.loads(out)["logs"]
    assert log["log"] == f"token:{TID}" and len(log["matches"]) == 2
    (x,) = log["exposures"]
    assert x["risk"] == "high" and x["proximity"] == "near" and x["duration_ms"] == 10 * 60_000 + 900_000
    for fmt in ("json", "csv"):
        path = tmp_path / f"log.{fmt}"
        code, _, err = _run(capsys, "export-log", "--db", str(db), "--token", TID, "--format", fmt, "--out", str(path))
        assert code == 0 and "3 encounters" in err
        code, out, _ = _run(capsys, "match", "--exposures", str(exp), "--log", str(path), "--json", "--mode", "strict")
        (log2,) = json.loads(out)["logs"]
        assert log2["log"] == f"{path}:{TID}"
        assert [m["slot_start_ms"] for m in log2["matches"]] == [m["slot_start_ms"] for m in log["matches"]]
    code, out, _ = _run(capsys, "export-log", "--db", str(db), "--format", "csv")
    assert code == 0 and out.count("\n") == 4
    with StationDB(db) as sdb:
        assert sdb.count_encounters() == 3


def test_export_keys_is_matched_by_phones_and_by_us(tmp_path, capsys):
    today = ids.day_of(SimClock().now_ms())
    ctx = _token_with_keys_and_log(tmp_path, today, os.urandom(32))
    sf = tmp_path / "secret"
    sf.write_bytes(SECRET)
    out_path = tmp_path / "keys.json"
    from datetime import UTC, datetime
    d0 = datetime.fromtimestamp((today - 2) * 86400, UTC).strftime("%Y-%m-%d")
    d1 = datetime.fromtimestamp(today * 86400, UTC).strftime("%Y-%m-%d")
    with PtyToken(ctx) as tok:

        def wearer_presses():  # once the token has asked for confirmation (a press before that does not count)
            while tok.server._confirm_at is None and not stop.is_set():
                time.sleep(0.01)
            ctx.presses = 1

        stop = threading.Event()
        presser = threading.Thread(target=wearer_presses, daemon=True)
        presser.start()
        code, _, err = _run(capsys, "export-keys", "--port", tok.port, "--secret-file", str(sf), "--from", d0,
                            "--to", d1, "--out", str(out_path), "--wait", "5")
        stop.set()
        presser.join()
    assert code == 0, err
    doc = json.loads(out_path.read_text())
    assert [e["time_start"] for e in doc["data"]] == [d * 86400 for d in range(today - 2, today + 1)]
    assert doc["data"][2]["daily_key"] == ctx.keystore.get(today).hex().upper()
    assert SECRET.hex() not in out_path.read_text().lower()
    # a phone that saw the token yesterday at 10:07 logs its ID; both matchers find it
    key = ctx.keystore.get(today - 1)
    ts = (today - 1) * ids.DAY_MS + 10 * 3_600_000 + 7 * 60_000
    trace = tmp_path / "data_trace.txt"
    trace.write_text(f"{OWN}\t{ids.daily_id_at(key, ts).hex().upper()}\t-66\t{ts}\n")
    table = phones.log_lookup(read_trace(trace))
    hits = set().union(*(phones.entry_hits(e, table) for e in read_entries([out_path])))
    assert [(e, t) for e, _, t in hits] == [(1, ts - ts % ids.SLOT_MS)]
    code, out, _ = _run(capsys, "match", "--exposures", str(out_path), "--log", str(trace), "--json",
                        "--mode", "strict")
    (m,) = json.loads(out)["logs"][0]["matches"]
    assert m["entry"] == 1 and m["slot_start_ms"] == ts - ts % ids.SLOT_MS


def test_export_keys_bad_range(capsys):
    code, _, err = _run(capsys, "export-keys", "--port", "loop://", "--secret-file", "/nonexistent", "--from",
                        "2020-08-10", "--to", "2020-08-01")
    assert code == 2 and "before --from" in err
