"""The simulated devices: tokens (the firmware's own storage on a directory) and Bluezone phones.

A token's storage is the firmware's code running on CPython with a directory as its filesystem root:
`bzfw.keystore.KeyStore` (random daily keys, from the simulation's seeded generator so a seed replays),
`bzfw.encounters.Aggregator` and `bzfw.logstore.LogStore`. A received advert goes through
`bzfw.adv.parse` before it reaches the aggregator, as on the token. The layout is a token's:
ROOT/config.json, ROOT/secret (written when provisioned), ROOT/log/, ROOT/keys/.

Phones keep Bluezone's own scheme (a base key and a SHA-256 chain of daily keys) and log what they
hear as Bluezone does: (ID, time, RSSI) rows.
"""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bzfw import adv, ids
from host_tools.sim.clocks import UnitClock
from host_tools.sim.profiles import Profile
from host_tools.sim.schedule import ALWAYS, Periodic

KIND_TOKEN = 0
KIND_ANDROID = 1
KIND_IOS = 2
KIND_CODES = {"token": KIND_TOKEN, "android": KIND_ANDROID, "ios": KIND_IOS}

# What an iOS Bluezone phone in the background puts on air (spec 2.3, 2.7): Apple's overflow area
# with Bluezone's bit; no ID. Tokens and Android phones must read the ID over GATT.
IOS_ADVERT = bytes.fromhex("02010614ff4c0001" + "08" + "00" * 15)

LOG_CAPACITY = 1_500_000  # bytes of log per token: about 3/4 of a 2 MB LittleFS partition


def firmware_defaults() -> dict:
    """The firmware's config defaults (max_open, ...), if it has them."""
    try:
        from bzfw import config

        c = config.Config()
        return {"max_open": int(getattr(c, "max_open", 128))}
    except ImportError:
        return {"max_open": 128}


@dataclass
class Device:
    idx: int
    pid: str
    kind: int
    adv_sched: Periodic
    scan_sched: Periodic
    adv_interval_ms: float
    tx_1m: float
    clock_off_ms: float  # device clock minus true time at the start
    drift_ppm: float = 0.0
    burst_id: bool = False  # Android: the ID is fixed when an advertising burst starts (spec 2.2)
    tx_off_db: float = 0.0  # this unit's transmit power against its kind's nominal (per-unit spread)
    rx_off_db: float = 0.0  # this unit's receiver gain against its kind's nominal
    wear: str = ""  # where it is carried (scenario.WEAR_POSITIONS)
    body_base_db: float = 0.0  # what the wearer's body costs toward any peer ...
    body_back_db: float = 0.0  # ... and in addition toward a peer right behind
    clock: UnitClock | None = None  # the board's clocks (clocks.py); None: a constant drift_ppm
    synced_ms: int = 0  # true time of the last sync (the station set the clock then)

    def clock_ms(self, true_ms: int, t0_ms: int) -> int:
        if self.clock is not None:
            return int(true_ms + self.clock_off_ms + float(self.clock.error_ms(true_ms)))
        return int(true_ms + self.clock_off_ms + self.drift_ppm * 1e-6 * (true_ms - t0_ms))

    def clock_s(self, true_s: np.ndarray, t0_ms: int) -> np.ndarray:
        """The device's clock (unix seconds) at true unix seconds, vectorised."""
        if self.clock is not None:
            return true_s + (self.clock_off_ms + self.clock.error_ms(true_s * 1000.0)) / 1000.0
        return true_s + self.clock_off_ms / 1000 + self.drift_ppm * 1e-6 * (true_s - t0_ms / 1000)


@dataclass
class Token(Device):
    profile: Profile | None = None
    root: Path | None = None
    keystore: object = None
    logstore: object = None
    agg: object = None
    token_id: str = ""
    _ids: dict = field(default_factory=dict)
    gatt_cache: dict = field(default_factory=dict)  # iOS peer -> (slot, ID), as Bluezone Android does
    records_written: int = 0
    next_flush_ms: int = 0  # always-on: the app's periodic flush; eco: end of the current wake window
    ios_seen: int = 0  # iOS phones heard but not read (the firmware's counter of the same name)

    def before(self, clock_ms: int) -> None:
        """What the app does before it handles a scan result at clock_ms: an always-on token flushes its
        open encounters every flush_every_s; an eco token flushed them before its last deep sleep."""
        if clock_ms < self.next_flush_ms:
            return
        if self.next_flush_ms:
            self.store(self.agg.flush())
        p = self.profile
        if p.eco:
            period = int(p.wake_period_s * 1000)
            ph = int(self.adv_sched.phase_s * 1000)  # 0 when UTC-aligned
            self.next_flush_ms = clock_ms - (clock_ms - ph) % period + int(p.wake_window_s * 1000)
        else:
            every = int(p.flush_every_s * 1000)
            self.next_flush_ms = max(self.next_flush_ms + every, clock_ms - clock_ms % every + every)

    def open_storage(self, urandom, max_open: int) -> None:
        from bzfw import encounters, keystore, logstore

        self.root.mkdir(parents=True, exist_ok=True)
        self.keystore = keystore.KeyStore(str(self.root / "keys"), urandom)
        self.logstore = logstore.LogStore(str(self.root / "log"), LOG_CAPACITY)
        self.agg = encounters.Aggregator(max_open=max_open)

    def id_at(self, clock_ms: int) -> bytes:
        day = ids.day_of(clock_ms)
        day_ids = self._ids.get(day)
        if day_ids is None:
            day_ids = self._ids[day] = ids.day_ids(self.keystore.key_for(day))
        return day_ids[ids.slot_of(clock_ms)]

    def advert_at(self, clock_ms: int) -> bytes:
        return adv.build(self.id_at(clock_ms))

    def store(self, batch) -> None:
        """(day, record) pairs from the aggregator -> the day files, one append per day."""
        by_day: dict[int, list] = {}
        for day, rec in batch:
            by_day.setdefault(day, []).append(rec)
        for day, recs in sorted(by_day.items()):
            self.records_written += self.logstore.append(day, recs)


@dataclass
class Phone(Device):
    platform: str = "android"  # android | ios
    mode: str = "background"
    base_key: bytes = b""
    base_day_s: int = 0
    log: list = field(default_factory=list)  # (contact_id, ts_ms, rssi, kind)
    gatt_cache: dict = field(default_factory=dict)
    _ids: dict = field(default_factory=dict)

    def id_at(self, clock_ms: int) -> bytes:
        day = ids.day_of(clock_ms)
        day_ids = self._ids.get(day)
        if day_ids is None:
            k = ids.chain_daily_key(self.base_key, self.base_day_s, day * ids.DAY_S)
            day_ids = self._ids[day] = ids.day_ids(k)
        return day_ids[ids.slot_of(clock_ms)]

    def advert_at(self, clock_ms: int) -> bytes:
        if self.platform == "ios":
            return IOS_ADVERT
        return adv.build(self.id_at(clock_ms))


def token_schedules(p: Profile, phase_u: float = 0.0) -> tuple[Periodic, Periodic]:
    """(advertising, scanning) windows on the token's own clock; phase_u in [0, 1) places free-running
    (not UTC-aligned) eco windows."""
    if p.eco:  # boot before the window (at UTC multiples of the period), advertise all of it, scan its start
        ph = 0.0 if p.aligned else phase_u * p.wake_period_s
        return (Periodic(p.wake_period_s, p.wake_window_s, ph),
                Periodic(p.wake_period_s, min(p.scan_window_s, p.wake_window_s), ph))
    return ALWAYS, Periodic(p.scan_period_s, p.scan_window_s, 0.0)  # the app aligns scans to UTC too


def phone_schedules(beh: dict, rng: np.random.Generator) -> tuple[Periodic, Periodic]:
    """A phone's windows, at a random phase (phones start their cycles whenever the app started), each cycle
    a little longer than nominal (timers restart after the work, and the OS defers them)."""
    stretch = 1.0 + rng.random() * beh["cycle_stretch"]
    ap, sp = beh["adv_period_s"], beh["scan_period_s"]
    a = Periodic(ap * stretch if beh["adv_on_s"] < ap else ap, beh["adv_on_s"], rng.random() * ap)
    s = Periodic(sp * stretch if beh["scan_on_s"] < sp else sp, beh["scan_on_s"], rng.random() * sp)
    return a, s
