"""The simulator loop, in virtual time.

Time advances in steps of `step_s` (2 s by default), a block of steps at a time (one 15-minute slot),
with every quantity of a block computed at once over (step, sender, receiver) arrays: positions, RSSI,
who advertises and who listens, what was heard. Only what was heard drops into Python, and there
each sighting takes the token's real path: the sender's advert bytes -> `bzfw.adv.parse` ->
`Aggregator.add` with the token's own clock -> at each block end `close_before` -> `LogStore.append`.

One sighting per (receiver, sender, step) in which at least one advert got through: a real token
counts every advert (up to step_s * 1000 / interval of them), so `count` in simulated records is
smaller than on a token; first/last seen and the RSSI statistics are what matching uses.

Randomness comes from independent streams split off the scenario seed (movement, devices, air,
events, keys), so the same seed replays exactly, and two profiles run on the same seed see the
same people moving through the same air.
"""

import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bzfw import adv, ids
from host_tools.errors import UsageError
from host_tools.progress import ProgressFn, no_progress
from host_tools.sim import air as airmod
from host_tools.sim import clocks, mobility
from host_tools.sim.clocks import CLOCK_DEFAULTS
from host_tools.sim.devices import (
    KIND_ANDROID,
    KIND_CODES,
    KIND_IOS,
    KIND_TOKEN,
    Device,
    Phone,
    Token,
    firmware_defaults,
    phone_schedules,
    token_schedules,
)
from host_tools.sim.profiles import get as get_profile
from host_tools.sim.scenario import ENVIRONMENTS, UNIT_SPREAD_DEFAULTS, WEAR_DEFAULTS, WEAR_POSITIONS, Scenario

CONTACT_M = 2.0  # Bluezone's public criterion: within 2 m ...
CONTACT_S = 15 * 60  # ... for at least 15 minutes in the day
MARKER = ".bztoken-sim"


@dataclass
class SimResult:
    scenario: Scenario
    profile: str | None  # the token profile forced on every token, or None (the scenario's)
    devices: list[Device]
    contact_s: np.ndarray  # (N, N) seconds each pair spent within 2 m in the same place
    workdir: Path
    stats: dict = field(default_factory=dict)

    @property
    def tokens(self) -> list[Token]:
        return [d for d in self.devices if isinstance(d, Token)]

    @property
    def phones(self) -> list[Phone]:
        return [d for d in self.devices if isinstance(d, Phone)]

    def truth_pairs(self) -> set[tuple[int, int]]:
        """Close contacts (i < j, device indices): within 2 m for at least 15 minutes."""
        i, j = np.nonzero(np.triu(self.contact_s >= CONTACT_S, 1))
        return {(int(a), int(b)) for a, b in zip(i, j, strict=True)}

    def is_contact(self, i: int, j: int) -> bool:
        return bool(self.contact_s[i, j] >= CONTACT_S)


def _prepare_workdir(workdir: Path) -> Path:
    workdir = Path(workdir)
    if workdir.exists() and not workdir.is_dir():
        raise UsageError(f"{workdir} is a file, not a directory")
    if workdir.exists() and any(workdir.iterdir()) and not (workdir / MARKER).exists():
        raise UsageError(f"{workdir} is not empty and was not made by bztoken sim",
                         hint="give an empty or new directory")
    if (workdir / "tokens").exists():
        shutil.rmtree(workdir / "tokens")
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / MARKER).write_text("made by bztoken sim; its contents are replaced by the next run\n")
    return workdir


SYNC_LEAD_MS = 600_000  # a token synced "now" was synced this long before the simulated start


def _wear_draw(shares: dict[str, float], u: float) -> str:
    names = sorted(shares)
    w = np.array([shares[k] for k in names], dtype=float)
    c = np.cumsum(w / w.sum())
    return names[min(int(np.searchsorted(c, u, side="right")), len(names) - 1)]


def make_devices(sc: Scenario, workdir: Path, profile: str | None) -> list[Device]:
    ss = np.random.SeedSequence(sc.seed).spawn(8)
    dev_rng = np.random.default_rng(ss[1])
    key_rng = np.random.default_rng(ss[4])
    max_open = firmware_defaults()["max_open"]
    spread = sc.unit_spread or dict(UNIT_SPREAD_DEFAULTS)
    clock_spec = sc.clock or dict(CLOCK_DEFAULTS)
    devs: list[Device] = []
    taken: set[str] = set()
    for person in sc.persons:
        if person.device == "none":
            continue
        idx = len(devs)
        kind = KIND_CODES[person.device]
        # draw the same numbers for every kind, so one person's change leaves the others alike
        off, drift = dev_rng.normal(0.0, 1.0), dev_rng.normal(0.0, 1.0)
        z_tx, z_rx, u_wear, u_phase, u_sync = dev_rng.normal(0.0, 1.0, 2).tolist() + dev_rng.random(3).tolist()
        kname = person.device
        wear = _wear_draw(person.wear or WEAR_DEFAULTS[kname], u_wear)
        body = WEAR_POSITIONS[wear]
        phys = {"tx_off_db": z_tx * spread[f"{kname}_tx"], "rx_off_db": z_rx * spread[f"{kname}_rx"], "wear": wear,
                "body_base_db": body["base"], "body_back_db": body["back"]}
        if kind == KIND_TOKEN:
            prof = get_profile(profile or person.profile or sc.profile)
            a, s = token_schedules(prof, u_phase)
            tid = _token_id(person.pid, idx, taken)
            crng = np.random.default_rng([sc.seed, idx, 0xC10C])  # its own: a unit's clock does not depend on order
            if sc.clock_ppm is not None:  # an older scenario's constant drift, synced just before the start
                synced = sc.t0_ms - SYNC_LEAD_MS
                clk = clocks.linear_clock(drift * sc.clock_ppm, synced)
            else:
                synced = int(sc.t0_ms - SYNC_LEAD_MS - u_sync * clock_spec["sync_cycle_days"] * 86_400_000)
                clk = clocks.unit_clock(clock_spec, sc.sleep_clock, prof.sleep_fraction, synced,
                                        sc.t1_ms + 2 * SYNC_LEAD_MS, crng)
            tok = Token(idx, person.pid, kind, a, s, prof.adv_interval_ms, sc.tx_1m["token"],
                        off * sc.clock_error_ms, clk.mean_ppm(), profile=prof,
                        root=workdir / "tokens" / tid, token_id=tid, clock=clk, synced_ms=synced, **phys)
            trng = np.random.default_rng([sc.seed, idx, 0x70CE])  # its own: keys do not depend on order
            tok.open_storage(lambda n, r=trng: r.bytes(n), max_open)
            devs.append(tok)
        else:
            plat = "ios" if kind == KIND_IOS else "android"
            beh = sc.phones["ios" if plat == "ios" else f"android_{person.profile or 'background'}"]
            prng = np.random.default_rng([sc.seed, idx, 0xF0E])
            a, s = phone_schedules(beh, prng)
            # installed at least a day before (the local day can start on the previous UTC day)
            base_day = sc.day_s - int(key_rng.integers(1, 60)) * ids.DAY_S
            devs.append(Phone(idx, person.pid, kind, a, s, beh["adv_interval_ms"], sc.tx_1m[plat],
                              off * 100.0, 0.0, burst_id=plat == "android", platform=plat,
                              mode=person.profile or "", base_key=key_rng.bytes(32), base_day_s=base_day, **phys))
    return devs


def _token_id(pid: str, idx: int, taken: set[str]) -> str:
    """A registry-valid token ID (A-Z, 0-9, '-', at most 32) naming the person: SIM-GROUP-NNN."""
    g, n = pid.rsplit("#", 1)
    clean = re.sub(r"[^A-Z0-9]+", "-", g.upper()).strip("-")[:20] or "G"
    tid = f"SIM-{clean}-{int(n):03d}"
    if tid in taken:  # two group names that differ only in punctuation
        tid = f"SIM-{idx:05d}"
    taken.add(tid)
    return tid


def simulate(sc: Scenario, workdir: Path, profile: str | None = None, progress: ProgressFn = no_progress,
             block_s: float = 900.0, prepare=None) -> SimResult:
    """Run the scenario; every token's log ends up under workdir/tokens/NAME/log.

    `profile` forces one token profile on every token; `prepare(devices)` runs once the devices exist
    and before the day starts (the pipeline provisions the tokens there)."""
    wall0 = time.perf_counter()
    cpu0 = time.process_time()
    workdir = _prepare_workdir(workdir)
    ss = np.random.SeedSequence(sc.seed).spawn(8)
    mob_rng, air_rng, evt_rng = (np.random.default_rng(ss[i]) for i in (0, 2, 3))
    paths_all = mobility.build_paths(sc, mob_rng)
    devs = make_devices(sc, workdir, profile)
    if prepare is not None:
        prepare(devs)
    persons = [p for p in sc.persons if p.device != "none"]
    paths = [paths_all[sc.persons.index(p)] for p in persons]
    n = len(devs)
    air = sc.air
    step = sc.step_s
    ph = Physics.of(sc, devs, air)
    stats_cut = float(ph.cut_m.max()) if n else 0.0
    tokens = [d for d in devs if isinstance(d, Token)]
    contact = np.zeros((n, n))
    stats = {"steps": 0, "sightings": 0, "phone_sightings": 0, "gatt_reads": 0, "gatt_failed": 0,
             "blocks": 0, "busy_blocks": 0}
    utc_base = sc.day_s - sc.utc_offset_h * 3600  # unix seconds of local midnight
    t0_ms = sc.t0_ms
    times = np.arange(sc.start_s, sc.end_s, step)
    # blocks aligned to UTC slot edges, so a block's records are closed at its end
    first_edge = (np.floor((utc_base + sc.start_s) / block_s) + 1) * block_s - utc_base
    edges = np.concatenate([[sc.start_s], np.arange(first_edge, sc.end_s, block_s), [sc.end_s]])
    nblocks = len(edges) - 1
    for b in range(nblocks):
        tt = times[(times >= edges[b]) & (times < edges[b + 1])]
        stats["blocks"] += 1
        progress(b, nblocks, "simulating")
        if len(tt):
            stats["steps"] += len(tt)
            _block(sc, devs, paths, tt, utc_base, t0_ms, ph, contact, air, step, air_rng, evt_rng, stats)
        end_ms = int((utc_base + edges[b + 1]) * 1000)
        for tok in tokens:
            tok.store(tok.agg.close_before(tok.clock_ms(end_ms, t0_ms)))
    for tok in tokens:
        tok.store(tok.agg.flush())
    progress(nblocks, nblocks, "simulated")
    stats["records"] = sum(t.records_written for t in tokens)
    stats["evicted"] = sum(t.agg.evicted for t in tokens)
    stats["dropped"] = sum(t.agg.dropped for t in tokens)
    stats["wall_s"] = time.perf_counter() - wall0
    stats["cpu_s"] = time.process_time() - cpu0  # the figure to compare on a shared machine
    stats["devices"] = n
    stats["cut_m"] = round(stats_cut, 1)
    stats["simulated_s"] = sc.end_s - sc.start_s
    return SimResult(sc, profile, devs, contact, workdir, stats)


@dataclass
class Physics:
    """Per-device and per-place radio figures for the block computation (arrays over devices or places)."""

    tx: np.ndarray  # RSSI at 1 m of each sender: its kind's nominal plus its unit offset
    rx: np.ndarray  # each receiver's gain offset
    body_base: np.ndarray
    body_back: np.ndarray
    adv_int: np.ndarray
    place_exp: np.ndarray  # per place: path loss exponent of its environment
    place_k: np.ndarray  # per place: Rician K (dB)
    room_exp: float
    room_k: float
    cut_m: np.ndarray  # (device, device): pairs farther apart than this (plus their movement) are not computed

    @classmethod
    def of(cls, sc: Scenario, devs: list[Device], air: dict) -> "Physics":
        envs = sc.environments or {k: dict(v) for k, v in ENVIRONMENTS.items()}
        places = sorted(sc.places.values(), key=lambda p: p.index)
        pexp = np.array([envs[p.env]["path_loss_exp"] for p in places] or [2.5])
        pk = np.array([envs[p.env]["rician_k_db"] for p in places] or [0.0])
        tx = np.array([d.tx_1m + d.tx_off_db for d in devs])
        rx = np.array([d.rx_off_db for d in devs])
        room = envs["room"]["path_loss_exp"]
        # the cut, per pair of devices: where the better direction's mean RSSI (its sender's power, its
        # receiver's gain, no body in the way) falls CUT_MARGIN_DB below the sensitivity: slow shadowing,
        # reading noise and fading together exceed that margin in well under one sample in ten thousand.
        # Pairs in two places lose a wall and use the room's exponent; a pair in one place is bounded by its size.
        best = np.maximum(tx[:, None] + rx[None, :], tx[None, :] + rx[:, None]) + CUT_MARGIN_DB - air["sensitivity_dbm"]
        cut = 10 ** ((best - air["wall_db"]) / (10 * room))
        for p, e in zip(places, pexp, strict=True):
            cut = np.maximum(cut, np.minimum(10 ** (best / (10 * e)), float(np.hypot(p.w, p.h))))
        return cls(tx, rx, np.array([d.body_base_db for d in devs]), np.array([d.body_back_db for d in devs]),
                   np.array([d.adv_interval_ms for d in devs], dtype=float), pexp, pk, room,
                   envs["room"]["rician_k_db"], cut)


CUT_MARGIN_DB = 20.0
CHUNK_S = 60.0  # positions of a chunk of steps decide which pairs are computed; also the facing's interval
EDGE_BUDGET = 4_000_000  # (step, directed pair) cells computed at once: bounds a chunk's memory (~0.5 GB)


def _block(sc, devs, paths, tt, utc_base, t0_ms, ph, contact, air, step, air_rng, evt_rng, stats):
    n = len(devs)
    T = len(tt)
    X = np.empty((T, n))
    Y = np.empty((T, n))
    P = np.empty((T, n), dtype=np.int32)
    F = np.empty((T, n))
    for k, p in enumerate(paths):
        X[:, k], Y[:, k], P[:, k] = p.at(tt)
        F[:, k] = p.facing_at(tt)
    act = np.nonzero((P >= 0).any(axis=0))[0]  # devices out of their homes at some point of the block
    if len(act) < 2:
        return
    stats["busy_blocks"] += 1
    m = len(act)
    X, Y, P, F = X[:, act], Y[:, act], P[:, act], F[:, act]
    unix_s = utc_base + tt
    adv_frac = np.empty((T, m))
    scan_frac = np.empty((T, m))
    scan_on0 = np.empty((T, m), dtype=bool)  # scanning at the start of the step
    for k, i in enumerate(act):
        dv = devs[i]
        tc = dv.clock_s(unix_s, t0_ms)
        adv_frac[:, k] = dv.adv_sched.fraction(tc, step)
        scan_frac[:, k] = dv.scan_sched.fraction(tc, step)
        scan_on0[:, k] = dv.scan_sched.is_on(tc)
    tx, rx = ph.tx[act], ph.rx[act]
    bbase, bback = ph.body_base[act], ph.body_back[act]
    per_adv = step * 1000.0 / ph.adv_int[act]
    cut = ph.cut_m[np.ix_(act, act)]
    chunk = max(1, int(round(CHUNK_S / step)))
    for c0 in range(0, T, chunk):
        c1 = min(T, c0 + chunk)
        x, y, pl = X[c0:c1], Y[c0:c1], P[c0:c1]
        out = pl >= 0
        mid = (c1 - c0) // 2
        xm, ym = x[mid], y[mid]
        reach = np.where(out.any(axis=0), np.hypot(x - xm, y - ym).max(axis=0), -np.inf)  # movement in the chunk
        dm = np.hypot(xm[:, None] - xm[None, :], ym[:, None] - ym[None, :])
        cand = np.triu(dm <= cut + reach[:, None] + reach[None, :], 1)
        ii, jj = np.nonzero(cand)
        stats["pairs"] = stats.get("pairs", 0) + len(ii)
        if not len(ii):
            continue
        # facing per person for this chunk: a seat faces the front; everyone else turns freely
        fc = F[c0:c1]
        fc = np.where(np.isnan(fc), air_rng.random(m)[None, :] * 2 * np.pi, fc)
        per = max(1, EDGE_BUDGET // (2 * (c1 - c0)))
        for e0 in range(0, len(ii), per):
            i, j = ii[e0:e0 + per], jj[e0:e0 + per]
            _edges(devs, act, c0, c1, i, j, x, y, pl, out, fc, tx, rx, bbase, bback, per_adv, adv_frac, scan_frac,
                   scan_on0, unix_s, ph, contact, air, step, air_rng, evt_rng, stats, t0_ms)


def _edges(devs, act, c0, c1, i, j, x, y, pl, out, fc, tx, rx, bbase, bback, per_adv, adv_frac, scan_frac,
           scan_on0, unix_s, ph, contact, air, step, air_rng, evt_rng, stats, t0_ms):
    """Pairs (i < j, indices into act) over steps c0..c1: truth, then both directions of the radio."""
    npair = len(i)
    dx = x[:, j] - x[:, i]
    dy = y[:, j] - y[:, i]
    d = np.hypot(dx, dy)
    both = out[:, i] & out[:, j]
    same = both & (pl[:, i] == pl[:, j])
    close = (same & (d <= CONTACT_M)).sum(axis=0) * step
    if close.any():
        k = np.nonzero(close)[0]
        contact[act[i[k]], act[j[k]]] += close[k]
        contact[act[j[k]], act[i[k]]] += close[k]
    # directed edges: the first npair send i -> j, the next npair send j -> i. Only the cells where the
    # sender advertises while the receiver listens get a radio computed (1-D over those cells).
    s = np.concatenate([i, j])
    q = np.concatenate([j, i])
    af = adv_frac[c0:c1]
    sf = scan_frac[c0:c1]
    n_adv = np.minimum(af[:, s], sf[:, q]) * per_adv[s][None, :]
    live = np.concatenate([both, both], axis=1) & (n_adv > 0)
    ti, ei = np.nonzero(live)
    if not len(ti):
        return
    n_adv = n_adv[ti, ei]
    pe = ei % npair  # the undirected pair
    fwd = ei < npair
    dd = d[ti, pe]
    sm = same[ti, pe]
    sgn = np.where(fwd, 1.0, -1.0)
    inv = 1.0 / np.maximum(dd, 1e-9)
    ux, uy = dx[ti, pe] * sgn * inv, dy[ti, pe] * sgn * inv  # unit vector from sender to receiver
    ss, qq = s[ei], q[ei]
    fs, fq = fc[ti, ss], fc[ti, qq]
    # the wearer's body: cos(angle between facing and the peer) = facing . direction
    cos_s = np.cos(fs) * ux + np.sin(fs) * uy
    cos_q = -(np.cos(fq) * ux + np.sin(fq) * uy)
    body = bbase[ss] + bback[ss] * (1.0 - cos_s) * 0.5 + bbase[qq] + bback[qq] * (1.0 - cos_q) * 0.5
    place = np.where(sm, pl[ti, ss], 0)
    expo = np.where(sm, ph.place_exp[place], ph.room_exp)
    kdb = np.where(sm, ph.place_k[place], ph.room_k)
    rssi = (tx[ss] + rx[qq] - 10.0 * expo * np.log10(np.maximum(dd, airmod.MIN_DISTANCE_M))
            - air["wall_db"] * ~sm - body)
    sh = air_rng.normal(0.0, air["shadow_db"], npair)  # slow shadowing: one per pair and chunk, both ways
    rssi += sh[pe]
    rssi += airmod.rician_db(kdb, rssi.shape, air_rng)
    if air["fading_db"] > 0:
        rssi += air_rng.normal(0.0, air["fading_db"], rssi.shape)
    u = air_rng.random(rssi.shape)
    hit = airmod.heard(rssi, n_adv, air, u)
    ti, ei, rssi = ti[hit], ei[hit], rssi[hit]
    if not len(ti):
        return
    order = np.argsort(ti, kind="stable")  # in time order, as a token's radio delivers them
    ti, ei = ti[order], ei[order]
    rss = np.rint(rssi[order]).astype(int)
    ai, si = s[ei], q[ei]
    tg = ti + c0
    frac = evt_rng.random(len(ti))
    gatt_u = evt_rng.random(len(ti))
    # the sighting falls in the part of the step the receiver listened: its start if a window was open
    # then, else its end (windows are longer than a step, so a step holds at most one edge)
    f = scan_frac[tg, si]
    within = np.where(scan_on0[tg, si], frac * f, (1.0 - f) + frac * f)
    t_true_s = unix_s[tg] + within * step
    snd_ms = np.empty(len(ti), dtype=np.int64)
    rcv_ms = np.empty(len(ti), dtype=np.int64)
    for k in np.unique(np.concatenate([ai, si])):
        dv = devs[act[k]]
        ma, ms_ = ai == k, si == k
        if ma.any():
            snd_ms[ma] = (dv.clock_s(t_true_s[ma], t0_ms) * 1000).astype(np.int64)
        if ms_.any():
            rcv_ms[ms_] = (dv.clock_s(t_true_s[ms_], t0_ms) * 1000).astype(np.int64)
    _deliver(devs, act, ai, si, rss, snd_ms, rcv_ms, gatt_u, air, stats)


def _deliver(devs, act, ai, si, rss, snd_ms, rcv_ms, gatt_u, air, stats):
    """Each heard advert, through the receiver's own logic: for a token, bzfw.app.App._on_result's
    (adv.parse, then Aggregator.add for an ID in the advert; an iOS phone is only counted unless the
    profile reads its ID over GATT); for a phone, Bluezone's (log the ID; GATT-read iOS phones)."""
    parse = adv.parse
    slot_ms = ids.SLOT_MS
    gatt_min = air["gatt_min_rssi"]
    gatt_ok = air["gatt_success"]
    adverts: dict = {}  # (sender, ID time) -> the bytes it sends then; built once per sender and slot
    n_tok = n_phone = 0
    for k in range(len(ai)):
        snd = devs[act[ai[k]]]
        rcv = devs[act[si[k]]]
        rssi = int(rss[k])
        sc_ms = int(snd_ms[k])
        if snd.burst_id:  # Android computes the ID when its advertising burst starts
            a = snd.adv_sched
            x = sc_ms / 1000 - a.phase_s
            sc_ms = int((a.phase_s + (x // a.period_s) * a.period_s) * 1000)
        rc_ms = int(rcv_ms[k])
        akey = (snd.idx, sc_ms // slot_ms)
        got = adverts.get(akey)
        if got is None:  # the bytes, and what bzfw.adv.parse makes of them (a pure function: once per advert)
            data = snd.advert_at(sc_ms)
            got = adverts[akey] = (data, parse(data))
        data = got[0]
        is_token = rcv.kind == KIND_TOKEN
        if is_token:
            if rc_ms >= rcv.next_flush_ms:
                rcv.before(rc_ms)
            kind, bid = got[1]
        else:  # a phone is not our firmware: it knows an iOS advert from an Android one as Bluezone does
            kind = KIND_IOS if snd.kind == KIND_IOS else KIND_ANDROID
            bid = None if kind == KIND_IOS else data[-12:]
        if kind == KIND_IOS:
            cached = rcv.gatt_cache.get(snd.idx)
            if cached is not None and cached[0] == rc_ms // slot_ms:
                bid = cached[1]
            else:
                if is_token and not rcv.profile.ios_gatt:
                    rcv.ios_seen += 1
                    continue
                stats["gatt_reads"] += 1
                if rssi < gatt_min or gatt_u[k] >= gatt_ok:
                    stats["gatt_failed"] += 1
                    continue
                bid = snd.id_at(sc_ms)
                rcv.gatt_cache[snd.idx] = (rc_ms // slot_ms, bid)
        elif kind != KIND_ANDROID:
            continue
        if is_token:
            rcv.agg.add(kind, bid, rssi, rc_ms)
            n_tok += 1
        else:
            rcv.log.append((bid, rc_ms, rssi, kind))
            n_phone += 1
    stats["sightings"] += n_tok
    stats["phone_sightings"] += n_phone
