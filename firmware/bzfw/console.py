# The USB serial console as a byte stream for the sync protocol: raw bytes both ways, never text.
#
# read() returns what has arrived without blocking; wait(ms) sleeps until input arrives or ms pass.
# Streams with a blocking read(n) (the ESP32 and unix ports' sys.stdin.buffer) are read one byte at
# a time while poll says more is ready, so a read never waits for a full buffer. `extra` lists
# (stream, callback) pairs polled along with the input (the virtual token's air), each callback
# called when its stream is readable.
import select

from bzfw.compat import const

_MAX_READ = const(512)


class Console:
    def __init__(self, instream, outstream, extra=(), ms_scale=1):
        self._in = instream
        self._out = outstream
        self._poll = select.poll()
        self._poll.register(instream, select.POLLIN)
        self._cb = []
        for s, cb in extra:
            self._poll.register(s, select.POLLIN)
            self._cb.append((s, cb))
        self._ms_scale = ms_scale  # real ms per ms asked for (a fast virtual clock waits less)
        self._one = bytearray(1)
        self._pending = False
        self.rx_bytes = 0
        self.tx_bytes = 0
        self.closed = False

    def _service(self, events):
        got = False
        for ev in events:
            s = ev[0]
            if s is self._in or s == self._in:
                if ev[1] & (select.POLLHUP | select.POLLERR) and not ev[1] & select.POLLIN:
                    self._close()
                else:
                    got = True
                continue
            for es, cb in self._cb:
                if s is es or s == es:
                    cb()
        return got

    def _close(self):
        if not self.closed:
            self.closed = True
            self._pending = False
            self._poll.unregister(self._in)

    def wait(self, ms):
        """Sleep until input (True) or until ms have passed (False)."""
        if self._pending:
            return True
        t = int(ms * self._ms_scale)
        if t < 1 and ms > 0:
            t = 1
        if self._service(self._poll.poll(t)):
            self._pending = True
        return self._pending

    def read(self):
        """The bytes that have arrived (b"" if none); never blocks."""
        if self.closed:
            return b""
        out = bytearray()
        one = self._one
        while len(out) < _MAX_READ:
            if not self._pending and not self._service(self._poll.poll(0)):
                break
            self._pending = False
            n = self._in.readinto(one)
            if not n:
                self._close()  # end of stream: the host side went away
                break
            out.append(one[0])
        self.rx_bytes += len(out)
        return bytes(out)

    def write(self, data):
        mv = memoryview(data)
        n = 0
        while n < len(mv):
            k = self._out.write(mv[n:])
            n += k if k else 0
            if not k:
                break
        try:
            self._out.flush()
        except AttributeError:
            pass
        self.tx_bytes += n
        return n
