import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";

/**
 * The analytical engine the importer and the audit run on: one in-memory DuckDB database and one
 * connection. Bills are loaded into its `charges` table (see `load-charges.ts`); detectors are SQL
 * queries over that table. Use one `Analytics` for one job (an audit, an import) and close it.
 *
 * Queries on one connection run one at a time: do not load two files concurrently into the same
 * `Analytics`.
 */
export interface Analytics {
  connection: DuckDBConnection;
  close(): void;
}

export interface AnalyticsOptions {
  /** DuckDB `memory_limit`, e.g. `"2GB"`; DuckDB's default (80 % of RAM) when absent. */
  memoryLimit?: string;
  /** Where DuckDB spills when an operation does not fit in memory. */
  tempDirectory?: string;
  /** Worker threads; DuckDB's default (one per core) when absent. */
  threads?: number;
}

export async function openAnalytics(options: AnalyticsOptions = {}): Promise<Analytics> {
  const config: Record<string, string> = {
    // Row order is file order: the importer relies on it to number CSV lines and Parquet rows.
    preserve_insertion_order: "true",
  };
  if (options.memoryLimit !== undefined) config.memory_limit = options.memoryLimit;
  if (options.tempDirectory !== undefined) config.temp_directory = options.tempDirectory;
  if (options.threads !== undefined) {
    if (!Number.isInteger(options.threads) || options.threads < 1) {
      throw new RangeError(`threads must be a positive integer, got ${options.threads}`);
    }
    config.threads = String(options.threads);
  }
  const instance = await DuckDBInstance.create(":memory:", config);
  let connection: DuckDBConnection;
  try {
    connection = await instance.connect();
    // Timestamps without an offset are UTC (FOCUS); TIMESTAMPTZ values print in UTC.
    await connection.run("SET TimeZone = 'UTC'");
  } catch (error) {
    instance.closeSync();
    throw error;
  }
  let closed = false;
  return {
    connection,
    close() {
      if (closed) return;
      closed = true;
      connection.closeSync();
      instance.closeSync();
    },
  };
}
