// Drives the mock's own dashboard (MOCK_URL/__mock/ui) in Debian's headless Chromium through
// playwright-core and prints what happened as one JSON line on stdout; the assertions live
// in tests/test_dashboard.py. Progress goes to stderr.
//
// Environment:
//   MOCK_URL       the mock, e.g. http://127.0.0.1:9000 (the page is served by it)
//   SCENARIO       "tour": at 1280x800, a refund through the SDK shows up live, the page's own
//                  refund and over-refund, a fault rule added on the page fails the next SDK
//                  refund and is removed, an invalid fixture is refused in place, another
//                  namespace, the journal filters, reset; then 390 px wide, with screenshots;
//                  "token": a mock with a control token: the page asks for it, then works
//   CONTROL_TOKEN  the token to type in ("token")
//   PAYMENT        a captured payment of 100 (the fixtures' "captured")
//   CHROMIUM       the browser binary (default /usr/bin/chromium)
//   ARTIFACTS_DIR  where screenshots go (dashboard-1280.png, dashboard-390.png, failures)
import path from "node:path"

import Medusa, { FetchError } from "@medusajs/js-sdk"
import { chromium } from "playwright-core"

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback
  if (value === undefined) throw new Error(`${name} is not set`)
  return value
}
const MOCK_URL = env("MOCK_URL")
const SCENARIO = env("SCENARIO")
const CHROMIUM = env("CHROMIUM", "/usr/bin/chromium")
const ARTIFACTS_DIR = process.env.ARTIFACTS_DIR
const ADMIN = { email: "admin@example.com", password: "supersecret" }
const STEP_TIMEOUT = 10_000
const LIVE_WITHIN_MS = 1000

// A fixture document picked as a file on the page (in another namespace).
const STORY = `refund_reasons:
  - label: Damaged
    code: damaged
  - label: Old reason
    code: old_reason
    deleted: true
payments:
  - id: pay_story_1
    amount: 20
    currency_code: eur
    captured: true
    refunds:
      - amount: 5
        refund_reason: damaged
        note: Box crushed
`

const log = (...args) => console.error("[dashboard-driver]", ...args)
const report = { scenario: SCENARIO, console: [], failedRequests: [], screenshots: {} }

async function main() {
  let browser
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"],
      timeout: 30_000,
    })
    report.browserVersion = browser.version()
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    const page = await context.newPage()
    page.setDefaultTimeout(STEP_TIMEOUT)
    page.on("console", (m) => {
      if (["error", "warning"].includes(m.type())) report.console.push(`${m.type()}: ${m.text()}`)
    })
    page.on("pageerror", (error) => report.console.push(`pageerror: ${error.message}`))
    page.on("requestfailed", (r) => report.failedRequests.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText}`))
    try {
      if (SCENARIO === "tour") await tour(page)
      else if (SCENARIO === "token") await token(page)
      else throw new Error(`unknown SCENARIO ${SCENARIO}`)
    } catch (error) {
      report.pageText = await page.locator("body").innerText().catch(() => "(no page)")
      await shoot(page, `${SCENARIO}-failure`)
      throw error
    }
  } finally {
    await browser?.close()
  }
}

async function shoot(page, name, options = {}) {
  if (!ARTIFACTS_DIR) return
  const file = path.join(ARTIFACTS_DIR, `${name}.png`)
  await page.screenshot({ path: file, ...options }).catch((e) => log(`screenshot ${name}: ${e.message}`))
  report.screenshots[name] = file
}

async function control(method, route, body) {
  const response = await fetch(`${MOCK_URL}/__mock${route}`, {
    method, ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  })
  return response.json()
}

const rowState = (page, id) => page.evaluate((id) =>
  document.querySelector(`#payments tr[data-payment="${id}"]`)?.dataset.state ?? null, id)

async function waitForRowState(page, id, state, timeout = STEP_TIMEOUT) {
  await page.waitForFunction(([id, state]) =>
    document.querySelector(`#payments tr[data-payment="${id}"]`)?.dataset.state === state, [id, state], { timeout })
}

const rows = (page, selector) => page.$$eval(selector, (trs) =>
  trs.filter((tr) => !tr.hidden).map((tr) => [...tr.cells].map((td) => td.textContent.trim())))

async function openDashboard(page) {
  await page.goto(`${MOCK_URL}/__mock/ui`)
  await page.waitForSelector("#live[data-state=live]")
  await page.waitForSelector("#payments tbody tr")
}

async function tour(page) {
  const payment = env("PAYMENT")
  await openDashboard(page)
  report.initialRows = await rows(page, "#payments tbody tr")
  report.initialStates = await page.$$eval("#payments tbody tr", (trs) => trs.map((tr) => [tr.dataset.payment, tr.dataset.state]))
  report.reasons = await page.$$eval("#reasons tbody tr", (trs) => trs.map((tr) => tr.cells[1].textContent))

  // 1. A refund through the SDK shows up on the open page, without a reload.
  const sdk = new Medusa({ baseUrl: MOCK_URL, auth: { type: "jwt", jwtTokenStorageMethod: "memory" } })
  await sdk.auth.login("user", "emailpass", ADMIN)
  await page.evaluate(() => { window.__notReloaded = true })
  const started = Date.now()
  await sdk.admin.payment.refund(payment, { amount: 25, note: "From the API" })
  try {
    await waitForRowState(page, payment, "partially-refunded", LIVE_WITHIN_MS)
    await page.waitForFunction((id) => [...document.querySelectorAll("#journal tbody tr")].some(
      (tr) => tr.cells[2].textContent.startsWith(`POST /admin/payments/${id}/refund`) && tr.dataset.status === "200"),
    payment, { timeout: LIVE_WITHIN_MS })
    report.liveRefund = { shown: true }
  } catch {
    report.liveRefund = { shown: false }
  }
  report.liveRefund.ms = Date.now() - started
  report.liveRefund.notReloaded = await page.evaluate(() => window.__notReloaded === true)
  log(`live refund: ${JSON.stringify(report.liveRefund)}`)

  // 2. The payment's details, opened with the keyboard: Tab to its button, Enter.
  await page.focus("#namespace-new")
  let focused = null
  for (let i = 0; i < 60 && focused !== payment; i++) {
    await page.keyboard.press("Tab")
    focused = await page.evaluate(() => document.activeElement?.closest("#payments tr")?.dataset.payment ?? null)
  }
  report.keyboardReached = focused === payment
  await page.keyboard.press("Enter")
  await page.waitForSelector("#detail:not([hidden])")
  report.detailTitle = await page.textContent("#detail-title")
  report.detailRefunds = await rows(page, "#refunds tbody tr")
  report.rawBeforeLogin = await page.textContent("#raw")

  // 3. Log in on the page, refund through Medusa's route, then ask for too much.
  await page.click("#login")
  await page.waitForFunction(() => document.getElementById("login-result").dataset.kind === "ok")
  report.login = await page.textContent("#login-result")
  await page.waitForFunction(() => document.getElementById("raw").dataset.kind === "ok")
  report.raw = JSON.parse(await page.textContent("#raw"))
  const refundOnPage = async (amount, note) => {
    await page.fill("#refund-amount", amount)
    await page.fill("#refund-note", note)
    await page.evaluate(() => { document.getElementById("refund-result").hidden = true })
    await page.click("#refund-submit")
    await page.waitForSelector("#refund-result:not([hidden])")
    return { kind: await page.getAttribute("#refund-result", "data-kind"), text: await page.textContent("#refund-result") }
  }
  report.pageRefund = await refundOnPage("10", "From the page")
  await page.waitForFunction(() => document.querySelectorAll("#refunds tbody tr").length === 2)
  report.overRefund = await refundOnPage("1000", "Too much")
  report.detailRefundsAfter = await rows(page, "#refunds tbody tr")
  report.barLabel = await page.getAttribute(`#payments tr[data-payment="${payment}"] .bar`, "aria-label")

  // 4. A fault rule added on the page fails the next SDK refund; removed on the page.
  await page.selectOption("#fault-method", "POST")
  await page.fill("#fault-path", "/admin/payments/{id}/refund")
  await page.fill("#fault-status", "500")
  await page.fill("#fault-times", "1")
  await page.selectOption("#fault-when", "before")
  await page.click("#fault-add")
  await page.waitForSelector("#faults tbody tr")
  report.faultRows = await rows(page, "#faults tbody tr")
  report.faultsAfterAdd = (await control("GET", "/faults")).faults
  try {
    await sdk.admin.payment.refund(payment, { amount: 1 })
    report.sdkRefundWithFault = "resolved"
  } catch (error) {
    report.sdkRefundWithFault = error instanceof FetchError
      ? { status: error.status, message: error.message } : `${error.name}: ${error.message}`
  }
  await page.waitForFunction(() => [...document.querySelectorAll("#journal tbody tr")].some((tr) => tr.dataset.status === "500"))
  await page.waitForFunction(() => document.querySelector("#faults tbody tr td:nth-child(4)")?.textContent === "1 / 1")
  report.faultRowsFired = await rows(page, "#faults tbody tr")
  await page.selectOption("#filter-status", "5xx")
  report.journal5xx = await rows(page, "#journal tbody tr")
  await page.selectOption("#filter-status", "")
  await page.fill("#filter-route", "/auth")
  report.journalAuth = await rows(page, "#journal tbody tr")
  await page.fill("#filter-route", "")
  await page.click(`#journal tbody tr[data-status="500"] button`)
  await page.waitForSelector("#entry:not([hidden])")
  report.entryRequest = JSON.parse(await page.textContent("#entry-request"))
  report.entryResponse = JSON.parse(await page.textContent("#entry-response"))
  await page.evaluate(() => window.scrollTo(0, 0))
  await shoot(page, "dashboard-1280")

  await page.click("#faults tbody tr button")
  await page.waitForFunction(() => document.querySelectorAll("#faults tbody tr").length === 0)
  report.faultsAfterRemove = (await control("GET", "/faults")).faults

  // 5. An invalid fixture pasted: the reason and the path in place, nothing changed.
  report.stateBeforeLoad = await control("GET", "/state")
  await page.fill("#load-text", "payments:\n  - amount: 100\n    captured: true\n    currency_code: USD\n")
  await page.click("#load")
  await page.waitForSelector("#load-error:not([hidden])")
  report.loadError = {
    message: await page.textContent("#load-error-message"),
    path: await page.textContent("#load-error-path"),
    text: (await page.textContent("#load-error")).replace(/\s+/g, " ").trim(),
  }
  report.stateAfterLoad = await control("GET", "/state")

  // 6. Another namespace: its own state; then back to the default one.
  await page.fill("#namespace-new", "demo-1")
  await page.press("#namespace-new", "Enter")
  await page.waitForFunction(() => document.getElementById("live").textContent.includes("demo-1"))
  await waitForRowState(page, payment, "captured")
  report.otherNamespace = { url: page.url(), state: await rowState(page, payment), journal: await rows(page, "#journal tbody tr") }
  // ... where a fixture picked as a file loads (the default namespace keeps its state),
  // with a deleted refund reason, marked so and not offered by the refund form.
  await page.setInputFiles("#load-file", { name: "story.yaml", mimeType: "text/yaml", buffer: Buffer.from(STORY) })
  await page.waitForFunction(() => document.getElementById("load-text").value.includes("Old reason"))
  await page.click("#load")
  await page.waitForFunction(() => document.getElementById("load-result").dataset.kind === "ok")
  await page.waitForFunction(() => document.querySelectorAll("#payments tbody tr").length === 1)
  report.storyLoaded = {
    result: await page.textContent("#load-result"),
    errorHidden: await page.isHidden("#load-error"),
    payments: await rows(page, "#payments tbody tr"),
    reasons: await page.$$eval("#reasons tbody tr", (trs) => trs.map((tr) => ({
      label: tr.querySelector(".label").textContent, badge: tr.querySelector(".badge")?.textContent ?? null,
      deleted: tr.classList.contains("deleted"),
      struck: getComputedStyle(tr.querySelector(".label")).textDecorationLine,
    }))),
    reasonOptions: await page.$$eval("#refund-reason option", (options) => options.map((o) => o.textContent)),
  }
  await page.selectOption("#namespace", "default")
  await waitForRowState(page, payment, "partially-refunded")
  report.backToDefault = { url: page.url(), state: await rowState(page, payment) }

  // 7. Reset from the page.
  await page.click("#reset")
  await waitForRowState(page, payment, "captured")
  report.reset = await page.textContent("#reset-result")
  report.stateAfterReset = await control("GET", "/state")

  // 8. A phone-sized screen: no sideways scrolling, still usable.
  report.consoleBeforeNarrow = report.console.length
  await page.setViewportSize({ width: 390, height: 844 })
  await page.waitForTimeout(200)
  report.narrow = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
  }))
  const other = report.initialStates.find(([, state]) => state === "partially-refunded")[0]
  await page.click(`#payments tr[data-payment="${other}"] button`)
  await page.waitForFunction((id) => document.getElementById("detail-title").textContent.endsWith(id), other)
  report.narrowDetail = await page.evaluate(() => {
    const box = document.getElementById("detail").getBoundingClientRect()
    return { left: box.left, right: box.right, refunds: document.querySelectorAll("#refunds tbody tr").length,
      scrollWidth: document.documentElement.scrollWidth }
  })
  await page.evaluate(() => window.scrollTo(0, 0))
  await shoot(page, "dashboard-390", { fullPage: true })
  await page.waitForTimeout(3 * 400) // a few more polls at this size
}

async function token(page) {
  await page.goto(`${MOCK_URL}/__mock/ui`)
  await page.waitForSelector("#token-panel:not([hidden])")
  report.asked = await page.textContent("#live")
  report.focusedInput = await page.evaluate(() => document.activeElement?.id)
  await page.fill("#token", "not-the-token")
  await page.press("#token", "Enter")
  await page.waitForSelector("#token-error:not([hidden])")
  report.wrongToken = await page.textContent("#token-error")
  await page.fill("#token", env("CONTROL_TOKEN"))
  await page.click("#token-form button")
  await page.waitForSelector("#live[data-state=live]")
  await page.waitForSelector("#payments tbody tr")
  report.payments = (await rows(page, "#payments tbody tr")).length
  report.tokenPanelHidden = await page.isHidden("#token-panel")
  await page.click("#reset")
  await page.waitForFunction(() => document.getElementById("reset-result").dataset.kind)
  report.reset = { kind: await page.getAttribute("#reset-result", "data-kind"), text: await page.textContent("#reset-result") }
}

const deadline = setTimeout(() => {
  console.error("[dashboard-driver] gave up after 120 s")
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
