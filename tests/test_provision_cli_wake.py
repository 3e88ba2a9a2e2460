"""`bztoken provision --wake-wait S` reaches the client that knocks for a sleeping (eco) token."""

import pytest

from host_tools.cli import main
from host_tools.errors import LinkError


@pytest.mark.parametrize("argv, expected", [([], None), (["--wake-wait", "42"], 42.0)])
def test_wake_wait_is_passed_to_the_client(tmp_path, monkeypatch, capsys, argv, expected):
    from provisioning import batch

    seen = []

    def fake_open_client(port, timeout=2.0, wake_wait=None):
        seen.append((port, wake_wait))
        raise LinkError(f"no token answered on {port}")

    monkeypatch.setattr(batch, "open_client", fake_open_client)
    monkeypatch.setenv("BZTOKEN_PASSPHRASE", "station passphrase for the test")
    rc = main(["provision", "--port", "loop://", "--wearer", "Tran Thi B", "--db", str(tmp_path / "s.db"), *argv])
    err = capsys.readouterr().err
    assert rc == 4, err
    assert seen == [("loop://", expected)]
    assert err.startswith("bztoken: no token answered on loop://")
