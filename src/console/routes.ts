import type { FastifyInstance } from "fastify";
import { landingPage, landingScript } from "./landing-page.js";

export async function consoleRoutes(app: FastifyInstance): Promise<void> {
  const page = landingPage();
  const script = landingScript();
  app.get("/", { schema: { hide: true } }, async (_req, reply) =>
    reply.type("text/html; charset=utf-8").send(page),
  );
  app.get("/console/landing.js", { schema: { hide: true } }, async (_req, reply) =>
    reply.type("text/javascript; charset=utf-8").send(script),
  );
}
