// The SDK in jwt mode (token kept in memory): login, refunds, captures, and the errors the
// SDK throws, exactly as against a real Medusa 2.21.2 backend.
import assert from "node:assert/strict"
import { beforeEach, describe, test } from "node:test"

import Medusa, { FetchError } from "@medusajs/js-sdk"

import {
  ADMIN, AUTHORIZED, CAPTURED, EPSILON, MOCK_URL, PARTIALLY_CAPTURED, PARTIALLY_REFUNDED,
  interceptFetch, jwtPayload, rejection, resetMock,
} from "./helpers.mjs"

function jwtSdk(options = {}) {
  return new Medusa({ baseUrl: MOCK_URL, auth: { type: "jwt", jwtTokenStorageMethod: "memory" }, ...options })
}

async function loggedIn() {
  const sdk = jwtSdk()
  const token = await sdk.auth.login("user", "emailpass", ADMIN)
  return { sdk, token, userId: jwtPayload(token).actor_id }
}

function assertFetchError(error, status, statusText, message) {
  assert.ok(error instanceof FetchError, `expected a FetchError, got ${error?.constructor?.name}: ${error}`)
  assert.ok(error instanceof Error)
  assert.equal(error.name, "Error")
  assert.deepEqual(
    { status: error.status, statusText: error.statusText, message: error.message },
    { status, statusText, message })
}

beforeEach(resetMock)

describe("jwt login", () => {
  test("login resolves the token, stores it in memory and sends it as a bearer", async () => {
    const sdk = jwtSdk()
    const spy = interceptFetch()
    try {
      const token = await sdk.auth.login("user", "emailpass", ADMIN)
      assert.equal(typeof token, "string")
      assert.equal(token.split(".").length, 3)
      const claims = jwtPayload(token)
      assert.equal(claims.actor_type, "user")
      assert.match(claims.actor_id, /^user_/)
      assert.equal(claims.exp - claims.iat, 86400)
      assert.equal(await sdk.client.getToken(), token)

      const { payment } = await sdk.admin.payment.retrieve(CAPTURED)
      assert.equal(payment.id, CAPTURED)

      assert.deepEqual(spy.lines(), ["POST /auth/user/emailpass", `GET /admin/payments/${CAPTURED}`])
      const [loginCall, getCall] = spy.calls
      assert.equal(loginCall.headers.authorization, undefined)
      assert.equal(getCall.headers.authorization, `Bearer ${token}`)
      // What the SDK sends on every request; the mock must accept all of it.
      assert.equal(getCall.headers["x-medusa-locale"], "")
      assert.equal(getCall.headers["content-type"], "application/json")
      assert.equal(getCall.headers.accept, "application/json")
      assert.equal(getCall.credentials, "omit")
    } finally {
      spy.restore()
    }
  })

  test("a wrong password rejects with Medusa's 401", async () => {
    const error = await rejection(jwtSdk().auth.login("user", "emailpass", { ...ADMIN, password: "nope" }))
    assertFetchError(error, 401, "Unauthorized", "Invalid email or password")
  })

  test("a password that is not a string rejects with Medusa's 401", async () => {
    const error = await rejection(jwtSdk().auth.login("user", "emailpass", { email: ADMIN.email }))
    assertFetchError(error, 401, "Unauthorized", "Password should be a string")
  })

  test("without login every admin call rejects 401 Unauthorized", async () => {
    const sdk = jwtSdk()
    assertFetchError(await rejection(sdk.admin.payment.list()), 401, "Unauthorized", "Unauthorized")
    assertFetchError(await rejection(sdk.admin.payment.refund(CAPTURED, { amount: 1 })),
      401, "Unauthorized", "Unauthorized")
  })

  test("with Node's default jwt storage ('nostore') the token is dropped: 401 as on Medusa", async () => {
    const sdk = new Medusa({ baseUrl: MOCK_URL, auth: { type: "jwt" } })
    await sdk.auth.login("user", "emailpass", ADMIN)
    assertFetchError(await rejection(sdk.admin.payment.list()), 401, "Unauthorized", "Unauthorized")
  })

  test("logout in jwt mode makes no HTTP call and forgets the token", async () => {
    const { sdk } = await loggedIn()
    const spy = interceptFetch()
    try {
      await sdk.auth.logout()
      assert.deepEqual(spy.lines(), [])
      assert.equal(await sdk.client.getToken(), "")
      assertFetchError(await rejection(sdk.admin.payment.list()), 401, "Unauthorized", "Unauthorized")
      assert.equal(spy.calls.at(-1).headers.authorization, undefined)
    } finally {
      spy.restore()
    }
  })

  test("a tampered token is rejected", async () => {
    const { token } = await loggedIn()
    const sdk = jwtSdk()
    const [header, payload, signature] = token.split(".")
    const forged = Buffer.from(JSON.stringify({ ...jwtPayload(token), actor_id: "user_someone_else" })).toString("base64url")
    await sdk.client.setToken([header, forged, signature].join("."))
    assertFetchError(await rejection(sdk.admin.payment.list()), 401, "Unauthorized", "Unauthorized")
  })
})

describe("refunds", () => {
  test("a refund resolves the updated payment and records the user as created_by", async () => {
    const { sdk, userId } = await loggedIn()
    const { payment } = await sdk.admin.payment.refund(
      CAPTURED, { amount: 10, note: "Damaged in transit" }, { fields: "+refunds.created_by" })
    assert.equal(payment.id, CAPTURED)
    assert.equal(payment.refunds.length, 1)
    const [refund] = payment.refunds
    assert.match(refund.id, /^ref_/)
    assert.equal(refund.amount, 10)
    assert.equal(refund.note, "Damaged in transit")
    assert.equal(refund.payment_id, CAPTURED)
    assert.equal(refund.refund_reason_id, null)
    assert.equal(refund.created_by, userId)
  })

  test("the default payment and refund shapes are Medusa's (no created_by by default)", async () => {
    const { sdk } = await loggedIn()
    const { payment } = await sdk.admin.payment.refund(CAPTURED, { amount: 1 })
    assert.deepEqual(Object.keys(payment), ["id", "currency_code", "amount", "captured_at",
      "payment_collection_id", "payment_session_id", "captures", "refunds"])
    assert.deepEqual(Object.keys(payment.refunds[0]),
      ["id", "amount", "note", "payment_id", "refund_reason_id", "refund_reason"])
  })

  test("refunds add up to the captured amount, and one cent more is refused", async () => {
    const { sdk } = await loggedIn()
    await sdk.admin.payment.refund(PARTIALLY_REFUNDED, { amount: 60 })
    const error = await rejection(sdk.admin.payment.refund(PARTIALLY_REFUNDED, { amount: 10.02 }))
    assertFetchError(error, 400, "Bad Request", "You are not allowed to refund more than the captured amount")
    const { payment } = await sdk.admin.payment.refund(PARTIALLY_REFUNDED, { amount: 10 })
    assert.equal(payment.refunds.reduce((sum, r) => sum + r.amount, 0), 100)
  })

  test("the currency's epsilon: 30.01 of 30 passes, 30.02 does not", async () => {
    const { sdk } = await loggedIn()
    assertFetchError(await rejection(sdk.admin.payment.refund(EPSILON, { amount: 30.02 })),
      400, "Bad Request", "You are not allowed to refund more than the captured amount")
    const { payment } = await sdk.admin.payment.refund(EPSILON, { amount: 30.01 })
    assert.deepEqual(payment.refunds.map((r) => r.amount), [30.01])
  })

  test("an over-refund rejects with a FetchError 400 and Medusa's message", async () => {
    const { sdk } = await loggedIn()
    const error = await rejection(sdk.admin.payment.refund(CAPTURED, { amount: 100.5 }))
    assertFetchError(error, 400, "Bad Request", "You are not allowed to refund more than the captured amount")
    // ... and leaves no trace
    const { payment } = await sdk.admin.payment.retrieve(CAPTURED)
    assert.deepEqual(payment.refunds, [])
  })

  test("a refund without amount on an uncaptured payment gets the locked-check message", async () => {
    const { sdk } = await loggedIn()
    const error = await rejection(sdk.admin.payment.refund(AUTHORIZED, {}))
    assertFetchError(error, 400, "Bad Request", "You cannot refund more than what is captured on the payment.")
  })

  test("an unknown payment rejects 404 'Payment id not found: pay_does_not_exist'", async () => {
    const { sdk } = await loggedIn()
    const error = await rejection(sdk.admin.payment.refund("pay_does_not_exist", { amount: 1 }))
    assertFetchError(error, 404, "Not Found", "Payment id not found: pay_does_not_exist")
  })

  test("an invalid amount rejects 400 with Medusa's validation message", async () => {
    const { sdk } = await loggedIn()
    const error = await rejection(sdk.admin.payment.refund(CAPTURED, { amount: 0 }))
    assertFetchError(error, 400, "Bad Request",
      "Invalid request: Value for field 'amount' too small, expected at least: '0'")
  })

  test("an unknown body key rejects 400 Unrecognized fields", async () => {
    const { sdk } = await loggedIn()
    const error = await rejection(sdk.admin.payment.refund(CAPTURED, { amount: 1, reason: "x" }))
    assertFetchError(error, 400, "Bad Request", "Invalid request: Unrecognized fields: 'reason'")
  })
})

describe("captures", () => {
  test("a partial capture, then the rest: captured_at is set when the full amount is captured", async () => {
    const { sdk } = await loggedIn()
    let { payment } = await sdk.admin.payment.capture(PARTIALLY_CAPTURED, { amount: 10 })
    assert.equal(payment.captured_at, null)
    assert.deepEqual(payment.captures.map((c) => c.amount).sort((a, b) => a - b), [10, 40])
    ;({ payment } = await sdk.admin.payment.capture(PARTIALLY_CAPTURED, { amount: 50 }))
    assert.notEqual(payment.captured_at, null)
    assert.equal(payment.captures.reduce((sum, c) => sum + c.amount, 0), 100)
  })

  test("a capture without amount captures the whole payment; refunds then work", async () => {
    const { sdk } = await loggedIn()
    const { payment } = await sdk.admin.payment.capture(AUTHORIZED, {})
    assert.notEqual(payment.captured_at, null)
    assert.deepEqual(payment.captures.map((c) => c.amount), [100])
    const refunded = await sdk.admin.payment.refund(AUTHORIZED, { amount: 25 })
    assert.deepEqual(refunded.payment.refunds.map((r) => r.amount), [25])
  })

  test("capturing more than what is left rejects with Medusa's (misspelt) message", async () => {
    const { sdk } = await loggedIn()
    const error = await rejection(sdk.admin.payment.capture(PARTIALLY_CAPTURED, { amount: 61 }))
    assertFetchError(error, 400, "Bad Request",
      "You cannot capture more than the authorized amount substracted by what is already captured.")
  })

  test("an unknown payment rejects 404 with the capture route's wording", async () => {
    const { sdk } = await loggedIn()
    const error = await rejection(sdk.admin.payment.capture("pay_does_not_exist", {}))
    assertFetchError(error, 404, "Not Found", "Payment with id: pay_does_not_exist was not found")
  })
})
