"""Station: tokens synced at once (plug-in to synced), re-matching after a sync, the page's state call."""

import http.client
import json
import os
import tempfile
import threading
import time
from pathlib import Path

from bzfw import ids, records
from host_tools.match.exposures import keys_to_push_entries
from host_tools.station.server import serve
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
        httpd = serve(st, "127.0.0.1", 0)
        th = threading.Thread(target=httpd.serve_forever, daemon=True)
        th.start()
        port = httpd.server_address[1]
        c = http.client.HTTPConnection("127.0.0.1", port)
        c.request("POST", "/api/login", json.dumps({"who": "bench", "passphrase": PW}),
                  {"Content-Type": "application/json"})
        r = c.getresponse()
        cookie = r.getheader("Set-Cookie").split(";")[0]
        r.read()
        k = 20
        t2 = time.perf_counter()
        for _ in range(k):
            c.request("GET", "/api/state", headers={"Cookie": cookie})
            c.getresponse().read()
        report(f"GET /api/state ({n} tokens), mean of {k}", (time.perf_counter() - t2) / k * 1000, "ms")
        c.close()
        httpd.shutdown()
        httpd.server_close()
    finally:
        st.stop()
        for t in toks:
            t.close()


def run(report) -> None:
    with tempfile.TemporaryDirectory(prefix="bzstation-") as d:
        for n in (1, 4, 8):
            _round(n, report, Path(d))
