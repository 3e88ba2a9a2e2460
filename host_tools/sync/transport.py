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

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class SerialTransport(Transport):
    def __init__(self, url: str, baudrate: int = 115200):
        import serial  # pyserial

        self.name = url
        try:
            self._ser = serial.serial_for_url(url, baudrate=baudrate, timeout=0, write_timeout=5)
        except (serial.SerialException, OSError, ValueError) as e:
            raise LinkError(f"cannot open port {url}: {e}", hint="check the cable and the port name") from None
        self._exc: tuple = (serial.SerialException, OSError)
        try:
            import termios  # tcdrain on a vanished pty raises termios.error, not OSError

            self._exc += (termios.error,)
        except ImportError:
            pass

    def write(self, data: bytes) -> None:
        try:
            self._ser.write(data)
            self._ser.flush()
        except self._exc as e:
            raise LinkError(f"port {self.name} lost while writing: {e}", hint="rerun to resume") from None

    def read(self, timeout: float) -> bytes:
        try:
            self._ser.timeout = max(0.0, timeout)
            first = self._ser.read(1)
            if not first:
                return b""
            n = self._ser.in_waiting
            return first + (self._ser.read(n) if n else b"")
        except self._exc as e:
            raise LinkError(f"port {self.name} lost: {e}", hint="rerun to resume") from None

    def close(self) -> None:
        try:
            self._ser.close()
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


def open_transport(url: str, baudrate: int = 115200) -> Transport:
    return SerialTransport(url, baudrate)


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

    def close(self) -> None:
        self.inner.close()
