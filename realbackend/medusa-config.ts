import { loadEnv, defineConfig } from "@medusajs/framework/utils"

loadEnv(process.env.NODE_ENV || "development", process.cwd())

// Origins that get Access-Control-Allow-Origin on /admin/* and /auth/*.
// The first two are Medusa's starter defaults; the others are the browser
// origins used against the mock. Override with ADMIN_CORS / AUTH_CORS.
const DEFAULT_CORS =
  "http://localhost:5173,http://localhost:9000,https://docs.medusajs.com,http://127.0.0.1:5173"

module.exports = defineConfig({
  projectConfig: {
    databaseUrl:
      process.env.DATABASE_URL ||
      "postgres://medusa:medusa@127.0.0.1:5432/medusa",
    databaseDriverOptions: { connection: { ssl: false } },
    http: {
      storeCors: process.env.STORE_CORS || "http://localhost:8000",
      adminCors: process.env.ADMIN_CORS || DEFAULT_CORS,
      authCors: process.env.AUTH_CORS || DEFAULT_CORS,
      // Fixed development values (Medusa's own fallback is "supersecret").
      jwtSecret: process.env.JWT_SECRET || "supersecret",
      cookieSecret: process.env.COOKIE_SECRET || "supersecret",
    },
  },
  admin: {
    disable: true,
  },
})
