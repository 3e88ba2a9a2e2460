"""`bztoken registry import` of malformed exports: each gives one line and exit 2 (3 for a wrong passphrase),
and the station database is byte for byte and row for row what it was. A failure part-way through the
writing (Ctrl-C) leaves nothing either: the import is one transaction."""

import copy
import json
import sqlite3

import pytest

from host_tools.cli import main
from provisioning import secrets
from provisioning.registry import Registry

PW = "station passphrase 1"
TRANSFER = "courier passphrase"


@pytest.fixture(scope="module")
def export_doc(tmp_path_factory):
    """A real export of two wearers and three tokens (a cheap KDF), made by the code under test."""
    db = tmp_path_factory.mktemp("src") / "a.db"
    with Registry(db, PW, kdf_n=2**10) as reg:
        for i, name in enumerate(("Lê Thị Cúc", "Nguyễn Văn An")):
            wid = reg.add_wearer(name, ref=f"HUE-{i}", phone="0901234567", note="lớp 5A")
            reg.add_token(f"BZ-SRC{i}-0001", secrets.new_secret(), wid, "esp32c3-supermini", "eco")
            reg.mark_provisioned(f"BZ-SRC{i}-0001")
        reg.add_token("BZ-SRCX-0002", secrets.new_secret())
        return reg.export(TRANSFER, kdf_n=2**10)


@pytest.fixture
def station(tmp_path, monkeypatch):
    """A station that already has a wearer and a token: they must survive every refused import."""
    db = tmp_path / "b.db"
    with Registry(db, PW, kdf_n=2**10) as reg:
        wid = reg.add_wearer("Trần Văn Bình", ref="HN-1")
        reg.add_token("BZ-HERE-0001", secrets.new_secret(), wid)
    monkeypatch.setenv("BZTOKEN_PASSPHRASE", PW)
    monkeypatch.setenv("BZTOKEN_TRANSFER_PASSPHRASE", TRANSFER)
    return db


def snapshot(db):
    con = sqlite3.connect(db)
    try:
        return db.read_bytes(), list(con.iterdump())
    finally:
        con.close()


def _set(path, value):
    def f(d):
        *head, last = path
        for k in head:
            d = d[k]
        d[last] = value
    return f


def _del(path):
    def f(d):
        *head, last = path
        for k in head:
            d = d[k]
        del d[last]
    return f


def _flip_sealed(d):
    s = d["tokens"][1]["sealed_secret"]
    d["tokens"][1]["sealed_secret"] = s[:-2] + ("00" if s[-2:] != "00" else "01")


def _swap_sealed(d):
    t = d["tokens"]
    t[0]["sealed_secret"], t[1]["sealed_secret"] = t[1]["sealed_secret"], t[0]["sealed_secret"]


def _nested(depth):
    v: object = 1
    for _ in range(depth):
        v = [v]
    return v


def _drop_kdf_keep_sealed(d):
    del d["kdf"], d["check"]


# (case id, mutation of the export dict, words the one-line message must contain)
DOC_CASES = [
    ("kdf-not-object", _set(["kdf"], "scrypt"), "kdf: expected an object"),
    ("kdf-list", _set(["kdf"], [1, 2]), "kdf: expected an object"),
    ("salt-not-hex", _set(["kdf", "salt"], "zz" * 16), "kdf.salt: not hex"),
    ("salt-odd-hex", _set(["kdf", "salt"], "abc"), "kdf.salt: not hex"),
    ("salt-short", _set(["kdf", "salt"], "00" * 4), "kdf.salt: 4 bytes"),
    ("salt-number", _set(["kdf", "salt"], 1234), "kdf.salt: expected hex text"),
    ("n-not-power-of-two", _set(["kdf", "n"], 3000), "kdf.n: 3000 is not a power of two"),
    ("n-huge", _set(["kdf", "n"], 2**40), "kdf.n: 1099511627776 is outside"),
    ("n-tiny", _set(["kdf", "n"], 2), "kdf.n: 2 is outside"),
    ("n-string", _set(["kdf", "n"], "1024"), "kdf.n: expected an integer"),
    ("n-bool", _set(["kdf", "n"], True), "kdf.n: expected an integer"),
    ("n-float", _set(["kdf", "n"], 1024.0), "kdf.n: expected an integer"),
    ("r-zero", _set(["kdf", "r"], 0), "kdf.r: 0 is outside"),
    ("r-negative", _set(["kdf", "r"], -8), "kdf.r: -8 is outside"),
    ("p-zero", _set(["kdf", "p"], 0), "kdf.p: 0 is outside"),
    ("p-huge", _set(["kdf", "p"], 10**6), "kdf.p: 1000000 is outside"),
    ("memory-too-big", lambda d: d["kdf"].update(n=2**20, r=32), "needs more than"),
    ("kdf-missing-p", _del(["kdf", "p"]), "kdf: missing field 'p'"),
    ("kdf-extra-field", _set(["kdf", "maxmem"], 1), "kdf: unknown field 'maxmem'"),
    ("check-not-hex", _set(["check"], "xyz"), "check: not hex"),
    ("check-short", _set(["check"], "00" * 8), "check: 8 bytes"),
    ("check-missing", _del(["check"]), "missing field 'check'"),
    ("wearers-string", _set(["wearers"], "Lê Thị Cúc"), "wearers: expected a list"),
    ("tokens-object", _set(["tokens"], {"a": 1}), "tokens: expected a list"),
    ("wearers-missing", _del(["wearers"]), "missing field 'wearers'"),
    ("wearer-not-object", _set(["wearers", 1], ["HUE-1", "x"]), "wearers[1]: expected an object"),
    ("wearer-no-name", _del(["wearers", 1, "name"]), "wearers[1]: missing field 'name'"),
    ("wearer-name-number", _set(["wearers", 1, "name"], 42), "wearers[1].name: expected text"),
    ("wearer-name-empty", _set(["wearers", 1, "name"], "  "), "wearers[1].name: empty"),
    ("wearer-name-nul", _set(["wearers", 1, "name"], "Lê\x00Cúc"), "wearers[1].name: control character U+0000"),
    ("wearer-name-newline", _set(["wearers", 1, "name"], "Lê\nCúc"), "control character U+000A"),
    ("wearer-ref-128k", _set(["wearers", 1, "ref"], "R" * 131072), "wearers[1].ref: 131072 characters"),
    ("wearer-note-128k", _set(["wearers", 0, "note"], "n" * 131072), "wearers[0].note: 131072 characters"),
    ("wearer-phone-object", _set(["wearers", 0, "phone"], {"x": 1}), "wearers[0].phone: expected text"),
    ("wearer-ref-spaces", _set(["wearers", 1, "ref"], " HUE-1"), "leading or trailing spaces"),
    ("wearer-duplicate-ref", _set(["wearers", 1, "ref"], "HUE-0"), "wearers[1].ref: 'HUE-0' already in wearers[0]"),
    ("wearer-extra-field", _set(["wearers", 0, "secret"], "x"), "wearers[0]: unknown field 'secret'"),
    ("wearer-created-negative", _set(["wearers", 0, "created_ms"], -1), "wearers[0].created_ms: -1 is outside"),
    ("wearer-created-string", _set(["wearers", 0, "created_ms"], "yesterday"), "expected an integer"),
    ("token-not-object", _set(["tokens", 2], "BZ-SRCX-0002"), "tokens[2]: expected an object"),
    ("token-id-bad", _set(["tokens", 2, "token_id"], "bz lower"), "tokens[2].token_id: bad token ID"),
    ("token-id-number", _set(["tokens", 2, "token_id"], 7), "tokens[2].token_id: bad token ID"),
    ("token-id-missing", _del(["tokens", 2, "token_id"]), "tokens[2]: missing field 'token_id'"),
    ("token-duplicate", _set(["tokens", 2, "token_id"], "BZ-SRC0-0001"), "tokens[2].token_id: BZ-SRC0-0001 already"),
    ("token-status", _set(["tokens", 2, "status"], "lost"), "tokens[2].status: 'lost' is not one of"),
    ("token-status-missing", _del(["tokens", 2, "status"]), "tokens[2]: missing field 'status'"),
    ("token-board-number", _set(["tokens", 0, "board"], 3), "tokens[0].board: expected text"),
    ("token-profile-long", _set(["tokens", 0, "profile"], "e" * 200), "tokens[0].profile: 200 characters"),
    ("token-fw-nul", _set(["tokens", 0, "fw"], "1.0\x00"), "tokens[0].fw: control character"),
    ("token-provisioned-huge", _set(["tokens", 0, "provisioned_ms"], 10**30), "provisioned_ms"),
    ("token-created-float", _set(["tokens", 0, "created_ms"], 1.5), "tokens[0].created_ms: expected an integer"),
    ("token-wearer-unknown", _set(["tokens", 1, "wearer_ref"], "NOBODY"), "tokens[1].wearer_ref: 'NOBODY' is not"),
    ("sealed-not-hex", _set(["tokens", 1, "sealed_secret"], "g" * 120), "tokens[1].sealed_secret: not hex"),
    ("sealed-short", _set(["tokens", 1, "sealed_secret"], "00" * 20), "tokens[1].sealed_secret: 20 bytes"),
    ("sealed-number", _set(["tokens", 1, "sealed_secret"], 5), "tokens[1].sealed_secret: expected hex text"),
    ("sealed-altered", _flip_sealed, "tokens[1].sealed_secret: does not open for BZ-SRC1-0001"),
    ("sealed-swapped", _swap_sealed, "tokens[0].sealed_secret: does not open for BZ-SRC0-0001"),
    ("sealed-without-kdf", _drop_kdf_keep_sealed, "tokens[0].sealed_secret: the export has no kdf"),
    ("token-extra-field", _set(["tokens", 0, "secret"], "00" * 32), "tokens[0]: unknown field 'secret'"),
    ("nested-in-a-field", _set(["wearers", 0, "note"], _nested(50)), "nested deeper than"),
    ("nested-wearer", _set(["wearers", 0, "name"], {"a": {"b": 1}}), "nested deeper than"),
    ("top-unknown-field", _set(["extra"], 1), "export: unknown field 'extra'"),
    ("format-wrong", _set(["format"], "bztoken-log"), "not a bztoken registry export"),
    ("version-string", _set(["version"], "1"), "registry export version 1 is not supported"),
    ("version-bool", _set(["version"], True), "registry export version True is not supported"),
    ("version-future", _set(["version"], 2), "registry export version 2 is not supported"),
    ("last-token-bad", _set(["tokens", 2, "created_ms"], "x"), "tokens[2].created_ms: expected an integer"),
]

RAW_CASES = [
    ("empty-file", b"", "not JSON"),
    ("not-json", b"{not json", "not JSON"),
    ("top-list", b"[1, 2]", "not a bztoken registry export"),
    ("top-string", b'"bztoken-registry"', "not a bztoken registry export"),
    ("deep-brackets", b"[" * 100000 + b"]" * 100000, "nested"),
    ("deep-objects", b'{"a":' * 50000 + b"1" + b"}" * 50000, "nested"),
    ("not-utf8", b'{"format": "\xff\xfe"}', "not UTF-8"),
    ("nan-exported", None, "exported_ms: expected an integer"),  # made below: Python's json reads NaN
    ("truncated", None, "not JSON"),
]


def run_import(path, db, capsys, *extra):
    capsys.readouterr()
    rc = main(["registry", "import", str(path), "--db", str(db), *extra])
    out, err = capsys.readouterr()
    return rc, out, err


def assert_one_line(err, words):
    lines = err.splitlines()
    assert lines and lines[0].startswith("bztoken: "), err
    assert len(lines) == 1 or (len(lines) == 2 and lines[1].startswith("hint: ")), err
    assert "Traceback" not in err and words in lines[0], err


@pytest.mark.parametrize("case, mutate, words", DOC_CASES, ids=[c[0] for c in DOC_CASES])
def test_malformed_field_changes_nothing(case, mutate, words, export_doc, station, tmp_path, capsys):
    doc = copy.deepcopy(export_doc)
    mutate(doc)
    f = tmp_path / "export.json"
    f.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    before = snapshot(station)
    rc, out, err = run_import(f, station, capsys)
    assert rc == 2, err
    assert out == ""
    assert_one_line(err, words)
    assert snapshot(station) == before


@pytest.mark.parametrize("case, raw, words", RAW_CASES, ids=[c[0] for c in RAW_CASES])
def test_malformed_file_changes_nothing(case, raw, words, export_doc, station, tmp_path, capsys):
    text = json.dumps(export_doc)
    if case == "nan-exported":
        raw = json.dumps(dict(export_doc, exported_ms=float("nan"))).encode()
    elif case == "truncated":
        raw = text[: len(text) // 2].encode()
    f = tmp_path / "export.json"
    f.write_bytes(raw)
    before = snapshot(station)
    rc, out, err = run_import(f, station, capsys)
    assert rc == 2, err
    assert out == ""
    assert_one_line(err, words)
    assert snapshot(station) == before


def test_missing_file_is_one_line(station, tmp_path, capsys):
    rc, _, err = run_import(tmp_path / "nope.json", station, capsys)
    assert rc == 2
    assert_one_line(err, "No such file")


def test_wrong_passphrase_exit_3_and_nothing_written(export_doc, station, tmp_path, monkeypatch, capsys):
    f = tmp_path / "export.json"
    f.write_text(json.dumps(export_doc))
    before = snapshot(station)
    monkeypatch.setenv("BZTOKEN_TRANSFER_PASSPHRASE", "not the courier's")
    rc, out, err = run_import(f, station, capsys)
    assert rc == 3 and out == ""
    assert_one_line(err, "wrong passphrase for this registry export")
    assert snapshot(station) == before


def test_a_good_import_adds_everything(export_doc, station, tmp_path, capsys):
    f = tmp_path / "export.json"
    f.write_text(json.dumps(export_doc))
    rc, out, err = run_import(f, station, capsys, "--json")
    assert rc == 0, err
    assert json.loads(out) == {"wearers": 2, "tokens": 3, "same": 0, "conflicts": 0, "without_secret": 0}
    with Registry(station, PW) as reg:
        assert {w["name"] for w in reg.wearers()} == {"Trần Văn Bình", "Lê Thị Cúc", "Nguyễn Văn An"}
        assert reg.token("BZ-SRC1-0001")["wearer_name"] == "Nguyễn Văn An"
        assert len(reg.secret_for("BZ-SRCX-0002")) == 32


class _Interrupting:
    """The registry's sqlite3 connection, except that the Nth INSERT raises KeyboardInterrupt (Ctrl-C)."""

    def __init__(self, con, n):
        self.con, self.n = con, n

    def execute(self, sql, *a):
        if sql.startswith("INSERT"):
            self.n -= 1
            if self.n == 0:
                raise KeyboardInterrupt
        return self.con.execute(sql, *a)

    def __getattr__(self, name):
        return getattr(self.con, name)


@pytest.mark.parametrize("n", [1, 2, 4, 6])
def test_interrupted_import_leaves_nothing(n, export_doc, station):
    before = snapshot(station)
    with Registry(station, PW) as reg:
        reg.con = _Interrupting(reg.con, n)
        with pytest.raises(KeyboardInterrupt):
            reg.import_(copy.deepcopy(export_doc), TRANSFER)
        reg.con = reg.con.con
    assert snapshot(station)[1] == before[1]


# -- any JSON at any place: a UsageError or AuthError, never another exception, and nothing written -----------
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
                     lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
                     max_leaves=8)
_places = st.sampled_from([["kdf"], ["kdf", "salt"], ["kdf", "n"], ["kdf", "r"], ["kdf", "p"], ["check"],
                           ["wearers"], ["wearers", 0], ["wearers", 0, "ref"], ["wearers", 1, "name"],
                           ["wearers", 0, "phone"], ["tokens"], ["tokens", 0], ["tokens", 1, "token_id"],
                           ["tokens", 1, "status"], ["tokens", 0, "sealed_secret"], ["tokens", 2, "wearer_ref"],
                           ["tokens", 0, "created_ms"], ["version"], ["format"], ["extra"]])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(_places, _json), min_size=1, max_size=3))
def test_any_malformed_export_is_refused_cleanly(edits, export_doc, station):
    from host_tools.errors import AuthError, UsageError

    doc = copy.deepcopy(export_doc)
    for path, value in edits:
        try:
            _set(path, value)(doc)
        except (KeyError, IndexError, TypeError):
            pass  # an earlier edit replaced the container: this one has nowhere to go
    before = snapshot(station)[1]
    with Registry(station, PW) as reg:
        try:
            reg.import_(doc, TRANSFER)
        except (UsageError, AuthError) as e:
            assert "\n" not in str(e)
            assert snapshot(station)[1] == before
