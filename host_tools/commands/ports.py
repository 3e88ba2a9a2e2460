"""`bztoken ports`: the serial ports of this computer with their USB VID:PID and description, likely tokens
marked (like `mpremote devs` and `python -m serial.tools.list_ports -v`).

  bztoken ports [--all] [--json]

A token on its own USB (the ESP32-C3/S3 USB Serial/JTAG, Espressif's VID 0x303A) is marked `token`; a USB-UART
bridge chip of the kind ESP32 development boards carry is marked `maybe` (hardware/boards says which boards
have which); running virtual tokens are listed too, marked `virtual`."""

import argparse
import json

# USB IDs of what a token's USB looks like (vendor, product) -> (mark, what it is).
# 303A:1001 is the USB Serial/JTAG controller of the ESP32-C3/S3/C6/H2 (Espressif's usb-pids list,
# espressif/usb-pids allocated-pids.txt: "1001 ... USB_SERIAL_JTAG"); the others are the USB-UART bridges on
# ESP32 development boards (hardware/boards/*.json "usb_bridge").
USB_IDS: dict[tuple[int, int], tuple[str, str]] = {
    (0x303A, 0x1001): ("token", "ESP32 USB Serial/JTAG"),
    (0x303A, 0x4001): ("token", "ESP32-S2/S3 USB CDC (TinyUSB)"),
    (0x10C4, 0xEA60): ("maybe", "CP210x USB-UART bridge"),
    (0x1A86, 0x7523): ("maybe", "CH340 USB-UART bridge"),
    (0x1A86, 0x55D4): ("maybe", "CH9102 USB-UART bridge"),
    (0x1A86, 0x55D3): ("maybe", "CH343 USB-UART bridge"),
    (0x0403, 0x6001): ("maybe", "FT232 USB-UART bridge"),
    (0x0403, 0x6015): ("maybe", "FT231X USB-UART bridge"),
}
ESPRESSIF_VID = 0x303A


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ports", help="list serial ports with USB VID:PID and description; likely tokens marked")
    p.add_argument("--all", action="store_true",
                   help="also ports without USB (built-in UARTs such as /dev/ttyS0), hidden by default")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(func=cmd_ports)


def classify(vid: int | None, pid: int | None) -> tuple[str | None, str | None]:
    """(mark, what) for a USB ID: ("token", ...), ("maybe", ...) or (None, None)."""
    if vid is None:
        return None, None
    if (vid, pid) in USB_IDS:
        return USB_IDS[(vid, pid)]
    if vid == ESPRESSIF_VID:
        return "maybe", "Espressif USB device"
    return None, None


def list_ports(include_all: bool = False) -> list[dict]:
    """Serial ports as dicts (device, usb_id, vid, pid, description, manufacturer, product, serial_number,
    location, token, what), likely tokens first, then by device name."""
    from serial.tools import list_ports

    out = []
    for info in list_ports.comports():
        if info.vid is None and not include_all:
            continue
        mark, what = classify(info.vid, info.pid)
        out.append({
            "device": info.device,
            "usb_id": f"{info.vid:04X}:{info.pid:04X}" if info.vid is not None and info.pid is not None else None,
            "vid": info.vid, "pid": info.pid,
            "description": info.description if info.description not in (None, "n/a") else None,
            "manufacturer": info.manufacturer, "product": info.product, "serial_number": info.serial_number,
            "location": info.location, "token": mark, "what": what,
        })
    try:
        from host_tools import virtual

        for t in virtual.list_tokens():
            out.append({"device": t["port"], "usb_id": None, "vid": None, "pid": None,
                        "description": f"virtual token {t['name']} ({t['dir']})", "manufacturer": None,
                        "product": None, "serial_number": None, "location": None, "token": "virtual",
                        "what": "bztoken virtual"})
    except Exception:  # noqa: BLE001 - virtual tokens are a convenience here; real ports are what counts
        pass
    rank = {"token": 0, "virtual": 1, "maybe": 2, None: 3}
    out.sort(key=lambda p: (rank[p["token"]], p["device"]))
    return out


def cmd_ports(args: argparse.Namespace) -> int:
    ports = list_ports(args.all)
    if args.json:
        print(json.dumps({"ports": ports}, sort_keys=True))
        return 0
    if not ports:
        print("no USB serial ports found (plug in a token; --all lists built-in serial ports too)")
        return 0
    w = max(len(p["device"]) for p in ports)
    lines = [f"{'PORT':<{w}}  {'USB ID':<9}  {'TOKEN':<7}  DESCRIPTION"]
    for p in ports:
        desc = " / ".join(dict.fromkeys(x for x in (p["description"], p["what"], p["serial_number"]) if x))
        lines.append(f"{p['device']:<{w}}  {p['usb_id'] or '-':<9}  {p['token'] or '-':<7}  {desc or '-'}")
    print("\n".join(lines))
    return 0
