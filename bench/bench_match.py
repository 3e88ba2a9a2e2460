"""Exposure matching: the ID kernel per path against its multi-buffer bound, `bztoken match` end to end.

(k) The C kernel, every path this CPU runs: key-days per CPU second of one core, writing the matcher's numpy
    columns (derive.derive_columns, page faults included), against the same path's chains with nothing written
    (its multi-buffer bound, measured here) and against OpenSSL's single-stream SHA-256 (hashlib) at 97
    compressions per key-day. Goal (per machine, for the path dispatched): 800 k where the CPU has AVX-512, 600 k
    with SHA-NI only (printed for the fastest SHA-NI path too, which is what such a CPU runs).
(p) Exposure parsing: msgspec into columns against the standard json module building objects.
(c) `bztoken match` through the CLI (start-up and imports excluded, in a child process): 100,000 key-days against
    a tiny phone log. Goal: 500 k key-days/s. Timed: cli.main(argv) whole (arguments, reading and checking the
    list, deriving, the join, the report as JSON); not timed: the interpreter's start and the imports, which the
    child does first (every module cli.main loads, the parser's command modules included).
(s) 100,000 key-days against a station store of BENCH_MATCH_LOGS logs (default 1,000) of 20,000 encounters each
    (20 M rows, built once into build/bench-cache/), through the CLI: wall time and peak memory. Goal: 3 s, 1 GB.
"""

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from host_tools.match import derive

ROOT = Path(__file__).resolve().parent.parent
COMPRESSIONS_PER_KEY_DAY = 97  # K||salt, 95 chain steps, the next day's key (the bound the figures use)
ENC_PER_LOG = 20_000
DAY0 = 20_400
KEY_DAYS = 100_000
GOAL_KERNEL = {"avx512": 800_000, "sha-ni": 600_000}
GOAL_CLI = 500_000
GOAL_STATION_S, GOAL_STATION_MB = 3.0, 1024


def _cpu(fn) -> float:
    t0 = time.thread_time()
    fn()
    return time.thread_time() - t0


def openssl_ns() -> float:
    """One SHA-256 block compression through OpenSSL (hashlib) on a long message, CPU time, best of 3."""
    import hashlib

    buf = bytes(32 << 20)
    return min(_cpu(lambda: hashlib.sha256(buf).digest()) for _ in range(3)) / (len(buf) // 64) * 1e9


def kernel(report) -> None:
    from host_tools import _sha_kernel as k

    peer = 1e9 / (COMPRESSIONS_PER_KEY_DAY * openssl_ns())
    report("OpenSSL SHA-256, one stream (hashlib), per core", peer, "key-days/s", "peer: 97 compressions a key-day")
    n = 20_000
    keys = os.urandom(32 * n)
    rates = {}
    for b in k.backends():
        m = n if b != "portable" else 2_000
        t_bound = min(_cpu(lambda b=b, m=m: k.bench(b, m, COMPRESSIONS_PER_KEY_DAY - 1)) for _ in range(2))
        bound = m / t_bound
        # what the matcher runs: derive.derive_columns into new numpy columns (page faults included)
        rate = m / min(_cpu(lambda b=b, m=m: derive.derive_columns(keys[: 32 * m], 96, backend=b))
                       for _ in range(2))
        rates[b] = rate
        report(f"kernel {b}: key-days per CPU second (one core)", rate, "key-days/s",
               f"{rate / bound:.0%} of this path's chains alone ({bound / 1e3:,.0f} k, "
               f"{t_bound / m / 96 * 1e9:.1f} ns/block, no IDs written); {rate / peer:.1f}x OpenSSL")
    best = derive.backend()
    # the same path writing into columns whose pages are already mapped: what is left of the gap to the chains
    # alone after that is the OS zeroing and mapping the fresh pages of new columns (a one-shot CLI always has)
    rows = 96 * n
    cols = (np.zeros(rows, np.int64), np.zeros(rows, np.int32), np.zeros(rows, np.int32), np.zeros(rows, np.int32))
    warm = n / min(_cpu(lambda: k.derive_columns(keys, 96, None, best, 0, cols)) for _ in range(2))
    pages_us = max(0.0, (1 / rates[best] - 1 / warm) * 1e6)
    report(f"kernel {best} into columns already in memory", warm, "key-days/s",
           f"new columns: {rates[best] / 1e3:,.0f} k; the difference, {pages_us:.2f} us a key-day, is the OS "
           "mapping and zeroing fresh pages")
    ceiling = _limits(report, k, rates, pages_us)
    goal = GOAL_KERNEL["avx512"] if "avx512" in rates else GOAL_KERNEL["sha-ni"] if best.startswith("sha-ni") else 0
    if goal:
        why = "the CPU has AVX-512" if "avx512" in rates else "the CPU has SHA-NI"
        bound = f"; this core's ceiling for it: {ceiling / 1e3:,.0f} k" if ceiling else ""
        report(f"kernel, the path dispatched on this CPU ({best})", rates[best], "key-days/s",
               f"goal {goal / 1e3:,.0f} k ({why}): {'met' if rates[best] >= goal else 'NOT met'}{bound}")
    shani = [b for b in rates if b.startswith("sha-ni") and not b.endswith("-vl")]
    if shani and "avx512" in rates:
        b = max(shani, key=rates.get)
        g = GOAL_KERNEL["sha-ni"]
        report(f"kernel, the fastest SHA-NI path ({b}), no AVX-512 used", rates[b], "key-days/s",
               f"what a CPU with SHA-NI only runs; goal {g / 1e3:,.0f} k: {'met' if rates[b] >= g else 'NOT met'}")
    cores = os.cpu_count() or 1
    big = keys * 2
    def wall(jobs: int) -> float:
        t0 = time.perf_counter()
        derive.derive_columns(big, 96, jobs=jobs)
        return time.perf_counter() - t0

    one = 2 * n / min(wall(1) for _ in range(3))
    alln = 2 * n / min(wall(cores) for _ in range(3))
    report(f"kernel {best}, {cores} threads, wall clock", alln, "key-days/s",
           f"{alln / one:.2f}x one thread by wall clock, best of 3 (load average {os.getloadavg()[0]:.1f}); "
           f"one core by CPU time: {rates.get(best, 0):,.0f}")


def _limits(report, k, rates: dict, pages_us: float) -> float:
    """The physical limits of the SIMD paths on this core, from the instructions they run and the rates the
    kernel's probe() measures here (CPU time); returns the highest rate into new columns any path could reach
    (its instructions with nothing waiting, plus the page cost of new columns measured above), 0 if unknown."""
    p = k.probe()
    if "ghz" not in p:
        return 0.0
    ghz = p["ghz"]

    def kd_s(cycles_per_block: float) -> float:
        return ghz * 1e9 / (cycles_per_block * COMPRESSIONS_PER_KEY_DAY)

    def into_columns(rate: float) -> float:  # the same, with the fresh pages of new columns to write
        return 1 / (1 / rate + pages_us * 1e-6)

    ceilings = []
    report("core clock (a chain of dependent 1-cycle adds)", ghz, "GHz", "measured, CPU time")
    if "rnds2_per_cycle" in p:
        floor = 32 / p["rnds2_per_cycle"]  # 64 rounds a block, 2 a sha256rnds2
        report("SHA-NI, sha256rnds2 alone: 32 a block", kd_s(floor), "key-days/s",
               f"measured: latency {p['rnds2_latency']:.1f} cycles, {p['rnds2_per_cycle']:.2f} a cycle, so >= "
               f"{p['rnds2_latency']:.0f} chains to fill it and {floor:.0f} cycles a block, with nothing else to run")
    if "sha_mix_cycles" in p:
        mix = p["sha_mix_cycles"]
        fastest = max((r for b, r in rates.items() if b.startswith("sha-ni")), default=0)
        ceilings.append(into_columns(kd_s(mix)))
        report("SHA-NI ceiling: the asm loop's own vector instructions, nothing waiting", kd_s(mix), "key-days/s",
               f"{p['sha_mix_per_block']:.0f} a block (rounds, message schedule, W+K, ID), independent of each "
               f"other, no loads or stores: {mix:.1f} cycles a block, measured; into new columns at most "
               f"{ceilings[-1] / 1e3:,.0f} k; the fastest SHA-NI path reaches {fastest / ceilings[-1]:.0%} of that")
    if "zmm_add_per_cycle" in p:
        ops = p["avx512_chain_ops"]
        per = max(p.get("zmm_mix_per_cycle", 0), p["zmm_add_per_cycle"])
        floor = ops["total"] / per / 16
        ceilings.append(into_columns(kd_s(floor)))
        report("AVX-512 ceiling: its 512-bit operations at the rate this core runs them", kd_s(floor), "key-days/s",
               f"{ops['total']} ops a 16-lane step ({ops['add']} add, {ops['rotate']} rotate/shift, "
               f"{ops['ternlog']} ternlog, every constant folded); measured a cycle: add "
               f"{p['zmm_add_per_cycle']:.2f}, rotate {p['zmm_rotate_per_cycle']:.2f}, ternlog "
               f"{p['zmm_ternlog_per_cycle']:.2f}, the three mixed {per:.2f}, so >= {floor:.1f} cycles a block "
               f"before any ID is written; into new columns at most {ceilings[-1] / 1e3:,.0f} k")
    return max(ceilings, default=0.0)


def _exposures(path: Path, n: int, rng: random.Random) -> list[bytes]:
    keys = [rng.randbytes(32) for _ in range(n)]
    with open(path, "w") as f:
        f.write('{"data": [')
        f.write(",".join(json.dumps({"daily_key": k.hex().upper(), "time_start": (DAY0 + i % 14) * 86400,
                                     "max": 96, "time_end": (DAY0 + i % 14) * 86400 + 86399})
                         for i, k in enumerate(keys)))
        f.write("]}")
    return keys


def parsing(report, exp: Path) -> None:
    from host_tools.match import exposures

    raw = exp.read_bytes()
    t_json = min(_cpu(lambda: [(e["daily_key"], e["time_start"], e["max"], e["time_end"])
                               for e in json.loads(raw)["data"]]) for _ in range(2))
    t_ms = min(_cpu(lambda: exposures.read_exposures([exp])) for _ in range(3))
    t_dec = min(_cpu(lambda: exposures._PUSH.decode(raw)) for _ in range(3))
    report(f"(p) parse and check {KEY_DAYS:,} entries into columns (msgspec)", t_ms * 1000, "ms",
           f"peer: json module to objects, no checks {t_json * 1000:.0f} ms ({t_json / t_ms:.1f}x); limit: "
           f"msgspec's typed decode alone {t_dec * 1000:.0f} ms (the rest: columns, hex keys, range and "
           "duplicate checks)")


_CHILD = """
import json, resource, sys, time, io, contextlib
from host_tools import cli
import duckdb, numpy, msgspec
import host_tools.match.engine, host_tools.match.report, host_tools.match.exposures, host_tools.match.logs
import host_tools.stationdb, host_tools.match.calibration
import numpy.ma  # duckdb's fetchnumpy imports it on first use
cli.build_parser()  # imports every command's module (the parser itself is built again, timed, in cli.main)
argv = json.loads(sys.argv[1])
out = io.StringIO()
t0, c0 = time.perf_counter(), time.process_time()
with contextlib.redirect_stdout(out):
    code = cli.main(argv)
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
doc = json.loads(out.getvalue())
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")]
rss = int(hwm[0].split()[1]) / 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"code": code, "wall": wall, "cpu": cpu, "rss_mb": rss,
                  "matches": sum(len(lg["matches"]) for lg in doc["logs"]), "logs": len(doc["logs"]),
                  "stats": doc["stats"]}))
"""


def _run_cli(argv: list[str]) -> dict:
    p = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(argv)], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(p.stderr.strip().splitlines()[-1] if p.stderr.strip() else "match failed")
    return json.loads(p.stdout.strip().splitlines()[-1])


def cli_tiny(report, exp: Path, d: Path) -> None:
    rng = random.Random(3)
    log = d / "tiny.txt"
    log.write_text("".join(f"{'AA' * 12}\t{rng.randbytes(12).hex()}\t-60\t{(DAY0 * 86400 + i * 60) * 1000}\n"
                           for i in range(100)))
    cores = os.cpu_count() or 1
    for jobs in sorted({1, cores}):
        runs = [_run_cli(["match", "--exposures", str(exp), "--log", str(log), "--json", "--jobs", str(jobs)])
                for _ in range(5)]
        r = min(runs, key=lambda x: x["wall"])
        rate = KEY_DAYS / r["wall"]
        st = r["stats"]
        rest = r["wall"] - st.get("parse_s", 0) - st["derive_s"] - st["join_s"]
        ahead = " (what was left of it: it starts while the list is checked)" if st.get("derived_while_parsing") \
            else ""
        report(f"(c) CLI: {KEY_DAYS:,} key-days vs a 100-row log, --jobs {jobs}" + (" (default)" if jobs == cores
                                                                                 else ""), rate, "key-days/s",
               f"cli.main() wall {r['wall']:.3f} s (best of 5; interpreter start and imports excluded; load "
               f"average {os.getloadavg()[0]:.1f}), CPU {r['cpu']:.3f} s: parse {st.get('parse_s', 0):.3f} s, "
               f"derive {st['derive_s']:.3f} s{ahead}, join ({st.get('engine', 'duckdb')}) {st['join_s']:.3f} s, "
               f"the rest (arguments, key-days, grouping, report) {rest:.3f} s; goal {GOAL_CLI / 1e3:,.0f} k: "
               f"{'met' if rate >= GOAL_CLI else 'NOT met'}")


def _build_store(db: Path, n_logs: int, keys: list[bytes], rng: random.Random) -> int:
    """A station database whose encounter store holds n_logs logs of ENC_PER_LOG encounters over 14 days,
    each with 20 planted contacts of the list (the rest random IDs). Returns the planted count."""
    from host_tools import stationdb
    from host_tools.stationdb import STORE_COLUMNS

    stationdb.StationDB(db).close()
    gen = np.random.default_rng(11)
    planted = 0
    per = ENC_PER_LOG
    batch = 25
    with stationdb.store(db) as con:
        for b0 in range(0, n_logs, batch):
            nb = min(batch, n_logs - b0)
            n = nb * per
            i = np.tile(np.arange(per, dtype=np.int64), nb)
            day = DAY0 + i * 14 // per
            slot = (i % 96).astype(np.int16)
            first = day * 86_400_000 + slot.astype(np.int64) * 900_000 + gen.integers(0, 600_000, n)
            last = first + gen.integers(0, 300_000, n)
            hi = gen.integers(-(2**63), 2**63 - 1, n, dtype=np.int64)
            lo = gen.integers(-(2**31), 2**31 - 1, n, dtype=np.int32)
            plant = np.flatnonzero(i % (per // 20) == 0)
            ks = [rng.randrange(len(keys) // 14) * 14 + int(day[j] - DAY0) for j in plant]
            for j, kk in zip(plant, ks, strict=True):
                h, lw, _, _ = derive.derive_columns(keys[min(kk, len(keys) - 1)], 96)
                hi[j], lo[j] = h[slot[j]], lw[slot[j]]
            planted += len(plant)
            cols = {"token_id": np.repeat(np.array([f"BZT-{t:05d}" for t in range(b0, b0 + nb)], dtype=object),
                                          per),
                    "day": day.astype(np.int32), "file_offset": i * 24, "cid_hi": hi, "cid_lo": lo,
                    "kind": np.ones(n, np.int16), "slot": slot, "first_seen_ms": first, "last_seen_ms": last,
                    "raw_first_seen_ms": first, "raw_last_seen_ms": last, "correction_ms": np.zeros(n, np.int64),
                    "count": gen.integers(1, 30, n).astype(np.int32), "rssi_min": np.full(n, -90, np.int16),
                    "rssi_max": np.full(n, -55, np.int16), "rssi_mean": np.full(n, -70, np.int16),
                    "pull_id": np.ones(n, np.int64)}
            con.register("batch_rows", cols)
            con.execute(f"INSERT INTO encounters ({', '.join(STORE_COLUMNS)}) SELECT {', '.join(STORE_COLUMNS)} "
                        "FROM batch_rows")
            con.unregister("batch_rows")
        con.execute("CHECKPOINT")
    return planted


def station_scale(report, exp: Path, keys: list[bytes]) -> None:
    n_logs = int(os.environ.get("BENCH_MATCH_LOGS", "1000"))
    cache = ROOT / "build" / "bench-cache" / f"match-v3-{n_logs}x{ENC_PER_LOG}"  # v3: store schema 3
    db = cache / "station.db"
    if not (cache / "done").is_file():
        import shutil

        shutil.rmtree(cache, ignore_errors=True)
        cache.mkdir(parents=True)
        t0 = time.perf_counter()
        planted = _build_store(db, n_logs, keys, random.Random(5))
        (cache / "exp.json").write_bytes(exp.read_bytes())
        (cache / "done").write_text(str(planted))
        report(f"(s) station store of {n_logs:,} logs x {ENC_PER_LOG:,} built in", time.perf_counter() - t0, "s",
               f"{n_logs * ENC_PER_LOG:,} rows, kept in {cache.relative_to(ROOT)} for later runs")
    planted = int((cache / "done").read_text())
    size = sum(f.stat().st_size for f in cache.iterdir() if f.is_file()) / 2**20
    cores = os.cpu_count() or 1
    # best of 3 by wall clock, as the CLI figure: on a shared machine a single run mostly measures the others'
    # load (DuckDB's threads wait for a core); every run's peak memory counts, the highest is printed
    runs = [_run_cli(["match", "--exposures", str(cache / "exp.json"), "--db", str(db), "--json", "--jobs",
                      str(cores)]) for _ in range(3)]
    r = min(runs, key=lambda x: x["wall"])
    rss = max(x["rss_mb"] for x in runs)
    walls = ", ".join(f"{x['wall']:.2f}" for x in runs)
    report(f"(s) {KEY_DAYS:,} key-days vs {n_logs:,} logs x {ENC_PER_LOG:,} (CLI): wall", r["wall"], "s",
           f"best of 3 ({walls} s), "
           f"CPU {r['cpu']:.2f} s, derive {r['stats']['derive_s']:.2f} s, join {r['stats']['join_s']:.2f} s, "
           f"{r['matches']:,} matches of {planted:,} planted; goal {GOAL_STATION_S} s: "
           f"{'met' if r['wall'] <= GOAL_STATION_S else 'NOT met'}")
    report("(s) peak memory of those runs (VmHWM, the highest)", rss, "MB",
           f"store {size:,.0f} MB on disk; goal {GOAL_STATION_MB:,} MB: "
           f"{'met' if rss <= GOAL_STATION_MB else 'NOT met'}")


def run(report) -> None:
    import tempfile

    if derive.backend() != "python":
        kernel(report)
    else:
        report("kernel", "not built", "", "pip install -e . with a C compiler")
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        exp = d / "exp.json"
        keys = _exposures(exp, KEY_DAYS, random.Random(7))
        parsing(report, exp)
        cli_tiny(report, exp, d)
        station_scale(report, exp, keys)
