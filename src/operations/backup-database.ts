import { existsSync, renameSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import SQLite from "better-sqlite3";
import { AppError } from "../shared/errors.js";
import {
  checkDatabaseFile,
  type DatabaseCheck,
  fsyncDirectory,
  fsyncFile,
  messageOf,
  removeDatabaseFiles,
  sqlitePathOf,
  tempPathBeside,
} from "./sqlite-files.js";

export interface BackupResult extends DatabaseCheck {
  file: string;
  bytes: number;
}

/**
 * Copies the embedded SQLite database to `target` while the server may be running, with SQLite's
 * online backup (better-sqlite3's `db.backup()`): a consistent snapshot taken page by page under a
 * read lock, which in WAL mode never blocks the server's writers. The copy is made beside the target,
 * checked (integrity, migrations, audit log) and renamed into place, so `target` is never a partial file.
 */
export async function backupDatabase(databaseUrl: string, target: string): Promise<BackupResult> {
  const source = sqlitePathOf(databaseUrl, "backup");
  const file = resolve(target);
  if (!existsSync(source)) throw new AppError("not_found", `There is no database at ${source} to back up`);
  if (existsSync(file))
    throw new AppError("validation_failed", `${target} already exists; remove it or choose another name`);
  if (!existsSync(dirname(file)))
    throw new AppError("validation_failed", `The folder of ${target} does not exist`);
  if (resolve(source) === file)
    throw new AppError("validation_failed", "The backup cannot replace the database itself");
  const temp = tempPathBeside(file, "backup");
  const db = new SQLite(source, { fileMustExist: true });
  try {
    // All remaining pages in one step: a write by the server between steps would restart the
    // copy from the start, so small steps could chase a busy database forever.
    await db.backup(temp, { progress: () => 0x7fffffff });
  } catch (error) {
    removeDatabaseFiles(temp);
    throw new AppError("internal", `The backup failed: ${messageOf(error)}`);
  } finally {
    db.close();
  }
  try {
    const check = checkDatabaseFile(temp, "The backup");
    fsyncFile(temp);
    renameSync(temp, file);
    fsyncDirectory(dirname(file));
    return { ...check, file, bytes: statSync(file).size };
  } catch (error) {
    removeDatabaseFiles(temp);
    throw error;
  }
}
