import type { Command } from "commander";
import { loadConfig } from "../config.js";
import { backupDatabase } from "../operations/backup-database.js";
import { restoreDatabase } from "../operations/restore-database.js";
import { action } from "./runtime.js";

export function registerBackup(program: Command): void {
  program
    .command("backup")
    .description("Copy the embedded SQLite database to FILE while the server runs (PostgreSQL: use pg_dump)")
    .argument("<file>", "where to write the backup (must not exist)")
    .action(
      action(async (file: string) => {
        const result = await backupDatabase(loadConfig().databaseUrl, file);
        process.stdout.write(
          `Backed up to ${result.file} (${result.bytes} bytes, ${result.migrations.length} migrations, ` +
            `${result.auditEntries} audit-log entries; integrity ok).\n` +
            "Keep with it the secret key (REFUND_DESK_SECRET_KEY or DATA_DIR/secret.key: the KYC documents in " +
            "the database cannot be read without it) and DATA_DIR's evidence/, letters/ and uploads/ folders " +
            "(files the database points to).\n",
        );
      }),
    );

  program
    .command("restore")
    .description(
      "Replace the embedded SQLite database with a backup, checked first (PostgreSQL: use pg_restore)",
    )
    .argument("<file>", "a backup made by `refund-desk backup`")
    .option("--force", "replace the database even though a process has it open")
    .action(
      action(async (file: string, opts: { force?: boolean }) => {
        const result = await restoreDatabase(loadConfig().databaseUrl, file, { force: opts.force });
        process.stdout.write(
          `Restored ${file} to ${result.file}${result.replaced ? " (the previous database was replaced)" : ""}: ` +
            `${result.migrations.length} migrations, ${result.auditEntries} audit-log entries; integrity ok.\n` +
            "Run `refund-desk audit-log verify` to check the audit log's chain, then start the server " +
            "(it applies any newer migrations).\n",
        );
      }),
    );
}
