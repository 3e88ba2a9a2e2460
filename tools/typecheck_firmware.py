"""Type-check the firmware against the ESP32 port's stubs (micropython-esp32-stubs).

mypy refuses site-packages on its search path, so the stub files of the two stub distributions are
linked into build/mpy-stubs first; micropython-stdlib-stubs replaces CPython's typeshed, so a call to a
function the device lacks (say hashlib.sha1 on a build without it) is an error here.
"""

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STUBS = ROOT / "build" / "mpy-stubs"


def _link_stubs(dist_name: str) -> Path:
    dist = metadata.distribution(dist_name)
    base = Path(str(dist.locate_file("")))
    for f in dist.files or []:
        if ".dist-info" in str(f) or not (str(f).endswith(".pyi") or str(f).endswith("VERSIONS")):
            continue
        dst = STUBS / str(f)
        dst.parent.mkdir(parents=True, exist_ok=True)
        if not dst.exists():
            os.symlink(base / str(f), dst)
    return base


def main() -> int:
    STUBS.mkdir(parents=True, exist_ok=True)
    _link_stubs("micropython-esp32-stubs")
    _link_stubs("micropython-stdlib-stubs")
    files = sorted(str(p) for p in (ROOT / "firmware").rglob("*.py"))
    env = dict(os.environ, MYPYPATH=f"{ROOT / 'firmware'}{os.pathsep}{STUBS}")
    cmd = [
        sys.executable, "-m", "mypy",
        "--config-file", str(ROOT / "firmware" / "mypy.ini"),
        "--custom-typeshed-dir", str(STUBS),
        *files,
    ]
    return subprocess.call(cmd, env=env, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main())
