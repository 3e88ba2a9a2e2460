"""A printable notice for one wearer with a match: who, when, how long, the risk, what to do, and whom to ask (the
station's name and phone from its settings). In the page's language (Vietnamese unless asked otherwise)."""

import html
import time

from host_tools.station import i18n, store
from host_tools.station.service import Station


def _t(tr: dict, lang: str, key: str) -> str:
    return (tr.get(lang) or {}).get(key) or tr["en"].get(key) or key


def _when(ms: int) -> str:
    """The station's local time (a health worker reads times as the wall clock showed them)."""
    return time.strftime("%Y-%m-%d %H:%M %Z", time.localtime(ms / 1000))


def _duration(ms: int, t) -> str:
    return f"{round(ms / 1000)} {t('seconds')}" if ms < 60_000 else f"{round(ms / 60_000)} {t('minutes')}"


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
    rows = "".join(
        f"<tr><td>{e(_when(m['first_seen_ms']))}</td><td>{_duration(m['duration_ms'], t)}</td>"
        f"<td>{t('risk_' + m['risk'])}</td><td>{t('prox_' + m['proximity'])}</td><td>{e(m['token_id'])}</td></tr>"
        for m in item["matches"])
    return f"""<!doctype html>
<html lang="{e(lang)}"><head><meta charset="utf-8"><title>{t('notice_title')}</title>
<link rel="stylesheet" href="/static/style.css"><script src="/static/notice.js" defer></script></head>
<body class="notice"><main>
<p><button type="button" id="print">{t('print')}</button></p>
<h1>{t('notice_title')}</h1>
<p class="who"><b>{e(item['wearer_name'] or '')}</b> ({e(item['wearer_ref'] or '')})</p>
<p class="risk risk-{e(item['risk'])}">{t('risk')}: {t('risk_' + item['risk'])}</p>
<p>{t('notice_body')}</p>
<table><thead><tr><th>{t('when')}</th><th>{t('duration')}</th><th>{t('risk')}</th><th>{t('proximity')}</th>
<th>{t('token')}</th></tr></thead><tbody>{rows}</tbody></table>
<p>{t('notice_advice')}</p>
{contact}
<p class="small">{t('notice_printed')}: {e(_when(int(time.time() * 1000)))}</p>
</main></body></html>
"""
