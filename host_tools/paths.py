"""Where the station keeps its data: one SQLite file holds the registry (tokens, wearers, secrets)
and the pulled logs. `--db PATH` overrides; so does the environment variable BZTOKEN_DB."""

import os
from pathlib import Path


def default_db() -> Path:
    env = os.environ.get("BZTOKEN_DB")
    if env:
        return Path(env)
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "bztoken" / "station.db"
