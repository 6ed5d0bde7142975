// Shared bits for the node:test files: where the mock is, the fixture data, and a few
// helpers that talk to the mock directly (never through the SDK under test).
import assert from "node:assert/strict"

export const MOCK_URL = process.env.MOCK_URL
if (!MOCK_URL) {
  throw new Error("MOCK_URL is not set: run these through tests/test_js_sdk.py, or start the " +
    "mock yourself and run `MOCK_URL=http://127.0.0.1:9000 node --test` in tests/js")
}

// The helpers below use the fetch of the start, whatever a test later does to the global one.
const nativeFetch = globalThis.fetch

export const ADMIN = { email: "admin@example.com", password: "supersecret" }
export const API_KEY = "sk_66b7a02d48f0cd3ef0c220f8a446126eb0d1a7908e518c86a812a5e64a91fe23"

// Demo payments from fixtures/10-demo-payments.yaml
export const CAPTURED = "pay_01KDEM0CAPTVRED00000000000" // captured 100
export const PARTIALLY_CAPTURED = "pay_01KDEM0PARTCAPT00000000000" // 40 of 100 captured
export const AUTHORIZED = "pay_01KDEM0AVTH0R1ZED000000000" // nothing captured
export const PARTIALLY_REFUNDED = "pay_01KDEM0PARTREFVND000000000" // 100 captured, 30 refunded
export const REFUNDED = "pay_01KDEM0REFVNDED00000000000" // 50 captured, 50 refunded
export const YEN = "pay_01KDEM0JPY0000000000000000"
export const EPSILON = "pay_01KDEM0EPS1L0N000000000000" // captured 30

/** Back to the fixtures' state (the mock's control API), so each test starts clean. */
export async function resetMock() {
  const response = await nativeFetch(`${MOCK_URL}/__mock/reset`, { method: "POST" })
  assert.equal(response.status, 200, "POST /__mock/reset")
}

/** The mock's whole state: users, api_keys, payments (with refunds' created_by), ... */
export async function mockState() {
  const response = await nativeFetch(`${MOCK_URL}/__mock/state`)
  assert.equal(response.status, 200, "GET /__mock/state")
  return response.json()
}

/** A fresh login token, obtained without the SDK. */
export async function rawLogin() {
  const response = await nativeFetch(`${MOCK_URL}/auth/user/emailpass`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(ADMIN),
  })
  assert.equal(response.status, 200, "login")
  return (await response.json()).token
}

/**
 * Replace the global fetch (the SDK calls the global one) with `wrap(original)`, and
 * record every request that goes through it: { method, path (with the query string),
 * headers (lower-cased names) }. `lines()` gives "METHOD /path?query" strings.
 */
export function interceptFetch(wrap = (f) => f) {
  const original = globalThis.fetch
  const inner = wrap(original)
  const calls = []
  globalThis.fetch = async (input, init = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input))
    const method = (init.method || (input instanceof Request ? input.method : "GET")).toUpperCase()
    const headers = Object.fromEntries(new Headers(init.headers || {}).entries())
    calls.push({ method, path: url.pathname + url.search, headers, credentials: init.credentials })
    return inner(input, init)
  }
  return {
    calls,
    lines: () => calls.map((c) => `${c.method} ${c.path}`),
    restore: () => { globalThis.fetch = original },
  }
}

/** The rejection of `promise`, which must reject. */
export async function rejection(promise) {
  try {
    await promise
  } catch (error) {
    return error
  }
  assert.fail("expected the call to reject, but it resolved")
}

export function jwtPayload(token) {
  return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString())
}

/**
 * A call to the mock's control API (`/__mock/...`), never through the SDK under test:
 * { status, body } with the JSON body parsed. `body` is sent as JSON when given.
 */
export async function control(method, path, body) {
  const response = await nativeFetch(`${MOCK_URL}/__mock${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  })
  return { status: response.status, body: await response.json() }
}

/** The journal's entries matching `filters` (GET /__mock/requests): { requests, count }. */
export async function journal(filters = {}) {
  const { status, body } = await control("GET", `/requests?${new URLSearchParams(filters)}`)
  assert.equal(status, 200, `GET /__mock/requests: ${JSON.stringify(body)}`)
  return body
}

/** An empty journal and no fault rules (a reset keeps both). */
export async function clearSteering() {
  assert.equal((await control("DELETE", "/requests")).status, 200, "DELETE /__mock/requests")
  assert.equal((await control("DELETE", "/faults")).status, 200, "DELETE /__mock/faults")
}
