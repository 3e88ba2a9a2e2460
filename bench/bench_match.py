"""Exposure matching: ID derivation per core against the SHA-256 bound, and `bztoken match` on station logs.

(a) one token log of 20,000 encounters against 10,000 key-days; (b) 1,000 logs of 20,000 encounters against
100,000 key-days, run on BENCH_MATCH_LOGS logs (default 40) and on a quarter of them, and extrapolated linearly to
1,000 logs (derivation and sorting are once per run; each log costs a database read and a join). Both run the
real command (`bztoken match --db ... --json`) in a child process, whose peak memory is reported. The baseline
is the phones' way (a hashlib walk and a lookup per slot, host_tools.match.phones), timed on a slice and
extrapolated.
"""

import hashlib
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bzfw import ids
from host_tools.match import derive
from host_tools.stationdb import ENCOUNTERS_SCHEMA

COMPRESSIONS_PER_KEY_DAY = 97  # K||salt, 95 chain steps, the next day's key (the figure the bound uses)
ENC_PER_LOG = 20_000
DAY0 = 18_500


def _rate(fn, n: int) -> float:
    """Items per CPU second of this thread: per-core figures that other load on the machine does not skew."""
    t0 = time.thread_time()
    fn()
    return n / (time.thread_time() - t0)


def _wall_rate(fn, n: int) -> float:
    t0 = time.perf_counter()
    fn()
    return n / (time.perf_counter() - t0)


def compression_ns() -> float:
    """One SHA-256 block compression on this CPU, through OpenSSL (hashlib) on a long message."""
    buf = bytes(64 << 20)
    best = min(_timed(lambda: hashlib.sha256(buf).digest()) for _ in range(3))
    return best / (len(buf) // 64) * 1e9


def _timed(fn) -> float:
    t0 = time.thread_time()
    fn()
    return time.thread_time() - t0


def _exposures(path: Path, n_keys: int, rng: random.Random) -> list[bytes]:
    keys = [rng.randbytes(32) for _ in range(n_keys)]
    days = [DAY0 + i % 14 for i in range(n_keys)]
    with open(path, "w") as f:
        f.write('{"data": [')
        f.write(",".join(json.dumps({"daily_key": k.hex().upper(), "time_start": d * 86400, "max": 96,
                                     "time_end": d * 86400 + 86399}) for k, d in zip(keys, days, strict=True)))
        f.write("]}")
    return keys


def _station_db(path: Path, n_logs: int, keys: list[bytes], rng: random.Random, planted: int = 20) -> None:
    con = sqlite3.connect(path)
    con.execute(ENCOUNTERS_SCHEMA)
    for t in range(n_logs):
        rows = []
        for i in range(ENC_PER_LOG):
            day = DAY0 + i * 14 // ENC_PER_LOG
            slot = i % 96
            if i % (ENC_PER_LOG // planted) == 0:  # a met F0 of that day
                j = rng.randrange(len(keys) // 14) * 14 + (day - DAY0)
                cid = ids.slot_id(keys[min(j, len(keys) - 1)], slot)
            else:
                cid = rng.randbytes(12)
            first = day * ids.DAY_MS + slot * ids.SLOT_MS + rng.randrange(600_000)
            last = first + rng.randrange(300_000)
            rows.append((f"BZT-{t:05d}", day, i * 24, cid, 1, slot, first, last, first, last, 0,
                         rng.randrange(1, 30), -90, -55, -70, 1))
        con.executemany("INSERT INTO encounters (token_id, day, file_offset, contact_id, kind, slot, first_seen_ms, "
                        "last_seen_ms, raw_first_seen_ms, raw_last_seen_ms, correction_ms, count, rssi_min, "
                        "rssi_max, rssi_mean, pull_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    con.commit()
    con.close()


_CHILD = """
import json, resource, sys, time, io, contextlib
from host_tools import cli
import host_tools.match.engine, host_tools.match.report  # imports (numpy) before the clock starts
argv = json.loads(sys.argv[1])
out = io.StringIO()
t0, c0 = time.perf_counter(), time.process_time()
with contextlib.redirect_stdout(out):
    code = cli.main(argv)
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
doc = json.loads(out.getvalue())
# VmHWM: this process's own peak (ru_maxrss would include the parent's size at fork)
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")]
rss = int(hwm[0].split()[1]) / 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"code": code, "wall": wall, "cpu": cpu, "rss_mb": rss,
                  "matches": sum(len(lg["matches"]) for lg in doc["logs"]), "logs": len(doc["logs"]),
                  "stats": doc["stats"]}))
"""


def _run_cli(argv: list[str]) -> dict:
    p = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(argv)], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(p.stderr)
    return json.loads(p.stdout.strip().splitlines()[-1])


def _phones_way(exp: Path, db: Path, n_entries: int) -> float:
    """CPU seconds for the phones' way on the first n_entries entries against one log."""
    from host_tools.match import phones
    from host_tools.match.exposures import read_entries
    from host_tools.match.logs import db_logs

    log = db_logs(db)[0].load()
    t0 = time.thread_time()
    table = phones.log_lookup(log)
    for e in read_entries([exp]):
        if e.index >= n_entries:
            break
        phones.entry_hits(e, table)
    return time.thread_time() - t0


def run(report) -> None:
    rng = random.Random(7)
    cores = os.cpu_count() or 1
    # --- derivation ----------------------------------------------------------------------------------------
    t_c = compression_ns()
    bound = 1e9 / (COMPRESSIONS_PER_KEY_DAY * t_c)
    report("SHA-256 compression (hashlib/OpenSSL, 64 MiB message, CPU time)", t_c, "ns/block")
    report("bound: 1 / (97 compressions per key-day)", bound, "key-days/s",
           "one chain at a time (the kernel interleaves two, so it can pass this)")
    keys = [rng.randbytes(32) for _ in range(40_000)]
    r_native = _rate(lambda: derive.derive(keys, 96), len(keys))
    report(f"derive, C kernel ({derive.backend()}), per core (CPU time)", r_native, "key-days/s",
           f"{r_native / bound:.0%} of the bound")
    if derive.backend() != "python":
        from host_tools import _sha_kernel

        blob = b"".join(keys[:10_000])
        r_port = _rate(lambda: _sha_kernel.derive(blob, 96, portable=True), 10_000)
        report("derive, C kernel (portable SHA-256), per core", r_port, "key-days/s", f"{r_port / bound:.0%}")
    r_py = _rate(lambda: derive.derive_python(keys[:3000], 96), 3000)
    report("derive, pure Python (bzfw.ids.day_ids), per core", r_py, "key-days/s", f"{r_py / bound:.0%}")
    big = keys * 4
    r_one = _wall_rate(lambda: derive.derive(big, 96), len(big))
    r_all = _wall_rate(lambda: derive.derive(big, 96, jobs=cores), len(big))
    report(f"derive, C kernel, --jobs {cores} (all cores), wall clock", r_all, "key-days/s",
           f"{r_all / r_one:.2f}x one thread by wall clock (load average {os.getloadavg()[0]:.1f})")

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        # --- (a) one token log of 20,000 encounters against 10,000 key-days ----------------------------------
        exp_a = d / "a.json"
        keys_a = _exposures(exp_a, 10_000, rng)
        db_a = d / "a.db"
        _station_db(db_a, 1, keys_a, rng)
        a = _run_cli(["match", "--exposures", str(exp_a), "--db", str(db_a), "--json"])
        report("(a) 1 log x 20,000 encounters vs 10,000 key-days: wall", a["wall"], "s",
               f"CPU {a['cpu']:.3f} s, {a['matches']} matches, peak {a['rss_mb']:.0f} MB, "
               f"indexed {a['stats']['indexed']}")
        n_ph = 300
        t_ph = _phones_way(exp_a, db_a, n_ph) * 10_000 / n_ph
        report("(a) phones' way (hashlib walk + lookup per slot, log in memory), CPU s", t_ph, "s",
               f"from {n_ph} entries; {t_ph / a['cpu']:.0f}x the command's CPU time")
        # --- (b) 1,000 logs against 100,000 key-days, scaled down ----------------------------------------------
        n_logs = int(os.environ.get("BENCH_MATCH_LOGS", "40"))
        exp_b = d / "b.json"
        keys_b = _exposures(exp_b, 100_000, rng)
        db_b = d / "b.db"
        t0 = time.perf_counter()
        _station_db(db_b, n_logs, keys_b, rng)
        report(f"(b) station database of {n_logs} logs x 20,000 built in", time.perf_counter() - t0, "s")
        b = _run_cli(["match", "--exposures", str(exp_b), "--db", str(db_b), "--json"])
        report(f"(b) {n_logs} logs x 20,000 vs 100,000 key-days: wall", b["wall"], "s",
               f"CPU {b['cpu']:.2f} s, {b['matches']} matches, derivation {b['stats']['derive_s']:.2f} s, "
               f"peak {b['rss_mb']:.0f} MB")
        # fixed cost (parse, derive, sort) and cost per log from a second run on a quarter of the logs
        n_q = max(1, n_logs // 4)
        db_q = d / "q.db"
        _station_db(db_q, n_q, keys_b, rng)
        q = _run_cli(["match", "--exposures", str(exp_b), "--db", str(db_q), "--json"])
        # in CPU seconds (the command is one thread): other load on the machine does not skew the split
        per_log = max(0.0, (b["cpu"] - q["cpu"]) / (n_logs - n_q)) if n_logs > n_q else b["cpu"] / n_logs
        fixed = b["cpu"] - per_log * n_logs
        est = fixed + per_log * 1000
        report("(b) 1,000 logs, extrapolated (fixed + per log x 1,000, CPU s)", est, "s",
               f"fixed {fixed:.2f} s, {per_log * 1000:.1f} ms/log (from {n_q} and {n_logs} logs); peak memory "
               f"{q['rss_mb']:.0f} -> {b['rss_mb']:.0f} MB: logs are loaded one at a time")
        bj = _run_cli(["match", "--exposures", str(exp_b), "--db", str(db_b), "--json", "--jobs", str(cores)])
        report(f"(b) same with --jobs {cores}", bj["wall"], "s", f"derivation {bj['stats']['derive_s']:.2f} s")
        n_ph = 200
        t_ph_b = _phones_way(exp_b, db_b, n_ph) * 100_000 / n_ph * 1000
        report("(b) phones' way for 1,000 logs, extrapolated, CPU s", t_ph_b, "s",
               f"from {n_ph} entries x 1 log; {t_ph_b / est:.0f}x slower")
