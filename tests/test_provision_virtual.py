"""Batch provisioning of virtual tokens: the real firmware on the MicroPython unix port, each on its own pty.
What the tokens wrote to their flash (a LittleFS image) is read back after they stop."""

import json

import pytest

from bzfw import config as fwconfig
from host_tools.cli import main
from host_tools.flash import fsimage
from provisioning.registry import Registry

# An awake token: tests here need it (the firmware's default profile sleeps, bzfw.config.DEFAULT_PROFILE).
ALWAYS_ON = {"profile": "always-on"}

virtual = pytest.importorskip("host_tools.virtual")

PW = "station passphrase 1"


def test_batch_of_virtual_tokens_with_one_missing(tmp_path, monkeypatch, capsys):
    db = tmp_path / "station.db"
    Registry(db, PW, kdf_n=2**10).close()
    monkeypatch.setenv("BZTOKEN_PASSPHRASE", PW)
    dirs = [tmp_path / f"vt{i}" for i in range(3)]
    vts = [virtual.VirtualToken(d, name=f"V{i}", speed=1, config=ALWAYS_ON) for i, d in enumerate(dirs)]
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


def test_flash_boot_provision(tmp_path, monkeypatch, capsys):
    """The filesystem `bztoken flash` wrote (read back from the emulated chip) becomes a virtual token's flash:
    the firmware boots on it (board and config from our image) and is then provisioned."""
    import sys
    from pathlib import Path

    from host_tools.flash import espimage

    sys.path.insert(0, str(Path(__file__).parent))
    from esp_rom_emulator import EspRomEmulator

    fw = tmp_path / "fw.bin"
    fw.write_bytes(espimage.make_image("esp32c3", espimage.MICROPYTHON_4MIB))
    with EspRomEmulator("esp32c3") as emu:
        assert main(["flash", "--port", emu.port, "--board", "esp32c3-supermini", "--firmware", str(fw),
                     "--before", "no-reset", "--after", "no-reset"]) == 0
        vfs = bytes(emu.flash[0x200000:0x400000])
    d = tmp_path / "vt"
    d.mkdir()
    (d / "flash.img").write_bytes(vfs)
    db = tmp_path / "station.db"
    Registry(db, PW, kdf_n=2**10).close()
    monkeypatch.setenv("BZTOKEN_PASSPHRASE", PW)
    # the config flash wrote (the default profile); the clock unset, as on a token just flashed and powered up
    with virtual.VirtualToken(d, name="F1", clock="unset") as vt:
        capsys.readouterr()
        assert main(["provision", "--db", str(db), "--port", vt.port, "--wearer", "Hoàng Lan", "--json"]) == 0
        tid = json.loads(capsys.readouterr()[0])["tokens"][0]["token_id"]
    files = fsimage.read_image((d / "flash.img").read_bytes())
    cfg = json.loads(files["/config.json"])
    assert cfg["token_id"] == tid and cfg["profile"] == fwconfig.DEFAULT_PROFILE  # flash and provision agree
    assert "/lib/bzfw/app.mpy" in files and "/main.py" in files  # the application written by flash is intact
    assert json.loads(files["/board.json"])["name"] == "esp32c3-supermini"
