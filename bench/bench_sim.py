"""Simulator: a day of the 50-device school scenario, a 500-device market day (CLI, --sim-only), and the
pipeline's stages. Peers: the simulator before its pair cut took 13 s CPU for the school day (always-on) and
191 s CPU / 2.6 GB for 200 devices, growing as N^2.1; the goal is 24 h x 50 devices no slower, and a 500-device
market day in at most 60 s and 2 GB."""

import contextlib
import io
import json
import tempfile
import time
from pathlib import Path

from host_tools.cli import main
from host_tools.sim import pipeline, scenario


def _cli_sim_only(argv: list[str]) -> tuple[dict, float]:
    buf = io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(buf):
        rc = main(["sim", *argv, "--sim-only", "--json"])
    wall = time.perf_counter() - t0
    if rc != 0:
        raise RuntimeError(f"bztoken sim {' '.join(argv)} failed ({rc})")
    return json.loads(buf.getvalue()), wall


def run(report):
    with tempfile.TemporaryDirectory() as d:
        for prof in ("always-on", "eco"):
            out, wall = _cli_sim_only(["--scenario", "school-day", "--profile", prof, "--out", f"{d}/s-{prof}"])
            r = out["runs"][0]
            report(f"bztoken sim school-day --sim-only, {r['devices']} devices, 24 h, {prof}", r["cpu_s"], "s cpu",
                   f"{r['sightings']:,} token sightings; before the cut: 13 s cpu (always-on)")
            report(f"  same, wall ({prof}, shared machine)", r["wall_s"], "s wall")
        out, wall = _cli_sim_only(["--scenario", "market", "--copies", "11", "--profile", "always-on",
                                   "--out", f"{d}/m"])
        r = out["runs"][0]
        report(f"bztoken sim market --copies 11 --sim-only: {r['devices']} devices, 8 h", r["cpu_s"], "s cpu",
               "goal <= 60 s; before: 191 s cpu for 200 devices")
        report("  same, peak memory of the process", out["peak_rss_mb"], "MB", "goal <= 2048 MB; before: 2.6 GB at 200")
        report("  pairs computed (pair x minute) / all pairs", r["pairs"] / (r["devices"] ** 2 / 2 * 480), "",
               "the share the cut keeps")
        sc = scenario.load(scenario.resolve("school-day"))
        t0 = time.perf_counter()
        c0 = time.process_time()
        res = pipeline.run(sc, Path(d) / "pipeline")
        wall = time.perf_counter() - t0
        cpu = time.process_time() - c0
        for stage, s in res.timings.items():
            report(f"pipeline stage {stage} ({sc.profile}, {len(res.positives)} positives)", s, "s")
        report("pipeline total: provision, simulate, pull, export, match, score", wall, "s wall")
        report("  same, CPU time of this process", cpu, "s cpu")
        report("  records pulled over the sync protocol per second",
               sum(p["records"] for p in res.pulls) / res.timings["pull"], "/s")
