"""Battery life of a token per duty-cycle profile, from the current of each state (hardware/power/currents.json).

Average current over one period of the profile:

  always-on  I = I_awake + s (I_rx - I_awake) + (I_tx - I_awake) t_adv / T_adv + I_reg
             (s: scan duty W/P; t_adv: one advertising event; T_adv: advertising interval)
  eco        per wake period P: boot t_boot at I_boot, radio window w at I_rx plus advertising events,
             deep sleep for the rest at I_deep; plus I_reg all the time

Life = capacity x usable fraction / I. Every input figure carries its source in the JSON file.
"""

import json
from dataclasses import dataclass
from pathlib import Path

from host_tools.errors import UsageError
from host_tools.sim.profiles import Profile

CURRENTS = Path(__file__).resolve().parent.parent / "hardware" / "power" / "currents.json"
CHIPS = ("esp32c3", "esp32", "esp32s3")


def load(path: Path = CURRENTS) -> dict:
    try:
        data = json.loads(Path(path).read_text())
    except OSError as e:
        raise UsageError(f"cannot read the power model {path}: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise UsageError(f"{path}: not JSON: {e.msg} at line {e.lineno}") from None
    for chip, states in data.get("chips", {}).items():
        for name, fig in states.items():
            if not isinstance(fig, dict) or "value" not in fig or fig.get("source") not in data.get("sources", {}):
                raise UsageError(f"{path}: chips.{chip}.{name}: needs a value and a source listed under 'sources'")
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


def average_current(p: Profile, chip: str, model: dict | None = None) -> tuple[float, dict]:
    m = model or load()
    if chip not in m["chips"]:
        raise UsageError(f"unknown chip {chip!r}", hint=f"one of {', '.join(m['chips'])}")
    c = m["chips"][chip]
    awake, rx, tx = _v(c, "awake_idle_ma"), _v(c, "rx_ma"), _v(c, "tx_ma")
    ev_s = _v(c, "adv_event_ms") / 1000
    reg = _v(m["board"], "regulator_quiescent_ua") / 1000
    adv_per_s = 1000.0 / p.adv_interval_ms
    if not p.eco:
        duty = p.scan_window_s / p.scan_period_s
        parts = {"awake": awake, "scanning": duty * (rx - awake), "advertising": (tx - awake) * ev_s * adv_per_s,
                 "regulator": reg}
    else:
        per = p.wake_period_s
        win = p.wake_window_s - p.boot_s
        sleep = max(0.0, per - p.wake_window_s)
        parts = {
            "boot": _v(c, "boot_ma") * p.boot_s / per,
            "scanning": rx * win / per,
            "advertising": (tx - rx) * ev_s * adv_per_s * win / per,
            "deep sleep": _v(c, "deep_sleep_ua") / 1000 * sleep / per,
            "regulator": reg,
        }
    return sum(parts.values()), parts


def battery_life(p: Profile, chip: str, model: dict | None = None, capacity_mah: float | None = None) -> Life:
    m = model or load()
    cap = capacity_mah if capacity_mah is not None else _v(m["battery"], "capacity_mah")
    usable = cap * _v(m["battery"], "usable_fraction")
    avg, parts = average_current(p, chip, m)
    return Life(chip, p.name, avg, usable / avg / 24.0, parts)


def sources_text(model: dict | None = None) -> list[str]:
    m = model or load()
    return [f"[{k}] {v}" for k, v in m["sources"].items()]
