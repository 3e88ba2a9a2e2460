"""The trade-off of each decision rule over its threshold: recall against precision, per scenario.

Rules (each gives a value per (positive, receiver) pair; a pair is flagged when the value reaches the threshold):
- `near-minutes`: the station's rule, the estimated minutes within about 2 m (host_tools.match.scoring), swept
  over NEAR_MIN_GRID; its default (scoring.DEFAULT_NEAR_MIN) is the marked operating point;
- `day-mean`: round 1's rule for comparison: a contact seen for at least 15 minutes in all whose count-weighted
  mean RSSI over the day reaches the threshold (dBm), swept over DAY_MEAN_GRID; round 1's "medium" (-85 dBm) is
  marked;
- `bluezone-strict`: the phones' rule (any sighting in a slot window); no threshold, one point.
"""

from pathlib import Path

from host_tools.match.scoring import DEFAULT_NEAR_MIN

NEAR_MIN_GRID = (0.5, 1, 2, 3, 5, 7.5, 10, 12.5, 15, 17.5, 20, 25, 30, 45, 60, 90, 120, 180)
DAY_MEAN_GRID = tuple(range(-95, -49, 5))
DAY_MEAN_DEFAULT = -85  # round 1's scored-medium
DAY_MEAN_MIN_MS = 15 * 60_000
KINDS = ("token", "android", "ios")
RULES = {"near-minutes": (NEAR_MIN_GRID, DEFAULT_NEAR_MIN, "near-min"),
         "day-mean": (DAY_MEAN_GRID, DAY_MEAN_DEFAULT, "dBm")}


def point(flagged: set, truth: set, pairs: list[tuple[int, int]], kinds: dict[int, str]) -> dict:
    """Counts over every (positive, receiver) pair, overall and by the receiver's kind."""
    tp = fp = fn = 0
    by: dict[str, dict[str, int]] = {}
    for p in pairs:
        t, f = p in truth, p in flagged
        k = by.setdefault(kinds[p[1]], {"tp": 0, "fn": 0, "fp": 0})
        if t and f:
            tp += 1
            k["tp"] += 1
        elif t:
            fn += 1
            k["fn"] += 1
        elif f:
            fp += 1
            k["fp"] += 1
    return {"tp": tp, "fp": fp, "fn": fn, "recall": tp / (tp + fn) if tp + fn else None,
            "precision": tp / (tp + fp) if tp + fp else None, "by_receiver": by}


def curve(values: dict[tuple[int, int], float], grid, truth: set, pairs, kinds) -> list[dict]:
    """One point per threshold: pairs whose value is at or above it are flagged."""
    out = []
    for th in grid:
        flagged = {p for p, v in values.items() if v >= th}
        out.append({"threshold": th, **point(flagged, truth, pairs, kinds)})
    return out


def by_kind(pt: dict) -> dict[str, dict]:
    """Recall and precision per detecting device kind of one point."""
    out = {}
    for k in KINDS:
        c = pt["by_receiver"].get(k)
        if not c:
            continue
        out[k] = {"recall": c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else None,
                  "precision": c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else None,
                  "contacts": c["tp"] + c["fn"]}
    return out


def default_point(roc: dict, rule: str) -> dict | None:
    grid, dflt, _unit = RULES[rule]
    return next((p for p in roc.get(rule, []) if p["threshold"] == dflt), None)


def _pct(x) -> str:
    return "  -" if x is None else f"{100 * x:3.0f}"


def text(roc: dict) -> str:
    """The curves as a table: one line per threshold, recall/precision overall and per detecting device."""
    lines = []
    for rule, (_grid, dflt, unit) in RULES.items():
        pts = roc.get(rule)
        if not pts:
            continue
        lines.append(f"{rule} (threshold in {unit}; * = default): recall/precision %, overall and by the detecting "
                     "device")
        lines.append(f"  {'threshold':>9}  {'all':>7}  " + "  ".join(f"{k:>7}" for k in KINDS))
        for p in pts:
            bk = by_kind(p)
            cells = [f"{_pct(bk[k]['recall'])}/{_pct(bk[k]['precision'])}" if k in bk else "      -" for k in KINDS]
            mark = "*" if p["threshold"] == dflt else " "
            lines.append(f"  {p['threshold']:>8g}{mark}  {_pct(p['recall'])}/{_pct(p['precision'])}  "
                         + "  ".join(cells))
    s = roc.get("bluezone-strict")
    if s:
        lines.append(f"bluezone-strict (no threshold): recall {_pct(s[0]['recall'])} %, precision "
                     f"{_pct(s[0]['precision'])} %")
    return "\n".join(lines)


def plot(results: list[dict], path: Path, title: str) -> Path:
    """Precision against recall per rule, one panel per run (profile), the default operating points marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = max(1, len(results))
    fig, axes = plt.subplots(1, n, figsize=(4.2 * n, 4.2), dpi=100, squeeze=False)
    for ax, r in zip(axes[0], results, strict=False):
        roc = r.get("roc", {})
        for i, (rule, (_g, dflt, unit)) in enumerate(RULES.items()):
            pts = [p for p in roc.get(rule, []) if p["recall"] is not None and p["precision"] is not None]
            if not pts:
                continue
            ax.plot([100 * p["recall"] for p in pts], [100 * p["precision"] for p in pts], marker=".",
                    color=f"C{i}", label=rule)
            d = next((p for p in pts if p["threshold"] == dflt), None)
            if d:
                ax.plot(100 * d["recall"], 100 * d["precision"], marker="*", ms=14, color=f"C{i}", mec="k")
                ax.annotate(f"{dflt:g} {unit}", (100 * d["recall"], 100 * d["precision"]),
                            textcoords="offset points", xytext=(-40, -14), fontsize=7)
        s = roc.get("bluezone-strict")
        if s and s[0]["recall"] is not None and s[0]["precision"] is not None:
            ax.plot(100 * s[0]["recall"], 100 * s[0]["precision"], marker="o", color="C2", ls="",
                    label="bluezone-strict")
        ax.axvline(90, color="grey", lw=0.6, ls=":")
        ax.axhline(75, color="grey", lw=0.6, ls=":")
        ax.set_xlim(0, 102)
        ax.set_ylim(0, 102)
        ax.set_xlabel("recall %")
        ax.set_ylabel("precision %")
        ax.set_title(f"{r.get('profile')}", fontsize=9)
        ax.grid(True, alpha=0.3)
        if ax.get_legend_handles_labels()[0]:  # a run with no contacts has no curve
            ax.legend(fontsize=7, loc="lower left")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
