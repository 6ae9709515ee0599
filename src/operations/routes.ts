import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import { principalOf, writeContext } from "../http/auth.js";
import { sendProblem, toProblem } from "../http/problem-details.js";
import { Id, Problem, pageOf, pageQueryWith, problemResponses } from "../http/schemas.js";
import { require } from "../identity/guard.js";
import type { Services } from "../shared/context.js";
import { AppError } from "../shared/errors.js";
import { pageRequest } from "../store/pagination.js";
import { JobView, jobView } from "./job-views.js";
import { listDeadJobs } from "./list-dead-jobs.js";
import type { Metrics } from "./metrics.js";
import { checkReadiness } from "./readiness.js";
import { retryDeadJob } from "./retry-dead-job.js";

const tags = ["operations"];
const JOB_ID = /^job_[0-9a-z]{26}$/;

/**
 * `/healthz` (the process answers), `/readyz` (the database answers and its schema is current) and
 * `/metrics` (Prometheus; access is checked by `registerMetricsAccess`). Served by the API and by a
 * worker's `--metrics-port`.
 */
export async function probeRoutes(
  scope: FastifyInstance,
  services: Services,
  metrics: Metrics,
): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    "/healthz",
    {
      schema: {
        tags,
        summary: "The process is alive (no dependency is checked: use it as the liveness probe)",
        security: [],
        response: { 200: Type.Object({ status: Type.Literal("ok") }) },
      },
    },
    async () => ({ status: "ok" as const }),
  );
  app.get(
    "/readyz",
    {
      schema: {
        tags,
        summary: "Ready for traffic: the database answers and every migration of this build has run",
        description:
          "503 with problem details (`code: unavailable`, `reason: database_unreachable | migrations_pending`) otherwise.",
        security: [],
        response: {
          200: Type.Object({
            status: Type.Literal("ready"),
            migrations: Type.Object({
              applied: Type.Integer(),
              last: Type.Union([Type.String(), Type.Null()]),
            }),
          }),
          503: Problem,
        },
      },
    },
    async (request, reply) => {
      const readiness = await checkReadiness(services.store);
      if (readiness.ready)
        return {
          status: "ready" as const,
          migrations: { applied: readiness.appliedMigrations, last: readiness.lastMigration },
        };
      // Answered, not thrown: a probe polled every few seconds must not fill the error log.
      const error = new AppError("unavailable", readiness.detail, {
        extensions: {
          reason: readiness.reason,
          appliedMigrations: readiness.appliedMigrations,
          lastMigration: readiness.lastMigration,
        },
      });
      return sendProblem(reply.header("cache-control", "no-store"), toProblem(error, request));
    },
  );
  app.get(
    "/metrics",
    {
      schema: {
        tags,
        summary: "Prometheus metrics (text format)",
        description:
          "With `REFUND_DESK_METRICS_TOKEN` set, present it as `Authorization: Bearer <token>`; unset, only " +
          "callers on the same machine (loopback, not through a proxy) may read them. See docs/deployment.md.",
        security: [],
      },
    },
    async (_request, reply) => {
      const text = await metrics.render();
      return reply.header("cache-control", "no-store").type(metrics.registry.contentType).send(text);
    },
  );
}

const DeadJobParams = Type.Object({ jobId: Id("Job id") });

/** The dead-letter desk: jobs out of attempts, and sending one back to the queue (admins, `jobs.manage`). */
export async function deadLetterRoutes(scope: FastifyInstance, services: Services): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    "/jobs/dead",
    {
      schema: {
        tags,
        summary: "Background jobs that ran out of attempts, newest first (admins)",
        querystring: pageQueryWith({
          kind: Type.Optional(
            Type.String({ minLength: 1, maxLength: 64, description: "Only jobs of this kind" }),
          ),
        }),
        response: { 200: pageOf(JobView), ...problemResponses },
      },
    },
    async (request) => {
      // Provider-wide: customers and tokens do not even see that it exists (404).
      require(principalOf(request), "jobs.manage", { organisationId: null }, "Route");
      const q = request.query;
      const page = await listDeadJobs(
        services.store.db,
        { kind: q.kind },
        pageRequest(q.limit, q.cursor, JOB_ID),
      );
      return { items: page.items.map(jobView), nextCursor: page.nextCursor };
    },
  );
  app.post(
    "/jobs/:jobId/retry",
    {
      schema: {
        tags,
        summary: "Send a dead job back to the queue with its full number of attempts (admins)",
        params: DeadJobParams,
        body: Type.Object({}, { additionalProperties: false }),
        response: { 200: JobView, ...problemResponses },
      },
    },
    async (request) => {
      require(principalOf(request), "jobs.manage", { organisationId: null }, "Route");
      const job = await retryDeadJob(services, writeContext(request), { jobId: request.params.jobId });
      return jobView(job);
    },
  );
}
