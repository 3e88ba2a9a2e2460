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

    def __init__(self, db_path: str | Path, passphrase: str | bytes | None, *, kdf_n: int | None = None,
                 key: bytes | None = None):
        """`key`: the key an earlier Registry of this file derived (`.key`), for a long-running process that opens
        the registry again and again (the station: scrypt costs 128 MiB and a few tenths of a second each time)."""
        self.path = Path(db_path)
        # created 0600, versioned and migrated forward (host_tools.dbfiles); version 1 is round 1's schema
        self.con = dbfiles.open_sqlite(self.path, "registry", MIGRATIONS)
        self.con.execute("PRAGMA foreign_keys = ON")
        self._key: bytes | None = None
        if key is not None:
            try:
                secrets.unseal(key, bytes.fromhex(self._meta("check") or ""), "registry")
            except (AuthError, ValueError):
                self.con.close()
                raise AuthError(f"the station passphrase of {self.path} has changed",
                                hint="start the station again with the new passphrase") from None
            self._key = key
        elif passphrase is not None:
            self._key = self._unlock(passphrase, kdf_n)

    @property
    def key(self) -> bytes:
        return self._need_key()

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
        self.con.execute("BEGIN")  # one read transaction: a consistent snapshot while a station works on
        try:
            self._export_rows(out, refs, key)
        finally:
            self.con.execute("COMMIT")
        return out

    def _export_rows(self, out: dict, refs: dict, key: bytes | None) -> None:
        for w in self.wearers():
            refs[w["id"]] = w["ref"]
            out["wearers"].append({k: w[k] for k in ("ref", "name", "phone", "note", "created_ms")})
        for t in self.tokens():
            item = {k: t[k] for k in ("token_id", "board", "profile", "status", "created_ms", "provisioned_ms", "fw")}
            item["wearer_ref"] = refs.get(t["wearer_id"])
            if key is not None:
                item["sealed_secret"] = secrets.seal(key, self.secret_for(t["token_id"]), t["token_id"]).hex()
            out["tokens"].append(item)

    def import_(self, data: object, passphrase: str | bytes | None) -> dict:
        """Merge an export: new wearers and tokens are added; a token already here is left as it is
        (counted as `same` when its secret matches, `conflicts` otherwise). Returns the counts.

        All or nothing: every field is checked (check_export) and every sealed secret opened before one row is
        written, and the rows go in as one transaction. UsageError (exit 2) for a malformed export, AuthError
        (exit 3) for a wrong transfer passphrase; the database is then exactly as before."""
        doc = check_export(data)
        key = None
        if doc["kdf"] is not None:
            if passphrase is None:
                raise UsageError("this export holds secrets: its passphrase is needed")
            p = doc["kdf"]
            key = secrets.derive_key(passphrase, bytes.fromhex(p["salt"]), p["n"], p["r"], p["p"])
            try:
                secrets.unseal(key, bytes.fromhex(doc["check"]), "export")
            except AuthError:
                raise AuthError("wrong passphrase for this registry export") from None
        opened: dict[str, bytes] = {}
        for i, t in enumerate(doc["tokens"]):
            if key is not None and t["sealed_secret"] is not None:
                try:
                    opened[t["token_id"]] = secrets.unseal(key, bytes.fromhex(t["sealed_secret"]), t["token_id"])
                except AuthError:  # the check opened, so the passphrase is right: this field was altered
                    raise UsageError(f"tokens[{i}].sealed_secret: does not open for {t['token_id']} "
                                     "(altered or moved from another token)") from None
                if len(opened[t["token_id"]]) != secrets.SECRET_LEN:
                    raise UsageError(f"tokens[{i}].sealed_secret: not a {secrets.SECRET_LEN}-byte secret")
        counts = {"wearers": 0, "tokens": 0, "same": 0, "conflicts": 0, "without_secret": 0}
        # Decide everything (and seal for this station) before the transaction: it then only inserts.
        here_key = self._need_key() if opened else self._key
        to_add = []
        for t in doc["tokens"]:
            tid = t["token_id"]
            secret = opened.get(tid)
            if self.token(tid) is not None:
                if secret is not None and self.secret_for(tid) == secret:
                    counts["same"] += 1
                else:
                    counts["conflicts"] += 1
                continue
            if secret is None:
                counts["without_secret"] += 1
                continue
            assert here_key is not None
            to_add.append((t, secrets.seal(here_key, secret, tid)))
        ids: dict[str, int] = {}
        con = self.con
        con.execute("BEGIN IMMEDIATE")
        try:
            for w in doc["wearers"]:
                row = con.execute("SELECT id FROM wearers WHERE ref = ?", (w["ref"],)).fetchone()
                if row:
                    ids[w["ref"]] = int(row[0])
                    continue
                cur = con.execute("INSERT INTO wearers (ref, name, phone, note, created_ms) VALUES (?, ?, ?, ?, ?)",
                                  (w["ref"], w["name"], w["phone"], w["note"], w["created_ms"] or now_ms()))
                ids[w["ref"]] = int(cur.lastrowid or 0)
                counts["wearers"] += 1
            for t, sealed in to_add:
                tid = t["token_id"]
                created = t["created_ms"] or now_ms()
                con.execute("INSERT INTO tokens (token_id, wearer_id, board, profile, status, created_ms, "
                            "provisioned_ms, fw) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            (tid, ids.get(t["wearer_ref"] or ""), t["board"], t["profile"], t["status"], created,
                             t["provisioned_ms"], t["fw"]))
                con.execute("INSERT INTO secrets VALUES (?, ?, ?)", (tid, sealed, created))
                counts["tokens"] += 1
            con.execute("COMMIT")
        except BaseException:  # Ctrl-C included: nothing of the import stays
            con.execute("ROLLBACK")
            raise
        return counts


# -- checking an export before anything is written ------------------------------------------------
# Bounds for a transfer file's scrypt parameters: what this code writes (N=2**17, r=8, p=1) fits well inside;
# beyond them a file could make the import spend gigabytes or hours (scrypt needs 128 * N * r bytes).
KDF_N_RANGE = (2**10, 2**20)
KDF_R_RANGE = (1, 32)
KDF_P_RANGE = (1, 16)
KDF_MAX_BYTES = 1 << 30
SALT_RANGE = (16, 64)
MAX_TEXT = {"ref": 200, "name": 200, "phone": 40, "note": 2000, "board": 64, "profile": 32, "fw": 64}
MAX_ROWS = 1_000_000
MAX_EXPORT_BYTES = 256 << 20
MAX_DEPTH = 4  # {top: {kdf}} or {top: [ {row} ]}: anything deeper is not an export
TOKEN_STATUSES = ("pending", "provisioned", "retired")
_SEALED_SECRET_LEN = secrets.NONCE_LEN + secrets.SECRET_LEN + 16  # nonce || ciphertext || GCM tag
_SEALED_CHECK_LEN = secrets.NONCE_LEN + len(CHECK_PLAIN) + 16
_TOP_KEYS = {"format", "version", "exported_ms", "wearers", "tokens", "kdf", "check"}
_WEARER_KEYS = {"ref", "name", "phone", "note", "created_ms"}
_TOKEN_KEYS = {"token_id", "board", "profile", "status", "created_ms", "provisioned_ms", "fw", "wearer_ref",
               "sealed_secret"}


def _depth(obj: object) -> int:
    """Nesting depth of a JSON value, without recursion (a hostile file can nest 100,000 deep)."""
    best, stack = 0, [(obj, 1)]
    while stack:
        o, d = stack.pop()
        if isinstance(o, dict | list):
            best = max(best, d)
            if d > MAX_DEPTH:
                return d
            stack.extend((v, d + 1) for v in (o.values() if isinstance(o, dict) else o))
    return best


def check_text(v: object, where: str, limit: int, required: bool = False, lines: bool = False) -> str | None:
    """Text of at most `limit` characters without control characters (`lines`: tabs and newlines allowed)."""
    if v is None and not required:
        return None
    if not isinstance(v, str):
        raise UsageError(f"{where}: expected text, got {type(v).__name__}")
    if required and not v.strip():
        raise UsageError(f"{where}: empty")
    if len(v) > limit:
        raise UsageError(f"{where}: {len(v)} characters, at most {limit}")
    bad = next((c for c in v if ord(c) < 32 and not (lines and c in "\t\n") or 0x7F <= ord(c) < 0xA0), None)
    if bad is not None:
        raise UsageError(f"{where}: control character U+{ord(bad):04X}")
    return v


def _int(v: object, where: str, lo: int, hi: int, required: bool = False) -> int | None:
    if v is None and not required:
        return None
    if not isinstance(v, int) or isinstance(v, bool):
        raise UsageError(f"{where}: expected an integer, got {type(v).__name__}")
    if not lo <= v <= hi:
        raise UsageError(f"{where}: {v} is outside {lo}..{hi}")
    return v


def _hex(v: object, where: str, lengths: tuple[int, int]) -> str:
    if not isinstance(v, str):
        raise UsageError(f"{where}: expected hex text, got {type(v).__name__}")
    if len(v) > 2 * lengths[1] or not re.fullmatch(r"(?:[0-9a-fA-F]{2})+", v):
        raise UsageError(f"{where}: not hex")
    if not lengths[0] <= len(v) // 2 <= lengths[1]:
        want = str(lengths[0]) if lengths[0] == lengths[1] else f"{lengths[0]}..{lengths[1]}"
        raise UsageError(f"{where}: {len(v) // 2} bytes, expected {want}")
    return v


def _keys(obj: object, where: str, allowed: set[str], required: tuple[str, ...]) -> dict:
    if not isinstance(obj, dict):
        raise UsageError(f"{where}: expected an object, got {type(obj).__name__}")
    extra = sorted(k for k in obj if k not in allowed)
    if extra:
        raise UsageError(f"{where}: unknown field {str(extra[0])[:40]!r}")
    missing = [k for k in required if k not in obj]
    if missing:
        raise UsageError(f"{where}: missing field {missing[0]!r}")
    return obj


def check_export(data: object) -> dict:
    """A registry export checked field by field; returns it normalised (every optional field present).
    UsageError naming the first bad field (`tokens[3].sealed_secret: not hex`); never any other exception."""
    if _depth(data) > MAX_DEPTH:
        raise UsageError(f"not a bztoken registry export: nested deeper than {MAX_DEPTH} levels")
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise UsageError("not a bztoken registry export")
    version = data.get("version")
    if version != EXPORT_VERSION or isinstance(version, bool):
        raise UsageError(f"registry export version {str(version)[:20]} is not supported (want {EXPORT_VERSION})")
    _keys(data, "export", _TOP_KEYS, ("format", "version", "wearers", "tokens"))
    _int(data.get("exported_ms"), "exported_ms", 0, 2**53)
    has_kdf = "kdf" in data or "check" in data
    kdf = None
    if has_kdf:
        k = _keys(data.get("kdf"), "kdf", {"salt", "n", "r", "p"}, ("salt", "n", "r", "p"))
        kdf = {"salt": _hex(k["salt"], "kdf.salt", SALT_RANGE),
               "n": _int(k["n"], "kdf.n", *KDF_N_RANGE, required=True),
               "r": _int(k["r"], "kdf.r", *KDF_R_RANGE, required=True),
               "p": _int(k["p"], "kdf.p", *KDF_P_RANGE, required=True)}
        if kdf["n"] & (kdf["n"] - 1):
            raise UsageError(f"kdf.n: {kdf['n']} is not a power of two")
        if 128 * kdf["n"] * kdf["r"] > KDF_MAX_BYTES:
            raise UsageError(f"kdf: n={kdf['n']}, r={kdf['r']} needs more than {KDF_MAX_BYTES >> 20} MiB")
        if "check" not in data:
            raise UsageError("export: missing field 'check'")
        _hex(data["check"], "check", (_SEALED_CHECK_LEN, _SEALED_CHECK_LEN))
    for part in ("wearers", "tokens"):
        if not isinstance(data[part], list):
            raise UsageError(f"{part}: expected a list, got {type(data[part]).__name__}")
        if len(data[part]) > MAX_ROWS:
            raise UsageError(f"{part}: {len(data[part])} entries, at most {MAX_ROWS}")
    wearers, refs = [], {}
    for i, w in enumerate(data["wearers"]):
        where = f"wearers[{i}]"
        _keys(w, where, _WEARER_KEYS, ("ref", "name"))
        ref = check_text(w["ref"], f"{where}.ref", MAX_TEXT["ref"], required=True)
        assert ref is not None
        if ref.strip() != ref:
            raise UsageError(f"{where}.ref: leading or trailing spaces")
        if ref in refs:
            raise UsageError(f"{where}.ref: {ref[:40]!r} already in wearers[{refs[ref]}]")
        refs[ref] = i
        wearers.append({"ref": ref, "name": check_text(w["name"], f"{where}.name", MAX_TEXT["name"], required=True),
                        "phone": check_text(w.get("phone"), f"{where}.phone", MAX_TEXT["phone"]),
                        "note": check_text(w.get("note"), f"{where}.note", MAX_TEXT["note"], lines=True),
                        "created_ms": _int(w.get("created_ms"), f"{where}.created_ms", 0, 2**53)})
    tokens, tids = [], {}
    for i, t in enumerate(data["tokens"]):
        where = f"tokens[{i}]"
        _keys(t, where, _TOKEN_KEYS, ("token_id", "status"))
        tid = t["token_id"]
        if not isinstance(tid, str) or not TOKEN_ID_RE.match(tid):
            raise UsageError(f"{where}.token_id: bad token ID {str(tid)[:40]!r}",
                             hint="3-32 characters: A-Z, 0-9 and '-'")
        if tid in tids:
            raise UsageError(f"{where}.token_id: {tid} already in tokens[{tids[tid]}]")
        tids[tid] = i
        if t["status"] not in TOKEN_STATUSES:
            raise UsageError(f"{where}.status: {str(t['status'])[:20]!r} is not one of {', '.join(TOKEN_STATUSES)}")
        wref = check_text(t.get("wearer_ref"), f"{where}.wearer_ref", MAX_TEXT["ref"])
        if wref is not None and wref not in refs:
            raise UsageError(f"{where}.wearer_ref: {wref[:40]!r} is not among the export's wearers")
        sealed = t.get("sealed_secret")
        if sealed is not None:
            if kdf is None:
                raise UsageError(f"{where}.sealed_secret: the export has no kdf to open it with")
            _hex(sealed, f"{where}.sealed_secret", (_SEALED_SECRET_LEN, _SEALED_SECRET_LEN))
        tokens.append({"token_id": tid, "status": t["status"], "wearer_ref": wref, "sealed_secret": sealed,
                       "board": check_text(t.get("board"), f"{where}.board", MAX_TEXT["board"]),
                       "profile": check_text(t.get("profile"), f"{where}.profile", MAX_TEXT["profile"]),
                       "fw": check_text(t.get("fw"), f"{where}.fw", MAX_TEXT["fw"]),
                       "created_ms": _int(t.get("created_ms"), f"{where}.created_ms", 0, 2**53),
                       "provisioned_ms": _int(t.get("provisioned_ms"), f"{where}.provisioned_ms", 0, 2**53)})
    return {"kdf": kdf, "check": data.get("check"), "wearers": wearers, "tokens": tokens}


def load_export(path: str | Path) -> object:
    """The JSON of an export file; UsageError (one line) for anything unreadable or not JSON."""
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_EXPORT_BYTES + 1)
    except OSError as e:
        raise UsageError(f"{path}: {e.strerror or e}") from None
    if len(raw) > MAX_EXPORT_BYTES:
        raise UsageError(f"{path}: larger than {MAX_EXPORT_BYTES >> 20} MiB: not a registry export")
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise UsageError(f"{path}: not UTF-8 (byte {e.start})") from None
    except RecursionError:
        raise UsageError(f"{path}: not a bztoken registry export: nested too deeply") from None
    except ValueError as e:
        raise UsageError(f"{path}: not JSON ({str(e).splitlines()[0][:80]})") from None
