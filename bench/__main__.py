"""`make bench`: run every bench/bench_*.py module's run(report) and print figures with the machine.

Benchmarks measure; they never assert times. A module may be selected: `python -m bench ids match`.
"""

import importlib
import os
import pkgutil
import platform
import sys
import time
from pathlib import Path


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    system = f"{platform.system()} {platform.release()}"
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {system}"


def report(name: str, value, unit: str = "", note: str = "") -> None:
    v = f"{value:,.3f}" if isinstance(value, float) else (f"{value:,}" if isinstance(value, int) else str(value))
    print(f"  {name:<58} {v:>16} {unit:<12} {note}")
    sys.stdout.flush()


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    mods = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    if argv:
        mods = [m for m in mods if any(a in m for a in argv)]
    print(f"bztoken benchmarks on {machine()}")
    for name in mods:
        mod = importlib.import_module(f"bench.{name}")
        print(f"\n{name}: {(mod.__doc__ or '').strip().splitlines()[0] if mod.__doc__ else ''}")
        t0 = time.perf_counter()
        mod.run(report)
        print(f"  ({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
