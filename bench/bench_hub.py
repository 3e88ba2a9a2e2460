"""Provincial hub: exported rows against 100 k key-days, `bztoken hub match` on DuckDB and on Spark local[2].

The issue's goal: 100 M rows (Parquet, day=/station= partitions, 21 days, 10 stations, 20,000 pseudonyms) against
100,000 key-days (9.6 M derived IDs), with 1,000 sightings planted at slot edges. The data are generated once
(DuckDB) into build/hub-bench/ and reused. Each engine runs the real command in a child process; wall time is
the command's, peak memory is the largest sum of resident memory over its process tree (the Spark JVM and its
Python workers included), sampled every 0.2 s. Scale with BENCH_HUB_ROWS and BENCH_HUB_KEYDAYS; BENCH_HUB_ENGINES
picks engines (default "duckdb spark"). Peers: the issue measured the same broadcast join (9.6 M IDs x 100 M rows)
on this machine at 15 s in DuckDB and 77-93 s in PySpark local[2].
"""

import json
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

from bzfw import ids
from host_tools.match import query

ROWS = int(os.environ.get("BENCH_HUB_ROWS", 100_000_000))
KEY_DAYS = int(os.environ.get("BENCH_HUB_KEYDAYS", 100_000))
ENGINES = os.environ.get("BENCH_HUB_ENGINES", "duckdb spark").split()
STATIONS = 10
PSEUDONYMS = 20_000
DAYS = 21
DAY0 = 20_400
PLANTED = 1_000
ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "build" / "hub-bench" / f"r{ROWS}-k{KEY_DAYS}"
DAY_MS = ids.DAY_S * 1000
SLOT_MS = DAY_MS // ids.SLOTS_PER_DAY


def _generate(report) -> None:
    import duckdb
    import numpy as np

    if (CACHE / "ready").exists():
        report("data (cached in build/hub-bench)", ROWS, "rows")
        return
    t0 = time.perf_counter()
    logs = CACHE / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    rng = random.Random(18)
    keys = [(rng.randbytes(32), DAY0 + i % DAYS) for i in range(KEY_DAYS)]
    data = [{"daily_key": k.hex().upper(), "time_start": d * ids.DAY_S, "max": 96, "time_end": d * ids.DAY_S + 86399}
            for k, d in keys]
    (CACHE / "positives.json").write_text(json.dumps({"data": data}))
    con = duckdb.connect()
    per_station = ROWS // STATIONS
    for s in range(STATIONS):
        # Row i of station s: pseudonym p = s + STATIONS * (i % (PSEUDONYMS / STATIONS)), day from i, a random ID.
        per_p = PSEUDONYMS // STATIONS
        con.execute(f"""COPY (
          WITH r AS (SELECT range AS i, {s} + {STATIONS} * (range % {per_p}) AS p,
                            {DAY0} + (range // {per_p}) % {DAYS} AS log_day, hash(range * 7 + {s}) AS h
                     FROM range({per_station}))
          SELECT substr(md5('p' || p::VARCHAR), 1, 32) AS pseudonym, log_day::INTEGER AS log_day,
                 (i // ({per_p} * {DAYS}) * 16)::BIGINT AS file_offset, (h % 96)::SMALLINT AS slot, 1::SMALLINT AS kind,
                 (hash(i, {s}, 'hi')::HUGEINT - 9223372036854775808)::BIGINT AS cid_hi,
                 ((hash(i, {s}, 'lo') % 4294967296)::BIGINT - 2147483648)::INTEGER
                   AS cid_lo,
                 (log_day::BIGINT * {DAY_MS} + (h % 96) * {SLOT_MS} + (h // 96) % 800000)::BIGINT AS first_seen_ms,
                 (log_day::BIGINT * {DAY_MS} + (h % 96) * {SLOT_MS} + (h // 96) % 800000 + (h // 7) % 60000)::BIGINT
                   AS last_seen_ms,
                 (1 + h % 30)::INTEGER AS count, (-95 + (h // 11) % 20)::SMALLINT AS rssi_min,
                 (-60 + (h // 13) % 20)::SMALLINT AS rssi_max, (-80 + (h // 17) % 20)::SMALLINT AS rssi_mean,
                 NULL::VARCHAR AS rx_profile, NULL::DOUBLE AS rx_offset_db,
                 strftime(DATE '1970-01-01' + log_day::INTEGER, '%Y-%m-%d') AS day, 'S{s:02d}' AS station
          FROM r) TO '{logs}' (FORMAT PARQUET, COMPRESSION ZSTD, PARTITION_BY (day, station),
                               FILENAME_PATTERN 'part-{{i}}', OVERWRITE_OR_IGNORE)""")
    # Planted sightings of listed IDs at slot edges (tests/hub_data.EDGE_CASES), in one file per day.
    edge = [(0, 0), (SLOT_MS, SLOT_MS), (-25_000, -1), (SLOT_MS + 1, SLOT_MS + 20_000), (SLOT_MS + 31_000,
            SLOT_MS + 60_000), (60_000, 300_000)]
    rows = []
    for i in range(PLANTED):
        key, day = keys[rng.randrange(KEY_DAYS)]
        slot = rng.randrange(1, 95)
        ws = day * DAY_MS + slot * SLOT_MS
        a, b = edge[i % len(edge)]
        p = rng.randrange(0, PSEUDONYMS, STATIONS)  # station S00's pseudonyms
        hi, lo = query.split_ids(ids.day_ids(key, slot + 1)[slot])
        rows.append((f"{day}", p, day, 1_000_000 + 16 * i, slot, (int(hi[0]), int(lo[0])), ws + a, ws + b))
    for day in sorted({r[2] for r in rows}):
        sel = [r for r in rows if r[2] == day]
        cols = {"p": np.array([r[1] for r in sel]), "log_day": np.array([r[2] for r in sel]),
                "file_offset": np.array([r[3] for r in sel]), "slot": np.array([r[4] for r in sel]),
                "cid_hi": np.array([r[5][0] for r in sel], dtype=np.int64),
                "cid_lo": np.array([r[5][1] for r in sel], dtype=np.int32),
                "first_seen_ms": np.array([r[6] for r in sel]), "last_seen_ms": np.array([r[7] for r in sel])}
        con.register("planted", cols)
        d = (logs / f"day={_iso(day)}" / "station=S00")
        d.mkdir(parents=True, exist_ok=True)
        con.execute(f"""COPY (SELECT substr(md5('p' || p::VARCHAR), 1, 32) AS pseudonym, log_day::INTEGER AS log_day,
          file_offset::BIGINT AS file_offset, slot::SMALLINT AS slot, 1::SMALLINT AS kind, cid_hi::BIGINT AS cid_hi,
          cid_lo::INTEGER AS cid_lo, first_seen_ms::BIGINT AS first_seen_ms, last_seen_ms::BIGINT AS last_seen_ms,
          12::INTEGER AS count, -70::SMALLINT AS rssi_min, -55::SMALLINT AS rssi_max, -62::SMALLINT AS rssi_mean,
          NULL::VARCHAR AS rx_profile, NULL::DOUBLE AS rx_offset_db
          FROM planted) TO '{d / "planted.parquet"}' (FORMAT PARQUET)""")
        con.unregister("planted")
    con.close()
    (CACHE / "ready").write_text("ok")
    report("data generated (DuckDB, once)", time.perf_counter() - t0, "s", f"{ROWS:,} rows into {CACHE.name}")


def _iso(day: int) -> str:
    import datetime

    return (datetime.date(1970, 1, 1) + datetime.timedelta(days=day)).isoformat()


def _tree(pid: int) -> list[int]:
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                kids.setdefault(ppid, []).append(int(d))
            except (OSError, ValueError, IndexError):
                pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def _cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of one process so far (its own, not its children's)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (from /proc)."""
    total = 0
    for p in _tree(pid):
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError):
            pass
    return total


def _run(args: list[str]) -> tuple[float, int, dict]:
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "host_tools.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT)
    peak = [0]
    cpu: dict[int, float] = {}  # CPU seconds per process of the tree, at its last sample
    stop = threading.Event()

    def sample():
        while not stop.wait(0.2):
            peak[0] = max(peak[0], _tree_rss(proc.pid))
            for p in _tree(proc.pid):
                c = _cpu_s(p)
                if c is not None:
                    cpu[p] = max(cpu.get(p, 0.0), c)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out, err = proc.communicate()
    stop.set()
    th.join()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"hub match failed ({proc.returncode}): {err.strip().splitlines()[-1:]}")
    return wall, peak[0], sum(cpu.values()), json.loads(out.strip().splitlines()[-1])


def run(report) -> None:
    _generate(report)
    size = sum(p.stat().st_size for p in (CACHE / "logs").rglob("*.parquet"))
    report("logs dataset", size / 1e9, "GB", f"{size / ROWS:.1f} B a row (the issue measured about 38)")
    found = {}
    for eng in ENGINES:
        out = CACHE / f"out-{eng}"
        args = ["hub", "match", "--engine", eng, "--logs", str(CACHE / "logs"), "--exposures",
                str(CACHE / "positives.json"), "--out", str(out), "--json"]
        if eng == "spark":
            args += ["--master", "local[2]", "--conf", "spark.driver.memory=8g", "--conf", "spark.ui.enabled=false",
                     "--conf", "spark.sql.shuffle.partitions=4"]
        load0 = os.getloadavg()[0]
        wall, peak, cpu, s = _run(args)
        report(f"{eng}: load average before / after", f"{load0:.1f} / {os.getloadavg()[0]:.1f}", "",
               f"on {os.cpu_count()} cores: above that, other work shared the CPU")
        found[eng] = (s["matches"], s["exposures_found"])
        peer = "issue: 15 s (DuckDB join)" if eng == "duckdb" else "issue: 77-93 s (PySpark local[2] join)"
        report(f"{eng}: {ROWS / 1e6:g} M rows x {s['exposures']['key_days']:,} key-days, wall", wall, "s", peer)
        report(f"{eng}: rows per second", ROWS / wall, "rows/s")
        report(f"{eng}: CPU time of the process tree", cpu, "s", "sampled every 0.2 s: load-independent, for sizing")
        report(f"{eng}: rows per CPU second", ROWS / cpu if cpu else 0.0, "rows/s/core",
               "start-up included (JVM, Python workers, derivation)")
        report(f"{eng}: peak memory (process tree)", peak / 2**20, "MiB")
        report(f"{eng}: matching slots strict / scored", f"{s['matches'].get('strict', 0)} / "
               f"{s['matches'].get('scored', 0)}", "", f"of {PLANTED} planted (some just outside the rules)")
    if len(found) == 2:
        report("DuckDB and Spark give the same counts", "yes" if len(set(map(repr, found.values()))) == 1 else "NO")
