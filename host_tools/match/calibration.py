"""RSSI calibration: the per-kind table (calibration.json, one source of truth) and per-token jig offsets.

Attenuation (dB of path loss) of a sighting, as GAEN computes it from a calibrated TX power and an RSSI
correction per device model, with the average loss of the wearers' bodies made explicit:

    attenuation = tx_dbm(sender kind) - (rssi + rx_correction(receiver kind) + jig offset(receiving token))
    tx_dbm = rssi_1m_dbm + fspl_1m_db - worn_loss_db;  rx_correction = rx_correction_db + worn_loss_db

The jig step (`bztoken calibrate`): at provisioning, the token under test lies 1 m from a reference advertiser
(a token of the station, the `token` kind of the table) for N seconds, is pulled, and the station compares the
mean RSSI of the reference's records with what the table says a token reads at 1 m. The difference is the
token's offset, stored in the station database (table `rssi_calibration`, component "calibration") and
added to every RSSI of that token's log when it is scored.
"""

import json
import sqlite3
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from host_tools import dbfiles
from host_tools.errors import UsageError

KINDS = ("token", "android", "ios")
TABLE_PATH = Path(__file__).with_name("calibration.json")
# A fixed ID the jig's reference advertiser sends (Bluezone v2 advert, spec 2.2): not derivable from any key,
# so it never matches an exposure entry; "JIG" and a version in ASCII.
JIG_REFERENCE_ID = bytes.fromhex("4A4947" + "00" * 8 + "01")
JIG_MIN_COUNT = 20  # sightings of the reference needed for an offset (fading averages down as 1/sqrt(n))
JIG_MAX_ABS_DB = 20.0  # a larger offset means a broken antenna or the wrong distance: refused


@lru_cache(maxsize=1)
def table() -> dict:
    with open(TABLE_PATH, encoding="utf-8") as f:
        t = json.load(f)
    assert set(t["kinds"]) == set(KINDS), "calibration.json: kinds"
    b = t["buckets"]
    assert len(b["edges_db"]) + 1 == len(b["names"]) == len(b["weights"]), "calibration.json: buckets"
    assert len(b["about_m"]) == len(b["edges_db"]), "calibration.json: buckets' distances"
    return t


def _kind(kind: str) -> dict:
    try:
        return table()["kinds"][kind]
    except KeyError:
        raise UsageError(f"unknown device kind {kind!r}", hint=f"one of {', '.join(KINDS)}") from None


def rssi_1m(kind: str) -> float:
    return float(_kind(kind)["rssi_1m_dbm"])


def worn_loss(kind: str) -> float:
    return float(_kind(kind)["worn_loss_db"])


def tx_dbm(kind: str) -> float:
    """The sender's calibrated TX level as worn: what a bare reference receiver reads at 1 m, plus the free-space
    loss at 1 m, minus what its wearer's body costs on average."""
    return rssi_1m(kind) + float(table()["fspl_1m_db"]) - worn_loss(kind)


def rx_correction(kind: str) -> float:
    """Added to a receiver's RSSI: its kind's correction and what its wearer's body costs on average."""
    return float(_kind(kind)["rx_correction_db"]) + worn_loss(kind)


def sampling_s(kind: str, profile: str | None = None) -> float:
    """How long one sighting by a receiver of this kind stands for: a phone's scan period; a token's profile's
    scan period (bzfw.config.PROFILES; the firmware's default profile when the profile is unknown)."""
    v = _kind(kind)["sampling_s"]
    if v is not None:
        return float(v)
    from bzfw import config as fwconfig

    p = fwconfig.PROFILES.get(profile or "") or fwconfig.PROFILES[getattr(fwconfig, "DEFAULT_PROFILE",
                                                                          fwconfig.PROFILE_ALWAYS_ON)]
    return float(max(p.get("wake_period_ms", 0), p["scan_period_ms"])) / 1000


def buckets() -> tuple[list[float], list[str], list[float]]:
    b = table()["buckets"]
    return [float(x) for x in b["edges_db"]], list(b["names"]), [float(x) for x in b["weights"]]


def bucket_distances_m() -> list[float]:
    """The distance each bucket's upper edge stands for (metres; one per edge, the last bucket is open),
    as the station prints it beside the bucket."""
    return [float(x) for x in table()["buckets"]["about_m"]]


# --- per-token jig offsets, in the station database ---------------------------------------------------------

COMPONENT = "calibration"
_SCHEMA_V1 = """CREATE TABLE IF NOT EXISTS rssi_calibration (
  id INTEGER PRIMARY KEY, token_id TEXT NOT NULL,
  measured_ms INTEGER NOT NULL,    -- station clock when the offset was computed
  reference_kind TEXT NOT NULL,    -- kind of the reference advertiser (row of calibration.json)
  expected_dbm REAL NOT NULL,      -- what that kind reads at 1 m
  measured_dbm REAL NOT NULL,      -- the count-weighted mean RSSI the token logged from it
  sightings INTEGER NOT NULL, seconds REAL NOT NULL,
  offset_db REAL NOT NULL          -- expected - measured: added to the token's RSSI when scoring
);
CREATE INDEX IF NOT EXISTS rssi_calibration_token ON rssi_calibration(token_id, measured_ms)"""


def open_store(path: str | Path) -> sqlite3.Connection:
    return dbfiles.open_sqlite(path, COMPONENT, [_SCHEMA_V1])


@dataclass
class JigResult:
    token_id: str
    reference_kind: str
    expected_dbm: float
    measured_dbm: float
    sightings: int
    seconds: float
    offset_db: float
    measured_ms: int

    def to_json(self) -> dict:
        return {k: (round(v, 2) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def measure(db_path: str | Path, token_id: str, since_ms: int, reference_id: bytes = JIG_REFERENCE_ID,
            reference_kind: str = "token", min_count: int = JIG_MIN_COUNT, now_ms: int | None = None) -> JigResult:
    """The jig offset of `token_id` from its pulled records of the reference since `since_ms`; validated, not
    stored (see store())."""
    from host_tools import stationdb
    from host_tools.match import query

    expected = rssi_1m(reference_kind)
    if not Path(db_path).is_file():
        raise UsageError(f"{db_path}: no such station database")
    hi, lo = query.split_ids(reference_id)
    with stationdb.store(db_path) as con:  # the pulled encounters (DuckDB, beside the station's file)
        rows = con.execute("SELECT count, rssi_mean, first_seen_ms, last_seen_ms FROM encounters "
                           "WHERE token_id = ? AND cid_hi = ? AND cid_lo = ? AND last_seen_ms >= ?",
                           [token_id, int(hi[0]), int(lo[0]), since_ms]).fetchall()
    n = sum(int(r[0]) for r in rows)
    if n < min_count:
        raise UsageError(f"token {token_id}: {n} sightings of the jig reference {reference_id.hex().upper()} "
                         f"since the jig started, need at least {min_count}",
                         hint="leave the token on the jig longer (or check the reference is on), then pull again")
    mean = sum(int(r[0]) * int(r[1]) for r in rows) / n
    secs = (max(int(r[3]) for r in rows) - min(int(r[2]) for r in rows)) / 1000
    off = expected - mean
    if abs(off) > JIG_MAX_ABS_DB:
        raise UsageError(f"token {token_id}: reads the 1 m reference at {mean:.1f} dBm, {off:+.1f} dB from the "
                         f"expected {expected:.1f} dBm", hint="check the distance on the jig and the antenna")
    return JigResult(token_id, reference_kind, expected, mean, n, secs, off,
                     int(time.time() * 1000) if now_ms is None else now_ms)


def store(db_path: str | Path, r: JigResult) -> None:
    con = open_store(db_path)
    try:
        con.execute("INSERT INTO rssi_calibration (token_id, measured_ms, reference_kind, expected_dbm, "
                    "measured_dbm, sightings, seconds, offset_db) VALUES (?,?,?,?,?,?,?,?)",
                    (r.token_id, r.measured_ms, r.reference_kind, r.expected_dbm, r.measured_dbm, r.sightings,
                     r.seconds, r.offset_db))
    finally:
        con.close()


def offsets(db_path: str | Path) -> dict[str, float]:
    """token ID -> its latest jig offset (dB), for every calibrated token; {} when none is."""
    p = Path(db_path)
    if not p.is_file():
        return {}
    try:
        con = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
    except sqlite3.Error:
        return {}
    try:
        rows = con.execute("SELECT token_id, offset_db FROM rssi_calibration ORDER BY measured_ms, id").fetchall()
    except sqlite3.Error:  # no jig step run on this station yet
        return {}
    finally:
        con.close()
    return {t: float(o) for t, o in rows}


def token_profiles(db_path: str | Path) -> dict[str, str]:
    """token ID -> its profile as registered (the registry shares the station's file); {} when unknown."""
    p = Path(db_path)
    if not p.is_file():
        return {}
    try:
        con = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
        try:
            rows = con.execute("SELECT token_id, profile FROM tokens WHERE profile IS NOT NULL").fetchall()
        finally:
            con.close()
    except sqlite3.Error:
        return {}
    return {t: str(pr) for t, pr in rows}
