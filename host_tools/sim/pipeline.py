"""The whole chain on a simulated community, with the station's real code at every step:

1. provision every token over the sync protocol (registry secret, `provision`, clock set), in virtual time;
2. simulate the day (engine.py): each token's log is written by the firmware's storage code;
3. pull every token over the sync protocol into the station database (drift-corrected);
4. export positive wearers' daily keys with the authenticated, button-confirmed diagnosis export;
5. match every pulled token log and every phone's log against those keys (host_tools.match);
6. score detection against the true close contacts, per threshold set.

The token side of the protocol is `bzfw.syncserver.SyncServer` over the token's own storage, reached
in-process through `FeedTransport`: the bytes are the ones a serial cable would carry.
By default every token wearer is taken as positive in turn (one entry each, one matching run), which
turns one simulated day into hundreds of scored (positive, contact) pairs; the scenario's named
positive is reported on its own.
"""

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bzfw import config as fwconfig
from bzfw import ids
from bzfw.syncserver import SyncServer
from host_tools.errors import BzError
from host_tools.match import calibration
from host_tools.match.engine import run_match
from host_tools.match.exposures import keys_to_push_entries, read_entries
from host_tools.match.logs import LogSource, db_logs, make_log
from host_tools.match.scoring import Receiver, Thresholds
from host_tools.progress import ProgressFn, no_progress
from host_tools.sim import engine, roc
from host_tools.sim.devices import Phone, Token
from host_tools.sim.profiles import get as get_profile
from host_tools.sim.scenario import ENVIRONMENTS, Scenario
from host_tools.stationdb import StationDB
from host_tools.sync.client import SyncClient
from host_tools.sync.hostctx import HostTokenCtx
from host_tools.sync.pull import pull, sync_clock
from host_tools.sync.transport import FeedTransport
from provisioning import secrets
from provisioning.registry import Registry

# How exposure is decided, at each rule's default threshold (the curves over every threshold: host_tools/sim/roc.py).
RULES = ("bluezone-strict", "near-minutes", "day-mean")
PROVISION_LEAD_MS = 600_000  # tokens are provisioned (clock set) 10 minutes before the day starts
PULL_LAG_MS = 600_000  # and pulled 10 minutes after it ends


class VirtualTime:
    """The station's clock in the simulation."""

    def __init__(self, now_ms: int):
        self.now_ms = now_ms

    def __call__(self) -> int:
        return self.now_ms


class TokenClock:
    """A simulated token's RTC as bzfw code sees it: its device clock at the station's virtual time."""

    def __init__(self, tok: Token, vt: VirtualTime, t0_ms: int):
        self.tok, self.vt, self.t0 = tok, vt, t0_ms

    def now_ms(self) -> int:
        return self.tok.clock_ms(self.vt.now_ms, self.t0)

    def set_ms(self, ms: int) -> int:
        diff = ms - self.now_ms()
        self.tok.clock_off_ms += diff
        return diff

    def is_set(self) -> bool:
        return True

    def ticks_ms(self) -> int:
        return self.vt.now_ms

    def ticks_diff(self, a: int, b: int) -> int:
        return a - b


class TokenCtx(HostTokenCtx):
    """What SyncServer needs from a token (firmware/README.md, "Sync protocol"), over the sim's storage."""

    def __init__(self, tok: Token, clock: TokenClock):
        super().__init__()
        self.logstore = tok.logstore
        self.keystore = tok.keystore
        self.clock = clock
        self.fs_root = str(tok.root) + "/"
        self.config = fwconfig.load(self.fs_root + "config.json")
        self.secret = _read(self.fs_root + "secret")


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def _connect(tok: Token, vt: VirtualTime, t0_ms: int) -> tuple[SyncClient, TokenCtx]:
    ctx = TokenCtx(tok, TokenClock(tok, vt, t0_ms))
    server = SyncServer(ctx)
    return SyncClient(FeedTransport(server.feed)), ctx


def firmware_config(profile_name: str) -> dict:
    """The /config.json profile part for a sim profile: a firmware profile, plus overrides for variants."""
    p = get_profile(profile_name)
    stem = profile_name.split("+", 1)[0]  # +gatt, +free: sim-only what-ifs on a firmware profile
    base = stem if stem in fwconfig.PROFILES else ("eco" if p.eco else "always-on")
    cfg: dict = {"profile": base}
    fw = fwconfig.PROFILES.get(base, {})
    want = {"adv_interval_ms": int(p.adv_interval_ms), "scan_window_ms": int(p.scan_window_s * 1000),
            "scan_period_ms": int(p.scan_period_s * 1000)}
    if p.eco:
        want.update(wake_window_ms=int(p.wake_window_s * 1000), wake_period_ms=int(p.wake_period_s * 1000),
                    wake_lead_ms=int(p.lead_s * 1000))
    for k, v in want.items():
        if fw.get(k) != v:
            cfg[k] = v
    return cfg


def provision_all(tokens: list[Token], registry: Registry, db: StationDB, vt: VirtualTime, t0_ms: int) -> None:
    for tok in tokens:
        if tok.synced_ms:  # each token was last synced at its own time (engine.make_devices)
            vt.now_ms = tok.synced_ms
        secret = secrets.new_secret()
        cfg = firmware_config(tok.profile.name)
        registry.add_token(tok.token_id, secret, profile=tok.profile.name)
        client, _ctx = _connect(tok, vt, t0_ms)
        client.hello()
        client.provision(tok.token_id, secret, cfg)
        client.login(secret)
        sync_clock(client, db, tok.token_id, clock=vt)
        client.bye()
        registry.mark_provisioned(tok.token_id, at_ms=vt.now_ms)


JIG_S = 120  # each token lies this long on the provisioning jig, 1 m from the reference token
JIG_STEP_S = 2  # one sighting of the reference per simulated step


def jig_all(tokens: list[Token], db_path: Path, sc: Scenario, vt: VirtualTime) -> None:
    """The provisioning jig (`bztoken calibrate`): each token hears a bare reference token at 1 m for JIG_S
    seconds; what it reads carries its own receiver offset and the air's reading noise and fading. The offset
    is computed and stored by host_tools.match.calibration, as the station does."""
    from host_tools.sim import air as airmod

    rng = np.random.default_rng([sc.seed, 0x716])
    n = JIG_S // JIG_STEP_S
    expected = calibration.rssi_1m("token")
    k_db = (sc.environments or ENVIRONMENTS)["room"]["rician_k_db"]
    for tok in tokens:
        fade = airmod.rician_db(k_db, (n,), rng)
        reads = np.rint(expected + tok.rx_off_db + fade + rng.normal(0.0, sc.air["fading_db"], n))
        r = calibration.JigResult(tok.token_id, "token", expected, float(reads.mean()), int(n), float(JIG_S),
                                  float(expected - reads.mean()), vt.now_ms)
        calibration.store(db_path, r)


def pull_all(tokens: list[Token], registry: Registry, db: StationDB, vt: VirtualTime, t0_ms: int,
             progress: ProgressFn = no_progress) -> list[dict]:
    out = []
    for i, tok in enumerate(tokens):
        client, _ctx = _connect(tok, vt, t0_ms)
        out.append(pull(client, db, registry.secret_for, clock=vt))
        progress(i + 1, len(tokens), f"pulled {tok.token_id}")
    return out


def export_keys(tok: Token, registry: Registry, vt: VirtualTime, t0_ms: int, day0: int, day1: int) -> dict:
    """The diagnosis export: authenticated, and the wearer presses the token's button when asked."""
    client, ctx = _connect(tok, vt, t0_ms)
    client.login(registry.secret_for(tok.token_id))
    try:
        got = client.keys(day0, day1, wait_s=0)
    except BzError:  # "press the button": the wearer does
        ctx.presses += 1
        got = client.keys(day0, day1, wait_s=0)
    client.bye()
    return keys_to_push_entries(dict(got))


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    by_kind: dict = field(default_factory=dict)  # receiver kind -> [tp, fn, fp]

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    def to_json(self) -> dict:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "tn": self.tn, "precision": self.precision,
                "recall": self.recall, "by_receiver": self.by_kind}


@dataclass
class PipelineResult:
    sim: engine.SimResult
    positives: list[int]  # device indices taken as positive
    scores: dict[str, Score]  # rule at its default threshold -> score over all (positive, receiver) pairs
    named: dict | None  # the scenario's positive: who was truly exposed, who was found, per threshold set
    pulls: list[dict]
    timings: dict
    roc: dict = field(default_factory=dict)  # rule -> [point per threshold] (roc.curve)
    directions: dict = field(default_factory=dict)  # rule -> "RECEIVER hears POSITIVE" -> tp, fn, recall

    def to_json(self) -> dict:
        st = self.sim.stats
        return {"scenario": self.sim.scenario.name, "profile": self.sim.profile, "devices": st["devices"],
                "tokens": len(self.sim.tokens), "phones": len(self.sim.phones), "positives": len(self.positives),
                "true_contacts": len(self.sim.truth_pairs()),
                "scores": {k: v.to_json() for k, v in self.scores.items()}, "roc": self.roc,
                "directions": self.directions,
                "named_positive": self.named,
                "records_pulled": sum(p["records"] for p in self.pulls), "timings_s": self.timings,
                "sim_stats": {k: (round(v, 3) if isinstance(v, float) else v) for k, v in st.items()}}


def _phone_sources(phones: list[Phone]) -> list[LogSource]:
    out = []
    for ph in phones:
        rows = [(cid, t, t, 1, r, r, r) for cid, t, r, _k in ph.log]
        name = f"phone:{ph.pid}"
        log = make_log(name, rows, {"source": "sim-phone", "platform": ph.platform})
        out.append(LogSource(name, lambda lg=log: lg, len(rows)))
    return out


def run(sc: Scenario, workdir: Path, profile: str | None = None, all_positive: bool = True,
        passphrase: str | None = None, progress: ProgressFn = no_progress) -> PipelineResult:
    import time

    timings: dict[str, float] = {}
    t = time.perf_counter()
    workdir = Path(workdir)
    # engine.simulate prepares (and clears) workdir; the station files go next to the tokens
    vt = VirtualTime(sc.t0_ms - PROVISION_LEAD_MS)
    db_path = workdir / "station.db"
    state: dict = {}

    def prepare(devs):
        for f in (db_path, Path(str(db_path) + "-wal"), Path(str(db_path) + "-shm")):
            if f.exists():
                f.unlink()
        # the registry's passphrase protects the sealed secrets of this run's station only
        reg = Registry(db_path, passphrase or os.urandom(16).hex(), kdf_n=2**14)
        db = StationDB(db_path)
        provision_all([d for d in devs if isinstance(d, Token)], reg, db, vt, sc.t0_ms)
        jig_all([d for d in devs if isinstance(d, Token)], db_path, sc, vt)
        state.update(reg=reg, db=db)
        timings["provision"] = time.perf_counter() - t

    sim = engine.simulate(sc, workdir, profile, progress=progress, prepare=prepare)
    timings["simulate"] = sim.stats["wall_s"]
    reg, db = state["reg"], state["db"]
    t = time.perf_counter()
    vt.now_ms = sc.t1_ms + PULL_LAG_MS
    pulls = pull_all(sim.tokens, reg, db, vt, sc.t0_ms)
    timings["pull"] = time.perf_counter() - t

    t = time.perf_counter()
    day0, day1 = ids.day_of(sc.t0_ms), ids.day_of(sc.t1_ms - 1)
    named_idx = next((d.idx for d in sim.devices if d.pid == sc.positive), None)
    positives = [d.idx for d in sim.tokens] if all_positive else ([named_idx] if named_idx is not None else [])
    exp_dir = workdir / "exposures"
    exp_dir.mkdir(exist_ok=True)
    files = []
    for idx in positives:
        tok = sim.devices[idx]
        assert isinstance(tok, Token)
        f = exp_dir / f"{tok.token_id}.json"
        f.write_text(json.dumps(export_keys(tok, reg, vt, sc.t0_ms, day0, day1)))
        files.append(f)
    # phones test positive too, for the direction "token hears phone": Bluezone uploads a phone's chain keys
    # as F0 entries (spec); their pairs are scored per direction only, never in the tokens' overall scores
    phone_pos = [d.idx for d in sim.phones] if all_positive else []
    for idx in phone_pos:
        ph = sim.devices[idx]
        f = exp_dir / f"phone-{idx}.json"
        keys = {d: ids.chain_daily_key(ph.base_key, ph.base_day_s, d * ids.DAY_S) for d in range(day0, day1 + 1)}
        f.write_text(json.dumps(keys_to_push_entries(keys)))
        files.append(f)
    owners = positives + phone_pos
    entries = list(read_entries(files))
    entry_owner = {}
    for e in entries:
        entry_owner[e.index] = owners[files.index(Path(e.source))]
    timings["export"] = time.perf_counter() - t

    t = time.perf_counter()
    sources = db_logs(db_path) + _phone_sources(sim.phones)
    by_token_id = {d.token_id: d.idx for d in sim.tokens}
    by_pid = {d.pid: d.idx for d in sim.devices}

    def owner(log_name: str) -> int:
        kind, name = log_name.split(":", 1)
        return by_token_id[name] if kind == "token" else by_pid[name]

    jig = calibration.offsets(db_path)  # what the provisioning jig stored, as `bztoken match --db` reads it

    def receiver_of(info: dict) -> Receiver:
        """A sim log's reader: a token samples at its profile's period, a phone as its kind does."""
        if info.get("platform") in ("android", "ios"):
            return Receiver(info["platform"])
        prof = sim.devices[by_token_id[info["token_id"]]].profile
        return Receiver("token", jig.get(info["token_id"], 0.0),
                        sampling_s=prof.wake_period_s if prof.eco else prof.scan_period_s)

    # Two matching runs: the strict rule, and the scored rule (near-minutes and the day's mean RSSI per
    # (positive, receiver), from which every threshold of every rule is applied to the one result).
    strict = run_match(entries, sources, "strict")
    dev_kind = {d.idx: ("token" if isinstance(d, Token) else d.platform) for d in sim.devices}
    scored = run_match(entries, sources, "scored", Thresholds(), receiver_of=receiver_of,
                       sender_of=lambda e: dev_kind[entry_owner[e]])
    strict_found: set[tuple[int, int]] = set()
    for lr in strict.logs:
        rcv = owner(lr.log)
        strict_found.update((entry_owner[m["entry"]], rcv) for m in lr.matches)
    near: dict[tuple[int, int], float] = {}
    day: dict[tuple[int, int], list[float]] = {}  # [rssi x count, count, covered ms]
    for lr in scored.logs:
        rcv = owner(lr.log)
        for ex in lr.exposures:
            pair = (entry_owner[ex["entry"]], rcv)  # a positive's day spans entries (UTC days): add them
            near[pair] = near.get(pair, 0.0) + ex["near_min"]
            acc = day.setdefault(pair, [0.0, 0.0, 0.0])
            acc[0] += ex["rssi_mean"] * ex["count"]
            acc[1] += ex["count"]
            acc[2] += ex["duration_ms"]
    day_mean = {p: (a[0] / a[1] if a[1] and a[2] >= roc.DAY_MEAN_MIN_MS else -999.0) for p, a in day.items()}
    timings["match"] = time.perf_counter() - t

    receivers = [d.idx for d in sim.devices]
    kinds = {d.idx: ("token" if isinstance(d, Token) else d.platform) for d in sim.devices}
    pairs = [(x, y) for x in positives for y in receivers if y != x]
    truth = {p for p in pairs if sim.is_contact(*p)}
    curves = {"near-minutes": roc.curve(near, roc.NEAR_MIN_GRID, truth, pairs, kinds),
              "day-mean": roc.curve(day_mean, roc.DAY_MEAN_GRID, truth, pairs, kinds),
              "bluezone-strict": [{"threshold": None, **roc.point(strict_found, truth, pairs, kinds)}]}
    detected = {"bluezone-strict": strict_found,
                "near-minutes": {p for p, v in near.items() if v >= Thresholds().near_min},
                "day-mean": {p for p, v in day_mean.items() if v >= roc.DAY_MEAN_DEFAULT}}
    scores = {}
    for ts_name, found in detected.items():
        s = Score()
        for x, y in pairs:
            t_, hit = (x, y) in truth, (x, y) in found
            k = s.by_kind.setdefault(kinds[y], {"tp": 0, "fn": 0, "fp": 0})
            if t_ and hit:
                s.tp += 1
                k["tp"] += 1
            elif t_:
                s.fn += 1
                k["fn"] += 1
            elif hit:
                s.fp += 1
                k["fp"] += 1
            else:
                s.tn += 1
        scores[ts_name] = s
    # per direction (positive's kind -> receiver's kind), tokens' and phones' positives alike
    directions: dict[str, dict[str, dict]] = {}
    for ts_name, found in detected.items():
        per: dict[str, dict] = {}
        for x in owners:
            for y in receivers:
                if y == x or (kinds[x] != "token" and kinds[y] != "token"):
                    continue  # phone to phone is Bluezone's own business
                if not sim.is_contact(x, y):
                    continue
                c = per.setdefault(f"{kinds[y]} hears {kinds[x]}", {"tp": 0, "fn": 0})
                c["tp" if (x, y) in found else "fn"] += 1
        for c in per.values():
            c["recall"] = c["tp"] / (c["tp"] + c["fn"])
        directions[ts_name] = per
    named = None
    if named_idx is not None and named_idx in positives:
        true_c = sorted(sim.devices[y].pid for y in receivers if y != named_idx and sim.is_contact(named_idx, y))
        named = {"positive": sc.positive, "true_contacts": true_c,
                 "found": {ts: sorted(sim.devices[y].pid for (x, y) in f if x == named_idx)
                           for ts, f in detected.items()}}
    db.close()
    reg.close()
    return PipelineResult(sim, positives, scores, named, pulls, timings, curves, directions)
