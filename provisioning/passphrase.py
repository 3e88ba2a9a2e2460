"""The station passphrase: asking for it at a terminal, and changing it.

A change re-seals every token secret under a key from the new passphrase (fresh salt) and replaces the key
check, all in one SQLite transaction: interrupted at any point (Ctrl-C, power cut, a secret that will not open),
the file holds the old passphrase's secrets, every one, and the old passphrase still opens it."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from host_tools.errors import UsageError
from provisioning import secrets


def both(key: str, **args) -> str:
    """A terminal line in Vietnamese, then English (host_tools/station/i18n.json: the station's one key file)."""
    from host_tools.station.i18n import text

    return f"{text(key, 'vi', **args)} / {text(key, 'en', **args)}"


def protects() -> str:
    from host_tools.station.i18n import text

    return f"{text('cli_protects', 'vi')}\n{text('cli_protects', 'en')}"


WAYS = ("give it one of these ways: run `bztoken station` in a terminal (it asks); "
        "BZTOKEN_PASSPHRASE=... bztoken station; bztoken station --passphrase-file FILE (a file holding only the "
        "passphrase, mode 600); make station PASSPHRASE_FILE=FILE")


def is_new(db: str | os.PathLike) -> bool:
    """True when the station database has no passphrase yet (missing file, or a registry never opened with one)."""
    import sqlite3

    p = Path(db)
    if not p.exists():
        return True
    try:
        con = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
        try:
            row = con.execute("SELECT value FROM registry_meta WHERE key = 'kdf'").fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return True  # no registry table yet
    return row is None


def ask_new(prompt=None, out=sys.stderr, tries: int = 3) -> str:
    """A new passphrase typed twice at the terminal (at least secrets.MIN_PASSPHRASE characters)."""
    import getpass

    prompt = prompt or getpass.getpass
    for _ in range(tries):
        a = prompt(both("cli_new_pass").replace(":  /", " /"))
        if len(a) < secrets.MIN_PASSPHRASE:
            print(both("cli_too_short", n=secrets.MIN_PASSPHRASE), file=out)
            continue
        if prompt(both("cli_again").replace(":  /", " /")) != a:
            print(both("cli_mismatch"), file=out)
            continue
        return a
    raise UsageError("no new passphrase was set", hint="type the same passphrase twice")


def ask(key: str = "cli_pass", prompt=None) -> str:
    import getpass

    v = (prompt or getpass.getpass)(both(key).replace(":  /", " /"))
    if not v:
        raise UsageError("no passphrase typed")
    return v


def change(db: str | os.PathLike, old: str, new: str, *, kdf_n: int | None = None, _after_each=None) -> int:
    """Re-seal every secret of the registry in `db` from `old` to `new`. Returns how many secrets were re-sealed.
    `_after_each(i)`: a test's hook, called after each secret is re-sealed inside the transaction."""
    from provisioning.registry import CHECK_PLAIN, Registry

    if new == old:
        raise UsageError("the new passphrase is the same as the old one")
    salt = os.urandom(secrets.SALT_LEN)
    params = {"salt": salt.hex(), "n": kdf_n or secrets.KDF_N, "r": secrets.KDF_R, "p": secrets.KDF_P}
    new_key = secrets.derive_key(new, salt, params["n"], params["r"], params["p"], new=True)
    with Registry(db, old) as reg:  # AuthError here: the old passphrase is wrong, nothing touched
        old_key = reg._need_key()
        con = reg.con
        con.execute("BEGIN IMMEDIATE")
        try:
            rows = con.execute("SELECT token_id, sealed FROM secrets ORDER BY token_id").fetchall()
            for i, (tid, sealed) in enumerate(rows):
                plain = secrets.unseal(old_key, bytes(sealed), tid)
                resealed = secrets.seal(new_key, plain, tid)
                con.execute("UPDATE secrets SET sealed = ? WHERE token_id = ?", (resealed, tid))
                if _after_each:
                    _after_each(i)
            con.execute("UPDATE registry_meta SET value = ? WHERE key = 'kdf'", (json.dumps(params),))
            con.execute("UPDATE registry_meta SET value = ? WHERE key = 'check'",
                        (secrets.seal(new_key, CHECK_PLAIN, "registry").hex(),))
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return len(rows)

