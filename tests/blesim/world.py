"""A BLE world in one process: bumble controllers on one LocalLink, run by an event loop in its own thread.

The firmware (through `mpble`, MicroPython's `bluetooth` API) and the host (through bleak with the backend in
`bleakbackend`) both live in other threads and reach their bumble devices with `World.call`/`World.submit`.
What bumble's LocalLink leaves out and a token depends on, `BzController` puts back:
- RSSI per receiver and sender from their distance (log-distance path loss), instead of a fixed -50 dBm;
- the advertiser's real PDU type (connectable or only scannable) and its own scan response, instead of every
  advert reported as connectable with its advertising data repeated as the scan response;
- a connect request to an advertiser that is not connectable is ignored, as a real controller ignores it.
The link has no radio timing: data moves at CPU speed, timers run on the wall clock."""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import Callable, Coroutine
from typing import Any

from bumble import hci, ll
from bumble.controller import AdvertisingSet, Controller
from bumble.device import Device
from bumble.host import Host
from bumble.link import LocalLink
from bumble.transport.common import AsyncPipeSink

_EXT = hci.HCI_LE_Extended_Advertising_Report_Event
TX_POWER_1M_DBM = -59  # RSSI at 1 m (a phone at low TX power, as Bluezone's Android advertiser)
PATH_LOSS_EXPONENT = 2.0


def rssi_at(distance_m: float, at_1m: int = TX_POWER_1M_DBM, n: float = PATH_LOSS_EXPONENT) -> int:
    """Log-distance path loss: RSSI(d) = RSSI(1 m) - 10 n log10(d), clamped to what a radio reports."""
    d = max(distance_m, 0.1)
    return max(-127, min(20, round(at_1m - 10 * n * math.log10(d))))


class BzController(Controller):
    """A bumble controller that knows where it is (see the module comment)."""

    def __init__(self, name: str, world: World, position: tuple[float, float]):
        super().__init__(name, link=world.link)
        self.world = world
        self.position = position

    def _sender_set(self, address: hci.Address) -> tuple[BzController | None, AdvertisingSet | None]:
        for c in self.world.link.controllers:
            if c is self:
                continue
            for s in c.advertising_sets.values():
                if s.enabled and s.address == address:
                    return c, s  # type: ignore[return-value]
        return None, None

    def on_advertising_pdu(self, pdu: ll.AdvInd | ll.AdvExtInd) -> None:
        sender, aset = self._sender_set(pdu.advertiser_address)
        if sender is None or aset is None or aset.parameters is None:
            return
        props = int(aset.parameters.advertising_event_properties)
        connectable = bool(props & 1)
        scannable = bool(props & 2)
        rssi = self.world.rssi(sender, self)
        if self.le_scan_enable:
            base = _EXT.EventType.LEGACY_ADVERTISING_PDU_USED | (props & 0x7)
            reports = [(base, bytes(pdu.data))]
            if scannable and self._active_scan():
                reports.append((base | _EXT.EventType.SCAN_RESPONSE, bytes(aset.scan_response_data)))
            for et, data in reports:
                r = _EXT.Report(
                    event_type=et, address_type=pdu.advertiser_address.address_type,
                    address=pdu.advertiser_address, primary_phy=hci.Phy.LE_1M, secondary_phy=0,
                    advertising_sid=0, tx_power=_EXT.TX_POWER_INFORMATION_NOT_AVAILABLE, rssi=rssi,
                    periodic_advertising_interval=0, direct_address_type=0, direct_address=hci.Address.ANY, data=data,
                )
                self.send_hci_packet(_EXT([r]))
        pending = self.pending_le_connection
        if connectable and pending is not None and pending.peer_address == pdu.advertiser_address:
            self.create_le_connection(pdu.advertiser_address)

    def _active_scan(self) -> bool:
        t = getattr(self, "le_scan_type", 0)
        types = getattr(self, "_bz_ext_scan_types", None)
        return bool(types[0]) if types else bool(t)

    def on_hci_le_set_extended_scan_parameters_command(self, command):  # remember active/passive
        self._bz_ext_scan_types = list(getattr(command, "scan_types", []) or [])
        return super().on_hci_le_set_extended_scan_parameters_command(command)

    def on_hci_le_create_connection_cancel_command(self, command):
        # A real controller ends a cancelled attempt with a Connection Complete event (status 0x02); bumble's
        # does not, and its Device.connect(timeout=...) then waits forever.
        pending = self.pending_le_connection
        result = super().on_hci_le_create_connection_cancel_command(command)
        if pending is not None:
            self.pending_le_connection = None
            peer = pending.peer_address
            self.world.loop.call_soon(lambda: self.send_hci_packet(hci.HCI_LE_Connection_Complete_Event(
                status=hci.HCI_ErrorCode.UNKNOWN_CONNECTION_IDENTIFIER_ERROR, connection_handle=0,
                role=hci.Role.CENTRAL, peer_address_type=peer.address_type, peer_address=peer,
                connection_interval=0, peripheral_latency=0, supervision_timeout=0, central_clock_accuracy=0)))
        return result

    def on_le_connect_ind(self, packet: ll.ConnectInd) -> None:
        for s in self.advertising_sets.values():
            if (s.enabled and s.address == packet.advertiser_address and s.parameters is not None
                    and not int(s.parameters.advertising_event_properties) & 1):
                return  # not connectable: a real controller ignores the CONNECT_IND
        super().on_le_connect_ind(packet)


class World:
    """The virtual air: a LocalLink, controllers with positions, an event loop thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="blesim-loop", daemon=True)
        self.thread.start()
        self.link: LocalLink = self.call(self._make_link())
        self.devices: list[Device] = []

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    async def _make_link(self) -> LocalLink:
        return LocalLink()

    # -- running things on the loop ------------------------------------------------------------
    def in_loop(self) -> bool:
        return threading.current_thread() is self.thread

    def call(self, coro: Coroutine[Any, Any, Any], timeout: float | None = 30.0) -> Any:
        """Run a coroutine on the world's loop from another thread and wait for its result."""
        if self.in_loop():
            coro.close()
            raise RuntimeError("blocking call from the world's own loop (an IRQ handler?)")
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def submit(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Future:
        """Start a coroutine on the world's loop; returns a concurrent future."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)  # type: ignore[return-value]

    def soon(self, fn: Callable[..., Any], *args: Any) -> None:
        self.loop.call_soon_threadsafe(fn, *args)

    async def aforeign(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """From coroutines on another loop (bleak's): await a coroutine run on the world's loop."""
        if asyncio.get_running_loop() is self.loop:
            return await coro
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    # -- devices --------------------------------------------------------------------------------
    def add_device(self, name: str, address: str, position: tuple[float, float] = (0.0, 0.0),
                   public: str | None = None) -> Device:
        """A powered-on bumble Device on the link (address: its random address, "C0:..." style)."""
        return self.call(self._add_device(name, address, position, public))

    async def _add_device(self, name, address, position, public) -> Device:
        ctrl = BzController(name, self, position)
        if public is not None:
            ctrl.public_address = hci.Address(public, hci.Address.PUBLIC_DEVICE_ADDRESS)
        dev = Device(name=name, address=hci.Address(address), host=Host(ctrl, AsyncPipeSink(ctrl)))
        dev.bz_controller = ctrl  # type: ignore[attr-defined]
        await dev.power_on()
        self.devices.append(dev)
        return dev

    def controller_of(self, dev: Device) -> BzController:
        return dev.bz_controller  # type: ignore[attr-defined,no-any-return]

    def move(self, dev: Device, position: tuple[float, float]) -> None:
        self.controller_of(dev).position = position

    def rssi(self, sender: BzController, receiver: BzController) -> int:
        (x1, y1), (x2, y2) = sender.position, receiver.position
        return rssi_at(math.hypot(x1 - x2, y1 - y2))

    def close(self) -> None:
        async def _off() -> None:
            for d in self.devices:
                try:
                    await d.power_off()
                except Exception:
                    pass

        try:
            self.call(_off(), timeout=5)
        except Exception:
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    def __enter__(self) -> World:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
