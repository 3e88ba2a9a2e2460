"""The protocol shares the line with a MicroPython REPL: sync frames (which never hold a raw 0x01-0x05, CR or LF)
and printable garbage reaching a real REPL (the unix port on a pty) neither reset it, nor switch it to raw or
paste mode, nor wedge it: Ctrl-C and a command still work after them. A station that talks to a token whose
REPL owns the line (maintenance mode) gets a clear link error, not garbage parsed as answers."""

import os
import select
import subprocess
import time

import pytest
from conftest import MICROPYTHON

from bzfw import wire
from host_tools.errors import LinkError
from host_tools.sync.client import SyncClient
from host_tools.sync.transport import Transport


class FdTransport(Transport):
    name = "pty master"

    def __init__(self, fd):
        self.fd = fd

    def write(self, data):
        os.write(self.fd, data)

    def read(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        return os.read(self.fd, 4096) if r else b""


@pytest.fixture
def repl():
    master, slave = os.openpty()
    p = subprocess.Popen([MICROPYTHON], stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    t = FdTransport(master)
    assert b">>> " in _until(t, b">>> ")
    yield t, p
    p.kill()
    p.wait()
    os.close(master)
    os.close(slave)


def _until(t, marker, seconds=5.0):
    out = b""
    end = time.monotonic() + seconds
    while marker not in out and time.monotonic() < end:
        out += t.read(0.05)
    return out


def _repl_works(t, p):
    t.write(b"\x03")  # Ctrl-C: cancel whatever the REPL holds
    _until(t, b">>> ", 2.0)
    t.write(b"print(6*7)\r")
    assert b"42" in _until(t, b"42")
    assert p.poll() is None


def test_frames_and_garbage_leave_the_repl_working(repl):
    t, p = repl
    frames = b"".join(
        wire.encode(flags, seq, cmd, 0, payload, tag)
        for seq, (flags, cmd, payload, tag) in enumerate([
            (0, wire.HELLO, b"", None),
            (0, wire.READ, wire.pack_read(20000, 0, 2040), bytes(range(16))),
            (wire.FLAG_RESPONSE, wire.READ, bytes(range(256)) * 8, bytes(range(0xC0, 0xD0))),
        ])
    )
    t.write(frames + b"import nothing; garbage ~!@#$%^&*() \xc0\xdb\xff\xfe" + frames)
    _repl_works(t, p)


def test_station_gets_a_link_error_from_a_repl_and_leaves_it_working(repl):
    t, p = repl
    c = SyncClient(t, timeout=0.3, retries=1)
    with pytest.raises(LinkError, match="no answer from the token to hello"):
        c.hello()
    assert c.line_errors > 0 or c.bytes_in > 0  # it did hear the REPL's echo, and took none of it as an answer
    _repl_works(t, p)
