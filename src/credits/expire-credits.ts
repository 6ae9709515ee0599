import type { JobHandler } from "../jobs/worker.js";

/** The `credit.expire` job (placeholder until credits land). */
export const expireCredits: JobHandler = async () => {
  throw new Error("credit.expire is not implemented yet");
};
