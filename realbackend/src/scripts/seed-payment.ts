/**
 * Seeds payments in known states into the real Medusa 2.21.2 backend, using
 * Medusa's own workflows and the Payment module (no HTTP, no patched code).
 *
 *   npx medusa exec ./src/scripts/seed-payment.ts            # every scenario
 *   npx medusa exec ./src/scripts/seed-payment.ts F G        # only these labels
 *
 * Every run creates a FRESH set of payments (refunds change state for good) and
 * writes their ids to $SEED_OUTPUT (default: .state/seed.json, written
 * atomically), and logs one line `SEED RESULT {...}` with the same JSON.
 *
 * Scenarios (the table "Seed output" in docs/real-backend-observations.md):
 *   A captured 100            B authorized 100, not captured   C captured 30
 *   D captured 50             E captured 100, NO order link    F, G captured 100
 *   H authorized 100 only     I captured 30                    J captured 50
 *   K JPY: authorized 5000, captured 5000 (region with currency jpy)
 *   L authorized 100, then canceled with the Payment module's cancelPayment
 *   M captured 100, then canceled with cancelPayment (canceled-but-captured)
 */
import * as fs from "fs"
import * as path from "path"
import {
  ContainerRegistrationKeys,
  Modules,
} from "@medusajs/framework/utils"
import {
  capturePaymentWorkflow,
  createOrderPaymentCollectionWorkflow,
  createOrderWorkflow,
  createPaymentSessionsWorkflow,
  createRegionsWorkflow,
} from "@medusajs/medusa/core-flows"

type Kind = "order" | "no_order"
type Scenario = {
  label: string
  kind: Kind
  currency: "usd" | "jpy"
  amount: number
  capture: boolean
  cancel: boolean
  purpose: string
}

const SCENARIOS: Scenario[] = [
  { label: "A", kind: "order", currency: "usd", amount: 100, capture: true, cancel: false, purpose: "main refund target" },
  { label: "B", kind: "order", currency: "usd", amount: 100, capture: false, cancel: false, purpose: "authorized, not captured" },
  { label: "C", kind: "order", currency: "usd", amount: 30, capture: true, cancel: false, purpose: "currency epsilon" },
  { label: "D", kind: "order", currency: "usd", amount: 50, capture: true, cancel: false, purpose: "JS SDK runs" },
  { label: "E", kind: "no_order", currency: "usd", amount: 100, capture: true, cancel: false, purpose: "no order link (refund -> 404)" },
  { label: "F", kind: "order", currency: "usd", amount: 100, capture: true, cancel: false, purpose: "full refund with {}" },
  { label: "G", kind: "order", currency: "usd", amount: 100, capture: true, cancel: false, purpose: "partial then {}" },
  { label: "H", kind: "order", currency: "usd", amount: 100, capture: false, cancel: false, purpose: "JS SDK uncaptured" },
  { label: "I", kind: "order", currency: "usd", amount: 30, capture: true, cancel: false, purpose: "30.02 rejected, 30.01 accepted" },
  { label: "J", kind: "order", currency: "usd", amount: 50, capture: true, cancel: false, purpose: "concurrent refunds" },
  { label: "K", kind: "order", currency: "jpy", amount: 5000, capture: true, cancel: false, purpose: "JPY (0 decimals) epsilon" },
  { label: "L", kind: "order", currency: "usd", amount: 100, capture: false, cancel: true, purpose: "canceled (authorized, never captured)" },
  { label: "M", kind: "order", currency: "usd", amount: 100, capture: true, cancel: true, purpose: "canceled after full capture" },
]

const REGION_DEFS: Record<string, { name: string; countries: string[] }> = {
  usd: { name: "United States", countries: ["us"] },
  jpy: { name: "Japan", countries: ["jp"] },
}

const ADMIN_EMAIL = process.env.SEED_ADMIN_EMAIL || "admin@example.com"
const PROVIDER = "pp_system_default"

export default async function seedPayments({ container, args }: { container: any; args?: string[] }) {
  const logger = container.resolve(ContainerRegistrationKeys.LOGGER)
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const paymentModule = container.resolve(Modules.PAYMENT)
  const userModule = container.resolve(Modules.USER)

  const wanted = (args ?? []).map((a) => a.trim().toUpperCase()).filter(Boolean)
  const known = new Set(SCENARIOS.map((s) => s.label))
  const unknown = wanted.filter((l) => !known.has(l))
  if (unknown.length) {
    throw new Error(`Unknown seed label(s): ${unknown.join(", ")}; known: ${[...known].join(" ")}`)
  }
  const scenarios = wanted.length ? SCENARIOS.filter((s) => wanted.includes(s.label)) : SCENARIOS

  const [admin] = await userModule.listUsers({ email: ADMIN_EMAIL })
  if (!admin) {
    throw new Error(`Admin user ${ADMIN_EMAIL} not found (run: npx medusa user -e ${ADMIN_EMAIL} -p supersecret)`)
  }

  const regionCache: Record<string, string> = {}
  async function regionFor(currency: string): Promise<string> {
    if (regionCache[currency]) return regionCache[currency]
    const { data } = await query.graph({
      entity: "region",
      fields: ["id", "currency_code"],
      filters: { currency_code: currency },
    })
    if (data.length) {
      regionCache[currency] = data[0].id
      return data[0].id
    }
    const def = REGION_DEFS[currency]
    const { result } = await createRegionsWorkflow(container).run({
      input: {
        regions: [
          {
            name: def.name,
            currency_code: currency,
            countries: def.countries,
            payment_providers: [PROVIDER],
          },
        ],
      },
    })
    regionCache[currency] = result[0].id
    return result[0].id
  }

  const out: Record<string, any> = {}
  const runTag = Date.now().toString(36)

  for (const s of scenarios) {
    try {
      let orderId: string | null = null
      let collectionId: string
      let sessionId: string

      if (s.kind === "order") {
        const regionId = await regionFor(s.currency)
        const orderInput: any = {
          region_id: regionId,
          email: `seed-${s.label.toLowerCase()}@example.com`,
          currency_code: s.currency,
          items: [
            {
              title: `Seed item ${s.label} (${runTag})`,
              quantity: 1,
              unit_price: s.amount,
            },
          ],
        }
        const { result: order } = await createOrderWorkflow(container).run({ input: orderInput })
        orderId = order.id
        const { result: collections } = await createOrderPaymentCollectionWorkflow(container).run({
          input: { order_id: order.id, amount: s.amount },
        })
        collectionId = collections[0].id
        const { result: session } = await createPaymentSessionsWorkflow(container).run({
          input: {
            payment_collection_id: collectionId,
            provider_id: PROVIDER,
            data: {},
            context: {},
          },
        })
        sessionId = session.id
      } else {
        const collection = await paymentModule.createPaymentCollections({
          currency_code: s.currency,
          amount: s.amount,
        })
        collectionId = collection.id
        const session = await paymentModule.createPaymentSession(collectionId, {
          provider_id: PROVIDER,
          amount: s.amount,
          currency_code: s.currency,
          data: {},
        })
        sessionId = session.id
      }

      const payment = await paymentModule.authorizePaymentSession(sessionId, {})

      if (s.capture) {
        if (s.kind === "order") {
          await capturePaymentWorkflow(container).run({
            input: { payment_id: payment.id, amount: s.amount, captured_by: admin.id },
          })
        } else {
          await paymentModule.capturePayment({ payment_id: payment.id, amount: s.amount })
        }
      }
      if (s.cancel) {
        await paymentModule.cancelPayment(payment.id)
      }

      const state = [
        "authorized",
        s.capture ? "captured" : null,
        s.cancel ? "canceled" : null,
      ]
        .filter(Boolean)
        .join("+")

      out[s.label] = {
        payment_id: payment.id,
        payment_collection_id: collectionId,
        payment_session_id: sessionId,
        order_id: orderId,
        currency_code: s.currency,
        amount: s.amount,
        captured_amount: s.capture ? s.amount : 0,
        state,
        purpose: s.purpose,
      }
      logger.info(`seed ${s.label}: ${payment.id} (${state} ${s.amount} ${s.currency})`)
    } catch (e: any) {
      // K and L/M depend on behaviour that is not guaranteed; record and go on.
      const msg = e?.message ?? String(e)
      logger.error(`seed ${s.label} failed: ${msg}`)
      out[s.label] = { error: msg }
      if (!["K", "L", "M"].includes(s.label)) {
        throw e
      }
    }
  }

  const { data: reasons } = await query.graph({
    entity: "refund_reason",
    fields: ["id", "label", "code", "description"],
  })
  out.refund_reasons = reasons.map((r: any) => ({
    id: r.id,
    label: r.label,
    code: r.code,
    description: r.description ?? null,
  }))
  out.admin_user_id = admin.id
  out.seeded_at = new Date().toISOString()

  const json = JSON.stringify(out, null, 2) + "\n"
  const target = path.resolve(process.env.SEED_OUTPUT || path.join(process.cwd(), ".state", "seed.json"))
  fs.mkdirSync(path.dirname(target), { recursive: true })
  const tmp = `${target}.tmp-${process.pid}`
  fs.writeFileSync(tmp, json)
  fs.renameSync(tmp, target)

  logger.info(`SEED RESULT ${JSON.stringify(out)}`)
  logger.info(`SEED FILE ${target}`)
}
