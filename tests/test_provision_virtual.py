"""Batch provisioning of virtual tokens: the real firmware on the MicroPython unix port, each on its own pty.
What the tokens wrote to their flash (a LittleFS image) is read back after they stop."""

import json

import pytest

from host_tools.cli import main
from host_tools.flash import fsimage
from provisioning.registry import Registry

virtual = pytest.importorskip("host_tools.virtual")

PW = "station passphrase 1"


def test_batch_of_virtual_tokens_with_one_missing(tmp_path, monkeypatch, capsys):
    db = tmp_path / "station.db"
    Registry(db, PW, kdf_n=2**10).close()
    monkeypatch.setenv("BZTOKEN_PASSPHRASE", PW)
    dirs = [tmp_path / f"vt{i}" for i in range(3)]
    vts = [virtual.VirtualToken(d, name=f"V{i}", speed=1) for i, d in enumerate(dirs)]
    try:
        for v in vts:
            v.start()
        csv = tmp_path / "w.csv"
        rows = [f"Bà Vũ Thị {i},VT-{i},{v.port}" for i, v in enumerate(vts)]
        rows.insert(1, f"Absent,VT-X,{tmp_path / 'unplugged'}")
        csv.write_text("name,ref,port\n" + "\n".join(rows) + "\n")
        rc = main(["provision", "--db", str(db), "--batch", str(csv), "--board", "esp32c3-supermini",
                   "--profile", "always-on", "--json"])
        res = json.loads(capsys.readouterr()[0])
        assert rc == 5 and (res["provisioned"], res["failed"]) == (3, 1)
        assert [o["ref"] for o in res["tokens"] if o["status"] == "failed"] == ["VT-X"]
        # rerun: nothing left but the absent one, and the done ones are not contacted
        assert main(["provision", "--db", str(db), "--batch", str(csv), "--json"]) == 5
        again = json.loads(capsys.readouterr()[0])
        assert (again["skipped"], again["failed"], again["provisioned"]) == (3, 1, 0)
    finally:
        for v in vts:
            v.stop()
    with Registry(db, PW) as reg:
        for i, d in enumerate(dirs):
            (o,) = [o for o in res["tokens"] if o["ref"] == f"VT-{i}"]
            files = fsimage.read_image((d / "flash.img").read_bytes())
            cfg = json.loads(files["/config.json"])
            assert cfg["token_id"] == o["token_id"] and cfg["board"] == "esp32c3-supermini"
            assert files["/secret"] == reg.secret_for(o["token_id"])
            assert reg.token(o["token_id"])["wearer_name"] == f"Bà Vũ Thị {i}"
