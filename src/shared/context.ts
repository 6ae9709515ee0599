import type { Config } from "../config.js";
import type { Store } from "../store/database.js";
import type { Clock } from "./clock.js";

/** What every operation may use: the store, settings and the clock. No module-level clients. */
export interface Services {
  store: Store;
  config: Config;
  clock: Clock;
}

/** Who is writing and in which request: goes into the audit-log entry of the write. */
export interface WriteContext {
  actor: string;
  requestId: string | null;
}

export const SYSTEM_ACTORS = {
  cli: "system:cli",
  seed: "system:seed-demo",
  kycVerifier: "system:kyc-verifier",
  audit: "system:audit",
} as const;
