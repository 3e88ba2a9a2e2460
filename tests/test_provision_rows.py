"""`bztoken provision` checks every row before it starts: a batch with bad rows is refused whole, one line per
bad row, exit 2, with nothing written to the station database and no port opened (the good rows' tokens
never hear a byte). A single `provision` is checked the same way."""

import sqlite3

import pytest

from host_tools.cli import main
from host_tools.sync.ptytoken import PtyToken, TokenCtx
from provisioning import batch, secrets
from provisioning.registry import Registry

PW = "station passphrase 1"


@pytest.fixture
def station(tmp_path, monkeypatch):
    db = tmp_path / "station.db"
    with Registry(db, PW, kdf_n=2**10) as reg:
        wid = reg.add_wearer("Phạm Thị Hoa", ref="HUE-OLD")
        reg.add_token("BZ-TAKEN-0001", secrets.new_secret(), wid)
    monkeypatch.setenv("BZTOKEN_PASSPHRASE", PW)
    monkeypatch.setenv("BZTOKEN_DB", str(db))
    monkeypatch.delenv("BZTOKEN_PORT", raising=False)
    return db


@pytest.fixture
def toks(tmp_path):
    made = [PtyToken(TokenCtx(str(tmp_path / f"tok{i}"), None, None)) for i in range(2)]
    yield made
    for t in made:
        t.close()


def snapshot(db):
    con = sqlite3.connect(db)
    try:
        return db.read_bytes(), list(con.iterdump())
    finally:
        con.close()


# (case, the bad row's cells name,ref,port,board,profile,token_id,phone,note, words in its line)
BAD_ROWS = [
    ("unknown-board", ["Lê Thị Cúc", "R1", "", "nope", "", "", "", ""], "unknown board 'nope'"),
    ("board-path", ["Lê Thị Cúc", "R1", "", "../../etc/passwd", "", "", "", ""], "a board name, not a path"),
    ("unknown-profile", ["Lê Thị Cúc", "R1", "", "", "turbo", "", "", ""], "unknown profile 'turbo'"),
    ("nul-in-name", ["Lê\x00Cúc", "R1", "", "", "", "", "", ""], "name: control character U+0000"),
    ("escape-in-ref", ["Cúc", "R1\x1b[2J", "", "", "", "", "", ""], "ref: control character U+001B"),
    ("name-128k", ["N" * 131072, "R1", "", "", "", "", "", ""], "name: 131072 characters"),
    ("note-128k", ["Cúc", "R1", "", "", "", "", "", "x" * 131073], "note: 131073 characters"),
    ("phone-long", ["Cúc", "R1", "", "", "", "", "0" * 41, ""], "phone: 41 characters"),
    ("bad-token-id", ["Cúc", "R1", "", "", "", "bz-lower", "", ""], "bad token ID 'bz-lower'"),
    ("dup-token-id", ["Cúc", "R1", "", "", "", "BZ-DUP-0001", "", ""], "token ID BZ-DUP-0001 already on line 2"),
    ("dup-ref", ["Someone", "R0", "", "", "", "", "", ""], "wearer 'R0' already on line 2"),
    ("no-name", ["", "R1", "", "", "", "", "", ""], "no name"),
    ("unknown-scheme", ["Cúc", "R1", "foo://bar", "", "", "", "", ""], "unknown URL scheme"),
    ("token-of-another", ["Cúc", "R1", "", "", "", "BZ-TAKEN-0001", "", ""], "BZ-TAKEN-0001 is already registered"),
    ("ref-of-another", ["Cúc", "HUE-OLD", "", "", "", "", "", ""], "'HUE-OLD' is registered for 'Phạm Thị Hoa'"),
]
HEADER = "name,ref,port,board,profile,token_id,phone,note"


def csv_text(rows):
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEADER.split(","))
    for r in rows:
        w.writerow(r)
    return buf.getvalue()


@pytest.mark.parametrize("case, bad, words", BAD_ROWS, ids=[c[0] for c in BAD_ROWS])
def test_one_bad_row_refuses_the_batch(case, bad, words, station, toks, tmp_path, capsys):
    good0 = ["Nguyễn Văn An", "R0", toks[0].port, "esp32c3-supermini", "eco", "BZ-DUP-0001", "", ""]
    good2 = ["Trần Thị Bình", "R2", toks[1].port, "", "", "", "", ""]
    bad = [toks[1].port if (i == 2 and not v) else v for i, v in enumerate(bad)]
    f = tmp_path / "wearers.csv"
    f.write_text(csv_text([good0, bad, good2]), encoding="utf-8")
    before = snapshot(station)
    rc = main(["provision", "--batch", str(f), "--json"])
    out, err = capsys.readouterr()
    assert rc == 2, err
    assert out == ""
    lines = err.splitlines()
    assert "Traceback" not in err
    assert lines[0].startswith(f"bztoken: {f} line 3: ") and words in lines[0], err
    assert lines[1] == f"bztoken: {f}: 1 bad row of 3; nothing was done"
    assert lines[2].startswith("hint: ") and len(lines) == 3
    assert snapshot(station) == before
    assert [t.rx for t in toks] == [0, 0]  # no port was opened


def test_every_bad_row_gets_its_line(station, toks, tmp_path, capsys):
    rows = [["A", "R1", "", "nope", "", "", "", ""], ["B", "R2", "", "", "", "", "", ""],
            ["C\x00", "R3", "", "", "warp", "", "", ""], ["D", "R4", "", "", "", "x", "", ""]]
    f = tmp_path / "w.csv"
    f.write_text(csv_text(rows))
    before = snapshot(station)
    assert main(["provision", "--batch", str(f), "--port", toks[0].port]) == 2
    lines = capsys.readouterr().err.splitlines()
    for line, n in zip(lines[:3], (2, 4, 5), strict=True):
        assert line.startswith(f"bztoken: {f} line {n}: "), lines
    assert "control character" in lines[1] and "unknown profile 'warp'" in lines[1]  # both problems, one line
    assert lines[3] == f"bztoken: {f}: 3 bad rows of 4; nothing was done"
    assert snapshot(station) == before and toks[0].rx == 0


@pytest.mark.parametrize("text, words", [
    ('name,ref\n"A,1\n', "line 2: unexpected end of data"),  # an unclosed quote: refused, no csv traceback
    ('name,ref\n"A"x,1\n', "line 2: ',' expected after '\"'"),
    ("name,ref\nA,1,extra\n", "line 2: 3 fields, the header has 2"),
    ("name,name\nA,B\n", "a column appears twice"),
    ("name,colour\nA,red\n", "unknown column 'colour'"),
    (b"name\nL\xea\n", "line 2: not UTF-8"),
    ("name,note\nA," + "n" * 200000 + "\n", "note: 200000 characters"),
])
def test_malformed_csv_files(text, words, station, tmp_path, capsys):
    f = tmp_path / "w.csv"
    (f.write_bytes if isinstance(text, bytes) else f.write_text)(text)
    before = snapshot(station)
    assert main(["provision", "--batch", str(f), "--port", "loop://"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and words in err.splitlines()[0], err
    assert snapshot(station) == before


@pytest.mark.parametrize("argv, words", [
    (["--board", "nope"], "unknown board 'nope'"),
    (["--profile", "turbo"], "unknown profile 'turbo'"),
    (["--token-id", "bz lower"], "bad token ID"),
    (["--token-id", "BZ-TAKEN-0001"], "BZ-TAKEN-0001 is already registered"),
    (["--phone", "9" * 131072], "phone: 131072 characters"),
    (["--note", "\x00"], "note: control character U+0000"),
    (["--ref", "HUE-OLD"], "'HUE-OLD' is registered for 'Phạm Thị Hoa'"),
])
def test_single_provision_is_checked_the_same_way(argv, words, station, toks, capsys):
    before = snapshot(station)
    rc = main(["provision", "--port", toks[0].port, "--wearer", "Lê Thị Cúc", *argv])
    err = capsys.readouterr().err
    assert rc == 2, err
    lines = err.splitlines()
    assert lines[0].startswith("bztoken: ") and words in lines[0] and len(lines) <= 2, err
    assert "Traceback" not in err
    assert snapshot(station) == before and toks[0].rx == 0


def test_single_name_with_a_nul_is_refused(station, toks, capsys):
    assert main(["provision", "--port", toks[0].port, "--wearer", "Lê\x00Cúc"]) == 2
    assert "name: control character U+0000" in capsys.readouterr().err and toks[0].rx == 0


def test_good_rows_still_provision(station, toks, tmp_path, capsys):
    f = tmp_path / "w.csv"
    f.write_text(csv_text([["Nguyễn Văn An", "R0", toks[0].port, "esp32c3-supermini", "eco", "", "0901234567",
                            "lớp 5A"], ["Trần Thị Bình", "R2", toks[1].port, "", "", "BZ-NEW-0002", "", ""]]))
    assert main(["provision", "--batch", str(f)]) == 0, capsys.readouterr().err
    with Registry(station, PW) as reg:
        assert reg.token("BZ-NEW-0002")["wearer_name"] == "Trần Thị Bình"
        assert {t["status"] for t in reg.tokens() if t["token_id"] != "BZ-TAKEN-0001"} == {"provisioned"}


def test_library_callers_get_the_same_checks(station, toks):
    rows = batch.read_csv("name,ref\nA,1\nB,2\n")
    with Registry(station, PW) as reg, pytest.raises(Exception, match="unknown board 'x'") as e:
        batch.run_batch(reg, rows, port=toks[0].port, board="x")
    assert e.value.exit_code == 2 and toks[0].rx == 0


# -- any text as a CSV: rows, or a UsageError (exit 2); never a csv or decoding traceback ---------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list('name,ref,phone,note\n"\r\x00 aăđ-é\t') + ["name,ref\n", "BZ-AB12-0001", "eco",
                                                                             "token_id", "profile"]),
                max_size=60).map("".join))
def test_any_csv_text_is_rows_or_a_usage_error(text):
    from host_tools.errors import UsageError

    try:
        rows = batch.read_csv(text)
    except UsageError as e:
        assert e.exit_code == 2
        return
    for r in rows:
        assert r.name.strip() and "\x00" not in r.name + r.ref and r.line >= 2
