"""When a device's radio advertises or scans: periodic on/off windows, evaluated per simulation step.

A window repeats every `period_s`, is on for `on_s`, and starts at `phase_s` (seconds on the device's own
clock, so a token whose clock runs ahead wakes early). For a step [t, t + dt) the simulator needs the
fraction of the step that was on; cumulative on-time makes that exact and vectorised.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Periodic:
    period_s: float
    on_s: float
    phase_s: float = 0.0

    @property
    def duty(self) -> float:
        return min(self.on_s, self.period_s) / self.period_s

    def on_time(self, t: np.ndarray) -> np.ndarray:
        """Seconds spent on in [0, t) (up to a constant), t in seconds, any shape."""
        if self.on_s >= self.period_s:
            return t
        x = t - self.phase_s
        k = np.floor(x / self.period_s)
        return k * self.on_s + np.minimum(x - k * self.period_s, self.on_s)

    def is_on(self, t: np.ndarray) -> np.ndarray:
        if self.on_s >= self.period_s:
            return np.ones(np.shape(t), dtype=bool)
        return (t - self.phase_s) % self.period_s < self.on_s

    def fraction(self, t: np.ndarray, dt: float) -> np.ndarray:
        """Fraction of [t, t + dt) spent on."""
        return (self.on_time(t + dt) - self.on_time(t)) / dt


ALWAYS = Periodic(1.0, 1.0)
