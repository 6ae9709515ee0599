import { conflict, notFound } from "../shared/errors.js";
import type { DialectCapabilities, Tx } from "../store/database.js";
import type { AccountTable } from "../store/schema.js";

type KycColumns = Partial<
  Pick<
    AccountTable,
    | "kyc_type"
    | "kyc_status"
    | "kyc_legal_name"
    | "kyc_submitted_at"
    | "kyc_verified_at"
    | "kyc_expires_at"
    | "kyc_rejection_reason"
  >
>;

/** The account row inside a KYC write, locked on PostgreSQL so two decisions cannot interleave. */
export async function lockAccount(
  tx: Tx,
  caps: DialectCapabilities,
  accountId: string,
): Promise<AccountTable | undefined> {
  let q = tx.selectFrom("accounts").selectAll().where("id", "=", accountId);
  if (caps.rowLocks) q = q.forUpdate();
  return q.executeTakeFirst();
}

export async function lockAccountOrThrow(
  tx: Tx,
  caps: DialectCapabilities,
  accountId: string,
): Promise<AccountTable> {
  const account = await lockAccount(tx, caps, accountId);
  if (!account) throw notFound("Account");
  return account;
}

/**
 * Writes KYC columns and bumps `version`. The version check is the backstop where rows are
 * not locked: a concurrent writer turns into a conflict instead of a lost update.
 */
export async function updateAccountKyc(tx: Tx, account: AccountTable, set: KycColumns): Promise<number> {
  const version = account.version + 1;
  const result = await tx
    .updateTable("accounts")
    .set({ ...set, version })
    .where("id", "=", account.id)
    .where("version", "=", account.version)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) throw conflict("The account changed meanwhile; try again");
  return version;
}
