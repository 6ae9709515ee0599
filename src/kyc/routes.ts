import type { FastifyInstance } from "fastify";
import type { Services } from "../shared/context.js";

/** Placeholder until the KYC routes land. */
export async function kycRoutes(_scope: FastifyInstance, _services: Services): Promise<void> {}
