"""A listener on the line learns nothing: a passive capture of whole syncs (every byte the station wrote and
read: over the pty, and the payloads of every ATT write and notification over BLE on bumble) holds no log
record, contact ID, daily key or secret, in any encoding, while the station got all of them."""

import base64
import os
import time

from bzfw import ids, records, wire
from host_tools.stationdb import StationDB
from host_tools.sync.client import SyncClient
from host_tools.sync.ptytoken import PtyToken, SimClock, TokenCtx
from host_tools.sync.pull import pull
from host_tools.sync.transport import FaultyTransport, SerialTransport

TID = "BZT-0077"
SECRET = bytes(range(100, 132))
NEW_SECRET = bytes(range(200, 232))


class Capture(FaultyTransport):
    """A pass-through transport that keeps every byte both ways (what a sniffer on the link records)."""

    def __init__(self, inner):
        super().__init__(inner)
        self.out = bytearray()
        self.inn = bytearray()

    def write(self, data: bytes) -> None:
        self.out += data
        super().write(data)

    def read(self, timeout: float) -> bytes:
        data = super().read(timeout)
        self.inn += data
        return data


def _encodings(s: bytes) -> list[bytes]:
    return [s, s.hex().encode(), s.hex().upper().encode(), base64.b64encode(s), base64.urlsafe_b64encode(s),
            wire.escape(s)[1:-1], bytes(reversed(s))]


def _assert_nothing_leaks(cap: Capture, secrets: list[bytes]) -> None:
    streams = [bytes(cap.out), bytes(cap.inn)]
    # the payloads as a receiver unescapes them, too
    for st in list(streams):
        streams.append(b"".join(f.payload for f in wire.Decoder().feed(st)))
    for s in secrets:
        for enc in _encodings(s):
            for st in streams:
                assert enc not in st, f"{s.hex()} on the line as {enc[:40]!r}"


def _fill(ctx, days=2, per_day=200):
    today = ids.day_of(ctx.clock.now_ms())
    recs, cids = [], []
    for dd in range(today - days + 1, today + 1):
        batch = []
        for i in range(per_day):
            cid = os.urandom(12)
            first = dd * ids.DAY_MS + (i % 96) * ids.SLOT_MS
            batch.append(records.encode(dd, i % 96, 1, cid, first, first + 1000, 3, -80, -60, -70))
            cids.append(cid)
        ctx.logstore.append(dd, batch)
        recs += batch
    keys = [ctx.keystore.key_for(d) for d in range(today - days + 1, today + 1)]
    return recs, cids, keys


def test_a_serial_sync_on_the_pty_shows_a_listener_nothing(tmp_path):
    ctx = TokenCtx(str(tmp_path / "token"), TID, SECRET, SimClock())
    recs, cids, keys = _fill(ctx)
    today = ids.day_of(ctx.clock.now_ms())
    with PtyToken(ctx) as tok, StationDB(tmp_path / "st.db") as db:
        cap = Capture(SerialTransport(tok.port))
        c = SyncClient(cap, timeout=1.0)
        s = pull(c, db, lambda tid: SECRET)
        assert s["records"] == len(recs)
        c.login(SECRET)
        st = c.status()
        assert st["token_id"] == TID
        ctx.presses = 2  # the wearer's press confirms the diagnosis export
        got = c.keys(today - 5, today)
        assert sorted(k for _d, k in got) == sorted(keys)
        c.provision(TID, NEW_SECRET)  # a re-provision: the new secret travels in the session
        assert ctx.secret == NEW_SECRET
    assert {bytes(r["contact_id"]) for r in db_rows(tmp_path)} == set(cids)
    assert len(cap.inn) > len(recs) * records.RECORD_SIZE
    _assert_nothing_leaks(cap, recs + cids + keys + [SECRET, NEW_SECRET])


def db_rows(tmp_path):
    with StationDB(tmp_path / "st.db") as db:
        return db.encounters(TID)


def test_a_ble_sync_on_bumble_shows_a_listener_nothing(tmp_path):
    from blesim.bleakbackend import backends
    from blesim.token import SimToken
    from blesim.world import World

    from host_tools import ble
    from host_tools.ble.scan import scan_tokens
    from host_tools.ble.transport import BleTransport

    world = World()
    try:
        mid = (time.time_ns() // 1_000_000 // ids.SLOT_MS) * ids.SLOT_MS + ids.SLOT_MS // 2
        tok = SimToken(world, clock_ms=mid, secret=SECRET, config={"profile": "always-on", "long_press_ms": 500})
        recs, cids, keys = _fill(tok.app, days=1, per_day=150)
        c, s = backends(world, position=(0.5, 0.0))
        ble.set_backends(c, s)
        try:
            with tok:
                tok.hold_until_syncing()
                addr = scan_tokens(0.5)[0]["address"]
                cap = Capture(BleTransport(addr))
                with StationDB(tmp_path / "st.db") as db:
                    pull(SyncClient(cap, timeout=1.0), db, lambda _t: SECRET)
                    got = {bytes(r["contact_id"]) for r in db.encounters()}
        finally:
            ble.set_backends(None, None)
    finally:
        world.close()
    assert set(cids) <= got
    _assert_nothing_leaks(cap, recs + cids + keys + [SECRET])
