"""The readable match report (the `--json` one is engine.Result.to_json)."""

from host_tools.match.engine import Result
from host_tools.timeutil import iso_ms


def _hm(ms: int) -> str:
    s = ms // 1000
    return f"{s // 3600}h{s % 3600 // 60:02d}m{s % 60:02d}s" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


def text(res: Result) -> str:
    lines = []
    if res.thresholds is not None:
        t = res.thresholds
        lines.append(f"mode scored: tolerance {t.tolerance_s} s at slot edges; exposed = at least {t.near_min:g} "
                     f"estimated minutes within about 2 m (attenuation buckets weighted by time; positives' "
                     f"devices: {t.sender_kind})")
    else:
        lines.append("mode strict: same ID and slot start <= time <= slot end (the Bluezone phones' rule)")
    lines.append(f"exposures: {res.entries} entries, {res.key_days} key-days, {res.ids} IDs "
                 f"(derivation: {res.stats.get('backend')}, {res.stats.get('derive_s')} s)")
    for lr in res.logs:
        info = lr.info
        extra = []
        if info.get("unit"):
            extra.append(f"timestamps in {info['unit']}")
        if info.get("skipped_lines"):
            extra.append(f"{info['skipped_lines']} broken lines skipped (first: line {info.get('skipped_first_line')})")
        head = f"\nlog {lr.log}: {info.get('rows', 0)} rows" + (f" ({'; '.join(extra)})" if extra else "")
        lines.append(head + f", {len(lr.matches)} matching slots")
        if not lr.matches:
            continue
        if lr.exposures:
            names = list(lr.exposures[0]["buckets_s"])
            lines.append(f"  {'entry':>5}  {'exposed':<7} {'near min':>8} {'seen':>9}  "
                         + " ".join(f"{n:>9}" for n in names) + f" {'dBm max':>7}  first seen")
            for x in lr.exposures:
                edge = "  (edge only)" if x["edge_only"] else ""
                lines.append(f"  {x['entry']:>5}  {'YES' if x['exposed'] else 'no':<7} {x['near_min']:>8.1f} "
                             f"{_hm(x['duration_ms']):>9}  " + " ".join(f"{_hm(1000 * x['buckets_s'][n]):>9}"
                                                                      for n in names)
                             + f" {x['rssi_max']:>7}  {iso_ms(x['first_seen_ms'])}{edge}")
        lines.append(f"  {'entry':>5}  {'contact ID':<24}  {'slot start':<24}  {'first seen':<24}  "
                     f"{'last seen':<24} {'count':>5} {'rssi max':>8}")
        for m in lr.matches:
            flag = "  edge" if m.get("edge") else ""
            lines.append(f"  {m['entry']:>5}  {m['contact_id']:<24}  {iso_ms(m['slot_start_ms']):<24}  "
                         f"{iso_ms(m['first_seen_ms']):<24}  {iso_ms(m['last_seen_ms']):<24} {m['count']:>5} "
                         f"{m['rssi_max']:>8}{flag}")
    return "\n".join(lines)
