"""Where each person is at any moment: a piecewise-linear path through the scenario's places.

Each schedule entry becomes knots (time, x, y, place). "seated" keeps a seat (a grid at the place's
seat spacing; a person keeps the same seat in a place all day); "still" stands at one random spot;
"wander" walks between random waypoints with pauses; "mingle" joins a gathering spot at conversation
distance, stays a while, then moves to another (people meet at the same spots, as in a yard or a
market). Outside the schedule a person is at home: a place of their own, far from everyone.
Places share one plane, so two rooms side by side are heard through the wall.
"""

import math
from dataclasses import dataclass

import numpy as np

from host_tools.sim.scenario import HOME, Person, Place, Scenario

HOME_PLACE = -1
_HOME_X = 1.0e6  # homes are 10 km apart on a line far from every place


@dataclass
class Path:
    t: np.ndarray  # knot times, local seconds after midnight, non-decreasing
    x: np.ndarray
    y: np.ndarray
    place: np.ndarray  # place index, HOME_PLACE at home
    facing: np.ndarray | None = None  # per knot: the direction the person faces (radians), NaN: turns freely

    def facing_at(self, times: np.ndarray) -> np.ndarray:
        """The facing of the knot in force at each of `times` (NaN where the person turns freely)."""
        if self.facing is None:
            return np.full(np.shape(times), np.nan)
        i = np.clip(np.searchsorted(self.t, times, side="right") - 1, 0, len(self.t) - 1)
        return self.facing[i]

    def at(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(x, y, place) at each of `times`; a knot shared by two entries belongs to the later one."""
        i = np.searchsorted(self.t, times, side="right") - 1
        i = np.clip(i, 0, len(self.t) - 1)
        j = np.minimum(i + 1, len(self.t) - 1)
        span = self.t[j] - self.t[i]
        f = np.where(span > 0, (times - self.t[i]) / np.where(span > 0, span, 1), 0.0)
        f = np.clip(f, 0.0, 1.0)
        same = self.place[j] == self.place[i]
        f = np.where(same, f, 0.0)
        return self.x[i] + f * (self.x[j] - self.x[i]), self.y[i] + f * (self.y[j] - self.y[i]), self.place[i]


class _Seats:
    def __init__(self, place: Place):
        self.p = place
        s = place.seat_spacing
        self.cols = max(1, int(place.w // s))
        self.rows = max(1, int(place.h // s))
        self.taken: dict[str, int] = {}

    def seat(self, pid: str) -> tuple[float, float]:
        k = self.taken.setdefault(pid, len(self.taken))
        s = self.p.seat_spacing
        layer, k = divmod(k, self.cols * self.rows)  # more people than seats: squeeze in between
        r, c = divmod(k, self.cols)
        off = (layer % 2) * s / 2
        return (min(self.p.x + self.p.w, self.p.x + s / 2 + c * s + off),
                min(self.p.y + self.p.h, self.p.y + s / 2 + r * s + off))


def _hotspots(place: Place, rng: np.random.Generator) -> np.ndarray:
    n = place.hotspots or max(1, int(place.w * place.h / 12))
    m = 0.8  # keep spots off the walls
    xs = place.x + m + rng.random(n) * max(0.0, place.w - 2 * m)
    ys = place.y + m + rng.random(n) * max(0.0, place.h - 2 * m)
    return np.stack([xs, ys], axis=1)


def _rand_point(place: Place, rng: np.random.Generator) -> tuple[float, float]:
    return place.x + rng.random() * place.w, place.y + rng.random() * place.h


def build_paths(sc: Scenario, rng: np.random.Generator) -> list[Path]:
    """One Path per person of the scenario, covering [start_s, end_s]."""
    seats = {name: _Seats(p) for name, p in sc.places.items()}
    spots = {name: _hotspots(p, rng) for name, p in sc.places.items()}
    paths = []
    for i, person in enumerate(sc.persons):
        paths.append(_path(sc, person, i, seats, spots, rng))
    return paths


def _path(sc: Scenario, person: Person, idx: int, seats, spots, rng) -> Path:
    T: list[float] = []
    X: list[float] = []
    Y: list[float] = []
    P: list[int] = []
    F: list[float] = []
    home = (_HOME_X + idx * 1.0e4, 0.0)
    face = [math.nan]

    def knot(t, x, y, p):
        T.append(t)
        X.append(x)
        Y.append(y)
        P.append(p)
        F.append(face[0])

    def at_home(a, b):
        face[0] = math.nan
        knot(a, *home, HOME_PLACE)
        knot(b, *home, HOME_PLACE)

    cur = sc.start_s
    for seg in person.segments:
        a, b = max(seg.start_s, sc.start_s), min(seg.end_s, sc.end_s)
        if b <= a:
            continue
        if a > cur:
            at_home(cur, a)
        cur = b
        if seg.place == HOME:
            at_home(a, b)
            continue
        pl = sc.places[seg.place]
        pi = pl.index
        # seated people face the front of the place (+y, a teacher, the bus's front, a table's other side);
        # everyone else turns freely (the engine draws a facing per shadowing interval)
        face[0] = math.pi / 2 if seg.move == "seated" else math.nan
        if seg.move == "seated":
            x, y = seats[seg.place].seat(person.pid)
            knot(a, x, y, pi)
            knot(b, x, y, pi)
        elif seg.move == "still":
            x, y = _rand_point(pl, rng)
            knot(a, x, y, pi)
            knot(b, x, y, pi)
        elif seg.move == "wander":
            t = a
            x, y = _rand_point(pl, rng)
            knot(t, x, y, pi)
            while t < b:
                nx, ny = _rand_point(pl, rng)
                t = min(b, t + math.hypot(nx - x, ny - y) / seg.speed)
                x, y = nx, ny
                knot(t, x, y, pi)
                if t < b and seg.pause_s > 0:
                    t = min(b, t + rng.random() * seg.pause_s)
                    knot(t, x, y, pi)
        else:  # mingle
            sp = spots[seg.place]
            t = a
            first = True
            x = y = 0.0
            while t < b:
                c = sp[rng.integers(len(sp))]
                ang = rng.random() * 2 * math.pi
                r = 0.4 + rng.random() * 0.8  # conversation distance from the spot's centre
                nx = min(max(c[0] + r * math.cos(ang), pl.x), pl.x + pl.w)
                ny = min(max(c[1] + r * math.sin(ang), pl.y), pl.y + pl.h)
                if not first:
                    t = min(b, t + math.hypot(nx - x, ny - y) / seg.speed)
                first = False
                x, y = nx, ny
                knot(t, x, y, pi)
                if t < b:
                    t = min(b, t + max(30.0, rng.exponential(seg.dwell_s)))
                    knot(t, x, y, pi)
    face[0] = math.nan
    if cur < sc.end_s:
        at_home(cur, sc.end_s)
    return Path(np.array(T), np.array(X), np.array(Y), np.array(P, dtype=np.int32), np.array(F))
