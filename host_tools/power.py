"""Battery life of a token per duty-cycle profile, board and battery (hardware/power/currents.json).

Average current over one period of the profile, on stock MicroPython (no automatic light sleep):

  always-on  I = I_awake + s (I_rx - I_awake) + (I_tx - I_awake) t_adv / T_adv + I_board
             (s: scan duty W/P; t_adv: one advertising event; T_adv: advertising interval)
  eco        per wake period P (bzfw/app.py `_eco`): the boot lead t_boot at I_boot; the window w, scanning its
             first s at I_rx and only advertising the rest at I_awake, advertising events across all of it;
             deep sleep for the rest at I_deep; plus I_board all the time
  I_board    the board's overheads, drawn awake or asleep: LDO quiescent + battery divider + power LED +
             the charger's protection IC

Life = capacity x usable fraction / I. Every input figure carries its source and its kind in the JSON file.
This module is the one source of the days printed by `bztoken power`, the sim reports and the demo, and of
the profile tables in firmware/README.md and hardware/README.md (`readme_table`, checked by a test).
"""

import json
from dataclasses import dataclass
from pathlib import Path

from host_tools.errors import UsageError
from host_tools.sim.profiles import Profile

CURRENTS = Path(__file__).resolve().parent.parent / "hardware" / "power" / "currents.json"
CHIPS = ("esp32c3", "esp32", "esp32s3")
KINDS = ("datasheet", "measured", "calculated", "estimate")
BOARD_KEYS = ("ldo_quiescent_ua", "divider_ua", "power_led_ma", "protection_ua")


def load(path: Path = CURRENTS) -> dict:
    try:
        data = json.loads(Path(path).read_text())
    except OSError as e:
        raise UsageError(f"cannot read the power model {path}: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise UsageError(f"{path}: not JSON: {e.msg} at line {e.lineno}") from None
    groups = [(f"chips.{c}", s) for c, s in data.get("chips", {}).items()]
    groups += [(f"boards.{b}", {k: v for k, v in s.items() if k in BOARD_KEYS})
               for b, s in data.get("boards", {}).items()]
    groups.append(("battery", data.get("battery", {})))
    for where, states in groups:
        for name, fig in states.items():
            if (not isinstance(fig, dict) or "value" not in fig or fig.get("source") not in data.get("sources", {})
                    or fig.get("kind") not in KINDS):
                raise UsageError(f"{path}: {where}.{name}: needs a value, a kind ({', '.join(KINDS)}) and a source "
                                 "listed under 'sources'")
    for b, s in data.get("boards", {}).items():
        if s.get("chip") not in data.get("chips", {}) or any(k not in s for k in BOARD_KEYS):
            raise UsageError(f"{path}: boards.{b}: needs a known chip and {', '.join(BOARD_KEYS)}")
    return data


def _v(d: dict, key: str) -> float:
    return float(d[key]["value"])


@dataclass
class Life:
    chip: str
    profile: str
    avg_ma: float
    days: float
    breakdown_ma: dict  # state -> its share of the average current, mA
    board: str = ""
    capacity_mah: float = 0.0


def boards(model: dict | None = None) -> list[str]:
    return list((model or load())["boards"])


def board_for(chip: str, model: dict | None = None) -> str:
    m = model or load()
    return m["default_board"][chip]


def board_overhead_ma(board: str, model: dict | None = None) -> dict:
    """The board's overheads (mA), drawn all the time."""
    m = model or load()
    if board not in m["boards"]:
        raise UsageError(f"unknown board {board!r}", hint=f"one of {', '.join(m['boards'])}")
    b = m["boards"][board]
    return {"regulator": _v(b, "ldo_quiescent_ua") / 1000, "divider": _v(b, "divider_ua") / 1000,
            "power LED": _v(b, "power_led_ma"), "protection": _v(b, "protection_ua") / 1000}


def average_current(p: Profile, chip: str, model: dict | None = None, board: str | None = None) -> tuple[float, dict]:
    m = model or load()
    if chip not in m["chips"]:
        raise UsageError(f"unknown chip {chip!r}", hint=f"one of {', '.join(m['chips'])}")
    board = board or board_for(chip, m)
    if m["boards"].get(board, {}).get("chip", chip) != chip:
        raise UsageError(f"board {board!r} carries an {m['boards'][board]['chip']}, not an {chip}")
    c = m["chips"][chip]
    awake, rx, tx = _v(c, "awake_idle_ma"), _v(c, "rx_ma"), _v(c, "tx_ma")
    ev_s = _v(c, "adv_event_ms") / 1000
    adv_per_s = 1000.0 / p.adv_interval_ms
    if not p.eco:
        duty = p.scan_window_s / p.scan_period_s
        parts = {"awake": awake, "scanning": duty * (rx - awake), "advertising": (tx - awake) * ev_s * adv_per_s}
    else:
        per = p.wake_period_s
        win = p.wake_window_s
        scan = min(p.scan_window_s, win)
        sleep = max(0.0, per - win - p.boot_s)
        parts = {
            "boot": _v(c, "boot_ma") * p.boot_s / per,
            "scanning": rx * scan / per,
            "awake": awake * (win - scan) / per,
            "advertising": (tx - awake) * ev_s * adv_per_s * win / per,
            "deep sleep": _v(c, "deep_sleep_ua") / 1000 * sleep / per,
        }
    for k, v in board_overhead_ma(board, m).items():
        if v:
            parts[k] = v
    return sum(parts.values()), parts


def battery_life(p: Profile, chip: str, model: dict | None = None, capacity_mah: float | None = None,
                 board: str | None = None) -> Life:
    m = model or load()
    board = board or board_for(chip, m)
    cap = capacity_mah if capacity_mah is not None else _v(m["battery"], "capacity_mah")
    usable = cap * _v(m["battery"], "usable_fraction")
    avg, parts = average_current(p, chip, m, board)
    return Life(chip, p.name, avg, usable / avg / 24.0, parts, board, cap)


def board_life(p: Profile, board: str, capacity_mah: float | None = None, model: dict | None = None) -> Life:
    m = model or load()
    if board not in m["boards"]:
        raise UsageError(f"unknown board {board!r}", hint=f"one of {', '.join(m['boards'])}")
    return battery_life(p, m["boards"][board]["chip"], m, capacity_mah, board)


def sources_text(model: dict | None = None) -> list[str]:
    m = model or load()
    return [f"[{k}] {v}" for k, v in m["sources"].items()]


def readme_table(names: list[str], board: str = "esp32c3-supermini", model: dict | None = None) -> str:
    """The profile table of firmware/README.md and hardware/README.md: one source for both, from this model."""
    from host_tools.sim import profiles

    m = model or load()
    default = profiles.default_name()
    caps = [float(c) for c in m["battery"]["options_mah"]["value"]]
    head = ("| Profile | What it does | Average | " + " | ".join(f"{c:g} mAh" for c in caps)
            + " | Where the current goes |")
    lines = [head, "|" + "---|" * (4 + len(caps))]
    for n in names:
        p = profiles.get(n)
        lives = [board_life(p, board, c, m) for c in caps]
        parts = ", ".join(f"{k} {v:.2f}" for k, v in sorted(lives[0].breakdown_ma.items(), key=lambda kv: -kv[1])
                          if v >= 0.005)
        mark = " (default)" if n == default else ""
        lines.append(f"| `{n}`{mark} | {p.describe()} | {lives[0].avg_ma:.2f} mA | "
                     + " | ".join(f"{lf.days:.1f} days" for lf in lives) + f" | {parts} (mA) |")
    return "\n".join(lines)


@dataclass
class StockBound:
    """The best any stock-MicroPython duty cycle lasting `days` can do for a backgrounded Android phone."""

    days: float
    period_s: float  # the best wake period
    window_s: float  # advertising per wake (all the budget left after boots and the board)
    per_scan: float  # chance that one of the phone's scans overlaps an advertising window
    scans_needed: int  # scans that must hear the token for the station's rule (near-minutes / phone sampling)
    bound: float  # per_scan ** scans_needed: the most a 15-minute close contact can be found


def stock_phone_bound(days: float = 30.0, board: str = "esp32c3-supermini", capacity_mah: float | None = None,
                      model: dict | None = None) -> StockBound:
    """An upper bound, not a simulation: of every stock-MicroPython profile (deep sleep between wake windows,
    each wake a boot) that lasts `days`, the one that gives a backgrounded Android phone the best chance to hear
    the token in every one of its scans during a close contact of the minimum length.

    Generous to the token on every count: the whole budget goes to advertising (no scanning at all, so the token
    itself hears nothing), a scan counts as soon as it overlaps an advertising window (of at least one advertising
    event), and the phase is uniform. Against it, the facts: a backgrounded Android scans `scan_on_s` every
    `scan_period_s` (Bluezone spec, host_tools/sim/scenario.py PHONE_DEFAULTS), one sighting stands for
    `sampling_s` of the contact (calibration.json), and the station flags at DEFAULT_NEAR_MIN near-minutes, so a
    contact of that length is flagged only if every scan in it hears the token. The wake's boot cost and all
    currents are this model's."""
    import math

    from host_tools.match import calibration
    from host_tools.match.scoring import DEFAULT_NEAR_MIN
    from host_tools.sim import profiles
    from host_tools.sim.scenario import PHONE_DEFAULTS

    m = model or load()
    phone = PHONE_DEFAULTS["android_background"]
    scan_s = float(phone["scan_on_s"])
    needed = math.ceil(DEFAULT_NEAR_MIN * 60 / calibration.sampling_s("android"))
    default = profiles.get(profiles.default_name())
    lead, adv_ms = default.lead_s, default.adv_interval_ms
    shortest = adv_ms / 1000  # a window must hold at least one advertising event

    def life(period: float, win: float) -> float:
        p = Profile("bound", adv_ms, 0.0, period, win, period, lead_s=lead)
        return board_life(p, board, capacity_mah, m).days

    best = StockBound(days, 0.0, 0.0, 0.0, needed, 0.0)
    for period in range(5, 1201):
        if life(period, shortest) < days:
            continue
        lo, hi = shortest, period - lead - 0.01  # the longest window that still lasts `days` (life falls with it)
        if life(period, hi) >= days:
            lo = hi
        for _ in range(40):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if life(period, mid) >= days else (lo, mid)
        per_scan = min(1.0, (lo + scan_s) / period)
        if per_scan ** needed > best.bound:
            best = StockBound(days, float(period), lo, per_scan, needed, per_scan ** needed)
    return best


# Profiles for a power-managed build (hardware/POWER.md): (name, advertising interval ms, scan s, every s).
PM_PROFILES = (("pm-always-on", 200, 5, 50), ("pm-adv1s-scan2-60", 1000, 2, 60), ("pm-adv1s-scan2-300", 1000, 2, 300),
               ("pm-adv2s-scan1-300", 2000, 1, 300))


def pm_current(adv_ms: float, scan_s: float, period_s: float, chip: str = "esp32c3",
               board: str = "esp32c3-supermini", model: dict | None = None) -> tuple[float, dict]:
    """Projected average current of a power-managed build (automatic light sleep, BLE modem sleep, 32 kHz
    crystal): the light-sleep floor instead of the awake CPU, plus receive and advertising events, plus the
    board. A projection from the same figures as the stock model (hardware/POWER.md), not a measurement."""
    m = model or load()
    c = m["chips"][chip]
    parts = {"light sleep": _v(c, "light_sleep_32k_ua") / 1000,
             "scanning": _v(c, "rx_ma") * scan_s / period_s,
             "advertising": _v(c, "tx_ma") * _v(c, "adv_event_ms") / adv_ms}
    for k, v in board_overhead_ma(board, m).items():
        if v:
            parts[k] = v
    return sum(parts.values()), parts


def pm_table(model: dict | None = None) -> str:
    m = model or load()
    usable = _v(m["battery"], "usable_fraction")
    caps = [float(x) for x in m["battery"]["options_mah"]["value"]]
    lines = ["| Profile (power-managed build) | Advertising | Scanning | Average | "
             + " | ".join(f"{c:g} mAh" for c in caps) + " |", "|" + "---|" * (4 + len(caps))]
    for name, adv, scan, per in PM_PROFILES:
        avg, _parts = pm_current(adv, scan, per, model=m)
        lines.append(f"| `{name}` | continuous, {adv} ms | {scan} s every {per} s | {avg:.2f} mA | "
                     + " | ".join(f"{c * usable / avg / 24:.0f} days" for c in caps) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """`python -m host_tools.power --readme-table`: the profile table of firmware/README.md and hardware/README.md;
    `--pm-table`: the projections of hardware/POWER.md; `--stock-bound`: its bound on stock MicroPython."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if args == ["--pm-table"]:
        print(pm_table())
        return 0
    if args == ["--stock-bound"]:
        b = stock_phone_bound()
        print(f"best stock profile lasting {b.days:g} days: wake every {b.period_s:g} s, advertise {b.window_s:.2f} s "
              f"and never scan; a backgrounded Android's scan overlaps it with p = {b.per_scan:.2f}; the station "
              f"needs {b.scans_needed} such scans in a 15-minute contact: at most {b.bound:.0%} of them found")
        return 0
    if args != ["--readme-table"]:
        print("usage: python -m host_tools.power --readme-table | --pm-table | --stock-bound", file=sys.stderr)
        return 2
    from bzfw import config

    print(readme_table(list(config.PROFILES)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
