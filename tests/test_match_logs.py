"""Log readers: station database (contract schema, SQL), Bluezone data_trace.txt (unit per file, mixed units,
broken lines), and `bztoken export-log` JSON/CSV read back by the matcher."""

import io
import json
import sqlite3

import pytest
from conftest import DEEP
from hypothesis import given, settings
from hypothesis import strategies as st

from host_tools.errors import UsageError
from host_tools.match import export, logs
from host_tools.stationdb import ENCOUNTERS_SCHEMA


def make_db(path, rows):
    """rows: (token_id, contact_id bytes, first_ms, last_ms, count, rssi_min, rssi_max, rssi_mean)."""
    con = sqlite3.connect(path)
    con.execute(ENCOUNTERS_SCHEMA)
    for off, (tok, cid, a, b, n, lo, hi, mean) in enumerate(rows):
        day = a // 86_400_000
        con.execute("INSERT INTO encounters (token_id, day, file_offset, contact_id, kind, slot, first_seen_ms, "
                    "last_seen_ms, raw_first_seen_ms, raw_last_seen_ms, correction_ms, count, rssi_min, rssi_max, "
                    "rssi_mean, pull_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (tok, day, off * 24, cid, 0, (a % 86_400_000) // 900_000, a, b, a - 5, b - 5, 5, n, lo, hi, mean,
                     1))
    con.commit()
    con.close()


ID1, ID2 = bytes(range(12)), bytes(range(12, 24))
OWN = "AA" * 12


def test_db_logs_per_token(tmp_path):
    db = tmp_path / "s.db"
    make_db(db, [("T2", ID1, 1000, 2000, 3, -80, -60, -70), ("T1", ID2, 5000, 9000, 2, -90, -88, -89),
                 ("T2", ID2, 3000, 4000, 1, -50, -50, -50)])
    srcs = logs.db_logs(db)
    assert [s.name for s in srcs] == ["token:T1", "token:T2"]
    t2 = srcs[1].load()
    assert t2.cid == ID1 + ID2 and list(t2.first_ms) == [1000, 3000] and list(t2.count) == [3, 1]
    assert list(t2.rssi_mean) == [-70, -50] and t2.info["source"] == "station-db"
    (only,) = logs.db_logs(db, "T1")
    assert only.load().cid == ID2
    with pytest.raises(UsageError, match="no encounters of token 'T9'"):
        logs.db_logs(db, "T9")
    with pytest.raises(UsageError, match="no such station database"):
        logs.db_logs(tmp_path / "none.db")
    (tmp_path / "junk.db").write_text("hello")
    with pytest.raises(UsageError, match="not a station database"):
        logs.db_logs(tmp_path / "junk.db")


def _trace(tmp_path, lines, name="data_trace.txt"):
    p = tmp_path / name
    p.write_text("".join(x + "\n" for x in lines))
    return p


def test_trace_units(tmp_path):
    ms = logs.read_trace(_trace(tmp_path, [f"{OWN}\t{ID1.hex().upper()}\t-70\t1596866191387"]))
    ios = [f"{OWN}\t{ID1.hex()}\t-71\t1596866191", f"{OWN}\t{ID2.hex()}\t-72\t1596866200"]
    s = logs.read_trace(_trace(tmp_path, ios, "ios.txt"))
    assert ms.info["unit"] == "ms" and list(ms.first_ms) == [1596866191387]
    assert s.info["unit"] == "s" and list(s.first_ms) == [1596866191000, 1596866200000] and s.cid == ID1 + ID2
    assert list(s.rssi_max) == [-71, -72] and list(s.count) == [1, 1]


def test_trace_mixed_units_refused(tmp_path):
    p = _trace(tmp_path, [f"{OWN}\t{ID1.hex()}\t-70\t1596866191387", f"{OWN}\t{ID1.hex()}\t-70\t1596866191"])
    with pytest.raises(UsageError, match=r"data_trace.txt: line 2: timestamp in s, but line 1 is in ms") as e:
        logs.read_trace(p)
    assert e.value.exit_code == 2


def test_trace_broken_lines(tmp_path):
    good = [f"{OWN}\t{ID1.hex()}\t-70\t{1596866191387 + i}" for i in range(250)]
    few = good[:100] + ["garbage"] + good[100:200] + [f"{OWN}\t{ID1.hex()}\t-70"]
    log = logs.read_trace(_trace(tmp_path, few))
    assert len(log) == 200 and log.info["skipped_lines"] == 2 and log.info["skipped_first_line"] == 101
    many = good[:50] + ["x\ty\tz\tw"] + good[50:60]
    with pytest.raises(UsageError, match="line 51: broken .*1 of 61 lines"):
        logs.read_trace(_trace(tmp_path, many))
    with pytest.raises(UsageError, match="not a UTF-8"):
        (tmp_path / "bin.txt").write_bytes(b"\xff\xfe\x00")
        logs.read_trace(tmp_path / "bin.txt")


@settings(max_examples=1000 if DEEP else 80)
@given(st.lists(st.tuples(st.binary(min_size=12, max_size=12), st.integers(-128, 127),
                          st.integers(1, 99_999_999_999)), max_size=20),
       st.booleans())
def test_trace_parse_properties(tmp_path_factory, rows, ms):
    scale = 1 if ms else 1000
    if ms:
        rows = [(c, r, t + 100_000_000_000) for c, r, t in rows]
    p = tmp_path_factory.mktemp("t") / "d.txt"
    p.write_text("".join(f"{OWN}\t{c.hex().upper()}\t{r}\t{t}\r\n" for c, r, t in rows))
    log = logs.read_trace(p)
    assert log.cid == b"".join(c for c, _, _ in rows)
    assert list(log.first_ms) == [t * scale for _, _, t in rows] and list(log.rssi_mean) == [r for _, r, _ in rows]
    assert log.info["unit"] == (None if not rows else "ms" if ms else "s")


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_export_round_trip(tmp_path, fmt):
    db = tmp_path / "s.db"
    rows = [("T1", ID1, 1000, 2000, 3, -80, -60, -70), ("T2", ID2, 5000, 9000, 2, -90, -88, -89),
            ("T1", ID2, 3000, 4000, 1, -50, -50, -50)]
    make_db(db, rows)
    out = tmp_path / f"e.{fmt}"
    assert export.write_file(db, out, None, fmt) == 3
    got = logs.file_logs(out)
    assert [g.name for g in got] == [f"{out}:T1", f"{out}:T2"]
    assert got[0].cid == ID1 + ID2 and list(got[0].last_ms) == [2000, 4000] and list(got[1].rssi_min) == [-90]
    buf = io.StringIO()
    assert export.write(db, buf, "T2", fmt) == 1
    if fmt == "json":
        doc = json.loads(buf.getvalue())
        assert doc["format"] == "bztoken-encounters" and doc["version"] == 1
        rec = doc["encounters"][0]
        assert rec["contact_id"] == ID2.hex().upper() and rec["raw_first_seen_ms"] == 4995 and rec["correction_ms"] == 5
        assert list(rec) == list(logs.EXPORT_COLUMNS)
    else:
        assert buf.getvalue().splitlines()[0] == ",".join(logs.EXPORT_COLUMNS)
    with pytest.raises(UsageError, match="no encounters of token"):
        export.write(db, io.StringIO(), "nope", fmt)


def test_export_files_bad(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text(json.dumps({"format": "bztoken-encounters", "version": 1,
                             "encounters": [{"token_id": "T", "contact_id": "00" * 11}]}))
    with pytest.raises(UsageError, match="bad.json: encounter 0: contact_id must be 12 bytes"):
        logs.file_logs(p)
    p.write_text(json.dumps({"data": []}))
    with pytest.raises(UsageError, match="not a bztoken encounter export"):
        logs.file_logs(p)
    p.write_text("token_id,day\nT,1\n")
    with pytest.raises(UsageError, match="lacks columns"):
        logs.file_logs(p)


@settings(max_examples=2000 if DEEP else 100)
@given(st.lists(st.one_of(st.text(max_size=80), st.sampled_from([
    f"{OWN}\t{ID1.hex()}\t-70\t1596866191387", f"{OWN}\t{ID1.hex()}\t-70\t1596866191", f"{OWN}\t{ID1.hex()}\t-70",
    f"{OWN}\t{ID1.hex()[:-2]}\t-70\t1596866191387", f"{OWN}\t{ID1.hex()}\t-700\t1596866191387", "\t\t\t"])),
    max_size=40))
def test_trace_never_crashes(tmp_path_factory, lines):
    """Any text gives either a log or a one-line UsageError naming the file; never another exception."""
    p = tmp_path_factory.mktemp("f") / "any.txt"
    p.write_text("\n".join(lines), encoding="utf-8")
    try:
        log = logs.read_trace(p)
    except UsageError as e:
        assert str(p) in str(e) and "\n" not in str(e)
    else:
        skipped = log.info["skipped_lines"]
        assert len(log.cid) == 12 * len(log) and skipped * 100 <= len(log) + skipped
