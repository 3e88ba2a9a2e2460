"""`make bench`: run every bench/bench_*.py module's run(report), print each figure with its peer or limit, and
write every figure to one JSON file (`build/bench/results.json`, or $BENCH_OUT).

A module is found by its name (bench_*.py: a registry, nothing to add here) and may be selected:
`python -m bench ids match`. Benchmarks measure; they never assert times. A module that fails is reported
(its figures so far are kept, the error is the last line of its section) and the others still run; the exit
status is then 1.

`report(name, value, unit="", note="")`: one figure. The note says what it is compared with: its peer (the
same work done another way, measured in the same run) or its limit (a physical bound or the goal), with the
ratio where one makes sense.
"""

import importlib
import json
import os
import pkgutil
import platform
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_results: list[dict] = []
_current = {"module": ""}


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


def cpu_flags() -> list[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                have = set(line.split(":", 1)[1].split())
                return sorted(f for f in ("sha_ni", "avx2", "avx512f") if f in have)
    except OSError:
        pass
    return []


def report(name: str, value, unit: str = "", note: str = "") -> None:
    v = f"{value:,.3f}" if isinstance(value, float) else (f"{value:,}" if isinstance(value, int) else str(value))
    print(f"  {name:<58} {v:>16} {unit:<12} {note}")
    sys.stdout.flush()
    _results.append({"module": _current["module"], "name": name,
                     "value": value if isinstance(value, (int, float, str)) else str(value),
                     "unit": unit, "note": note})


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    mods = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    if argv:
        mods = [m for m in mods if any(a in m for a in argv)]
    out = Path(os.environ.get("BENCH_OUT") or ROOT / "build" / "bench" / "results.json")
    print(f"bztoken benchmarks on {machine()}")
    print(f"  CPU flags: {' '.join(cpu_flags()) or 'none of sha_ni/avx2/avx512f'}; load average "
          f"{os.getloadavg()[0]:.1f} (figures by CPU time are the fairer ones on a busy machine)")
    failed, sections = [], []
    for name in mods:
        _current["module"] = name
        t0 = time.perf_counter()
        try:
            mod = importlib.import_module(f"bench.{name}")
            print(f"\n{name}: {(mod.__doc__ or '').strip().splitlines()[0] if mod.__doc__ else ''}")
            mod.run(report)
            status, err = "ok", None
        except Exception as e:  # noqa: BLE001 - one benchmark failing must not hide the others
            status, err = "failed", f"{type(e).__name__}: {e}"
            failed.append(name)
            print(f"  FAILED: {err}")
            traceback.print_exc(limit=3, file=sys.stderr)
        dt = time.perf_counter() - t0
        print(f"  ({dt:.1f} s)")
        sections.append({"module": name, "status": status, "error": err, "seconds": round(dt, 1)})
    doc = {"machine": machine(), "cpu_flags": cpu_flags(), "python": platform.python_version(),
           "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "load_average": os.getloadavg()[0],
           "modules": sections, "figures": _results}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".part")
    tmp.write_text(json.dumps(doc, indent=1, default=str))
    tmp.replace(out)
    print(f"\n{len(_results)} figures from {len(sections)} modules written to {out}"
          + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
