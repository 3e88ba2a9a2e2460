"""MicroPython's `bluetooth` module (the subset the token firmware uses) on a bumble device, so the firmware's
own radio, GATT server and GATT client code run against a real BLE stack under CPython.

Semantics kept from the ESP32 port (NimBLE, synchronous IRQs), because firmware bugs hide behind them; the upstream
code for each is cited in host_tools/virtual/vble.py's header (micropython/micropython extmod/modbluetooth.c,
extmod/nimble/modbluetooth_nimble.c):
- addresses are bytes MSB first, as `config("mac")` returns them; `config(addr_mode=3)` draws one
  non-resolvable private address and keeps it; while the controller advertises, scans or initiates a connection
  it refuses the change SILENTLY (set_random_address only assert()s; the ESP32 build compiles that out) and
  `config("mac")` keeps returning the old address; `refuse_addr` (a count) makes it refuse whatever its state;
- an exception escaping the IRQ handler is printed and the handler is removed (invoke_irq_handler): no more
  events until `irq()` is called again (`irq_errors` lists the tracebacks, `irq_removed` says so until then,
  `irq_removals` counts them and never goes back: a test waits on it, as a re-arm may clear irq_removed first);
- `config("rxbuf")` raises ValueError (compiled only without sync events); `gap_scan(None)` raises IRQ 6 before
  it returns; `gap_connect(None)` cancels a pending connect (IRQ 8 with conn_handle 65535);
- IRQ 5 (scan result) hands over memoryviews valid only during the call: the buffers are scribbled over
  afterwards; a passive scan reports no scan responses;
- `gap_advertise(..., connectable=False)` sends a scannable, non-connectable advert (ADV_SCAN_IND); a central
  connecting stops the advertising; adv_data/resp_data None keep the previous call's data (b"" clears);
- `gap_connect` stops a running scan first (IRQ 6), as MicroPython's NimBLE binding does, and `gap_scan` is
  refused (EBUSY) until the attempt ends; a failed or timed-out connect reports IRQ 8 with conn_handle 65535;
- `gatts_notify` queues at most `notify_slots` notifications (the stack's buffers); beyond that it raises
  OSError(ENOMEM) and the firmware must retry later;
- `gatts_set_buffer(h, n, append=True)` appends writes until `gatts_read` empties the buffer; a write beyond the
  buffer is cut, as the port cuts it;
- gattc_* calls return at once and answer through IRQs.
IRQs run on the world's loop thread, so they interleave with the firmware's main loop as the ESP32's
scheduled callbacks do. A handler that calls a blocking method here is told so (RuntimeError)."""

from __future__ import annotations

import asyncio
import collections
import errno
import os
import sys
import threading
import traceback
import uuid as _uuid
from typing import Any

from bumble import hci
from bumble.att import AttributeValue
from bumble.core import UUID as BUUID
from bumble.device import AdvertisingType, Peer
from bumble.gatt import Characteristic, Service

FLAG_BROADCAST = 0x0001
FLAG_READ = 0x0002
FLAG_WRITE_NO_RESPONSE = 0x0004
FLAG_WRITE = 0x0008
FLAG_NOTIFY = 0x0010
FLAG_INDICATE = 0x0020

_IRQ_CENTRAL_CONNECT = 1
_IRQ_CENTRAL_DISCONNECT = 2
_IRQ_GATTS_WRITE = 3
_IRQ_GATTS_READ_REQUEST = 4
_IRQ_SCAN_RESULT = 5
_IRQ_SCAN_DONE = 6
_IRQ_PERIPHERAL_CONNECT = 7
_IRQ_PERIPHERAL_DISCONNECT = 8
_IRQ_GATTC_SERVICE_RESULT = 9
_IRQ_GATTC_SERVICE_DONE = 10
_IRQ_GATTC_CHARACTERISTIC_RESULT = 11
_IRQ_GATTC_CHARACTERISTIC_DONE = 12
_IRQ_GATTC_READ_RESULT = 15
_IRQ_GATTC_READ_DONE = 16
_IRQ_GATTC_WRITE_DONE = 17
_IRQ_MTU_EXCHANGED = 21

_MAX_LEGACY = 31
_SCRIBBLE = 0xEE
_NO_CONN = 0xFFFF


class UUID:
    """bluetooth.UUID: a 16-bit int or a 128-bit string."""

    def __init__(self, v: Any):
        if isinstance(v, UUID):
            self._u = v._u
        elif isinstance(v, int):
            if not 0 <= v <= 0xFFFF:
                raise ValueError("invalid UUID")
            self._u = _uuid.UUID(f"0000{v:04x}-0000-1000-8000-00805f9b34fb")
        elif isinstance(v, str):
            self._u = _uuid.UUID(v)
        else:  # 16 bytes, little-endian as on air
            b = bytes(v)
            if len(b) == 2:
                self._u = _uuid.UUID(f"0000{b[1]:02x}{b[0]:02x}-0000-1000-8000-00805f9b34fb")
            elif len(b) == 16:
                self._u = _uuid.UUID(bytes=bytes(reversed(b)))
            else:
                raise ValueError("invalid UUID")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UUID) and other._u == self._u

    def __hash__(self) -> int:
        return hash(self._u)

    def __repr__(self) -> str:
        return f"UUID('{self._u}')"

    def bumble(self) -> BUUID:
        return BUUID(str(self._u))

    @classmethod
    def of(cls, u: BUUID) -> UUID:
        return cls(str(_uuid.UUID(bytes=bytes(reversed(u.to_bytes(force_128=True))))))


def mp_addr(a: hci.Address) -> bytes:
    """bumble Address -> MicroPython's 6 bytes, MSB first."""
    return bytes.fromhex(a.to_string(with_type_qualifier=False).replace(":", ""))


def bumble_addr(addr_type: int, a: bytes) -> hci.Address:
    s = ":".join(f"{x:02X}" for x in bytes(a))
    t = hci.Address.PUBLIC_DEVICE_ADDRESS if addr_type == 0 else hci.Address.RANDOM_DEVICE_ADDRESS
    return hci.Address(s, t)


class BLE:
    """One token's radio: `bluetooth.BLE()` bound to a bumble device in `world`."""

    def __init__(self, world, name: str = "token", position=(0.0, 0.0), mac: bytes = b"\x34\x85\x18\x00\x00\x01",
                 urandom=os.urandom, notify_slots: int = 8):
        self.world = world
        self._urandom = urandom
        self._mac = bytes(mac)
        seed = bytearray(urandom(6))
        seed[0] |= 0xC0  # the stack's static random address until the firmware picks one
        self.device = world.add_device(name, ":".join(f"{x:02X}" for x in seed), position,
                                       public=":".join(f"{x:02X}" for x in self._mac))
        self._active = False
        self._irq = None
        self._addr_mode = 0
        self._addr = self._mac
        self._mtu = 256  # NimBLE's preferred ATT MTU on the ESP32 port
        self._name = "MPY"
        self._adv_on = False
        self._adv_data = b""
        self._resp_data = b""
        self._scanning = False
        self._scan_active = False
        self._scan_timer = None
        self._conns: dict[int, Any] = {}  # conn_handle -> bumble Connection
        self._peers: dict[int, Peer] = {}
        self._connecting = False
        self._connect_task: Any = None
        self._values: dict[int, bytearray] = {}
        self._bufsize: dict[int, int] = {}
        self._append: dict[int, bool] = {}
        self._chars: dict[int, Characteristic] = {}
        self._services: list[Service] = []
        self._notify_slots = notify_slots
        self._txq: collections.deque = collections.deque()
        self._tx_busy = False
        self._lock = threading.Lock()
        self._abuf = bytearray(6)
        self._dbuf = bytearray(_MAX_LEGACY)
        self._rbuf = bytearray(512)
        self.irq_errors: list[str] = []
        self.irq_removed = False
        self.irq_removals = 0
        self.refuse_addr = 0  # knob: the controller refuses this many more address changes, busy or not
        self.addr_refused = 0
        self._rnd: bytes | None = None
        self.notified = 0
        self.enomem = 0
        dev = self.device
        dev.gatt_server.max_mtu = self._mtu
        dev.host.on("advertising_report", self._on_report)
        dev.on("connection", self._on_connection)

    # -- plumbing --------------------------------------------------------------------------------
    def _call(self, event: int, data: tuple) -> Any:
        h = self._irq
        if h is None:
            return None
        try:
            return h(event, data)
        except Exception:  # modbluetooth.c invoke_irq_handler: print it, then remove the handler
            tb = traceback.format_exc()
            self.irq_errors.append(tb)
            print("Unhandled exception in IRQ callback handler\n" + tb, file=sys.stderr)
            self._irq = None
            self.irq_removed = True
            self.irq_removals += 1
            return None

    @property
    def busy(self) -> bool:
        """Advertising, scanning or initiating: the controller refuses a new random address."""
        return self._adv_on or self._scanning or self._connecting

    def _run(self, coro) -> Any:
        return self.world.call(coro)

    def _need_active(self) -> None:
        if not self._active:
            raise OSError(errno.EPERM)

    # -- bluetooth.BLE ---------------------------------------------------------------------------
    def active(self, *args: Any) -> bool:
        if args:
            on = bool(args[0])
            if not on and self._active:
                if self._adv_on:
                    self.gap_advertise(None)
                if self._scanning:
                    self.gap_scan(None)
                for h in list(self._conns):
                    self.gap_disconnect(h)
                self._addr_mode = 0
                self._addr = self._mac
                self._rnd = None
            self._active = on
        return self._active

    def config(self, *args: Any, **kw: Any) -> Any:
        if args:
            if len(args) != 1 or kw:
                raise TypeError("config() takes one name or keywords")
            name = args[0]
            if name == "mac":
                self._need_active()
                if self._addr_mode == 0:
                    return (0, self._mac)
                if self._rnd is None:
                    raise OSError(errno.EINVAL)
                return (1, self._rnd)
            if name == "mtu":
                return self._mtu
            if name == "gap_name":
                return self._name.encode()
            raise ValueError("unknown config param")
        for k, v in kw.items():
            if k == "addr_mode":
                self._need_active()
                if v == 0:
                    self._addr_mode = 0
                    self._addr = self._mac
                    continue
                if v not in (1, 2, 3):
                    continue
                self._addr_mode = v
                a = bytearray(self._urandom(6))
                a[0] = (a[0] & 0x3F) | (0x00 if v == 3 else 0xC0)
                if self.refuse_addr > 0 or self.busy:  # Command Disallowed: the old address stays, silently
                    if self.refuse_addr > 0:
                        self.refuse_addr -= 1
                    self.addr_refused += 1
                    continue
                self._rnd = bytes(a)
                self._addr = self._rnd
                self._run(self._set_address())
            elif k == "mtu":
                if not 23 <= int(v) <= 517:
                    raise ValueError("invalid MTU")
                self._mtu = int(v)
                self.device.gatt_server.max_mtu = self._mtu
            elif k == "gap_name":
                self._name = v.decode() if isinstance(v, (bytes, bytearray)) else str(v)
            else:
                raise ValueError("unknown config param")
        return None

    async def _set_address(self) -> None:
        dev = self.device
        dev.random_address = bumble_addr(1, self._addr)
        if not self._conns:  # the link routes a live connection by the old address (bumble's limit)
            await dev.send_command(hci.HCI_LE_Set_Random_Address_Command(random_address=dev.random_address))

    def irq(self, handler: Any) -> None:
        self._irq = handler
        if handler is not None:
            self.irq_removed = False

    # -- advertising -----------------------------------------------------------------------------
    def gap_advertise(self, interval_us: int | None, adv_data: bytes | None = None, resp_data: bytes | None = None,
                      connectable: bool = True) -> None:
        self._need_active()
        if interval_us is None:
            if self._adv_on:
                self._adv_on = False
                self._run(self.device.stop_advertising())
            return
        for d in (adv_data, resp_data):
            if d is not None and len(d) > _MAX_LEGACY:
                raise OSError(errno.EINVAL)
        if self._addr_mode != 0 and self._rnd is None:
            raise OSError(errno.EINVAL)  # own address type random, no random address set
        # None keeps what the previous call set, as the port does (b"" clears it)
        if adv_data is not None:
            self._adv_data = bytes(adv_data)
        if resp_data is not None:
            self._resp_data = bytes(resp_data)
        interval_ms = max(20.0, (int(interval_us) // 625) * 0.625)
        # connectable=False: scannable, not connectable (ADV_SCAN_IND), as the port sends it
        kind = AdvertisingType.UNDIRECTED_CONNECTABLE_SCANNABLE if connectable else AdvertisingType.UNDIRECTED_SCANNABLE
        own = hci.OwnAddressType.PUBLIC if self._addr_mode == 0 else hci.OwnAddressType.RANDOM

        async def start() -> None:
            await self.device.start_advertising(
                advertising_type=kind, own_address_type=own, advertising_data=self._adv_data,
                scan_response_data=self._resp_data, advertising_interval_min=interval_ms,
                advertising_interval_max=interval_ms)

        self._run(start())
        self._adv_on = True

    @property
    def advertising(self) -> bool:
        return self._adv_on

    # -- scanning --------------------------------------------------------------------------------
    def gap_scan(self, duration_ms: int | None, interval_us: int = 1280000, window_us: int = 11250,
                 active: bool = False) -> None:
        self._need_active()
        if duration_ms is None:
            if self._scanning:
                self._run(self._stop_scan())
            return
        if self._connecting:
            raise OSError(errno.EBUSY)  # NimBLE: no discovery while a connection is being established
        if self._scanning:
            self._run(self._stop_scan(quiet=True))
        self._scan_active = bool(active)
        iv = min(10240.0, max(2.5, interval_us / 1000))
        win = min(iv, max(2.5, window_us / 1000))

        async def start() -> None:
            await self.device.start_scanning(active=bool(active), scan_interval=iv, scan_window=win,
                                             filter_duplicates=False)
            self._scanning = True
            if duration_ms:
                self._scan_timer = self.world.loop.call_later(
                    duration_ms / 1000, lambda: self.world.loop.create_task(self._stop_scan()))

        self._run(start())

    async def _stop_scan(self, quiet: bool = False) -> None:
        if self._scan_timer is not None:
            self._scan_timer.cancel()
            self._scan_timer = None
        if not self._scanning:
            return
        self._scanning = False
        await self.device.stop_scanning()
        if not quiet:
            self._call(_IRQ_SCAN_DONE, ())

    def _on_report(self, report: Any) -> None:
        if not self._scanning:
            return
        et = int(report.event_type)
        E = hci.HCI_LE_Extended_Advertising_Report_Event.EventType
        if et & E.SCAN_RESPONSE:
            if not self._scan_active:
                return
            adv_type = 4
        elif et & E.DIRECTED_ADVERTISING:
            adv_type = 1
        elif et & E.CONNECTABLE_ADVERTISING:
            adv_type = 0
        elif et & E.SCANNABLE_ADVERTISING:
            adv_type = 2
        else:
            adv_type = 3
        data = bytes(report.data)
        n = len(data)
        if n > _MAX_LEGACY:
            return
        self._abuf[:] = mp_addr(report.address)
        self._dbuf[:n] = data
        addr_type = 0 if report.address.address_type in (0, 2) else 1
        try:
            self._call(_IRQ_SCAN_RESULT, (addr_type, memoryview(self._abuf), adv_type, report.rssi,
                                          memoryview(self._dbuf)[:n]))
        finally:
            for i in range(6):
                self._abuf[i] = _SCRIBBLE
            for i in range(n):
                self._dbuf[i] = _SCRIBBLE

    # -- connections -----------------------------------------------------------------------------
    def _on_connection(self, conn: Any) -> None:
        h = conn.handle
        self._conns[h] = conn
        peripheral = conn.role == hci.Role.PERIPHERAL
        addr = conn.peer_address
        at = 0 if addr.address_type in (0, 2) else 1
        if peripheral:
            self._adv_on = False  # the controller stopped advertising for this connection

        def on_disc(reason: int) -> None:
            self._conns.pop(h, None)
            self._peers.pop(h, None)
            self._call(_IRQ_CENTRAL_DISCONNECT if peripheral else _IRQ_PERIPHERAL_DISCONNECT, (h, at, mp_addr(addr)))
            if not self._conns and self._addr_mode != 0:
                self.world.loop.create_task(self._set_address())

        def on_mtu() -> None:
            self._call(_IRQ_MTU_EXCHANGED, (h, conn.att_mtu))

        conn.on("disconnection", on_disc)
        conn.on("connection_att_mtu_update", on_mtu)
        if peripheral:
            self._call(_IRQ_CENTRAL_CONNECT, (h, at, mp_addr(addr)))

    def gap_connect(self, addr_type: int | None, addr: bytes = b"", scan_duration_ms: int = 2000, *args: Any) -> None:
        self._need_active()
        if addr_type is None:  # cancel the pending attempt (ble_gap_conn_cancel)
            if not self._connecting:
                raise OSError(errno.EALREADY)
            task = self._connect_task
            self._connecting = False
            if task is not None:
                self.world.loop.call_soon_threadsafe(task.cancel)
            self._call(_IRQ_PERIPHERAL_DISCONNECT, (_NO_CONN, 0xFF, bytes(6)))
            return
        if self._connecting:
            raise OSError(errno.EALREADY)
        if self._scanning:
            self._run(self._stop_scan())
        self._connecting = True
        a = bytes(addr)

        async def go() -> None:
            self._connect_task = asyncio.current_task()
            try:
                conn = await self.device.connect(bumble_addr(addr_type, a), timeout=max(scan_duration_ms, 100) / 1000)
            except asyncio.CancelledError:  # gap_connect(None): the canceller reported it
                return
            except Exception:
                if self._connecting:
                    self._connecting = False
                    self._call(_IRQ_PERIPHERAL_DISCONNECT, (_NO_CONN, addr_type, a))
                return
            finally:
                self._connect_task = None
            self._connecting = False
            self._peers[conn.handle] = Peer(conn)
            self._call(_IRQ_PERIPHERAL_CONNECT, (conn.handle, addr_type, a))

        self.world.submit(go())

    def gap_disconnect(self, conn_handle: int) -> bool:
        conn = self._conns.get(conn_handle)
        if conn is None:
            return False

        async def go() -> None:
            try:
                await conn.disconnect()
            except Exception:
                pass

        if self.world.in_loop():
            self.world.loop.create_task(go())
        else:
            self.world.submit(go())
        return True

    # -- GATT server -----------------------------------------------------------------------------
    def gatts_register_services(self, services: Any) -> tuple:
        self._need_active()
        return self._run(self._register(services))

    async def _register(self, services: Any) -> tuple:
        out = []
        for svc_uuid, chars in services:
            made = []
            for ch in chars:
                cu, flags = ch[0], ch[1]
                props = Characteristic.Properties(0)
                perms = Characteristic.Permissions(0)
                if flags & FLAG_READ:
                    props |= Characteristic.Properties.READ
                    perms |= Characteristic.Permissions.READABLE
                if flags & FLAG_WRITE:
                    props |= Characteristic.Properties.WRITE
                    perms |= Characteristic.Permissions.WRITEABLE
                if flags & FLAG_WRITE_NO_RESPONSE:
                    props |= Characteristic.Properties.WRITE_WITHOUT_RESPONSE
                    perms |= Characteristic.Permissions.WRITEABLE
                if flags & FLAG_NOTIFY:
                    props |= Characteristic.Properties.NOTIFY
                if flags & FLAG_INDICATE:
                    props |= Characteristic.Properties.INDICATE
                c = Characteristic(UUID(cu).bumble(), props, perms or Characteristic.Permissions.READABLE)
                c.value = AttributeValue(read=self._reader(c), write=self._writer(c))
                made.append(c)
            svc = Service(UUID(svc_uuid).bumble(), made)
            self.device.add_service(svc)
            self._services.append(svc)
            hs = []
            for c in made:
                self._chars[c.handle] = c
                self._values[c.handle] = bytearray()
                self._bufsize[c.handle] = 20
                self._append[c.handle] = False
                hs.append(c.handle)
            out.append(tuple(hs))
        return tuple(out)

    def _reader(self, c: Characteristic):
        def read(conn: Any) -> bytes:
            r = self._call(_IRQ_GATTS_READ_REQUEST, (conn.handle, c.handle))
            if r:
                from bumble.att import ATT_Error

                raise ATT_Error(error_code=int(r), att_handle=c.handle)
            return bytes(self._values.get(c.handle, b""))

        return read

    def _writer(self, c: Characteristic):
        def write(conn: Any, value: bytes) -> None:
            h = c.handle
            with self._lock:
                buf = self._values[h]
                if self._append[h]:
                    buf.extend(bytes(value)[: max(0, self._bufsize[h] - len(buf))])
                else:
                    self._values[h] = bytearray(bytes(value)[: self._bufsize[h]])
            self._call(_IRQ_GATTS_WRITE, (conn.handle, h))

        return write

    def gatts_read(self, value_handle: int) -> bytes:
        with self._lock:
            buf = self._values[value_handle]
            data = bytes(buf)
            if self._append[value_handle]:
                buf[:] = b""
        return data

    def gatts_write(self, value_handle: int, data: bytes, send_update: bool = False) -> None:
        with self._lock:
            self._values[value_handle] = bytearray(data)
        if send_update:
            for h in list(self._conns):
                self.gatts_notify(h, value_handle)

    def gatts_set_buffer(self, value_handle: int, length: int, append: bool = False) -> None:
        self._bufsize[value_handle] = int(length)
        self._append[value_handle] = bool(append)

    def gatts_notify(self, conn_handle: int, value_handle: int, data: bytes | None = None) -> None:
        conn = self._conns.get(conn_handle)
        if conn is None:
            raise OSError(errno.ENOTCONN)
        payload = bytes(self._values[value_handle] if data is None else data)
        mtu = conn.att_mtu if hasattr(conn, "att_mtu") else 23
        payload = payload[: mtu - 3]
        with self._lock:
            if len(self._txq) + (1 if self._tx_busy else 0) >= self._notify_slots:
                self.enomem += 1
                raise OSError(errno.ENOMEM)
            self._txq.append((conn, self._chars[value_handle], payload))
        self.world.soon(self._kick)

    def _kick(self) -> None:
        if not self._tx_busy and self._txq:
            self._tx_busy = True
            self.world.loop.create_task(self._send())

    async def _send(self) -> None:
        try:
            while True:
                with self._lock:
                    if not self._txq:
                        self._tx_busy = False
                        return
                    conn, char, payload = self._txq[0]
                try:
                    if conn.handle in self._conns:
                        await self.device.notify_subscriber(conn, char, payload, force=True)
                        self.notified += 1
                except Exception:
                    pass
                with self._lock:
                    self._txq.popleft()
        except BaseException:
            self._tx_busy = False
            raise

    # -- GATT client -----------------------------------------------------------------------------
    def _peer(self, conn_handle: int) -> Peer:
        p = self._peers.get(conn_handle)
        if p is None:
            raise OSError(errno.ENOTCONN)
        return p

    def gattc_exchange_mtu(self, conn_handle: int) -> None:
        p = self._peer(conn_handle)

        async def go() -> None:
            await p.request_mtu(self._mtu)

        self.world.submit(go())

    def gattc_discover_services(self, conn_handle: int, uuid: UUID | None = None) -> None:
        p = self._peer(conn_handle)

        async def go() -> None:
            status = 0
            try:
                svcs = await p.discover_services([uuid.bumble()] if uuid is not None else [])
                for s in svcs:
                    self._call(_IRQ_GATTC_SERVICE_RESULT, (conn_handle, s.handle, s.end_group_handle, UUID.of(s.uuid)))
            except Exception:
                status = 1
            self._call(_IRQ_GATTC_SERVICE_DONE, (conn_handle, status))

        self.world.submit(go())

    def gattc_discover_characteristics(self, conn_handle: int, start_handle: int, end_handle: int,
                                       uuid: UUID | None = None) -> None:
        p = self._peer(conn_handle)

        async def go() -> None:
            status = 0
            try:
                svcs = p.services or await p.discover_services()
                for s in svcs:
                    if s.end_group_handle < start_handle or s.handle > end_handle:
                        continue
                    chars = await p.discover_characteristics([uuid.bumble()] if uuid is not None else [], s)
                    for c in chars:
                        if start_handle <= c.handle <= end_handle:
                            self._call(_IRQ_GATTC_CHARACTERISTIC_RESULT,
                                       (conn_handle, c.end_group_handle, c.handle, int(c.properties), UUID.of(c.uuid)))
            except Exception:
                status = 1
            self._call(_IRQ_GATTC_CHARACTERISTIC_DONE, (conn_handle, status))

        self.world.submit(go())

    def gattc_read(self, conn_handle: int, value_handle: int) -> None:
        p = self._peer(conn_handle)

        async def go() -> None:
            status = 0
            try:
                v = bytes(await p.read_value(value_handle))
                n = min(len(v), len(self._rbuf))
                self._rbuf[:n] = v[:n]
                try:
                    self._call(_IRQ_GATTC_READ_RESULT, (conn_handle, value_handle, memoryview(self._rbuf)[:n]))
                finally:
                    for i in range(n):
                        self._rbuf[i] = _SCRIBBLE
            except Exception:
                status = 1
            self._call(_IRQ_GATTC_READ_DONE, (conn_handle, value_handle, status))

        self.world.submit(go())

    def gattc_write(self, conn_handle: int, value_handle: int, data: bytes, mode: int = 0) -> None:
        p = self._peer(conn_handle)

        async def go() -> None:
            status = 0
            try:
                await p.write_value(value_handle, bytes(data), with_response=bool(mode))
            except Exception:
                status = 1
            if mode:
                self._call(_IRQ_GATTC_WRITE_DONE, (conn_handle, value_handle, status))

        self.world.submit(go())


def install() -> None:
    """Make `import bluetooth` (done lazily by the firmware) find this module, as on a token."""
    import sys

    sys.modules["bluetooth"] = sys.modules[__name__]
