"""The registry of tokens and wearers, with each token's secret sealed at rest (provisioning.secrets).

Its tables live in the station's SQLite file next to the pulled logs (host_tools.stationdb owns encounters,
syncs and pulls). A token is `pending` from the moment its ID and secret are drawn (stored before anything is
sent to the token, so a crash never loses a secret a token may already hold), `provisioned` once the token
proved it holds the secret, `retired` when taken out of service.
"""

import json
import os
import re
import sqlite3
import time
from pathlib import Path

from host_tools import dbfiles
from host_tools.errors import AuthError, UsageError
from provisioning import secrets

SCHEMA = """
CREATE TABLE IF NOT EXISTS registry_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS wearers (
  id INTEGER PRIMARY KEY,
  ref TEXT NOT NULL UNIQUE,        -- the station's own key for a person (list number, ID card); default: name
  name TEXT NOT NULL, phone TEXT, note TEXT,
  created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
  token_id TEXT PRIMARY KEY,
  wearer_id INTEGER REFERENCES wearers(id),
  board TEXT, profile TEXT,
  status TEXT NOT NULL CHECK (status IN ('pending', 'provisioned', 'retired')),
  created_ms INTEGER NOT NULL, provisioned_ms INTEGER, fw TEXT);
CREATE INDEX IF NOT EXISTS tokens_wearer ON tokens(wearer_id);
CREATE TABLE IF NOT EXISTS secrets (
  token_id TEXT PRIMARY KEY REFERENCES tokens(token_id),
  sealed BLOB NOT NULL,            -- nonce || AES-256-GCM(secret), token_id as associated data
  created_ms INTEGER NOT NULL);
"""

MIGRATIONS = [SCHEMA]

EXPORT_FORMAT = "bztoken-registry"
EXPORT_VERSION = 1
CHECK_PLAIN = b"bztoken registry key check"
TOKEN_ID_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,31}$")
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def now_ms() -> int:
    return int(time.time() * 1000)


def new_token_id() -> str:
    """BZ-XXXXX-XXXXX: 50 random bits in Crockford base32 (no I, L, O, U: readable off a label). Stations draw
    IDs independently; with 50 bits a fleet of 100,000 tokens has a chance of about 4 in a million of two
    equal IDs anywhere (an import reports such a conflict; within a station a repeat is drawn again)."""
    n = int.from_bytes(os.urandom(7), "big") >> 6
    s = "".join(_CROCKFORD[(n >> (5 * i)) & 31] for i in range(9, -1, -1))
    return f"BZ-{s[:5]}-{s[5:]}"


def check_token_id(token_id: str) -> str:
    if not isinstance(token_id, str) or not TOKEN_ID_RE.match(token_id):
        raise UsageError(f"bad token ID {token_id!r}", hint="3-32 characters: A-Z, 0-9 and '-'")
    return token_id


class Registry:
    """`Registry(db_path, passphrase)`; passphrase None opens it for everything but secrets."""

    def __init__(self, db_path: str | Path, passphrase: str | bytes | None, *, kdf_n: int | None = None):
        self.path = Path(db_path)
        # created 0600, versioned and migrated forward (host_tools.dbfiles); version 1 is round 1's schema
        self.con = dbfiles.open_sqlite(self.path, "registry", MIGRATIONS)
        self.con.execute("PRAGMA foreign_keys = ON")
        self._key: bytes | None = None
        if passphrase is not None:
            self._key = self._unlock(passphrase, kdf_n)

    # -- keys ----------------------------------------------------------------------------------
    def _meta(self, key: str) -> str | None:
        row = self.con.execute("SELECT value FROM registry_meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _unlock(self, passphrase: str | bytes, kdf_n: int | None) -> bytes:
        kdf = self._meta("kdf")
        if kdf is None:  # a new registry: this passphrase becomes the station's
            params = {"salt": os.urandom(secrets.SALT_LEN).hex(), "n": kdf_n or secrets.KDF_N,
                      "r": secrets.KDF_R, "p": secrets.KDF_P}
            key = secrets.derive_key(passphrase, bytes.fromhex(params["salt"]), params["n"], params["r"], params["p"],
                                     new=True)
            check = secrets.seal(key, CHECK_PLAIN, "registry").hex()
            with self.con:
                self.con.execute("BEGIN IMMEDIATE")
                if self._meta("kdf") is None:
                    self.con.execute("INSERT INTO registry_meta VALUES ('kdf', ?)", (json.dumps(params),))
                    self.con.execute("INSERT INTO registry_meta VALUES ('check', ?)", (check,))
            kdf = self._meta("kdf")
            if json.loads(kdf or "{}").get("salt") == params["salt"]:
                return key
        p = json.loads(kdf or "{}")
        key = secrets.derive_key(passphrase, bytes.fromhex(p["salt"]), p["n"], p["r"], p["p"])
        try:
            secrets.unseal(key, bytes.fromhex(self._meta("check") or ""), "registry")
        except AuthError:
            raise AuthError(f"wrong passphrase for the registry in {self.path}",
                            hint="the passphrase this station's registry was created with") from None
        return key

    def _need_key(self) -> bytes:
        if self._key is None:
            raise AuthError("the registry was opened without the station passphrase",
                            hint="pass --passphrase-file PATH or set BZTOKEN_PASSPHRASE")
        return self._key

    def close(self) -> None:
        self.con.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- wearers -------------------------------------------------------------------------------
    def add_wearer(self, name: str, ref: str | None = None, phone: str | None = None, note: str | None = None) -> int:
        """The wearer with this ref (default: the name), created when new; returns its id."""
        name = (name or "").strip()
        if not name:
            raise UsageError("a wearer needs a name")
        ref = (ref or name).strip()
        row = self.con.execute("SELECT id FROM wearers WHERE ref = ?", (ref,)).fetchone()
        if row:
            return int(row[0])
        cur = self.con.execute("INSERT INTO wearers (ref, name, phone, note, created_ms) VALUES (?, ?, ?, ?, ?)",
                               (ref, name, phone, note, now_ms()))
        return int(cur.lastrowid or 0)

    def wearer(self, ref: str) -> dict | None:
        row = self.con.execute("SELECT * FROM wearers WHERE ref = ?", (ref,)).fetchone()
        return dict(row) if row else None

    def wearers(self) -> list[dict]:
        return [dict(r) for r in self.con.execute("SELECT * FROM wearers ORDER BY id")]

    # -- tokens --------------------------------------------------------------------------------
    def add_token(self, token_id: str, secret: bytes, wearer_id: int | None = None, board: str | None = None,
                  profile: str | None = None) -> None:
        """Record a token as pending with its secret (sealed), before the token is told anything."""
        check_token_id(token_id)
        if len(secret) != secrets.SECRET_LEN:
            raise UsageError(f"a token secret has {secrets.SECRET_LEN} bytes, not {len(secret)}")
        sealed = secrets.seal(self._need_key(), secret, token_id)
        t = now_ms()
        try:
            with self.con:
                self.con.execute("BEGIN IMMEDIATE")
                self.con.execute("INSERT INTO tokens (token_id, wearer_id, board, profile, status, created_ms) "
                                 "VALUES (?, ?, ?, ?, 'pending', ?)", (token_id, wearer_id, board, profile, t))
                self.con.execute("INSERT INTO secrets VALUES (?, ?, ?)", (token_id, sealed, t))
        except sqlite3.IntegrityError as e:
            raise UsageError(f"token {token_id} is already in the registry") from e

    def mark_provisioned(self, token_id: str, fw: str | None = None, at_ms: int | None = None) -> None:
        self.con.execute("UPDATE tokens SET status = 'provisioned', provisioned_ms = ?, fw = COALESCE(?, fw) "
                         "WHERE token_id = ?", (at_ms or now_ms(), fw, token_id))

    def reassign(self, token_id: str, wearer_id: int) -> None:
        """Give a token to another wearer (the station's 'reassign'); its secret and status stay."""
        if self.con.execute("SELECT 1 FROM wearers WHERE id = ?", (wearer_id,)).fetchone() is None:
            raise UsageError(f"unknown wearer {wearer_id}")
        if self.con.execute("UPDATE tokens SET wearer_id = ? WHERE token_id = ?", (wearer_id, token_id)).rowcount != 1:
            raise UsageError(f"unknown token {token_id}")

    def retire(self, token_id: str) -> None:
        if self.con.execute("UPDATE tokens SET status = 'retired' WHERE token_id = ?", (token_id,)).rowcount != 1:
            raise UsageError(f"unknown token {token_id}")

    def token(self, token_id: str) -> dict | None:
        row = self.con.execute(
            "SELECT t.*, w.ref AS wearer_ref, w.name AS wearer_name FROM tokens t "
            "LEFT JOIN wearers w ON w.id = t.wearer_id WHERE t.token_id = ?", (token_id,)).fetchone()
        return dict(row) if row else None

    def tokens(self, status: str | None = None) -> list[dict]:
        q = ("SELECT t.*, w.ref AS wearer_ref, w.name AS wearer_name FROM tokens t "
             "LEFT JOIN wearers w ON w.id = t.wearer_id")
        args: tuple = ()
        if status:
            q += " WHERE t.status = ?"
            args = (status,)
        return [dict(r) for r in self.con.execute(q + " ORDER BY t.created_ms, t.token_id", args)]

    def tokens_of(self, wearer_id: int) -> list[dict]:
        return [dict(r) for r in self.con.execute(
            "SELECT * FROM tokens WHERE wearer_id = ? ORDER BY created_ms", (wearer_id,))]

    def secret_for(self, token_id: str) -> bytes:
        """The token's secret; AuthError when the token is unknown or the passphrase is wrong."""
        key = self._need_key()
        row = self.con.execute("SELECT sealed FROM secrets WHERE token_id = ?", (token_id,)).fetchone()
        if row is None:
            raise AuthError(f"token {token_id} is not in this station's registry",
                            hint="provision it here, or import the registry of the station that did")
        return secrets.unseal(key, bytes(row[0]), token_id)

    # -- export / import -----------------------------------------------------------------------
    def export(self, passphrase: str | bytes, *, with_secrets: bool = True, kdf_n: int | None = None) -> dict:
        """Everything another station needs, as a JSON-able dict. Secrets travel re-sealed under a key
        derived from `passphrase` with a fresh salt: the file is as safe as that passphrase."""
        key = None
        out: dict = {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "exported_ms": now_ms(),
                     "wearers": [], "tokens": []}
        if with_secrets:
            self._need_key()
            params = {"salt": os.urandom(secrets.SALT_LEN).hex(), "n": kdf_n or secrets.KDF_N,
                      "r": secrets.KDF_R, "p": secrets.KDF_P}
            key = secrets.derive_key(passphrase, bytes.fromhex(params["salt"]), params["n"], params["r"], params["p"],
                                     new=True)
            out["kdf"] = params
            out["check"] = secrets.seal(key, CHECK_PLAIN, "export").hex()
        refs = {}
        for w in self.wearers():
            refs[w["id"]] = w["ref"]
            out["wearers"].append({k: w[k] for k in ("ref", "name", "phone", "note", "created_ms")})
        for t in self.tokens():
            item = {k: t[k] for k in ("token_id", "board", "profile", "status", "created_ms", "provisioned_ms", "fw")}
            item["wearer_ref"] = refs.get(t["wearer_id"])
            if key is not None:
                item["sealed_secret"] = secrets.seal(key, self.secret_for(t["token_id"]), t["token_id"]).hex()
            out["tokens"].append(item)
        return out

    def import_(self, data: dict, passphrase: str | bytes | None) -> dict:
        """Merge an export: new wearers and tokens are added; a token already here is left as it is
        (counted as `same` when its secret matches, `conflicts` otherwise). Returns the counts."""
        if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
            raise UsageError("not a bztoken registry export")
        if data.get("version") != EXPORT_VERSION:
            raise UsageError(f"registry export version {data.get('version')} is not supported (want {EXPORT_VERSION})")
        key = None
        if "kdf" in data:
            if passphrase is None:
                raise UsageError("this export holds secrets: its passphrase is needed")
            p = data["kdf"]
            key = secrets.derive_key(passphrase, bytes.fromhex(p["salt"]), p["n"], p["r"], p["p"])
            try:
                secrets.unseal(key, bytes.fromhex(data["check"]), "export")
            except AuthError:
                raise AuthError("wrong passphrase for this registry export") from None
        counts = {"wearers": 0, "tokens": 0, "same": 0, "conflicts": 0, "without_secret": 0}
        ids = {}
        for w in data.get("wearers", []):
            before = self.wearer(w["ref"])
            ids[w["ref"]] = self.add_wearer(w["name"], w["ref"], w.get("phone"), w.get("note"))
            counts["wearers"] += before is None
        for t in data.get("tokens", []):
            tid = check_token_id(t["token_id"])
            sealed = t.get("sealed_secret")
            secret = secrets.unseal(key, bytes.fromhex(sealed), tid) if (key and sealed) else None
            if self.token(tid) is not None:
                if secret is not None and self.secret_for(tid) == secret:
                    counts["same"] += 1
                else:
                    counts["conflicts"] += 1
                continue
            if secret is None:
                counts["without_secret"] += 1
                continue
            self.add_token(tid, secret, ids.get(t.get("wearer_ref")), t.get("board"), t.get("profile"))
            if t.get("status") in ("provisioned", "retired"):
                self.con.execute("UPDATE tokens SET status = ?, provisioned_ms = ?, fw = ?, created_ms = ? "
                                 "WHERE token_id = ?", (t["status"], t.get("provisioned_ms"), t.get("fw"),
                                                        t.get("created_ms") or now_ms(), tid))
            counts["tokens"] += 1
        return counts
