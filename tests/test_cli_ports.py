"""`bztoken ports`: the serial ports pyserial enumerates, with USB VID:PID and description, likely tokens first.

This machine has no USB serial device, so the enumeration (the operating system's part) is replaced by pyserial's
own ListPortInfo records filled as its Linux backend fills them for the devices named (list_ports_linux.SysFS
reads idVendor/idProduct/product/manufacturer/serial from sysfs); the command's own code runs unchanged."""

import json

import pytest
from serial.tools import list_ports
from serial.tools.list_ports_common import ListPortInfo

from host_tools.cli import main


def port(device, vid=None, pid=None, product=None, manufacturer=None, serial=None):
    p = ListPortInfo(device, skip_link_detection=True)
    p.vid, p.pid, p.product, p.manufacturer, p.serial_number = vid, pid, product, manufacturer, serial
    if vid is not None:
        p.description = product or device  # as list_ports_linux does: the USB product string
        p.location = "1-1:1.0"
    return p


FLEET = [
    port("/dev/ttyS0"),  # a built-in UART: no USB
    port("/dev/ttyUSB0", 0x1A86, 0x7523, "USB Serial", None),  # CH340 on a devkit
    port("/dev/ttyACM0", 0x303A, 0x1001, "USB JTAG/serial debug unit", "Espressif", "F4:12:FA:00:11:22"),
    port("/dev/ttyACM1", 0x2341, 0x0043, "Arduino Uno", "Arduino"),  # something else entirely
]


@pytest.fixture(autouse=True)
def no_virtual_tokens(monkeypatch, tmp_path):
    monkeypatch.setenv("BZTOKEN_VIRTUAL_REGISTRY", str(tmp_path / "virtual"))  # none running


@pytest.fixture
def fleet(monkeypatch):
    monkeypatch.setattr(list_ports, "comports", lambda *a, **k: list(FLEET))


def test_json_lists_usb_ports_tokens_first(fleet, capsys):
    assert main(["ports", "--json"]) == 0
    ports = json.loads(capsys.readouterr().out)["ports"]
    assert [(p["device"], p["usb_id"], p["token"]) for p in ports] == [
        ("/dev/ttyACM0", "303A:1001", "token"), ("/dev/ttyUSB0", "1A86:7523", "maybe"),
        ("/dev/ttyACM1", "2341:0043", None)]
    assert ports[0]["manufacturer"] == "Espressif" and ports[0]["serial_number"] == "F4:12:FA:00:11:22"
    assert ports[0]["what"] == "ESP32 USB Serial/JTAG" and ports[1]["what"] == "CH340 USB-UART bridge"


def test_all_adds_ports_without_usb(fleet, capsys):
    assert main(["ports", "--all", "--json"]) == 0
    devices = [p["device"] for p in json.loads(capsys.readouterr().out)["ports"]]
    assert devices[-1] == "/dev/ttyS0" and len(devices) == 4


def test_text_table(fleet, capsys):
    assert main(["ports"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["PORT", "USB", "ID", "TOKEN", "DESCRIPTION"]
    assert lines[1].split()[:3] == ["/dev/ttyACM0", "303A:1001", "token"] and "Espressif" not in lines[0]
    assert "USB JTAG/serial debug unit / ESP32 USB Serial/JTAG" in lines[1]


def test_unknown_espressif_device_is_maybe(monkeypatch, capsys):
    monkeypatch.setattr(list_ports, "comports", lambda *a, **k: [port("/dev/ttyACM5", 0x303A, 0x80D1, "S3 app")])
    assert main(["ports", "--json"]) == 0
    (p,) = json.loads(capsys.readouterr().out)["ports"]
    assert (p["token"], p["what"]) == ("maybe", "Espressif USB device")


def test_on_this_machine(capsys):
    """No faking: whatever this computer has, the output is one JSON object."""
    assert main(["ports", "--all", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert isinstance(doc["ports"], list) and all("device" in p for p in doc["ports"])


def test_empty(monkeypatch, capsys):
    monkeypatch.setattr(list_ports, "comports", lambda *a, **k: [])
    assert main(["ports"]) == 0
    assert "no USB serial ports found" in capsys.readouterr().out
