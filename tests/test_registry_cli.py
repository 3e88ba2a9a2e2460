"""`bztoken registry list/export/import/retire` as a user runs them."""

import json
import os

from host_tools.cli import main
from provisioning import secrets
from provisioning.registry import Registry

PW = "station passphrase 1"


def test_export_import_between_stations(tmp_path, monkeypatch, capsys):
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    with Registry(a, PW, kdf_n=2**10) as reg:
        wid = reg.add_wearer("Lê Văn Cường", ref="HUE-7")
        reg.add_token("BZ-CLIX-0001", s1 := secrets.new_secret(), wid, "esp32c3-supermini", "eco")
        reg.mark_provisioned("BZ-CLIX-0001")
    Registry(b, "station b passphrase", kdf_n=2**10).close()
    monkeypatch.setenv("BZTOKEN_PASSPHRASE", PW)
    monkeypatch.setenv("BZTOKEN_TRANSFER_PASSPHRASE", "for the courier")
    out = tmp_path / "export.json"
    assert main(["registry", "export", str(out), "--db", str(a)]) == 0
    assert oct(os.stat(out).st_mode & 0o777) == "0o600"
    assert s1.hex() not in out.read_text()
    monkeypatch.setenv("BZTOKEN_PASSPHRASE", "station b passphrase")
    monkeypatch.setenv("BZTOKEN_TRANSFER_PASSPHRASE", "wrong one")
    capsys.readouterr()
    assert main(["registry", "import", str(out), "--db", str(b)]) == 3
    assert "wrong passphrase for this registry export" in capsys.readouterr().err
    monkeypatch.setenv("BZTOKEN_TRANSFER_PASSPHRASE", "for the courier")
    assert main(["registry", "import", str(out), "--db", str(b), "--json"]) == 0
    assert json.loads(capsys.readouterr()[0])["tokens"] == 1
    with Registry(b, "station b passphrase") as reg:
        assert reg.secret_for("BZ-CLIX-0001") == s1
    assert main(["registry", "list", "--db", str(b), "--json"]) == 0
    (row,) = json.loads(capsys.readouterr()[0])
    assert (row["token_id"], row["status"], row["wearer_ref"]) == ("BZ-CLIX-0001", "provisioned", "HUE-7")
    assert main(["registry", "retire", "BZ-CLIX-0001", "--db", str(b)]) == 0
    assert main(["registry", "list", "--db", str(b)]) == 0
    assert "retired" in capsys.readouterr()[0]
    assert main(["registry", "retire", "BZ-NONE-0001", "--db", str(b)]) == 2


def test_import_of_a_non_export_is_a_usage_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BZTOKEN_PASSPHRASE", PW)
    Registry(tmp_path / "a.db", PW, kdf_n=2**10).close()
    bad = tmp_path / "x.json"
    bad.write_text("[1, 2]")
    assert main(["registry", "import", str(bad), "--db", str(tmp_path / "a.db")]) == 2
    bad.write_text("{not json")
    assert main(["registry", "import", str(bad), "--db", str(tmp_path / "a.db")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("bztoken:") == 2
