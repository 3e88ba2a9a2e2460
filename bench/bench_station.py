"""Station: tokens synced at once (plug-in to synced), matches up to date after a burst of 1,000 syncs.

(a) 1, 4 and 8 tokens on pseudo-terminals (the real sync protocol) synced at once: plug-in to all synced; then
    the full re-match (host_tools.station.matcher, in its worker process).
(b) A burst: BURST tokens' logs (VIRTUAL_RECORDS encounters each, about a day of a virtual token at a busy
    place) stored by 8 sync threads at once, as the station's sync workers store a pull, each followed by the
    matcher's poke; a 200-entry list matched before. Figure: from the last sync's end to the matches being up to
    date (goal 2 s), and the matcher's work per token for several burst sizes (linear: the same per token).
The page's state call under load is bench_station_http's.
"""

import json
import os
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bzfw import ids, records
from host_tools.match.exposures import keys_to_push_entries
from host_tools.station.service import Station
from host_tools.sync.ptytoken import PtyToken, TokenCtx
from provisioning.registry import Registry

PW = "bench station passphrase"
PER_DAY = 2560  # a busy wearer's day (bench_sync): 40 contacts in each of 64 slots
DAYS = 3


def _fill(ctx: TokenCtx, today: int) -> None:
    for dd in range(today - DAYS + 1, today + 1):
        recs = []
        for i in range(PER_DAY):
            slot = 24 + i // 40
            first = dd * ids.DAY_MS + slot * ids.SLOT_MS + (i * 7 % 600) * 1000
            recs.append(records.encode(dd, slot, 1, os.urandom(12), first, first + 60_000, 4, -80, -60, -70))
        ctx.logstore.append(dd, recs)


def _round(n: int, report, tmp: Path) -> None:
    db = tmp / f"s{n}.db"
    today = ids.day_of(int(time.time() * 1000))
    toks = []
    with Registry(db, PW, kdf_n=2**10) as reg:
        for i in range(n):
            tid, secret = f"BZ-BENCH-{n:02d}{i:02d}", os.urandom(32)
            reg.add_token(tid, secret, reg.add_wearer(f"W {n}.{i}"), None, "always-on")
            reg.mark_provisioned(tid)
            ctx = TokenCtx(str(tmp / f"t{n}-{i}"), tid, secret)
            _fill(ctx, today)
            toks.append(PtyToken(ctx))
    # a list of 200 people, one of whom met everyone
    lst = keys_to_push_entries([(today, os.urandom(32))])
    for k in range(199):
        lst["data"].append(keys_to_push_entries([(today - k % 14, os.urandom(32))])["data"][0])
    (tmp / f"lists{n}").mkdir()
    (tmp / f"lists{n}" / "f0.json").write_text(json.dumps(lst))
    st = Station(db, PW, extra_ports=[t.port for t in toks], usb=False, poll_s=0.05, serial_timeout=2.0,
                 exposures_dir=tmp / f"lists{n}", auto_sync=True)
    st.scan_exposure_folder()
    t0 = time.perf_counter()
    st.start()
    try:
        while True:
            views = st.port_views()
            if len(views) == n and all(v["state"] in ("synced", "failed") for v in views):
                break
            time.sleep(0.02)
        dt = time.perf_counter() - t0
        failed = sum(v["state"] == "failed" for v in views)
        recs = n * DAYS * PER_DAY
        report(f"{n} token(s) x {DAYS * PER_DAY} records: plug-in to all synced", dt, "s",
               f"{recs / dt:,.0f} records/s in all" + (f"; {failed} FAILED" if failed else ""))
        t1 = time.perf_counter()
        st.recompute_matches()
        report(f"re-match {len(lst['data'])} list entries x {recs} records", time.perf_counter() - t1, "s")
    finally:
        st.stop()
        for t in toks:
            t.close()


VIRTUAL_RECORDS = 1000
BURSTS = (250, 1000)
GOAL_UP_TO_DATE_S = 2.0


def _virtual_log(token: str, day: int, seed: int, keys: list[bytes]) -> list[dict]:
    """A token's pulled rows: VIRTUAL_RECORDS encounters over a day, a few of them with a listed key's ID."""
    import random

    rng = random.Random(seed)
    rows = []
    for i in range(VIRTUAL_RECORDS):
        slot = 24 + i * 64 // VIRTUAL_RECORDS
        first = day * ids.DAY_MS + slot * ids.SLOT_MS + rng.randrange(600_000)
        cid = ids.slot_id(keys[rng.randrange(len(keys))], slot) if i % 100 == 0 else rng.randbytes(12)
        rows.append({"token_id": token, "day": day, "file_offset": i * 24, "contact_id": cid, "kind": 1,
                     "slot": slot, "first_seen_ms": first, "last_seen_ms": first + 120_000,
                     "raw_first_seen_ms": first, "raw_last_seen_ms": first + 120_000, "correction_ms": 0,
                     "count": 4, "rssi_min": -80, "rssi_max": -55, "rssi_mean": -62, "pull_id": 0})
    return rows


def _burst(n: int, report, tmp: Path) -> float:
    from host_tools.stationdb import StationDB

    db = tmp / f"burst{n}.db"
    today = ids.day_of(int(time.time() * 1000))
    with Registry(db, PW, kdf_n=2**10) as reg:
        for i in range(n):
            tid = f"BZ-BURST-{i:05d}"
            reg.add_token(tid, os.urandom(32), reg.add_wearer(f"W {i}"), None, "always-on")
    keys = [os.urandom(32) for _ in range(200)]
    lists = tmp / f"lists-burst{n}"
    lists.mkdir()
    (lists / "f0.json").write_text(json.dumps({"data": [keys_to_push_entries([(today, k)])["data"][0]
                                                         for k in keys]}))
    st = Station(db, PW, usb=False, auto_sync=False, exposures_dir=lists)
    batches: list[dict] = []
    st.matcher.on_result = lambda res, err: batches.append(res or {"error": err})
    try:
        st.scan_exposure_folder()
        st.recompute_matches()  # the list is matched (against nothing yet): the burst is pulls only
        batches.clear()
        last = {"t": 0.0, "ticket": -1}
        lock = threading.Lock()

        def sync(i: int) -> None:
            tid = f"BZ-BURST-{i:05d}"
            rows = _virtual_log(tid, today, i, keys)
            with StationDB(db) as sdb:
                sdb.store_pull({"token_id": tid, "started_ms": 0, "finished_ms": 1, "status": "complete"}, rows)
            t = st.matcher.poke()
            with lock:
                last["t"], last["ticket"] = time.perf_counter(), max(last["ticket"], t)

        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=8) as ex:
            list(ex.map(sync, range(n)))
        t_synced = time.perf_counter()
        assert st.matcher.wait(last["ticket"], 600), "the matcher did not finish"
        t_done = time.perf_counter()
        lag = t_done - last["t"]
        work = sum(b.get("seconds", 0.0) for b in batches)
        from host_tools.station import store

        shown = len(store.matches(db))
        report(f"(b) burst of {n:,} syncs x {VIRTUAL_RECORDS:,} records: all stored in", t_synced - t0, "s",
               f"{n * VIRTUAL_RECORDS / (t_synced - t0):,.0f} records/s through the store, 8 sync threads")
        report(f"(b) {n:,} syncs: matches up to date after the last sync", lag, "s",
               f"goal {GOAL_UP_TO_DATE_S} s: {'met' if lag <= GOAL_UP_TO_DATE_S else 'NOT met'}; "
               f"{len(batches)} batches for {n:,} pokes, {shown:,} matches shown")
        report(f"(b) {n:,} syncs: matcher work per token", work / n * 1000, "ms",
               f"{work:.2f} s in all (linear in tokens when this stays flat across burst sizes)")
        return work / n
    finally:
        st.stop()


def run(report) -> None:
    with tempfile.TemporaryDirectory(prefix="bzstation-") as d:
        for n in (1, 4, 8):
            _round(n, report, Path(d))
        per = [_burst(n, report, Path(d)) for n in BURSTS]
        ratio = per[-1] / per[0] if per[0] else 0.0
        report(f"(b) matcher work per token, {BURSTS[-1]:,} vs {BURSTS[0]:,} tokens", ratio, "x",
               "1.0 = linear in tokens (an O(N^2) re-match would be about "
               f"{BURSTS[-1] / BURSTS[0]:.0f}x)")
