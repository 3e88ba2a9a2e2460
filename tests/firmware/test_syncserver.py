# The token's sync server on the MicroPython unix port (LittleFS on a RAM block device) and on CPython:
# a station built here from the same wire helpers talks to it frame by frame.
import json
import os

from fwtest import eq
from ramblockdev import fresh_root

from bzfw import records, syncserver, wire
from bzfw.keystore import KeyStore
from bzfw.logstore import LogStore

DAY = 20415
R = records.RECORD_SIZE
SECRET = bytes(range(32))


class Clock:
    def __init__(self):
        self.ms = DAY * 86400000 + 3600000
        self.ticks = 0

    def now_ms(self):
        return self.ms

    def set_ms(self, ms):
        old = self.ms
        self.ms = ms
        return ms - old

    def is_set(self):
        return True

    def ticks_ms(self):
        return self.ticks

    def ticks_diff(self, a, b):
        return a - b


class Cfg:
    def __init__(self, token_id):
        self.token_id = token_id
        self.profile = "always-on"
        self.error = None


class Ctx:
    def __init__(self, secret=SECRET, token_id="BZT-1", blocks=64):
        root = fresh_root("tok", blocks)
        self.fs_root = root + "/"
        self.logstore = LogStore(root + "/log", 100000)
        self.keystore = KeyStore(root + "/keys", os.urandom)
        self.clock = Clock()
        self.config = Cfg(token_id)
        self.secret = secret
        self.board = None
        self.presses = 0

    def battery_mv(self):
        return 3700

    def confirm_pressed(self):
        if self.presses:
            self.presses -= 1
            return True
        return False

    def request_sync_mode(self):
        pass


def rec(i):
    t = DAY * 86400000 + 3600000 + i * 1000
    return records.encode(DAY, 4, 1, bytes((i & 0xFF,)) * 12, t, t, 1, -60, -60, -60)


class Station:
    def __init__(self, srv):
        self.srv = srv
        self.seq = 100
        self.key = None
        self.dec = wire.Decoder()

    def req(self, cmd, payload=b"", seq=None, raw=False):
        if seq is None:
            self.seq += 1
            seq = self.seq
        if self.key is not None:
            line = syncserver.seal_request(self.key, seq, cmd, payload)
        else:
            line = wire.encode(0, seq, cmd, 0, payload)
        out = self.srv.feed(line)
        fs = self.dec.feed(out)
        eq(len(fs), 1, "one answer")
        f = fs[0]
        eq((f.seq, f.cmd, f.is_response()), (seq, cmd, True), "echo")
        if self.key is not None and f.status != wire.E_AUTH_REQUIRED:
            clear = syncserver.open_response(self.key, f)
            eq(clear is not None, True, "answer tag")
            f.payload = clear
        return f

    def login(self, secret=SECRET, token_id="BZT-1"):
        import json

        nt = bytes.fromhex(json.loads(self.req(wire.HELLO).payload)["nonce"])
        nh = os.urandom(16)
        f = self.req(wire.AUTH, nh + syncserver.host_proof(secret, nt, nh, token_id))
        if f.status == wire.OK:
            key = syncserver.session_key(secret, nt, nh)
            eq(syncserver.open_response(key, f), syncserver.token_proof(secret, nt, nh), "token proof, encrypted")
            self.key = key
        return f


def test_read_confirm_after_auth():
    ctx = Ctx()
    ctx.logstore.append(DAY, [rec(i) for i in range(10)])
    st = Station(syncserver.SyncServer(ctx))
    eq(st.req(wire.READ, wire.pack_read(DAY, 0, 100)).status, wire.E_AUTH_REQUIRED, "refused before auth")
    eq(st.login().status, wire.OK, "auth")
    eq(wire.unpack_days(st.req(wire.LIST_DAYS).payload), [(DAY, 10 * R, 0)], "days")
    p = st.req(wire.READ, wire.pack_read(DAY, 2 * R, 3 * R)).payload
    eq((wire.unpack_u32(p), p[4:]), (10 * R, rec(2) + rec(3) + rec(4)), "chunk")
    eq(st.req(wire.CONFIRM, wire.pack_confirm(DAY, 5 * R)).status, wire.OK, "confirm")
    eq(ctx.logstore.confirmed(DAY), 5 * R, "persisted")
    eq(st.req(wire.CONFIRM, wire.pack_confirm(DAY, 11 * R)).status, wire.E_NO_DATA, "past the end")


def test_wrong_proof_locks_out_growing():
    ctx = Ctx()
    srv = syncserver.SyncServer(ctx)
    st = Station(srv)
    f = st.login(secret=b"\x01" * 32)
    eq((f.status, wire.unpack_u32(f.payload)), (wire.E_AUTH_FAILED, 1000), "first failure")
    eq(st.login().status, wire.E_LOCKED, "locked at once")
    ctx.clock.ticks += 1000
    eq(wire.unpack_u32(st.login(secret=b"\x01" * 32).payload), 2000, "second failure doubles")
    ctx.clock.ticks += 2000
    eq(st.login().status, wire.OK, "right secret after the wait")
    eq(srv.failures, 0, "reset")


def test_replayed_or_old_seq_refused():
    ctx = Ctx()
    st = Station(syncserver.SyncServer(ctx))
    st.login()
    eq(st.req(wire.TIME_SET, wire.pack_ms(ctx.clock.ms + 5000), seq=500).status, wire.OK, "set")
    # A counter used once is never used again under the session key: a frame reusing it (a replay, or a
    # reordered older one) is refused in clear and ends the session; the station authenticates again.
    f = st.req(wire.TIME_SET, wire.pack_ms(1), seq=500)
    eq((f.status, f.tag), (wire.E_AUTH_REQUIRED, None), "same seq, other payload")
    eq(ctx.clock.ms != 1, True, "not run")
    eq(st.req(wire.LIST_DAYS, seq=499).status, wire.E_AUTH_REQUIRED, "older seq")
    eq(st.req(wire.LIST_DAYS, seq=501).status, wire.OK, "the next seq still works (the key did not change)")


def test_payloads_are_encrypted_both_ways():
    ctx = Ctx()
    ctx.logstore.append(DAY, [rec(i) for i in range(10)])
    srv = syncserver.SyncServer(ctx)
    st = Station(srv)
    st.login()
    st.seq += 1
    line = syncserver.seal_request(st.key, st.seq, wire.READ, wire.pack_read(DAY, 0, 240))
    eq(line.find(wire.escape(wire.pack_read(DAY, 0, 240))[1:-1]) < 0, True, "request payload not in clear")
    out = srv.feed(line)
    (f,) = wire.Decoder().feed(out)
    for i in range(10):
        eq(f.payload.find(rec(i)[:12]) < 0, True, "no contact ID in clear")
    clear = syncserver.open_response(st.key, f)
    eq(clear[4:], b"".join(rec(i) for i in range(10)), "decrypts to the records")
    flipped = bytearray(out)
    flipped[10] ^= 1  # a bit of the ciphertext (CRC fixed): the tag fails
    body = wire.unescape(bytes(flipped[1:-1]))
    if body is not None:
        import binascii
        import struct

        b2 = bytes(body[:-4])
        f2 = wire.parse_body(b2 + struct.pack("<I", binascii.crc32(b2) & 0xFFFFFFFF))
        if f2 is not None:
            eq(syncserver.open_response(st.key, f2), None, "tampered ciphertext refused")


def test_same_frame_twice_runs_once():
    ctx = Ctx()
    srv = syncserver.SyncServer(ctx)
    st = Station(srv)
    st.login()
    st.seq += 1
    line = syncserver.seal_request(st.key, st.seq, wire.TIME_SET, wire.pack_ms(ctx.clock.ms + 60000))
    first = bytes(srv.feed(line))
    t1 = ctx.clock.ms
    second = bytes(srv.feed(line))
    eq(second, first, "cached answer, byte for byte")
    eq(ctx.clock.ms, t1, "clock set once")


def test_version_and_garbage():
    srv = syncserver.SyncServer(Ctx())
    out = srv.feed(b"\r\n>>> print(1)\r\n\x03" + wire.encode(0, 9, wire.HELLO, ver=7))
    f = wire.Decoder().feed(out)[0]
    eq((f.ver, f.status, f.payload), (wire.VERSION, wire.E_VERSION, bytes([wire.VERSION])), "version answer")
    eq(srv.feed(wire.encode(wire.FLAG_RESPONSE, 9, wire.HELLO)), b"", "echoed responses ignored")


def test_keys_need_the_button():
    ctx = Ctx()
    k = ctx.keystore.key_for(DAY)
    st = Station(syncserver.SyncServer(ctx))
    st.login()
    eq(st.req(wire.KEYS, wire.pack_range(DAY - 3, DAY)).status, wire.E_NEED_CONFIRM, "window opened")
    eq(st.req(wire.KEYS, wire.pack_range(DAY - 3, DAY)).status, wire.E_NEED_CONFIRM, "not pressed yet")
    ctx.presses = 1
    f = st.req(wire.KEYS, wire.pack_range(DAY - 3, DAY))
    eq(wire.unpack_keys(f.payload), [(DAY, k)], "keys")


def test_provision_unprovisioned_token():
    import json

    ctx = Ctx(secret=None, token_id=None)
    st = Station(syncserver.SyncServer(ctx))
    body = {"token_id": "BZT-9", "secret": "".join(f"{b:02x}" for b in SECRET), "config": {"profile": "eco"}}
    eq(st.req(wire.PROVISION, json.dumps(body).encode()).status, wire.OK, "provisioned")
    eq(ctx.secret, SECRET, "secret")
    with open(ctx.fs_root + "secret", "rb") as f:
        eq(f.read(), SECRET, "on flash")
    eq(st.req(wire.PROVISION, json.dumps(body).encode()).status, wire.E_STATE, "not again without auth")
    eq(st.login(token_id="BZT-9").status, wire.OK, "auth with the new secret")


def test_status_carries_the_app_counters():
    # the real App as the server's ctx (tests/firmware/test_app.py's stand-in token)
    from test_app import T0, SCAN_ALWAYS, Tok

    k = Tok(T0 + 60000, config=SCAN_ALWAYS, sync=lambda app: syncserver.SyncServer(app))
    k.run_until(T0 + 61000)
    k.app.save_checkpoint()
    out = k.app.sync.feed(wire.encode(0, 7, wire.STATUS, 0, b""))  # answered without a session
    f = wire.Decoder().feed(out)[0]
    eq(f.status, wire.OK, "status answered")
    eq(len(f.payload) < wire.MAX_PAYLOAD, True, "fits one frame")
    c = json.loads(f.payload)["counters"]
    for name in ("crowd_refused", "crowd_shed", "agg_lost", "dropped", "ckpt_writes", "sightings"):
        eq(name in c, True, name + " in the status")
    eq(c["ckpt_writes"], 1, "the app's own count")
    eq("adv_id" in c, False, "numbers only, no IDs")


def test_lockout_survives_a_reset():
    ctx = Ctx()
    st = Station(syncserver.SyncServer(ctx))
    eq(st.login(secret=b"\x01" * 32).status, wire.E_AUTH_FAILED, "wrong secret")
    eq(st.login(secret=b"\x01" * 32).status, wire.E_LOCKED, "locked")
    ctx.clock.ticks = 0  # a reset: the ticks restart, RAM is gone
    st = Station(syncserver.SyncServer(ctx))
    f = st.login()
    eq(f.status, wire.E_LOCKED, "still locked after the reset, even with the right secret")
    eq(wire.unpack_u32(f.payload), 1000, "the whole wait again")
    ctx.clock.ticks += 1000
    eq(st.login().status, wire.OK, "after the wait")
    st2 = Station(syncserver.SyncServer(ctx))
    eq(st2.login().status, wire.OK, "a success cleared it on flash too")


def test_time_set_with_a_rate_disciplines_the_clock():
    # the real bzfw.clock on a fake RTC whose raw count runs 5000 ppm fast
    from devfakes import FakeRTC, FakeTime

    from bzfw.clock import Clock as RtcClock

    ctx = Ctx()
    tm = FakeTime()
    ctx.clock = RtcClock(FakeRTC(tm), tm)
    t = DAY * 86400000
    ctx.clock.set_ms(t)
    st = Station(syncserver.SyncServer(ctx))
    eq(json.loads(st.req(wire.HELLO).payload)["clock_rate_ppb"], 0, "hello reports the rate in force")
    st.login()
    tm.advance(3600000 + 18000)  # an hour, counted 18 s long
    t += 3600000
    eq(st.req(wire.TIME_SET, wire.pack_time_set(t, 5000000)).status, wire.OK, "time and rate")
    eq(ctx.clock.now_ms(), t, "set")
    tm.advance(3600000 + 18000)  # another hour of the same clock
    t += 3600000
    eq(abs(ctx.clock.now_ms() - t) <= 1, True, "corrected: %d ms off" % (ctx.clock.now_ms() - t))
    eq(json.loads(st.req(wire.STATUS).payload)["clock_rate_ppb"], 5000000, "status reports it")
    # a malformed rate field, or a rate beyond 5 %: refused, nothing set (time nor rate)
    before = ctx.clock.now_ms()
    for bad in (wire.pack_ms(t + 9000) + b"\x01\x02", wire.pack_time_set(t + 9000, 60000000),
                wire.pack_time_set(t + 9000, -60000000)):
        f = st.req(wire.TIME_SET, bad)
        eq(f.status, wire.E_BAD_REQUEST, "refused")
        eq(len(f.payload) > 0, True, "says why")
    eq((abs(ctx.clock.now_ms() - before) <= 1, ctx.clock.rate_ppb), (True, 5000000), "unchanged")
    eq(st.req(wire.TIME_SET, wire.pack_ms(t + 9000)).status, wire.OK, "the time-only form keeps the rate")
    eq(ctx.clock.rate_ppb, 5000000, "kept")


def test_a_clock_without_rate_refuses_one():
    ctx = Ctx()  # the plain Clock above has no set_rate_ppb
    st = Station(syncserver.SyncServer(ctx))
    eq("clock_rate_ppb" in json.loads(st.req(wire.HELLO).payload), True, "key present")
    st.login()
    t = ctx.clock.ms
    f = st.req(wire.TIME_SET, wire.pack_time_set(t + 5000, 1000))
    eq(f.status, wire.E_STATE, "no rate on this clock")
    eq(ctx.clock.ms, t, "nothing set")
