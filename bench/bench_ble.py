"""BLE sync: pull throughput over the virtual link (bumble) against the ATT MTU, and the on-air time the same
bytes need at 1M PHY from the Bluetooth timing.

The virtual link has no radio timing: its figures are CPU speed (the firmware's main loop, the GATT server,
bleak, the sync client and SQLite, all in this process), not BLE speed. The on-air estimate takes the exact
notifications and requests the pull produced and applies the link layer's timing:
- 1M PHY, 8 us per byte; an LL data PDU is preamble 1 + access address 4 + header 2 + payload + CRC 3 bytes
  (no MIC: the sync protocol authenticates itself, the link is not encrypted);
- a notification is L2CAP 4 + ATT 3 + value bytes of LL payload, fragmented into PDUs of 27 bytes of payload
  without Data Length Extension, 251 with it (an ESP32 with NimBLE and current phones/laptops do DLE);
- each data PDU from the token is paired with the central's (empty, 10-byte) PDU and two T_IFS of 150 us;
- a connection event carries at most P PDU pairs and must fit the connection interval; stated per row
  (P = 4 is a cautious figure for phone/laptop controllers, 6 for a good one);
- every request waits for its answer: the request goes in one event, the answer starts in the next, so each
  round trip costs 2 connection intervals on top of the data (conservative; fast controllers answer in 1)."""

import os
import sys
import tempfile
import time
from pathlib import Path

from bzfw import records

ROOT = Path(__file__).resolve().parent.parent
RECORDS = 2560  # one busy day (bench_sync's wearer: 40 contacts in each of 64 waking slots)
SECRET = bytes(range(32))
MTUS = (23, 64, 128, 185, 247, 517)
US_PER_BYTE = 8  # 1M PHY
T_IFS = 150
EMPTY_PDU_US = 10 * US_PER_BYTE
PDU_OVERHEAD = 1 + 4 + 2 + 3  # preamble, access address, header, CRC


def _pdu_us(payload: int) -> int:
    return (PDU_OVERHEAD + payload) * US_PER_BYTE


def _ll_pdus(value_len: int, dle: bool) -> list[int]:
    """LL payload sizes carrying one ATT notification / write of value_len bytes."""
    total = 4 + 3 + value_len
    cap = 251 if dle else 27
    return [min(cap, total - i) for i in range(0, total, cap)]


def air_time_s(values: list[int], requests: list[int], interval_ms: float, per_event: int, dle: bool) -> float:
    """Seconds on air for notifications of these value sizes plus these request writes (see the docstring)."""
    pdus = [p for v in values for p in _ll_pdus(v, dle)] + [p for r in requests for p in _ll_pdus(r, dle)]
    iv_us = interval_ms * 1000
    t = 0.0
    events = 0
    used = 0.0
    in_event = 0
    for p in pdus:
        pair = _pdu_us(p) + T_IFS + EMPTY_PDU_US + T_IFS
        if in_event >= per_event or used + pair > iv_us:
            events += 1
            used, in_event = 0.0, 0
        used += pair
        in_event += 1
    events += 1 if in_event else 0
    t = events * iv_us + 2 * len(requests) * iv_us
    return t / 1e6


def _seed(tok) -> None:
    now = time.time_ns() // 1_000_000
    day = now // 86_400_000
    base = day * 86_400_000
    recs = [records.encode(day, 24 + i // 40, 1, os.urandom(12), base + (24 + i // 40) * 900_000 + i % 40 * 1000,
                           base + (24 + i // 40) * 900_000 + i % 40 * 1000 + 60_000, 3, -80, -60, -70)
            for i in range(RECORDS)]
    tok.app.logstore.append(day, recs)


class _Tap:
    """Wraps the BLE shim's notify and the host's writes to record every ATT value size."""

    def __init__(self, tok, transport):
        self.values: list[int] = []
        self.requests: list[int] = []
        real_notify = tok.ble.gatts_notify

        def notify(conn, h, data=None):
            real_notify(conn, h, data)
            self.values.append(len(data))

        tok.ble.gatts_notify = notify
        real_write = transport.write
        n = max(20, transport.mtu - 3)

        def write(data: bytes) -> None:
            self.requests += [len(data[i:i + n]) for i in range(0, len(data), n)]
            real_write(data)

        transport.write = write


def run(report) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        import bumble  # noqa: F401  (the virtual link; a test dependency)
    except ImportError:
        report("skipped: the virtual link needs bumble", "-", "", "pip install -e '.[test]'")
        return
    from blesim.bleakbackend import backends
    from blesim.token import SimToken
    from blesim.world import World

    from host_tools.ble.transport import BleTransport
    from host_tools.errors import LinkError
    from host_tools.stationdb import StationDB
    from host_tools.sync.client import SyncClient
    from host_tools.sync.pull import pull

    report("records pulled per run (one busy day)", RECORDS, "records", f"{RECORDS * records.RECORD_SIZE:,} B")
    results = {}
    for mtu in MTUS:
        with World() as world:
            client_cls, _scanner = backends(world)
            tok = SimToken(world, clock_ms=time.time_ns() // 1_000_000, secret=SECRET, mtu=mtu,
                           config={"scan_period_ms": 3600000, "scan_window_ms": 100})
            _seed(tok)
            with tok, tempfile.TemporaryDirectory() as d, StationDB(Path(d) / "st.db") as db:
                tok.app.gatt.enter()
                # connectable once its sync-mode advert is up: wait for that rather than a fixed time (on a
                # loaded machine 0.3 s was not always enough: "no connectable device")
                tok.wait_for(lambda t=tok: t.app.gatt.conn is None and t.app.radio.sync_resp is not None,
                             timeout=30, what="the sync-mode advert")
                addr = ":".join(f"{x:02X}" for x in tok.app.radio.addr)
                for attempt in range(3):  # a connect lost to load is retried; a pull resumes where it stopped
                    tr = BleTransport(addr, backend=client_cls)
                    tap = _Tap(tok, tr)
                    t0 = time.perf_counter()
                    try:
                        s = pull(SyncClient(tr, timeout=2.0), db, lambda _t: SECRET)
                        break
                    except LinkError:
                        tr.close()
                        if attempt == 2:
                            raise
                        tok.wait_for(lambda t=tok: t.app.gatt.conn is None and t.app.radio.sync_resp is not None,
                                     timeout=30, what="the sync-mode advert again")
                dt = time.perf_counter() - t0
                tr.close()
                assert s["records"] == RECORDS, s  # a broken run must not print a figure
                results[mtu] = (dt, tap.values, tap.requests, tok.app.gatt.stats["ble_tx_retries"], tr.mtu)
        dt, values, reqs, retries, neg = results[mtu]
        report(f"virtual link, MTU {mtu} (negotiated {neg}): pull", dt, "s",
               f"{RECORDS * records.RECORD_SIZE / dt / 1024:,.0f} KiB/s CPU-bound; {len(values):,} notifications, "
               f"{len(reqs)} request writes, {retries} stack-full retries")
    for mtu in MTUS:
        _dt, values, reqs, _r, _neg = results[mtu]
        payload = sum(values)
        for iv, ppe, dle in ((30.0, 4, False), (30.0, 4, True), (30.0, 6, True), (7.5, 6, True)):
            t = air_time_s(values, reqs, iv, ppe, dle)
            report(f"on air, MTU {mtu}, interval {iv:g} ms, {ppe} PDUs/event, DLE {'on' if dle else 'off'}",
                   t, "s", f"{payload / t / 1024:,.1f} KiB/s of responses")
    report("assumed: 1M PHY, no encryption, T_IFS", T_IFS, "us", "2 intervals per request round trip")
