"""Simulator: a day of the 50-device school scenario in virtual time, and the pipeline's stages."""

import tempfile
import time
from pathlib import Path

from host_tools.sim import engine, pipeline, scenario


def run(report):
    sc = scenario.load(scenario.resolve("school-day"))
    n = sum(p.device != "none" for p in sc.persons)
    with tempfile.TemporaryDirectory() as d:
        for prof in ("always-on", "eco"):
            t0 = time.perf_counter()
            res = engine.simulate(sc, Path(d) / f"sim-{prof}", prof)
            wall = time.perf_counter() - t0
            st = res.stats
            report(f"simulate school-day, {n} devices, 24 h, {prof}", wall, "s wall",
                   f"{st['sightings']:,} token sightings, {st['records']:,} records")
            report(f"  same, CPU time of this process ({prof})", st["cpu_s"], "s cpu")
            report(f"  sightings through bzfw parse/aggregate per second ({prof})", st["sightings"] / wall, "/s")
        t0 = time.perf_counter()
        c0 = time.process_time()
        res = pipeline.run(sc, Path(d) / "pipeline")
        wall = time.perf_counter() - t0
        cpu = time.process_time() - c0
        for stage, s in res.timings.items():
            report(f"pipeline stage {stage} (always-on, {len(res.positives)} positives)", s, "s")
        report("pipeline total: provision, simulate, pull, export, match, score", wall, "s wall")
        report("  same, CPU time of this process", cpu, "s cpu")
        report("  records pulled over the sync protocol per second",
               sum(p["records"] for p in res.pulls) / res.timings["pull"], "/s")
