import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { sql } from "kysely";
import { importFile } from "../../src/imports/import-file.js";
import type { Services } from "../../src/shared/context.js";
import type { Db } from "../../src/store/database.js";
import type { PayoutTable } from "../../src/store/schema.js";
import { type Caller, call } from "./client.js";
import { PNG } from "./uploads.js";

/**
 * Decided refunds to the original payment method, made the way customers and reviewers make
 * them (charges and payments imported, KYC verified, a case filed and decided through the API),
 * and the ledger checks the payout tests share.
 */

const HEADER =
  "BillingAccountId,SubAccountId,SubAccountName,ProviderName,ServiceName,RegionId,ResourceId,SkuId,ChargeCategory,ChargeFrequency,ChargePeriodStart,ChargePeriodEnd,PricingQuantity,PricingUnit,BilledCost,BillingCurrency,InvoiceId";

export interface RefundCharge {
  /** Unique per charge: names the resource and the charge's line. */
  resource: string;
  invoiceId: string;
  cost: string;
  /** The original payment of the invoice at the gateway; none: the payout pays to `invoice:<id>`. */
  paymentId?: string;
  /** The card the payment was made with (its gateway fingerprint). */
  instrumentFingerprint?: string;
}

const SYSTEM = { actor: "system:test", requestId: null };

/**
 * Imports one charge per item on Acme's production account (external id 100000000002), and the
 * payments of those that name one. Returns each charge's id by resource.
 */
export async function importRefundCharges(
  services: Services,
  organisationId: string,
  fileName: string,
  charges: readonly RefundCharge[],
): Promise<Map<string, string>> {
  const dir = services.config.dataDir;
  const lines = charges.map(
    (c) =>
      `100000000001,100000000002,Acme — production,AWS,Amazon Elastic Compute Cloud,us-east-1,${c.resource},BoxUsage:m5.large,Usage,Usage-Based,2026-04-01T00:00:00Z,2026-05-01T00:00:00Z,720,Hours,${c.cost},USD,${c.invoiceId}`,
  );
  writeFileSync(join(dir, `${fileName}.csv`), `${HEADER}\n${lines.join("\n")}\n`);
  await importFile(services, SYSTEM, {
    organisationId,
    kind: "charges",
    path: join(dir, `${fileName}.csv`),
    fileName: `${fileName}.csv`,
    onInvalid: "fail",
  });
  const payments = charges.filter((c) => c.paymentId);
  if (payments.length > 0) {
    const jsonl = payments.map((c) =>
      JSON.stringify({
        paymentId: c.paymentId,
        accountId: "100000000002",
        invoiceId: c.invoiceId,
        method: "card",
        ...(c.instrumentFingerprint ? { instrumentFingerprint: c.instrumentFingerprint } : {}),
        amount: c.cost,
        currency: "USD",
        paidAt: "2026-05-02T09:00:00Z",
      }),
    );
    writeFileSync(join(dir, `${fileName}-payments.jsonl`), `${jsonl.join("\n")}\n`);
    await importFile(services, SYSTEM, {
      organisationId,
      kind: "payments",
      path: join(dir, `${fileName}-payments.jsonl`),
      fileName: `${fileName}-payments.jsonl`,
      onInvalid: "fail",
    });
  }
  const rows = await services.store.db
    .selectFrom("charges")
    .select(["id", "resource_id"])
    .where("organisation_id", "=", organisationId)
    .where("import_id", "in", (eb) =>
      eb.selectFrom("imports").select("id").where("file_name", "=", `${fileName}.csv`),
    )
    .execute();
  return new Map(rows.map((r) => [r.resource_id ?? "", r.id]));
}

/** Verifies an account's identity through the API: a passport, the submission, compliance's decision. */
export async function verifyKyc(
  baseUrl: string,
  owner: Caller,
  compliance: Caller,
  accountId: string,
  identityNumber: string,
): Promise<void> {
  const form = new FormData();
  form.append("kind", "passport");
  form.append("file", new Blob([PNG]), "passport.png");
  const up = await call(baseUrl, "POST", `/accounts/${accountId}/kyc/documents`, {
    as: owner,
    rawBody: form,
  });
  if (up.status !== 201 && up.status !== 200) throw new Error(`KYC upload failed: ${up.status} ${up.text}`);
  const sub = await call(baseUrl, "POST", `/accounts/${accountId}/kyc`, {
    as: owner,
    body: { type: "individual", legalName: "Olivia Owner", identityNumber },
  });
  if (sub.status !== 200) throw new Error(`KYC submission failed: ${sub.status} ${sub.text}`);
  const dec = await call(baseUrl, "POST", `/accounts/${accountId}/kyc/decision`, {
    as: compliance,
    body: { decision: "verified", reason: "Passport matches" },
  });
  if (dec.status !== 200) throw new Error(`KYC decision failed: ${dec.status} ${dec.text}`);
}

/** Files one case per charge as the owner, lets the review run, and decides each a full refund. */
export async function decideRefunds(
  baseUrl: string,
  who: { owner: Caller; reviewer: Caller },
  accountId: string,
  chargeIds: readonly string[],
  runReviews: () => Promise<unknown>,
): Promise<string[]> {
  const filed = await call<{ cases: Array<{ id: string }> }>(baseUrl, "POST", "/cases", {
    as: who.owner,
    body: {
      accountId,
      items: chargeIds.map((chargeId) => ({ chargeId })),
      reason: "billing_error",
      desiredOutcome: "refund_original_method",
      summary: "Billed for an instance that never ran",
      description: "The instance was never started in April; invoice bills the whole month.",
      impactStatement: "We overpaid for April.",
    },
  });
  if (filed.status !== 201) throw new Error(`filing failed: ${filed.status} ${filed.text}`);
  await runReviews();
  const ids = filed.body.cases.map((c) => c.id);
  for (const id of ids) {
    const decided = await call<{ state: string }>(baseUrl, "POST", `/cases/${id}/decision`, {
      as: who.reviewer,
      body: {
        outcome: "refund_original_method",
        rationale: "The instance never ran in April; the charge is refunded in full.",
        clauses: ["billing-errors-refunded"],
      },
    });
    if (decided.status !== 200 || decided.body.state !== "decided")
      throw new Error(`deciding ${id} failed: ${decided.status} ${decided.text}`);
  }
  return ids;
}

export async function payoutOfCase(db: Db, caseId: string): Promise<PayoutTable> {
  return db.selectFrom("payouts").selectAll().where("case_id", "=", caseId).executeTakeFirstOrThrow();
}

/** Journal entries whose lines do not sum to 0 in some currency (must be none). */
export async function unbalancedEntries(db: Db): Promise<Array<{ entry_id: string; currency: string }>> {
  const r = await sql<{ entry_id: string; currency: string }>`
    select entry_id, currency from journal_lines group by entry_id, currency having sum(amount_minor) <> 0`.execute(
    db,
  );
  return r.rows;
}

/** Sum of every journal line per currency (the trial balance): 0 in each when the ledger balances. */
export async function trialBalance(db: Db): Promise<Record<string, number>> {
  const r = await sql<{ currency: string; total: number | string }>`
    select currency, sum(amount_minor) as total from journal_lines group by currency`.execute(db);
  return Object.fromEntries(r.rows.map((x) => [x.currency, Number(x.total)]));
}

/** The balance of one ledger code over the entries of one case (debits positive). */
export async function caseBalance(db: Db, caseId: string, code: string): Promise<number> {
  const r = await sql<{ total: number | string | null }>`
    select sum(l.amount_minor) as total
    from journal_lines l
    join journal_entries e on e.id = l.entry_id
    join ledger_accounts a on a.id = l.ledger_account_id
    where e.case_id = ${caseId} and a.code = ${code}`.execute(db);
  return Number(r.rows[0]?.total ?? 0);
}
