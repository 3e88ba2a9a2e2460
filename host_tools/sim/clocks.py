"""Token clocks as the hardware keeps them: which oscillator counts time when, how far it drifts.

An ESP32 keeps UTC with two oscillators. Awake, time comes from the 40 MHz main crystal (tens of ppm).
In deep sleep only the RTC domain runs, on its slow clock: on stock MicroPython that is the internal
RC oscillator (about 5000 ppm, wandering with temperature), unless the build selects a 32 kHz crystal
and the board carries one (about 20 ppm). So a token's rate error is

    rate(t) = s * (bias_sleep + wander(t)) + (1 - s) * bias_awake

with s its profile's deep-sleep fraction; `wander` is an Ornstein-Uhlenbeck process (temperature
changes slowly, and comes back), `bias_*` are the unit's own, drawn once. The error since the last
sync is the integral of the rate. Figures and their sources: scenarios/README.md, "Physics".

Clock discipline (`rate_correction`): the previous sync interval is simulated too. The station set the clock
at the previous sync and read back the residual; at the last sync it read the offset the clock had gathered
since, and computed the rate to send with its own function (host_tools.sync.clockrate.new_rate: the same
composition, clamps and minimum interval as a real pull). From the last sync on the token applies it as the
firmware does (bzfw/clock.py: elapsed time divided by 1 + r, awake or asleep; the clock then runs
(1 + rate) / (1 + r) - 1 fast), so what is left is the wander's change between the two intervals, and the
readings' error. The interval modelled is the token's first with a rate to learn (none in force before it);
later cycles compose the rate in force with what is left, which comes to the same rate over the last interval.
"""

from dataclasses import dataclass

import numpy as np

from host_tools.sync import clockrate

GRID_S = 60.0  # the wander is drawn and the error integrated on this grid

# Oscillators: rate sigma (ppm) of a unit, and of its wander (ppm, correlation time).
CLOCK_DEFAULTS: dict[str, float] = {
    "rc_ppm": 5000.0,  # ESP32-C3 RC slow clock in deep sleep: about +-20 s an hour (field measurements)
    "rc_wander_ppm": 1000.0,  # its temperature wander (estimate: the part of the measured spread that moves)
    "rc_wander_tau_s": 7200.0,  # how long a temperature state lasts (estimate: a body-worn token, indoors)
    "xtal32k_ppm": 20.0,  # a 32.768 kHz crystal: 20 ppm tolerance class (datasheets of such crystals)
    "xtal32k_wander_ppm": 2.0,  # its temperature curve near room temperature (estimate)
    "awake_ppm": 10.0,  # the 40 MHz main crystal: ESP32-C3 hardware design guidelines ask +-10 ppm
    "sync_cycle_days": 21.0,  # each token was last synced a uniform draw of up to this many days ago
    "rate_correction": 0.0,  # 1: the station sent the measured rate at the last sync (clock discipline)
    "rate_measure_ms": 1000.0,  # each offset reading's error at a sync (sd; a cautious bound, see Physics)
}
SLEEP_SOURCES = ("rc", "xtal32k")


@dataclass
class UnitClock:
    """One token's clock error against true time: clock = true + error_ms(true)."""

    t_sync_ms: float  # true time of the last sync (error 0 there, before any later set_ms)
    grid_ms: np.ndarray  # true times of the grid
    err_ms: np.ndarray  # error at each grid time
    tail_ppm: float  # rate beyond the grid's ends
    # clock discipline (rate_correction): what the station read and sent at the last sync, as a `syncs` row
    # would hold it; None without discipline
    discipline: dict | None = None

    def error_ms(self, true_ms):
        t = np.asarray(true_ms, dtype=float)
        e = np.interp(t, self.grid_ms, self.err_ms)
        e = np.where(t > self.grid_ms[-1], self.err_ms[-1] + (t - self.grid_ms[-1]) * self.tail_ppm * 1e-6, e)
        return np.where(t < self.grid_ms[0], self.err_ms[0] + (t - self.grid_ms[0]) * self.tail_ppm * 1e-6, e)

    def mean_ppm(self) -> float:
        span = self.grid_ms[-1] - self.grid_ms[0]
        return float((self.err_ms[-1] - self.err_ms[0]) / span * 1e6) if span > 0 else self.tail_ppm


def ou_path(n: int, dt_s: float, sigma: float, tau_s: float, rng: np.random.Generator) -> np.ndarray:
    """An Ornstein-Uhlenbeck path (stationary, sigma, correlation time tau) sampled every dt_s: exact."""
    if n <= 0:
        return np.zeros(0)
    if sigma <= 0 or tau_s <= 0:
        return np.zeros(n)
    a = np.exp(-dt_s / tau_s)
    z = rng.normal(0.0, sigma * np.sqrt(1 - a * a), n)
    z[0] = rng.normal(0.0, sigma)
    # w[k] = a w[k-1] + z[k]: a linear recurrence, solved in blocks to stay exact and vectorised
    out = np.empty(n)
    prev = 0.0
    block = 256
    powers = a ** np.arange(block)
    for s in range(0, n, block):
        zz = z[s:s + block]
        k = len(zz)
        p = powers[:k]
        # w[s+i] = a^(i+1) prev + sum_j<=i a^(i-j) z[s+j]
        conv = np.convolve(zz, p)[:k]
        out[s:s + k] = conv + prev * a * p if s else conv
        prev = out[s + k - 1]
    return out


def unit_clock(spec: dict, sleep_source: str, sleep_frac: float, t_sync_ms: float, t_end_ms: float,
               rng: np.random.Generator, prev_sync_ms: float | None = None) -> UnitClock:
    """Draw one unit's clock from `spec` (CLOCK_DEFAULTS keys) for a profile that deep-sleeps sleep_frac of
    the time; the error is 0 at t_sync_ms (the station set the clock) and integrated to t_end_ms.
    With `rate_correction` the unit was also synced at prev_sync_ms (default: a sync cycle before t_sync_ms),
    and the last sync sent it the rate the station computes from that interval (module doc)."""
    if sleep_source == "xtal32k":
        bias_sleep = rng.normal(0.0, spec["xtal32k_ppm"])
        w_sigma = spec["xtal32k_wander_ppm"]
    else:
        bias_sleep = rng.normal(0.0, spec["rc_ppm"])
        w_sigma = spec["rc_wander_ppm"]
    bias_awake = rng.normal(0.0, spec["awake_ppm"])
    n = max(2, int(np.ceil((t_end_ms - t_sync_ms) / 1000 / GRID_S)) + 2)
    if not spec["rate_correction"]:
        wander = ou_path(n, GRID_S, w_sigma, spec["rc_wander_tau_s"], rng)
        rate = sleep_frac * (bias_sleep + wander) + (1 - sleep_frac) * bias_awake  # ppm per grid step
        return _integrate(t_sync_ms, rate)
    # the previous interval on the same grid, its wander continuing into this one (one path)
    if prev_sync_ms is None:
        prev_sync_ms = t_sync_ms - max(spec["sync_cycle_days"], 1.0) * 86_400_000
    n_prev = max(0, int(round((t_sync_ms - prev_sync_ms) / 1000 / GRID_S)))
    wander = ou_path(n_prev + n, GRID_S, w_sigma, spec["rc_wander_tau_s"], rng)
    raw = sleep_frac * (bias_sleep + wander) + (1 - sleep_frac) * bias_awake
    gathered_ms = float(np.sum(raw[:n_prev])) * GRID_S * 1e-3  # the error the interval left, set from 0
    # two readings (the residual after the previous set, the offset at this sync), each good to rate_measure_ms
    residual_ms, offset_ms = (int(round(x)) for x in rng.normal(0.0, spec["rate_measure_ms"], 2))
    offset_ms += int(round(gathered_ms))
    prev = {"host_ms": int(round(prev_sync_ms)), "residual_ms": residual_ms, "rate_ppb": 0}
    sent = clockrate.new_rate(prev, offset_ms, int(round(t_sync_ms)), 0, True)
    r = (sent or 0) / 1e9
    rate = ((1 + raw[n_prev:] * 1e-6) / (1 + r) - 1) * 1e6  # the firmware divides elapsed time by 1 + rate
    clk = _integrate(t_sync_ms, rate)
    clk.discipline = {"prev": prev, "offset_ms": offset_ms, "at_ms": int(round(t_sync_ms)), "rate_ppb": sent,
                      "raw_ppm": float(np.mean(raw[:n_prev])) if n_prev else None}
    return clk


def _integrate(t_sync_ms: float, rate: np.ndarray) -> UnitClock:
    err = np.concatenate([[0.0], np.cumsum(rate[:-1]) * GRID_S * 1e-3])  # ppm * s * 1e-6 * 1000 ms
    grid = t_sync_ms + np.arange(len(rate)) * GRID_S * 1000
    return UnitClock(t_sync_ms, grid, err, float(rate[-1]))


def linear_clock(ppm: float, t_sync_ms: float) -> UnitClock:
    """A constant rate (a scenario's legacy `clock_ppm`): error = ppm * (t - t_sync)."""
    g = np.array([t_sync_ms, t_sync_ms + 1000.0])
    return UnitClock(t_sync_ms, g, np.array([0.0, ppm * 1e-3]), ppm)
