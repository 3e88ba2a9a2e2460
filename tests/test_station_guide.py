"""docs/station-guide.md: every picture it shows is one the browser test takes (guide_shot), and exists."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_guide_pictures_come_from_the_browser_test():
    guide = (ROOT / "docs" / "station-guide.md").read_text(encoding="utf-8")
    shown = re.findall(r"!\[[^\]]*\]\((station-guide/[\w.-]+\.png)\)", guide)
    taken = set(re.findall(r'guide_shot\(d, "([\w-]+)"\)', (ROOT / "tests" / "test_station_browser.py").read_text()))
    assert len(shown) >= 10
    for rel in shown:
        assert Path(rel).stem in taken, rel
        assert (ROOT / "docs" / rel).is_file(), rel
    assert {Path(r).stem for r in shown} == taken  # and every picture taken for it is shown


def test_guide_names_the_ways_the_station_says():
    from provisioning import passphrase

    guide = (ROOT / "docs" / "station-guide.md").read_text(encoding="utf-8")
    assert "make station PASSPHRASE_FILE=" in guide and "make station PASSPHRASE_FILE=FILE" in passphrase.WAYS
    assert "bztoken registry passphrase" in guide and "--http-port" in guide
