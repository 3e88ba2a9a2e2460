"""A printable notice for one wearer with a match: who, when, how long, the risk, what to do, and whom to ask (the
station's name and phone from its settings). In the page's language (Vietnamese unless asked otherwise)."""

import html
import time

from host_tools.station import i18n, store
from host_tools.station.service import Station, near_buckets


def _t(tr: dict, lang: str, key: str) -> str:
    return (tr.get(lang) or {}).get(key) or tr["en"].get(key) or key


def _when(ms: int) -> str:
    """The station's local time (a health worker reads times as the wall clock showed them)."""
    return time.strftime("%Y-%m-%d %H:%M %Z", time.localtime(ms / 1000))


def _duration(ms: int, t) -> str:
    return f"{round(ms / 1000)} {t('seconds')}" if ms < 60_000 else f"{round(ms / 60_000)} {t('minutes')}"


def near_text(m: dict, buckets: list[dict], lang: str) -> tuple[str, str]:
    """(headline, per-bucket line) of what a match's risk rests on, as the page shows it (app.js nearBlock):
    the scoring's near-minutes against its threshold, then the minutes per attenuation bucket."""
    if m.get("near_min") is None or not m.get("buckets_min"):
        return i18n.text("near_none", lang), ""
    n = lambda v: i18n.number(v, lang)  # noqa: E731
    counted = [b for b in buckets if b["counted"]]
    head = i18n.text("near_est", lang, min=n(m["near_min"]), m=n(counted[-1]["to_m"] if counted else 0),
                     threshold=n(m["near_threshold"]))
    parts = []
    for b in buckets:
        rng = (i18n.text("range_upto", lang, to=n(b["to_m"])) if b["from_m"] is None else
               i18n.text("range_over", lang, **{"from": n(b["from_m"])}) if b["to_m"] is None else
               i18n.text("range_between", lang, to=n(b["to_m"]), **{"from": n(b["from_m"])}))
        parts.append(i18n.text("bucket_min", lang, bucket=i18n.text("bucket_" + b["name"], lang), range=rng,
                               min=n(m["buckets_min"].get(b["name"], 0))))
    return head, i18n.text("near_by_distance", lang) + " " + " · ".join(parts)


def render(st: Station, wearer_id: int, tr: dict, lang: str) -> str | None:
    lang = lang if lang in tr else i18n.DEFAULT_LANG
    item = next((x for x in st.exposed() if x["wearer_id"] == wearer_id), None)
    if item is None:
        return None
    e = html.escape

    def t(k: str) -> str:
        return e(_t(tr, lang, k))

    cfg = store.settings(st.db)
    name, phone = cfg.get("station_name") or "", cfg.get("station_phone") or ""
    key = "notice_contact" if name and phone else "notice_contact_name" if name else "notice_contact_phone"
    contact = (f'<p class="station" id="station-contact">{e(i18n.text(key, lang, name=name, phone=phone))}</p>'
               if name or phone else "")
    buckets = near_buckets()
    rows = []
    for m in item["matches"]:
        head, per_bucket = near_text(m, buckets, lang)
        seen = i18n.text("from_to", lang, to=_when(m["last_seen_ms"]), **{"from": _when(m["first_seen_ms"])})
        rows.append(
            f"<tr><td>{e(seen)}</td><td>{_duration(m['duration_ms'], t)}</td><td>{t('risk_' + m['risk'])}</td>"
            f'<td class="near">{e(head)}<div class="small">{e(per_bucket)}</div></td>'
            f"<td>{t('prox_' + m['proximity'])}</td><td>{e(m['token_id'])}</td></tr>")
    rows = "".join(rows)
    return f"""<!doctype html>
<html lang="{e(lang)}"><head><meta charset="utf-8"><title>{t('notice_title')}</title>
<link rel="stylesheet" href="/static/style.css"><script src="/static/notice.js" defer></script></head>
<body class="notice"><main>
<p><button type="button" id="print">{t('print')}</button></p>
<h1>{t('notice_title')}</h1>
<p class="who"><b>{e(item['wearer_name'] or '')}</b> ({e(item['wearer_ref'] or '')})</p>
<p class="risk risk-{e(item['risk'])}">{t('risk')}: {t('risk_' + item['risk'])}</p>
<p class="near" id="near-est">{e(near_text(item['matches'][0], buckets, lang)[0])}</p>
<p>{t('notice_body')}</p>
<table><thead><tr><th>{t('when')}</th><th>{t('duration')}</th><th>{t('risk')}</th><th>{t('near_title')}</th>
<th>{t('proximity')}</th>
<th>{t('token')}</th></tr></thead><tbody>{rows}</tbody></table>
<p>{t('notice_advice')}</p>
{contact}
<p class="small">{t('notice_printed')}: {e(_when(int(time.time() * 1000)))}</p>
</main></body></html>
"""
