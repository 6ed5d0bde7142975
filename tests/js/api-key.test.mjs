// A secret API key: new Medusa({ baseUrl, apiKey }) sends `Authorization: Basic
// base64("sk_...:")` on every request; the key's apk_ id is the actor.
import assert from "node:assert/strict"
import { beforeEach, test } from "node:test"

import Medusa from "@medusajs/js-sdk"

import { API_KEY, AUTHORIZED, CAPTURED, MOCK_URL, interceptFetch, mockState, resetMock } from "./helpers.mjs"

let apiKeyId
beforeEach(async () => {
  await resetMock()
  const state = await mockState()
  apiKeyId = state.api_keys.find((k) => k.token === API_KEY).id
  assert.match(apiKeyId, /^apk_/)
})

test("a refund with the API key records the key's apk_ id as created_by", async () => {
  const sdk = new Medusa({ baseUrl: MOCK_URL, apiKey: API_KEY })
  const spy = interceptFetch()
  let payment
  try {
    ;({ payment } = await sdk.admin.payment.refund(CAPTURED, { amount: 7 }, { fields: "+refunds.created_by" }))
    assert.equal(spy.calls[0].headers.authorization, "Basic " + Buffer.from(`${API_KEY}:`).toString("base64"))
    assert.equal(spy.calls[0].path, `/admin/payments/${CAPTURED}/refund?fields=%2Brefunds.created_by`)
  } finally {
    spy.restore()
  }
  assert.deepEqual(payment.refunds.map((r) => [r.amount, r.created_by]), [[7, apiKeyId]])

  const stored = (await mockState()).payments.find((p) => p.id === CAPTURED)
  assert.deepEqual(stored.refunds.map((r) => r.created_by), [apiKeyId])
})

test("a capture with the API key records the key as the capture's created_by", async () => {
  const sdk = new Medusa({ baseUrl: MOCK_URL, apiKey: API_KEY })
  await sdk.admin.payment.capture(AUTHORIZED, { amount: 20 })
  const stored = (await mockState()).payments.find((p) => p.id === AUTHORIZED)
  assert.deepEqual(stored.captures.map((c) => [c.amount, c.created_by]), [[20, apiKeyId]])
})

test("reads work with the API key too", async () => {
  const sdk = new Medusa({ baseUrl: MOCK_URL, apiKey: API_KEY })
  assert.equal((await sdk.admin.payment.list()).count, 10)
  assert.equal((await sdk.admin.refundReason.list()).count, 3)
})

test("an unknown key rejects 401 Unauthorized", async () => {
  const sdk = new Medusa({ baseUrl: MOCK_URL, apiKey: "sk_not_a_real_key" })
  await assert.rejects(sdk.admin.payment.refund(CAPTURED, { amount: 1 }),
    { status: 401, statusText: "Unauthorized", message: "Unauthorized" })
})

test("a secret key used as a bearer token gets Medusa's own 401 message", async () => {
  const sdk = new Medusa({ baseUrl: MOCK_URL, auth: { type: "jwt", jwtTokenStorageMethod: "memory" } })
  await sdk.client.setToken(API_KEY)
  await assert.rejects(sdk.admin.payment.list(), {
    status: 401,
    statusText: "Unauthorized",
    message: "A secret API key was passed as a Bearer token. Secret API keys must be sent using " +
      "HTTP Basic authentication instead (Authorization: Basic <secret-api-key>).",
  })
})
