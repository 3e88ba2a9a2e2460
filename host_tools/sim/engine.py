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
from host_tools.sim import mobility
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
from host_tools.sim.scenario import Scenario

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


def make_devices(sc: Scenario, workdir: Path, profile: str | None) -> list[Device]:
    ss = np.random.SeedSequence(sc.seed).spawn(8)
    dev_rng = np.random.default_rng(ss[1])
    key_rng = np.random.default_rng(ss[4])
    max_open = firmware_defaults()["max_open"]
    devs: list[Device] = []
    taken: set[str] = set()
    for person in sc.persons:
        if person.device == "none":
            continue
        idx = len(devs)
        kind = KIND_CODES[person.device]
        # draw the same numbers for every kind, so one person's change leaves the others alike
        off, drift = dev_rng.normal(0.0, 1.0), dev_rng.normal(0.0, 1.0)
        if kind == KIND_TOKEN:
            prof = get_profile(profile or person.profile or sc.profile)
            a, s = token_schedules(prof)
            tid = _token_id(person.pid, idx, taken)
            tok = Token(idx, person.pid, kind, a, s, prof.adv_interval_ms, sc.tx_1m["token"],
                        off * sc.clock_error_ms, drift * sc.clock_ppm, profile=prof,
                        root=workdir / "tokens" / tid, token_id=tid)
            trng = np.random.default_rng([sc.seed, idx, 0x70CE])  # its own: keys do not depend on order
            tok.open_storage(lambda n, r=trng: r.bytes(n), max_open)
            devs.append(tok)
        else:
            plat = "ios" if kind == KIND_IOS else "android"
            beh = sc.phones["ios" if plat == "ios" else f"android_{person.profile or 'background'}"]
            prng = np.random.default_rng([sc.seed, idx, 0xF0E])
            a, s = phone_schedules(beh, prng)
            base_day = sc.day_s - int(key_rng.integers(0, 60)) * ids.DAY_S
            devs.append(Phone(idx, person.pid, kind, a, s, beh["adv_interval_ms"], sc.tx_1m[plat],
                              off * 100.0, 0.0, burst_id=plat == "android", platform=plat,
                              mode=person.profile or "", base_key=key_rng.bytes(32), base_day_s=base_day))
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
    tx = np.array([d.tx_1m for d in devs])
    adv_int = np.array([d.adv_interval_ms for d in devs])
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
            _block(sc, devs, paths, tt, utc_base, t0_ms, tx, adv_int, contact, air, step, air_rng, evt_rng, stats)
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
    stats["simulated_s"] = sc.end_s - sc.start_s
    return SimResult(sc, profile, devs, contact, workdir, stats)


def _block(sc, devs, paths, tt, utc_base, t0_ms, tx, adv_int, contact, air, step, air_rng, evt_rng, stats):
    n = len(devs)
    T = len(tt)
    X = np.empty((T, n))
    Y = np.empty((T, n))
    P = np.empty((T, n), dtype=np.int32)
    for k, p in enumerate(paths):
        X[:, k], Y[:, k], P[:, k] = p.at(tt)
    act = np.nonzero((P >= 0).any(axis=0))[0]  # devices out of their homes at some point of the block
    if len(act) < 2:
        return
    stats["busy_blocks"] += 1
    m = len(act)
    X, Y, P = X[:, act], Y[:, act], P[:, act]
    d = np.hypot(X[:, :, None] - X[:, None, :], Y[:, :, None] - Y[:, None, :])  # [t, sender, receiver]
    out = P >= 0
    both = out[:, :, None] & out[:, None, :]
    np.einsum("tii->ti", both)[:] = False  # no device hears itself
    same = both & (P[:, :, None] == P[:, None, :])
    close = (same & (d <= CONTACT_M)).sum(axis=0) * step
    contact[np.ix_(act, act)] += close

    # shadowing: one draw per pair per shadow_s, the same both ways
    minute = ((tt - tt[0]) // air["shadow_s"]).astype(int)
    S = air_rng.normal(0.0, air["shadow_db"] / np.sqrt(2), (minute[-1] + 1, m, m))
    S = S + S.transpose(0, 2, 1)
    rssi = airmod.mean_rssi(tx[act][None, :, None], d, both & ~same, air) + S[minute]
    rssi += air_rng.normal(0.0, air["fading_db"], (T, m, m))
    u = air_rng.random((T, m, m))

    unix_s = utc_base + tt
    adv_frac = np.empty((T, m))
    scan_frac = np.empty((T, m))
    scan_on0 = np.empty((T, m), dtype=bool)  # scanning at the start of the step
    for k, i in enumerate(act):
        dv = devs[i]
        tc = unix_s + dv.clock_off_ms / 1000 + dv.drift_ppm * 1e-6 * (unix_s - t0_ms / 1000)
        adv_frac[:, k] = dv.adv_sched.fraction(tc, step)
        scan_frac[:, k] = dv.scan_sched.fraction(tc, step)
        scan_on0[:, k] = dv.scan_sched.is_on(tc)
    n_adv = np.minimum(adv_frac[:, :, None], scan_frac[:, None, :]) * (step * 1000.0 / adv_int[act])[None, :, None]
    hit = both & (n_adv > 0) & airmod.heard(rssi, n_adv, air, u)
    ti, ai, si = np.nonzero(hit)
    if not len(ti):
        return
    rss = np.rint(rssi[ti, ai, si]).astype(int)
    frac = evt_rng.random(len(ti))
    gatt_u = evt_rng.random(len(ti))
    # the sighting falls in the part of the step the receiver listened: its start if a window was open
    # then, else its end (windows are longer than a step, so a step holds at most one edge)
    f = scan_frac[ti, si]
    within = np.where(scan_on0[ti, si], frac * f, (1.0 - f) + frac * f)
    t_ms = ((unix_s[ti] + within * step) * 1000).astype(np.int64)
    # each device's clock at each sighting, vectorised (device clock = true + offset + drift)
    off = np.array([devs[i].clock_off_ms for i in act])
    ppm = np.array([devs[i].drift_ppm for i in act]) * 1e-6
    el = t_ms - t0_ms
    snd_ms = (t_ms + off[ai] + ppm[ai] * el).astype(np.int64)
    rcv_ms = (t_ms + off[si] + ppm[si] * el).astype(np.int64)
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
        data = adverts.get(akey)
        if data is None:
            data = adverts[akey] = snd.advert_at(sc_ms)
        is_token = rcv.kind == KIND_TOKEN
        if is_token:
            if rc_ms >= rcv.next_flush_ms:
                rcv.before(rc_ms)
            kind, bid = parse(data)
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
