// Drives tests/browser/index.html in Debian's headless Chromium through playwright-core
// (which downloads no browser) and prints what happened as one JSON line on stdout; the
// assertions live in tests/test_browser.py. Progress and diagnostics go to stderr.
//
// Environment:
//   MOCK_URL      the backend as the page calls it, e.g. http://localhost:9000
//   PAGE_PORT     port for the page's static server (bound to 127.0.0.1; the page is
//                 opened as http://localhost:PAGE_PORT or http://127.0.0.1:PAGE_PORT)
//   PAGE_FD       optional: a socket already listening on 127.0.0.1:PAGE_PORT, inherited
//                 from the test, to serve on instead of binding the port here
//   SCENARIO      "session-flow": on http://localhost:PAGE_PORT (an allowed origin) log in,
//                 refund, log out, try again;
//                 "blocked-origin": on http://127.0.0.1:PAGE_PORT (not in the CORS lists)
//                 try to log in, and to refund with a valid bearer token;
//                 "cross-site-cookie": on http://localhost:PAGE_PORT with MOCK_URL on
//                 http://127.0.0.1:... (both allowed by CORS): log in, then refund
//                 "fault-500": on http://localhost:PAGE_PORT (allowed), with a fault rule
//                 on the refund route (set up beforehand by the test, or by the page when
//                 FAULT is given): log in, refund (the page must show an error), then
//                 refund again (it must go through)
//   FAULT         a fault rule (JSON) the page itself posts to MOCK_URL/__mock/faults, as a
//                 browser test runner on the app's origin would
//   PAYMENT, AMOUNT, NOTE   the refund to make
//   CHROMIUM      the browser binary (default /usr/bin/chromium)
//   ARTIFACTS_DIR where a screenshot of a failure goes (default: none)
import path from "node:path"
import { fileURLToPath } from "node:url"

import { chromium } from "playwright-core"

import { startServer } from "../browser/server.mjs"

const HERE = path.dirname(fileURLToPath(import.meta.url))
const env = (name, fallback) => {
  const value = process.env[name] ?? fallback
  if (value === undefined) throw new Error(`${name} is not set`)
  return value
}
const MOCK_URL = env("MOCK_URL")
const PAGE_PORT = Number(env("PAGE_PORT"))
const PAGE_FD = process.env.PAGE_FD === undefined ? undefined : Number(process.env.PAGE_FD)
const SCENARIO = env("SCENARIO")
const CHROMIUM = env("CHROMIUM", "/usr/bin/chromium")
const ARTIFACTS_DIR = process.env.ARTIFACTS_DIR
const ADMIN = { email: "admin@example.com", password: "supersecret" }
const STEP_TIMEOUT = 15_000

const log = (...args) => console.error("[browser-driver]", ...args)

// Everything in one place so the runner can print it when a step fails.
const report = { scenario: SCENARIO, console: [], requests: [], failedRequests: [] }

async function main() {
  const page_ = await startServer({ port: PAGE_PORT, host: "127.0.0.1", fd: PAGE_FD })
  log(`page server on ${page_.url}`)
  let browser
  try {
    try {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          // loopback only: any other host name fails to resolve inside the browser
          "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"],
        timeout: 30_000,
      })
    } catch (error) {
      throw new Error(`cannot start Chromium at ${CHROMIUM}: ${error.message}`)
    }
    report.browserVersion = browser.version()
    log(`Chromium ${report.browserVersion}`)
    const context = await browser.newContext()
    const page = await context.newPage()
    page.setDefaultTimeout(STEP_TIMEOUT)
    page.on("console", (message) => report.console.push(`${message.type()}: ${message.text()}`))
    page.on("pageerror", (error) => report.console.push(`pageerror: ${error.message}`))
    page.on("requestfinished", async (request) => {
      if (!request.url().startsWith(MOCK_URL)) return
      const response = await request.response()
      report.requests.push(`${request.method()} ${new URL(request.url()).pathname} → ${response?.status()}`)
    })
    page.on("requestfailed", (request) => {
      report.failedRequests.push(`${request.method()} ${new URL(request.url()).pathname}: ${request.failure()?.errorText}`)
    })

    try {
      if (SCENARIO === "session-flow") await sessionFlow(page, context)
      else if (SCENARIO === "blocked-origin") await blockedOrigin(page)
      else if (SCENARIO === "cross-site-cookie") await crossSiteCookie(page, context)
      else if (SCENARIO === "fault-500") await fault500(page)
      else throw new Error(`unknown SCENARIO ${SCENARIO}`)
    } catch (error) {
      report.pageText = await page.locator("body").innerText().catch(() => "(no page)")
      if (ARTIFACTS_DIR) {
        report.screenshot = path.join(ARTIFACTS_DIR, `${SCENARIO}-failure.png`)
        await page.screenshot({ path: report.screenshot, fullPage: true }).catch(() => {})
      }
      throw error
    }
  } finally {
    await browser?.close()
    await page_.close()
  }
}

async function openPage(page, origin) {
  const url = `${origin}/?backend=${encodeURIComponent(MOCK_URL)}`
  log(`open ${url}`)
  await page.goto(url)
  await waitForState(page, ["ready"])
}

/** Wait until #status has one of `states`; returns { state, status, error }. */
async function waitForState(page, states) {
  await page.waitForFunction(
    (wanted) => wanted.includes(document.getElementById("status").dataset.state), states)
  return page.evaluate(() => ({
    state: document.getElementById("status").dataset.state,
    status: document.getElementById("status").textContent,
    error: document.getElementById("error").hidden ? null : document.getElementById("error").textContent,
  }))
}

/** Click a button and wait for the page to settle; it must end in state `expected`. */
async function click(page, button, expected) {
  await page.click(`#${button}`)
  const outcome = await waitForState(page, [expected, "error"])
  log(`${button}: ${outcome.state}${outcome.error ? ` (${outcome.error})` : ""}`)
  if (outcome.state !== expected) {
    throw new Error(`after clicking ${button} the page should be "${expected}" but shows ` +
      `"${outcome.status}"${outcome.error ? `: ${outcome.error}` : ""}`)
  }
  return outcome
}

async function sessionFlow(page, context) {
  await openPage(page, `http://localhost:${PAGE_PORT}`)
  report.origin = await page.evaluate(() => location.origin)

  await page.fill("#email", ADMIN.email)
  await page.fill("#password", ADMIN.password)
  report.login = await click(page, "login", "logged-in")
  report.who = await page.textContent("#who")
  report.cookiesAfterLogin = (await context.cookies(MOCK_URL)).map(
    ({ name, domain, path: cookiePath, httpOnly, secure, sameSite }) => ({ name, domain, path: cookiePath, httpOnly, secure, sameSite }))
  report.documentCookie = await page.evaluate(() => document.cookie) // HttpOnly: not visible here

  await page.fill("#payment", env("PAYMENT"))
  await page.fill("#amount", env("AMOUNT"))
  await page.fill("#note", env("NOTE", ""))
  report.refund = await click(page, "refund", "refunded")
  report.result = await page.textContent("#result")
  report.refundRows = await page.$$eval("#refunds tbody tr", (rows) =>
    rows.map((row) => [...row.cells].map((cell) => cell.textContent)))

  report.logout = await click(page, "logout", "logged-out")
  report.cookiesAfterLogout = (await context.cookies(MOCK_URL)).map((c) => c.name)

  report.refundAfterLogout = await click(page, "refund", "error")
}

async function blockedOrigin(page) {
  // Same static server, other host name: http://127.0.0.1:PORT is not http://localhost:PORT.
  await openPage(page, `http://127.0.0.1:${PAGE_PORT}`)
  report.origin = await page.evaluate(() => location.origin)

  await page.fill("#email", ADMIN.email)
  await page.fill("#password", ADMIN.password)
  report.login = await click(page, "login", "error")

  // Even with a valid token (got outside the browser, where CORS does not apply), the
  // refund's preflight gets no Access-Control-Allow-Origin, so Chromium never sends it.
  const response = await fetch(`${MOCK_URL}/auth/user/emailpass`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(ADMIN),
  })
  const { token } = await response.json()
  report.refundWithToken = await page.evaluate(async ({ token, payment, amount }) => {
    const { Medusa, FetchError, backend } = window.adminPage
    const sdk = new Medusa({ baseUrl: backend, auth: { type: "jwt", jwtTokenStorageMethod: "memory" } })
    await sdk.client.setToken(token)
    try {
      await sdk.admin.payment.refund(payment, { amount: Number(amount) })
      return "resolved"
    } catch (error) {
      return `${error instanceof FetchError ? "FetchError" : error.name}: ${error.message}`
    }
  }, { token, payment: env("PAYMENT"), amount: env("AMOUNT") })
  log(`refund with a bearer token: ${report.refundWithToken}`)
}

async function crossSiteCookie(page, context) {
  // localhost and 127.0.0.1 are different sites: Medusa's cookie has no SameSite attribute,
  // so Chromium treats it as Lax and neither stores nor sends it on these cross-site fetches.
  await openPage(page, `http://localhost:${PAGE_PORT}`)
  report.origin = await page.evaluate(() => location.origin)
  await page.fill("#email", ADMIN.email)
  await page.fill("#password", ADMIN.password)
  report.login = await click(page, "login", "logged-in")
  report.cookiesAfterLogin = (await context.cookies(MOCK_URL)).map((c) => c.name)
  await page.fill("#payment", env("PAYMENT"))
  await page.fill("#amount", env("AMOUNT"))
  report.refund = await click(page, "refund", "error")
}

/** The payment's refunds as the mock holds them (its control API, from outside the page). */
async function storedRefunds(paymentId) {
  const response = await fetch(`${MOCK_URL}/__mock/state`)
  if (!response.ok) throw new Error(`GET /__mock/state answered ${response.status}`)
  const payment = (await response.json()).payments.find((p) => p.id === paymentId)
  return payment.refunds.map(({ amount, note }) => ({ amount, note }))
}

async function fault500(page) {
  // The rule (times: 1) answers the first refund; what the page shows must be Medusa's
  // error through the SDK, not a CORS failure. The retry then reaches the handler.
  await openPage(page, `http://localhost:${PAGE_PORT}`)
  report.origin = await page.evaluate(() => location.origin)
  await page.fill("#email", ADMIN.email)
  await page.fill("#password", ADMIN.password)
  report.login = await click(page, "login", "logged-in")
  if (process.env.FAULT) {
    report.faultAdded = await page.evaluate(async (rule) => {
      const response = await fetch(`${window.adminPage.backend}/__mock/faults`, {
        method: "POST", headers: { "content-type": "application/json" }, body: rule,
      })
      return { status: response.status, rule: await response.json() }
    }, process.env.FAULT)
    log(`fault added by the page: ${JSON.stringify(report.faultAdded)}`)
  }
  await page.fill("#payment", env("PAYMENT"))
  await page.fill("#amount", env("AMOUNT"))
  await page.fill("#note", env("NOTE", ""))
  report.refund = await click(page, "refund", "error")
  report.storedAfterFault = await storedRefunds(env("PAYMENT"))
  report.retry = await click(page, "refund", "refunded")
  report.refundRows = await page.$$eval("#refunds tbody tr", (rows) =>
    rows.map((row) => [...row.cells].map((cell) => cell.textContent)))
}

const deadline = setTimeout(() => {
  console.error("[browser-driver] gave up after 120 s")
  console.log(JSON.stringify({ ...report, failure: "timed out after 120 s" }))
  process.exit(1)
}, 120_000)
deadline.unref()

try {
  await main()
  console.log(JSON.stringify(report))
} catch (error) {
  log(error.stack || String(error))
  console.log(JSON.stringify({ ...report, failure: error.message }))
  process.exitCode = 1
}
