"""A token's pseudonym: what the hub sees instead of its ID.

pseudonym = HMAC-SHA256(k, token_id)[:16] as 32 hex digits, with k = HMAC-SHA256(token secret, LABEL).

The key is the token's own secret, which is sealed in the registry of every station that can sync the token
(a pull needs it) and never leaves a station. So every station that syncs a token gives it the same pseudonym,
and the hub can put together a wearer's 21 days from several stations; the hub, which holds no secret, can
neither recompute a pseudonym from a token ID (IDs are 50 random bits, but guessable in bulk without a key) nor
link it back. 128 bits: no two tokens of a nation share one (birthday bound about 2^64).
"""

import hashlib
import hmac

LABEL = b"bztoken hub pseudonym v1"
HEX_LEN = 32


def key_for(token_secret: bytes) -> bytes:
    return hmac.new(token_secret, LABEL, hashlib.sha256).digest()


def pseudonym(token_secret: bytes, token_id: str) -> str:
    return hmac.new(key_for(token_secret), token_id.encode("ascii"), hashlib.sha256).hexdigest()[:HEX_LEN]


def station_map(registry) -> dict[str, str]:
    """pseudonym -> token ID for every token whose secret this station's registry holds."""
    out = {}
    for t in registry.tokens():
        out[pseudonym(registry.secret_for(t["token_id"]), t["token_id"])] = t["token_id"]
    return out
