"""Token duty-cycle profiles as the simulator and the power model see them.

Two families (firmware issue): "always-on" keeps the chip awake, advertises continuously and scans a
window W every P seconds; "eco" deep-sleeps and wakes for a short window aligned to UTC (all tokens wake
together), boots, then advertises and scans for the rest of the window. The timings are the firmware's
own (`bzfw.config.PROFILES`); variants `always-on-Ws-P` and `eco-Ws-P` (a radio window of W seconds
every P seconds, eco keeping the firmware's boot time) let a sweep explore the trade-off; a `+gatt` suffix
makes the token read iOS phones' IDs over GATT, which the firmware does not do yet (no power cost modelled).
"""

import re
from dataclasses import dataclass, replace

from host_tools.errors import UsageError


@dataclass(frozen=True)
class Profile:
    name: str
    adv_interval_ms: float  # advertising interval while the radio is up
    scan_window_s: float  # radio window: always-on scans this long every scan_period_s
    scan_period_s: float
    wake_window_s: float = 0.0  # eco: awake this long every wake_period_s (0: never sleeps)
    wake_period_s: float = 0.0
    flush_every_s: float = 180.0  # always-on: open encounters are written out this often
    ios_gatt: bool = False  # read iOS phones' IDs over GATT (the firmware does not yet: it counts them)
    aligned: bool = True  # eco: windows at UTC multiples of the period; False: each token at its own phase
    lead_s: float = 0.0  # eco: the token wakes this long before its window (boot and BLE start-up: wake_lead_ms)

    @property
    def sleep_fraction(self) -> float:
        """Share of the time in deep sleep (its clock then runs on the RTC slow clock)."""
        return max(0.0, 1.0 - (self.wake_window_s + self.lead_s) / self.wake_period_s) if self.eco else 0.0

    @property
    def eco(self) -> bool:
        return self.wake_period_s > 0

    @property
    def boot_s(self) -> float:
        """Eco: wake-up to radio ready (boot, imports, BLE start), before the window (bzfw/app.py `_eco`)."""
        return self.lead_s if self.eco else 0.0

    def describe(self) -> str:
        if self.eco:
            return (f"eco: a {self.wake_window_s:g} s window every {self.wake_period_s:g} s "
                    f"({'UTC-aligned' if self.aligned else 'own phase'}, woken {self.lead_s:g} s early to boot), "
                    f"advertise every {self.adv_interval_ms:g} ms, scan its first {self.scan_window_s:g} s")
        return (f"always-on: advertise every {self.adv_interval_ms:g} ms, "
                f"scan {self.scan_window_s:g} s every {self.scan_period_s:g} s")


# Used only where the firmware defines no profiles (bzfw.config.PROFILES wins, see _from_firmware).
BUILTIN: dict[str, Profile] = {
    "always-on": Profile("always-on", 200, 5, 50),
    "eco": Profile("eco", 100, 10, 120, 12, 120, lead_s=2.0),
}

_VARIANT = re.compile(r"^(always-on|eco)-(\d+(?:\.\d+)?)s-(\d+(?:\.\d+)?)$")


def _from_firmware() -> dict[str, Profile]:
    """The firmware's own profiles (bzfw.config.PROFILES, times in ms), when it defines them."""
    try:
        from bzfw import config
    except ImportError:
        return {}
    table = getattr(config, "PROFILES", None)
    if not isinstance(table, dict):
        return {}
    defaults = getattr(config, "_DEFAULTS", {})
    flush = defaults.get("flush_every_ms", 180000) / 1000 if isinstance(defaults, dict) else 180.0
    out = {}
    for name, d in table.items():
        try:
            out[name] = Profile(name, float(d["adv_interval_ms"]), d["scan_window_ms"] / 1000,
                                d["scan_period_ms"] / 1000, d.get("wake_window_ms", 0) / 1000,
                                d.get("wake_period_ms", 0) / 1000, flush,
                                ios_gatt=d.get("ios_reads_per_min", 0) > 0,  # bzfw/ioscentral.py reads them
                                lead_s=d.get("wake_lead_ms", 0) / 1000)
        except (KeyError, TypeError):
            continue
    return out


def all_profiles() -> dict[str, Profile]:
    return {**BUILTIN, **_from_firmware()}


def get(name: str) -> Profile:
    """A named profile, or a variant `always-on-Ws-P` / `eco-Ws-P` (window W seconds every P seconds)."""
    if name.endswith("+gatt"):  # what reading iOS phones over GATT would add (the firmware does not yet)
        return replace(get(name[: -len("+gatt")]), name=name, ios_gatt=True)
    if name.endswith("+free"):  # eco windows at each token's own phase instead of UTC-aligned
        base = get(name[: -len("+free")])
        if not base.eco:
            raise UsageError(f"profile {name!r}: +free applies to eco profiles (always-on has no wake windows)")
        return replace(base, name=name, aligned=False)
    profs = all_profiles()
    if name in profs:
        return profs[name]
    m = _VARIANT.match(name)
    if m:
        base = profs[m.group(1)]
        win, period = float(m.group(2)), float(m.group(3))
        if not 0 < win + base.boot_s < period:
            raise UsageError(f"profile {name!r}: the window (plus boot) must be shorter than the period")
        if base.eco:  # a window of W seconds, scanned whole, the base's boot lead before it
            return replace(base, name=name, scan_window_s=win, scan_period_s=period,
                           wake_window_s=win, wake_period_s=period)
        return replace(base, name=name, scan_window_s=win, scan_period_s=period)
    raise UsageError(f"unknown token profile {name!r}",
                     hint=f"one of {', '.join(profs)}, or a variant like eco-4s-60, always-on-5s-60, eco+gatt")


# The sweep behind the detection-vs-battery table and plot.
# Every profile of the firmware, the variants around the 30-day budget, and free-running (not UTC-aligned)
# windows for the alignment decision (scenarios/README.md, "Clock discipline").
SWEEP = ("always-on", "always-on-2s-50", "eco", "eco-4s-60", "eco-4s-120", "eco-4s-300", "cycle", "cycle+free",
         "eco-2s-300", "eco-5s-600", "eco-10s-900")
# The sweep `make test` runs (tests/test_sim_profiles.py): the default and always-on.
SWEEP_REDUCED = ("always-on", "cycle")


def default_name() -> str:
    """The product's default profile: the firmware's (bzfw.config.DEFAULT_PROFILE), the one source that flashing,
    provisioning, the station, `bztoken power` and the simulator all read. A scenario runs it unless the scenario
    names a profile because its physics needs one (scenario.py)."""
    from bzfw import config

    return config.DEFAULT_PROFILE


def label(name: str) -> str:
    """A profile's name as reports print it: the default says so."""
    return f"{name} (the default profile)" if name == default_name() else name
