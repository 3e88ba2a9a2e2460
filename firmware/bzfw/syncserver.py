# The token's side of the sync protocol: fed the bytes read from the serial console, returns the bytes to
# write back. Pure: the logstore, keystore, clock, secret and button come in through `ctx` (see the
# contract in firmware/README.md, "Sync protocol").
#
# Authentication (mutual, binds the session):
#   hello -> the token answers with a fresh 16-byte nonce Nt (a new hello drops any session)
#   auth  <- Nh (16 random bytes from the host) + HMAC(secret, "bz-auth-host" | Nt | Nh | token_id)
#         -> HMAC(secret, "bz-auth-token" | Nt | Nh): the host checks the token knows the secret too
#   both derive K = HMAC(secret, "bz-session" | Nt | Nh); from then on every frame in both directions
#   carries its payload encrypted (AES-128-CTR, bzfw/seal.py) and tag = HMAC(K, header + ciphertext)[:16],
#   and request seqs strictly increase (a seq that does not, a replayed or reordered frame, is refused; a
#   wrapped one ends the session: the station authenticates again). Nt is used once.
# Nothing of the session reaches the line in clear: log records, keys, provisioning, status, time.
# The secret never crosses the line (except in `provision`, where it is wrapped under K once authenticated).
# Failed proofs lock auth out for 1 s, 2 s, 4 s ... 64 s (ticks of ctx.clock), reset by a success.
# A request that repeats the previous one (same seq, cmd, payload: the host retransmits after a corrupted or
# lost response) is answered from a cache, so auth, confirm and wipe are never run twice.
import json
import os
import struct

from bzfw import seal, wire
from bzfw.clock import MAX_RATE_PPB as _MAX_RATE_PPB
from bzfw.compat import const
from bzfw.hmac256 import equal, hmac_sha256
from bzfw.logstore import write_atomic

FW_VERSION = "0.1.0"
CONFIRM_WINDOW_MS = const(30000)  # diagnosis export: the button must be pressed within this window
_LOCK_BASE_MS = const(1000)
_LOCK_MAX_MS = const(64000)
_WIPE_HORIZON = const(1000000)  # a day number past any real one: purge(that) removes everything
_DAY_MS = const(86400000)
_RECORD = const(24)  # bzfw.records.RECORD_SIZE: reads are whole records

# Commands that need an authenticated session (provision needs one only on a provisioned token).
_NEEDS_AUTH = (wire.TIME_SET, wire.LIST_DAYS, wire.READ, wire.CONFIRM, wire.WIPE, wire.KEYS, wire.BLE_SYNC)


def host_proof(secret, nt, nh, token_id):
    return hmac_sha256(secret, b"bz-auth-host" + nt + nh + token_id.encode())


def token_proof(secret, nt, nh):
    return hmac_sha256(secret, b"bz-auth-token" + nt + nh)


def session_key(secret, nt, nh):
    return hmac_sha256(secret, b"bz-session" + nt + nh)


def tag(key, data, more=None):
    return hmac_sha256(key, data, more)[:wire.TAG_LEN]


def seal_request(key, seq, cmd, payload=b""):
    """A session request as it goes on the line: payload encrypted, tag over the ciphertext (the station's
    side; bzfw.wire stays free of crypto)."""
    body = seal.Cipher(seal.enc_key(key)).xor(seal.REQUEST, seq, payload)
    t = tag(key, wire.header(wire.VERSION, wire.FLAG_MAC, seq, cmd, 0), body)
    return wire.encode(0, seq, cmd, 0, body, t)


def open_response(key, f):
    """The plaintext payload of a session response whose tag checks, else None."""
    if f.tag is None or not equal(tag(key, f.mac_input()), f.tag):
        return None
    return seal.Cipher(seal.enc_key(key)).xor(seal.RESPONSE, f.seq, f.payload)


def wrap_secret(key, secret):
    """The secret XORed with a pad only the two ends of an authenticated session know (involution)."""
    pad = hmac_sha256(key, b"bz-wrap")
    return bytes(a ^ b for a, b in zip(secret, pad))


# The reply buffers, made once at start-up and shared by the token's servers (serial and BLE): a payload
# buffer (a read's records are read straight into it and encrypted in place) and a frame buffer (the reply
# escaped straight into it). A sync then allocates no block of a reply's size, which a token's heap, with
# ~16 KB free in small holes after start-up, often cannot give (tests/test_sync_lowheap.py).
_POOL = []  # type: list  # [payload bytearray, frame bytearray, the server whose cached reply is in the frame]


def new_pool():
    """A set of reply buffers of its own: one per token. A token has one (the module's, _POOL); a host that
    serves several simulated tokens at once, each on its own thread, gives each its own, or one token's reply
    is overwritten by another's before it is written (it would carry the other's seq and never be seen)."""
    return [bytearray(wire.MAX_PAYLOAD), bytearray(2 * wire.MAX_BODY + 2), None]


def _pool():
    if not _POOL:
        _POOL.extend(new_pool())
    return _POOL


class _Refuse(Exception):
    def __init__(self, status, payload=b""):
        self.status = status
        self.payload = payload


class SyncServer:
    def __init__(self, ctx, urandom=None, pool=None):
        # `pool`: the reply buffers (new_pool()); None: the token's shared ones, as the serial and BLE servers
        # of one chip share them
        self.ctx = ctx
        self._rand = urandom or os.urandom
        self._dec = wire.Decoder()
        self._nonce = None
        self._key = None
        self._cipher = None  # seal.Cipher of the session
        self._seq = 0
        self._last_req = None
        self._last_rsp = b""
        self.failures = 0
        self._locked_at = 0
        self._lock_ms = 0
        self._lock_from_flash()
        self._confirm_at = None
        self.requests = 0
        self.plain_provision = True  # False on the BLE link: a first secret goes over the cable only
        self._pool = _pool() if pool is None else pool

    @property
    def authenticated(self):
        return self._key is not None

    @property
    def line_errors(self):
        return self._dec.bad

    def feed(self, data):
        """The bytes to write back: b"" for nothing, else a memoryview of the reply buffer (valid until
        the next feed of any server sharing that buffer) or bytes. Write them before feeding again."""
        out = None
        for f in self._dec.feed(data):
            if f.is_response():  # our own responses echoed back by a REPL: not for us
                continue
            a = self._answer(f)
            out = a if out is None else bytes(out) + bytes(a)  # one answer (the usual case) is not copied
        return b"" if out is None else out

    def _answer(self, f):
        self.requests += 1
        if f.ver != wire.VERSION:
            return wire.encode(wire.FLAG_RESPONSE, f.seq, f.cmd, wire.E_VERSION, bytes([wire.VERSION]))
        req = (f.seq, f.cmd, f.payload, f.tag)
        if req == self._last_req:
            return self._last_rsp
        authed = False
        pre = self._key
        pre_cipher = self._cipher
        if f.tag is not None and self._key is None:
            # A session frame with no session (a late retransmission of the last session's bye, a replay):
            # refused in clear, never run, so it cannot end the hello a new station is in.
            return wire.encode(wire.FLAG_RESPONSE, f.seq, f.cmd, wire.E_AUTH_REQUIRED, b"no session")
        if f.tag is not None and self._key is not None:
            hdr = wire.header(f.ver, f.flags, f.seq, f.cmd, f.status)
            if not equal(tag(self._key, hdr, f.payload), f.tag):
                return wire.encode(wire.FLAG_RESPONSE, f.seq, f.cmd, wire.E_AUTH_REQUIRED, b"bad tag")
            if f.seq <= self._seq:
                # A replayed or reordered request (its counter was used), or seqs that wrapped: never twice
                # under one key. Refused in clear; the station authenticates again (a new key).
                return wire.encode(wire.FLAG_RESPONSE, f.seq, f.cmd, wire.E_AUTH_REQUIRED, b"old seq")
            self._seq = f.seq
            f.payload = self._cipher.xor(seal.REQUEST, f.seq, f.payload)  # type: ignore[union-attr]
            authed = True
        try:
            if f.cmd in _NEEDS_AUTH and not authed:
                raise _Refuse(wire.E_AUTH_REQUIRED)
            status, payload = wire.OK, self._dispatch(f, authed)
        except _Refuse as r:
            status, payload = r.status, r.payload
        except (ValueError, KeyError, TypeError, AttributeError, IndexError) as e:
            status, payload = wire.E_BAD_REQUEST, str(e)[:80].encode()
        except Exception as e:  # flash trouble or a bug here: say so, never take the app down
            status, payload = wire.E_INTERNAL, ("%s %s" % (type(e).__name__, e))[:80].encode()
        # The session may have started (auth) or ended (hello, bye, wipe) in dispatch: an authenticated
        # request's answer is tagged with the key it came under.
        if authed:
            key, cipher = (self._key, self._cipher) if self._key is not None else (pre, pre_cipher)
        elif f.cmd == wire.AUTH:
            key, cipher = self._key, self._cipher
        else:
            key = cipher = None
        rsp = self._reply(f, status, payload, key, cipher)
        self._last_req = req
        self._last_rsp = rsp
        return rsp

    def _reply(self, f, status, payload, key, cipher=None):
        # Built in the shared buffers (_POOL): the payload is copied there unless a read put it there, then
        # encrypted in place; the tag is computed over its parts; the frame is escaped into the frame
        # buffer. Returns a memoryview of the frame, valid until the next reply.
        pool = self._pool
        pay, frame, owner = pool
        if owner is not None and owner is not self and type(owner._last_rsp) is memoryview:
            owner._last_rsp = bytes(owner._last_rsp)  # the other link's cached reply moves out first
        pool[2] = self
        if type(payload) is memoryview:  # already in the payload buffer (_read)
            n = len(payload)
        else:
            n = len(payload)
            if n > wire.MAX_PAYLOAD:
                raise ValueError("payload of %d bytes exceeds %d" % (n, wire.MAX_PAYLOAD))
            pay[:n] = payload
        t = None
        if key is not None:
            cipher.xor_into(seal.RESPONSE, f.seq, pay, 0, n)  # encrypt, then MAC the ciphertext
            flags = wire.FLAG_RESPONSE | wire.FLAG_MAC
            t = tag(key, wire.header(wire.VERSION, flags, f.seq, f.cmd, status), memoryview(pay)[:n])
        k = wire.encode_into(frame, wire.FLAG_RESPONSE, f.seq, f.cmd, status, pay, n, t)
        return memoryview(frame)[:k]

    def _dispatch(self, f, authed):
        c = f.cmd
        if c == wire.HELLO:
            return self._hello()
        if c == wire.AUTH:
            return self._auth(f.payload, f.seq)
        if c == wire.TIME_GET:
            return wire.pack_ms(self.ctx.clock.now_ms())
        if c == wire.STATUS:
            return json.dumps(self._status()).encode()
        if c == wire.TIME_SET:
            return self._time_set(f.payload)
        if c == wire.LIST_DAYS:
            ls = self.ctx.logstore
            return wire.pack_days([(d, ls.size(d), ls.confirmed(d)) for d in ls.days()])
        if c == wire.READ:
            return self._read(f.payload)
        if c == wire.CONFIRM:
            day, upto = wire.unpack_confirm(f.payload)
            ls = self.ctx.logstore
            if day not in ls.days() or upto > ls.size(day):
                raise _Refuse(wire.E_NO_DATA)
            ls.confirm(day, upto)
            return b""
        if c == wire.KEYS:
            return self._keys(f.payload)
        if c == wire.WIPE:
            return self._wipe(f.payload)
        if c == wire.PROVISION:
            return self._provision(f.payload, authed)
        if c == wire.BYE:
            self._end()
            return b""
        if c == wire.BLE_SYNC:  # the station turns BLE sync mode on (for ms) or off (0)
            fn = getattr(self.ctx, "ble_sync_mode", None)
            if fn is None:
                raise _Refuse(wire.E_STATE, b"this token has no BLE sync")
            return wire.pack_u32(fn(wire.unpack_u32(f.payload)))
        raise _Refuse(wire.E_UNKNOWN)

    def _end(self):
        self._key = None
        self._cipher = None
        self._nonce = None
        self._confirm_at = None

    def _token_id(self):
        cfg = self.ctx.config
        return (getattr(cfg, "token_id", None) if cfg is not None else None) or ""

    def _extent(self):
        ls = self.ctx.logstore
        days = ls.days()
        total = unconf = 0
        for d in days:
            s = ls.size(d)
            total += s
            unconf += s - ls.confirmed(d)
        return days, total, unconf

    def _hello(self):
        self._end()
        self._nonce = self._rand(wire.NONCE_LEN)
        try:
            self.ctx.request_sync_mode()
        except Exception:  # the app's business; never let it break the protocol
            pass
        days, total, unconf = self._extent()
        d = self._info([days[0], days[-1]] if days else [], total, unconf)
        d["nonce"] = _hex(self._nonce)
        return json.dumps(d).encode()

    def _info(self, days, total, unconf):
        """The fields hello and status share (hello's days: [first, last]; status's: how many)."""
        return {
            "proto": wire.VERSION,
            "fw": getattr(self.ctx, "fw_version", FW_VERSION),
            "token_id": self._token_id(),
            "provisioned": self.ctx.secret is not None,
            "now_ms": self.ctx.clock.now_ms(),
            "clock_set": self._clock_set(),
            "clock_rate_ppb": getattr(self.ctx.clock, "rate_ppb", None),
            "battery_mv": self.ctx.battery_mv(),
            "days": days,
            "log_bytes": total,
            "unconfirmed_bytes": unconf,
            "free_bytes": self.ctx.logstore.free_bytes(),
        }

    def _time_set(self, p):
        ms, rate = wire.unpack_time_set(p)
        clock = self.ctx.clock
        if rate is not None:  # checked before anything is set: a refused request changes nothing
            if not hasattr(clock, "set_rate_ppb"):
                raise _Refuse(wire.E_STATE, b"this token's clock takes no rate")
            if not -_MAX_RATE_PPB <= rate <= _MAX_RATE_PPB:
                raise ValueError("rate_ppb %d beyond +-%d" % (rate, _MAX_RATE_PPB))
        old = clock.now_ms()
        clock.set_ms(ms)
        if rate is not None:
            clock.set_rate_ppb(rate)  # re-anchored at the time just set: the reading does not jump
        return wire.pack_ms(old)

    def _clock_set(self):
        f = getattr(self.ctx.clock, "is_set", None)
        return bool(f()) if f else True

    def _status(self):
        days, total, unconf = self._extent()
        d = self._info(len(days), total, unconf)
        d["log_stats"] = dict(getattr(self.ctx.logstore, "stats", {}) or {})
        d["auth_failures"] = self.failures
        d["line_errors"] = self._dec.bad
        d["profile"] = getattr(self.ctx.config, "profile", None)
        d["config_error"] = getattr(self.ctx.config, "error", None)
        stats = getattr(self.ctx, "stats", None)
        if stats is not None:  # the app's counters (crowd, scan drops, checkpoint...): numbers only, no IDs
            d["counters"] = dict((k, v) for k, v in stats().items() if type(v) is int or type(v) is bool)
        return d

    def _auth(self, p, seq):
        clock = self.ctx.clock
        self._lock_from_flash()  # the other link's server (serial / BLE) may have failed meanwhile
        if self._lock_ms:
            left = self._lock_ms - clock.ticks_diff(clock.ticks_ms(), self._locked_at)
            if left > 0:
                raise _Refuse(wire.E_LOCKED, wire.pack_u32(left))
        if self.ctx.secret is None:
            raise _Refuse(wire.E_STATE, b"not provisioned")
        if self._nonce is None:
            raise _Refuse(wire.E_STATE, b"hello first")
        if len(p) != wire.NONCE_LEN + wire.PROOF_LEN:
            raise ValueError("auth payload is %d bytes" % (wire.NONCE_LEN + wire.PROOF_LEN))
        nt, self._nonce = self._nonce, None
        nh = bytes(p[:wire.NONCE_LEN])
        secret = self.ctx.secret
        if not equal(host_proof(secret, nt, nh, self._token_id()), bytes(p[wire.NONCE_LEN:])):
            self.failures += 1
            self._lock(self.failures, clock.ticks_ms())
            self._save_lock()
            raise _Refuse(wire.E_AUTH_FAILED, wire.pack_u32(self._lock_ms))
        if self.failures:
            self.failures = 0
            self._save_lock()
        self._lock_ms = 0
        self._key = session_key(secret, nt, nh)
        self._cipher = seal.Cipher(seal.enc_key(self._key))
        self._seq = seq  # tagged requests must come with later seqs
        return token_proof(secret, nt, nh)

    # -- the lockout outlives a reset: the failure count is on flash ---------------------------------
    # A reset (or pulling the battery) must not give a guesser a fresh start: the count of failed proofs
    # since the last success is kept in the file `authlock`, written at each failure and removed at a
    # success. After a start the wait for that count runs again in full from the boot (the RTC's ticks
    # restart), so a reset never shortens it. Both servers (serial, BLE) share the file.
    def _lock(self, n, at):
        self._lock_ms = _LOCK_BASE_MS << (n - 1) if n < 8 else _LOCK_MAX_MS
        self._locked_at = at

    def _lock_path(self):
        root = getattr(self.ctx, "fs_root", None)
        return None if root is None else root.rstrip("/") + "/authlock"

    def _lock_from_flash(self):
        path = self._lock_path()
        if path is None:
            return
        try:
            with open(path) as f:
                n = int(f.read())
        except (OSError, ValueError):
            return
        if n > self.failures:
            self.failures = n
            self._lock(n, self.ctx.clock.ticks_ms())

    def _save_lock(self):
        path = self._lock_path()
        if path is None:
            return
        try:
            if self.failures:
                write_atomic(path, str(self.failures).encode())
            else:
                os.remove(path)
        except OSError:  # flash trouble: the lock still holds in RAM
            pass

    def _read(self, p):
        day, off, n = wire.unpack_read(p)
        ls = self.ctx.logstore
        if day not in ls.days():
            raise _Refuse(wire.E_NO_DATA)
        size = ls.size(day)
        if off > size:
            raise _Refuse(wire.E_NO_DATA)
        n = min(n, wire.MAX_PAYLOAD - 4, size - off)
        n -= n % _RECORD
        buf = self._pool[0]  # the reply's payload buffer: the records go straight into it
        struct.pack_into("<I", buf, 0, size)
        got = ls.read_into(day, off, buf, 4, n) if n > 0 else 0
        return memoryview(buf)[:4 + got]

    def _keys(self, p):
        d0, d1 = wire.unpack_range(p)
        if d1 < d0 or d1 - d0 >= (wire.MAX_PAYLOAD // (4 + wire.KEY_LEN)):
            raise ValueError("day range %d..%d" % (d0, d1))
        clock = self.ctx.clock
        now = clock.ticks_ms()
        if self._confirm_at is None or clock.ticks_diff(now, self._confirm_at) >= CONFIRM_WINDOW_MS:
            # Open a window; a press from before it does not count.
            self.ctx.confirm_pressed()
            self._confirm_at = now
            raise _Refuse(wire.E_NEED_CONFIRM, wire.pack_u32(CONFIRM_WINDOW_MS))
        if not self.ctx.confirm_pressed():
            left = CONFIRM_WINDOW_MS - clock.ticks_diff(now, self._confirm_at)
            raise _Refuse(wire.E_NEED_CONFIRM, wire.pack_u32(left))
        self._confirm_at = None
        ks = self.ctx.keystore
        out = []
        for d in ks.days():
            if d0 <= d <= d1:
                k = ks.get(d)
                if k is not None:
                    out.append((d, k))
        return wire.pack_keys(out)

    def _wipe(self, p):
        what = _json_obj(p).get("what")
        if what not in ("logs", "all"):
            raise ValueError("wipe needs what: logs or all")
        _wipe_store(self.ctx.logstore)
        if what == "all":
            _wipe_store(self.ctx.keystore)
            for name in ("secret", "config.json"):
                try:
                    os.remove(self._path(name))
                except OSError:
                    pass
            self._reload({})
            self._end()
        return b""

    def _provision(self, p, authed):
        if self.ctx.secret is not None and not authed:
            raise _Refuse(wire.E_STATE, b"provisioned: authenticate first")
        if not authed and not self.plain_provision:
            # A first secret cannot be encrypted (no key is shared yet): never over the radio.
            raise _Refuse(wire.E_STATE, b"first provisioning over the USB cable only")
        d = _json_obj(p)
        tid = d["token_id"]
        secret = _unhex(d["secret"])
        if not isinstance(tid, str) or not tid or len(secret) != wire.KEY_LEN:
            raise ValueError("provision needs token_id and a 32-byte secret")
        if authed:
            secret = wrap_secret(self._key, secret)
        cfg = d.get("config") or {}
        if not isinstance(cfg, dict):
            raise ValueError("config must be an object")
        cfg = dict(cfg)
        cfg["token_id"] = tid
        from bzfw import config as _config

        c = _config.Config(cfg)
        if c.error:
            raise ValueError("config: " + c.error)
        write_atomic(self._path("config.json"), json.dumps(cfg).encode())
        write_atomic(self._path("secret"), secret)
        self._reload(cfg, secret)
        return b""

    def _path(self, name):
        return self.ctx.fs_root.rstrip("/") + "/" + name

    def _reload(self, cfg, secret=None):
        """The app re-reads /config.json and /secret when it can; else the ctx is updated here."""
        reload = getattr(self.ctx, "reload", None)
        if reload is not None:
            reload()
            return
        from bzfw import config as _config

        self.ctx.secret = secret
        self.ctx.config = _config.Config(cfg)


def _json_obj(p):
    d = json.loads(p)
    if not isinstance(d, dict):
        raise ValueError("expected a JSON object")
    return d


def _wipe_store(store):
    w = getattr(store, "wipe", None)
    if w is not None:
        w()
    else:
        store.purge(_WIPE_HORIZON)


def _hex(b):
    return "".join("%02x" % x for x in b)


def _unhex(s):
    if not isinstance(s, str) or len(s) % 2:
        raise ValueError("not hex")
    return bytes(int(s[i:i + 2], 16) for i in range(0, len(s), 2))
