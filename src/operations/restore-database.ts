import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { AppError } from "../shared/errors.js";
import {
  checkDatabaseFile,
  type DatabaseCheck,
  databaseInUse,
  fsyncDirectory,
  fsyncFile,
  removeDatabaseFiles,
  sqlitePathOf,
  tempPathBeside,
} from "./sqlite-files.js";

export interface RestoreResult extends DatabaseCheck {
  file: string;
  /** Whether a database was there before and got replaced. */
  replaced: boolean;
}

/**
 * Puts a backup in place of the embedded SQLite database. Nothing is touched until the backup has
 * been copied beside the database and checked (a SQLite file, sound by `integrity_check`, a Refund Desk
 * database by its migrations table and audit log); a database some process has open is not replaced
 * unless `force` (a running server would go on writing to the file it had open, and the restore would
 * be lost). The checked copy is then renamed over the database in one step, and the old `-wal`/`-shm`
 * removed so SQLite cannot replay the old database's journal onto the restored one.
 */
export async function restoreDatabase(
  databaseUrl: string,
  backup: string,
  options: { force?: boolean } = {},
): Promise<RestoreResult> {
  const target = resolve(sqlitePathOf(databaseUrl, "restore"));
  const source = resolve(backup);
  if (!existsSync(source)) throw new AppError("not_found", `${backup} does not exist`);
  if (source === target) throw new AppError("validation_failed", "The backup is the database itself");
  mkdirSync(dirname(target), { recursive: true });
  const temp = tempPathBeside(target, "restore");
  let check: DatabaseCheck;
  try {
    copyFileSync(source, temp);
    // A copy of a live database may have committed pages still in its WAL: SQLite replays it.
    if (existsSync(`${source}-wal`)) copyFileSync(`${source}-wal`, `${temp}-wal`);
    check = checkDatabaseFile(temp, backup);
    const replaced = existsSync(target);
    if (replaced && !options.force && databaseInUse(target))
      throw new AppError(
        "conflict",
        `The database ${target} is in use (a server or another command has it open): stop it first, ` +
          "or pass --force if you are sure nothing writes to it",
      );
    fsyncFile(temp);
    // Any journal of the old database must go before the new file appears under its name.
    for (const suffix of ["-wal", "-shm", "-journal"]) rmSync(`${target}${suffix}`, { force: true });
    renameSync(temp, target);
    fsyncDirectory(dirname(target));
    return { ...check, file: target, replaced };
  } finally {
    removeDatabaseFiles(temp);
  }
}
