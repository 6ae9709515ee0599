import { type Config, loadConfig } from "../config.js";
import { systemClock } from "../shared/clock.js";
import type { Services } from "../shared/context.js";
import { AppError, exitCodeFor } from "../shared/errors.js";
import { openStore } from "../store/database.js";
import { migrateToLatest } from "../store/migrations/index.js";

/** Opens the configured store (migrating it to the latest schema) for one CLI command. */
export async function openServices(config: Config = loadConfig()): Promise<Services> {
  const store = openStore(config.databaseUrl);
  await migrateToLatest(store);
  return { store, config, clock: systemClock };
}

/** Runs a command body; AppErrors become a one-line message and the exit code of their kind. */
export function action<A extends unknown[]>(
  body: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await body(...args);
    } catch (error) {
      if (error instanceof AppError) {
        const fields = error.fieldErrors.map((f) => `\n  ${f.field}: ${f.message} (${f.code})`).join("");
        process.stderr.write(`refund-desk: ${error.message}${fields}\n`);
      } else {
        process.stderr.write(`refund-desk: ${error instanceof Error ? error.message : String(error)}\n`);
      }
      process.exitCode = exitCodeFor(error);
    }
  };
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}
