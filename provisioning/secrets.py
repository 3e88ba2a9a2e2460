"""Per-token secrets at rest: a key derived from the station passphrase (scrypt) seals each secret with
AES-256-GCM, bound to its token ID. Threat model: provisioning/README.md."""

import os

from host_tools.errors import AuthError, UsageError

SECRET_LEN = 32
NONCE_LEN = 12
SALT_LEN = 16
# scrypt cost: N=2**17, r=8, p=1 is about 128 MiB and a few tenths of a second, once per command
KDF_N = 2**17
KDF_R = 8
KDF_P = 1
MIN_PASSPHRASE = 8


def new_secret() -> bytes:
    return os.urandom(SECRET_LEN)


def derive_key(passphrase: str | bytes, salt: bytes, n: int = KDF_N, r: int = KDF_R, p: int = KDF_P,
               new: bool = False) -> bytes:
    """The 32-byte key for a passphrase; `new`: the passphrase is being chosen, so its length is checked."""
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    if isinstance(passphrase, str):
        passphrase = passphrase.encode()
    if new and len(passphrase) < MIN_PASSPHRASE:
        raise UsageError(f"the station passphrase must have at least {MIN_PASSPHRASE} characters")
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase)


def seal(key: bytes, plaintext: bytes, context: str) -> bytes:
    """nonce || AES-GCM(plaintext) with `context` (e.g. the token ID) as associated data."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(NONCE_LEN)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, context.encode())


def unseal(key: bytes, blob: bytes, context: str) -> bytes:
    """Raises AuthError when the key is wrong or the blob was altered or moved to another context."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        return AESGCM(key).decrypt(blob[:NONCE_LEN], blob[NONCE_LEN:], context.encode())
    except (InvalidTag, ValueError) as e:
        raise AuthError(f"cannot decrypt the secret of {context}: wrong passphrase or altered data") from e


def passphrase_from(path: str | os.PathLike | None, env: str = "BZTOKEN_PASSPHRASE") -> str:
    """The station passphrase: --passphrase-file PATH (stripped), else the environment variable.

    Every command that needs it reads it here (provision, registry, pull/time/wipe, station)."""
    if path:
        try:
            with open(path, encoding="utf-8") as f:
                value = f.read().strip()
        except OSError as e:
            raise UsageError(f"--passphrase-file {path}: {e.strerror or e}") from e
        if not value:
            raise UsageError(f"--passphrase-file {path}: empty")
        return value
    value = os.environ.get(env, "")
    if not value:
        raise UsageError("the station needs its passphrase", hint=f"pass --passphrase-file PATH or set {env}")
    return value
