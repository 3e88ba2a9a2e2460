# Bluezone v2 rolling IDs (spec section 3).
#
# A day's 96 slot IDs come from one 32-byte daily key:
#   S_0 = SHA256(K || "bluzonesubkey"), S_i+1 = SHA256(S_i), ID_i = 12 bytes picked from S_i.
# Phones derive K from a hash chain (K_D = SHA256^n(K0)); tokens draw an independent random K
# per UTC day, so disclosing one day's key reveals nothing about any other day.
# Times are unix milliseconds, UTC. Pure: no device access, runs on CPython and MicroPython.
import hashlib

from bzfw.compat import const

SALT = b"bluzonesubkey"
SLOTS_PER_DAY = const(96)
DAY_MS = const(86400000)
DAY_S = const(86400)
SLOT_MS = const(900000)  # DAY_MS // SLOTS_PER_DAY
ID_LEN = const(12)
KEY_LEN = const(32)


def _sha(b):
    return hashlib.sha256(b).digest()


def pick12(s):
    """The 12 ID bytes of a 32-byte subkey: indices 0,4,8,12,16,18,...,30."""
    return bytes(
        (s[0], s[4], s[8], s[12], s[16], s[18], s[20], s[22], s[24], s[26], s[28], s[30])
    )


def _check_key(key):
    if len(key) != KEY_LEN:
        raise ValueError("key must be 32 bytes, got %d" % len(key))


def first_subkey(daily_key):
    _check_key(daily_key)
    return _sha(bytes(daily_key) + SALT)


def day_ids(daily_key, slots=SLOTS_PER_DAY):
    """The `slots` IDs of one day, in slot order (a list of 12-byte bytes)."""
    s = first_subkey(daily_key)
    out = []
    for _ in range(slots):
        out.append(pick12(s))
        s = _sha(s)
    return out


def slot_id(daily_key, slot):
    """The ID of one slot (0..95) of the day whose key is `daily_key`."""
    if not 0 <= slot < SLOTS_PER_DAY:
        raise ValueError("slot must be 0..95, got %d" % slot)
    s = first_subkey(daily_key)
    for _ in range(slot):
        s = _sha(s)
    return pick12(s)


def day_of(ts_ms):
    """UTC day number (days since 1970-01-01) of a unix-ms time."""
    return ts_ms // DAY_MS


def slot_of(ts_ms):
    """Slot index 0..95 within the UTC day of a unix-ms time."""
    return (ts_ms % DAY_MS) // SLOT_MS


def slot_start_ms(ts_ms):
    return ts_ms - ts_ms % SLOT_MS


def next_key(key):
    """The phones' chain step: tomorrow's daily key from today's."""
    _check_key(key)
    return _sha(bytes(key))


def chain_daily_key(base_key, base_day_s, day_s):
    """Phones' scheme: the daily key of the UTC day starting at `day_s` (unix s)."""
    _check_key(base_key)
    if base_day_s % DAY_S or day_s % DAY_S:
        raise ValueError("days must start at UTC midnight")
    n = (day_s - base_day_s) // DAY_S
    if n < 0:
        raise ValueError("time is before the base day")
    k = bytes(base_key)
    for _ in range(n):
        k = _sha(k)
    return k


def chain_id_at(base_key, base_day_s, ts_ms):
    """Phones' scheme: the ID a phone with base key K0 (install day base_day_s) sends at ts_ms."""
    day_s = day_of(ts_ms) * DAY_S
    return slot_id(chain_daily_key(base_key, base_day_s, day_s), slot_of(ts_ms))


def daily_id_at(daily_key, ts_ms):
    """Tokens' scheme: the ID at ts_ms, `daily_key` being the key of ts_ms's UTC day."""
    return slot_id(daily_key, slot_of(ts_ms))
