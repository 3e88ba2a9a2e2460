"""Scenario files: who is where, when, carrying what (the format is documented in scenarios/README.md).

A scenario is a JSON object. Loading validates everything up front and names the exact place of a
mistake (`school-day.json: groups[1].schedule[2].at: unknown place 'yrd'`), so a run never fails halfway.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from host_tools.errors import UsageError
from host_tools.sim import profiles
from host_tools.sim.clocks import CLOCK_DEFAULTS, SLEEP_SOURCES
from host_tools.timeutil import parse_day_s

DEVICE_KINDS = ("token", "android", "ios", "none")
MOVES = ("seated", "wander", "mingle", "still")
HOME = "home"  # every person's own place: out of radio range of everyone else

# Radio and behaviour defaults; a scenario's "air" and "phones" objects override single keys.
AIR_DEFAULTS: dict[str, float] = {
    "path_loss_exp": 2.5,  # a room with people in it (environment "room"; see ENVIRONMENTS for the others)
    "shadow_db": 3.0,  # per-pair shadowing by other people and furniture, redrawn every shadow_s
    "shadow_s": 60.0,  # (the wearers' own bodies are modelled apart: WEAR_POSITIONS, by orientation)
    "fading_db": 1.0,  # per-sample RSSI reading noise, per direction (multipath: the environment's Rician K)
    "wall_db": 12.0,  # extra loss between two different places (one interior wall)
    "sensitivity_dbm": -94.0,  # ESP32-class receivers and phones: -94 .. -97 dBm
    "loss": 0.15,  # each advert lost with this probability (collisions, channel hopping misses)
    "gatt_success": 0.8,  # a GATT read of an iOS phone's ID succeeds (above gatt_min_rssi)
    "gatt_min_rssi": -88.0,
}
# RSSI 1 m away from each kind of sender (dBm): a token at 0 dBm on a lanyard, an Android phone at
# ADVERTISE_TX_POWER_LOW (about -15 dBm, spec 2.2), an iPhone advertising at its default power.
TX_1M_DEFAULTS: dict[str, float] = {"token": -60.0, "android": -72.0, "ios": -62.0}

# Multipath per environment: log-distance exponent and Rician K factor of the per-sample fading (dB; K very
# low is Rayleigh: no dominant path). Sources in scenarios/README.md, "Physics".
ENVIRONMENTS: dict[str, dict[str, float]] = {
    "room": {"path_loss_exp": 2.5, "rician_k_db": 3.0},  # indoors, people around: LOS plus strong reflections
    "bus": {"path_loss_exp": 1.7, "rician_k_db": -10.0},  # a metal box: waveguide-like, Rayleigh-like fading
    "market": {"path_loss_exp": 2.8, "rician_k_db": 6.0},  # a covered market: stalls, goods, a crowd
    "open": {"path_loss_exp": 2.0, "rician_k_db": 9.0},  # outdoors, an open yard: direct path plus the ground
}
# Where a device is worn, and what its wearer's body costs (dB): `base` always, plus `back` scaled by
# (1 - cos a) / 2, a the angle between the wearer's facing and the direction of the other device (0 in front,
# `back` fully behind). Sources in scenarios/README.md, "Physics".
WEAR_POSITIONS: dict[str, dict[str, float]] = {
    "lanyard": {"base": 0.0, "back": 14.0},  # on the chest: the whole torso behind it
    "wrist": {"base": 3.0, "back": 8.0},  # the arm moves: partly shadowed, whatever the facing
    "pocket": {"base": 8.0, "back": 10.0},  # trouser pocket: against the thigh, cloth around
    "bag": {"base": 6.0, "back": 6.0},  # in a bag at the side or back, among other things
    "hand": {"base": 1.0, "back": 8.0},  # a phone in use: in front of the body, the hand around it
}
WEAR_DEFAULTS: dict[str, dict[str, float]] = {  # how each kind of device is carried, as shares
    "token": {"lanyard": 0.7, "wrist": 0.1, "pocket": 0.15, "bag": 0.05},
    "android": {"pocket": 0.5, "bag": 0.25, "hand": 0.25},
    "ios": {"pocket": 0.5, "bag": 0.25, "hand": 0.25},
}
# Per-unit spread (dB, sigma of a normal): transmit power at 1 m and receiver gain, per kind of device.
UNIT_SPREAD_DEFAULTS: dict[str, float] = {"token_tx": 2.0, "token_rx": 2.0, "android_tx": 5.0, "android_rx": 4.0,
                                          "ios_tx": 3.0, "ios_rx": 3.0}
BOARDS = ("esp32c3-supermini", "esp32-devkitc", "esp32s3-devkitc-1")

PHONE_DEFAULTS: dict[str, dict[str, float]] = {
    # Bluezone spec 2.2 and 2.4: background 15 s on / 15 s off advertising, scanning 40 s every 300 s;
    # foreground 150 s on / 5 s off for both. LOW_LATENCY advertising is about 100 ms.
    # cycle_stretch: a phone's timers restart after the work is done and the OS defers them, so each cycle
    # runs up to this fraction longer than nominal (drawn per phone) [inferred]; without it a phone's scan
    # would keep the same phase against UTC-aligned token windows for ever.
    "android_background": {"adv_on_s": 15, "adv_period_s": 30, "scan_on_s": 40, "scan_period_s": 300,
                           "adv_interval_ms": 100, "cycle_stretch": 0.02},
    "android_foreground": {"adv_on_s": 150, "adv_period_s": 155, "scan_on_s": 150, "scan_period_s": 155,
                           "adv_interval_ms": 100, "cycle_stretch": 0.02},
    # iOS: advertising continues in the background at a longer interval [inferred]; background scanning
    # is opportunistic: modelled as 20 s every 300 s [inferred]. Its ID is readable only over GATT.
    "ios": {"adv_on_s": 1, "adv_period_s": 1, "scan_on_s": 20, "scan_period_s": 300, "adv_interval_ms": 300,
            "cycle_stretch": 0.05},
}


@dataclass
class Place:
    name: str
    index: int
    x: float
    y: float
    w: float
    h: float
    seat_spacing: float = 1.2
    hotspots: int = 0  # for "mingle": spots where people gather; 0 = one per 12 m2
    env: str = "room"  # multipath environment (ENVIRONMENTS)


@dataclass
class Segment:
    start_s: float  # seconds after the scenario day's local midnight
    end_s: float
    place: str
    move: str
    speed: float = 0.8
    pause_s: float = 30.0
    dwell_s: float = 240.0


@dataclass
class Person:
    pid: str  # "group#n"
    group: str
    device: str  # token | android | ios | none
    profile: str | None  # tokens: profile name; android: "background" or "foreground"
    segments: list[Segment] = field(default_factory=list)
    wear: dict[str, float] = field(default_factory=dict)  # wear position -> share (the group's, for its kind)


@dataclass
class Scenario:
    name: str
    description: str
    day_s: int  # unix seconds of the UTC midnight of the date
    utc_offset_h: float
    start_s: float  # local seconds after midnight
    end_s: float
    seed: int
    step_s: float
    profile: str  # default token profile
    air: dict[str, float]
    tx_1m: dict[str, float]
    phones: dict[str, dict[str, float]]
    clock_error_ms: float  # tokens: clock error left by the last sync (normal, this sigma)
    clock_ppm: float | None  # tokens: a constant drift (normal, this sigma) instead of the board's clocks
    places: dict[str, Place]
    persons: list[Person]
    positive: str | None
    source: str = ""
    clock: dict[str, float] = field(default_factory=dict)  # CLOCK_DEFAULTS overridden by the file's "clock"
    sleep_clock: str = "rc"  # the deep-sleep clock of the tokens' build: rc (stock) or xtal32k
    board: str = "esp32c3-supermini"
    environments: dict[str, dict[str, float]] = field(default_factory=dict)
    unit_spread: dict[str, float] = field(default_factory=dict)

    @property
    def t0_ms(self) -> int:
        """Unix ms of the simulated start."""
        return int((self.day_s + self.start_s - self.utc_offset_h * 3600) * 1000)

    @property
    def t1_ms(self) -> int:
        return int((self.day_s + self.end_s - self.utc_offset_h * 3600) * 1000)

    def local_to_unix_ms(self, local_s: float) -> int:
        return int((self.day_s + local_s - self.utc_offset_h * 3600) * 1000)


class _Where:
    """Names the spot in the file of a bad value."""

    def __init__(self, src: str):
        self.src = src

    def fail(self, path: str, msg: str) -> UsageError:
        return UsageError(f"{self.src}: {path}: {msg}", hint="the scenario format is in scenarios/README.md")


def _num(w: _Where, path: str, v: Any, lo: float | None = None, hi: float | None = None) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise w.fail(path, f"expected a number, got {v!r}")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise w.fail(path, f"{v} is out of range [{lo}, {hi}]")
    return float(v)


def _clock(w: _Where, path: str, v: Any) -> float:
    """'HH:MM' or 'HH:MM:SS' local time -> seconds after midnight; '24:00' ends the day."""
    if not isinstance(v, str):
        raise w.fail(path, f"expected a time like '07:30', got {v!r}")
    parts = v.split(":")
    try:
        nums = [int(p) for p in parts]
    except ValueError:
        raise w.fail(path, f"expected a time like '07:30', got {v!r}") from None
    if len(nums) not in (2, 3) or not 0 <= nums[0] <= 24 or not all(0 <= n < 60 for n in nums[1:]):
        raise w.fail(path, f"expected a time like '07:30', got {v!r}")
    s = nums[0] * 3600 + nums[1] * 60 + (nums[2] if len(nums) == 3 else 0)
    if s > 86400:
        raise w.fail(path, f"{v!r} is after the end of the day")
    return float(s)


def _obj(w: _Where, path: str, v: Any, allowed: set[str]) -> dict:
    if not isinstance(v, dict):
        raise w.fail(path, f"expected an object, got {type(v).__name__}")
    extra = set(v) - allowed
    if extra:
        raise w.fail(path, f"unknown key {sorted(extra)[0]!r} (known: {', '.join(sorted(allowed))})")
    return v


def _choice(w: _Where, path: str, v: Any, allowed: tuple[str, ...]) -> str:
    if v not in allowed:
        raise w.fail(path, f"expected one of {', '.join(allowed)}, got {v!r}")
    return v


def _wear(w: _Where, path: str, v: Any) -> dict[str, dict[str, float]]:
    """A group's "wear": {"token": {"lanyard": 0.8, "pocket": 0.2}, "android": {...}} (shares, any scale)."""
    out = {}
    for kind, shares in _obj(w, path, v or {}, set(WEAR_DEFAULTS)).items():
        sh = {k: _num(w, f"{path}.{kind}.{k}", x, 0, 1000) for k, x in _obj(w, f"{path}.{kind}", shares,
                                                                           set(WEAR_POSITIONS)).items()}
        if not sum(sh.values()) > 0:
            raise w.fail(f"{path}.{kind}", "needs at least one position with a share above 0")
        out[kind] = sh
    return out


def _overrides(w: _Where, path: str, v: Any, defaults: dict[str, float]) -> dict[str, float]:
    out = dict(defaults)
    for k, x in _obj(w, path, v or {}, set(defaults)).items():
        out[k] = _num(w, f"{path}.{k}", x)
    return out


def parse(data: Any, source: str = "scenario") -> Scenario:
    """Validate a scenario given as parsed JSON."""
    w = _Where(source)
    top = _obj(w, "(top)", data, {"name", "description", "date", "utc_offset_h", "start", "end", "seed", "step_s",
                                   "profile", "air", "tx_1m", "phones", "clock_error_ms", "clock_ppm", "places",
                                   "groups", "positive", "clock", "environments", "unit_spread", "board"})
    for req in ("name", "date", "places", "groups"):
        if req not in top:
            raise w.fail(req, "missing")
    if not isinstance(top["date"], str):
        raise w.fail("date", "expected 'YYYY-MM-DD'")
    try:
        day_s = parse_day_s(top["date"], "date")
    except UsageError as e:
        raise w.fail("date", str(e)) from None
    start = _clock(w, "start", top.get("start", "00:00"))
    end = _clock(w, "end", top.get("end", "24:00"))
    if end <= start:
        raise w.fail("end", "must be after start")
    given = _obj(w, "phones", top.get("phones") or {}, set(PHONE_DEFAULTS))
    phones = {k: _overrides(w, f"phones.{k}", given.get(k), d) for k, d in PHONE_DEFAULTS.items()}

    given_env = _obj(w, "environments", top.get("environments") or {}, set(ENVIRONMENTS))
    envs = {k: _overrides(w, f"environments.{k}", given_env.get(k), d) for k, d in ENVIRONMENTS.items()}
    places: dict[str, Place] = {}
    if not isinstance(top["places"], list) or not top["places"]:
        raise w.fail("places", "expected a non-empty list")
    for i, p in enumerate(top["places"]):
        path = f"places[{i}]"
        _obj(w, path, p, {"name", "rect", "seat_spacing", "hotspots", "env"})
        name = p.get("name")
        if not isinstance(name, str) or not name or name == HOME:
            raise w.fail(f"{path}.name", f"expected a name other than {HOME!r}, got {name!r}")
        if name in places:
            raise w.fail(f"{path}.name", f"duplicate place {name!r}")
        r = p.get("rect")
        if not isinstance(r, list) or len(r) != 4:
            raise w.fail(f"{path}.rect", "expected [x, y, width, height] in metres")
        x, y = (_num(w, f"{path}.rect", v, -1e5, 1e5) for v in r[:2])
        pw, ph = (_num(w, f"{path}.rect", v, 0.5, 10000) for v in r[2:])
        places[name] = Place(name, len(places), x, y, pw, ph,
                             _num(w, f"{path}.seat_spacing", p.get("seat_spacing", 1.2), 0.3, 20),
                             int(_num(w, f"{path}.hotspots", p.get("hotspots", 0), 0, 1000)),
                             _choice(w, f"{path}.env", p.get("env", "room"), tuple(envs)))

    # The tokens' profile: the product's default (profiles.default_name(), the firmware's DEFAULT_PROFILE) unless
    # the file names one, which it does only when the profile is part of the scenario's physics (and says why in
    # its description); `bztoken sim --profile` runs others.
    default_profile = top.get("profile", profiles.default_name())
    if not isinstance(default_profile, str):
        raise w.fail("profile", "expected a profile name")
    persons: list[Person] = []
    if not isinstance(top["groups"], list) or not top["groups"]:
        raise w.fail("groups", "expected a non-empty list")
    seen_groups: set[str] = set()
    for gi, g in enumerate(top["groups"]):
        gp = f"groups[{gi}]"
        _obj(w, gp, g, {"name", "size", "devices", "profile", "android_foreground", "schedule", "wear"})
        gname = g.get("name")
        if not isinstance(gname, str) or not gname or "#" in gname:
            raise w.fail(f"{gp}.name", "expected a name without '#'")
        if gname in seen_groups:
            raise w.fail(f"{gp}.name", f"duplicate group {gname!r}")
        seen_groups.add(gname)
        size = int(_num(w, f"{gp}.size", g.get("size"), 1, 10000))
        devs = _obj(w, f"{gp}.devices", g.get("devices", {"token": size}), set(DEVICE_KINDS))
        counts = {k: int(_num(w, f"{gp}.devices.{k}", v, 0, size)) for k, v in devs.items()}
        if sum(counts.values()) > size:
            raise w.fail(f"{gp}.devices", f"{sum(counts.values())} devices for {size} people")
        counts["none"] = counts.get("none", 0) + size - sum(counts.values())
        n_fg = int(_num(w, f"{gp}.android_foreground", g.get("android_foreground", 0), 0, size))
        if n_fg > counts.get("android", 0):
            raise w.fail(f"{gp}.android_foreground", "more than the group's Android phones")
        prof = g.get("profile", None)
        if prof is not None and not isinstance(prof, str):
            raise w.fail(f"{gp}.profile", "expected a profile name")
        wear = _wear(w, f"{gp}.wear", g.get("wear"))
        segs: list[Segment] = []
        sched = g.get("schedule")
        if not isinstance(sched, list):
            raise w.fail(f"{gp}.schedule", "expected a list of {from, to, at, move}")
        for si, s in enumerate(sched):
            sp = f"{gp}.schedule[{si}]"
            _obj(w, sp, s, {"from", "to", "at", "move", "speed", "pause_s", "dwell_s"})
            a, b = _clock(w, f"{sp}.from", s.get("from")), _clock(w, f"{sp}.to", s.get("to"))
            if b <= a:
                raise w.fail(f"{sp}.to", "must be after 'from'")
            if segs and a < segs[-1].end_s:
                raise w.fail(f"{sp}.from", "overlaps the previous entry (entries are in time order)")
            at = s.get("at")
            if at != HOME and at not in places:
                raise w.fail(f"{sp}.at", f"unknown place {at!r}")
            move = s.get("move", "still" if at == HOME else "seated")
            if move not in MOVES:
                raise w.fail(f"{sp}.move", f"unknown move {move!r} (known: {', '.join(MOVES)})")
            segs.append(Segment(a, b, at, move,
                                _num(w, f"{sp}.speed", s.get("speed", 0.8), 0.05, 5),
                                _num(w, f"{sp}.pause_s", s.get("pause_s", 30), 0, 3600),
                                _num(w, f"{sp}.dwell_s", s.get("dwell_s", 240), 5, 36000)))
        n = 0
        for kind in DEVICE_KINDS:
            for k in range(counts.get(kind, 0)):
                if kind == "token":
                    p = prof or default_profile
                elif kind == "android":
                    p = "foreground" if k < n_fg else "background"
                else:
                    p = None
                persons.append(Person(f"{gname}#{n}", gname, kind, p, segs,
                                      wear.get(kind) or WEAR_DEFAULTS.get(kind, {})))
                n += 1

    positive = top.get("positive")
    if positive is not None:
        match = [p for p in persons if p.pid == positive]
        if not match:
            raise w.fail("positive", f"no person {positive!r} (persons are GROUP#N)")
        if match[0].device != "token":
            raise w.fail("positive", f"{positive!r} carries no token")
    tx = dict(TX_1M_DEFAULTS)
    for k, v in _obj(w, "tx_1m", top.get("tx_1m") or {}, set(TX_1M_DEFAULTS)).items():
        tx[k] = _num(w, f"tx_1m.{k}", v, -120, 20)
    clock_in = dict(_obj(w, "clock", top.get("clock") or {}, set(CLOCK_DEFAULTS) | {"sleep_source"}))
    sleep_clock = _choice(w, "clock.sleep_source", clock_in.pop("sleep_source", "rc"), SLEEP_SOURCES)
    clock = _overrides(w, "clock", clock_in, CLOCK_DEFAULTS)
    for k, v in clock.items():
        if v < 0:
            raise w.fail(f"clock.{k}", f"{v} is negative")
    air_given = top.get("air") or {}
    if isinstance(air_given, dict) and "path_loss_exp" in air_given and "room" not in given_env:
        envs["room"]["path_loss_exp"] = _num(w, "air.path_loss_exp", air_given["path_loss_exp"])  # older files
    board = _choice(w, "board", top.get("board", "esp32c3-supermini"), BOARDS)
    name = top["name"]
    if not isinstance(name, str):
        raise w.fail("name", "expected a string")
    return Scenario(
        name=name,
        description=str(top.get("description", "")),
        day_s=day_s,
        utc_offset_h=_num(w, "utc_offset_h", top.get("utc_offset_h", 0), -14, 14),
        start_s=start,
        end_s=end,
        seed=int(_num(w, "seed", top.get("seed", 1), 0, 2**63)),
        step_s=_num(w, "step_s", top.get("step_s", 2), 0.5, 60),
        profile=default_profile,
        air=_overrides(w, "air", top.get("air"), AIR_DEFAULTS),
        tx_1m=tx,
        phones=phones,
        clock_error_ms=_num(w, "clock_error_ms", top.get("clock_error_ms", 20), 0, 600000),
        clock_ppm=None if top.get("clock_ppm") is None else _num(w, "clock_ppm", top.get("clock_ppm"), 0, 100000),
        places=places,
        persons=persons,
        positive=positive,
        source=source,
        clock=clock,
        sleep_clock=sleep_clock,
        board=board,
        environments=envs,
        unit_spread=_overrides(w, "unit_spread", top.get("unit_spread"), UNIT_SPREAD_DEFAULTS),
    )


def tile(data: dict, copies: int, gap_m: float = 5.0) -> dict:
    """A crowd built from a scenario file's JSON: `copies` side-by-side copies of every place and group (place
    and group names get -K), each copy `gap_m` beyond the last along y. Copies hear each other through walls."""
    places = data.get("places") if isinstance(data, dict) else None
    if not isinstance(places, list) or not places or copies < 1:
        raise UsageError("tile: needs a scenario with places, and at least one copy")
    try:
        y0 = min(float(p["rect"][1]) for p in places)
        y1 = max(float(p["rect"][1]) + float(p["rect"][3]) for p in places)
    except (KeyError, TypeError, IndexError, ValueError):
        raise UsageError("tile: every place needs a rect [x, y, width, height]") from None
    pitch = y1 - y0 + gap_m
    out = {k: v for k, v in data.items() if k not in ("places", "groups", "positive")}
    out["name"] = f"{data.get('name', 'scenario')}-x{copies}"
    out["places"], out["groups"] = [], []
    for k in range(copies):
        for p in places:
            r = p["rect"]
            out["places"].append({**p, "name": f"{p['name']}-{k}", "rect": [r[0], r[1] + pitch * k, r[2], r[3]]})
        for g in data.get("groups", []):
            sched = [{**e, "at": e["at"] if e.get("at") == HOME else f"{e.get('at')}-{k}"}
                     for e in g.get("schedule", [])]
            out["groups"].append({**g, "name": f"{g.get('name')}-{k}", "schedule": sched})
    pos = data.get("positive")
    if isinstance(pos, str) and "#" in pos:
        out["positive"] = pos.replace("#", "-0#", 1)
    return out


def load(path: str | Path, copies: int = 1) -> Scenario:
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as e:
        raise UsageError(f"cannot read scenario {p}: {e.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise UsageError(f"{p.name}: not JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    if copies != 1:
        parse(data, p.name)  # the file's own mistakes, named in the file
        data = tile(data, copies)
    return parse(data, p.name)


def shipped() -> dict[str, Path]:
    """The scenarios that ship in the repository's scenarios/ folder, by name (file stem)."""
    d = Path(__file__).resolve().parent.parent.parent / "scenarios"
    return {f.stem: f for f in sorted(d.glob("*.json"))}


def resolve(name_or_path: str) -> Path:
    """A path, or the name of a shipped scenario."""
    p = Path(name_or_path)
    if p.exists():
        return p
    known = shipped()
    if name_or_path in known:
        return known[name_or_path]
    raise UsageError(f"no scenario file {name_or_path!r}",
                     hint=f"give a path, or one of: {', '.join(known) or '(none shipped)'}")
