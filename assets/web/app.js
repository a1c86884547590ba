// tokenfit's page: every number comes from the local HTTP API (the CLI's JSON); the state
// lives in the URL so a link reproduces the view. No framework, no build step.
"use strict";

const $ = (id) => document.getElementById(id);
const GIB = 1024 ** 3;
const state = {
  model: "llama-3.1-8b", quant: "q4_k_m", ctx: 4096, kv: "f16", kind: "", vendor: "",
  fits: false, this: false, device: "", sort: "rank", dir: "asc",
  price: "", years: "", kwh: "", api: "gpt-4o", volume: "",
};
let models = [];
let devices = {};
let rows = [];
let steps = [1024];
const pending = {};

// ---- numbers and tokens ---------------------------------------------------------------
const tok = (n) => (n % 1048576 === 0 ? `${n / 1048576}M` : n % 1024 === 0 ? `${n / 1024}K` : String(n));
function parseTokens(s) {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(String(s).trim());
  if (!m) return null;
  const mult = { k: 1024, K: 1024, m: 1048576, M: 1048576 }[m[2]] || 1;
  return Math.round(parseFloat(m[1]) * mult);
}
function sig(v) {
  if (v == null || !isFinite(v)) return "—";
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toPrecision(2);
}
const gib = (b) => (b == null ? "—" : (b / GIB).toFixed(1));
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));

// ---- URL state --------------------------------------------------------------------------
function readUrl() {
  const q = new URLSearchParams(location.search);
  for (const k of Object.keys(state)) {
    if (!q.has(k)) continue;
    const v = q.get(k);
    if (typeof state[k] === "boolean") state[k] = v === "1" || v === "true";
    else if (k === "ctx") state.ctx = parseTokens(v) || state.ctx;
    else state[k] = v;
  }
}
function writeUrl() {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(state)) {
    if (v === "" || v === false) continue;
    q.set(k, v === true ? "1" : k === "ctx" ? tok(v) : v);
  }
  history.replaceState(null, "", `?${q}`);
}

// ---- the API ----------------------------------------------------------------------------
function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== "" && v != null) q.set(k, v);
  return q.toString();
}
// One request per channel at a time: a newer one aborts the older.
async function get(channel, path, params) {
  if (pending[channel]) pending[channel].abort();
  const ctl = new AbortController();
  pending[channel] = ctl;
  const r = await fetch(`/api/${path}?${query(params)}`, { signal: ctl.signal });
  if (!r.ok) {
    const e = await r.json().catch(() => ({ error: `HTTP ${r.status}` }));
    throw new Error(e.error);
  }
  return path.startsWith("plot/") ? URL.createObjectURL(await r.blob()) : r.json();
}
const aborted = (e) => e && e.name === "AbortError";
function status(msg, isError) {
  $("status").textContent = msg;
  $("status").classList.toggle("error", !!isError);
}

// ---- inputs -----------------------------------------------------------------------------
function model() { return models.find((m) => m.id === state.model); }
function findModel(text) {
  const t = text.trim().toLowerCase();
  if (!t) return null;
  const exact = models.find((m) => m.id === t || m.name.toLowerCase() === t || (m.aliases || []).some((a) => a.toLowerCase() === t));
  return exact || models.find((m) => m.name.toLowerCase().includes(t) || m.id.includes(t)) || null;
}
function setSteps() {
  const max = (model() && model().max_context) || 131072;
  steps = [];
  for (let c = 1024; c <= max; c *= 2) steps.push(c);
  if (!steps.length || steps[steps.length - 1] !== max) steps.push(max);
  const slider = $("ctx");
  slider.max = String(steps.length - 1);
  let i = steps.findIndex((c) => c >= state.ctx);
  if (i < 0) i = steps.length - 1;
  slider.value = String(i);
  state.ctx = steps[i];
  $("ctx-label").textContent = tok(state.ctx);
}
function fillSelect(el, items, value) {
  el.innerHTML = items.map(([v, label]) => `<option value="${esc(v)}">${esc(label)}</option>`).join("");
  el.value = value;
}

// ---- the ranked table -------------------------------------------------------------------
const COLUMNS = {
  rank: (r) => r.rank, device: (r) => r.name, verdict: (r) => ["fits", "spills"].indexOf(r.verdict) + 1 || 9,
  total_gib: (r) => r.total_bytes, usable_gib: (r) => r.usable_bytes, decode_tok_s: (r) => r.decode_tok_s,
  prefill_tok_s: (r) => r.prefill_tok_s, ttft_s: (r) => r.ttft_s, price_usd: (r) => r.price_usd,
};
function shown() {
  const keep = rows.filter((r) => {
    const d = devices[r.device] || {};
    return (!state.kind || d.kind === state.kind) && (!state.vendor || d.vendor === state.vendor) &&
      (!state.fits || r.verdict === "fits");
  });
  const key = COLUMNS[state.sort] || COLUMNS.rank;
  const sign = state.dir === "desc" ? -1 : 1;
  return keep.sort((a, b) => {
    const x = key(a), y = key(b);
    if (x == null || y == null) return x == null ? (y == null ? 0 : 1) : -1;
    return (x < y ? -1 : x > y ? 1 : 0) * sign;
  });
}
function interval(v, lo, hi) {
  return `${sig(v)}${lo != null && hi != null ? ` <span class="iv">${sig(lo)}–${sig(hi)}</span>` : ""}`;
}
function renderTable() {
  const list = shown();
  $("fit").querySelector("tbody").innerHTML = list.map((r) => `
    <tr data-device="${esc(r.device)}" data-verdict="${esc(r.verdict)}" class="${r.device === state.device ? "selected" : ""}">
      <td class="num">${r.rank}</td>
      <td class="dev">${esc(r.name)}<small>${esc(r.device)}</small></td>
      <td class="verdict ${esc(r.verdict)}">${esc(String(r.verdict).replace(/_/g, " "))}</td>
      <td class="num col-mid">${gib(r.total_bytes)}</td>
      <td class="num col-mid">${gib(r.usable_bytes)}</td>
      <td class="num">${interval(r.decode_tok_s, r.decode_tok_s_lo, r.decode_tok_s_hi)}</td>
      <td class="num col-wide">${interval(r.prefill_tok_s, r.prefill_tok_s_lo, r.prefill_tok_s_hi)}</td>
      <td class="num col-wide">${sig(r.ttft_s)}</td>
      <td class="num col-wide">${r.price_usd == null ? "—" : Math.round(r.price_usd).toLocaleString("en-US")}</td>
    </tr>`).join("");
  for (const th of $("fit").querySelectorAll("th")) {
    th.classList.toggle("sorted", th.dataset.key === state.sort);
    th.classList.toggle("asc", state.dir === "asc");
    if (["prefill_tok_s", "ttft_s", "price_usd"].includes(th.dataset.key)) th.classList.add("col-wide");
    if (["total_gib", "usable_gib"].includes(th.dataset.key)) th.classList.add("col-mid");
  }
  const fits = list.filter((r) => r.verdict === "fits").length;
  status(`${model() ? model().name : state.model} · ${state.quant} · ${tok(state.ctx)} context · KV ${state.kv}: ${fits} of ${list.length} devices shown fit in fast memory`);
}
async function refresh() {
  writeUrl();
  try {
    const out = await get("fit", "fit", { model: state.model, quant: state.quant, ctx: state.ctx, "kv-type": state.kv, devices: state.this ? "this" : "all" });
    rows = out.results.map((r, i) => ({ ...r, rank: i + 1, name: (devices[r.device] || {}).name || r.device }));
    renderTable();
    if (state.device) selectDevice(state.device);
  } catch (e) {
    if (!aborted(e)) { rows = []; renderTable(); status(e.message, true); }
  }
}

// ---- the selected device ----------------------------------------------------------------
const BREAKDOWN = [
  ["verdict", (r) => String(r.verdict).replace(/_/g, " ")],
  ["context (depth + prompt + gen)", (r) => `${r.ctx} (${r.depth} + ${r.prompt} + ${r.gen})`],
  ["weights GiB", (r) => gib(r.weights_bytes)],
  ["KV cache GiB", (r) => gib(r.kv_bytes)],
  ["runtime overhead GiB", (r) => gib(r.overhead_bytes)],
  ["total GiB / usable fast GiB", (r) => `${gib(r.total_bytes)} / ${gib(r.usable_bytes)}`],
  ["layers on fast tier", (r) => `${r.gpu_layers} of ${r.n_layers} (${r.offload})`],
  ["bytes per token GB (fast / host)", (r) => `${sig(r.bytes_per_token_fast / 1e9)} / ${sig(r.bytes_per_token_host / 1e9)}`],
  ["decode tok/s", (r) => `${sig(r.decode_tok_s)} (${sig(r.decode_tok_s_lo)}–${sig(r.decode_tok_s_hi)})`],
  ["decode bound", (r) => r.bound],
  ["prefill tok/s", (r) => `${sig(r.prefill_tok_s)} (${sig(r.prefill_tok_s_lo)}–${sig(r.prefill_tok_s_hi)})`],
  ["prefill bound", (r) => r.prefill_bound],
  ["time to first token s", (r) => sig(r.ttft_s)],
  ["efficiency", (r) => r.efficiency],
];
async function selectDevice(id) {
  state.device = id;
  writeUrl();
  for (const tr of $("fit").querySelectorAll("tbody tr")) tr.classList.toggle("selected", tr.dataset.device === id);
  const d = devices[id] || { name: id };
  $("device").hidden = false;
  $("breakeven").hidden = false;
  $("device-title").textContent = `${d.name} · ${model() ? model().name : state.model} · ${state.quant}`;
  const common = { model: state.model, quant: state.quant, "kv-type": state.kv };
  get("cliff-img", "plot/cliff", { ...common, devices: id })
    .then((url) => { $("cliff").src = url; $("cliff").hidden = false; })
    .catch((e) => { if (!aborted(e)) { $("cliff").hidden = true; $("cliff-caption").textContent = e.message; } });
  get("cliff", "cliff", { ...common, device: id })
    .then((c) => {
      const s = c.summary || {};
      $("cliff-caption").textContent = s.cliff_ctx
        ? `The cliff: past ${(s.max_fast_ctx || s.cliff_ctx).toLocaleString("en-US")} tokens bytes leave fast memory; decode ${sig(s.decode_tok_s_before)} → ${sig(s.decode_tok_s_after)} tok/s.`
        : "No cliff up to the model's maximum context: everything stays in fast memory.";
    })
    .catch((e) => { if (!aborted(e)) $("cliff-caption").textContent = e.message; });
  get("predict", "predict", { ...common, device: id, ctx: state.ctx })
    .then((p) => {
      const r = p.results[0];
      $("predict").innerHTML = BREAKDOWN.map(([k, f]) => `<tr><td>${esc(k)}</td><td>${esc(f(r))}</td></tr>`).join("");
      $("verify").textContent = r.verify_command || "";
    })
    .catch((e) => { if (!aborted(e)) { $("predict").innerHTML = `<tr><td>${esc(e.message)}</td></tr>`; $("verify").textContent = ""; } });
  breakeven();
}

// ---- break-even -------------------------------------------------------------------------
function breakevenParams() {
  return {
    device: state.device, model: state.model, quant: state.quant, ctx: state.ctx, "kv-type": state.kv,
    api: state.api, "price-usd": state.price, years: state.years, "kwh-usd": state.kwh, "tokens-per-month": state.volume,
  };
}
async function breakeven() {
  if (!state.device) return;
  writeUrl();
  const p = breakevenParams();
  try {
    const out = await get("breakeven", "breakeven", p);
    const r = out.results[0] || {};
    $("be-summary").innerHTML = `<b>${esc(String(r.verdict || "").replace(/_/g, " "))}</b> — ${esc(r.explanation || "")}
      <br><span class="iv">machine $${sig(r.monthly_cost_usd)}/month · API $${sig(r.api_monthly_cost_usd)}/month at ${sig((r.tokens_per_month || 0) / 1e6)}M tokens/month · local $${sig(r.local_usd_per_m_tokens)} per 1M tokens</span>`;
    $("be-price").placeholder = r.price_usd != null ? String(r.price_usd) : "database";
  } catch (e) {
    if (!aborted(e)) $("be-summary").textContent = e.message;
  }
  get("be-chart", "plot/breakeven", p)
    .then((url) => { $("be-chart").src = url; $("be-chart").hidden = false; })
    .catch((e) => { if (!aborted(e)) $("be-chart").hidden = true; });
}

// ---- wiring -----------------------------------------------------------------------------
function debounce(f, ms) { let t; return (...a) => { clearTimeout(t); t = setTimeout(() => f(...a), ms); }; }
function wire() {
  $("model").addEventListener("change", () => {
    const m = findModel($("model").value);
    if (!m) { status(`no model matches '${$("model").value}'`, true); return; }
    state.model = m.id;
    $("model").value = m.name;
    setSteps();
    refresh();
  });
  $("quant").addEventListener("change", () => { state.quant = $("quant").value; refresh(); });
  $("kv").addEventListener("change", () => { state.kv = $("kv").value; refresh(); });
  const ctxMoved = debounce(refresh, 120);
  $("ctx").addEventListener("input", () => {
    state.ctx = steps[Number($("ctx").value)];
    $("ctx-label").textContent = tok(state.ctx);
    ctxMoved();
  });
  for (const k of ["kind", "vendor"]) $(k).addEventListener("change", () => { state[k] = $(k).value; writeUrl(); renderTable(); });
  $("fits").addEventListener("change", () => { state.fits = $("fits").checked; writeUrl(); renderTable(); });
  $("this").addEventListener("change", () => { state.this = $("this").checked; refresh(); });
  $("fit").querySelector("thead").addEventListener("click", (ev) => {
    const th = ev.target.closest("th");
    if (!th) return;
    const k = th.dataset.key;
    state.dir = state.sort === k && state.dir === "asc" ? "desc" : "asc";
    if (state.sort !== k && ["decode_tok_s", "prefill_tok_s", "usable_gib"].includes(k)) state.dir = "desc";
    state.sort = k;
    writeUrl();
    renderTable();
  });
  $("fit").querySelector("tbody").addEventListener("click", (ev) => {
    const tr = ev.target.closest("tr");
    if (tr) selectDevice(tr.dataset.device);
  });
  $("copy").addEventListener("click", () => {
    navigator.clipboard?.writeText($("verify").textContent).then(() => { $("copy").textContent = "copied"; setTimeout(() => { $("copy").textContent = "copy"; }, 1200); });
  });
  const beMoved = debounce(breakeven, 250);
  for (const [id, k] of [["be-price", "price"], ["be-years", "years"], ["be-kwh", "kwh"], ["be-volume", "volume"], ["be-api", "api"]]) {
    $(id).addEventListener(id === "be-api" ? "change" : "input", () => { state[k] = $(id).value.trim(); beMoved(); });
  }
}

async function start() {
  readUrl();
  wire();
  try {
    const [m, d, q, a, page] = await Promise.all(["models", "devices", "quants", "apis", "page"].map((p) => fetch(`/api/${p}`).then((r) => r.json())));
    models = m.results;
    if (page.started_model && !new URLSearchParams(location.search).has("model")) state.model = page.started_model;
    for (const x of d.results) devices[x.id] = x;
    $("model-list").innerHTML = models.map((x) => `<option value="${esc(x.name)}">${esc(x.id)}</option>`).join("");
    fillSelect($("quant"), q.results.filter((x) => x.bpw != null).map((x) => [x.id, `${x.name} · ${x.bpw} bpw`]), state.quant);
    fillSelect($("kv"), q.results.filter((x) => x.bytes_per_element != null).map((x) => [x.id, x.id]), state.kv);
    const vendors = [...new Set(d.results.map((x) => x.vendor))].sort();
    fillSelect($("vendor"), [["", "all"], ...vendors.map((v) => [v, v])], state.vendor);
    fillSelect($("be-api"), a.results.map((x) => [x.id, `${x.name} ($${x.input_usd_per_m}/$${x.output_usd_per_m} per 1M)`]), state.api);
    $("this-box").hidden = !devices.this;
    $("kind").value = state.kind;
    $("fits").checked = state.fits;
    $("this").checked = state.this && !!devices.this;
    $("be-price").value = state.price; $("be-years").value = state.years; $("be-kwh").value = state.kwh; $("be-volume").value = state.volume;
    $("model").value = model() ? model().name : state.model;
    setSteps();
    await refresh();
  } catch (e) {
    status(`the API did not answer: ${e.message}`, true);
  }
}
start();
