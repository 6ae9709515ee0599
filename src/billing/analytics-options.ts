import { join } from "node:path";
import type { Config } from "../config.js";
import type { AnalyticsOptions } from "./analytics.js";

/** The product's DuckDB: bounded memory, spilling into the data folder beyond it. */
export function analyticsOptions(config: Config): AnalyticsOptions {
  return {
    memoryLimit: config.analyticsMemoryLimit,
    tempDirectory: join(config.dataDir, "tmp"),
    ...(config.analyticsThreads ? { threads: config.analyticsThreads } : {}),
  };
}
