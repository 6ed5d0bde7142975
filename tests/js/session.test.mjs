// The SDK in session mode (auth: { type: "session" }), as an admin page uses it. Node's fetch
// keeps no cookies, so the global fetch is wrapped with a cookie jar (fetch-cookie +
// tough-cookie), which is what a browser does by itself.
import assert from "node:assert/strict"
import { afterEach, beforeEach, test } from "node:test"

import Medusa from "@medusajs/js-sdk"
import makeFetchCookie from "fetch-cookie"
import { CookieJar } from "tough-cookie"

import { ADMIN, CAPTURED, MOCK_URL, interceptFetch, jwtPayload, mockState, resetMock } from "./helpers.mjs"

const UNAUTHORIZED = { status: 401, statusText: "Unauthorized", message: "Unauthorized" }

let jar, spy
beforeEach(async () => {
  await resetMock()
  jar = new CookieJar()
  spy = interceptFetch((fetch) => makeFetchCookie(fetch, jar))
})
afterEach(() => spy.restore())

function sessionSdk() {
  return new Medusa({ baseUrl: MOCK_URL, auth: { type: "session" } })
}

async function sessionCookie() {
  const cookies = await jar.getCookies(MOCK_URL)
  return cookies.find((c) => c.key === "connect.sid")
}

test("login → refund → logout (DELETE /auth/session) → 401; the login token still works", async () => {
  const sdk = sessionSdk()

  // login: POST /auth/user/emailpass, then POST /auth/session with the token as bearer
  const token = await sdk.auth.login("user", "emailpass", ADMIN)
  assert.equal(jwtPayload(token).actor_type, "user")
  assert.deepEqual(spy.lines(), ["POST /auth/user/emailpass", "POST /auth/session"])
  assert.equal(spy.calls[1].headers.authorization, `Bearer ${token}`)
  const cookie = await sessionCookie()
  assert.ok(cookie, "the mock set a connect.sid cookie")
  // express-session's signed id, URL-encoded: s:<32-char id>.<base64 HMAC-SHA256, no padding>
  assert.match(decodeURIComponent(cookie.value), /^s:[\w-]{32}\.[A-Za-z0-9+/]{43}$/)
  assert.equal(cookie.path, "/")
  assert.equal(cookie.httpOnly, true)
  const hours = (cookie.expires.getTime() - Date.now()) / 3600e3
  assert.ok(hours > 9.9 && hours <= 10, `the session cookie lasts 10 h (got ${hours})`)
  // the SDK keeps no token in session mode: the cookie alone authenticates
  assert.equal(await sdk.client.getToken(), null)

  // a refund with the cookie only
  const { payment } = await sdk.admin.payment.refund(CAPTURED, { amount: 12.5 }, { fields: "+refunds.created_by" })
  const refundCall = spy.calls.at(-1)
  assert.equal(refundCall.headers.authorization, undefined)
  assert.equal(refundCall.credentials, "include")
  assert.deepEqual(payment.refunds.map((r) => [r.amount, r.created_by]), [[12.5, jwtPayload(token).actor_id]])

  // logout: DELETE /auth/session, the cookie is cleared
  const before = spy.calls.length
  await sdk.auth.logout()
  assert.deepEqual(spy.lines().slice(before), ["DELETE /auth/session"])
  assert.equal(await sessionCookie(), undefined, "the mock cleared the cookie")

  // the next call is unauthorized
  await assert.rejects(sdk.admin.payment.retrieve(CAPTURED), UNAUTHORIZED)

  // ... but the JWT from the login stays valid (JWTs are stateless)
  const jwtClient = new Medusa({ baseUrl: MOCK_URL, auth: { type: "jwt", jwtTokenStorageMethod: "memory" } })
  await jwtClient.client.setToken(token)
  const { payment: again } = await jwtClient.admin.payment.retrieve(CAPTURED)
  assert.deepEqual(again.refunds.map((r) => r.amount), [12.5])
})

test("the old session cookie is refused after logout, even when replayed", async () => {
  const sdk = sessionSdk()
  await sdk.auth.login("user", "emailpass", ADMIN)
  const stolen = await jar.getCookieString(MOCK_URL)
  assert.match(stolen, /^connect\.sid=s%3A/)
  await sdk.auth.logout()

  spy.restore()
  const response = await fetch(`${MOCK_URL}/admin/payments/${CAPTURED}`, { headers: { cookie: stolen } })
  assert.equal(response.status, 401)
  assert.deepEqual(await response.json(), { message: "Unauthorized" })
})

test("logout without a session rejects 401", async () => {
  await assert.rejects(sessionSdk().auth.logout(), UNAUTHORIZED)
})

test("two session clients are independent: one logging out leaves the other logged in", async () => {
  const alice = sessionSdk()
  await alice.auth.login("user", "emailpass", ADMIN)
  const aliceJar = jar

  spy.restore()
  jar = new CookieJar()
  spy = interceptFetch((fetch) => makeFetchCookie(fetch, jar))
  const bob = sessionSdk()
  await bob.auth.login("user", "emailpass", ADMIN)
  await bob.auth.logout()
  await assert.rejects(bob.admin.payment.list(), UNAUTHORIZED)

  spy.restore()
  spy = interceptFetch((fetch) => makeFetchCookie(fetch, aliceJar))
  const { count } = await alice.admin.payment.list()
  assert.equal(count, 10)
})

test("without a cookie jar (plain Node fetch) session mode gets 401, as against Medusa", async () => {
  spy.restore()
  spy = interceptFetch() // no jar
  const sdk = sessionSdk()
  await sdk.auth.login("user", "emailpass", ADMIN)
  await assert.rejects(sdk.admin.payment.refund(CAPTURED, { amount: 1 }), UNAUTHORIZED)
  const state = await mockState()
  assert.deepEqual(state.payments.find((p) => p.id === CAPTURED).refunds, [])
})
