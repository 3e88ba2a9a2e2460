"""Bluezone v2 phones on the simulated air (spec sections 2.2 and 2.3), each a bumble device:
- AndroidPhone advertises the 23-byte Bluezone packet (connectable, as Android sends it) with the ID of the
  current 15-min slot of its daily key;
- IosPhone is a GATT peripheral: service 00004E56-...-A667, characteristic ...-A689 (read, no encryption)
  answering every read with the ID computed at read time; it advertises as a foreground iOS phone (the
  128-bit service UUID, local name "Bluezone") or, `background=True`, with Apple's overflow area only.
Phones take their time from `now_ms` (a function) so a test can put them on the token's clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bumble.att import AttributeValue
from bumble.core import UUID as BUUID
from bumble.device import AdvertisingType
from bumble.gatt import Characteristic, Service

from bzfw import adv, ids

IOS_SERVICE = "00004E56-73F5-4BC4-A12F-17D1AD07A667"
IOS_CHAR = "00004E56-73F5-4BC4-A12F-17D1AD07A689"


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


class _Phone:
    def __init__(self, world: Any, name: str, address: str, position: tuple[float, float], daily_key: bytes,
                 now_ms: Callable[[], int] | None):
        self.world = world
        self.key = daily_key
        self.now_ms = now_ms or _wall_ms
        self.device = world.add_device(name, address, position)

    def current_id(self) -> bytes:
        t = self.now_ms()
        return ids.slot_id(self.key, (t % 86_400_000) // 900_000)

    def move(self, position: tuple[float, float]) -> None:
        self.world.move(self.device, position)


class AndroidPhone(_Phone):
    def __init__(self, world: Any, key: bytes, position=(0.0, 0.0), address: str = "D1:00:00:00:00:01",
                 now_ms: Callable[[], int] | None = None, interval_ms: float = 100.0):
        super().__init__(world, "android", address, position, key, now_ms)
        self.interval_ms = interval_ms
        self.advertised: bytes | None = None

    def start(self) -> AndroidPhone:
        data = adv.build(self.current_id())
        self.advertised = data
        self.world.call(self.device.start_advertising(
            advertising_type=AdvertisingType.UNDIRECTED_CONNECTABLE_SCANNABLE, advertising_data=data,
            scan_response_data=b"", advertising_interval_min=self.interval_ms,
            advertising_interval_max=self.interval_ms))
        return self

    def stop(self) -> None:
        self.world.call(self.device.stop_advertising())


def _ios_adv(background: bool) -> bytes:
    if background:  # Apple MSD, overflow area, Bluezone's bit in bitmap byte 0 (spec 2.3)
        return bytes([0x14, 0xFF, 0x4C, 0x00, 0x01, 0x08]) + bytes(15)
    uuid_le = bytes(reversed(bytes.fromhex(IOS_SERVICE.replace("-", ""))))
    name = b"Bluezone"
    return bytes([0x02, 0x01, 0x06, 17, 0x07]) + uuid_le + bytes([len(name) + 1, 0x09]) + name


class IosPhone(_Phone):
    def __init__(self, world: Any, key: bytes, position=(0.0, 0.0), address: str = "E2:00:00:00:00:01",
                 now_ms: Callable[[], int] | None = None, background: bool = False, interval_ms: float = 100.0,
                 value: Callable[[], bytes] | None = None):
        super().__init__(world, "ios", address, position, key, now_ms)
        self.background = background
        self.interval_ms = interval_ms
        self.reads = 0
        self._value = value  # override what a read returns (a broken phone)
        char = Characteristic(BUUID(IOS_CHAR), Characteristic.Properties.READ, Characteristic.Permissions.READABLE,
                              AttributeValue(read=self._read))
        self.device.add_service(Service(BUUID(IOS_SERVICE), [char]))

    def _read(self, _conn: Any) -> bytes:
        self.reads += 1  # iOS answers every read with the ID of this moment, ignoring the offset
        return self._value() if self._value is not None else self.current_id()

    def start(self) -> IosPhone:
        self.world.call(self.device.start_advertising(
            advertising_type=AdvertisingType.UNDIRECTED_CONNECTABLE_SCANNABLE,
            advertising_data=_ios_adv(self.background), scan_response_data=b"",
            advertising_interval_min=self.interval_ms, advertising_interval_max=self.interval_ms, auto_restart=True))
        return self

    def stop(self) -> None:
        self.world.call(self.device.stop_advertising())
