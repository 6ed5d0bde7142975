// The request journal and fault rules (/__mock/requests, /__mock/faults) seen from the SDK:
// what sdk.admin.payment.refund sent is found exactly in the journal, verification passes
// and fails as it should, and fault rules reach the SDK as Medusa's errors would.
import assert from "node:assert/strict"
import { before, beforeEach, test } from "node:test"

import Medusa, { FetchError } from "@medusajs/js-sdk"

import {
  ADMIN, CAPTURED, EPSILON, MOCK_URL, clearSteering, control, journal, mockState, rejection, resetMock,
} from "./helpers.mjs"

const ROUTE = "/admin/payments/{id}/refund"
const CAPTURED_REFUND = `/admin/payments/${CAPTURED}/refund`
// Medusa's 500 as the SDK turns it into a FetchError
const UNKNOWN_ERROR = { status: 500, statusText: "Internal Server Error", message: "An unknown error occurred." }
const UNKNOWN_ERROR_BODY = { code: "unknown_error", type: "unknown_error", message: "An unknown error occurred." }

let sdk, reasons
before(async () => {
  sdk = new Medusa({ baseUrl: MOCK_URL, auth: { type: "jwt", jwtTokenStorageMethod: "memory" } })
  await sdk.auth.login("user", "emailpass", ADMIN)
})
beforeEach(async () => {
  await resetMock()
  await clearSteering()
  // refund reason ids are made anew by every reset
  reasons = Object.fromEntries((await mockState()).refund_reasons.map((r) => [r.code, r.id]))
})

async function verify(criteria) {
  return control("POST", "/requests/verify", criteria)
}

async function storedRefunds(paymentId) {
  const payment = (await mockState()).payments.find((p) => p.id === paymentId)
  return payment.refunds.map((r) => ({ amount: r.amount, note: r.note ?? null, reason: r.refund_reason ?? null }))
}

test("the journal holds exactly the refunds the SDK sent, newest first", async () => {
  const first = { amount: 25, refund_reason_id: reasons.shipping_issue, note: "Parcel lost" }
  const other = { amount: 5 }
  const second = { amount: 10, refund_reason_id: reasons.pricing_error }
  await sdk.admin.payment.refund(CAPTURED, first)
  await sdk.admin.payment.retrieve(CAPTURED)
  await sdk.admin.payment.refund(EPSILON, other)
  const answer = await sdk.admin.payment.refund(CAPTURED, second)

  const found = await journal({ path: CAPTURED_REFUND, method: "POST" })
  assert.equal(found.count, 2)
  assert.deepEqual(found.requests.map((e) => e.request.json), [second, first])
  assert.ok(found.requests[0].seq > found.requests[1].seq)
  for (const entry of found.requests) {
    assert.deepEqual(
      [entry.method, entry.path, entry.query, entry.operation, entry.fault, entry.response.status],
      ["POST", CAPTURED_REFUND, "", "PostPaymentsIdRefund", null, 200])
    assert.equal(entry.request.headers.authorization, "[redacted]")
    assert.equal(entry.request.headers["content-type"], "application/json")
  }
  assert.deepEqual(found.requests[0].response.body, answer) // what the SDK resolved with

  // A route template finds the refunds on every payment; GETs are not refunds.
  const route = await journal({ path: ROUTE, method: "POST" })
  assert.equal(route.count, 3)
  assert.deepEqual(route.requests.map((e) => e.request.json), [second, other, first])
  assert.deepEqual(route.requests.map((e) => e.path),
    [CAPTURED_REFUND, `/admin/payments/${EPSILON}/refund`, CAPTURED_REFUND])
  const everything = await journal()
  assert.deepEqual(everything.requests.map((e) => `${e.method} ${e.path}`), [
    `POST ${CAPTURED_REFUND}`,
    `POST /admin/payments/${EPSILON}/refund`,
    `GET /admin/payments/${CAPTURED}`,
    `POST ${CAPTURED_REFUND}`,
  ])
  const limited = await journal({ path: ROUTE, limit: 1 })
  assert.equal(limited.count, 3) // counted before the limit
  assert.deepEqual(limited.requests.map((e) => e.request.json), [second])
})

test("verify: 200 when the count holds, 409 with what was sent instead when it does not", async () => {
  const first = { amount: 25, refund_reason_id: reasons.shipping_issue }
  const second = { amount: 10, refund_reason_id: reasons.pricing_error, note: "Overcharged" }
  await sdk.admin.payment.refund(CAPTURED, first)
  await sdk.admin.payment.refund(CAPTURED, second)
  const route = { method: "POST", path: ROUTE }

  assert.deepEqual(await verify({ ...route, times: 2 }), { status: 200, body: { ok: true, count: 2 } })
  assert.deepEqual(await verify({ ...route, body: first, times: 1 }), { status: 200, body: { ok: true, count: 1 } })
  assert.deepEqual(await verify({ ...route, body: { amount: 25 }, at_least: 1, at_most: 1 }),
    { status: 200, body: { ok: true, count: 1 } })

  assert.deepEqual(await verify({ ...route, times: 3 }), {
    status: 409,
    body: {
      ok: false,
      message: "expected exactly 3 matching request(s), got 2",
      expected: { times: 3 },
      actual: 2,
      near_misses: [], // every request there is matched
    },
  })

  // One refund of 25 for a pricing error: none was sent; the near misses say what was.
  const wanted = { amount: 25, refund_reason_id: reasons.pricing_error }
  const { status, body } = await verify({ ...route, body: wanted, times: 1 })
  assert.equal(status, 409)
  assert.deepEqual(
    { ok: body.ok, message: body.message, expected: body.expected, actual: body.actual },
    { ok: false, message: "expected exactly 1 matching request(s), got 0", expected: { times: 1 }, actual: 0 })
  assert.deepEqual(body.near_misses.map(({ matched, of, differences }) => ({ matched, of, differences })), [
    { matched: 2, of: 3, differences: { body: { expected: wanted, actual: second } } },
    { matched: 2, of: 3, differences: { body: { expected: wanted, actual: first } } },
  ])
  assert.deepEqual(body.near_misses.map((m) => m.request.request.json), [second, first])
})

test("a 500 fault with times: 2 rejects exactly the next two refunds; the third is stored", async () => {
  const added = await control("POST", "/faults", { method: "POST", path: ROUTE, status: 500, times: 2 })
  assert.equal(added.status, 201)
  const id = added.body.id
  assert.match(id, /^fault_\d+$/)
  assert.deepEqual(added.body,
    { id, method: "POST", path: ROUTE, times: 2, when: "before", status: 500, fired: 0, live: true })

  for (let i = 0; i < 2; i++) {
    const error = await rejection(sdk.admin.payment.refund(CAPTURED, { amount: 25 }))
    assert.ok(error instanceof FetchError, `refund ${i + 1}: ${error}`)
    assert.deepEqual({ status: error.status, statusText: error.statusText, message: error.message }, UNKNOWN_ERROR)
  }
  assert.deepEqual(await storedRefunds(CAPTURED), []) // a "before" fault applies nothing

  const { payment } = await sdk.admin.payment.refund(CAPTURED, { amount: 25 })
  assert.deepEqual(payment.refunds.map((r) => r.amount), [25])
  assert.deepEqual(await storedRefunds(CAPTURED), [{ amount: 25, note: null, reason: null }])

  const rules = (await control("GET", "/faults")).body.faults
  assert.deepEqual(rules.map((r) => ({ id: r.id, fired: r.fired, live: r.live })), [{ id, fired: 2, live: false }])
  const found = await journal({ path: ROUTE })
  assert.deepEqual(found.requests.map((e) => [e.response.status, e.fault]), [[200, null], [500, id], [500, id]])
  assert.deepEqual(found.requests[1].response.body, UNKNOWN_ERROR_BODY)
  assert.deepEqual(found.requests.map((e) => e.request.json), [{ amount: 25 }, { amount: 25 }, { amount: 25 }])
})

test("an after fault stores the refund and still rejects with Medusa's 500", async () => {
  const { body: rule } = await control("POST", "/faults", { path: ROUTE, status: 500, when: "after", times: 1 })
  const sent = { amount: 25, refund_reason_id: reasons.shipping_issue }
  const error = await rejection(sdk.admin.payment.refund(CAPTURED, sent))
  assert.ok(error instanceof FetchError)
  assert.deepEqual({ status: error.status, statusText: error.statusText, message: error.message }, UNKNOWN_ERROR)
  // The careless retry's trap: the first refund is there although the client saw a 500.
  assert.deepEqual(await storedRefunds(CAPTURED), [{ amount: 25, note: null, reason: reasons.shipping_issue }])
  const [entry] = (await journal({ path: ROUTE })).requests
  assert.deepEqual([entry.fault, entry.response.status, entry.request.json], [rule.id, 500, sent])
  assert.deepEqual(entry.response.body, UNKNOWN_ERROR_BODY)
})

test("Prefer: code=500 from the SDK's headers answers Medusa's 500 and stores nothing", async () => {
  const error = await rejection(sdk.admin.payment.refund(CAPTURED, { amount: 25 }, undefined, { prefer: "code=500" }))
  assert.ok(error instanceof FetchError)
  assert.deepEqual({ status: error.status, statusText: error.statusText, message: error.message }, UNKNOWN_ERROR)
  assert.deepEqual(await storedRefunds(CAPTURED), [])
  const [entry] = (await journal({ path: ROUTE })).requests
  assert.deepEqual([entry.fault, entry.response.status], ["prefer", 500])
})

for (const when of ["before", "after"]) {
  test(`a dropped connection (${when}) rejects the SDK's refund with Node's fetch failure`, async () => {
    const { body: rule } = await control("POST", "/faults", { method: "POST", path: ROUTE, drop: true, when, times: 1 })
    const sent = { amount: 25, note: when }
    const error = await rejection(sdk.admin.payment.refund(CAPTURED, sent))
    assert.ok(!(error instanceof FetchError), "no answer, so no status")
    assert.deepEqual([error.name, error.message, error.cause?.code], ["TypeError", "fetch failed", "UND_ERR_SOCKET"])
    // before: nothing applied; after: the refund is stored although the client got no answer
    const stored = when === "before" ? [] : [{ amount: 25, note: when, reason: null }]
    assert.deepEqual(await storedRefunds(CAPTURED), stored)
    const [entry] = (await journal({ path: ROUTE })).requests
    assert.deepEqual([entry.fault, entry.response.status, entry.request.json], [rule.id, null, sent])

    await sdk.admin.payment.refund(CAPTURED, sent) // the server goes on serving
    assert.equal((await storedRefunds(CAPTURED)).length, stored.length + 1)
  })
}

test("a delay alone holds the SDK's refund back, then answers it as usual", async () => {
  const { body: rule } = await control("POST", "/faults", { path: ROUTE, delay_ms: 200, times: 1 })
  const { payment } = await sdk.admin.payment.refund(CAPTURED, { amount: 25 })
  assert.deepEqual(payment.refunds.map((r) => r.amount), [25])
  const [entry] = (await journal({ path: ROUTE })).requests
  assert.deepEqual([entry.fault, entry.response.status], [rule.id, 200])
  assert.ok(entry.duration_ms >= 200, `duration_ms ${entry.duration_ms}`) // a lower bound only
})
