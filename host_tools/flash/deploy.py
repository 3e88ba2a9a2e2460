"""The development loop: copy the application files that changed to a token over mpremote, then restart it.

The token is asked for the SHA-256 of its application files (a few lines run in its REPL); only files whose
hash differs from the local build are copied, files of the package that no longer exist locally are removed,
and /config.json and /secret are never touched. The restart is a hard reset (machine.reset), which runs
main.py. mpremote is run as its own process (its command line is its stable interface); its output is
captured and turned into one-line errors.

The REPL must own the console: the token application reads every console byte for the sync protocol, so
start the token with its button held (main.py then leaves the REPL), as firmware/README.md explains.
"""

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from host_tools.errors import BzError, LinkError
from host_tools.flash import fsimage

MARK = "BZDEPLOY:"
PACKAGE_DIR = "lib/bzfw"

HASH_SCRIPT = """
import os, hashlib, binascii, json
R = %(root)r
def _h(p):
    s = hashlib.sha256()
    f = open(p, 'rb')
    while True:
        b = f.read(1024)
        if not b:
            break
        s.update(b)
    f.close()
    return binascii.hexlify(s.digest()).decode()
_o = {}
for _p in %(singles)r:
    try:
        _o[_p] = _h(R + _p)
    except OSError:
        pass
try:
    for _n in os.listdir(R + %(pkg)r):
        _o[%(pkg)r + '/' + _n] = _h(R + %(pkg)r + '/' + _n)
except OSError:
    pass
print(%(mark)r + json.dumps(_o))
"""


@dataclass
class DeployResult:
    copied: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    restarted: bool = False


def _mpremote(port: str, args: list[str], resume: bool, timeout: float) -> str:
    cmd = [sys.executable, "-m", "mpremote", "connect", port] + (["resume"] if resume else []) + args
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise LinkError(f"mpremote on {port} did not finish in {timeout:.0f} s",
                        hint="is the app holding the console? restart the token with its button held") from e
    if proc.returncode != 0:
        lines = [ln for ln in (proc.stderr + proc.stdout).splitlines() if ln.strip()]
        msg = lines[-1].strip() if lines else f"exit status {proc.returncode}"
        if "could not enter raw repl" in msg.lower() or "failed to access" in msg.lower() or "no device" in msg.lower():
            raise LinkError(f"mpremote on {port}: {msg}",
                            hint="restart the token with its button held so the REPL owns the console")
        raise BzError(f"mpremote on {port}: {msg}")
    return proc.stdout


def device_hashes(port: str, root: str = "/", resume: bool = False, timeout: float = 60) -> dict[str, str]:
    script = HASH_SCRIPT % {"root": root, "singles": ["main.py", "board.json"], "pkg": PACKAGE_DIR, "mark": MARK}
    out = _mpremote(port, ["exec", script], resume, timeout)
    for line in out.splitlines():
        if line.startswith(MARK):
            return json.loads(line[len(MARK):])
    raise BzError(f"the device on {port} did not report its files (got {out.strip()[:80]!r})")


def local_files(firmware_dir: Path, chip: str | None = None, board: dict | None = None) -> dict[str, bytes]:
    """The files deploy keeps in step, relative to the device root: {'lib/bzfw/x.mpy': bytes, ...}."""
    files = {k.lstrip("/"): v for k, v in fsimage.app_files(firmware_dir, chip).items()}
    if board is not None:
        files["board.json"] = json.dumps(board, sort_keys=True, indent=1).encode()
    return files


def deploy(port: str, files: dict[str, bytes], *, root: str = "/", resume: bool = False, restart: bool = True,
           dry_run: bool = False, timeout: float = 120) -> DeployResult:
    have = device_hashes(port, root, resume, timeout)
    res = DeployResult()
    changed = sorted(p for p, data in files.items() if have.get(p) != hashlib.sha256(data).hexdigest())
    stale = sorted(p for p in have if p.startswith(PACKAGE_DIR + "/") and p not in files)
    res.unchanged = len(files) - len(changed)
    res.copied, res.removed = changed, stale
    if dry_run or not (changed or stale or restart):
        return res
    with tempfile.TemporaryDirectory() as tmp:
        args: list[str] = []
        dirs = sorted({os.path.dirname(p) for p in changed if os.path.dirname(p)})
        for d in dirs:  # mkdir -p, one level at a time (an existing one is fine)
            parts = d.split("/")
            for i in range(1, len(parts) + 1):
                sub = "/".join(parts[:i])
                args += ["exec", f"import os\ntry:\n os.mkdir({root + sub!r})\nexcept OSError:\n pass", "+"]
        for p in changed:
            local = Path(tmp) / p.replace("/", "__")
            local.write_bytes(files[p])
            args += ["fs", "cp", str(local), ":" + root + p, "+"]
        for p in stale:
            args += ["fs", "rm", ":" + root + p, "+"]
        if restart:
            # a hard reset: after a soft reset from the raw REPL MicroPython skips main.py, so the app would not start
            args += ["reset", "+"]
            res.restarted = True
        if args:
            _mpremote(port, args[:-1], resume, timeout)
    return res
