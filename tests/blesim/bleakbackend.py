"""bleak backends on a bumble device of the simulated world, so the unmodified host code (BleakClient,
BleakScanner) runs against it: `BleakClient(addr, backend=C)`, `BleakScanner(backend=S)` with
`C, S = backends(world)`. bleak runs on its own event loop (the host's); every bumble call crosses to the
world's loop and every callback crosses back."""

from __future__ import annotations

import asyncio
import uuid as _uuid
from typing import Any

from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakDeviceNotFoundError, BleakError
from bumble import hci
from bumble.core import UUID as BUUID
from bumble.device import Peer

_PROPS = {0x01: "broadcast", 0x02: "read", 0x04: "write-without-response", 0x08: "write", 0x10: "notify",
          0x20: "indicate", 0x40: "authenticated-signed-writes", 0x80: "extended-properties"}


def _str_uuid(u: BUUID) -> str:
    return str(_uuid.UUID(bytes=bytes(reversed(u.to_bytes(force_128=True)))))


def _parse_ad(data: bytes) -> dict:
    out: dict = {"name": None, "msd": {}, "sd": {}, "uuids": [], "tx": None}
    i = 0
    while i + 1 < len(data):
        ln = data[i]
        if ln == 0 or i + 1 + ln > len(data):
            break
        t, p = data[i + 1], data[i + 2:i + 1 + ln]
        if t in (0x08, 0x09):
            out["name"] = p.decode("utf-8", "replace")
        elif t in (0x02, 0x03):
            out["uuids"] += [f"0000{p[j + 1]:02x}{p[j]:02x}-0000-1000-8000-00805f9b34fb"
                             for j in range(0, len(p) - 1, 2)]
        elif t in (0x06, 0x07):
            out["uuids"] += [str(_uuid.UUID(bytes=bytes(reversed(p[j:j + 16])))) for j in range(0, len(p) - 15, 16)]
        elif t == 0xFF and len(p) >= 2:
            out["msd"][p[0] | p[1] << 8] = bytes(p[2:])
        elif t == 0x16 and len(p) >= 2:
            out["sd"][f"0000{p[1]:02x}{p[0]:02x}-0000-1000-8000-00805f9b34fb"] = bytes(p[2:])
        elif t == 0x0A and len(p) == 1:
            out["tx"] = p[0] - 256 if p[0] > 127 else p[0]
        i += 1 + ln
    return out


def backends(world: Any, name: str = "station", position=(0.0, 0.0), mtu: int = 517,
             address: str = "C0:57:A7:10:00:01") -> tuple[type[BaseBleakClient], type[BaseBleakScanner]]:
    """Client and scanner backend classes bound to one station radio (a bumble device) in `world`."""
    dev = world.add_device(name, address, position)
    station = {"busy": False}

    class BumbleScanner(BaseBleakScanner):
        def __init__(self, detection_callback: Any, service_uuids: Any, scanning_mode: str = "active",
                     **kwargs: Any):
            super().__init__(detection_callback, service_uuids)
            self._active = scanning_mode != "passive"
            self._loop: asyncio.AbstractEventLoop | None = None
            self._last: dict[str, tuple[bytes, bytes]] = {}

        def _on_report(self, report: Any) -> None:  # on the world's loop
            addr = report.address.to_string(with_type_qualifier=False)
            adv, rsp = self._last.get(addr, (b"", b""))
            if int(report.event_type) & hci.HCI_LE_Extended_Advertising_Report_Event.EventType.SCAN_RESPONSE:
                rsp = bytes(report.data)
            else:
                adv = bytes(report.data)
            self._last[addr] = (adv, rsp)
            ad = _parse_ad(adv + rsp)
            loop = self._loop
            if loop is not None:
                loop.call_soon_threadsafe(self._deliver, addr, ad, report.rssi, adv, rsp)

        def _deliver(self, addr: str, ad: dict, rssi: int, adv: bytes, rsp: bytes) -> None:
            if not self.is_allowed_uuid(ad["uuids"]):
                return
            data = AdvertisementData(local_name=ad["name"], manufacturer_data=ad["msd"], service_data=ad["sd"],
                                     service_uuids=ad["uuids"], tx_power=ad["tx"], rssi=rssi,
                                     platform_data=(adv, rsp))
            device = self.create_or_update_device(addr, addr, ad["name"], (adv, rsp), data)
            self.call_detection_callbacks(device, data)

        async def start(self) -> None:
            self._loop = asyncio.get_running_loop()
            self.seen_devices = {}

            async def go() -> None:
                dev.host.on("advertising_report", self._on_report)
                if not dev.is_scanning:
                    await dev.start_scanning(active=self._active, filter_duplicates=False)

            await world.aforeign(go())

        async def stop(self) -> None:
            async def go() -> None:
                dev.host.remove_listener("advertising_report", self._on_report)
                if dev.is_scanning:
                    await dev.stop_scanning()

            await world.aforeign(go())
            self._loop = None

    class BumbleClient(BaseBleakClient):
        def __init__(self, address_or_ble_device: BLEDevice | str, **kwargs: Any):
            super().__init__(address_or_ble_device, disconnected_callback=kwargs.get("disconnected_callback"),
                             timeout=kwargs.get("timeout", 10.0))
            self._conn: Any = None
            self._peer: Peer | None = None
            self._loop: asyncio.AbstractEventLoop | None = None
            self._subs: dict[int, Any] = {}

        @property
        def name(self) -> str:
            return self.address

        @property
        def mtu_size(self) -> int:
            return int(self._conn.att_mtu) if self._conn is not None else 23

        @property
        def is_connected(self) -> bool:
            return self._conn is not None

        async def connect(self, pair: bool, **kwargs: Any) -> None:
            self._loop = asyncio.get_running_loop()
            timeout = kwargs.get("timeout", self._timeout)

            async def go() -> tuple[Any, Peer, list]:
                if station["busy"]:
                    raise BleakError("the station radio is already connecting")  # one at a time, as a controller
                station["busy"] = True
                try:
                    target = hci.Address(self.address, hci.Address.RANDOM_DEVICE_ADDRESS)
                    try:
                        conn = await dev.connect(target, timeout=timeout)
                    except Exception as e:
                        raise BleakDeviceNotFoundError(self.address,
                                                       f"no connectable device {self.address}: {e}") from None
                finally:
                    station["busy"] = False
                conn.on("disconnection", self._on_disconnection)
                peer = Peer(conn)
                await peer.request_mtu(mtu)
                svcs = await peer.discover_services()
                tree = []
                for s in svcs:
                    chars = await peer.discover_characteristics(service=s)
                    ctree = []
                    for c in chars:
                        descs = await peer.discover_descriptors(c)
                        ctree.append((c, descs))
                    tree.append((s, ctree))
                return conn, peer, tree

            self._conn, self._peer, tree = await world.aforeign(go())
            coll = BleakGATTServiceCollection()
            for s, ctree in tree:
                bs = BleakGATTService(s, s.handle, _str_uuid(s.uuid))
                coll.add_service(bs)
                for c, descs in ctree:
                    props = [n for bit, n in _PROPS.items() if int(c.properties) & bit]
                    bc = BleakGATTCharacteristic(c, c.handle, _str_uuid(c.uuid), props,
                                                 lambda: self.mtu_size - 3, bs)
                    coll.add_characteristic(bc)
                    for d in descs:
                        coll.add_descriptor(BleakGATTDescriptor(d, d.handle, _str_uuid(d.type), bc))
            self.services = coll

        def _on_disconnection(self, reason: int) -> None:  # on the world's loop
            was = self._conn is not None
            self._conn = None
            cb = self._disconnected_callback
            if was and cb is not None and self._loop is not None:
                self._loop.call_soon_threadsafe(cb)

        async def disconnect(self) -> None:
            conn = self._conn
            if conn is None:
                return
            self._disconnected_callback = None  # bleak calls it only on unsolicited disconnects

            async def go() -> None:
                try:
                    await conn.disconnect()
                except Exception:
                    pass

            await world.aforeign(go())
            self._conn = None

        async def pair(self, *args: Any, **kwargs: Any) -> None:
            raise NotImplementedError("the sync protocol authenticates itself; no pairing")

        async def unpair(self) -> None:
            raise NotImplementedError

        def _need(self) -> Peer:
            if self._conn is None or self._peer is None:
                raise BleakError("Not connected")
            return self._peer

        async def read_gatt_char(self, characteristic: BleakGATTCharacteristic, **kwargs: Any) -> bytearray:
            p = self._need()
            return bytearray(await world.aforeign(p.read_value(characteristic.handle)))

        async def read_gatt_descriptor(self, descriptor: BleakGATTDescriptor, **kwargs: Any) -> bytearray:
            p = self._need()
            return bytearray(await world.aforeign(p.read_value(descriptor.handle)))

        async def write_gatt_char(self, characteristic: BleakGATTCharacteristic, data: Any, response: bool) -> None:
            p = self._need()
            await world.aforeign(p.write_value(characteristic.handle, bytes(data), with_response=response))

        async def write_gatt_descriptor(self, descriptor: BleakGATTDescriptor, data: Any) -> None:
            p = self._need()
            await world.aforeign(p.write_value(descriptor.handle, bytes(data), with_response=True))

        async def start_notify(self, characteristic: BleakGATTCharacteristic, callback: Any, **kwargs: Any) -> None:
            p = self._need()
            loop = asyncio.get_running_loop()

            def on_value(value: bytes) -> None:  # on the world's loop
                loop.call_soon_threadsafe(callback, bytearray(value))

            self._subs[characteristic.handle] = on_value
            await world.aforeign(p.subscribe(characteristic.obj, on_value))

        async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
            p = self._need()
            sub = self._subs.pop(characteristic.handle, None)
            await world.aforeign(p.unsubscribe(characteristic.obj, sub))

    return BumbleClient, BumbleScanner
