// The mock's dashboard (served at /__mock/ui by mock_server/control/dashboard.py).
//
// Everything it shows comes from this server: the namespace's state (GET /__mock/state),
// fault rules (GET /__mock/faults) and journal, polled (GET /__mock/requests?since=SEQ every
// POLL_MS; the state and rules again whenever a request that may change them is seen, and
// every REFRESH_MS in any case, for resets and loads made by others). The refund form and
// the raw payment call Medusa's own routes with a bearer token from /auth/user/emailpass.
//
// Nothing received is ever parsed as HTML: request bodies in the journal are whatever anyone
// sent to the Medusa surface, so every value goes into the page as text (textContent).

const POLL_MS = 400
const REFRESH_MS = 3000
const HIDDEN_POLL_MS = 2000 // while the tab is in the background
const JOURNAL_KEEP = 500 // rows kept on the page
const JOURNAL_FETCH = 50 // entries per poll: each may carry two 16 KiB bodies (50: ~1 MB, ~10 ms)
const TOKEN_KEY = "mock-dashboard.control-token"
const BEARER_KEY = "mock-dashboard.bearer"
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/
const READ_ONLY = new Set(["GET", "HEAD", "OPTIONS"])

const $ = (id) => document.getElementById(id)

const view = {
  namespace: new URLSearchParams(location.search).get("namespace") || "default",
  state: null,
  stateText: "",
  faultsText: "",
  since: 0,
  journal: [], // newest first
  journalOff: false,
  openPayment: null,
  openEntry: null,
  refreshDue: true,
  lastRefresh: 0,
  skipped: 0,
  generation: 0, // bumped on a namespace switch: answers for the previous one are dropped
  stopped: false,
}

// --- HTTP --------------------------------------------------------------------------------

class HttpError extends Error {
  constructor(status, body) {
    super(body && typeof body === "object" && body.message ? body.message : `HTTP ${status}`)
    this.status = status
    this.body = body
  }
}

async function send(method, url, { body, headers = {}, raw = false } = {}) {
  const init = { method, headers: { ...headers }, cache: "no-store" }
  if (body !== undefined) {
    init.body = body
    if (!init.headers["content-type"]) init.headers["content-type"] = "application/json"
  }
  const response = await fetch(url, init)
  const text = await response.text()
  let data = null
  if (text) {
    try { data = JSON.parse(text) } catch { data = text }
  }
  if (!response.ok) throw new HttpError(response.status, data)
  return raw ? { data, text } : data
}

/** A /__mock call on the namespace shown, with the control token when one was given. */
async function control(method, path, options = {}) {
  const headers = {}
  const token = sessionStorage.getItem(TOKEN_KEY)
  if (token) headers["x-mock-control-token"] = token
  const join = path.includes("?") ? "&" : "?"
  const url = `/__mock${path}${join}namespace=${encodeURIComponent(view.namespace)}`
  try {
    return await send(method, url, { ...options, headers })
  } catch (error) {
    if (error instanceof HttpError && error.status === 401) askForToken(error.message)
    throw error
  }
}

/** A Medusa call in the namespace shown (x-mock-namespace), as the logged-in admin. */
function medusa(method, path, body) {
  const headers = { "x-mock-namespace": view.namespace }
  const bearer = sessionStorage.getItem(BEARER_KEY)
  if (bearer) headers.authorization = `Bearer ${bearer}`
  return send(method, path, { body, headers, raw: true })
}

// --- small helpers -------------------------------------------------------------------------

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag)
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue
    if (key === "class") node.className = value
    else if (key === "text") node.textContent = value
    else if (key === "dataset") Object.assign(node.dataset, value)
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value)
    else if (key in node && typeof value !== "string") node[key] = value
    else node.setAttribute(key, value === true ? "" : value)
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue
    node.append(child instanceof Node ? child : document.createTextNode(String(child)))
  }
  return node
}

function show(node, text, kind) {
  node.textContent = text
  node.hidden = !text
  if (kind) node.dataset.kind = kind
}

/** Replace a tbody's rows, keeping keyboard focus on the element of the same key. */
function replaceRows(tbody, rows) {
  const active = document.activeElement
  const key = tbody.contains(active) ? active.dataset.focusKey : undefined
  tbody.replaceChildren(...rows)
  if (key) tbody.querySelector(`[data-focus-key="${CSS.escape(key)}"]`)?.focus()
}

function when(iso) {
  if (!iso) return ""
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? String(iso) : date.toISOString().replace("T", " ").slice(0, 19)
}

function pretty(value) {
  return typeof value === "string" ? value : JSON.stringify(value, null, 2)
}

function errorText(error) {
  if (error instanceof HttpError) return `${error.status}: ${error.message}`
  return error?.message || String(error)
}

// --- exact money (amounts arrive as JSON numbers or decimal strings) -------------------------

const NUMBER = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/

function money(value) {
  const match = NUMBER.exec(String(value ?? 0))
  if (!match) return { units: 0n, scale: 0 }
  const [, sign, whole, fraction = "", exponent = "0"] = match
  let units = BigInt(whole + fraction)
  let scale = fraction.length - Number(exponent)
  if (scale < 0) { units *= 10n ** BigInt(-scale); scale = 0 }
  return { units: sign ? -units : units, scale }
}

function rescale(a, scale) {
  return a.units * 10n ** BigInt(scale - a.scale)
}

function plus(a, b) {
  const scale = Math.max(a.scale, b.scale)
  return { units: rescale(a, scale) + rescale(b, scale), scale }
}

function sum(values) {
  return values.reduce((total, v) => plus(total, money(v)), { units: 0n, scale: 0 })
}

function compare(a, b) {
  const scale = Math.max(a.scale, b.scale)
  const x = rescale(a, scale), y = rescale(b, scale)
  return x < y ? -1 : x > y ? 1 : 0
}

function ratio(a, b) {
  const scale = Math.max(a.scale, b.scale)
  const y = rescale(b, scale)
  return y === 0n ? 0 : Math.min(1, Math.max(0, Number(rescale(a, scale) * 10000n / y) / 10000))
}

const digitsCache = new Map()
function currencyDigits(code) {
  if (!digitsCache.has(code)) {
    let digits = 2
    try {
      digits = new Intl.NumberFormat("en", { style: "currency", currency: code }).resolvedOptions()
        .maximumFractionDigits
    } catch { /* an unknown code: 2 */ }
    digitsCache.set(code, digits)
  }
  return digitsCache.get(code)
}

/** "12.50 USD": the exact amount, with at least the currency's digits. */
function formatMoney(amount, currency) {
  const code = (currency || "").toUpperCase()
  const digits = currencyDigits(code || "USD")
  const scale = Math.max(amount.scale, digits)
  let units = rescale(amount, scale)
  const negative = units < 0n
  if (negative) units = -units
  let text = units.toString().padStart(scale + 1, "0")
  if (scale > 0) text = `${text.slice(0, -scale)}.${text.slice(-scale)}`
  return `${negative ? "-" : ""}${text}${code ? ` ${code}` : ""}`
}

// --- payments --------------------------------------------------------------------------------

function figures(payment) {
  const amount = money(payment.amount)
  const captured = sum(payment.captures.map((c) => c.amount))
  const refunded = sum(payment.refunds.map((r) => r.amount))
  return { amount, captured, refunded }
}

function paymentState(payment, { amount, captured, refunded }) {
  if (payment.canceled) return ["canceled", "canceled"]
  if (payment.order === false) return ["no-order", "no order link"]
  if (refunded.units > 0n) {
    return compare(refunded, captured) >= 0 ? ["refunded", "refunded"] : ["partially-refunded", "partially refunded"]
  }
  if (captured.units > 0n) {
    return compare(captured, amount) >= 0 ? ["captured", "captured"] : ["partially-captured", "partially captured"]
  }
  return ["authorized", "authorized"]
}

function bar(payment, f) {
  const currency = payment.currency_code
  const label = `authorized ${formatMoney(f.amount, currency)}, captured ${formatMoney(f.captured, currency)}, ` +
    `refunded ${formatMoney(f.refunded, currency)}`
  const captured = el("span", { class: "captured" })
  const refunded = el("span", { class: "refunded" })
  // CSSOM widths (allowed by the page's style-src 'self', unlike style attributes)
  captured.style.width = `${ratio(f.captured, f.amount) * 100}%`
  refunded.style.width = `${ratio(f.refunded, f.amount) * 100}%`
  return el("div", { class: "bar", role: "img", "aria-label": label, title: label }, captured, refunded)
}

function renderPayments() {
  const { payments } = view.state
  $("payments-count").textContent = `(${payments.length})`
  replaceRows($("payments").tBodies[0], payments.map((payment) => {
    const f = figures(payment)
    const [state, label] = paymentState(payment, f)
    const open = el("button", {
      type: "button", class: "link", text: payment.id, dataset: { focusKey: payment.id },
      "aria-expanded": String(view.openPayment === payment.id), onclick: () => openPayment(payment.id),
    })
    return el("tr", { dataset: { payment: payment.id, state }, class: view.openPayment === payment.id ? "open" : "" },
      el("td", {}, open),
      el("td", { class: "num", text: formatMoney(f.amount, payment.currency_code) }),
      el("td", {}, bar(payment, f)),
      el("td", {}, el("span", { class: `state ${state}`, text: label })))
  }))
}

function renderReasons() {
  const reasons = view.state.refund_reasons
  $("reasons-count").textContent = `(${reasons.length})`
  replaceRows($("reasons").tBodies[0], reasons.map((r) => el("tr", {
    class: r.deleted ? "deleted" : "", dataset: { reason: r.id },
  },
  el("td", {}, el("span", { class: "label", text: r.label }), r.deleted ? el("span", { class: "badge", text: "deleted" }) : null),
  el("td", { text: r.code }),
  el("td", { text: r.description ?? "" }),
  el("td", { class: "id", text: r.id }))))

  const select = $("refund-reason")
  const chosen = select.value
  select.replaceChildren(el("option", { value: "", text: "none" }),
    ...reasons.filter((r) => !r.deleted).map((r) => el("option", { value: r.id, text: r.label })))
  select.value = [...select.options].some((o) => o.value === chosen) ? chosen : ""
}

function userName(id) {
  if (!id) return ""
  const user = view.state.users.find((u) => u.id === id)
  return user ? user.email : id
}

function reasonLabel(id) {
  if (!id) return ""
  const reason = view.state.refund_reasons.find((r) => r.id === id)
  return reason ? `${reason.label}${reason.deleted ? " (deleted)" : ""}` : id
}

function renderDetail() {
  const section = $("detail")
  const payment = view.state?.payments.find((p) => p.id === view.openPayment)
  if (!payment) {
    section.hidden = true
    return
  }
  section.hidden = false
  const f = figures(payment)
  const currency = payment.currency_code
  const [state, label] = paymentState(payment, f)
  $("detail-title").textContent = `Payment ${payment.id}`
  section.dataset.state = state
  const facts = [
    ["State", label],
    ["Amount", formatMoney(f.amount, currency)],
    ["Captured", formatMoney(f.captured, currency)],
    ["Refunded", formatMoney(f.refunded, currency)],
    ["Order", payment.order_id ?? "none (no order link)"],
    ["Collection", payment.payment_collection_id],
    ["Provider", payment.provider_id],
    ["Created", when(payment.created_at)],
  ]
  $("detail-summary").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]))
  replaceRows($("captures").tBodies[0], payment.captures.map((c) => el("tr", {},
    el("td", { class: "id", text: c.id }), el("td", { class: "num", text: formatMoney(money(c.amount), currency) }),
    el("td", { text: userName(c.created_by) }), el("td", { class: "time", text: when(c.created_at) }))))
  replaceRows($("refunds").tBodies[0], payment.refunds.map((r) => el("tr", { dataset: { refund: r.id } },
    el("td", { class: "id", text: r.id }), el("td", { class: "num", text: formatMoney(money(r.amount), currency) }),
    el("td", { text: reasonLabel(r.refund_reason) }), el("td", { text: r.note ?? "" }),
    el("td", { text: userName(r.created_by) }), el("td", { class: "time", text: when(r.created_at) }))))
  $("refund-target").textContent = payment.id
}

async function openPayment(id) {
  view.openPayment = view.openPayment === id ? null : id
  show($("refund-result"), "")
  renderPayments()
  renderDetail()
  if (view.openPayment) {
    $("detail").focus()
    await loadRaw()
  } else {
    $("payments").querySelector(`[data-focus-key="${CSS.escape(id)}"]`)?.focus()
  }
}

async function loadRaw() {
  const id = view.openPayment
  const raw = $("raw")
  if (!id) return
  if (!sessionStorage.getItem(BEARER_KEY)) {
    raw.textContent = "Log in (Controls, Medusa login) to see GET /admin/payments/{id} as Medusa answers it."
    raw.dataset.kind = "hint"
    return
  }
  try {
    const { text } = await medusa("GET", `/admin/payments/${encodeURIComponent(id)}`)
    if (view.openPayment !== id) return
    raw.textContent = pretty(JSON.parse(text))
    raw.dataset.kind = "ok"
  } catch (error) {
    if (view.openPayment !== id) return
    raw.textContent = error instanceof HttpError ? `${error.status}\n${pretty(error.body)}` : errorText(error)
    raw.dataset.kind = "error"
  }
}

/** The refund body as text, so an amount such as 12.345 goes out exactly as typed. */
function refundBody() {
  const parts = []
  const amount = $("refund-amount").value.trim()
  if (amount) parts.push(`"amount":${/^\d+(\.\d+)?$/.test(amount) ? amount : JSON.stringify(amount)}`)
  const reason = $("refund-reason").value
  if (reason) parts.push(`"refund_reason_id":${JSON.stringify(reason)}`)
  const note = $("refund-note").value
  if (note) parts.push(`"note":${JSON.stringify(note)}`)
  return `{${parts.join(",")}}`
}

async function refund(event) {
  event.preventDefault()
  const id = view.openPayment
  const result = $("refund-result")
  if (!id) return
  const button = $("refund-submit")
  button.disabled = true
  try {
    const { data } = await medusa("POST", `/admin/payments/${encodeURIComponent(id)}/refund`, refundBody())
    const payment = data.payment
    const refunded = payment?.refunds ? sum(payment.refunds.map((r) => r.amount)) : null
    show(result, `Refunded${refunded ? `: ${formatMoney(refunded, payment.currency_code)} refunded in total` : ""}.`, "ok")
  } catch (error) {
    show(result, `Refund failed: ${errorText(error)}`, "error")
  } finally {
    button.disabled = false
  }
  await Promise.all([refreshNow(), loadRaw()])
}

// --- controls ------------------------------------------------------------------------------------

async function login(event) {
  event.preventDefault()
  const result = $("login-result")
  try {
    const { data } = await send("POST", "/auth/user/emailpass", {
      headers: { "x-mock-namespace": view.namespace },
      body: JSON.stringify({ email: $("login-email").value, password: $("login-password").value }),
      raw: true,
    })
    sessionStorage.setItem(BEARER_KEY, data.token)
    show(result, `Logged in as ${$("login-email").value}.`, "ok")
  } catch (error) {
    sessionStorage.removeItem(BEARER_KEY)
    show(result, `Login failed: ${errorText(error)}`, "error")
  }
  renderLogin()
  await loadRaw()
}

function logout() {
  sessionStorage.removeItem(BEARER_KEY)
  show($("login-result"), "Logged out (the token is forgotten).", "ok")
  renderLogin()
  loadRaw()
}

function renderLogin() {
  const loggedIn = Boolean(sessionStorage.getItem(BEARER_KEY))
  $("logout").hidden = !loggedIn
  $("login").textContent = loggedIn ? "Log in again" : "Log in"
}

function counts(data) {
  return `${data.payments} payments, ${data.refund_reasons} refund reasons, ${data.users} users, ${data.api_keys} API keys`
}

async function reset() {
  const result = $("reset-result")
  try {
    const data = await control("POST", "/reset")
    show(result, `Reset to the fixtures: ${counts(data)}.`, "ok")
  } catch (error) {
    show(result, `Reset failed: ${errorText(error)}`, "error")
  }
  await refreshNow()
}

async function pickFile() {
  const file = $("load-file").files[0]
  if (!file) return
  if (file.size > 1024 * 1024) {
    showLoadError({ message: `${file.name} is larger than 1 MiB (the limit of a fixture document)`, path: "" })
    return
  }
  $("load-text").value = await file.text()
}

function showLoadError(body) {
  $("load-error-message").textContent = body?.message ?? ""
  $("load-error-path").textContent = body?.path || "(top)"
  $("load-error").hidden = false
}

async function load(event) {
  event.preventDefault()
  $("load-error").hidden = true
  show($("load-result"), "")
  try {
    const data = await control("POST", "/load", { body: $("load-text").value, headers: {} })
    show($("load-result"), `Loaded: ${counts(data)}. Reset now returns to this document.`, "ok")
  } catch (error) {
    if (error instanceof HttpError && error.body && typeof error.body === "object") showLoadError(error.body)
    else showLoadError({ message: errorText(error), path: "" })
  }
  await refreshNow()
}

function describeMatch(rule) {
  return `${rule.method ?? "any method"} ${rule.path ?? "any path"} (${rule.when})`
}

function describeAnswer(rule) {
  const parts = []
  if (rule.delay_ms) parts.push(`delay ${rule.delay_ms} ms`)
  if (rule.drop) parts.push("drop")
  if (rule.status) parts.push(`status ${rule.status}`)
  return parts.join(", ")
}

function renderFaults(faults) {
  $("faults-count").textContent = `(${faults.length})`
  replaceRows($("faults").tBodies[0], faults.map((rule) => el("tr", { dataset: { fault: rule.id }, class: rule.live ? "" : "spent" },
    el("td", { class: "id", text: rule.id }),
    el("td", { text: describeMatch(rule) }),
    el("td", { text: describeAnswer(rule) }),
    el("td", { class: "num", text: `${rule.fired}${rule.times ? ` / ${rule.times}` : ""}` }),
    el("td", {}, el("button", {
      type: "button", text: "Remove", dataset: { focusKey: `remove-${rule.id}` },
      "aria-label": `Remove rule ${rule.id}`, onclick: () => removeFault(rule.id),
    })))))
}

async function addFault(event) {
  event.preventDefault()
  const rule = { when: $("fault-when").value }
  const method = $("fault-method").value
  if (method) rule.method = method
  const path = $("fault-path").value.trim()
  if (path) rule.path = path
  for (const [id, key] of [["fault-status", "status"], ["fault-delay", "delay_ms"], ["fault-times", "times"]]) {
    const value = $(id).value.trim()
    if (value) rule[key] = Number(value)
  }
  if ($("fault-drop").checked) {
    rule.drop = true
    delete rule.status
  }
  const error = $("fault-error")
  try {
    await control("POST", "/faults", { body: JSON.stringify(rule) })
    show(error, "")
  } catch (failure) {
    show(error, `Not added: ${errorText(failure)}`)
  }
  await refreshNow()
}

async function removeFault(id) {
  try {
    await control("DELETE", `/faults/${encodeURIComponent(id)}`)
    show($("fault-error"), "")
  } catch (error) {
    show($("fault-error"), `Not removed: ${errorText(error)}`)
  }
  await refreshNow()
}

async function clearFaults() {
  try {
    await control("DELETE", "/faults")
    show($("fault-error"), "")
  } catch (error) {
    show($("fault-error"), `Not removed: ${errorText(error)}`)
  }
  await refreshNow()
}

// --- the journal -----------------------------------------------------------------------------

function statusClass(status) {
  return status === null ? "dropped" : `s${String(status)[0]}xx`
}

function entryMatches(entry) {
  const route = $("filter-route").value.trim().toLowerCase()
  const status = $("filter-status").value
  if (route && !`${entry.path} ${entry.operation ?? ""}`.toLowerCase().includes(route)) return false
  if (status === "dropped") return entry.response.status === null
  if (status) return entry.response.status !== null && String(entry.response.status)[0] === status[0]
  return true
}

function journalRow(entry) {
  const status = entry.response.status
  const open = el("button", {
    type: "button", class: "link", dataset: { focusKey: `seq-${entry.seq}` },
    onclick: () => openEntry(entry.seq),
    text: `${entry.method} ${entry.path}${entry.query ? `?${entry.query}` : ""}`,
  })
  return el("tr", { dataset: { seq: String(entry.seq), status: String(status) }, hidden: !entryMatches(entry) },
    el("td", { class: "num", text: String(entry.seq) }),
    el("td", { class: "time", text: when(entry.time).slice(11) }),
    el("td", {}, open, entry.fault ? el("span", { class: "badge fault", text: `fault ${entry.fault}` }) : null),
    el("td", {}, el("span", { class: `status ${statusClass(status)}`, text: status === null ? "dropped" : String(status) })),
    el("td", { class: "num", text: String(entry.duration_ms) }))
}

function addJournal(entries) {
  if (!entries.length) return
  const tbody = $("journal").tBodies[0]
  const fresh = entries.filter((e) => e.seq > view.since).sort((a, b) => b.seq - a.seq)
  if (!fresh.length) return
  view.since = fresh[0].seq
  view.journal = [...fresh, ...view.journal].slice(0, JOURNAL_KEEP)
  tbody.prepend(...fresh.map(journalRow))
  while (tbody.rows.length > JOURNAL_KEEP) tbody.lastElementChild.remove()
  $("journal-count").textContent = view.skipped
    ? `(${view.journal.length}; ${view.skipped} older not fetched)` : `(${view.journal.length})`
}

function filterJournal() {
  const bySeq = new Map(view.journal.map((e) => [e.seq, e]))
  for (const row of $("journal").tBodies[0].rows) row.hidden = !entryMatches(bySeq.get(Number(row.dataset.seq)))
}

function openEntry(seq) {
  const entry = view.journal.find((e) => e.seq === seq)
  const box = $("entry")
  if (!entry || view.openEntry === seq) {
    view.openEntry = null
    box.hidden = true
    return
  }
  view.openEntry = seq
  box.hidden = false
  $("entry-title").textContent = `#${entry.seq} ${entry.method} ${entry.path}`
  const { request, response } = entry
  $("entry-request").textContent = pretty({
    method: entry.method, path: entry.path, query: entry.query, operation: entry.operation, time: entry.time,
    headers: request.headers, body: request.json ?? request.body, truncated: request.truncated,
  })
  $("entry-response").textContent = pretty({
    status: response.status, fault: entry.fault, duration_ms: entry.duration_ms, body: response.body,
    truncated: response.truncated,
  })
  $("entry-title").scrollIntoView({ block: "nearest" })
}

function resetJournal() {
  view.since = 0
  view.journal = []
  view.skipped = 0
  view.openEntry = null
  $("entry").hidden = true
  $("journal").tBodies[0].replaceChildren()
  $("journal-count").textContent = ""
}

async function clearJournal() {
  try {
    await control("DELETE", "/requests")
  } catch (error) {
    setLive("error", `journal: ${errorText(error)}`)
    return
  }
  const since = view.since
  resetJournal()
  view.since = since // sequence numbers go on counting
}

/** After an action: read the state again now (a failure is the poll's to show). */
async function refreshNow() {
  try {
    await refresh()
  } catch { /* the next poll shows it */ }
}

// --- polling -------------------------------------------------------------------------------------

function setLive(state, text) {
  const live = $("live")
  live.dataset.state = state
  live.textContent = text
}

async function refresh() {
  view.refreshDue = false
  view.lastRefresh = performance.now()
  const generation = view.generation
  const [state, faults, newest] = await Promise.all([
    control("GET", "/state", { raw: true }),
    control("GET", "/faults", { raw: true }),
    view.journalOff ? null : control("GET", "/requests?limit=1"),
    loadNamespaces(),
  ])
  if (generation !== view.generation) return
  if (newest?.requests.length && newest.requests[0].seq < view.since) resetJournal() // a restarted mock
  if (state.text !== view.stateText) {
    view.stateText = state.text
    view.state = state.data
    renderPayments()
    renderReasons()
    renderDetail()
  }
  if (faults.text !== view.faultsText) {
    view.faultsText = faults.text
    renderFaults(faults.data.faults)
  }
}

async function pollJournal() {
  if (view.journalOff) return
  const query = view.since ? `?since=${view.since}&limit=${JOURNAL_FETCH}` : `?limit=${JOURNAL_FETCH}`
  const generation = view.generation
  try {
    const { requests, count } = await control("GET", `/requests${query}`)
    if (generation !== view.generation) return
    if (requests.some((e) => e.seq > view.since && (!READ_ONLY.has(e.method) || e.fault))) view.refreshDue = true
    if (view.since && count > requests.length) view.refreshDue = true // more came than one poll takes
    view.skipped += Math.max(0, count - requests.length)
    addJournal(requests)
  } catch (error) {
    if (error instanceof HttpError && error.status === 409) {
      view.journalOff = true
      show($("journal-off"), `${error.message}; the state is read again every second instead.`)
      return
    }
    throw error
  }
}

async function tick() {
  if (view.stopped) return
  let delay = document.hidden ? HIDDEN_POLL_MS : POLL_MS
  try {
    await pollJournal()
    const every = document.hidden ? 4 * REFRESH_MS : view.journalOff ? 1000 : REFRESH_MS
    const due = performance.now() - view.lastRefresh > every
    if (view.refreshDue || due) await refresh()
    setLive("live", `live · ${view.namespace}`)
  } catch (error) {
    delay = 2000
    if (!(error instanceof HttpError && error.status === 401)) setLive("error", `offline: ${errorText(error)}`)
  }
  setTimeout(tick, delay)
}

// --- namespaces and the token ----------------------------------------------------------------------

async function loadNamespaces() {
  const select = $("namespace")
  let names = [view.namespace]
  try {
    const { namespaces } = await control("GET", "/namespaces")
    names = [...new Set([...namespaces.map((n) => n.name), view.namespace])]
  } catch { /* shown by the poll */ }
  const shown = [...select.options].map((o) => o.value)
  if (shown.join("\n") !== names.join("\n")) {
    select.replaceChildren(...names.map((name) => el("option", { value: name, text: name })))
  }
  select.value = view.namespace
}

function switchNamespace(name) {
  if (!NAME.test(name)) {
    setLive("error", `not a namespace name: ${name.slice(0, 64)} (1 to 64 of A-Z a-z 0-9 _ . -, starting with a letter or digit)`)
    return
  }
  view.namespace = name
  view.generation += 1
  const url = new URL(location.href)
  if (name === "default") url.searchParams.delete("namespace")
  else url.searchParams.set("namespace", name)
  history.replaceState(null, "", url)
  view.stateText = view.faultsText = ""
  view.openPayment = null
  view.journalOff = false
  $("detail").hidden = true
  show($("journal-off"), "")
  resetJournal()
  view.refreshDue = true
  loadNamespaces()
}

function askForToken(message) {
  const panel = $("token-panel")
  if (panel.hidden) {
    panel.hidden = false
    $("token").focus()
  }
  show($("token-error"), sessionStorage.getItem(TOKEN_KEY) ? message : "")
  setLive("error", "needs the control token")
}

function useToken(event) {
  event.preventDefault()
  sessionStorage.setItem(TOKEN_KEY, $("token").value)
  $("token").value = ""
  $("token-panel").hidden = true
  view.refreshDue = true
  loadNamespaces()
}

// --- start -------------------------------------------------------------------------------------------

function start() {
  $("namespace").addEventListener("change", (e) => switchNamespace(e.target.value))
  $("namespace-form").addEventListener("submit", (e) => {
    e.preventDefault()
    const name = $("namespace-new").value.trim()
    if (name) switchNamespace(name)
    $("namespace-new").value = ""
  })
  $("token-form").addEventListener("submit", useToken)
  $("login-form").addEventListener("submit", login)
  $("logout").addEventListener("click", logout)
  $("reset").addEventListener("click", reset)
  $("load-file").addEventListener("change", pickFile)
  $("load-form").addEventListener("submit", load)
  $("fault-form").addEventListener("submit", addFault)
  $("faults-clear").addEventListener("click", clearFaults)
  $("refund-form").addEventListener("submit", refund)
  $("detail-close").addEventListener("click", () => openPayment(view.openPayment))
  $("raw-reload").addEventListener("click", loadRaw)
  $("entry-close").addEventListener("click", () => openEntry(view.openEntry))
  $("journal-clear").addEventListener("click", clearJournal)
  $("journal-filter").addEventListener("submit", (e) => e.preventDefault())
  $("filter-route").addEventListener("input", filterJournal)
  $("filter-status").addEventListener("change", filterJournal)
  if (!NAME.test(view.namespace)) view.namespace = "default"
  renderLogin()
  loadNamespaces()
  tick()
}

start()
