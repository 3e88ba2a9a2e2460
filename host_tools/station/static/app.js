// The station's page: vanilla JS, no network but this station. Everything shown is built with DOM calls
// (never innerHTML), so a wearer's name or a token's message can never become markup.
"use strict";

let TR = {en: {}, vi: {}};
let LANG = localStorage.getItem("bzlang") || "vi";
let STATE = null;
let lastPortsSig = "";
let timer = null;

function fmt(s, args) { return s.replace(/\{(\w+)\}/g, (m, k) => (args && k in args ? String(args[k]) : m)); }
function t(key) { return (TR[LANG] && TR[LANG][key]) || (TR.en && TR.en[key]) || key; }

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

async function api(path, body) {
  const opt = body === undefined ? {} : {method: "POST", headers: {"Content-Type": "application/json", "X-Station": "1"},
                                         body: JSON.stringify(body)};
  const r = await fetch(path, opt);
  let data = {};
  try { data = await r.json(); } catch (e) { data = {}; }
  if (r.status === 401 && path !== "/api/login") { showLogin(); throw new Error(t("login")); }
  if (!r.ok) throw new Error(t(data.error || "error") + (data.hint ? " (" + data.hint + ")" : ""));
  return data;
}

function flash(msg, ok) {
  const f = document.getElementById("flash");
  f.textContent = msg;
  f.className = ok ? "ok" : "";
  f.hidden = !msg;
}

async function act(fn) {
  try { const r = await fn(); flash(""); await refresh(true); return r; }
  catch (e) { flash(e.message, false); return null; }
}

function when(ms) {
  if (!ms) return t("never");
  const d = new Date(ms);
  return d.toLocaleString(LANG === "vi" ? "vi-VN" : "en-GB");
}
function mins(ms) { return ms < 60000 ? Math.round(ms / 1000) + " " + t("seconds") : Math.round(ms / 60000) + " " + t("minutes"); }
function kb(n) { return n === null || n === undefined ? "?" : Math.round(n / 1024) + " KB"; }
function dayOf(ms) { return Math.floor(ms / 86400000); }

function applyStatic() {
  document.documentElement.lang = LANG;
  document.title = t("app_title");
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  for (const b of document.querySelectorAll("button.lang")) b.classList.toggle("on", b.dataset.lang === LANG);
}

function showLogin() {
  document.getElementById("login").hidden = false;
  document.getElementById("nav").hidden = true;
  document.getElementById("logout").hidden = true;
  document.getElementById("view").replaceChildren();
  document.getElementById("whoami").textContent = "";
  if (timer) { clearInterval(timer); timer = null; }
}

async function loggedIn(who) {
  document.getElementById("login").hidden = true;
  document.getElementById("nav").hidden = false;
  document.getElementById("logout").hidden = false;
  document.getElementById("whoami").textContent = who;
  await route();
  if (!timer) timer = setInterval(() => refresh(false).catch(() => {}), 1000);
}

// -- views -------------------------------------------------------------------------------------------------
function riskBadge(risk) { return h("span", {class: "risk risk-" + risk, "data-risk": risk}, t("risk_" + risk)); }

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
      h("td", {}, when(m.first_seen_ms)),
      h("td", {}, mins(m.duration_ms),
        w.matches.length > 1 ? h("div", {class: "small"}, fmt(t("more_matches"), {n: w.matches.length - 1})) : null),
      h("td", {}, t("prox_" + m.proximity)),
      h("td", {}, m.token_id),
      h("td", {}, w.wearer_id !== null
        ? h("a", {href: "/notice/" + w.wearer_id + "?lang=" + LANG, target: "_blank", class: "notice-link"}, t("print_notice"))
        : "")));
  }
  card.append(h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, t("risk")), h("th", {}, t("wearer")),
    h("th", {}, t("when")), h("th", {}, t("duration")), h("th", {}, t("proximity")), h("th", {}, t("token")), h("th"))), tb));
  return card;
}

function registerForm(p) {
  const f = h("form", {class: "inline register", "data-port": p.port},
    h("label", {}, t("name"), " ", h("input", {name: "name", required: true})),
    h("label", {}, t("ref"), " ", h("input", {name: "ref"})),
    h("label", {}, t("phone"), " ", h("input", {name: "phone"})),
    h("button", {type: "submit", class: "primary"}, t("register")));
  f.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const d = new FormData(f);
    f.querySelector("button").disabled = true;
    act(() => api("/api/provision", {port: p.port, name: d.get("name"), ref: d.get("ref"), phone: d.get("phone")}));
  });
  return f;
}

function portRow(p) {
  const msg = p.msg_key && TR[LANG] && TR[LANG][p.msg_key] ? fmt(t(p.msg_key), p.msg_args) : p.message;
  const tr = h("tr", {class: "port", "data-port": p.port, "data-state": p.state, "data-token": p.token_id || ""},
    h("td", {}, p.token_id ? h("a", {href: "#token/" + encodeURIComponent(p.token_id)}, p.token_id) : "—",
      h("div", {class: "small"}, p.port)),
    h("td", {class: "state-" + p.state}, t("st_" + p.state), p.present ? "" : " (" + t("unplugged") + ")"),
    h("td", {}, h("progress", {max: "1", value: String(p.progress)})),
    h("td", {class: "msg", title: p.message}, msg,
      p.export_file ? h("div", {}, h("a", {href: "/api/export/" + p.export_file, class: "export-link"}, t("download"))) : null,
      p.state === "unprovisioned" && p.present ? registerForm(p) : null),
    h("td", {}, p.present && !["syncing", "busy", "unprovisioned"].includes(p.state)
      ? h("button", {type: "button", class: "sync", onclick: () => act(() => api("/api/sync", {port: p.port}))}, t("sync_again"))
      : ""));
  return tr;
}

function portsCard(s) {
  const card = h("section", {class: "card", id: "ports"}, h("h2", {}, t("plugged")));
  if (!s.ports.length) card.append(h("p", {class: "muted"}, t("no_ports")));
  else card.append(h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, t("token")), h("th", {}, t("state")),
    h("th", {}, t("progress")), h("th", {}, t("message")), h("th"))), h("tbody", {}, s.ports.map(portRow))));
  const out = h("div", {id: "ble-result", class: "small"});
  card.append(h("p", {}, h("button", {type: "button", id: "ble-scan", onclick: async () => {
    out.textContent = "…";
    const r = await act(() => api("/api/ble/scan", {}));
    if (!r) { out.textContent = ""; return; }
    if (!r.available) out.textContent = t("ble_not_available") + (r.detail ? " (" + r.detail + ")" : "");
    else out.textContent = r.tokens.length ? r.tokens.map((x) => x.address + " (" + x.rssi + " dBm)").join(", ")
      : t("ble_none");
  }}, t("ble_scan")), out));
  return card;
}

function stationView(s) {
  return [exposedCard(s), portsCard(s)];
}

function tokensView(s) {
  const tb = h("tbody");
  for (const k of s.tokens) {
    tb.append(h("tr", {"data-token": k.token_id},
      h("td", {}, h("a", {href: "#token/" + encodeURIComponent(k.token_id)}, k.token_id)),
      h("td", {}, k.wearer_name || t("unassigned")),
      h("td", {}, t("tok_" + k.status)),
      h("td", {}, when(k.last_sync_ms)),
      h("td", {}, k.battery_mv ? k.battery_mv + " mV" : "?"),
      h("td", {}, k.warnings.map((w) => h("span", {class: "warn", "data-warn": w}, t(w))))));
  }
  return [h("section", {class: "card"}, h("h2", {}, t("tokens_title")), h("table", {}, h("thead", {}, h("tr", {},
    h("th", {}, t("token")), h("th", {}, t("wearer")), h("th", {}, t("status")), h("th", {}, t("last_sync")),
    h("th", {}, t("battery")), h("th", {}, t("warnings")))), tb))];
}

function tokenView(s, id) {
  const k = s.tokens.find((x) => x.token_id === id);
  if (!k) return [h("section", {class: "card"}, h("p", {}, id + ": ?"))];
  const drift = k.clock_offset_ms === null || k.clock_offset_ms === undefined ? "?" :
    (k.clock_offset_ms >= 0 ? "+" : "") + (k.clock_offset_ms / 1000).toFixed(1) + " s";
  const info = h("section", {class: "card", id: "token-page", "data-token": id}, h("h2", {}, t("token") + " " + id),
    h("dl", {class: "kv"},
      h("dt", {}, t("wearer")), h("dd", {id: "tk-wearer"}, k.wearer_name ? k.wearer_name + " (" + k.wearer_ref + ")" : t("unassigned")),
      h("dt", {}, t("status")), h("dd", {}, t("tok_" + k.status)),
      h("dt", {}, t("last_sync")), h("dd", {id: "tk-sync"}, when(k.last_sync_ms)),
      h("dt", {}, t("drift")), h("dd", {id: "tk-drift"}, drift),
      h("dt", {}, t("battery")), h("dd", {id: "tk-battery"}, k.battery_mv ? k.battery_mv + " mV" : "?"),
      h("dt", {}, t("free_flash")), h("dd", {id: "tk-free"}, kb(k.free_bytes)),
      h("dt", {}, t("log_days")), h("dd", {id: "tk-days"}, k.log_days ?? "?"),
      h("dt", {}, t("encounters")), h("dd", {id: "tk-enc"}, k.encounters),
      h("dt", {}, t("warnings")), h("dd", {id: "tk-warn"}, k.warnings.length ? k.warnings.map((w) =>
        h("span", {class: "warn", "data-warn": w}, t(w))) : "—")),
    k.last_error ? h("p", {class: "state-failed"}, k.last_error) : null);
  const out = [info];
  if (k.status !== "retired") {
    const rf = h("form", {class: "inline", id: "reassign"}, h("label", {}, t("reassign"), " ",
      h("input", {name: "name", required: true, placeholder: t("name")})),
      h("label", {}, t("ref"), " ", h("input", {name: "ref"})), h("button", {type: "submit"}, t("save")));
    rf.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const d = new FormData(rf);
      act(() => api("/api/reassign", {token_id: id, name: d.get("name"), ref: d.get("ref")}));
    });
    const retire = h("button", {type: "button", class: "danger", id: "retire", onclick: () => {
      if (confirm(t("retire_confirm"))) act(() => api("/api/retire", {token_id: id}));
    }}, t("retire"));
    out.push(h("section", {class: "card"}, rf, retire));
    const port = s.ports.find((p) => p.token_id === id && p.present);
    if (port) {
      const today = dayOf(Date.now());
      const ef = h("form", {class: "inline", id: "export"},
        h("label", {}, t("export_from"), " ", h("input", {name: "from", type: "date",
          value: new Date((today - 13) * 86400000).toISOString().slice(0, 10)})),
        h("label", {}, t("export_to"), " ", h("input", {name: "to", type: "date",
          value: new Date(today * 86400000).toISOString().slice(0, 10)})),
        h("label", {}, t("export_confirm"), " ", h("input", {name: "confirm", autocomplete: "off"})),
        h("button", {type: "submit", class: "danger"}, t("export_go")));
      ef.addEventListener("submit", (ev) => {
        ev.preventDefault();
        const d = new FormData(ef);
        act(() => api("/api/export", {port: port.port, confirm: d.get("confirm"),
          day_from: dayOf(Date.parse(d.get("from"))), day_to: dayOf(Date.parse(d.get("to")))}));
      });
      out.push(h("section", {class: "card"}, h("h2", {}, t("export")), h("p", {class: "small"}, t("export_warn")), ef));
    }
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
    const text = await f.text();
    const r = await act(() => api("/api/lists", {name: f.name, content: text}));
    input.value = "";
    if (r) flash(t("done") + ": " + r.name + " (" + r.entries + " " + t("n_entries") + ")", true);
  });
  const tb = h("tbody", {}, s.lists.map((l) => h("tr", {}, h("td", {}, l.name), h("td", {}, when(l.imported_ms)),
    h("td", {}, l.entries), h("td", {}, l.who))));
  const bad = Object.entries(s.bad_lists);
  return [h("section", {class: "card"}, h("h2", {}, t("lists_title")),
    h("p", {}, h("label", {}, t("import"), " ", input)), h("p", {class: "small"}, t("folder_note")),
    h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, t("file")), h("th", {}, t("imported")), h("th", {}, t("entries")),
      h("th", {}, t("by")))), tb),
    bad.length ? h("div", {}, h("h2", {}, t("refused_lists")), bad.map(([k, v]) => h("p", {class: "state-failed"}, v))) : null)];
}

async function auditView() {
  const d = await api("/api/audit");
  const head = h("thead", {}, h("tr", {}, h("th", {}, t("at")), h("th", {}, t("by")), h("th", {}, t("action")),
    h("th", {}, t("target")), h("th", {}, t("detail"))));
  const rows = d.audit.map((a) => h("tr", {}, h("td", {}, when(a.at_ms)), h("td", {}, a.who), h("td", {}, a.action),
    h("td", {}, a.target || ""), h("td", {class: "small detail"}, Object.entries(a.detail).map(([k, v]) => k + "=" + v).join(", "))));
  return [h("section", {class: "card"}, h("h2", {}, t("audit_title")), h("table", {id: "audit"}, head, h("tbody", {}, rows)))];
}

function currentRoute() { return (location.hash || "#station").slice(1); }

async function route() {
  const r = currentRoute();
  for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", a.getAttribute("href") === "#" + r.split("/")[0]);
  lastPortsSig = "";
  await refresh(true);
}

async function refresh(force) {
  const r = currentRoute();
  const view = document.getElementById("view");
  if (r === "wearers" || r === "audit") {
    if (!force) return;
    view.replaceChildren(...(r === "wearers" ? await wearersView() : await auditView()));
    return;
  }
  const s = await api("/api/state");
  const sig = JSON.stringify([r, s.ports, s.exposed, s.tokens, s.lists, s.bad_lists, LANG]);
  if (!force && sig === lastPortsSig) return;
  // Do not rebuild a form the operator is typing in.
  if (!force && document.activeElement && document.activeElement.closest("form") && view.contains(document.activeElement)) return;
  lastPortsSig = sig;
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
  try { TR = await (await fetch("/api/i18n")).json(); } catch (e) { /* English keys still show */ }
  applyStatic();
  for (const b of document.querySelectorAll("button.lang")) {
    b.addEventListener("click", () => { LANG = b.dataset.lang; localStorage.setItem("bzlang", LANG); applyStatic(); route().catch(() => {}); });
  }
  document.getElementById("login").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const r = await api("/api/login", {who: document.getElementById("login-who").value,
                                         passphrase: document.getElementById("login-pass").value});
      document.getElementById("login-pass").value = "";
      flash("");
      await loggedIn(r.who);
    } catch (e) { flash(e.message, false); }
  });
  document.getElementById("logout").addEventListener("click", async () => {
    await api("/api/logout", {}).catch(() => {});
    showLogin();
  });
  window.addEventListener("hashchange", () => route().catch((e) => flash(e.message, false)));
  try {
    const me = await api("/api/me");
    await loggedIn(me.who);
  } catch (e) { showLogin(); }
}

document.addEventListener("DOMContentLoaded", init);
