// The station's page: vanilla JS, no network but this station. Everything shown is built with DOM calls
// (never innerHTML), so a wearer's name or a token's message can never become markup. Every word comes from the
// station's key file (/api/i18n); the server answers with keys too.
//
// The view is rebuilt every second from /api/state. What the worker did (a result, a refusal, a prompt) is kept
// in NOTES under the place where it happened and drawn there again by every rebuild, so it stays where the
// worker clicked until it is replaced or expires.
"use strict";

let TR = {en: {}, vi: {}};
let LANG = localStorage.getItem("bzlang") || "vi";
let STATE = null;
let CSRF = "";
let SETTINGS = {};
let lastSig = "";
let timer = null;
const NOTES = {};  // place -> {text, kind: "ok" | "err" | "info", title, until}
const NOTE_S = 120;

function fmt(s, args) { return s.replace(/\{(\w+)\}/g, (m, k) => (args && k in args ? String(args[k]) : m)); }
function t(key) { return (TR[LANG] && TR[LANG][key]) || (TR.en && TR.en[key]) || key; }
function has(key) { return !!(TR[LANG] && TR[LANG][key]); }

// A message key with its arguments, in the page's language. A technical detail (`error`, `detail`: English text
// from a token or a library) is replaced by its own key when the server gave one, else by a pointer to the
// tooltip that holds it: a Vietnamese page shows no English sentence.
function msg(key, args) {
  const a = Object.assign({}, args || {});
  for (const k of ["error", "detail"]) {
    if (!(k in a)) continue;
    if (a.error_key) a[k] = msg(a.error_key, Object.assign({}, a, {error: undefined, detail: undefined, error_key: undefined}));
    else if (LANG !== "en") a[k] = t("tech_detail");
  }
  return fmt(t(key), a);
}
function techDetail(args) { return args ? (args.error || args.detail || "") : ""; }

function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const kid of kids.flat()) {
    if (kid === null || kid === undefined || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}

class ApiError extends Error {
  constructor(status, data) {
    super(data.message || data.error || String(status));
    this.status = status; this.key = data.error || "e_internal"; this.args = data.args || {}; this.hint = data.hint;
  }
  text() { return msg(this.key, this.args) + (this.hint && has(this.hint) ? " " + msg(this.hint, this.args) : ""); }
}

async function api(path, body, form) {
  let opt = {};
  if (form) opt = {method: "POST", headers: {"X-CSRF-Token": CSRF}, body: form};
  else if (body !== undefined) {
    opt = {method: "POST", headers: {"Content-Type": "application/json", "X-CSRF-Token": CSRF}, body: JSON.stringify(body)};
  }
  const r = await fetch(path, opt);
  let data = {};
  try { data = await r.json(); } catch (e) { data = {}; }
  if (r.status === 401 && path !== "/api/login") { showLogin(); }
  if (!r.ok) throw new ApiError(r.status, data);
  return data;
}

// -- notes: results and errors where the worker acted ----------------------------------------------------------
// `text`: a function giving the words in the page's language at each drawing (a switch of language redraws them)
function setNote(place, text, kind, title) {
  NOTES[place] = {text: typeof text === "function" ? text : () => text, kind, title: title || null,
                  until: Date.now() + NOTE_S * 1000};
  for (const el of document.querySelectorAll("[data-note]")) if (el.dataset.note === place) drawNote(el);
}
function clearNote(place) {
  delete NOTES[place];
  for (const el of document.querySelectorAll("[data-note]")) if (el.dataset.note === place) drawNote(el);
}
function drawNote(el) {
  const n = NOTES[el.dataset.note];
  const words = n ? n.text() : "";
  const live = n && words && n.until > Date.now();
  el.textContent = live ? words : "";
  el.className = "note" + (live ? " note-" + n.kind : "");
  el.hidden = !live;
  if (live && n.title) el.title = n.title; else el.removeAttribute("title");
}
function note(place) {
  const el = h("div", {"data-note": place, role: "status"});
  drawNote(el);
  return el;
}

// Run an action; its outcome is noted at `place`. Returns the answer, or null when refused.
async function act(place, fn, okText) {
  setNote(place, () => t("working"), "info");
  try {
    const r = await fn();
    if (okText) setNote(place, () => okText(r), "ok"); else clearNote(place);
    await refresh(true);
    return r;
  } catch (e) {
    if (e instanceof ApiError) setNote(place, () => e.text(), "err", e.message);
    else setNote(place, () => t("e_network"), "err", String(e));
    return null;
  }
}

function when(ms) {
  if (!ms) return t("never");
  return new Date(ms).toLocaleString(LANG === "vi" ? "vi-VN" : "en-GB");
}
function mins(ms) { return ms < 60000 ? Math.round(ms / 1000) + " " + t("seconds") : Math.round(ms / 60000) + " " + t("minutes"); }
function mb(n) { return n === null || n === undefined ? "?" : (n / 1048576).toFixed(n < 10485760 ? 1 : 0) + " MB"; }
function pct(p) { return p === null || p === undefined ? "?" : p + " %"; }
function dayOf(ms) { return Math.floor(ms / 86400000); }

function applyStatic() {
  document.documentElement.lang = LANG;
  document.title = t("app_title") + (SETTINGS.station_name ? " · " + SETTINGS.station_name : "");
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  for (const b of document.querySelectorAll("button.lang")) b.classList.toggle("on", b.dataset.lang === LANG);
  for (const el of document.querySelectorAll("[data-note]")) drawNote(el);
}

function showLogin() {
  document.getElementById("login").hidden = false;
  document.getElementById("nav").hidden = true;
  document.getElementById("logout").hidden = true;
  document.getElementById("view").replaceChildren();
  document.getElementById("whoami").textContent = "";
  CSRF = "";
  if (timer) { clearInterval(timer); timer = null; }
}

async function loggedIn(me) {
  CSRF = me.csrf;
  SETTINGS = me.settings || SETTINGS;
  document.getElementById("login").hidden = true;
  document.getElementById("nav").hidden = false;
  document.getElementById("logout").hidden = false;
  document.getElementById("whoami").textContent = me.who;
  applyStatic();
  await route();
  if (!timer) timer = setInterval(() => refresh(false).catch(() => {}), 1000);
}

// -- views -------------------------------------------------------------------------------------------------
function riskBadge(risk) { return h("span", {class: "risk risk-" + risk, "data-risk": risk}, t("risk_" + risk)); }

// Numbers as the page's language writes them (Vietnamese: a decimal comma); the scoring's values are shown as
// they came (its 30 s bins make every near-minute figure a multiple of 0.5: one decimal is exact).
function num(v) { return new Intl.NumberFormat(LANG === "vi" ? "vi-VN" : "en-GB", {maximumFractionDigits: 1}).format(v); }
function span(a, b) {
  const loc = LANG === "vi" ? "vi-VN" : "en-GB";
  const to = dayOf(a) === dayOf(b) ? new Date(b).toLocaleTimeString(loc) : when(b);
  return fmt(t("from_to"), {from: when(a), to: to});
}
function bucketRange(b) {
  if (b.from_m === null) return fmt(t("range_upto"), {to: num(b.to_m)});
  if (b.to_m === null) return fmt(t("range_over"), {from: num(b.from_m)});
  return fmt(t("range_between"), {from: num(b.from_m), to: num(b.to_m)});
}
// What a flag rests on (the station's /api/state: the scoring's near-minutes, its threshold, the minutes per
// attenuation bucket, and what distance each bucket stands for).
function nearBlock(m, buckets) {
  if (m.near_min === null || m.near_min === undefined || !m.buckets_min) {
    return h("span", {class: "muted near-none"}, t("near_none"));
  }
  const counted = buckets.filter((b) => b.counted);
  const nearM = counted.length ? counted[counted.length - 1].to_m : 0;
  const parts = [];
  for (const b of buckets) {
    if (parts.length) parts.push(" · ");
    parts.push(h("span", {class: "bucket", "data-bucket": b.name, "data-min": m.buckets_min[b.name] || 0},
      fmt(t("bucket_min"), {bucket: t("bucket_" + b.name), range: bucketRange(b), min: num(m.buckets_min[b.name] || 0)})));
  }
  return h("div", {class: "near"},
    h("div", {class: "near-est", "data-near-min": m.near_min, "data-threshold": m.near_threshold},
      fmt(t("near_est"), {min: num(m.near_min), m: num(nearM), threshold: num(m.near_threshold)})),
    h("div", {class: "small near-buckets"}, t("near_by_distance"), " ", parts));
}

function exposedCard(s) {
  const card = h("section", {class: "card", id: "exposed"}, h("h2", {}, t("exposed_title")));
  if (!s.exposed.length) { card.append(h("p", {class: "muted", id: "no-exposed"}, t("no_exposed"))); return card; }
  const tb = h("tbody");
  for (const w of s.exposed) {
    const m = w.matches[0];
    tb.append(h("tr", {class: "exposed", "data-wearer": w.wearer_ref || ""},
      h("td", {}, riskBadge(w.risk)),
      h("td", {}, w.wearer_name ? h("b", {}, w.wearer_name) : t("unassigned"), w.wearer_ref ? " (" + w.wearer_ref + ")" : "",
        w.phone ? h("div", {class: "small"}, w.phone) : null),
      h("td", {class: "span"}, span(m.first_seen_ms, m.last_seen_ms)),
      h("td", {}, mins(m.duration_ms),
        w.matches.length > 1 ? h("div", {class: "small"}, fmt(t("more_matches"), {n: w.matches.length - 1})) : null),
      h("td", {class: "near-cell"}, nearBlock(m, s.buckets || [])),
      h("td", {}, t("prox_" + m.proximity)),
      h("td", {}, m.token_id),
      h("td", {}, w.wearer_id !== null
        ? h("a", {href: "/notice/" + w.wearer_id + "?lang=" + LANG, target: "_blank", class: "notice-link"}, t("print_notice"))
        : "")));
  }
  card.append(h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, t("risk")), h("th", {}, t("wearer")),
    h("th", {}, t("when")), h("th", {}, t("duration")), h("th", {}, t("near_title")), h("th", {}, t("proximity")), h("th", {}, t("token")), h("th"))), tb));
  return card;
}

function registerForm(p) {
  const place = "register:" + p.port;
  const f = h("form", {class: "inline register", "data-port": p.port},
    h("label", {}, t("name"), " ", h("input", {name: "name", required: true})),
    h("label", {}, t("ref"), " ", h("input", {name: "ref"})),
    h("label", {}, t("phone"), " ", h("input", {name: "phone"})),
    h("button", {type: "submit", class: "primary"}, t("register")));
  f.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const d = new FormData(f);
    f.querySelector("button").disabled = true;
    act(place, () => api("/api/provision", {port: p.port, name: d.get("name"), ref: d.get("ref"), phone: d.get("phone")}),
      (r) => fmt(t("registered"), {token: r.token_id, wearer: r.wearer}))
      .finally(() => { f.querySelector("button").disabled = false; });
  });
  return h("div", {}, f, note(place));
}

function portMessage(p) {
  if (p.msg_key && has(p.msg_key)) return msg(p.msg_key, p.msg_args);
  return LANG === "en" ? p.message : t("st_" + p.state);
}

function portRow(p) {
  const place = "port:" + p.port;
  const tr = h("tr", {class: "port", "data-port": p.port, "data-state": p.state, "data-token": p.token_id || ""},
    h("td", {class: "who"},
      p.wearer_name ? h("b", {class: "wearer"}, p.wearer_name) : (p.token_id ? t("unassigned") : t("new_token")),
      p.token_id ? h("div", {}, h("a", {href: "#token/" + encodeURIComponent(p.token_id)}, p.token_id)) : null,
      h("div", {class: "small"}, p.port)),
    h("td", {class: "state-" + p.state}, t("st_" + p.state), p.present ? "" : " (" + t("unplugged") + ")"),
    h("td", {}, h("progress", {max: "1", value: String(p.progress)})),
    h("td", {class: "msg", title: p.message}, portMessage(p),
      p.export_file ? h("div", {}, h("a", {href: "/api/export/" + p.export_file, class: "export-link"}, t("download"))) : null,
      p.state === "unprovisioned" && p.present ? registerForm(p) : null),
    h("td", {}, p.present && !["syncing", "busy", "unprovisioned"].includes(p.state)
      ? h("button", {type: "button", class: "sync", onclick: () => act(place, () => api("/api/sync", {port: p.port}), () => t("sync_started"))},
        t("sync_again"))
      : "", note(place)));
  return tr;
}

function bleCard() {
  const button = h("button", {type: "button", id: "ble-scan", onclick: async () => {
    button.disabled = true;
    setNote("ble", () => t("ble_scanning"), "info");
    try {
      const r = await api("/api/ble/scan", {});
      if (!r.available) setNote("ble", () => t("ble_not_available"), "err", r.detail || null);
      else if (!r.tokens.length) setNote("ble", () => t("ble_none"), "info");
      else setNote("ble", () => fmt(t("ble_found"), {n: r.tokens.length, list: r.tokens.map((x) => x.address + " (" + x.rssi + " dBm)").join(", ")}), "ok");
      await refresh(true);
    } catch (e) {
      setNote("ble", () => (e instanceof ApiError ? e.text() : t("e_network")), "err");
    } finally { button.disabled = false; }
  }}, t("ble_scan"));
  return h("p", {}, button, note("ble"));
}

function portsCard(s) {
  const card = h("section", {class: "card", id: "ports"}, h("h2", {}, t("plugged")));
  if (!s.ports.length) card.append(h("p", {class: "muted"}, t("no_ports")));
  else card.append(h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, t("wearer")), h("th", {}, t("state")),
    h("th", {}, t("progress")), h("th", {}, t("message")), h("th"))), h("tbody", {}, s.ports.map(portRow))));
  card.append(bleCard());
  return card;
}

function stationView(s) {
  return [exposedCard(s), portsCard(s)];
}

function warnings(k) { return k.warnings.map((w) => h("span", {class: "warn", "data-warn": w}, t(w))); }

function tokensView(s) {
  const tb = h("tbody");
  for (const k of s.tokens) {
    tb.append(h("tr", {"data-token": k.token_id},
      h("td", {}, h("a", {href: "#token/" + encodeURIComponent(k.token_id)}, k.token_id)),
      h("td", {}, k.wearer_name || t("unassigned")),
      h("td", {}, t("tok_" + k.status)),
      h("td", {}, when(k.last_sync_ms)),
      h("td", {class: "battery"}, pct(k.battery_pct)),
      h("td", {class: "free"}, mb(k.free_bytes)),
      h("td", {}, warnings(k))));
  }
  return [h("section", {class: "card"}, h("h2", {}, t("tokens_title")), h("table", {}, h("thead", {}, h("tr", {},
    h("th", {}, t("token")), h("th", {}, t("wearer")), h("th", {}, t("status")), h("th", {}, t("last_sync")),
    h("th", {}, t("battery")), h("th", {}, t("free_flash")), h("th", {}, t("warnings")))), tb))];
}

function exportCard(s, id, port) {
  const place = "export:" + id;
  const today = dayOf(Date.now());
  const ef = h("form", {class: "inline", id: "export"},
    h("label", {}, t("export_from"), " ", h("input", {name: "from", type: "date",
      value: new Date((today - 13) * 86400000).toISOString().slice(0, 10)})),
    h("label", {}, t("export_to"), " ", h("input", {name: "to", type: "date",
      value: new Date(today * 86400000).toISOString().slice(0, 10)})),
    h("label", {}, t("export_confirm"), " ", h("input", {name: "confirm", autocomplete: "off"})),
    h("button", {type: "submit", class: "danger", id: "export-go"}, t("export_go")));
  ef.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const d = new FormData(ef);
    act(place, () => api("/api/export", {port: port.port, confirm: d.get("confirm"),
      day_from: dayOf(Date.parse(d.get("from"))), day_to: dayOf(Date.parse(d.get("to")))}), () => t("export_started"));
  });
  // the token's own progress, right here: "press the button now", then the file (or why not)
  const live = h("div", {id: "export-status", class: "export-status", "data-state": port.state},
    port.msg_key === "press_button" ? h("p", {class: "press"}, t("press_button")) : null,
    ["export_done", "m_export_failed"].includes(port.msg_key)
      ? h("p", {class: "state-" + port.state, title: techDetail(port.msg_args)}, portMessage(port)) : null,
    port.export_file ? h("p", {}, h("a", {href: "/api/export/" + port.export_file, class: "export-link"}, t("download"))) : null);
  return h("section", {class: "card", id: "export-card"}, h("h2", {}, t("export")),
    h("p", {class: "small"}, t("export_warn")), ef, note(place), live);
}

function tokenView(s, id) {
  const k = s.tokens.find((x) => x.token_id === id);
  if (!k) return [h("section", {class: "card"}, h("p", {}, id + ": " + t("e_unknown_token_short")))];
  const drift = k.clock_offset_ms === null || k.clock_offset_ms === undefined ? "?" :
    (k.clock_offset_ms >= 0 ? "+" : "") + (k.clock_offset_ms / 1000).toFixed(1) + " " + t("seconds_short");
  const info = h("section", {class: "card", id: "token-page", "data-token": id}, h("h2", {}, t("token") + " " + id),
    h("dl", {class: "kv"},
      h("dt", {}, t("wearer")), h("dd", {id: "tk-wearer"}, k.wearer_name ? k.wearer_name + " (" + k.wearer_ref + ")" : t("unassigned")),
      h("dt", {}, t("status")), h("dd", {}, t("tok_" + k.status)),
      h("dt", {}, t("last_sync")), h("dd", {id: "tk-sync"}, when(k.last_sync_ms)),
      h("dt", {}, t("drift")), h("dd", {id: "tk-drift"}, drift),
      h("dt", {}, t("battery")), h("dd", {id: "tk-battery"}, pct(k.battery_pct)),
      h("dt", {}, t("free_flash")), h("dd", {id: "tk-free"}, mb(k.free_bytes)),
      h("dt", {}, t("log_days")), h("dd", {id: "tk-days"}, k.log_days ?? "?"),
      h("dt", {}, t("encounters")), h("dd", {id: "tk-enc"}, k.encounters),
      h("dt", {}, t("warnings")), h("dd", {id: "tk-warn"}, k.warnings.length ? warnings(k) : "—")),
    k.last_error ? h("p", {class: "state-failed", title: k.last_error}, t("last_error")) : null);
  const out = [info];
  if (k.status !== "retired") {
    const place = "token:" + id;
    const rf = h("form", {class: "inline", id: "reassign"}, h("label", {}, t("reassign"), " ",
      h("input", {name: "name", required: true, placeholder: t("name")})),
      h("label", {}, t("ref"), " ", h("input", {name: "ref"})), h("button", {type: "submit"}, t("save")));
    rf.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const d = new FormData(rf);
      act(place, () => api("/api/reassign", {token_id: id, name: d.get("name"), ref: d.get("ref")}),
        (r) => fmt(t("reassigned"), {wearer: r.wearer}));
    });
    const retire = h("button", {type: "button", class: "danger", id: "retire", onclick: () => {
      if (confirm(t("retire_confirm"))) act(place, () => api("/api/retire", {token_id: id}), () => t("retired_done"));
    }}, t("retire"));
    out.push(h("section", {class: "card"}, rf, retire, note(place)));
    const port = s.ports.find((p) => p.token_id === id && p.present);
    if (port) out.push(exportCard(s, id, port));
    else out.push(h("section", {class: "card"}, h("h2", {}, t("export")), h("p", {class: "small"}, t("export_plug_in"))));
  }
  return out;
}

async function wearersView() {
  const d = await api("/api/wearers");
  const tb = h("tbody");
  for (const w of d.wearers) {
    tb.append(h("tr", {}, h("td", {}, w.name), h("td", {}, w.ref), h("td", {}, w.phone || ""),
      h("td", {}, w.tokens.map((k) => h("div", {}, h("a", {href: "#token/" + encodeURIComponent(k.token_id)}, k.token_id),
        " ", t("tok_" + k.status))))));
  }
  return [h("section", {class: "card"}, h("h2", {}, t("wearers_title")), h("table", {}, h("thead", {}, h("tr", {},
    h("th", {}, t("name")), h("th", {}, t("ref")), h("th", {}, t("phone")), h("th", {}, t("tokens")))), tb))];
}

function listsView(s) {
  const input = h("input", {type: "file", id: "list-file", accept: ".json,application/json"});
  input.addEventListener("change", async () => {
    const f = input.files[0];
    if (!f) return;
    const form = new FormData();
    form.append("file", f, f.name);
    await act("lists", () => api("/api/lists", undefined, form),
      (r) => fmt(t("list_imported"), {name: r.name, n: r.entries}));
    input.value = "";
  });
  const tb = h("tbody", {}, s.lists.map((l) => h("tr", {}, h("td", {}, l.name), h("td", {}, when(l.imported_ms)),
    h("td", {}, l.entries), h("td", {}, l.who))));
  const bad = Object.entries(s.bad_lists);
  return [h("section", {class: "card"}, h("h2", {}, t("lists_title")),
    h("p", {}, h("label", {}, t("import"), " ", input)), note("lists"), h("p", {class: "small"}, t("folder_note")),
    h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, t("file")), h("th", {}, t("imported")), h("th", {}, t("entries")),
      h("th", {}, t("by")))), tb),
    bad.length ? h("div", {}, h("h2", {}, t("refused_lists")),
      bad.map(([k, v]) => h("p", {class: "state-failed", title: v}, fmt(t("list_refused_file"), {name: k.split(":")[0]})))) : null)];
}

function auditDetail(a) {
  const d = a.detail || {};
  return Object.entries(d).filter(([k]) => k !== "error_key").map(([k, v]) => {
    let val = v;
    if (k === "error" || k === "detail") val = d.error_key ? msg(d.error_key, d) : (LANG === "en" ? v : t("tech_detail"));
    else if (k === "lang") val = t("lang_" + v);
    else if (k === "source") val = t("src_" + v);
    return h("span", {class: "ad", title: k === "error" || k === "detail" ? String(v) : null}, t("ad_" + k) + ": " + val);
  }).reduce((acc, el, i) => (i ? acc.concat(["; ", el]) : [el]), []);
}

async function auditView() {
  const d = await api("/api/audit");
  const head = h("thead", {}, h("tr", {}, h("th", {}, t("at")), h("th", {}, t("by")), h("th", {}, t("action")),
    h("th", {}, t("target")), h("th", {}, t("detail"))));
  const rows = d.audit.map((a) => h("tr", {"data-action": a.action}, h("td", {}, when(a.at_ms)),
    h("td", {}, a.who === "station" ? t("by_station") : a.who),
    h("td", {class: "action"}, t("a_" + a.action)), h("td", {}, a.target || ""), h("td", {class: "small detail"}, auditDetail(a))));
  return [h("section", {class: "card"}, h("h2", {}, t("audit_title")), h("table", {id: "audit"}, head, h("tbody", {}, rows)))];
}

function settingsView() {
  const f = h("form", {class: "inline", id: "settings"},
    h("label", {}, t("station_name"), " ", h("input", {name: "station_name", value: SETTINGS.station_name || "", maxlength: "80"})),
    h("label", {}, t("station_phone"), " ", h("input", {name: "station_phone", value: SETTINGS.station_phone || "", maxlength: "32"})),
    h("button", {type: "submit", class: "primary"}, t("save")));
  f.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const d = new FormData(f);
    const r = await act("settings", () => api("/api/settings", {station_name: d.get("station_name"), station_phone: d.get("station_phone")}),
      () => t("saved"));
    if (r) { SETTINGS = r; applyStatic(); }
  });
  return [h("section", {class: "card"}, h("h2", {}, t("settings_title")), h("p", {class: "small"}, t("settings_note")), f, note("settings"))];
}

function currentRoute() { return (location.hash || "#station").slice(1); }

async function route() {
  const r = currentRoute();
  for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", a.getAttribute("href") === "#" + r.split("/")[0]);
  lastSig = "";
  await refresh(true);
}

async function refresh(force) {
  const r = currentRoute();
  const view = document.getElementById("view");
  if (r === "wearers" || r === "audit" || r === "settings") {
    if (!force) return;
    view.replaceChildren(...(r === "wearers" ? await wearersView() : r === "audit" ? await auditView() : settingsView()));
    return;
  }
  const s = await api("/api/state");
  const sig = JSON.stringify([r, s.ports, s.exposed, s.tokens, s.lists, s.bad_lists, LANG]);
  if (!force && sig === lastSig) return;
  // Do not rebuild a form the operator is typing in.
  if (!force && document.activeElement && document.activeElement.closest("form") && view.contains(document.activeElement)) return;
  lastSig = sig;
  STATE = s;
  let parts;
  if (r === "station") parts = stationView(s);
  else if (r === "tokens") parts = tokensView(s);
  else if (r.startsWith("token/")) parts = tokenView(s, decodeURIComponent(r.slice(6)));
  else if (r === "lists") parts = listsView(s);
  else parts = stationView(s);
  view.replaceChildren(...parts);
}

async function init() {
  try { TR = await (await fetch("/api/i18n")).json(); } catch (e) { /* the keys still show */ }
  applyStatic();
  const login = document.getElementById("login");
  login.append(note("login"));
  for (const b of document.querySelectorAll("button.lang")) {
    b.addEventListener("click", () => { LANG = b.dataset.lang; localStorage.setItem("bzlang", LANG); applyStatic(); if (CSRF) route().catch(() => {}); });
  }
  login.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const r = await api("/api/login", {who: document.getElementById("login-who").value,
                                         passphrase: document.getElementById("login-pass").value});
      document.getElementById("login-pass").value = "";
      clearNote("login");
      await loggedIn(Object.assign({}, r, {settings: (await api("/api/me").catch(() => ({}))).settings}));
    } catch (e) { setNote("login", () => (e instanceof ApiError ? e.text() : t("e_network")), "err"); }
  });
  document.getElementById("logout").addEventListener("click", async () => {
    await api("/api/logout", {}).catch(() => {});
    showLogin();
  });
  window.addEventListener("hashchange", () => route().catch(() => {}));
  try {
    const me = await api("/api/me");
    await loggedIn(me);
  } catch (e) { showLogin(); }
}

document.addEventListener("DOMContentLoaded", init);
