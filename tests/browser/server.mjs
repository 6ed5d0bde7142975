// A tiny static server for the admin page in this folder, playing the part of a Vite dev
// server: it serves index.html and app.js, and /sdk.js, the official @medusajs/js-sdk
// (from tests/js/node_modules) bundled for the browser by esbuild at start-up.
//
// By hand, with the mock on its default port (`make run`):
//   (cd tests/js && npm ci) && node tests/browser/server.mjs --port 5173
//   open http://localhost:5173/?email=admin@example.com&password=supersecret
// (http://localhost:5173 is in the mock's default ADMIN_CORS/AUTH_CORS, as in Medusa's starter.)
import { readFile } from "node:fs/promises"
import { createServer } from "node:http"
import { createRequire } from "node:module"
import path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const HERE = path.dirname(fileURLToPath(import.meta.url))
const JS_DIR = path.resolve(HERE, "..", "js") // where package.json and node_modules live
const FILES = {
  "/": ["index.html", "text/html; charset=utf-8"],
  "/index.html": ["index.html", "text/html; charset=utf-8"],
  "/app.js": ["app.js", "text/javascript; charset=utf-8"],
}

/** The SDK as one browser ES module exporting `default` (Medusa) and `FetchError`. */
export async function bundleSdk() {
  const require = createRequire(path.join(JS_DIR, "package.json"))
  const esbuild = await import(pathToFileURL(require.resolve("esbuild")).href)
  const result = await esbuild.build({
    stdin: {
      contents: 'export { default, FetchError } from "@medusajs/js-sdk"',
      resolveDir: JS_DIR,
      loader: "js",
    },
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2020",
    write: false,
    logLevel: "silent",
  })
  return result.outputFiles[0].text
}

/** Serve the page on host:port, or on the listening socket `fd` a parent process holds (so
 * that no other process can take its port first); resolves { url, close } once listening. */
export async function startServer({ port = 5173, host = "127.0.0.1", fd } = {}) {
  const sdk = await bundleSdk()
  const server = createServer(async (request, response) => {
    const { pathname } = new URL(request.url, "http://placeholder")
    let body, type
    if (pathname === "/sdk.js") {
      body = sdk
      type = "text/javascript; charset=utf-8"
    } else if (FILES[pathname]) {
      const [file, contentType] = FILES[pathname]
      body = await readFile(path.join(HERE, file))
      type = contentType
    } else {
      response.writeHead(404, { "content-type": "text/plain" }).end("Not found")
      return
    }
    response.writeHead(200, { "content-type": type, "cache-control": "no-store" }).end(body)
  })
  await new Promise((resolve, reject) => {
    server.once("error", reject)
    if (fd === undefined) server.listen(port, host, resolve)
    else server.listen({ fd }, resolve)
  })
  return {
    url: `http://localhost:${server.address().port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve) }),
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const option = (name, fallback) => {
    const index = process.argv.indexOf(`--${name}`)
    return index > 0 ? process.argv[index + 1] : fallback
  }
  const { url } = await startServer({ port: Number(option("port", 5173)), host: option("host", "127.0.0.1") })
  console.log(`admin page on ${url}/ (backend: ?backend=..., default http://localhost:9000)`)
}
