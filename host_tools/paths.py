"""Where bztoken keeps its data, by the XDG base-directory rule. The station database (one SQLite file holds the
registry: tokens, wearers, secrets, and the pulled logs): `--db PATH` overrides; so does BZTOKEN_DB. Running
virtual tokens are listed in a state folder (BZTOKEN_VIRTUAL_REGISTRY overrides)."""

import os
from pathlib import Path


def _user_path(override: str, xdg: str, fallback: str, name: str) -> Path:
    """$override when set, else $xdg (default ~/fallback) / bztoken / name."""
    env = os.environ.get(override)
    if env:
        return Path(env)
    return Path(os.environ.get(xdg) or Path.home() / fallback) / "bztoken" / name


def default_db() -> Path:
    return _user_path("BZTOKEN_DB", "XDG_DATA_HOME", ".local/share", "station.db")


def virtual_registry() -> Path:
    return _user_path("BZTOKEN_VIRTUAL_REGISTRY", "XDG_STATE_HOME", ".local/state", "virtual")


def encounter_store(station_db: str | os.PathLike) -> Path:
    """The columnar encounter store (DuckDB) that belongs to a station database: beside it, same stem
    (`station.db` -> `station.encounters.duckdb`)."""
    p = Path(station_db)
    return p.with_name(p.stem + ".encounters.duckdb") if p.suffix else p.with_name(p.name + ".encounters.duckdb")
