// SalesLedger's dashboard: a static page on the JSON API. Each view asks the API for its
// reports as of the one date control's moment and shows them; the API scopes every answer by
// the signed-in user's role, so the page shows what the token may see and nothing else.
"use strict";

const TOKEN_KEY = "salesledger.token";
const LOCALE_KEY = "salesledger.locale";
const DAY_MS = 86400000;
const state = { token: null, me: null, locale: "en", daysBack: 0, charts: [], team: "" };

// ---- words, numbers and dates in the chosen locale ----

function t(key, vars = {}) {
  const words = window.MESSAGES[state.locale] || window.MESSAGES.en;
  const text = words[key] ?? window.MESSAGES.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
}

// a table passes its row as the second argument: only a number of digits counts
const number = (value, digits) =>
  value === null || value === undefined ? "–"
    : new Intl.NumberFormat(state.locale, {
      maximumFractionDigits: typeof digits === "number" ? digits : 0 }).format(value);
const money = (value) =>
  value === null || value === undefined ? "–"
    : new Intl.NumberFormat(state.locale, { style: "currency", currency: state.me.currency,
      minimumFractionDigits: 0, maximumFractionDigits: 2 }).format(value);
const percent = (fraction) =>
  fraction === null || fraction === undefined ? "–"
    : new Intl.NumberFormat(state.locale, { style: "percent", maximumFractionDigits: 1 })
      .format(fraction);
const moment = (iso) =>
  iso ? new Intl.DateTimeFormat(state.locale, { dateStyle: "medium", timeStyle: "short" })
    .format(new Date(iso)) : "–";

function applyWords() {
  document.documentElement.lang = state.locale;
  document.querySelectorAll("[data-i18n]").forEach((node) => {
    node.textContent = t(node.dataset.i18n);
  });
}

// ---- the API ----

class Refused extends Error {
  constructor(status, detail) { super(detail); this.status = status; }
}

async function call(method, path, params = {}, headers = {}) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== null && v !== undefined && v !== ""));
  const url = query.toString() ? `${path}?${query}` : path;
  const answer = await fetch(url, {
    method, headers: { Authorization: `Bearer ${state.token}`, Accept: "application/json", ...headers },
  });
  const body = await answer.json().catch(() => ({}));
  if (answer.status === 401) signOut(t("signed_out_expired", { detail: body.detail || "" }));
  if (!answer.ok) throw new Refused(answer.status, body.detail || answer.statusText);
  return body;
}

const get = (path, params) => call("GET", path, params);

// ---- the date control: one moment for every view ----

function serverNow() { return new Date(state.me.now); }

function chosenDay() {
  const day = serverNow();
  day.setHours(0, 0, 0, 0);
  day.setDate(day.getDate() - state.daysBack);
  return day;
}

/** The moment the views show: null for now (live), else the chosen day's end. */
function asOf() {
  if (state.daysBack === 0) return null;
  const day = chosenDay();
  return new Date(day.getFullYear(), day.getMonth(), day.getDate(), 23, 59, 59, 999).toISOString();
}

const isoDay = (day) =>
  `${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, "0")}-${String(day.getDate()).padStart(2, "0")}`;

function showDateControl() {
  const day = chosenDay();
  document.getElementById("as-of-day").value = isoDay(day);
  document.getElementById("as-of-day").max = isoDay(serverNow());
  document.getElementById("as-of-slider").value = String(state.daysBack);
  document.getElementById("as-of-slider").setAttribute("aria-valuetext", isoDay(day));
  const shown = asOf();
  document.getElementById("as-of-text").textContent = shown ? t("as_of", { moment: moment(shown) }) : t("live");
}

function setDaysBack(days) {
  const slider = document.getElementById("as-of-slider");
  state.daysBack = Math.max(0, Math.min(Number(slider.max), Math.round(days)));
  showDateControl();
  render();
}

// ---- building the page ----

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function card(title, ...content) {
  return el("section", { class: "card", "aria-label": title }, el("h2", {}, title), ...content);
}

/** A table whose cells carry their raw values (data-field, data-value) beside the formatted text. */
function table(name, columns, rows, keyOf) {
  const head = el("tr", {}, columns.map((c) => el("th", { scope: "col", class: c.text ? "text" : null }, c.label)));
  const body = rows.map((row, i) => el("tr", { "data-key": keyOf ? keyOf(row, i) : i, class: row.rowClass },
    columns.map((c) => {
      const value = c.value ? c.value(row) : row[c.key];
      const shown = c.format ? c.format(value, row) : value ?? "–";
      return el("td", { "data-field": c.key, "data-value": typeof value === "object" ? null : value,
        class: c.text ? "text" : null }, shown);
    })));
  return el("table", { "data-table": name }, el("thead", {}, head), el("tbody", {}, body));
}

function chart(label, config) {
  const canvas = el("canvas", { role: "img", "aria-label": label });
  const holder = el("div", { class: "chart" }, canvas);
  if (window.Chart) {
    requestAnimationFrame(() => {
      if (!canvas.isConnected) return;
      config.options = { animation: false, responsive: true, maintainAspectRatio: false,
        locale: state.locale, ...config.options };
      state.charts.push(new window.Chart(canvas, config));
    });
  }
  return holder;
}

function link(kind, id, text) {
  return el("a", { href: `#record/${kind}/${id}` }, text);
}

function problem(error) {
  return el("p", { class: "error", role: "alert" },
    t("failed", { status: error.status ?? "", detail: error.message }));
}

const COLOURS = ["#1f5fbf", "#6aa0e8", "#f0a020", "#1b7f4b", "#b3261e"];

// ---- views ----

async function overview(at) {
  const day = chosenDay();
  const month = isoDay(day).slice(0, 7);
  const [funnel, conversion, winRate, targets, forecast, alerts] = await Promise.all([
    get("/reports/funnel", { as_of: at }),
    get("/reports/stage-conversion", { as_of: at }),
    get("/reports/win-rate", { as_of: at }),
    get("/reports/targets", { year: day.getFullYear(), as_of: at }),
    get("/reports/forecast", { as_of: at }),
    alertsAsOf(at),
  ]);
  const stages = funnel.stages.map((s) => s.stage);
  const funnelCard = card(t("funnel"),
    chart(t("funnel"), { type: "bar", data: { labels: stages, datasets: [
      { label: t("amount"), data: funnel.stages.map((s) => s.amount), backgroundColor: COLOURS[1] },
      { label: t("weighted_amount"), data: funnel.stages.map((s) => s.weighted_amount), backgroundColor: COLOURS[0] },
    ] } }),
    table("funnel", [
      { key: "stage", label: t("stage"), text: true },
      { key: "count", label: t("count"), format: number },
      { key: "amount", label: t("amount"), format: money },
      { key: "weighted_amount", label: t("weighted_amount"), format: money },
    ], funnel.stages, (s) => s.stage),
    table("leads", [
      { key: "step", label: t("leads"), text: true, format: (v) => t(v) },
      { key: "count", label: t("count"), format: number },
    ], ["captured", "contacted", "qualified", "converted"].map((step) => ({ step, count: funnel.leads[step] })),
    (row) => row.step));
  const conversionCard = card(t("stage_conversion"), table("stage-conversion", [
    { key: "stage", label: t("stage"), text: true },
    { key: "entered", label: t("entered"), format: number },
    { key: "advanced", label: t("advanced"), format: number },
    { key: "lost", label: t("lost"), format: number },
    { key: "conversion", label: t("conversion"), format: percent },
    { key: "mean_days", label: t("mean_days"), format: (v) => number(v, 1) },
    { key: "median_days", label: t("median_days"), format: (v) => number(v, 1) },
  ], conversion.stages, (s) => s.stage));
  const winCard = card(t("win_rate"),
    el("p", { class: "figure", "data-figure": "win_rate", "data-value": winRate.win_rate }, percent(winRate.win_rate)),
    el("p", { class: "muted" }, `${t("won")} ${number(winRate.won)} · ${t("lost")} ${number(winRate.lost)} · ${t("since")} ${moment(winRate.since)}`));
  const forecastCard = card(t("forecast"),
    chart(t("forecast"), { type: "bar", data: { labels: forecast.months.map((m) => monthName(m.month)), datasets: [
      { label: t("weighted_amount"), data: forecast.months.map((m) => m.weighted_amount), backgroundColor: COLOURS[0] },
      { label: t("commit"), data: forecast.months.map((m) => m.commit), backgroundColor: COLOURS[3] },
      { label: t("best_case"), data: forecast.months.map((m) => m.best_case), backgroundColor: COLOURS[1] },
    ] } }),
    table("forecast", [
      { key: "month", label: t("month"), text: true, format: monthName },
      { key: "count", label: t("count"), format: number },
      { key: "weighted_amount", label: t("weighted_amount"), format: money },
      { key: "commit", label: t("commit"), format: money },
      { key: "best_case", label: t("best_case"), format: money },
    ], forecast.months, (m) => m.month));
  return el("div", { class: "cards" }, funnelCard, conversionCard, winCard,
    targetCard(targets, month), forecastCard, alertsCard(alerts));
}

function monthName(month) {
  return month === "overdue" ? t("overdue") : month;
}

function targetCard(targets, month) {
  const me = state.me;
  const scope = me.role === "admin" ? ["company", null] : me.role === "manager" ? ["team", me.team] : ["rep", me.name];
  const line = targets.lines.find((l) => l.scope === scope[0] && l.name === scope[1] && l.period === month);
  const title = t("target", { month });
  if (!line) return card(title, el("p", { class: "muted" }, t("no_target", { year: targets.year })));
  return card(title,
    el("p", { class: "figure", "data-figure": "target_completion", "data-value": line.completion }, percent(line.completion)),
    el("p", { class: "muted" }, `${t("won")} ${money(line.won)} / ${t("target_amount")} ${money(line.target)}`));
}

/** The alerts open at the moment: raised by then and not acknowledged by then. */
async function alertsAsOf(at) {
  const open = await get("/alerts", { limit: 1000 });
  if (!at) return open.alerts;
  const acknowledged = await get("/alerts", { acknowledged: true, limit: 1000 });
  return [...open.alerts, ...acknowledged.alerts]
    .filter((a) => a.raised_at <= at && (!a.acknowledged_at || a.acknowledged_at > at))
    .sort((a, b) => (a.raised_at < b.raised_at ? 1 : -1));
}

function alertsCard(alerts) {
  if (!alerts.length) return card(t("alerts"), el("p", { class: "muted" }, t("no_alerts")));
  return card(t("alerts"), table("alerts", [
    { key: "kind", label: t("kind"), text: true },
    { key: "raised_at", label: t("raised"), text: true, format: moment },
    { key: "message", label: t("message"), text: true },
    { key: "subject_id", label: t("open_record"), text: true,
      format: (id, a) => link(a.subject_type, id, t("open_record")) },
  ], alerts.slice(0, 8), (a) => a.alert_id));
}

function isoWeek(day) {
  const d = new Date(Date.UTC(day.getFullYear(), day.getMonth(), day.getDate()));
  const weekday = d.getUTCDay() || 7;
  d.setUTCDate(d.getUTCDate() + 4 - weekday);
  const yearStart = new Date(Date.UTC(d.getUTCFullYear(), 0, 1));
  const week = Math.ceil(((d - yearStart) / DAY_MS + 1) / 7);
  return `${d.getUTCFullYear()}-W${String(week).padStart(2, "0")}`;
}

async function team(at) {
  const week = isoWeek(chosenDay());
  const teamFilter = state.me.role === "admin" ? state.team : null;
  const [activity, users] = await Promise.all([
    get("/reports/rep-activity", { week, as_of: at, team: teamFilter }),
    state.me.role === "admin" ? get("/users") : Promise.resolve({ users: [] }),
  ]);
  const weekly = await Promise.all(activity.rows.map((row) => get("/reports/weekly", { rep: row.rep, week, as_of: at })));
  const rows = activity.rows.map((row, i) => ({ ...row, ...weekly[i],
    follow_up_count: Object.values(row.follow_ups).reduce((a, b) => a + b, 0) }));
  const columns = [
    { key: "rep", label: t("rep"), text: true },
    { key: "follow_up_count", label: t("follow_ups"), format: (v) => number(v, 1) },
    { key: "touched", label: t("touched"), format: (v) => number(v, 1) },
    { key: "first_contact_within_sla", label: t("first_contact_sla"), format: (v) => (v === null || v === undefined ? "–" : percent(v / 100)) },
    { key: "new_leads", label: t("new_leads"), format: (v) => number(v, 1) },
    { key: "high_value_leads", label: t("high_value"), format: (v) => number(v, 1) },
    { key: "needs_confirmed", label: t("needs_confirmed"), format: (v) => number(v, 1) },
    { key: "proposals", label: t("proposals"), format: (v) => number(v, 1) },
    { key: "opportunities_opened", label: t("opened"), format: (v) => number(v, 1) },
    { key: "stage_advances", label: t("advances"), format: (v) => number(v, 1) },
    { key: "won_count", label: t("won_count"), format: (v) => number(v, 1) },
    { key: "won_amount", label: t("won_amount"), format: money },
    { key: "month_target_completion", label: t("month_target"), format: (v) => (v === null || v === undefined ? "–" : percent(v)) },
  ];
  const average = { rep: t("team_average"), rowClass: "average" };
  for (const c of columns.slice(1)) {
    const values = rows.map((r) => r[c.key]).filter((v) => typeof v === "number");
    average[c.key] = values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
  }
  const picker = state.me.role === "admin" ? teamPicker(users.users) : null;
  const content = rows.length
    ? table("team", columns, [...rows, average], (r, i) => (i === rows.length ? "average" : r.rep))
    : el("p", { class: "muted" }, t("no_reps"));
  return el("div", {}, picker, card(t("week", { week }), content,
    rows.length ? chart(t("won_amount"), { type: "bar", data: { labels: rows.map((r) => r.rep), datasets: [
      { label: t("won_amount"), data: rows.map((r) => r.won_amount), backgroundColor: COLOURS[3] },
    ] } }) : null));
}

function teamPicker(users) {
  const teams = [...new Set(users.map((u) => u.team).filter(Boolean))].sort();
  const select = el("select", { id: "team-filter", onchange: (e) => { state.team = e.target.value; render(); } },
    el("option", { value: "" }, t("all_teams")),
    teams.map((name) => el("option", { value: name, selected: name === state.team }, name)));
  return el("form", { class: "inline", onsubmit: (e) => e.preventDefault() },
    el("label", { for: "team-filter" }, t("choose_team")), select);
}

async function pool(at, notice) {
  const found = await get("/pool", { as_of: at, limit: 100 });
  const canClaim = state.me.role === "rep" && !at;
  const columns = [
    { key: "company", label: t("company"), text: true },
    { key: "source", label: t("source"), text: true },
    { key: "tier", label: t("tier"), text: true },
    { key: "score", label: t("score"), format: number },
    { key: "contact", label: t("contact"), text: true, value: (l) => l.contact,
      format: (c) => [c.name, c.phone, c.email].filter(Boolean).join(" · ") },
    { key: "in_pool_since", label: t("in_pool_since"), text: true, format: moment },
    { key: "previous_rep", label: t("previous_rep"), text: true },
    { key: "id", label: canClaim ? t("claim") : t("open_record"), text: true, format: (id, lead) => canClaim
      ? el("button", { type: "button", "aria-label": t("claim_lead", { company: lead.company }),
        onclick: () => claim(lead) }, t("claim"))
      : link("lead", id, t("open_record")) },
  ];
  return card(t("pool"),
    notice ? el("p", { class: "notice", role: "status" }, notice) : null,
    state.me.role === "rep" && at ? el("p", { class: "muted" }, t("pool_past")) : null,
    found.leads.length ? table("pool", columns, found.leads, (l) => l.id) : el("p", { class: "muted" }, t("empty_pool")));
}

async function claim(lead) {
  try {
    await call("POST", `/leads/${lead.id}/claim`, {}, { "Idempotency-Key": crypto.randomUUID() });
    render(t("claimed", { company: lead.company }));
  } catch (error) {
    render(error.message);
  }
}

async function agenda() {
  const mine = await get("/me/agenda");
  const when = (v) => moment(v);
  return el("div", { class: "cards" },
    el("p", { class: "muted" }, t("agenda_live")),
    card(t("due_follow_ups"), list("follow-ups", mine.follow_ups, [
      { key: "name", label: t("subject"), text: true, format: (v, f) => link(f.kind, f.id, v) },
      { key: "due_at", label: t("due"), text: true, format: when },
    ], (f) => f.id)),
    card(t("returns"), list("returns", mine.returns, [
      { key: "company", label: t("company"), text: true, format: (v, r) => link("lead", r.lead_id, v) },
      { key: "return_due_at", label: t("due"), text: true, format: when },
      { key: "explained", label: t("message"), text: true },
    ], (r) => r.lead_id)),
    card(t("first_contacts"), list("first-contacts", mine.first_contacts, [
      { key: "company", label: t("company"), text: true, format: (v, c) => link("lead", c.lead_id, v) },
      { key: "tier", label: t("tier"), text: true },
      { key: "contact_due_at", label: t("due"), text: true, format: when },
      { key: "state", label: t("state"), text: true },
    ], (c) => c.lead_id)),
    alertsCard(mine.alerts));
}

function list(name, rows, columns, keyOf) {
  return rows.length ? table(name, columns, rows, keyOf) : el("p", { class: "muted" }, t("nothing"));
}

function mondayOf(day) {
  const monday = new Date(day);
  monday.setDate(monday.getDate() - ((monday.getDay() + 6) % 7));
  return monday;
}

async function movement(at) {
  const until = state.movementUntil || isoDay(chosenDay());
  const since = state.movementSince || isoDay(mondayOf(chosenDay()));
  const untilMoment = new Date(`${until}T23:59:59.999`);
  const found = await get("/reports/pipeline-movement", {
    since: new Date(`${since}T00:00:00`).toISOString(),
    until: untilMoment < serverNow() ? untilMoment.toISOString() : null,
  });
  const form = el("form", { class: "inline", onsubmit: (e) => {
    e.preventDefault();
    state.movementSince = e.target.elements.since.value;
    state.movementUntil = e.target.elements.until.value;
    render();
  } },
  el("label", { for: "movement-since" }, t("since")), el("input", { id: "movement-since", name: "since", type: "date", value: since, required: true }),
  el("label", { for: "movement-until" }, t("until")), el("input", { id: "movement-until", name: "until", type: "date", value: until, required: true }),
  el("button", { type: "submit" }, t("show")));
  const kinds = ["added", "advanced", "moved_back", "slipped", "amount_raised", "amount_cut", "won", "lost"];
  return card(t("movement_title"), form,
    table("movement", [
      { key: "kind", label: t("movement"), text: true, format: (v) => t(v) },
      { key: "count", label: t("count"), format: number },
      { key: "amount", label: t("amount"), format: money },
    ], kinds.map((kind) => ({ kind, ...found[kind] })), (r) => r.kind),
    table("movement-stages", [
      { key: "stage", label: t("stage"), text: true },
      { key: "into", label: t("into"), format: number },
      { key: "into_amount", label: `${t("into")} (${t("amount")})`, format: money },
      { key: "out_of", label: t("out_of"), format: number },
      { key: "out_of_amount", label: `${t("out_of")} (${t("amount")})`, format: money },
    ], found.stages, (s) => s.stage),
    chart(t("movement_title"), { type: "bar", data: { labels: found.stages.map((s) => s.stage), datasets: [
      { label: t("into"), data: found.stages.map((s) => s.into), backgroundColor: COLOURS[0] },
      { label: t("out_of"), data: found.stages.map((s) => s.out_of), backgroundColor: COLOURS[2] },
    ] } }));
}

const RECORD_PATHS = { opportunity: "/opportunities", lead: "/leads" };

async function record(at, _notice, kind, id, version) {
  const form = el("form", { class: "inline", onsubmit: (e) => {
    e.preventDefault();
    location.hash = `#record/${e.target.elements.kind.value}/${e.target.elements.id.value.trim()}`;
  } },
  el("label", { for: "record-kind" }, t("record_kind")),
  el("select", { id: "record-kind", name: "kind" },
    el("option", { value: "opportunity", selected: kind !== "lead" }, t("opportunity")),
    el("option", { value: "lead", selected: kind === "lead" }, t("lead"))),
  el("label", { for: "record-id" }, t("record_id")),
  el("input", { id: "record-id", name: "id", value: id || "", required: true, size: 38 }),
  el("button", { type: "submit" }, t("show")));
  if (!kind || !RECORD_PATHS[kind] || !id) return card(t("record"), form);
  const path = `${RECORD_PATHS[kind]}/${encodeURIComponent(id)}`;
  const events = await wholeHistory(`${path}/history`);
  const shown = await get(path, version ? { version } : { as_of: at }).catch((error) => {
    if (error.status === 404 && at && events.length) return null; // not yet recorded that day
    throw error;
  });
  const versions = el("select", { id: "record-version", onchange: (e) => {
    location.hash = `#record/${kind}/${id}${e.target.value ? `/${e.target.value}` : ""}`;
  } }, el("option", { value: "" }, t("state_as_of")),
  events.map((e) => el("option", { value: e.version, selected: String(e.version) === String(version) }, `${t("version")} ${e.version} · ${e.type}`)));
  return el("div", { class: "cards" }, card(t("record"), form,
    el("h3", {}, `${t(kind)} ${events[0].data.name || events[0].data.company || id}`),
    el("ol", { class: "timeline", "aria-label": t("timeline") }, events.map((e) => el("li", {
      "data-version": e.version, class: at && e.occurred_at > at ? "later" : null },
      el("strong", {}, `${e.version}. ${e.type}`), " ",
      el("span", { class: "muted" }, `${moment(e.occurred_at)} · ${t("by", { actor: e.actor })}`),
      el("div", { class: "changes" }, changes(e.data)))))),
  card(t("state"), el("label", { for: "record-version" }, t("version")), versions,
    shown === null ? el("p", { class: "muted" }, t("not_yet")) : table("state", [
      { key: "field", label: t("field"), text: true },
      { key: "value", label: t("value"), text: true, format: (v, row) => related(row.field, v) },
    ], Object.entries(shown || {}).map(([field, value]) => ({ field, value: plain(value) })), (r) => r.field)));
}

async function wholeHistory(path) {
  const events = [];
  for (let after = 0; ;) {
    const page = await get(path, { after, limit: 100 });
    events.push(...page.events);
    if (!page.events.length || events.length >= page.total) return events;
    after = page.events[page.events.length - 1].version;
  }
}

function plain(value) {
  return value !== null && typeof value === "object" ? JSON.stringify(value) : value;
}

function changes(data) {
  return Object.entries(data || {}).filter(([, v]) => v !== null).map(([k, v]) => `${k}: ${plain(v)}`).join("\n");
}

function related(field, value) {
  if (field === "lead_id" && value) return link("lead", value, value);
  if (field === "opportunity_id" && value) return link("opportunity", value, value);
  return value === null || value === undefined ? "–" : String(value);
}

const VIEWS = { overview, team, pool, agenda, movement, record };

// ---- rendering, navigation and sign-in ----

function route() {
  const [name, ...rest] = location.hash.replace(/^#/, "").split("/");
  return { name: VIEWS[name] ? name : "overview", rest };
}

let rendering = 0;

async function render(notice) {
  if (!state.me) return;
  const { name, rest } = route();
  const turn = ++rendering;
  document.querySelectorAll("#views a").forEach((a) => {
    if (a.dataset.view === name) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  });
  const main = document.getElementById("view");
  const at = asOf();
  main.setAttribute("aria-busy", "true");
  let content;
  try {
    content = await VIEWS[name](at, notice, ...rest);
  } catch (error) {
    content = problem(error);
  }
  if (turn !== rendering) return; // a later render (the control moved again) wins
  state.charts.forEach((c) => c.destroy());
  state.charts = [];
  main.replaceChildren(content);
  main.dataset.view = name;
  main.dataset.route = location.hash.replace(/^#/, "") || name;
  main.dataset.asOf = at || "";
  main.setAttribute("aria-busy", "false");
}

async function signIn(token) {
  state.token = token;
  try {
    state.me = await call("GET", "/me");
  } catch (error) {
    state.token = null;
    document.getElementById("sign-in-error").textContent = error.message;
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  document.getElementById("sign-in").hidden = true;
  document.getElementById("signed-in").hidden = false;
  document.getElementById("sign-out").hidden = false;
  showWho();
  showDateControl();
  render();
}

function showWho() {
  const me = state.me;
  document.getElementById("who").textContent = me.team
    ? t("signed_in_as", { name: me.name, role: me.role, team: me.team })
    : t("signed_in_admin", { name: me.name, role: me.role });
}

function signOut(message = "") {
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = null;
  state.me = null;
  document.getElementById("signed-in").hidden = true;
  document.getElementById("sign-out").hidden = true;
  document.getElementById("sign-in").hidden = false;
  document.getElementById("who").textContent = "";
  document.getElementById("sign-in-error").textContent = message;
  document.getElementById("view").replaceChildren();
}

function start() {
  state.locale = localStorage.getItem(LOCALE_KEY) || (navigator.language.startsWith("zh") ? "zh-CN" : "en");
  const language = document.getElementById("language");
  language.value = state.locale;
  language.addEventListener("change", () => {
    state.locale = language.value;
    localStorage.setItem(LOCALE_KEY, state.locale);
    applyWords();
    if (state.me) { showWho(); showDateControl(); render(); }
  });
  applyWords();
  document.getElementById("sign-in-form").addEventListener("submit", (e) => {
    e.preventDefault();
    signIn(document.getElementById("token").value.trim());
  });
  document.getElementById("sign-out").addEventListener("click", () => signOut());
  document.getElementById("as-of-slider").addEventListener("input", (e) => setDaysBack(Number(e.target.value)));
  document.getElementById("as-of-day").addEventListener("change", (e) => {
    if (!e.target.value) return;
    const [y, m, d] = e.target.value.split("-").map(Number);
    const today = serverNow();
    today.setHours(0, 0, 0, 0);
    setDaysBack((today - new Date(y, m - 1, d)) / DAY_MS);
  });
  document.getElementById("as-of-now").addEventListener("click", () => setDaysBack(0));
  window.addEventListener("hashchange", () => render());
  const kept = sessionStorage.getItem(TOKEN_KEY);
  if (kept) signIn(kept);
}

document.addEventListener("DOMContentLoaded", start);
