"""Clock discipline: the rate correction the station sends a token at a sync, as a pure function.

One source for every place that decides a rate: a pull or `bztoken time --set` (host_tools/sync/pull.py), a
re-provisioning of a token synced before (provisioning), and the simulator's model of a disciplined clock
(host_tools/sim/clocks.py). The token applies the rate from the moment its clock is set
(firmware/bzfw/clock.py, `Clock.set_rate_ppb`: now = anchor + (raw - anchor) / (1 + rate)).
"""

from collections.abc import Mapping

# A rate is measured over at least an hour: each offset reading is good to half its round trip (a few ms over
# USB serial, tens over BLE: say 50 ms for both readings together), so an hour bounds the reading error at
# 50 ms / 3.6e6 ms = 14 ppm, small against the RC slow clock's 1000 ppm temperature wander (scenarios/README.md,
# "Physics"), while a provisioning sync followed minutes later by a pull would learn noise.
RATE_MIN_INTERVAL_MS = 3_600_000
# +-20,000 ppm: four sigma of the ESP32-C3 RC slow clock's unit spread (5000 ppm, scenarios/README.md "Physics")
# plus its wander; a larger measured rate is a clock that misbehaved (or a reading gone wrong), not drift,
# and is cut to this bound rather than taught to the token. The token itself refuses beyond +-5 %.
RATE_LIMIT_PPB = 20_000_000


def new_rate(prev: Mapping | None, offset_ms: int, at_ms: int, rate_ppb: int | None, valid: bool) -> int | None:
    """The rate correction to send the token at this sync (clock discipline), or None to leave its rate alone.

    `prev` is the token's previous sync at this station (a `syncs` row or a dict with `host_ms`, `residual_ms`
    and `rate_ppb`). Since then the token's corrected clock went from that sync's residual to `offset_ms` over
    at_ms - prev.host_ms of station time: it ran e = (offset - residual) / elapsed fast on top of the rate it
    applied (`rate_ppb`, reported by its hello). The new rate composes the two, (1 + r)(1 + e) - 1 (for small
    rates r + e, the rate plus the drift left over), clamped to +-RATE_LIMIT_PPB.
    None when there is nothing sound to learn from: no earlier sync with a residual at this station; a token
    that reports no rate (older firmware: it takes no rate either); a clock lost in between (power loss: `valid`
    false); a rate on the token other than the one the previous sync left (another station, or a power loss,
    set it since: the residual we hold is not where its clock started); or an interval under
    RATE_MIN_INTERVAL_MS."""
    if prev is None or rate_ppb is None or not valid or prev["residual_ms"] is None:
        return None
    if prev["rate_ppb"] is None or prev["rate_ppb"] != rate_ppb:
        return None
    elapsed = at_ms - prev["host_ms"]
    if elapsed < RATE_MIN_INTERVAL_MS:
        return None
    e = (offset_ms - prev["residual_ms"]) / elapsed
    r = (1 + rate_ppb / 1e9) * (1 + e) - 1
    return max(-RATE_LIMIT_PPB, min(RATE_LIMIT_PPB, round(r * 1e9)))
