"""Board definitions: valid against hardware/boards/schema.json, readable by the firmware's own loader (on
CPython and on the MicroPython unix port), and consistent with the flash layout `bztoken flash` writes."""

import copy
import json
import subprocess
import sys

import jsonschema
import pytest
from conftest import ROOT, run_micropython  # noqa: I001

from bzfw import board as fwboard
from host_tools.errors import UsageError
from host_tools.flash import boards, espimage

REQUIRED = {"esp32c3-supermini", "esp32s3-devkitc-1", "esp32-devkitc"}


def test_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(json.loads(boards.SCHEMA.read_text()))


def test_the_three_reference_boards_exist_and_validate():
    assert set(boards.names()) >= REQUIRED
    for name in boards.names():
        d = boards.load(name)
        assert boards.problems(d, name) == []
        fwboard.check(d)  # the firmware accepts it too
        assert d["chip"] in espimage.CHIPS
        parts = d.get("partitions")
        if parts:
            assert parts["firmware"] == espimage.chip_offset(d["chip"])
            assert parts["vfs_offset"] + parts["vfs_size"] <= d["flash_size"]


def test_boards_load_on_micropython():
    names = boards.names()
    script = "from bzfw import board\n" + "".join(
        f"print(board.load({str(boards.BOARDS_DIR / (n + '.json'))!r})['name'])\n" for n in names)
    r = run_micropython(script)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == names


@pytest.mark.parametrize("mutate,msg", [
    (lambda d: d.pop("chip"), "'chip' is a required property"),
    (lambda d: d.update(chip="esp8266"), "chip: 'esp8266' is not one of"),
    (lambda d: d["led"].update(pin=60), "led/pin: 60 is greater than the maximum of 48"),
    (lambda d: d.update(flash_size=3000000), "flash_size: 3000000 is not one of"),
    (lambda d: d["battery"].update(divider=0.5), "battery/divider: 0.5 is less than the minimum of 1"),
    (lambda d: d.update(usb="wifi"), "usb: 'wifi' is not one of"),
    (lambda d: d.update(name="Other"), "name: 'Other' does not match"),
    (lambda d: d["partitions"].update(vfs_size=0x400000), "past the 4 MB flash"),
])
def test_bad_definitions_named_precisely(tmp_path, mutate, msg):
    d = copy.deepcopy(boards.load("esp32c3-supermini"))
    mutate(d)
    assert any(msg in p for p in boards.problems(d, "esp32c3-supermini")), boards.problems(d, "esp32c3-supermini")
    p = tmp_path / "esp32c3-supermini.json"
    p.write_text(json.dumps(d))
    with pytest.raises(UsageError):
        boards.load(str(p))


def test_unknown_board_lists_the_known_ones():
    with pytest.raises(UsageError) as e:
        boards.load("esp32-c3-typo")
    assert "esp32c3-supermini" in e.value.hint


def test_checker_command():
    r = subprocess.run([sys.executable, "-m", "host_tools.flash.boards"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0 and f"{len(boards.names())} checked, 0 problem(s)" in r.stdout
