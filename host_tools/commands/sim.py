"""`bztoken sim`: a simulated community of tokens and Bluezone phones, end to end; `bztoken power`: battery life."""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from host_tools.errors import UsageError
from host_tools.progress import for_cli


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sim", help="simulate a scenario: provision, a day in virtual time, pull, match, score")
    p.add_argument("--scenario", metavar="FILE", help="a scenario file, or the name of a shipped one (see --list)")
    p.add_argument("--profile", action="append", metavar="NAME",
                   help="token profile for every token (repeat for several runs); default: the product's "
                        "(the firmware's DEFAULT_PROFILE), unless the scenario names one")
    p.add_argument("--sweep", action="store_true", help="run the profile sweep behind the detection/battery plot")
    p.add_argument("--out", metavar="DIR", help="where the report, the runs and their token logs go "
                                                 "(default: a new temporary directory)")
    p.add_argument("--jobs", type=int, default=None, metavar="N", help="runs in parallel (default: CPUs, max 4)")
    p.add_argument("--one-positive", action="store_true",
                   help="only the scenario's positive wearer tests positive (default: each wearer in turn)")
    p.add_argument("--sleep-clock", choices=["rc", "xtal32k"], default=None,
                   help="the tokens' deep-sleep clock: rc (stock build, the default) or xtal32k (a 32 kHz crystal)")
    p.add_argument("--rate-correction", action="store_true",
                   help="clock discipline: each token corrects its rate by the one the station measured at its sync")
    p.add_argument("--copies", type=int, default=1, metavar="N",
                   help="a crowd: N side-by-side copies of the scenario's places and groups (default 1)")
    p.add_argument("--sim-only", action="store_true",
                   help="only simulate (no provisioning, pull or matching): the simulator's own speed and memory")
    p.add_argument("--list", action="store_true", help="list shipped scenarios and token profiles")
    p.add_argument("--json", action="store_true", help="results as JSON on stdout")
    p.set_defaults(func=cmd_sim)

    pw = sub.add_parser("power", help="battery life per token profile, board and battery "
                                      "(hardware/power/currents.json)")
    pw.add_argument("--profile", action="append", metavar="NAME",
                    help="profile (repeat); default: the firmware's profiles and the sweep's")
    pw.add_argument("--board", action="append", metavar="NAME", help="board (repeat); default: every board")
    pw.add_argument("--battery-mah", action="append", type=float, default=None, metavar="MAH",
                    help="battery capacity (repeat); default: 500, 1000 and 2000")
    pw.add_argument("--json", action="store_true", help="results as JSON on stdout")
    pw.set_defaults(func=cmd_power)


def cmd_sim(args: argparse.Namespace) -> int:
    from host_tools.sim import profiles, report, scenario

    if not args.list:
        from host_tools.errors import require_extra

        require_extra("sim", "sim", modules=("matplotlib",))

    if args.list:
        for name, path in scenario.shipped().items():
            sc = scenario.load(path)
            print(f"{name:<16} {sc.description}")
        print()
        for name in list(profiles.all_profiles()) + [p for p in profiles.SWEEP if p not in profiles.all_profiles()]:
            print(f"{name:<18} {profiles.get(name).describe()}"
                  + (" [the default profile]" if name == profiles.default_name() else ""))
        return 0
    if not args.scenario:
        raise UsageError("--scenario is needed", hint="bztoken sim --list shows the shipped scenarios")
    path = scenario.resolve(args.scenario)
    if not 1 <= args.copies <= 1000:
        raise UsageError(f"--copies must be 1..1000, got {args.copies}")
    if args.copies > 1 and not args.sim_only:
        raise UsageError("--copies is for --sim-only runs (a crowd's speed and memory)")
    sc = scenario.load(path, args.copies)
    if args.one_positive and sc.positive is None:
        raise UsageError(f"{path.name} names no positive wearer", hint="add \"positive\": \"GROUP#N\" to it")
    profs = list(profiles.SWEEP) if args.sweep else (args.profile or [sc.profile])
    if args.sweep and args.profile:
        raise UsageError("--sweep runs its own profiles; give either --sweep or --profile")
    for p in profs:
        profiles.get(p)
    if args.out and Path(args.out).exists() and not Path(args.out).is_dir():
        raise UsageError(f"--out {args.out} is a file, not a directory")
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="bztoken-sim-"))
    if args.sim_only:
        if args.sleep_clock:
            sc.sleep_clock = args.sleep_clock
        if args.rate_correction:
            sc.clock["rate_correction"] = 1.0
        return _sim_only(sc, out, profs, args.json)
    jobs = args.jobs or report.default_jobs()
    if jobs < 1:
        raise UsageError("--jobs must be at least 1")
    t0 = time.perf_counter()
    clock = {}
    if args.sleep_clock:
        clock["sleep_source"] = args.sleep_clock
    if args.rate_correction:
        clock["rate_correction"] = 1.0
    results = report.sweep(sc, path, out, profs, jobs, all_positive=not args.one_positive, clock=clock or None,
                           progress=for_cli(args.json))
    files = report.write_all(results, sc, out)
    wall = time.perf_counter() - t0
    if args.json:
        print(json.dumps({"scenario": sc.name, "default_profile": profiles.default_name(), "wall_s": round(wall, 2),
                          "files": files, "runs": results}))
        return 0
    print(summary(sc, results, files, wall))
    return 0


def _sim_only(sc, out: Path, profs: list[str], as_json: bool) -> int:
    import resource

    from host_tools.sim import engine, profiles

    runs = []
    for p in profs:
        st = engine.simulate(sc, out / "runs" / p, p).stats
        runs.append({"profile": p, **{k: (round(v, 3) if isinstance(v, float) else v) for k, v in st.items()}})
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    if as_json:
        print(json.dumps({"scenario": sc.name, "peak_rss_mb": round(peak_mb), "runs": runs}))
        return 0
    for r in runs:
        print(f"{sc.name}, {profiles.label(r['profile'])}: {r['devices']} devices, "
              f"{r['simulated_s'] / 3600:.0f} h simulated in {r['cpu_s']:.1f} s CPU ({r['wall_s']:.1f} s wall); "
              f"{r['sightings']:,} token and "
              f"{r['phone_sightings']:,} phone sightings, {r['records']:,} records")
    print(f"peak memory {peak_mb:.0f} MB; token logs under {out / 'runs'}")
    return 0


def summary(sc, results: list[dict], files: dict, wall: float) -> str:
    from host_tools.sim import report

    r0 = results[0]
    lines = [f"{sc.name}: {r0['devices']} devices ({r0['tokens']} tokens, {r0['phones']} phones), "
             f"{r0['true_contacts']} true close contacts (2 m, 15 min); {r0['positives']} positive(s)",
             report.profiles_line(sc, results), "", report.text_table(results), ""]
    for r in results:
        t = r["timings_s"]
        st = r["sim_stats"]
        lines.append(f"{r['profile']}: simulated {st['simulated_s'] / 3600:.0f} h of {st['devices']} devices in "
                     f"{t['simulate']:.1f} s; pulled {r['records_pulled']} records in {t['pull']:.1f} s; "
                     f"matched in {t['match']:.1f} s")
    for r in results:
        by = r["scores"]["near-minutes"]["by_receiver"]
        rec = []
        for k in ("token", "android", "ios"):
            c = by.get(k)
            if c and c["tp"] + c["fn"]:
                rec.append(f"{k} {100 * c['tp'] / (c['tp'] + c['fn']):.0f}%")
        lines.append(f"{r['profile']}: near-minutes recall by the detecting device: {', '.join(rec)}")
    for r in results:
        dirs = r.get("directions", {}).get("near-minutes", {})
        if dirs:
            per = ", ".join(f"{k} {100 * v['recall']:.0f}%" for k, v in dirs.items())
            days = f"{r['token_days']:.1f} days on {report.TOKEN_BOARD} with {report.TOKEN_MAH:g} mAh; " \
                if "token_days" in r else ""
            lines.append(f"{r['profile']}: {days}near-minutes recall per direction: {per}")
    for r in results:
        nm = r.get("named_positive")
        if nm:
            truth = set(nm["true_contacts"])
            got = ", ".join(f"{len(set(nm['found'][ts]) & truth)} by {ts} (+{len(set(nm['found'][ts]) - truth)} others)"
                            for ts in ("bluezone-strict", "near-minutes"))
            lines.append(f"{r['profile']}: positive {nm['positive']} had {len(truth)} close contacts; found {got}")
    from host_tools.sim import roc

    for r in results:
        if r.get("roc"):
            lines += ["", f"{r['profile']}: the trade-off per rule", roc.text(r["roc"])]
    lines.append(f"report: {files['html']}  ({wall:.0f} s)")
    return "\n".join(lines)


def cmd_power(args: argparse.Namespace) -> int:
    from host_tools import power
    from host_tools.sim import profiles

    model = power.load()
    names = args.profile or list(dict.fromkeys([*profiles.all_profiles(), *profiles.SWEEP]))
    caps = args.battery_mah or [float(c) for c in model["battery"]["options_mah"]["value"]]
    if any(not c > 0 for c in caps):
        raise UsageError("--battery-mah must be positive")
    boards = args.board or power.boards(model)
    for b in boards:
        if b not in model["boards"]:
            raise UsageError(f"unknown board {b!r}", hint=f"one of {', '.join(model['boards'])}")
    profs = [profiles.get(n) for n in names]
    rows = []
    for p in profs:
        for b in boards:
            for cap in caps:
                life = power.board_life(p, b, cap, model)
                rows.append({"profile": p.name, "board": b, "chip": life.chip, "battery_mah": cap,
                             "avg_ma": round(life.avg_ma, 3), "days": round(life.days, 2),
                             "breakdown_ma": {k: round(v, 3) for k, v in life.breakdown_ma.items()},
                             "_days": life.days})
    exact = [r.pop("_days") for r in rows]  # the text rounds the model's own value, as the READMEs do
    if args.json:
        print(json.dumps(rows))
        return 0
    for r, d in zip(rows, exact, strict=True):
        r["days"] = d
    usable = model["battery"]["usable_fraction"]["value"]
    print(f"Battery life in days ({usable:.0%} of the rated capacity usable), stock MicroPython, "
          "board overheads included")
    for b in boards:
        print(f"\n{b}: {model['boards'][b]['description']}")
        print(f"  {'profile':<20} {'mA':>7} " + " ".join(f"{f'{c:g} mAh':>9}" for c in caps)
              + "  where the current goes (mA)")
        for p in profs:
            rs = [r for r in rows if r["profile"] == p.name and r["board"] == b]
            parts = ", ".join(f"{k} {v:g}" for k, v in rs[0]["breakdown_ma"].items() if v)
            days = " ".join(f"{r['days']:>9.1f}" for r in rs)
            print(f"  {p.name:<20} {rs[0]['avg_ma']:>7.2f} {days}  {parts}")
    print("sources: hardware/power/currents.json", file=sys.stderr)
    return 0
