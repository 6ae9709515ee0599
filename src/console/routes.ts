import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { setConsoleSecurityHeaders } from "./security-headers.js";

/**
 * Where the built console (vite's output: index.html + assets/) is. REFUND_DESK_CONSOLE_DIR wins (the
 * browser tests build into a temporary folder); otherwise `dist/web` next to the compiled server
 * (`dist/console/routes.js`), or the repository's `dist/web` when the server runs from `src/` (tsx).
 */
export function consoleDirectory(env: NodeJS.ProcessEnv = process.env): string | null {
  const candidates = env.REFUND_DESK_CONSOLE_DIR
    ? [env.REFUND_DESK_CONSOLE_DIR]
    : [
        fileURLToPath(new URL("../web", import.meta.url)),
        fileURLToPath(new URL("../../dist/web", import.meta.url)),
      ];
  return candidates.find((dir) => existsSync(join(dir, "index.html"))) ?? null;
}

/** Shown at `/` when the console was never built, so a bare `tsx` run still says what to do. */
const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Refund Desk</title></head>
<body><main><h1>Refund Desk</h1>
<p>The web console is not built. Run <code>npm run build</code> (or <code>npm start</code>, which builds first).</p>
<p>The API and its documentation: <a href="/docs">/docs</a> (OpenAPI at <a href="/openapi.json">/openapi.json</a>).</p>
</main></body></html>`;

/**
 * The React console: `/` (sign-in) and every client route under `/app/` answer the same index.html,
 * whose hashed scripts and styles live under `/assets/`. Client routes sit under `/app/` because the
 * API owns the natural paths (`/cases/:id` answers JSON), so a reload never lands on the API.
 */
export async function consoleRoutes(app: FastifyInstance): Promise<void> {
  app.addHook("onRequest", async (request, reply) => setConsoleSecurityHeaders(request, reply));
  const dir = consoleDirectory();
  if (dir === null) {
    app.log.warn(
      "web console not built (no index.html in REFUND_DESK_CONSOLE_DIR or dist/web): `/` says how to build it",
    );
    app.get("/", { schema: { hide: true } }, async (_req, reply) =>
      reply.code(503).header("cache-control", "no-store").type("text/html; charset=utf-8").send(NOT_BUILT),
    );
    return;
  }
  const index = readFileSync(join(dir, "index.html"), "utf8");
  const sendIndex = async (_req: FastifyRequest, reply: FastifyReply) =>
    // no-cache: the page names the current hashed bundles, so a new build is picked up at once.
    reply.header("cache-control", "no-cache").type("text/html; charset=utf-8").send(index);
  app.get("/", { schema: { hide: true } }, sendIndex);
  app.get("/app", { schema: { hide: true } }, sendIndex);
  app.get("/app/*", { schema: { hide: true } }, sendIndex);
  if (existsSync(join(dir, "assets")))
    await app.register(fastifyStatic, {
      root: join(dir, "assets"),
      prefix: "/assets/",
      // File names carry a content hash: a changed file is a new URL, so caching forever is safe.
      immutable: true,
      maxAge: "365d",
      index: false,
      dotfiles: "deny",
      decorateReply: false,
      schemaHide: true,
    });
}
