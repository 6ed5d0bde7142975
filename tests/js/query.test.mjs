// Retrieve and list through the SDK: its qs query encoding (fields, limit/offset, arrays as
// id[0]=..., operators as created_at[$gt]=...) must reach the mock and mean what it means
// on Medusa.
import assert from "node:assert/strict"
import { before, beforeEach, describe, test } from "node:test"

import Medusa from "@medusajs/js-sdk"

import {
  ADMIN, CAPTURED, EPSILON, MOCK_URL, PARTIALLY_REFUNDED, YEN, interceptFetch, resetMock,
} from "./helpers.mjs"

const FIXTURE_PAYMENTS = 10 // fixtures/10-demo-payments.yaml

let sdk
before(async () => {
  sdk = new Medusa({ baseUrl: MOCK_URL, auth: { type: "jwt", jwtTokenStorageMethod: "memory" } })
  await sdk.auth.login("user", "emailpass", ADMIN)
})
beforeEach(resetMock)

/** Run `call` and return [its result, the path + query string the SDK sent]. */
async function sent(call) {
  const spy = interceptFetch()
  try {
    const result = await call()
    assert.equal(spy.calls.length, 1)
    return [result, spy.calls[0].path]
  } finally {
    spy.restore()
  }
}

describe("retrieve", () => {
  test("fields replaces the defaults (sent as fields=id%2Camount)", async () => {
    const [body, path] = await sent(() => sdk.admin.payment.retrieve(CAPTURED, { fields: "id,amount" }))
    assert.equal(path, `/admin/payments/${CAPTURED}?fields=id%2Camount`)
    assert.deepEqual(body, { payment: { id: CAPTURED, amount: 100 } })
  })

  test("+fields adds to the defaults (sent as %2B)", async () => {
    const [body, path] = await sent(() => sdk.admin.payment.retrieve(PARTIALLY_REFUNDED,
      { fields: "+refunds.created_by,+payment_collection.refunded_amount" }))
    assert.equal(path, `/admin/payments/${PARTIALLY_REFUNDED}` +
      "?fields=%2Brefunds.created_by%2C%2Bpayment_collection.refunded_amount")
    const { payment } = body
    assert.equal(payment.currency_code, "usd")
    assert.equal(payment.refunds.length, 1)
    assert.ok("created_by" in payment.refunds[0])
    assert.equal(payment.refunds[0].refund_reason.code, "shipping_issue")
    assert.equal(payment.payment_collection.refunded_amount, 30)
  })

  test("an unknown id resolves to {} (no throw), as on Medusa", async () => {
    assert.deepEqual(await sdk.admin.payment.retrieve("pay_does_not_exist"), {})
  })

  test("an unknown query parameter rejects 400 Unrecognized fields", async () => {
    await assert.rejects(sdk.admin.payment.retrieve(CAPTURED, { foo: "bar" }), {
      status: 400, statusText: "Bad Request", message: "Invalid request: Unrecognized fields: 'foo'",
    })
  })
})

describe("list", () => {
  test("without a query: every payment, default limit 20, in id order", async () => {
    const [body, path] = await sent(() => sdk.admin.payment.list())
    assert.equal(path, "/admin/payments")
    assert.equal(body.count, FIXTURE_PAYMENTS)
    assert.equal(body.offset, 0)
    assert.equal(body.limit, 20)
    assert.deepEqual(Object.keys(body), ["payments", "count", "offset", "limit"])
    const ids = body.payments.map((p) => p.id)
    assert.deepEqual(ids, [...ids].sort())
  })

  test("limit and offset page through the list (sent as limit=2&offset=1)", async () => {
    const all = (await sdk.admin.payment.list({ fields: "id" })).payments.map((p) => p.id)
    const [body, path] = await sent(() => sdk.admin.payment.list({ limit: 2, offset: 1, fields: "id" }))
    assert.equal(path, "/admin/payments?limit=2&offset=1&fields=id")
    assert.deepEqual(body, {
      payments: all.slice(1, 3).map((id) => ({ id })), count: FIXTURE_PAYMENTS, offset: 1, limit: 2,
    })
  })

  test("an id array is sent as id[0]=..&id[1]=.. and filters", async () => {
    const [body, path] = await sent(() => sdk.admin.payment.list({ id: [YEN, CAPTURED], fields: "id,amount" }))
    assert.equal(path, `/admin/payments?id%5B0%5D=${YEN}&id%5B1%5D=${CAPTURED}&fields=id%2Camount`)
    assert.equal(body.count, 2)
    assert.deepEqual(body.payments.map((p) => p.id).sort(), [CAPTURED, YEN].sort())
    assert.deepEqual(body.payments.find((p) => p.id === YEN), { id: YEN, amount: 5000 })
  })

  test("a single id filters too", async () => {
    const body = await sdk.admin.payment.list({ id: EPSILON })
    assert.deepEqual(body.payments.map((p) => p.id), [EPSILON])
  })

  test("created_at operators are sent as created_at[$gt]=... and filter", async () => {
    const { payment } = await sdk.admin.payment.retrieve(CAPTURED, { fields: "id,created_at" })
    const createdAt = new Date(payment.created_at)
    const dayBefore = new Date(createdAt.getTime() - 86400e3).toISOString()

    const [body, path] = await sent(() => sdk.admin.payment.list({ created_at: { $gt: dayBefore }, fields: "id" }))
    assert.equal(path, `/admin/payments?created_at%5B%24gt%5D=${encodeURIComponent(dayBefore)}&fields=id`)
    assert.equal(body.count, FIXTURE_PAYMENTS)

    const later = await sdk.admin.payment.list({ created_at: { $gt: new Date(createdAt.getTime() + 86400e3).toISOString() } })
    assert.equal(later.count, 0)
    assert.deepEqual(later.payments, [])
  })

  test("payment providers: the system default", async () => {
    assert.deepEqual(await sdk.admin.payment.listPaymentProviders(), {
      payment_providers: [{ id: "pp_system_default", is_enabled: true }], count: 1, offset: 0, limit: 20,
    })
  })

  test("a bad limit rejects 400", async () => {
    const error = await sdk.admin.payment.list({ limit: "abc" }).catch((e) => e)
    assert.equal(error.status, 400)
    assert.equal(error.statusText, "Bad Request")
    assert.match(error.message, /^Invalid request: /)
  })
})
