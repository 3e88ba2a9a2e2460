"""Which serial ports hold a token right now: the USB serial ports pyserial lists, plus extra entries.

An extra entry is a pyserial URL (`socket://HOST:PORT`, always taken as present), a path or glob of device
paths, or a glob of files that each hold a port path on their first line (a virtual token's `DIR/port`),
so a token started later appears by itself, as a USB token does when plugged in."""

import glob
import os
import stat

# USB-serial bridges and native USB CDC of ESP32 boards; other serial ports (e.g. ttyS*) are never tokens.
USB_HINTS = ("ttyUSB", "ttyACM", "usbserial", "usbmodem", "wchusbserial", "SLAB_USBtoUART", "COM")


def _is_char_device(path: str) -> bool:
    try:
        return stat.S_ISCHR(os.stat(path).st_mode)
    except OSError:
        return False


def _from_entry(entry: str) -> list[str]:
    if "://" in entry:
        return [entry]
    out = []
    for p in sorted(glob.glob(entry)):
        if _is_char_device(p):
            out.append(p)
        elif os.path.isfile(p):
            try:
                with open(p) as f:
                    target = f.readline().strip()
            except OSError:
                continue
            if target and ("://" in target or _is_char_device(target)):
                out.append(target)
    return out


def usb_ports() -> list[str]:
    try:
        from serial.tools import list_ports
    except ImportError:
        return []
    out = []
    for p in list_ports.comports():
        if p.vid is not None or any(h in p.device for h in USB_HINTS):
            out.append(p.device)
    return out


def discover(extra: list[str], usb: bool = True) -> list[str]:
    """Ports present now, without duplicates, in a stable order."""
    seen: dict[str, None] = {}
    for p in usb_ports() if usb else []:
        seen[p] = None
    for e in extra:
        for p in _from_entry(e):
            seen[p] = None
    return list(seen)
