"""Synthetic station data for the hub's tests and benchmark: stations (registry + pulled encounters) and
exposure lists, with matches planted at slot edges (and just outside them) among random contact IDs."""

import json
import random
from pathlib import Path

from bzfw import ids
from host_tools.stationdb import StationDB
from provisioning.registry import Registry

PW = "hub test passphrase"
DAY0 = 20_400  # 2025-11-08, a UTC day number
DAY_MS = ids.DAY_S * 1000
SLOT_MS = DAY_MS // ids.SLOTS_PER_DAY


def exposure_list(path: Path, keys: list[tuple[bytes, int]]) -> Path:
    """A push payload of one-day entries (key, UTC day)."""
    data = [{"daily_key": k.hex().upper(), "time_start": d * ids.DAY_S, "max": ids.SLOTS_PER_DAY,
             "time_end": d * ids.DAY_S + ids.DAY_S - 1} for k, d in keys]
    path.write_text(json.dumps({"data": data}), encoding="utf-8")
    return path


def random_keys(rng: random.Random, n: int, days: int = 14) -> list[tuple[bytes, int]]:
    return [(rng.randbytes(32), DAY0 + i % days) for i in range(n)]


# (first, last) offsets from the slot window [ws, we]: what strict and scored (30 s tolerance) say about each.
EDGE_CASES = (
    (0, 0),  # exactly at the window start: strict
    (SLOT_MS, SLOT_MS),  # exactly at its end (inclusive): strict
    (-20_000, 0),  # last seen at the start: strict
    (-25_000, -1),  # 1 ms before: scored only (edge)
    (SLOT_MS + 1, SLOT_MS + 20_000),  # just after: scored only
    (SLOT_MS + 31_000, SLOT_MS + 60_000),  # past the tolerance: nothing
    (60_000, 300_000),  # well inside
    (-120_000, -31_000),  # before the tolerance: nothing
)


def planted_row(rng: random.Random, key: bytes, day: int, case: int) -> tuple[bytes, int, int, int]:
    """(contact ID, first, last, slot) of a sighting of `key`'s ID in a random slot, at edge case `case`."""
    slot = rng.randrange(1, ids.SLOTS_PER_DAY - 1)
    cid = ids.day_ids(key, slot + 1)[slot]
    ws = day * DAY_MS + slot * SLOT_MS
    a, b = EDGE_CASES[case % len(EDGE_CASES)]
    return cid, ws + a, ws + b, slot


def encounter(token: str, day: int, off: int, cid: bytes, first: int, last: int, rng: random.Random,
              slot: int | None = None) -> dict:
    return {"token_id": token, "day": day, "file_offset": off, "contact_id": cid, "kind": 1,
            "slot": slot if slot is not None else (first - day * DAY_MS) // SLOT_MS % ids.SLOTS_PER_DAY,
            "first_seen_ms": first, "last_seen_ms": last, "raw_first_seen_ms": first, "raw_last_seen_ms": last,
            "correction_ms": 0, "count": rng.randint(1, 30), "rssi_min": -rng.randint(60, 95),
            "rssi_max": -rng.randint(40, 59), "rssi_mean": -rng.randint(55, 80)}


def noise(rng: random.Random, token: str, day: int, off: int) -> dict:
    slot = rng.randrange(ids.SLOTS_PER_DAY)
    first = day * DAY_MS + slot * SLOT_MS + rng.randrange(SLOT_MS - 60_000)
    return encounter(token, day, off, rng.randbytes(12), first, first + rng.randrange(60_000), rng, slot)


def make_station(db: Path, tokens: dict[str, bytes], wearers: dict[str, str], pulls: list[tuple[str, list[dict]]],
                 profiles: dict[str, str] | None = None):
    """A station: tokens (ID -> secret; a wearer for those in `wearers`), then each pull (token, rows) stored."""
    with Registry(db, PW, kdf_n=2**10) as reg:
        for tid, secret in tokens.items():
            wid = reg.add_wearer(wearers[tid], phone="0912 345 678") if tid in wearers else None
            reg.add_token(tid, secret, wid, profile=(profiles or {}).get(tid))
    with StationDB(db) as sdb:
        for i, (tid, rows) in enumerate(pulls):
            sdb.store_pull({"token_id": tid, "started_ms": i, "finished_ms": i, "status": "complete"}, rows)


def spark_session():
    """The test session's SparkSession (getOrCreate: every module gets the same one): local[1], no UI,
    few shuffle partitions; skipped when pyspark or Java is missing."""
    import shutil

    import pytest

    pytest.importorskip("pyspark")
    if shutil.which("java") is None and not __import__("os").environ.get("JAVA_HOME"):
        pytest.skip("Spark needs a Java runtime (Debian: openjdk-17-jre-headless)")
    from host_tools.hub import spark_engine

    return spark_engine.session("local[1]", {"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "2",
                                             "spark.default.parallelism": "1"})


def synthetic_station(tmp: Path, rows: int = 200_000, key_days: int = 1_000, tokens: int = 100,
                      planted: int = 800, seed: int = 18) -> dict:
    """One station with `tokens` wearers and `rows` encounters, of which `planted` are sightings of the list's IDs
    at every edge case of EDGE_CASES (strict hits, scored-only hits, misses just past the tolerance); an
    exposure list of `key_days` one-day entries over 14 days. Returns paths, secrets and counts."""
    rng = random.Random(seed)
    keys = random_keys(rng, key_days)
    toks = {f"BZ-{i:05d}-{seed:05d}": rng.randbytes(32) for i in range(tokens)}
    names = {t: f"Wearer {i}" for i, t in enumerate(toks)}
    tids = list(toks)
    per_token: dict[str, list[dict]] = {t: [] for t in tids}
    for i in range(planted):
        t = tids[rng.randrange(tokens)]
        key, day = keys[rng.randrange(len(keys))]
        cid, first, last, slot = planted_row(rng, key, day, i)
        per_token[t].append(encounter(t, day, 0, cid, first, last, rng, slot))
    for i in range(rows - planted):
        t = tids[i % tokens]
        per_token[t].append(noise(rng, t, DAY0 + rng.randrange(14), 0))
    pulls = []
    for t, rs in per_token.items():
        rs.sort(key=lambda r: (r["day"], r["first_seen_ms"]))
        offs: dict[int, int] = {}
        for r in rs:
            r["file_offset"] = offs.get(r["day"], 0)
            offs[r["day"]] = r["file_offset"] + 16
        pulls.append((t, rs))
    db = tmp / "station.db"
    make_station(db, toks, names, pulls)
    lst = exposure_list(tmp / "positives.json", keys)
    return {"db": db, "list": lst, "secrets": toks, "rows": rows, "planted": planted}


def station_receivers(db):
    """How `bztoken match --db` reads each token's log (its jig offset and profile), for run_match."""
    from host_tools.match import calibration, scoring

    offs, profs = calibration.offsets(db), calibration.token_profiles(db)
    return lambda info: scoring.Receiver.from_info(info, offs, profs)
