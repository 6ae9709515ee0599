import type { JobHandler } from "../jobs/worker.js";

/** The `payout.submit` job (placeholder until the payout flow lands). */
export const submitPayout: JobHandler = async () => {
  throw new Error("payout.submit is not implemented yet");
};

/** The `payout.check` job (placeholder until the payout flow lands). */
export const checkPayouts: JobHandler = async () => {
  throw new Error("payout.check is not implemented yet");
};
