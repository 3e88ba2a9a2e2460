"""The sync protocol over BLE GATT: a Transport (two primitives) on bleak. Requests are written to the token's
RX characteristic in pieces of the ATT MTU - 3 (write with response: the token's buffer never overflows);
responses arrive as notifications on TX and queue for `read`. The frames are the serial link's (bzfw.wire),
so SyncClient, pull, authentication and resume run unchanged."""

import queue

from bzfw import gattsync
from host_tools import ble
from host_tools.ble.portal import Portal
from host_tools.errors import LinkError
from host_tools.sync.transport import Transport

CONNECT_TIMEOUT_S = 10.0
WRITE_TIMEOUT_S = 5.0


class BleTransport(Transport):
    def __init__(self, address: str, timeout: float | None = None, backend=None):
        if timeout is None:
            timeout = CONNECT_TIMEOUT_S
        self.name = f"ble:{address}"
        self.address = address
        self._rx: queue.Queue = queue.Queue()
        self._gone = False
        self._portal = Portal()
        self.mtu = 23
        self.notifications = 0
        try:
            self._client = self._portal.call(self._connect(backend or ble.client_backend(), timeout), timeout + 5)
        except Exception as e:
            self._portal.close()
            raise LinkError(f"cannot connect to token {address} over BLE: {error_text(e)}",
                            hint="hold the token's button until its LED stays on (sync mode), "
                                 "then bztoken scan; is it in range?") from None

    async def _connect(self, backend, timeout: float):
        from bleak import BleakClient  # heavy import, only when BLE is used

        kw = {"backend": backend} if backend is not None else {}
        client = BleakClient(self.address, disconnected_callback=self._on_disconnect, timeout=timeout, **kw)
        await client.connect()
        try:
            svc = client.services.get_service(gattsync.SERVICE_UUID)
            if svc is None:
                raise LinkError(f"{self.address} has no token sync service (not a token, or not in sync mode)")
            self._tx_char = svc.get_characteristic(gattsync.RX_UUID)  # we write to the token's RX
            rx_char = svc.get_characteristic(gattsync.TX_UUID)
            if self._tx_char is None or rx_char is None:
                raise LinkError(f"{self.address}: the sync service lacks its characteristics")
            await client.start_notify(rx_char, self._on_notify)
        except BaseException:
            await client.disconnect()
            raise
        self.mtu = client.mtu_size
        return client

    def _on_notify(self, _char, data: bytearray) -> None:
        self.notifications += 1
        self._rx.put(bytes(data))

    def _on_disconnect(self, _client) -> None:
        self._gone = True
        self._rx.put(b"")  # wake a reader

    def write(self, data: bytes) -> None:
        if self._gone:
            raise LinkError(f"token {self.address} disconnected", hint="rerun to resume")
        n = max(20, self.mtu - 3)

        async def go() -> None:
            for i in range(0, len(data), n):
                await self._client.write_gatt_char(self._tx_char, data[i:i + n], response=True)

        try:
            self._portal.call(go(), WRITE_TIMEOUT_S)
        except Exception as e:
            self._gone = self._gone or not self._client.is_connected
            raise LinkError(f"BLE write to token {self.address} failed: {error_text(e)}",
                            hint="rerun to resume") from None

    def read(self, timeout: float) -> bytes:
        out = b""
        try:
            out = self._rx.get(timeout=max(0.0, timeout)) if timeout > 0 else self._rx.get_nowait()
        except queue.Empty:
            pass
        while True:
            try:
                out += self._rx.get_nowait()
            except queue.Empty:
                break
        if not out and self._gone:
            raise LinkError(f"token {self.address} disconnected", hint="rerun to resume")
        return out

    def close(self) -> None:
        try:
            if not self._gone:
                self._portal.call(self._client.disconnect(), 5)
        except Exception:
            pass
        finally:
            self._portal.close()


def error_text(e: BaseException) -> str:
    if isinstance(e, (FileNotFoundError, ConnectionRefusedError)):  # bleak on Linux: no D-Bus / bluetoothd
        return "no Bluetooth service on this computer (on Linux: is bluetoothd running?)"
    s = str(e).strip()
    return s or type(e).__name__
