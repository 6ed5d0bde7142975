// sdk.admin.refundReason (singular) against the mock: list, create, retrieve, update,
// delete, and a refund that names a reason.
import assert from "node:assert/strict"
import { before, beforeEach, test } from "node:test"

import Medusa from "@medusajs/js-sdk"

import { ADMIN, CAPTURED, MOCK_URL, resetMock } from "./helpers.mjs"

const SEEDED = ["shipping_issue", "pricing_error", "customer_care_adjustment"]
const REASON_KEYS = ["id", "label", "code", "description", "created_at", "updated_at", "deleted_at"]

let sdk
before(async () => {
  sdk = new Medusa({ baseUrl: MOCK_URL, auth: { type: "jwt", jwtTokenStorageMethod: "memory" } })
  await sdk.auth.login("user", "emailpass", ADMIN)
})
beforeEach(resetMock)

test("list: the three reasons Medusa's migration seeds, default limit 15", async () => {
  const body = await sdk.admin.refundReason.list()
  assert.deepEqual(body.refund_reasons.map((r) => r.code), SEEDED)
  assert.deepEqual(Object.keys(body.refund_reasons[0]), REASON_KEYS)
  assert.deepEqual({ count: body.count, offset: body.offset, limit: body.limit }, { count: 3, offset: 0, limit: 15 })
  const page = await sdk.admin.refundReason.list({ limit: 1, offset: 1, fields: "code" })
  assert.deepEqual(page.refund_reasons.map((r) => r.code), ["pricing_error"])
})

test("create → retrieve → update → list → delete → gone", async () => {
  const { refund_reason: created } = await sdk.admin.refundReason.create({
    label: "Wrong size", code: "wrong_size", description: "The item did not fit",
  })
  assert.match(created.id, /^refr_/)
  assert.deepEqual(Object.keys(created), REASON_KEYS)
  assert.equal(created.label, "Wrong size")
  assert.equal(created.code, "wrong_size")
  assert.equal(created.description, "The item did not fit")
  assert.equal(created.created_at, created.updated_at)
  assert.equal(created.deleted_at, null)

  assert.deepEqual(await sdk.admin.refundReason.retrieve(created.id), { refund_reason: created })

  const { refund_reason: updated } = await sdk.admin.refundReason.update(created.id, { label: "Wrong size (returned)" })
  assert.equal(updated.id, created.id)
  assert.equal(updated.label, "Wrong size (returned)")
  assert.equal(updated.code, "wrong_size")

  const listed = await sdk.admin.refundReason.list()
  assert.equal(listed.count, 4)
  assert.deepEqual(listed.refund_reasons.map((r) => r.code), [...SEEDED, "wrong_size"])

  assert.deepEqual(await sdk.admin.refundReason.delete(created.id),
    { id: created.id, object: "refund_reason", deleted: true })
  assert.deepEqual(await sdk.admin.refundReason.retrieve(created.id), {})
  assert.equal((await sdk.admin.refundReason.list()).count, 3)
  await assert.rejects(sdk.admin.refundReason.update(created.id, { label: "x" }), {
    status: 404, statusText: "Not Found", message: `RefundReason with id "${created.id}" not found`,
  })
})

test("create without code rejects 400 with Medusa's message", async () => {
  await assert.rejects(sdk.admin.refundReason.create({ label: "No code" }), {
    status: 400, statusText: "Bad Request", message: "Invalid request: Field 'code' is required",
  })
})

test("delete of an unknown id answers deleted: true, as Medusa does", async () => {
  assert.deepEqual(await sdk.admin.refundReason.delete("refr_does_not_exist"),
    { id: "refr_does_not_exist", object: "refund_reason", deleted: true })
})

test("a refund with a new reason links it; a deleted reason is refused", async () => {
  const { refund_reason: reason } = await sdk.admin.refundReason.create({ label: "Goodwill", code: "goodwill" })
  const { payment } = await sdk.admin.payment.refund(CAPTURED, { amount: 5, refund_reason_id: reason.id, note: "sorry" })
  const [refund] = payment.refunds
  assert.equal(refund.refund_reason_id, reason.id)
  assert.deepEqual(refund.refund_reason, { label: "Goodwill", code: "goodwill", id: reason.id })

  await sdk.admin.refundReason.delete(reason.id)
  await assert.rejects(sdk.admin.payment.refund(CAPTURED, { amount: 5, refund_reason_id: reason.id }), {
    status: 404, statusText: "Not Found", message: `RefundReason id not found: ${reason.id}`,
  })
})
