// A minimal admin page: the official @medusajs/js-sdk (bundled by server.mjs as /sdk.js) in
// session mode, exactly as a Vite admin app would use it:
//   new Medusa({ baseUrl: import.meta.env.VITE_BACKEND_URL, auth: { type: "session" } })
// The backend comes from ?backend=... (default http://localhost:9000, Medusa's port).
import Medusa, { FetchError } from "./sdk.js"

const $ = (id) => document.getElementById(id)
const params = new URLSearchParams(location.search)
const backend = params.get("backend") || "http://localhost:9000"

const sdk = new Medusa({ baseUrl: backend, auth: { type: "session" } })
window.adminPage = { sdk, Medusa, FetchError, backend } // for a test driver's page.evaluate

$("backend").textContent = backend
$("origin").textContent = location.origin
for (const field of ["email", "password", "payment", "amount", "note"]) {
  if (params.has(field)) $(field).value = params.get(field)
}

function setStatus(state, text) {
  $("status").dataset.state = state
  $("status").textContent = text
  if (state !== "error") $("error").hidden = true
}

/** What the SDK threw, as a developer would print it. */
function describe(error) {
  if (error instanceof FetchError) return `${error.status} ${error.statusText}: ${error.message}`
  return `${error.name}: ${error.message}`
}

function showError(action, error) {
  setStatus("error", `${action} failed`)
  $("error").hidden = false
  $("error").textContent = describe(error)
  console.error(`${action} failed:`, error)
}

function setButtons(loggedIn) {
  $("login").disabled = loggedIn
  $("logout").disabled = !loggedIn
  $("refund").disabled = false // also allowed when logged out: the backend must refuse it
}

function claims(token) {
  const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")
  return JSON.parse(atob(payload))
}

function money(amount, currency) {
  return `${amount.toFixed(2)} ${currency.toUpperCase()}`
}

function renderRefunds(payment) {
  const body = $("refunds").querySelector("tbody")
  body.replaceChildren(...payment.refunds.map((refund) => {
    const row = document.createElement("tr")
    row.dataset.refundId = refund.id
    for (const value of [refund.id, money(refund.amount, payment.currency_code), refund.note ?? "", refund.created_by ?? ""]) {
      const cell = document.createElement("td")
      cell.textContent = value
      row.append(cell)
    }
    return row
  }))
  $("refunds").hidden = false
}

$("login").addEventListener("click", async () => {
  setStatus("busy", "logging in…")
  try {
    // POST /auth/user/emailpass, then POST /auth/session: the backend sets connect.sid
    const token = await sdk.auth.login("user", "emailpass", { email: $("email").value, password: $("password").value })
    $("who").textContent = `Signed in as ${$("email").value} (${claims(token).actor_id})`
    setButtons(true)
    setStatus("logged-in", "logged in")
  } catch (error) {
    showError("Login", error)
  }
})

$("refund").addEventListener("click", async () => {
  setStatus("busy", "refunding…")
  const id = $("payment").value.trim()
  const amount = Number($("amount").value)
  const note = $("note").value.trim()
  try {
    const { payment } = await sdk.admin.payment.refund(
      id, { amount, ...(note ? { note } : {}) }, { fields: "+refunds.created_by" })
    const refunded = payment.refunds.reduce((sum, r) => sum + r.amount, 0)
    $("result").textContent =
      `Refunded ${money(amount, payment.currency_code)} on ${payment.id}; ` +
      `${money(refunded, payment.currency_code)} refunded in total.`
    renderRefunds(payment)
    setStatus("refunded", "refund done")
  } catch (error) {
    showError("Refund", error)
  }
})

$("logout").addEventListener("click", async () => {
  setStatus("busy", "logging out…")
  try {
    await sdk.auth.logout() // DELETE /auth/session
    $("who").textContent = ""
    setButtons(false)
    setStatus("logged-out", "logged out")
  } catch (error) {
    showError("Logout", error)
  }
})

setButtons(false)
setStatus("ready", "ready")
