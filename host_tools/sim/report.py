"""Detection against battery life: runs of the pipeline per profile, one table, one plot, one HTML page.

`sweep()` runs the pipeline once per profile (in worker processes when jobs > 1; every run uses the
scenario's seed, so all profiles see the same people in the same air). Each run's summary (the
pipeline's to_json) is joined with the power model's battery life per chip.
"""

import html
import json
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from host_tools import power
from host_tools.sim import pipeline, roc
from host_tools.sim.profiles import get as get_profile
from host_tools.sim.scenario import Scenario, load

PLOT_SETS = ("bluezone-strict", "near-minutes", "day-mean")  # the rules drawn, each at its default threshold
PLOT_NAME = "detection_vs_battery.png"
PARETO_NAME = "pareto.png"
PARETO_RULE = "near-minutes"  # the station's decision rule
TOKEN_BOARD, TOKEN_MAH = "esp32c3-supermini", 1000.0  # the reference token of the battery axis


def worst_direction(r: dict, rule: str = PARETO_RULE) -> float | None:
    """The lowest recall over the directions (token hears token, phones hear the token, ...) in a run."""
    ds = [d["recall"] for d in r.get("directions", {}).get(rule, {}).values()]
    return min(ds) if ds else None


def pareto_front(points: list[tuple[float, float, str]]) -> list[tuple[float, float, str]]:
    """(days, recall, name) not beaten on both axes by another point, by days."""
    front = [p for p in points if not any(q[0] >= p[0] and q[1] >= p[1] and (q[0], q[1]) != (p[0], p[1])
                                          for q in points)]
    return sorted(front)


def plot_pareto(results: list[dict], path: Path, title: str, default: str) -> Path:
    """Recall at the station's rule (overall, and the worst direction) against the reference token's days."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    for label, key, m in (("all pairs", lambda r: r["scores"][PARETO_RULE]["recall"], "o"),
                          ("worst direction", worst_direction, "v")):
        pts = [(r["token_days"], 100 * (key(r) or 0.0), r["profile"]) for r in results]
        ax.scatter([p[0] for p in pts], [p[1] for p in pts], marker=m, label=f"{PARETO_RULE} recall, {label}")
        front = pareto_front(pts)
        ax.plot([p[0] for p in front], [p[1] for p in front], alpha=0.5)
        for x, y, n in pts:
            ax.annotate(n, (x, y), textcoords="offset points", xytext=(3, 3), fontsize=6)
            if n == default:
                ax.scatter([x], [y], marker="*", s=220, color="red", zorder=5)
    ax.axvline(30, color="grey", linestyle="--", lw=0.8)
    ax.axhline(90, color="grey", linestyle="--", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel(f"battery life, days ({TOKEN_BOARD}, {TOKEN_MAH:g} mAh, board overheads; bztoken power)")
    ax.set_ylabel("% of true close contacts found")
    ax.set_ylim(0, 105)
    ax.set_title(f"{title} (red star: the default, {default}; goal: 30 days and 90 %)", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
ROC_NAME = "recall_vs_precision.png"


def _one(args) -> dict:
    scenario_path, workdir, prof, all_positive, clock = args
    sc = load(scenario_path)
    if clock:
        sc.clock.update({k: v for k, v in clock.items() if k != "sleep_source"})
        sc.sleep_clock = clock.get("sleep_source", sc.sleep_clock)
    res = pipeline.run(sc, Path(workdir), prof, all_positive=all_positive)
    out = res.to_json()
    out["clock"] = {"sleep_source": sc.sleep_clock, **sc.clock}
    return out


def sweep(sc: Scenario, scenario_path: Path, out: Path, profiles: list[str], jobs: int = 1,
          all_positive: bool = True, progress=None, clock: dict | None = None) -> list[dict]:
    """One pipeline run per profile; returns the summaries with battery life added, in profile order.
    `clock` overrides the scenario's clock keys (sleep_source, rate_correction, ...) in every run."""
    for p in profiles:
        get_profile(p)  # fail on a bad name before anything runs
    tasks = [(str(scenario_path), str(out / "runs" / p), p, all_positive, clock) for p in profiles]
    if jobs > 1 and len(tasks) > 1:
        with ProcessPoolExecutor(max_workers=min(jobs, len(tasks))) as ex:
            results = []
            for i, r in enumerate(ex.map(_one, tasks)):
                results.append(r)
                if progress:
                    progress(i + 1, len(tasks), profiles[i])
    else:
        results = []
        for i, t in enumerate(tasks):
            results.append(_one(t))
            if progress:
                progress(i + 1, len(tasks), profiles[i])
    model = power.load()
    for r, p in zip(results, profiles, strict=True):
        prof = get_profile(p)
        r["profile"] = p
        r["profile_description"] = prof.describe()
        r["battery"] = {c: round(power.battery_life(prof, c, model).days, 2) for c in power.CHIPS}
        r["token_days"] = power.board_life(prof, TOKEN_BOARD, TOKEN_MAH, model).days  # unrounded: printed once
        r["avg_current_ma"] = {c: round(power.battery_life(prof, c, model).avg_ma, 2) for c in power.CHIPS}
    return results


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


def table_rows(results: list[dict], sets=PLOT_SETS) -> tuple[list[str], list[list[str]]]:
    head = ["profile", "C3 days", "ESP32 days", "S3 days", "C3 mA"]
    for s in sets:
        head += [f"{s} recall", "precision"]
    rows = []
    for r in results:
        row = [r["profile"], f"{r['battery']['esp32c3']:.1f}", f"{r['battery']['esp32']:.1f}",
               f"{r['battery']['esp32s3']:.1f}", f"{r['avg_current_ma']['esp32c3']:.1f}"]
        for s in sets:
            sc = r["scores"][s]
            row += [_pct(sc["recall"]), _pct(sc["precision"])]
        rows.append(row)
    return head, rows


def text_table(results: list[dict], sets=PLOT_SETS) -> str:
    head, rows = table_rows(results, sets)
    widths = [max(len(head[i]), *(len(r[i]) for r in rows)) for i in range(len(head))]
    fmt = lambda r: "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))  # noqa: E731
    return "\n".join([fmt(head), fmt(["-" * w for w in widths])] + [fmt(r) for r in rows])


def plot(results: list[dict], path: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    markers = {"bluezone-strict": "o", "near-minutes": "s", "day-mean": "^"}
    for n, s in enumerate(PLOT_SETS):
        color = f"C{n}"
        pts = sorted((r["battery"]["esp32c3"], r["scores"][s]["recall"] or 0.0, r["scores"][s]["precision"] or 0.0,
                      r["profile"]) for r in results)
        xs = [p[0] for p in pts]
        ax.plot(xs, [100 * p[1] for p in pts], marker=markers.get(s, "o"), color=color, label=f"{s}: recall")
        ax.plot(xs, [100 * p[2] for p in pts], marker=markers.get(s, "o"), color=color, linestyle=":", alpha=0.5,
                mfc="none", label=f"{s}: precision")
    # profile names at the strict-recall points, staggered so neighbours do not overprint
    ordered = sorted(results, key=lambda r: r["battery"]["esp32c3"])
    for i, r in enumerate(ordered):
        ax.annotate(r["profile"], (r["battery"]["esp32c3"], 100 * (r["scores"]["bluezone-strict"]["recall"] or 0)),
                    textcoords="offset points", xytext=(3, (8, -22, 20)[i % 3]), fontsize=7,
                    arrowprops={"arrowstyle": "-", "lw": 0.4, "alpha": 0.5})
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xticks([0.5, 1, 2, 5, 10, 20, 50, 100])
    lo = min(r["battery"]["esp32c3"] for r in results)
    hi = max(r["battery"]["esp32c3"] for r in results)
    ax.set_xlim(lo / 1.5, hi * 1.5)
    ax.set_xlabel("battery life, days (ESP32-C3, 1000 mAh; hardware/power/currents.json)")
    ax.set_ylabel("% of (positive, contact) pairs")
    ax.set_ylim(0, 112)
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def write_html(results: list[dict], sc: Scenario, out: Path, plot_path: Path | None) -> Path:
    head, rows = table_rows(results, tuple(results[0]["scores"]) if results else PLOT_SETS)
    esc = html.escape
    t = ["<table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr>"]
    for r in rows:
        t.append("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>")
    t.append("</table>")
    named = next((r.get("named_positive") for r in results if r.get("named_positive")), None)
    parts = [
        "<!doctype html><meta charset='utf-8'><title>bztoken simulation: " + esc(sc.name) + "</title>",
        "<style>body{font-family:sans-serif;max-width:72em;margin:2em auto}table{border-collapse:collapse}"
        "td,th{border:1px solid #bbb;padding:2px 6px;text-align:right}th{background:#eee}"
        "td:first-child{text-align:left}</style>",
        f"<h1>Simulation: {esc(sc.name)}</h1><p>{esc(sc.description)}</p>",
    ]
    if results:
        r0 = results[0]
        parts.append(f"<p>{r0['devices']} devices ({r0['tokens']} tokens, {r0['phones']} phones); "
                     f"{r0['true_contacts']} true close contacts (within 2 m for at least 15 minutes). "
                     f"Each token wearer in turn is the positive case ({r0['positives']} positives): recall and "
                     "precision are over every (positive, other device) pair. Battery life: a 1000 mAh cell, "
                     "figures and sources in hardware/power/currents.json.</p>"
                     f"<p id='profiles-run'>{esc(profiles_line(sc, results))}.</p>")
    if plot_path is not None:
        parts.append(f"<p><img src='{esc(plot_path.name)}' alt='detection against battery life'></p>")
    if (out / PARETO_NAME).exists():
        parts.append(f"<p><img src='{esc(PARETO_NAME)}' alt='recall against battery days, the default marked'></p>")
    parts.append("<h2>Detection and battery life per profile</h2>" + "".join(t))
    parts.append(roc_html(results, out))
    kinds = ("token", "android", "ios")
    bk = ["<table><tr><th>profile</th>" + "".join(
        f"<th>{esc(ts)}: {k}</th>" for ts in ("bluezone-strict", "near-minutes") for k in kinds) + "</tr>"]
    for r in results:
        cells = []
        for ts in ("bluezone-strict", "near-minutes"):
            by = r["scores"][ts]["by_receiver"]
            for k in kinds:
                c = by.get(k)
                cells.append("-" if not c or not c["tp"] + c["fn"] else f"{100 * c['tp'] / (c['tp'] + c['fn']):.0f}%")
        bk.append(f"<tr><td>{esc(r['profile'])}</td>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    bk.append("</table>")
    parts.append("<h2>Recall by the device that must detect the positive wearer's token</h2>"
                 "<p>Tokens log tokens and Android phones; phones log tokens when their scan windows meet the "
                 "token's advertising.</p>" + "".join(bk))
    parts.append("<h2>Profiles</h2><ul>" + "".join(
        f"<li><b>{esc(r['profile'])}</b>: {esc(r['profile_description'])}</li>" for r in results) + "</ul>")
    if named:
        parts.append(f"<h2>The positive case {esc(named['positive'])}</h2>"
                     f"<p>True close contacts: {esc(', '.join(named['true_contacts']) or 'none')}</p><ul>")
        for r in results:
            nm = r.get("named_positive") or {}
            for ts in ("bluezone-strict", "near-minutes"):
                found = set(nm.get("found", {}).get(ts, []))
                truth = set(nm.get("true_contacts", []))
                parts.append(f"<li>{esc(r['profile'])}, {esc(ts)}: {len(found & truth)} of {len(truth)} found, "
                             f"{len(found - truth)} others flagged</li>")
        parts.append("</ul>")
    parts.append("<h2>Runs</h2><pre>" + esc(json.dumps(
        [{k: r[k] for k in ("profile", "records_pulled", "timings_s", "sim_stats")} for r in results], indent=1))
        + "</pre>")
    parts.append("<h2>Sources of the power figures</h2><ul>" + "".join(
        f"<li>{esc(s)}</li>" for s in power.sources_text()) + "</ul>")
    path = out / "report.html"
    path.write_text("\n".join(parts))
    return path


def profiles_line(sc: Scenario, results: list[dict]) -> str:
    """Which token profiles ran, the default marked, and why (the product's default, the scenario's, or asked)."""
    from host_tools.sim import profiles

    ran = [r["profile"] for r in results]
    why = ("the product's default (bzfw.config.DEFAULT_PROFILE)" if ran == [sc.profile] == [profiles.default_name()]
           else "named by the scenario" if ran == [sc.profile] else "asked for")
    return f"Token profile{'s' if len(ran) > 1 else ''}: {', '.join(profiles.label(p) for p in ran)}; {why}"


def roc_html(results: list[dict], out: Path) -> str:
    """The trade-off section: the recall/precision curves (drawn by write_all) and their tables."""
    esc = html.escape
    parts = ["<h2>Recall against precision, per rule over its threshold</h2>"
             "<p>Each point flags the (positive, device) pairs whose value reaches the threshold; the star is the "
             "rule's default. near-minutes: estimated minutes within about 2 m (GAEN-style attenuation buckets "
             "weighted by time); day-mean: round 1's count-weighted mean RSSI over the day (15 min seen); "
             "bluezone-strict: the phones' rule. Dotted lines: the goal (90 % recall, 75 % precision).</p>"]
    if (out / ROC_NAME).exists():
        parts.append(f"<p><img src='{esc(ROC_NAME)}' alt='recall against precision per rule'></p>")
    for r in results:
        if r.get("roc"):
            parts.append(f"<h3>{esc(r['profile'])}</h3><pre>{esc(roc.text(r['roc']))}</pre>")
    return "".join(parts)


def write_all(results: list[dict], sc: Scenario, out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    if any(r.get("roc") for r in results):
        roc.plot(results, out / ROC_NAME, f"{sc.name}: recall against precision per rule")
    png = plot(results, out / PLOT_NAME, f"{sc.name}: detection against battery life") if results else None
    if results and all("token_days" in r for r in results):
        from host_tools.sim.profiles import default_name

        plot_pareto(results, out / PARETO_NAME, f"{sc.name}: recall against battery", default_name())
    page = write_html(results, sc, out, png)
    (out / "results.json").write_text(json.dumps(results, indent=1))
    return {"html": str(page), "png": str(png) if png else None, "json": str(out / "results.json")}


def default_jobs() -> int:
    return max(1, min(4, (os.cpu_count() or 1)))
