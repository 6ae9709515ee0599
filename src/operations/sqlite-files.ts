import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import SQLite from "better-sqlite3";
import { AppError } from "../shared/errors.js";
import { parseDatabaseUrl } from "../store/database.js";

/**
 * The SQLite file behind `REFUND_DESK_DATABASE_URL`; on PostgreSQL, an error that says which tools
 * back it up instead (`what` is `backup` or `restore`).
 */
export function sqlitePathOf(databaseUrl: string, what: "backup" | "restore"): string {
  const { engine, target } = parseDatabaseUrl(databaseUrl);
  if (engine === "sqlite" && target !== ":memory:") return target;
  if (engine === "sqlite")
    throw new AppError(
      "validation_failed",
      `An in-memory database cannot be ${what === "backup" ? "backed up" : "restored"}`,
    );
  throw new AppError(
    "validation_failed",
    what === "backup"
      ? "`refund-desk backup` is for the embedded SQLite database. On PostgreSQL use its own tools, e.g. " +
          '`pg_dump --format=custom --file=refund-desk.dump "$REFUND_DESK_DATABASE_URL"` (see docs/deployment.md)'
      : "`refund-desk restore` is for the embedded SQLite database. On PostgreSQL use its own tools, e.g. " +
          '`pg_restore --clean --if-exists --no-owner --dbname="$REFUND_DESK_DATABASE_URL" refund-desk.dump` ' +
          "with every Refund Desk process stopped (see docs/deployment.md)",
  );
}

/** A name beside `file`, so the final rename stays on one file system (and so is atomic). */
export function tempPathBeside(file: string, purpose: string): string {
  return join(dirname(file), `.${basename(file)}.${purpose}-${randomBytes(6).toString("hex")}.tmp`);
}

/** A database file and its WAL-mode companions. */
export function removeDatabaseFiles(file: string): void {
  for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(`${file}${suffix}`, { force: true });
}

export function fsyncFile(file: string): void {
  const fd = openSync(file, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Flushes a directory entry (a rename) to disk; some file systems refuse, which is harmless. */
export function fsyncDirectory(dir: string): void {
  try {
    fsyncFile(dir);
  } catch {
    // e.g. EISDIR/EINVAL on file systems that do not sync directories
  }
}

export interface DatabaseCheck {
  /** Migrations recorded in the file, in order. */
  migrations: string[];
  auditEntries: number;
}

/**
 * Opens a copy of a database (read-write: WAL-mode files need their index) and checks that it is
 * sound and is a Refund Desk database: SQLite's `integrity_check`, Kysely's migrations table with our
 * first migration, and the audit log. Leaves the file in rollback-journal mode, one self-contained
 * file with no `-wal` beside it. `label` names the file in messages.
 */
export function checkDatabaseFile(file: string, label: string): DatabaseCheck {
  let db: SQLite.Database;
  try {
    db = new SQLite(file, { fileMustExist: true, timeout: 0 });
  } catch (error) {
    throw new AppError("validation_failed", `${label} cannot be opened as a database: ${messageOf(error)}`);
  }
  try {
    let problems: string[];
    try {
      problems = (db.pragma("integrity_check(20)") as Array<{ integrity_check: string }>).map(
        (r) => r.integrity_check,
      );
    } catch (error) {
      throw new AppError(
        "validation_failed",
        `${label} is not a SQLite database or is damaged: ${messageOf(error)}`,
      );
    }
    if (problems.length !== 1 || problems[0] !== "ok")
      throw new AppError(
        "validation_failed",
        `${label} is damaged (SQLite integrity_check): ${problems.slice(0, 5).join("; ")}`,
      );
    const tables = new Set(
      (
        db.prepare("select name from sqlite_master where type = 'table'").all() as Array<{ name: string }>
      ).map((r) => r.name),
    );
    if (!tables.has("kysely_migration") || !tables.has("audit_log"))
      throw new AppError(
        "validation_failed",
        `${label} is a SQLite database but not a Refund Desk one (it has no migrations table or audit log)`,
      );
    const migrations = (
      db.prepare("select name from kysely_migration order by name").all() as Array<{ name: string }>
    ).map((r) => r.name);
    if (migrations[0] !== "0001-foundation")
      throw new AppError(
        "validation_failed",
        `${label} is not a Refund Desk database (its migrations table does not start with 0001-foundation)`,
      );
    const { n } = db.prepare("select count(*) as n from audit_log").get() as { n: number };
    db.pragma("journal_mode = DELETE");
    return { migrations, auditEntries: n };
  } finally {
    db.close();
  }
}

/**
 * True when another connection (a running `serve`, another CLI) has the database open. In WAL mode
 * every open connection holds a shared lock for as long as it is open, so asking for the exclusive
 * lock with no wait fails exactly then.
 */
export function databaseInUse(file: string): boolean {
  const db = new SQLite(file, { fileMustExist: true, timeout: 0 });
  try {
    db.pragma("locking_mode = EXCLUSIVE");
    db.exec("begin exclusive");
    db.exec("commit");
    return false;
  } catch (error) {
    if ((error as { code?: string }).code?.startsWith("SQLITE_BUSY")) return true;
    throw error;
  } finally {
    db.close();
  }
}

export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
