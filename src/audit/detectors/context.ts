import type { DuckDBConnection } from "@duckdb/node-api";
import type { Policy } from "../../policy/policy.js";
import type { Candidate } from "../candidate.js";

/** What every detector gets: the engine, the policy and the as-of date; no other state. */
export interface DetectorContext {
  connection: DuckDBConnection;
  policy: Policy;
  /** Midnight (UTC) of `--as-of`, in microseconds. */
  asOf: bigint;
  /** Tables present in the database: evidence tables are optional (absent = no evidence of that kind). */
  tables: ReadonlySet<string>;
}

export type Detector = (context: DetectorContext) => Promise<Candidate[]>;
