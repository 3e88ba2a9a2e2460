"""`bztoken virtual` from the command line: start, list, inject, stop, and bad input."""

import json
import os

from host_tools import cli


def test_virtual_cli_round_trip(tmp_path, capsys):
    d = str(tmp_path / "cli")
    assert cli.main(["virtual", "start", "--dir", d, "--speed", "5", "--profile", "eco", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    try:
        assert os.path.exists(info["port"]) and info["dir"] == os.path.realpath(d)
        assert (tmp_path / "cli" / "port").read_text().strip() == info["port"]
        assert cli.main(["virtual", "list", "--json"]) == 0
        assert any(t["dir"] == info["dir"] for t in json.loads(capsys.readouterr().out))
        assert cli.main(["virtual", "start", "--dir", d]) == 2  # already running
        assert "already running" in capsys.readouterr().err
        assert cli.main(["virtual", "inject", "--dir", d, "--adv", "zz"]) == 2
        assert "--adv: not hex" in capsys.readouterr().err
        assert cli.main(["virtual", "inject", "--dir", d, "--adv", "0201060303564e0fffb522" + "00" * 12]) == 0
        capsys.readouterr()
        assert cli.main(["virtual", "status", "--dir", d, "--json"]) == 0
        st = json.loads(capsys.readouterr().out)
        assert st["clock_set"] is True and "adv_id" in st  # eco: asleep or awake, depending on the minute
        assert cli.main(["virtual", "status", "--dir", d]) == 0
        assert "clock      20" in capsys.readouterr().out
    finally:
        assert cli.main(["virtual", "stop", "--dir", d]) == 0
    assert cli.main(["virtual", "stop", "--dir", d]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bztoken: no virtual token running") and "Traceback" not in err
    from host_tools.virtual import read_flash

    assert json.loads(read_flash(d)["/config.json"]) == {"profile": "eco"}


def test_virtual_cli_bad_input(tmp_path, capsys):
    d = str(tmp_path / "bad")
    assert cli.main(["virtual", "start", "--dir", d, "--board", "nope"]) == 2
    assert "unknown board 'nope'" in capsys.readouterr().err
    assert cli.main(["virtual", "start", "--dir", d, "--speed", "0"]) == 2
    assert cli.main(["virtual", "start", "--dir", d, "--clock", "yesterday"]) == 2
    assert cli.main(["virtual", "relay", "--dir", d]) == 2
    long_dir = str(tmp_path / ("x" * 120))
    assert cli.main(["virtual", "start", "--dir", long_dir]) == 2
    assert "too long" in capsys.readouterr().err
