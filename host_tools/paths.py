"""Where bztoken keeps its data: the platform's own user folders (platformdirs), so a station laptop on Windows or
macOS uses %LOCALAPPDATA%\\bztoken or ~/Library/Application Support/bztoken, and Linux follows the XDG rule
(~/.local/share/bztoken, $XDG_DATA_HOME honoured). The station database (one SQLite file holds the registry:
tokens, wearers, secrets, and the pulled logs): `--db PATH` overrides; so does BZTOKEN_DB. Running virtual tokens
are listed in a state folder (BZTOKEN_VIRTUAL_REGISTRY overrides)."""

import os
from pathlib import Path

import platformdirs

APP = "bztoken"


def _user_path(override: str, base: str, name: str) -> Path:
    """$override when set, else the platform's user `base` folder ("data" or "state") / bztoken / name."""
    env = os.environ.get(override)
    if env:
        return Path(env)
    folder = platformdirs.user_data_path if base == "data" else platformdirs.user_state_path
    return folder(APP, appauthor=False) / name


def default_db() -> Path:
    return _user_path("BZTOKEN_DB", "data", "station.db")


def virtual_registry() -> Path:
    return _user_path("BZTOKEN_VIRTUAL_REGISTRY", "state", "virtual")


def encounter_store(station_db: str | os.PathLike) -> Path:
    """The columnar encounter store (DuckDB) that belongs to a station database: beside it, same stem
    (`station.db` -> `station.encounters.duckdb`)."""
    p = Path(station_db)
    return p.with_name(p.stem + ".encounters.duckdb") if p.suffix else p.with_name(p.name + ".encounters.duckdb")
