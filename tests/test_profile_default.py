"""One default profile: the firmware's table (bzfw.config.DEFAULT_PROFILE) is what flash, provision and virtual
fall back to, and what their help says."""

import pytest

from bzfw import config as fwconfig
from host_tools.cli import main
from host_tools.flash import plan


def test_the_default_is_a_profile_of_the_table_and_sleeps():
    assert fwconfig.DEFAULT_PROFILE in fwconfig.PROFILES
    c = fwconfig.Config()
    assert c.profile == fwconfig.DEFAULT_PROFILE and c.deep_sleep
    assert fwconfig.Config({"profile": "nope"}).profile == fwconfig.DEFAULT_PROFILE  # a bad config falls back


@pytest.mark.parametrize("default", [fwconfig.DEFAULT_PROFILE, "eco"])
def test_flash_config_follows_the_firmware(monkeypatch, default):
    monkeypatch.setattr(fwconfig, "DEFAULT_PROFILE", default)
    assert plan.load_config(None, "esp32c3-supermini", None)["profile"] == default
    assert plan.load_config(None, "esp32c3-supermini", "always-on")["profile"] == "always-on"


@pytest.mark.parametrize("cmd", [["provision"], ["flash"], ["virtual", "start"]])
def test_help_names_the_default(cmd, capsys):
    try:
        rc = main([*cmd, "--help"])
    except SystemExit as e:  # argparse's exit, when main lets it through
        rc = e.code
    assert rc in (0, None)
    out = " ".join(capsys.readouterr().out.split())
    assert fwconfig.DEFAULT_PROFILE in out and "always-on (default)" not in out
