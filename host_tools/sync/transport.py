"""Links to a token. A transport has two primitives, `write(data)` and `read(timeout) -> bytes`; the client
and everything above are written on those, so a BLE GATT transport (write to the command characteristic,
notifications queued for `read`) only needs these two methods and `close()`.

Serial ports are pyserial URLs opened with `serial.serial_for_url`: a device path, `socket://HOST:PORT`,
`loop://` (a looped-back line, codec tests only)."""

import time

from host_tools.errors import LinkError


class Transport:
    """Base class: a byte pipe to a token."""

    name = "?"

    def write(self, data: bytes) -> None:
        raise NotImplementedError

    def read(self, timeout: float) -> bytes:
        """Whatever arrived within `timeout` seconds (b"" if nothing); LinkError when the link is gone."""
        raise NotImplementedError

    # A transport that can be opened again after its link went away (a native-USB serial port that vanishes
    # while the token deep-sleeps and comes back at its wake); BLE and in-memory links cannot.
    reopenable = False
    is_open = True

    def reopen(self) -> None:
        """Open the link again; LinkError while it is not there (yet)."""
        raise LinkError(f"link {self.name} cannot be reopened")

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class SerialTransport(Transport):
    """A pyserial URL. `lazy`: do not open yet (the port may be absent while an eco token sleeps); the first
    `reopen()` opens it, and reads and writes before that raise LinkError."""

    reopenable = True

    def __init__(self, url: str, baudrate: int = 115200, lazy: bool = False):
        import serial  # pyserial

        self.name = url
        self._baud = baudrate
        self._ser = None
        self._exc: tuple = (serial.SerialException, OSError)
        try:
            import termios  # tcdrain on a vanished pty raises termios.error, not OSError

            self._exc += (termios.error,)
        except ImportError:
            pass
        if not lazy:
            self.reopen()

    def reopen(self) -> None:
        import serial

        self.close()
        try:
            self._ser = serial.serial_for_url(self.name, baudrate=self._baud, timeout=0, write_timeout=5)
        except (serial.SerialException, OSError, ValueError) as e:
            raise LinkError(f"cannot open port {self.name}: {e}", hint="check the cable and the port name") from None

    @property
    def is_open(self) -> bool:  # type: ignore[override]
        return self._ser is not None

    def _port(self):
        if self._ser is None:
            raise LinkError(f"port {self.name} is not open", hint="check the cable and the port name")
        return self._ser

    def write(self, data: bytes) -> None:
        ser = self._port()
        try:
            ser.write(data)
            ser.flush()
        except self._exc as e:
            raise LinkError(f"port {self.name} lost while writing: {e}", hint="rerun to resume") from None

    def read(self, timeout: float) -> bytes:
        ser = self._port()
        try:
            ser.timeout = max(0.0, timeout)
            first = ser.read(1)
            if not first:
                return b""
            n = ser.in_waiting
            return first + (ser.read(n) if n else b"")
        except self._exc as e:
            raise LinkError(f"port {self.name} lost: {e}", hint="rerun to resume") from None

    def close(self) -> None:
        ser, self._ser = self._ser, None
        if ser is None:
            return
        try:
            ser.close()
        except self._exc:
            pass


class FeedTransport(Transport):
    """In memory: requests go straight into `feed(data) -> reply bytes` (a SyncServer on CPython)."""

    name = "memory"

    def __init__(self, feed):
        self._feed = feed
        self._rx = b""

    def write(self, data: bytes) -> None:
        self._rx += self._feed(data)

    def read(self, timeout: float) -> bytes:
        data, self._rx = self._rx, b""
        if not data and timeout > 0:
            time.sleep(min(timeout, 0.001))
        return data


def open_transport(url: str, baudrate: int = 115200, lazy: bool = False) -> Transport:
    return SerialTransport(url, baudrate, lazy)


class FaultyTransport(Transport):
    """Wraps a transport and damages the line (tests, benchmarks): flips one byte in every `tx_every`-th
    write and every `rx_every`-th non-empty read."""

    def __init__(self, inner: Transport, tx_every: int = 0, rx_every: int = 0):
        self.inner = inner
        self.name = inner.name
        self.tx_every, self.rx_every = tx_every, rx_every
        self.writes = self.reads = self.damaged = 0

    @staticmethod
    def _flip(data: bytes) -> bytes:
        b = bytearray(data)
        b[len(b) // 2] ^= 0x24
        return bytes(b)

    def write(self, data: bytes) -> None:
        self.writes += 1
        if self.tx_every and self.writes % self.tx_every == 0:
            data = self._flip(data)
            self.damaged += 1
        self.inner.write(data)

    def read(self, timeout: float) -> bytes:
        data = self.inner.read(timeout)
        if data:
            self.reads += 1
            if self.rx_every and self.reads % self.rx_every == 0:
                data = self._flip(data)
                self.damaged += 1
        return data

    @property
    def reopenable(self) -> bool:  # type: ignore[override]
        return self.inner.reopenable

    @property
    def is_open(self) -> bool:  # type: ignore[override]
        return self.inner.is_open

    def reopen(self) -> None:
        self.inner.reopen()

    def close(self) -> None:
        self.inner.close()
