"""`bztoken demo`: a school day of tokens and Bluezone phones, end to end, with no hardware attached.

First one token's rolling IDs and advert, parsed back. Then the simulated community (scenarios/school-day.json,
50 devices): tokens provisioned over the sync protocol, the day simulated in virtual time with each token's
log written by the firmware's own code, every token pulled into a station database, each wearer's keys
exported in turn and matched against every token and phone, detection scored against the true close
contacts for three token profiles, with their battery life. Writes an HTML report with the plot.
"""

import argparse
import os
import time
from pathlib import Path

from bzfw import adv, ids
from host_tools.hexutil import hexu
from host_tools.progress import for_cli
from host_tools.timeutil import iso_ms


def demo_profiles() -> tuple[str, ...]:
    """always-on, eco and the firmware's default (the one that lasts a sync cycle)."""
    from host_tools.sim.profiles import default_name

    return tuple(dict.fromkeys(("always-on", "eco", default_name())))


DEMO_PROFILES = demo_profiles()


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="a simulated school day: provision, simulate, pull, match, report (no hardware)")
    p.add_argument("--out", metavar="DIR", default="build/demo", help="where the report goes (default build/demo)")
    p.add_argument("--jobs", type=int, default=None, metavar="N", help="simulations in parallel (default: CPUs, max 4)")
    # --at: only the one-token preview, at that time (unix ms): quick, for tests
    p.add_argument("--at", type=int, default=None, metavar="UNIX_MS", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_demo)


def token_preview(now: int) -> tuple[list[str], bool]:
    key = os.urandom(ids.KEY_LEN)
    day_ids = ids.day_ids(key)
    slot = ids.slot_of(now)
    day_start = now - now % ids.DAY_MS
    lines = [f"Virtual token, {iso_ms(now)}",
             "Today's daily key: drawn fresh (kept on the token only, never shown by a real tool)",
             "First IDs of today (UTC slots of 15 minutes):"]
    for i in range(4):
        lines.append(f"  slot {i:2d}  {iso_ms(day_start + i * ids.SLOT_MS)}  {hexu(day_ids[i])}")
    cur = day_ids[slot]
    payload = adv.build(cur)
    kind, parsed = adv.parse(payload)
    lines += [f"Current slot {slot}: ID {hexu(cur)}", f"Advert ({len(payload)} bytes): {hexu(payload)}",
              f"Parsed back: {adv.KIND_NAMES[kind]} {hexu(parsed) if parsed else '-'}"]
    return lines, parsed == cur


def cmd_demo(args: argparse.Namespace) -> int:
    now = args.at if args.at is not None else int(time.time() * 1000)
    lines, ok = token_preview(now)
    print("\n".join(lines))
    if not ok:
        print("MISMATCH: the parser did not return the advertised ID")
        return 1
    if args.at is not None:
        return 0

    from host_tools.errors import require_extra

    require_extra("sim", "demo", modules=("matplotlib",))
    from host_tools.commands.sim import summary
    from host_tools.sim import report, scenario

    path = scenario.resolve("school-day")
    sc = scenario.load(path)
    out = Path(args.out)
    print(f"\nSimulating {sc.name}: {sc.description}")
    from host_tools.sim.profiles import label

    print(f"Token profiles: {', '.join(map(label, DEMO_PROFILES))}; every token wearer tests positive in turn.")
    t0 = time.perf_counter()
    results = report.sweep(sc, path, out, list(DEMO_PROFILES), args.jobs or report.default_jobs(),
                           progress=for_cli())
    files = report.write_all(results, sc, out)
    print()
    print(summary(sc, results, files, time.perf_counter() - t0))
    print(f"plot: {files['png']}")
    pareto = Path(files["png"]).parent / report.PARETO_NAME
    if pareto.exists():
        print(f"recall against battery days, the default marked: {pareto}")
    return 0
