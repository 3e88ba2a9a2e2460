"""`bztoken pull` as a library: authenticate, measure and set the clock, read every unconfirmed record, check
every CRC, store in one transaction, then confirm to the token.

Resuming: the token forgets nothing it has not been told is stored. A pull that loses the link stores the
whole, CRC-checked records it already read (status "interrupted"), confirms nothing, and raises LinkError;
the next pull starts each day at the end of what the station holds (or what the token says is confirmed),
and UNIQUE(token_id, day, file_offset) makes any overlap a counted duplicate, never a second row. A token
that reboots mid-pull loses the session: the pull authenticates again and goes on."""

import time
from collections.abc import Callable

from bzfw import records, wire
from host_tools.errors import BzError, LinkError, UsageError
from host_tools.progress import ProgressFn, no_progress
from host_tools.stationdb import StationDB
from host_tools.sync.client import Refused, SessionLost, SyncClient
from host_tools.sync.clockrate import new_rate

CHUNK = (2040 // records.RECORD_SIZE) * records.RECORD_SIZE  # fits a frame (2048 - 4 bytes of size)
CLOCK_LOST_MS = 3_600_000  # an offset beyond an hour is a clock that lost its time, not drift


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def measure_offset(client: SyncClient, clock: Callable[[], int] = now_ms) -> tuple[int, int, int]:
    """(token minus station in ms, round trip ms, station time) from the best of three round trips."""
    best = None
    for _ in range(3):
        t0 = clock()
        tok = client.time_get()
        t1 = clock()
        m = (tok - (t0 + t1) // 2, t1 - t0, (t0 + t1) // 2)
        if best is None or m[1] < best[1]:
            best = m
    assert best is not None
    return best


def token_rate(info: dict) -> int | None:
    """The rate correction a token's hello reports in force, or None when it reports none (it takes none)."""
    r = info.get("clock_rate_ppb")
    return r if type(r) is int else None


def sync_clock(client: SyncClient, db: StationDB | None, token_id: str, clock_set: bool = True,
               clock: Callable[[], int] = now_ms, rate_ppb: int | None = None) -> dict:
    """Measure the offset, set the token clock (with a new rate correction when one can be measured, see
    new_rate), measure the residual; record it (own transaction). rate_ppb: the rate the token reports in force
    (hello's `clock_rate_ppb`; None: an older token, which gets the time only)."""
    offset, rtt, at = measure_offset(client, clock)
    valid = clock_set and abs(offset) < CLOCK_LOST_MS
    prev = db.last_sync(token_id) if db is not None else None
    rate = new_rate(prev, offset, at, rate_ppb, valid)
    t0 = clock()
    client.time_set(t0 + rtt // 2, rate)  # it arrives about half a round trip later
    residual, rtt2, _ = measure_offset(client, clock)
    in_force = rate if rate is not None else rate_ppb
    sync_id = db.record_sync(token_id, at, offset, rtt, residual, valid, in_force, rate is not None) \
        if db is not None else None
    return {"sync_id": sync_id, "offset_ms": offset, "rtt_ms": rtt, "residual_ms": residual, "clock_valid": valid,
            "rate_ppb": in_force, "rate_sent": rate is not None}


def _rows(token_id: str, day: int, start: int, data: bytes, drift, bad: list) -> list[dict]:
    rs = records.RECORD_SIZE
    out = []
    for i in range(0, len(data) - len(data) % rs, rs):
        off = start + i
        try:
            (d, slot, kind, cid, first, last, count, rmin, rmax, rmean) = records.decode(data[i:i + rs], day)
        except ValueError as e:
            bad.append({"day": day, "offset": off, "error": str(e)})
            continue
        corr = drift.correction(first)
        out.append({
            "token_id": token_id, "day": day, "file_offset": off, "contact_id": bytes(cid), "kind": kind,
            "slot": slot, "first_seen_ms": first + corr, "last_seen_ms": last + corr, "raw_first_seen_ms": first,
            "raw_last_seen_ms": last, "correction_ms": corr, "count": count, "rssi_min": rmin, "rssi_max": rmax,
            "rssi_mean": rmean,
        })
    return out


def pull(client: SyncClient, db: StationDB, secret_for: Callable[[str], bytes], progress: ProgressFn = no_progress,
         clock: Callable[[], int] = now_ms, chunk: int = CHUNK) -> dict:
    started = clock()
    info = client.hello()
    if not info.get("provisioned"):
        raise UsageError("the token is not provisioned (no secret): nothing to pull",
                         hint="provision it first: bztoken provision")
    token_id = info["token_id"]
    secret = secret_for(token_id)
    client.auth(secret)

    def relogin() -> None:
        client.hello()
        client.auth(secret)

    summary: dict = {"token_id": token_id, "fw": info.get("fw"), "battery_mv": info.get("battery_mv")}
    summary["clock"] = _retry(lambda: sync_clock(client, db, token_id, bool(info.get("clock_set", True)), clock,
                                                 token_rate(info)), relogin)
    drift = db.drift(token_id)
    days = _retry(client.list_days, relogin)
    rs = records.RECORD_SIZE
    plan = []
    for day, size, confirmed in days:
        start = confirmed
        have = db.stored_extent(token_id, day, rs)
        if confirmed < have <= size:
            start = have
        plan.append((day, size, confirmed, start))
    total = sum(size - start for _, size, _, start in plan)
    done = 0
    rows: list[dict] = []
    bad: list[dict] = []
    read_to: dict[int, int] = {}
    status = "complete"
    err: BzError | None = None
    nbytes = 0
    vanished = []
    try:
        for day, size, _confirmed, start in plan:
            off = start
            while off < size:
                try:
                    _size_now, data = _retry(lambda d=day, o=off: client.read(d, o, chunk), relogin)
                except Refused as e:
                    if e.status != wire.E_NO_DATA:
                        raise
                    data = b""
                    vanished.append(day)  # dropped by the token's flash-full policy or retention meanwhile
                if not data:
                    break
                rows += _rows(token_id, day, off, data, drift, bad)
                off += len(data)
                nbytes += len(data)
                done += len(data)
                read_to[day] = off
                progress(done, max(total, done), f"day {day}")
    except (LinkError, Refused, SessionLost) as e:  # keep what was read: the rerun resumes after it
        status, err = "interrupted", e
    finished = clock()
    corrs = [r["correction_ms"] for r in rows]
    pull_rec = {
        "token_id": token_id, "sync_id": summary["clock"]["sync_id"], "started_ms": started, "finished_ms": finished,
        "status": status, "bad_records": len(bad), "bytes": nbytes, "fw": info.get("fw"),
        "battery_mv": info.get("battery_mv"), "correction_min_ms": min(corrs) if corrs else None,
        "correction_max_ms": max(corrs) if corrs else None,
    }
    pull_id, new, dup = db.store_pull(pull_rec, rows)
    summary.update({
        "pull_id": pull_id, "status": status, "records": len(rows), "new_rows": new, "duplicates": dup,
        "bad_records": len(bad), "bad": bad[:20], "bytes": nbytes, "vanished_days": vanished,
        "days": [{"day": d, "size": s, "from": st, "to": read_to.get(d, st)} for d, s, _c, st in plan],
        "correction_ms": {"min": pull_rec["correction_min_ms"], "max": pull_rec["correction_max_ms"]},
        "elapsed_s": round((finished - started) / 1000, 3),
    })
    if err is not None:
        msg = f"{err} ({len(rows)} records read were stored; rerun to resume)"
        if isinstance(err, LinkError):
            raise LinkError(msg, hint=err.hint)
        raise BzError(msg, hint=err.hint)
    confirmed = 0
    for day, _size, _c, start in plan:
        upto = read_to.get(day, start)
        if upto > _c and day not in vanished:
            _retry(lambda d=day, u=upto: client.confirm(d, u), relogin)
            confirmed += 1
    summary["days_confirmed"] = confirmed
    summary["retransmits"] = client.retransmits
    summary["line_errors"] = client.line_errors
    try:
        client.bye()
    except LinkError:
        pass
    return summary


def _retry(fn, relogin, tries: int = 3):
    for i in range(tries):
        try:
            return fn()
        except SessionLost:
            if i == tries - 1:
                raise
            relogin()
    raise AssertionError("unreachable")
