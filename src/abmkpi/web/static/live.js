// Live updates: on each `activities` event from the server-sent-event stream,
// fetch the KPIs of the shown period and segment again and update the cards,
// and reload the visible account rows that the new activities touched.

import {
  formatCardValue,
  formatCounts,
  formatInterval,
  formatUnit,
} from "./format.js";
import { setLatest } from "./sparkline.js";

const DEBOUNCE_MS = 300;
const RECONNECT_MS = 5000;
const body = document.body;
const texts = JSON.parse(document.getElementById("ui-text")?.textContent || "{}");
let timer = null;
let touched = new Set();
let everything = false;

function setState(state) {
  const status = document.getElementById("live-status");
  if (!status) return;
  status.dataset.state = state;
  const label = status.querySelector("[data-label-live]");
  if (label) label.textContent = state === "error" ? label.dataset.labelOffline : label.dataset.labelLive;
}

function keyOf(result) {
  return result.variant === undefined || result.variant === null
    ? result.id
    : `${result.id}:${result.variant}`;
}

function setText(card, role, text) {
  const element = card.querySelector(`[data-role="${role}"]`);
  if (element && element.textContent !== text) element.textContent = text;
}

function targetText(result) {
  if (result.target === null || result.target === undefined) return "";
  const target = formatUnit(result.target, result.unit);
  if (result.paced_target === null || result.paced_target === undefined) return target;
  const paced = formatUnit(result.paced_target, result.unit);
  return (texts.paced_target || "%(target)s (%(paced)s)")
    .replace("%(target)s", target)
    .replace("%(paced)s", paced);
}

function updateCard(card, result) {
  const before = card.dataset.value;
  const value = result.value === null ? "" : String(result.value);
  card.dataset.value = value;
  card.className = card.className.replace(/status-\S+/, `status-${result.status}`);
  setText(card, "value", formatCardValue(result.value, result.unit));
  setText(card, "status", (texts.status || {})[result.status] || result.status);
  card.querySelector('[data-role="status"]').dataset.status = result.status;
  const target = targetText(result);
  setText(card, "target", target);
  card.querySelector('[data-role="target-wrap"]').hidden = !target;
  const interval = formatInterval(result);
  setText(card, "interval", interval);
  card.querySelector('[data-role="interval-wrap"]').hidden = !interval;
  setText(card, "counts", formatCounts(result));
  if (before !== value) {
    card.classList.add("updated");
    setTimeout(() => card.classList.remove("updated"), 2500);
  }
}

async function refreshCards() {
  const root = document.getElementById("kpi-cards");
  const url = body.dataset.kpiUrl;
  if (!root || !url) return;
  const { period, segment } = root.dataset;
  const query = new URLSearchParams({ period, segment });
  const response = await fetch(`${url}?${query}`, { headers: { Accept: "application/json" } });
  if (!response.ok) {
    console.warn("KPIs not refreshed: HTTP", response.status);
    return;
  }
  const report = await response.json();
  for (const result of report.results) {
    if (result.segment !== segment) continue;
    const key = keyOf(result);
    for (const card of root.querySelectorAll(`.card.kpi[data-kpi="${CSS.escape(key)}"]`)) {
      updateCard(card, result);
    }
    setLatest(root, key, result.value);
  }
}

async function refreshRows(accounts, all = false) {
  const table = document.getElementById("accounts-table");
  if (!table || !table.dataset.rowsUrl) return;
  const visible = [...table.querySelectorAll("tr[data-account-id]")];
  const hit = visible.filter((row) => accounts.has(row.dataset.accountId));
  if (!hit.length && !all) return;
  const response = await fetch(table.dataset.rowsUrl, { headers: { Accept: "text/html" } });
  if (!response.ok) return;
  const template = document.createElement("template");
  template.innerHTML = await response.text();
  const rows = template.content.querySelector("tbody");
  if (!rows) return;
  table.querySelector("tbody").replaceWith(rows);
  for (const row of rows.querySelectorAll("tr[data-account-id]")) {
    if (accounts.has(row.dataset.accountId)) row.classList.add("updated");
  }
}

function schedule(data) {
  for (const account of data.accounts || []) touched.add(account);
  // Another process (an import) wrote: any row may have changed.
  if (data.external) everything = true;
  if (timer) return;
  timer = setTimeout(() => {
    timer = null;
    const accounts = touched;
    const all = everything;
    touched = new Set();
    everything = false;
    Promise.all([refreshCards(), refreshRows(accounts, all)]).catch((error) =>
      console.warn("live update failed", error),
    );
  }, DEBOUNCE_MS);
}

function connect(url) {
  const source = new EventSource(url);
  source.addEventListener("open", () => setState("open"));
  source.addEventListener("error", () => {
    setState("error");
    // A browser retries a dropped stream itself, but not one that got an
    // error status (such as 503 while an import has the workspace).
    if (source.readyState === EventSource.CLOSED) {
      setTimeout(() => connect(url), RECONNECT_MS);
    }
  });
  source.addEventListener("activities", (event) => {
    try {
      schedule(JSON.parse(event.data));
    } catch (error) {
      console.warn("ignored a malformed live event", error);
    }
  });
}

if (body.dataset.eventsUrl) connect(body.dataset.eventsUrl);
