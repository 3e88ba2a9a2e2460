"""host_tools.paths: platformdirs folders, environment overrides."""

from host_tools import paths


def test_env_override_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("BZTOKEN_DB", str(tmp_path / "x.db"))
    assert paths.default_db() == tmp_path / "x.db"


def test_linux_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("BZTOKEN_DB", raising=False)
    monkeypatch.delenv("BZTOKEN_VIRTUAL_REGISTRY", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert paths.default_db() == tmp_path / "data" / "bztoken" / "station.db"
    assert paths.virtual_registry() == tmp_path / "state" / "bztoken" / "virtual"
