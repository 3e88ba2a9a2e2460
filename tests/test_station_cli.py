"""`bztoken station` from a shell: the first run asks a new passphrase twice at a terminal and says what it
protects; without a terminal it exits 2 naming every way to give one; --port still works as --http-port;
`bztoken registry passphrase` changes it, re-sealing every secret, all or nothing."""

import os
import pty
import select
import signal
import subprocess
import sys
import time

import pytest
from station_helpers import PW, SECRET, TOKEN, registry

from host_tools.errors import AuthError, UsageError
from provisioning import passphrase
from provisioning.registry import Registry


def _env(**kw):
    env = dict(os.environ, BZTOKEN_PASSPHRASE="", BZTOKEN_NEW_PASSPHRASE="")
    env.update(kw)
    return env


def test_without_a_terminal_a_new_station_exits_2_with_every_way(tmp_path):
    r = subprocess.run([sys.executable, "-m", "host_tools", "station", "--db", str(tmp_path / "s.db"),
                        "--http-port", "0", "--no-usb"], env=_env(), capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 2, r.stderr
    first, hint = r.stderr.splitlines()[:2]
    assert first == "bztoken: this new station needs a passphrase"
    for way in ("BZTOKEN_PASSPHRASE=", "--passphrase-file FILE", "make station PASSPHRASE_FILE=FILE", "terminal"):
        assert way in hint, way
    assert not (tmp_path / "s.db").exists()  # nothing created


def _read_until(fd, want: bytes, timeout=60.0) -> bytes:
    got = b""
    end = time.monotonic() + timeout
    while want not in got:
        if time.monotonic() > end:
            raise AssertionError(f"never saw {want!r}; got {got!r}")
        r, _, _ = select.select([fd], [], [], 0.5)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            got += chunk
    return got


def test_first_run_at_a_terminal_asks_twice_then_serves(tmp_path):
    db = tmp_path / "s.db"
    pid, fd = pty.fork()
    if pid == 0:  # the child: the station on a terminal, as a health worker starts it
        os.environ.update(_env())
        os.execv(sys.executable, [sys.executable, "-m", "host_tools", "station", "--db", str(db), "--port", "0",
                                  "--no-usb"])
    try:
        out = _read_until(fd, b"New station passphrase: ")
        assert b"--http-port" in out  # the note about the old option name
        assert b"protects the secret of every token" in out
        os.write(fd, b"short\n")
        _read_until(fd, b"New station passphrase: ")  # too short: asked again
        os.write(fd, b"a good long passphrase\n")
        _read_until(fd, b"The same passphrase again: ")
        os.write(fd, b"a good long passphrase\n")
        out = _read_until(fd, b"station on http://127.0.0.1:")
        assert b"a good long passphrase" not in out  # never echoed
    finally:
        os.kill(pid, signal.SIGTERM)
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0
    with Registry(db, "a good long passphrase"):
        pass
    with pytest.raises(AuthError):
        Registry(db, "another passphrase")


def test_passphrase_change_reseals_every_secret(tmp_path):
    db = tmp_path / "s.db"
    registry(db)
    registry(db, "BZ-TEST-0002", bytes(32), name="B", ref="W-2")
    (tmp_path / "old").write_text(PW)
    (tmp_path / "new").write_text("the new station passphrase\n")
    r = subprocess.run([sys.executable, "-m", "host_tools", "registry", "passphrase", "--db", str(db),
                        "--passphrase-file", str(tmp_path / "old"), "--new-passphrase-file", str(tmp_path / "new")],
                       env=_env(), capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    assert "2 token secret(s) re-sealed" in r.stderr
    with pytest.raises(AuthError):
        Registry(db, PW)
    with Registry(db, "the new station passphrase") as reg:
        assert reg.secret_for(TOKEN) == SECRET and reg.secret_for("BZ-TEST-0002") == bytes(32)
    # a wrong current passphrase: exit 3, nothing changed
    r = subprocess.run([sys.executable, "-m", "host_tools", "registry", "passphrase", "--db", str(db),
                        "--passphrase-file", str(tmp_path / "old"), "--new-passphrase-file", str(tmp_path / "new")],
                       env=_env(), capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert r.returncode == 3, r.stderr


def test_an_interrupted_change_keeps_the_old_passphrase_and_every_secret(tmp_path):
    db = tmp_path / "s.db"
    for i in range(5):
        registry(db, f"BZ-TEST-000{i}", bytes([i]) * 32, name=f"W{i}", ref=f"W-{i}")

    def cut(i):
        if i == 2:
            raise KeyboardInterrupt  # Ctrl-C (or a power cut) half-way through the re-sealing

    with pytest.raises(KeyboardInterrupt):
        passphrase.change(db, PW, "the new station passphrase", kdf_n=2**10, _after_each=cut)
    with Registry(db, PW) as reg:
        assert [reg.secret_for(f"BZ-TEST-000{i}") for i in range(5)] == [bytes([i]) * 32 for i in range(5)]
    with pytest.raises(AuthError):
        Registry(db, "the new station passphrase")
    with pytest.raises(UsageError):
        passphrase.change(db, PW, "short", kdf_n=2**10)
    assert passphrase.change(db, PW, "the new station passphrase", kdf_n=2**10) == 5
    with Registry(db, "the new station passphrase") as reg:
        assert [reg.secret_for(f"BZ-TEST-000{i}") for i in range(5)] == [bytes([i]) * 32 for i in range(5)]


def test_station_passphrase_sources(tmp_path, monkeypatch):
    from host_tools.commands.station import station_passphrase

    monkeypatch.delenv("BZTOKEN_PASSPHRASE", raising=False)
    db = tmp_path / "s.db"
    typed = iter(["one passphrase", "another one!", "one passphrase", "one passphrase"])
    assert station_passphrase(db, None, tty=True, prompt=lambda _p: next(typed)) == "one passphrase"
    registry(db)
    with pytest.raises(UsageError, match="the station needs its passphrase"):
        station_passphrase(db, None, tty=False)
    assert station_passphrase(db, None, tty=True, prompt=lambda p: "typed") == "typed"
    monkeypatch.setenv("BZTOKEN_PASSPHRASE", "from env")
    assert station_passphrase(db, None, tty=False) == "from env"
