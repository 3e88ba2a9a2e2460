"""Database files with personal data: created mode 0600 and versioned, migrated forward on open.

Every store (SQLite or DuckDB) names itself with a `component` and gives its list of migrations; step i takes
the component from version i to i + 1. Versions live in one small table per file, `schema_versions`, so several
components can share a file (the station's SQLite file holds the registry, the pulled logs and the station's
own tables). A file from before versioning (round 1) is at version 0 for every component: make step 1 the
round-1 schema written with `IF NOT EXISTS`, so it creates a fresh file and leaves an old one's rows alone.

    con = open_sqlite(path, "registry", [SCHEMA_V1, "ALTER TABLE wearers ADD COLUMN lang TEXT"])
    duck = open_duckdb(path, "encounters", [DUCK_V1])

A step is SQL text (one or more statements) or a callable taking the connection. All pending steps run in one
transaction together with the version update: an interrupted migration leaves the file as it was. A file whose
version is newer than this program knows is refused (exit 2) rather than written by code that cannot read it.

File modes: a new file is created 0600 before the engine opens it (never a window where it is readable by
others); an existing file with group or other bits is tightened on open, with its side files. SQLite creates
its journal and WAL files with the database file's own permissions (os_unix.c, findCreateFileMode: "the
permissions of the database file"), so they follow. New parent folders are created 0700.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from host_tools.errors import UsageError

FILE_MODE = 0o600
DIR_MODE = 0o700
VERSION_TABLE = "schema_versions"
# side files the engines write next to a database (SQLite rollback journal / WAL / shared memory; DuckDB WAL)
SIDE_SUFFIXES = ("-journal", "-wal", "-shm", ".wal")

Step = str | Callable[[Any], None]
_UMASK_LOCK = threading.Lock()


def private_dir(path: str | os.PathLike) -> Path:
    """mkdir -p with 0700 for the folders it creates (existing folders are left as their owner set them)."""
    p = Path(path)
    missing = []
    q = p
    while not q.exists():
        missing.append(q)
        if q.parent == q:
            break
        q = q.parent
    for d in reversed(missing):
        try:
            d.mkdir(mode=DIR_MODE)
        except FileExistsError:
            pass
    return p


def private_file(path: str | os.PathLike, create: bool = True) -> Path:
    """Make sure `path` is mode 0600: create it empty and 0600 when missing (if `create`), tighten it otherwise.
    Side files already present (journals, WAL) are tightened too."""
    p = Path(path)
    private_dir(p.parent)
    if create:
        try:
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
            os.close(fd)
        except FileExistsError:
            pass
    for f in (p, *(p.with_name(p.name + s) for s in SIDE_SUFFIXES)):
        try:
            st = f.stat()
        except FileNotFoundError:
            continue
        if stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) & 0o077:
            try:
                os.chmod(f, FILE_MODE)
            except PermissionError:  # not ours (a shared install): say so rather than run with it readable
                raise UsageError(f"{f} is readable by other users and cannot be made private",
                                 hint=f"chmod 600 {f} as its owner") from None
    return p


# -- versions ----------------------------------------------------------------------------------------------
def _is_duckdb(con: Any) -> bool:
    return not isinstance(con, sqlite3.Connection)  # the only other engine here (module "_duckdb" in 1.x/2.x)


def _statements(sql: str) -> list[str]:
    """SQL text split into statements (sqlite3.complete_statement knows comments and string literals)."""
    out, acc = [], ""
    for piece in sql.split(";"):
        acc += piece + ";"
        if sqlite3.complete_statement(acc):
            if acc.strip(" \t\r\n;"):
                out.append(acc.strip())
            acc = ""
    if acc.strip(" \t\r\n;"):
        out.append(acc.rstrip(";").strip())
    return out


def _read_version(con: Any, component: str) -> int:
    """The version without creating the table (read-only connections): 0 when the file has none."""
    try:
        row = con.execute(f"SELECT version FROM {VERSION_TABLE} WHERE component = ?", [component]).fetchone()
    except Exception:  # noqa: BLE001 - no such table (sqlite3.OperationalError / duckdb.CatalogException)
        return 0
    return int(row[0]) if row else 0


def version(con: Any, component: str) -> int:
    """The component's schema version in this file (0: never versioned)."""
    con.execute(f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (component TEXT PRIMARY KEY, version INTEGER NOT NULL,"
                " migrated_ms BIGINT NOT NULL)")
    row = con.execute(f"SELECT version FROM {VERSION_TABLE} WHERE component = ?", [component]).fetchone()
    return int(row[0]) if row else 0


def migrate(con: Any, component: str, steps: Sequence[Step], where: str | os.PathLike = "the database") -> int:
    """Bring `component` to version len(steps), in one transaction. Returns the version found before.
    SQLite connections must be in autocommit mode (isolation_level=None), as every store here opens them."""
    target = len(steps)
    found = version(con, component)
    if found > target:
        raise UsageError(f"{where} was written by a newer bztoken ({component} schema version {found}; "
                         f"this one knows up to {target})", hint="update bztoken on this computer")
    if found == target:
        return found
    duck = _is_duckdb(con)
    con.execute("BEGIN TRANSACTION" if duck else "BEGIN IMMEDIATE")
    try:
        found = version(con, component)  # another process may have migrated while we waited for the lock
        for step in steps[found:]:
            if callable(step):
                step(con)
            else:
                for s in _statements(step):
                    con.execute(s)
        con.execute(f"DELETE FROM {VERSION_TABLE} WHERE component = ?", [component])
        con.execute(f"INSERT INTO {VERSION_TABLE} (component, version, migrated_ms) VALUES (?, ?, ?)",
                    [component, target, time.time_ns() // 1_000_000])
        con.execute("COMMIT")
    except BaseException:
        try:
            con.execute("ROLLBACK")
        except Exception:  # noqa: BLE001 - nothing to roll back (the engine already did)
            pass
        raise
    return found


# -- opening -----------------------------------------------------------------------------------------------
def open_sqlite(path: str | os.PathLike, component: str, steps: Sequence[Step], *, timeout: float = 30,
                row_factory: Any = sqlite3.Row) -> sqlite3.Connection:
    """An autocommit SQLite connection to a 0600 file with `component` migrated to its latest version."""
    p = Path(path)
    try:
        private_file(p)
        con = sqlite3.connect(str(p), timeout=timeout, isolation_level=None)
    except (OSError, sqlite3.Error) as e:
        raise UsageError(f"cannot open the database {p}: {getattr(e, 'strerror', None) or e}") from None
    con.row_factory = row_factory
    try:
        migrate(con, component, steps, p)
    except sqlite3.DatabaseError as e:
        con.close()
        raise UsageError(f"cannot open the database {p}: {e}") from None
    except BaseException:
        con.close()
        raise
    return con


def open_duckdb(path: str | os.PathLike, component: str, steps: Sequence[Step], *, read_only: bool = False):
    """A DuckDB connection to a 0600 file with `component` migrated to its latest version.

    DuckDB refuses an existing empty file ("exists, but it is not a valid DuckDB database file"), so a new file
    cannot be pre-created: it is created by DuckDB under a umask of 077 (held under a lock, so two threads never
    restore each other's umask), and tightened to 0600 on every open with its WAL. DuckDB writes a new WAL
    later with the process's umask: the parent folder, created 0700 here, is what keeps that one private."""
    import duckdb

    p = Path(path)
    try:
        private_dir(p.parent)
        with _UMASK_LOCK:
            old = os.umask(0o077)
            try:
                con = duckdb.connect(str(p), read_only=read_only)
            finally:
                os.umask(old)
        if not read_only:
            private_file(p, create=False)
    except (OSError, duckdb.Error) as e:
        raise UsageError(f"cannot open the database {p}: {getattr(e, 'strerror', None) or e}") from None
    if read_only:
        found = _read_version(con, component)
        if found > len(steps):
            con.close()
            raise UsageError(f"{p} was written by a newer bztoken ({component} schema version {found})",
                             hint="update bztoken on this computer")
        return con
    try:
        migrate(con, component, steps, p)
        private_file(p, create=False)  # the migration's WAL
    except duckdb.Error as e:
        con.close()
        raise UsageError(f"cannot open the database {p}: {e}") from None
    except BaseException:
        con.close()
        raise
    return con
