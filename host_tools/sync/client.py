"""The station's client of the sync protocol (bzfw.wire), written on a Transport's two primitives.

Each request waits `timeout` seconds for its response and is sent again (same seq, so the token answers
from its cache and never runs a command twice) up to `retries` times; corrupted frames are dropped by the
codec and count as a lost response. After `auth` every frame both ways carries its payload encrypted and a
session tag over the ciphertext (bzfw/seal.py); a response with a bad or missing tag is treated as corrupted.
A token that rebooted (or a session otherwise lost)
answers E_AUTH_REQUIRED: that raises SessionLost, which the pull handles by authenticating again.

A token that sleeps (eco profile) is reached by the session's first `hello`, retried for `wake_wait` seconds
(host_tools.sync.wake): a port that goes away meanwhile (native USB while the chip deep-sleeps) is reopened."""

import hmac
import json
import os
import time
from collections.abc import Callable

from bzfw import syncserver, wire
from host_tools.errors import AuthError, BzError, LinkError
from host_tools.sync.transport import Transport

WaitFn = Callable[[float, float, str], None]
REOPEN_POLL_S = 0.25  # how often a vanished port is looked for again


class ProtocolError(BzError):
    """The token answered something that does not follow the protocol (or an older/newer one)."""


class SessionLost(BzError):
    """The token no longer knows our session (it rebooted): authenticate again."""


class NoAnswer(LinkError):
    """The link is there but the token did not answer (asleep, busy booting, not running its firmware)."""


class Refused(BzError):
    def __init__(self, cmd: int, status: int, payload: bytes):
        what = wire.STATUS_NAMES.get(status, f"status {status}")
        detail = payload.decode("ascii", "replace") if payload and payload.isascii() and len(payload) > 4 else ""
        super().__init__(f"token refused {wire.NAMES.get(cmd, cmd)}: {what}" + (f" ({detail})" if detail else ""))
        self.cmd, self.status, self.payload = cmd, status, payload


def _version_error(theirs: int) -> ProtocolError:
    ours = wire.VERSION
    # deploy keeps the token's logs, keys and secret; flash would erase them
    hint = ("update the token's application: bztoken deploy (start the token with its button held)"
            if theirs < ours else "update bztoken on this station")
    return ProtocolError(f"the token speaks sync protocol v{theirs}, this bztoken speaks v{ours}", hint=hint)


class SyncClient:
    def __init__(self, transport: Transport, timeout: float = 1.0, retries: int = 5, wake_wait: float = 0.0,
                 on_wait: WaitFn | None = None):
        self.t = transport
        self.timeout = timeout
        self.retries = retries
        self.wake_wait = wake_wait  # seconds the session's first hello keeps trying (0: plain retries)
        # on_wait(waited_s, wake_wait, what) while it does: "silent" or "gone" (the port) about every try,
        # then once "awake" (answered) or "stopped" (gave up, interrupted)
        self.on_wait = on_wait
        self.woke_after_s: float | None = None  # how long the first hello waited, once it got an answer
        self.reopens = 0
        self._awake = False
        self._dec = wire.Decoder()
        self._seq = int.from_bytes(os.urandom(2), "little")
        self._key: bytes | None = None
        self.token_id: str | None = None
        self.retransmits = 0
        self.bytes_out = 0
        self.bytes_in = 0

    @property
    def line_errors(self) -> int:
        return self._dec.bad

    # -- framing ---------------------------------------------------------------------------------
    def request(self, cmd: int, payload: bytes = b"", timeout: float | None = None,
                retries: int | None = None) -> wire.Frame:
        """Send one request and return its OK response; Refused for any other status."""
        seq, line = self._frame(cmd, payload)
        return self._send(seq, cmd, line, self.timeout if timeout is None else timeout,
                          self.retries if retries is None else retries)

    def _frame(self, cmd: int, payload: bytes = b"") -> tuple[int, bytes]:
        self._seq = (self._seq + 1) & 0xFFFF
        seq = self._seq
        if self._key is not None:
            return seq, syncserver.seal_request(self._key, seq, cmd, payload)
        return seq, wire.encode(0, seq, cmd, 0, payload)

    def _send(self, seq: int, cmd: int, line: bytes, wait: float, retries: int) -> wire.Frame:
        for attempt in range(retries + 1):
            if attempt:
                self.retransmits += 1
            self.t.write(line)
            self.bytes_out += len(line)
            f = self._await(seq, cmd, wait)
            if f is not None:
                return self._check(f)
        raise NoAnswer(
            f"no answer from the token to {wire.NAMES.get(cmd, cmd)} after {retries + 1} tries on {self.t.name}",
            hint="is the token connected and running its firmware? rerun to resume",
        )

    def _await(self, seq: int, cmd: int, wait: float) -> wire.Frame | None:
        deadline = time.monotonic() + wait
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            data = self.t.read(min(left, 0.2))
            self.bytes_in += len(data)
            for f in self._dec.feed(data):
                if not f.is_response():
                    continue  # our own request echoed by a REPL
                if f.ver != wire.VERSION:
                    raise _version_error(f.ver)
                if f.seq != seq or f.cmd != cmd:
                    continue  # a late answer to an earlier try
                if f.status == wire.E_VERSION:
                    raise _version_error(f.payload[0] if f.payload else 0)
                if self._key is not None and f.status != wire.E_AUTH_REQUIRED:
                    clear = syncserver.open_response(self._key, f)
                    if clear is None:
                        continue  # forged or damaged beyond the CRC: wait for the retransmission
                    f.payload = clear
                return f

    @staticmethod
    def _tag_ok(f: wire.Frame, key: bytes) -> bool:
        return f.tag is not None and hmac.compare_digest(syncserver.tag(key, f.mac_input()), f.tag)

    def _check(self, f: wire.Frame) -> wire.Frame:
        if f.status == wire.OK:
            return f
        if f.status == wire.E_AUTH_REQUIRED and self._key is not None:
            self._key = None
            raise SessionLost("the token lost the session (did it reboot?)")
        raise Refused(f.cmd, f.status, f.payload)

    # -- commands --------------------------------------------------------------------------------
    def hello(self) -> dict:
        self._key = None
        f = self._wake_hello() if not self._awake and self.wake_wait > 0 else self.request(wire.HELLO)
        self._awake = True
        info = json.loads(f.payload)
        self._nonce = bytes.fromhex(info["nonce"])
        self.token_id = info.get("token_id") or ""
        return info

    def _wake_hello(self) -> wire.Frame:
        """The session's first hello: one try per `timeout`, all with the same seq (a token that wakes to a
        queue of them answers the first and the rest from its cache, with the same nonce), for up to
        `wake_wait` seconds; a link that is lost or not there is reopened every REOPEN_POLL_S."""
        seq, line = self._frame(wire.HELLO)
        start = time.monotonic()
        # a lazily made transport (the port may be absent while the token sleeps) is opened by the loop
        gone: LinkError | None = None if self.t.is_open else LinkError(f"port {self.t.name} not opened yet")
        try:
            f = self._knock(seq, line, start, gone)
        except BaseException:  # no answer, or Ctrl-C: the waiting line goes before the error is shown
            if self.on_wait is not None:
                self.on_wait(time.monotonic() - start, self.wake_wait, "stopped")
            raise
        self.woke_after_s = round(time.monotonic() - start, 3)
        if self.on_wait is not None:
            self.on_wait(self.woke_after_s, self.wake_wait, "awake")
        return f

    def _knock(self, seq: int, line: bytes, start: float, gone: LinkError | None) -> wire.Frame:
        while True:
            try:
                if gone is not None:
                    self.t.reopen()
                    gone = None
                    self.reopens += 1
                return self._send(seq, wire.HELLO, line, self.timeout, 0)
            except NoAnswer:
                pass
            except LinkError as e:
                if not self.t.reopenable:
                    raise
                gone = e
                time.sleep(max(0.0, min(REOPEN_POLL_S, start + self.wake_wait - time.monotonic())))
            waited = time.monotonic() - start
            if waited >= self.wake_wait:
                self.t.close()
                raise LinkError(
                    f"no token answered on {self.t.name} within {self.wake_wait:g} s"
                    + (f"; the port: {str(gone).splitlines()[0]}" if gone is not None else ""),
                    hint="press the token's button (an eco token then stays awake), check the cable and that "
                         "it runs its firmware, or wait longer: --wake-wait S",
                )
            if self.on_wait is not None:
                self.on_wait(waited, self.wake_wait, "gone" if gone is not None else "silent")

    def auth(self, secret: bytes) -> None:
        """Challenge-response with the nonce of the last hello; checks the token's proof too."""
        nh = os.urandom(wire.NONCE_LEN)
        nt = self._nonce
        # The session's seqs start low: they must strictly increase under one key and never wrap.
        self._seq = int.from_bytes(os.urandom(2), "little") & 0x0FFF
        proof = syncserver.host_proof(secret, nt, nh, self.token_id or "")
        key = syncserver.session_key(secret, nt, nh)
        try:
            self._key = None
            f = self.request(wire.AUTH, nh + proof)
        except Refused as e:
            if e.status in (wire.E_AUTH_FAILED, wire.E_LOCKED):
                wait_ms = wire.unpack_u32(e.payload)
                raise AuthError(
                    f"token {self.token_id} refused the secret" if e.status == wire.E_AUTH_FAILED
                    else f"token {self.token_id} is locked after failed authentications",
                    hint=f"check the secret for {self.token_id}; the token accepts a new try in {wait_ms / 1000:.0f} s",
                ) from None
            raise
        proof = syncserver.open_response(key, f)  # the answer is the session's first encrypted frame
        if proof is None or not hmac.compare_digest(proof, syncserver.token_proof(secret, nt, nh)):
            raise AuthError(f"the device on {self.t.name} does not know the secret of token {self.token_id}")
        self._key = key

    @property
    def authenticated(self) -> bool:
        return self._key is not None

    def login(self, secret: bytes) -> dict:
        info = self.hello()
        self.auth(secret)
        return info

    def time_get(self) -> int:
        return wire.unpack_ms(self.request(wire.TIME_GET).payload)

    def time_set(self, ms: int, rate_ppb: int | None = None) -> int:
        """Set the token clock (and, when given, the rate correction it applies from now on: only to a token
        whose hello reports `clock_rate_ppb`); returns the token's time just before."""
        return wire.unpack_ms(self.request(wire.TIME_SET, wire.pack_time_set(ms, rate_ppb)).payload)

    def status(self) -> dict:
        return json.loads(self.request(wire.STATUS).payload)

    def list_days(self) -> list[tuple[int, int, int]]:
        return wire.unpack_days(self.request(wire.LIST_DAYS).payload)

    def read(self, day: int, offset: int, length: int) -> tuple[int, bytes]:
        """(size of the day file, bytes of whole records from offset)."""
        p = self.request(wire.READ, wire.pack_read(day, offset, length)).payload
        if len(p) < 4:
            raise ProtocolError("short read response")
        return wire.unpack_u32(p), p[4:]

    def confirm(self, day: int, upto: int) -> None:
        self.request(wire.CONFIRM, wire.pack_confirm(day, upto))

    def wipe(self, what: str = "logs") -> None:
        self.request(wire.WIPE, json.dumps({"what": what}).encode())
        if what == "all":
            self._key = None

    def keys(self, day_from: int, day_to: int, wait_s: float = 30.0, poll_s: float = 0.3) -> list[tuple[int, bytes]]:
        """Diagnosis export: the daily keys of a day range, once the wearer pressed the token's button."""
        deadline = time.monotonic() + wait_s
        while True:
            try:
                return wire.unpack_keys(self.request(wire.KEYS, wire.pack_range(day_from, day_to)).payload)
            except Refused as e:
                if e.status != wire.E_NEED_CONFIRM or time.monotonic() > deadline:
                    if e.status == wire.E_NEED_CONFIRM:
                        raise BzError("nobody pressed the token's button", hint="press it within 30 s") from None
                    raise
            time.sleep(poll_s)

    def provision(self, token_id: str, secret: bytes, config: dict | None = None) -> None:
        """Sets token_id, secret and config. On a provisioned token, authenticate first (the new secret then
        travels wrapped under the session key)."""
        s = syncserver.wrap_secret(self._key, secret) if self._key is not None else secret
        body = {"token_id": token_id, "secret": s.hex(), "config": config or {}}
        self.request(wire.PROVISION, json.dumps(body).encode())

    def bye(self) -> None:
        try:
            self.request(wire.BYE, timeout=0.3)
        finally:
            self._key = None
