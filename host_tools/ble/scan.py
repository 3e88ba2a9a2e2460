"""Tokens in BLE sync mode nearby: their sync-mode scan response names the sync service (bzfw.gattsync).
A token outside sync mode is not listed (its advert is a phone's Bluezone packet, not connectable)."""

import asyncio

from bzfw import gattsync
from host_tools import ble
from host_tools.ble.portal import Portal
from host_tools.ble.transport import error_text
from host_tools.errors import LinkError


async def _scan(seconds: float, backend) -> list[dict]:
    from bleak import BleakScanner  # heavy import, only when BLE is used

    found: dict[str, dict] = {}

    def seen(device, data) -> None:
        if gattsync.SERVICE_UUID.lower() not in [u.lower() for u in data.service_uuids]:
            return
        bz_id = None
        msd = data.manufacturer_data.get(0x22B5)  # Bluezone's company ID (bzfw.adv)
        if msd is not None and len(msd) == 12:
            bz_id = msd.hex().upper()
        e = found.setdefault(device.address, {"address": device.address, "rssi": data.rssi, "rssi_max": data.rssi,
                                              "seen": 0, "bluezone_id": bz_id})
        e["rssi"] = data.rssi
        e["rssi_max"] = max(e["rssi_max"], data.rssi)
        e["seen"] += 1
        if bz_id:
            e["bluezone_id"] = bz_id

    kw = {"backend": backend} if backend is not None else {}
    scanner = BleakScanner(seen, **kw)
    await scanner.start()
    try:
        await asyncio.sleep(seconds)
    finally:
        await scanner.stop()
    return sorted(found.values(), key=lambda e: -e["rssi_max"])


def scan_tokens(seconds: float = 5.0, backend=None) -> list[dict]:
    """[{address, rssi (last), rssi_max, seen (adverts), bluezone_id (hex, or None with the clock unset)}],
    strongest first."""
    portal = Portal("bztoken-scan")
    try:
        return portal.call(_scan(seconds, backend or ble.scanner_backend()), seconds + 30)
    except LinkError:
        raise
    except Exception as e:
        raise LinkError(f"BLE scan failed: {error_text(e)}",
                        hint="is Bluetooth on, and may this user use it?") from None
    finally:
        portal.close()
