"""`bztoken deploy` through the real mpremote against the MicroPython unix port's REPL on a pseudo-terminal:
first everything is copied, then only what changed; stale package files go; config and secret stay."""

import json
import os
import pty
import select
import signal
import threading
import tty

import pytest
from conftest import MICROPYTHON  # noqa: I001

from host_tools.cli import main
from host_tools.flash import deploy, plan


class ReplOnPty:
    """`micropython -i` behind a raw pty whose slave path is handed out (what socat would do)."""

    def __init__(self, cwd):
        self.pid, self.child = pty.fork()
        if self.pid == 0:  # the interpreter
            os.chdir(cwd)
            os.execv(MICROPYTHON, [MICROPYTHON, "-X", "heapsize=4m", "-i"])
        tty.setraw(self.child)
        self.master, self.slave = os.openpty()
        tty.setraw(self.master)
        tty.setraw(self.slave)
        self.port = os.ttyname(self.slave)
        self._stop = False
        self._t = threading.Thread(target=self._pump, daemon=True)
        self._t.start()

    def _pump(self):
        while not self._stop:
            r, _, _ = select.select([self.master, self.child], [], [], 0.05)
            try:
                for fd in r:
                    data = os.read(fd, 4096)
                    os.write(self.child if fd == self.master else self.master, data)
            except OSError:
                return

    def close(self):
        self._stop = True
        self._t.join(2)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        for fd in (self.master, self.slave, self.child):
            try:
                os.close(fd)
            except OSError:
                pass


@pytest.fixture
def repl(tmp_path):
    r = ReplOnPty(tmp_path)
    yield r
    r.close()


def run_deploy(capsys, repl, root, *extra):
    rc = main(["deploy", "--port", repl.port, "--resume", "--no-restart", "--root", str(root), "--json", *extra])
    out, err = capsys.readouterr()
    assert rc == 0, err
    return json.loads(out)


def test_deploy_copies_then_only_changes(tmp_path, capsys, repl, monkeypatch):
    root = tmp_path / "dev"
    (root / "lib" / "bzfw").mkdir(parents=True)
    (root / "config.json").write_text('{"token_id": "BZ-KEEP-0001"}')
    (root / "secret").write_bytes(b"s" * 32)
    (root / "lib" / "bzfw" / "gone.mpy").write_bytes(b"old module")
    first = run_deploy(capsys, repl, root, "--board", "esp32c3-supermini")
    files = deploy.local_files(plan.FIRMWARE_DIR, "esp32c3")
    assert set(first["copied"]) == set(files) | {"board.json"} and first["removed"] == ["lib/bzfw/gone.mpy"]
    for rel, data in files.items():
        assert (root / rel).read_bytes() == data
    assert not (root / "lib" / "bzfw" / "gone.mpy").exists()
    assert (root / "config.json").read_text() == '{"token_id": "BZ-KEEP-0001"}'
    assert (root / "secret").read_bytes() == b"s" * 32
    # nothing changed: nothing copied
    again = run_deploy(capsys, repl, root, "--board", "esp32c3-supermini")
    assert again["copied"] == [] and again["removed"] == [] and again["unchanged"] == len(files) + 1
    # one module differs on the device (an older build): only it is copied
    (root / "lib" / "bzfw" / "ids.mpy").write_bytes(b"stale")
    third = run_deploy(capsys, repl, root, "--board", "esp32c3-supermini")
    assert third["copied"] == ["lib/bzfw/ids.mpy"]
    assert (root / "lib" / "bzfw" / "ids.mpy").read_bytes() == files["lib/bzfw/ids.mpy"]
    dry = run_deploy(capsys, repl, root, "--dry-run")  # without --board: board.json is left alone
    assert dry["copied"] == [] and dry["dry_run"]


def test_deploy_without_a_repl_is_a_link_error(tmp_path, capsys):
    rc = main(["deploy", "--port", str(tmp_path / "none"), "--resume", "--no-restart"])
    err = capsys.readouterr().err
    assert rc in (1, 4) and err.startswith("bztoken: mpremote") and "Traceback" not in err
