# The sync protocol's wire format, shared by the token and the station (sans-I/O: fed bytes, yields frames).
#
# On the line a frame is   END  escaped(body)  END
#   body = ver u8 | flags u8 | seq u16 LE | cmd u8 | status u8 | payload | [tag 16 if FLAG_MAC] | crc32 LE
# The CRC-32 (binascii.crc32, zlib's) covers everything before it. Inside a frame the bytes in ESCAPED are
# sent as ESC, b ^ 0x20, so a frame never holds a raw 0x03 (Ctrl-C still reaches the REPL), 0x01/0x02/0x04/
# 0x05 (raw REPL, soft reset, paste mode), CR or LF (a cooked tty cannot mangle it) or END. Everything
# between two ENDs that is not a well-formed frame with a good CRC (REPL text, garbage, a frame hit by noise)
# is counted and dropped. Responses echo the request's seq and cmd with FLAG_RESPONSE set; after
# authentication both directions carry a 16-byte tag: HMAC-SHA256 under the session key over ver..payload
# (see bzfw.syncserver for the handshake).
#
# Session security (protocol v2): after `auth` every frame both ways is tagged, and its payload is encrypted
# (AES-128-CTR under a key derived from the session, bzfw/seal.py) before the tag is computed over the
# ciphertext. Request seqs strictly increase within a session (a replayed or reordered frame, or a wrapped
# seq, gets E_AUTH_REQUIRED in clear). A peer of another version gets E_VERSION and names both versions.
#
# Adding a command or a field (the rules every change to this file follows):
# - A new command: a new number here (next free: 0x0E), its name in NAMES, a line in the command list
#   above with its request and answer, its packer/unpacker below (struct, little-endian, fixed sizes, a
#   ValueError naming the expected size on a bad length), its dispatch in bzfw/syncserver.py, added to
#   _NEEDS_AUTH there unless it is as harmless as `hello`, and its method in host_tools/sync/client.py.
#   An unknown command already gets E_UNKNOWN from an older token: a station can try a new command and
#   fall back, so a new command alone needs no version bump.
# - A new field in a JSON payload (hello, status, provision): add it; readers ignore keys they do not know
#   and must tolerate its absence (an older token). No version bump.
# - A new field in a binary payload: append it at the end and accept both lengths in the unpacker (the
#   old length meaning "absent"); never move or resize an existing field. If it cannot be optional, it is a
#   new command instead.
# - Bump VERSION only when frames themselves change meaning (header, escaping, tag, encryption), and
#   describe the change next to VERSION; the error an old peer gets names both versions.
# Everything a command carries after auth is encrypted and authenticated without any change here.
import binascii
import struct

from bzfw.compat import const

VERSION = const(2)  # 2: payloads encrypted after auth (bzfw/seal.py); 1 sent them in clear

END = const(0xC0)
ESC = const(0xDB)
_X = const(0x20)
# Bytes never sent raw inside a frame.
ESCAPED = (0x01, 0x02, 0x03, 0x04, 0x05, 0x0A, 0x0D, 0xC0, 0xDB)

FLAG_RESPONSE = const(0x80)
FLAG_MAC = const(0x01)

HEADER = const(6)
TAG_LEN = const(16)
CRC_LEN = const(4)
MAX_PAYLOAD = const(2048)
MAX_BODY = const(2074)  # HEADER + MAX_PAYLOAD + TAG_LEN + CRC_LEN

# Commands (request cmd byte; the response echoes it).
# -> JSON: proto, fw, token_id, provisioned, now_ms, battery_mv, days, log/free bytes, nonce
HELLO = const(0x01)
AUTH = const(0x02)  # client nonce 16 + proof 32 -> token proof 32; starts the authenticated session
TIME_GET = const(0x03)  # -> now_ms i64
# now_ms i64 [, rate_ppb i32] -> previous now_ms i64 (auth). rate_ppb (appended; absent: the rate in force is
# kept): how many parts per billion the token's raw clock runs fast, as the station measured it between two
# syncs; the token corrects its readings by it from then on (bzfw/clock.py). hello/status report the rate in
# force as `clock_rate_ppb`; a token that does not report it takes only the 8-byte form.
TIME_SET = const(0x04)
LIST_DAYS = const(0x05)  # -> (day u32, size u32, confirmed u32) * n (auth)
READ = const(0x06)  # day u32, offset u32, length u16 -> day file bytes, whole records (auth)
CONFIRM = const(0x07)  # day u32, upto u32 -> nothing (auth)
STATUS = const(0x08)  # -> JSON: counters, free flash, battery, clock (no log content)
WIPE = const(0x09)  # JSON {"what": "logs" | "all"} -> nothing (auth)
KEYS = const(0x0A)  # day_from u32, day_to u32 -> (day u32, key 32) * n (auth + button press on the token)
PROVISION = const(0x0B)  # JSON {token_id, secret (hex, wrapped after auth), config} (unprovisioned, or auth)
BYE = const(0x0C)  # ends the session (the token resumes normal work)
BLE_SYNC = const(0x0D)  # ms u32 (0: leave) -> ms granted u32 (auth): BLE sync mode (bzfw/gattsync.py)

NAMES = {
    HELLO: "hello", AUTH: "auth", TIME_GET: "time-get", TIME_SET: "time-set", LIST_DAYS: "list-days",
    READ: "read", CONFIRM: "confirm", STATUS: "status", WIPE: "wipe", KEYS: "keys", PROVISION: "provision",
    BYE: "bye", BLE_SYNC: "ble-sync",
}

# Response status codes.
OK = const(0)
E_VERSION = const(1)  # payload: the responder's version u8
E_UNKNOWN = const(2)  # unknown command
E_BAD_REQUEST = const(3)  # malformed payload
E_AUTH_REQUIRED = const(4)  # no session, or a bad tag
E_AUTH_FAILED = const(5)  # wrong proof; payload: retry_after_ms u32
E_LOCKED = const(6)  # too many failures: payload retry_after_ms u32
E_NEED_CONFIRM = const(7)  # diagnosis export waits for the button; payload: window_left_ms u32
E_NO_DATA = const(8)  # no such day / offset past the end
E_STATE = const(9)  # not allowed in this state (e.g. provision on a provisioned token without auth)
E_INTERNAL = const(10)  # the token failed (flash error); payload: short message

STATUS_NAMES = {
    OK: "ok", E_VERSION: "protocol version mismatch", E_UNKNOWN: "unknown command",
    E_BAD_REQUEST: "bad request",
    E_AUTH_REQUIRED: "authentication required", E_AUTH_FAILED: "authentication failed",
    E_LOCKED: "locked after failed authentications", E_NEED_CONFIRM: "waiting for the button",
    E_NO_DATA: "no such data", E_STATE: "not allowed now", E_INTERNAL: "token error",
}

NONCE_LEN = const(16)
PROOF_LEN = const(32)
KEY_LEN = const(32)


class Frame:
    __slots__ = ("ver", "flags", "seq", "cmd", "status", "payload", "tag")

    def __init__(self, ver, flags, seq, cmd, status, payload, tag=None):
        self.ver = ver
        self.flags = flags
        self.seq = seq
        self.cmd = cmd
        self.status = status
        self.payload = payload
        self.tag = tag

    def is_response(self):
        return bool(self.flags & FLAG_RESPONSE)

    def mac_input(self):
        """The bytes the session tag covers: header + payload."""
        return header(self.ver, self.flags, self.seq, self.cmd, self.status) + self.payload

    def __repr__(self):
        return "Frame(v%d %s seq=%d %s status=%d %d bytes%s)" % (
            self.ver, "rsp" if self.is_response() else "req", self.seq, NAMES.get(self.cmd, hex(self.cmd)),
            self.status, len(self.payload), " tagged" if self.tag else "")

    def __eq__(self, other):
        return isinstance(other, Frame) and (
            self.ver, self.flags, self.seq, self.cmd, self.status, bytes(self.payload), self.tag
        ) == (other.ver, other.flags, other.seq, other.cmd, other.status, bytes(other.payload), other.tag)


def header(ver, flags, seq, cmd, status):
    return struct.pack("<BBHBB", ver, flags, seq & 0xFFFF, cmd, status)


def encode(flags, seq, cmd, status=0, payload=b"", tag=None, ver=VERSION):
    """One frame as it goes on the line (with both ENDs). A tag sets FLAG_MAC."""
    if len(payload) > MAX_PAYLOAD:
        raise ValueError("payload of %d bytes exceeds %d" % (len(payload), MAX_PAYLOAD))
    if tag is not None:
        if len(tag) != TAG_LEN:
            raise ValueError("tag must be %d bytes" % TAG_LEN)
        flags |= FLAG_MAC
    else:
        flags &= ~FLAG_MAC
    body = b"".join((header(ver, flags, seq, cmd, status), payload, tag or b""))
    return escape(body, struct.pack("<I", binascii.crc32(body) & 0xFFFFFFFF))


def encode_parts(flags, seq, cmd, status, payload, tag=None, ver=VERSION):
    """encode() without building the body first: the CRC runs over the parts, and each part is escaped
    straight into one output buffer. Returns a bytearray, byte for byte what encode() gives."""
    n = len(payload)
    out = bytearray(2 + HEADER + n + _count_escaped(payload, n) + 2 * (TAG_LEN + CRC_LEN + HEADER))
    k = encode_into(out, flags, seq, cmd, status, payload, n, tag, ver)
    return out[:k]


def encode_into(out, flags, seq, cmd, status, payload, n, tag=None, ver=VERSION):
    """One frame into `out` (a bytearray of at least 2 * MAX_BODY + 2 bytes covers any frame), from
    payload[:n] (bytes or bytearray: the token's reply buffer, no copy). Returns the frame's length."""
    if n > MAX_PAYLOAD:
        raise ValueError("payload of %d bytes exceeds %d" % (n, MAX_PAYLOAD))
    flags = flags | FLAG_MAC if tag is not None else flags & ~FLAG_MAC
    hdr = header(ver, flags, seq, cmd, status)
    crc = binascii.crc32(hdr)
    crc = binascii.crc32(memoryview(payload)[:n], crc)
    if tag is not None:
        crc = binascii.crc32(tag, crc)
    out[0] = END
    k = _escape_into(out, 1, hdr, len(hdr))
    k = _escape_into(out, k, payload, n)
    if tag is not None:
        k = _escape_into(out, k, tag, len(tag))
    tail = struct.pack("<I", crc & 0xFFFFFFFF)
    k = _escape_into(out, k, tail, 4)
    out[k] = END
    return k + 1


_ONE = tuple(bytes((v,)) for v in ESCAPED)


def _count_escaped(p, n):
    c = 0
    for one in _ONE:
        c += p.count(one, 0, n)
    return c


def _escape_into(out, k, p, n):
    # Runs between escaped bytes are copied a slice at a time (memoryview, no intermediate copies).
    mv = memoryview(p)
    j = 0
    while j < n:
        i = n
        for one in _ONE:
            x = p.find(one, j, i)
            if 0 <= x < i:
                i = x
        out[k:k + i - j] = mv[j:i]
        k += i - j
        if i < n:
            out[k] = ESC
            out[k + 1] = p[i] ^ _X
            k += 2
        j = i + 1
    return k


def escape(body, tail=b""):
    """END + (body + tail) with every ESCAPED byte as ESC, b ^ 0x20 + END.

    The positions come from bytes.find (C) rather than a Python loop over every byte: on a token a 2 KB
    chunk has about 70 bytes to escape, so this is a few dozen interpreted steps instead of 2000, and the
    output is filled in place (one allocation) to keep the heap unfragmented."""
    if tail:
        body = bytes(body) + tail
    elif not isinstance(body, bytes):
        body = bytes(body)
    pos = []
    for v in ESCAPED:
        one = bytes((v,))
        i = body.find(one)
        while i >= 0:
            pos.append(i)
            i = body.find(one, i + 1)
    pos.sort()
    n = len(body)
    out = bytearray(n + len(pos) + 2)
    out[0] = END
    k = 1
    j = 0
    mv = memoryview(body)
    for i in pos:
        out[k:k + i - j] = mv[j:i]
        k += i - j
        out[k] = ESC
        out[k + 1] = body[i] ^ _X
        k += 2
        j = i + 1
    out[k:k + n - j] = mv[j:]
    out[k + n - j] = END
    return bytes(out)


def parse_body(body):
    """A Frame from an unescaped body, or None when it is not one (short, bad CRC, bad tag flag)."""
    n = len(body)
    if n < HEADER + CRC_LEN:
        return None
    crc = struct.unpack("<I", bytes(body[n - CRC_LEN:]))[0]
    if binascii.crc32(bytes(body[:n - CRC_LEN])) & 0xFFFFFFFF != crc:
        return None
    ver, flags, seq, cmd, status = struct.unpack("<BBHBB", bytes(body[:HEADER]))
    end = n - CRC_LEN
    tag = None
    if flags & FLAG_MAC:
        if end - HEADER < TAG_LEN:
            return None
        tag = bytes(body[end - TAG_LEN:end])
        end -= TAG_LEN
    return Frame(ver, flags, seq, cmd, status, bytes(body[HEADER:end]), tag)


_RAW_FORBIDDEN = (b"\x01", b"\x02", b"\x03", b"\x04", b"\x05", b"\n", b"\r")
_END_B = b"\xc0"
_ESC_B = b"\xdb"


def unescape(raw):
    """The body of an escaped candidate (between two ENDs), or None when it cannot be one."""
    for c in _RAW_FORBIDDEN:  # a raw control byte: REPL text or garbage, not a frame
        if raw.find(c) >= 0:
            return None
    if raw.find(_ESC_B) < 0:
        return raw
    parts = raw.split(_ESC_B)
    out = bytearray(parts[0])
    for p in parts[1:]:
        if not p or (p[0] ^ _X) not in ESCAPED:  # ESC must precede an escaped byte
            return None
        out.append(p[0] ^ _X)
        out += p[1:]
    return out


class Decoder:
    """Feed it bytes in any chunks; it returns the frames completed by them. Never raises on line content.

    Works a chunk at a time (bytes.find for END, split on ESC), not byte by byte. Counters: frames (good),
    bad (candidates between ENDs that failed: CRC, length, escape), noise (bytes dropped with them)."""

    def __init__(self, max_body=MAX_BODY):
        self.max_body = max_body
        self._buf = bytearray()
        self._skip = False  # dropping an oversize candidate until the next END
        self.frames = 0
        self.bad = 0
        self.noise = 0

    def feed(self, data):
        out = []
        data = bytes(data)
        n = len(data)
        start = 0
        while start < n:
            i = data.find(_END_B, start)
            seg = data[start:] if i < 0 else data[start:i]
            if self._skip:
                self.noise += len(seg)
            else:
                self._buf += seg
                if len(self._buf) > 2 * self.max_body:  # escaped, a body is at most twice as long
                    self.bad += 1
                    self.noise += len(self._buf)
                    self._buf = bytearray()
                    self._skip = True
            if i < 0:
                break
            start = i + 1
            if self._skip:
                self._skip = False
            elif self._buf:
                raw = bytes(self._buf)
                body = unescape(raw)
                f = parse_body(body) if body is not None and len(body) <= self.max_body else None
                if f is None:
                    self.bad += 1
                    self.noise += len(raw)
                else:
                    self.frames += 1
                    out.append(f)
            self._buf = bytearray()
        return out


# Binary payloads of the data commands, packed and unpacked here so both ends agree.

def pack_read(day, offset, length):
    return struct.pack("<IIH", day, offset, length)


def unpack_read(p):
    if len(p) != 10:
        raise ValueError("read request is 10 bytes")
    return struct.unpack("<IIH", p)


def pack_confirm(day, upto):
    return struct.pack("<II", day, upto)


def unpack_confirm(p):
    if len(p) != 8:
        raise ValueError("confirm request is 8 bytes")
    return struct.unpack("<II", p)


def pack_days(entries):
    """entries: (day, size, confirmed) triples."""
    out = bytearray()
    for d, s, c in entries:
        out += struct.pack("<III", d, s, c)
    return bytes(out)


def unpack_days(p):
    if len(p) % 12:
        raise ValueError("day list length %d is not a multiple of 12" % len(p))
    return [struct.unpack("<III", p[i:i + 12]) for i in range(0, len(p), 12)]


def pack_range(day_from, day_to):
    return struct.pack("<II", day_from, day_to)


def unpack_range(p):
    if len(p) != 8:
        raise ValueError("day range is 8 bytes")
    return struct.unpack("<II", p)


def pack_keys(entries):
    out = bytearray()
    for d, k in entries:
        out += struct.pack("<I", d)
        out += k
    return bytes(out)


def unpack_keys(p):
    n = 4 + KEY_LEN
    if len(p) % n:
        raise ValueError("key list length %d is not a multiple of %d" % (len(p), n))
    return [(struct.unpack("<I", p[i:i + 4])[0], bytes(p[i + 4:i + n])) for i in range(0, len(p), n)]


def pack_ms(ms):
    return struct.pack("<q", ms)


def unpack_ms(p):
    if len(p) != 8:
        raise ValueError("time is 8 bytes")
    return struct.unpack("<q", p)[0]


def pack_time_set(ms, rate_ppb=None):
    if rate_ppb is None:
        return struct.pack("<q", ms)
    return struct.pack("<qi", ms, rate_ppb)


def unpack_time_set(p):
    """(now_ms, rate_ppb or None) from a time-set request: 8 bytes (time only) or 12 (time and rate)."""
    if len(p) == 8:
        return struct.unpack("<q", p)[0], None
    if len(p) == 12:
        return struct.unpack("<qi", p)
    raise ValueError("time-set is 8 bytes (time) or 12 (time, rate), got %d" % len(p))


def pack_u32(v):
    return struct.pack("<I", v)


def unpack_u32(p):
    return struct.unpack("<I", p[:4])[0] if len(p) >= 4 else 0
