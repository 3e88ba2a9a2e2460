"""The registry: secrets sealed at rest, the passphrase checked, export and import between stations."""

import json
import sqlite3

import pytest

from host_tools.errors import AuthError, UsageError
from host_tools.stationdb import StationDB
from provisioning import secrets
from provisioning.registry import Registry, new_token_id

PW = "correct horse battery"
N = 2**10  # a cheap KDF for tests; the default cost is checked once below


def reg(path, pw=PW):
    return Registry(path, pw, kdf_n=N)


def test_secret_round_trip_and_never_in_the_file(tmp_path):
    db = tmp_path / "station.db"
    with reg(db) as r:
        wid = r.add_wearer("Nguyễn Văn An", ref="HN-0001")
        stored = {}
        for _ in range(5):
            tid, secret = new_token_id(), secrets.new_secret()
            r.add_token(tid, secret, wid, "esp32c3-supermini", "always-on")
            stored[tid] = secret
        for tid, secret in stored.items():
            assert r.secret_for(tid) == secret
    raw = db.read_bytes()
    for secret in stored.values():
        assert secret not in raw and secret.hex().encode() not in raw and secret.hex().upper().encode() not in raw
    with reg(db) as r:  # reopened with the same passphrase
        assert {t: r.secret_for(t) for t in stored} == stored


def test_wrong_passphrase_refused(tmp_path):
    db = tmp_path / "station.db"
    with reg(db) as r:
        r.add_token("BZ-TEST-0001", secrets.new_secret())
    with pytest.raises(AuthError, match="wrong passphrase"):
        reg(db, "not the passphrase")
    with Registry(db, None) as r:  # no passphrase: lists work, secrets do not
        assert [t["token_id"] for t in r.tokens()] == ["BZ-TEST-0001"]
        with pytest.raises(AuthError, match="without the station passphrase"):
            r.secret_for("BZ-TEST-0001")


def test_unknown_token_is_an_auth_error(tmp_path):
    with reg(tmp_path / "s.db") as r, pytest.raises(AuthError, match="not in this station's registry"):
        r.secret_for("BZ-NOPE-0000")


def test_sealed_secret_bound_to_its_token(tmp_path):
    db = tmp_path / "s.db"
    with reg(db) as r:
        r.add_token("BZ-AAAA-0001", secrets.new_secret())
        r.add_token("BZ-AAAA-0002", secrets.new_secret())
        # someone swaps the sealed blobs in the file: decryption fails instead of handing out the wrong secret
        a, b = (r.con.execute("SELECT sealed FROM secrets WHERE token_id = ?", (t,)).fetchone()[0]
                for t in ("BZ-AAAA-0001", "BZ-AAAA-0002"))
        r.con.execute("UPDATE secrets SET sealed = ? WHERE token_id = 'BZ-AAAA-0001'", (b,))
        with pytest.raises(AuthError, match="altered"):
            r.secret_for("BZ-AAAA-0001")


def test_default_kdf_cost_and_short_passphrase(tmp_path):
    with Registry(tmp_path / "s.db", PW) as r:
        assert json.loads(r._meta("kdf"))["n"] == 2**17
    with pytest.raises(UsageError, match="at least 8"):
        Registry(tmp_path / "t.db", "short")


def test_export_import_round_trip(tmp_path):
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    with reg(a) as r:
        w1 = r.add_wearer("Trần Thị Bình", ref="HN-0002", phone="0900000000")
        r.add_token("BZ-EXPT-0001", s1 := secrets.new_secret(), w1, "esp32c3-supermini", "eco")
        r.mark_provisioned("BZ-EXPT-0001", fw="1.0")
        r.add_token("BZ-EXPT-0002", s2 := secrets.new_secret())
        data = r.export("transfer passphrase", kdf_n=N)
    text = json.dumps(data)
    for s in (s1, s2):
        assert s.hex() not in text and s.hex().upper() not in text
    with reg(b, "another station pw") as r:
        with pytest.raises(AuthError, match="wrong passphrase for this registry export"):
            r.import_(data, "guess")
        assert r.import_(data, "transfer passphrase") == {
            "wearers": 1, "tokens": 2, "same": 0, "conflicts": 0, "without_secret": 0}
        assert r.secret_for("BZ-EXPT-0001") == s1 and r.secret_for("BZ-EXPT-0002") == s2
        t = r.token("BZ-EXPT-0001")
        assert (t["status"], t["wearer_ref"], t["profile"], t["fw"]) == ("provisioned", "HN-0002", "eco", "1.0")
        assert r.wearer("HN-0002")["phone"] == "0900000000"
        # importing again changes nothing
        assert r.import_(data, "transfer passphrase")["same"] == 2
    # a conflicting token (same ID, different secret) is left alone and counted
    with reg(tmp_path / "c.db") as r:
        r.add_token("BZ-EXPT-0001", secrets.new_secret())
        assert r.import_(data, "transfer passphrase")["conflicts"] == 1


def test_export_without_secrets(tmp_path):
    with reg(tmp_path / "a.db") as r:
        r.add_token("BZ-EXPT-0003", secrets.new_secret())
        data = r.export("unused", with_secrets=False)
    assert "kdf" not in data and "sealed_secret" not in data["tokens"][0]
    with reg(tmp_path / "b.db") as r:
        assert r.import_(data, None)["without_secret"] == 1
        assert r.tokens() == []


def test_import_rejects_other_files(tmp_path):
    with reg(tmp_path / "a.db") as r:
        with pytest.raises(UsageError, match="not a bztoken registry export"):
            r.import_({"format": "something"}, PW)
        with pytest.raises(UsageError, match="version 9"):
            r.import_({"format": "bztoken-registry", "version": 9}, PW)


def test_shares_the_station_database_with_the_pulled_logs(tmp_path):
    db = tmp_path / "station.db"
    StationDB(db)
    with reg(db) as r:
        r.add_token("BZ-SHRD-0001", secrets.new_secret())
    names = {row[0] for row in sqlite3.connect(db).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"pulls", "syncs", "tokens", "wearers", "secrets", "registry_meta"} <= names
    # the pulled encounters themselves live in the columnar store beside it (host_tools.stationdb)
    from host_tools import paths

    assert paths.encounter_store(db).is_file()


def test_bad_token_ids_refused(tmp_path):
    with reg(tmp_path / "a.db") as r:
        for bad in ("", "bz-lower", "X", "A" * 40, "BZ 0001"):
            with pytest.raises(UsageError, match="bad token ID"):
                r.add_token(bad, secrets.new_secret())
        r.add_token("BZ-DUPE-0001", secrets.new_secret())
        with pytest.raises(UsageError, match="already in the registry"):
            r.add_token("BZ-DUPE-0001", secrets.new_secret())


def test_reassign_and_retire(tmp_path):
    with reg(tmp_path / "a.db") as r:
        a, b = r.add_wearer("A", "RA"), r.add_wearer("B", "RB")
        r.add_token("BZ-REAS-0001", s := secrets.new_secret(), a)
        r.reassign("BZ-REAS-0001", b)
        t = r.token("BZ-REAS-0001")
        assert (t["wearer_ref"], t["status"]) == ("RB", "pending") and r.secret_for("BZ-REAS-0001") == s
        assert r.tokens_of(a) == [] and len(r.tokens_of(b)) == 1
        with pytest.raises(UsageError, match="unknown wearer"):
            r.reassign("BZ-REAS-0001", 999)
        with pytest.raises(UsageError, match="unknown token"):
            r.reassign("BZ-NONE-0001", a)
        r.retire("BZ-REAS-0001")
        assert r.tokens("retired")[0]["token_id"] == "BZ-REAS-0001"
