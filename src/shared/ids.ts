import { randomFillSync } from "node:crypto";
import { monotonicFactory } from "ulid";

/**
 * Ids are prefixed and time-sortable (`case_01J…`), so a cursor over ids is a cursor over
 * creation time and a stray id in a log says what it names. Ticket numbers are for people.
 */
export const ID_PREFIXES = {
  organisation: "org",
  account: "acct",
  user: "usr",
  membership: "mem",
  session: "ses",
  apiToken: "tok",
  kycDocument: "kycdoc",
  kycReview: "kycrev",
  paymentMethod: "pm",
  identityFingerprint: "idf",
  auditEntry: "aud",
  job: "job",
  import: "imp",
  charge: "chg",
  evidence: "evd",
  auditRun: "aur",
  request: "req",
  webhookEndpoint: "whe",
  webhookDelivery: "whd",
  email: "eml",
  refundRequest: "rfr",
  case: "case",
  caseEvent: "cevt",
  caseEvidence: "cevd",
  informationRequest: "rfi",
  decision: "dec",
  appeal: "apl",
  identityLinkReview: "ilr",
  ledgerAccount: "lac",
  journalEntry: "jnl",
  journalLine: "jln",
  creditGrant: "crg",
  creditUse: "cru",
  payout: "po",
  invoice: "inv",
  settlementImport: "stl",
  financeTask: "ftk",
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

/**
 * ULID draws one random number per character; asking the OS for each costs more than the rest of a
 * request's id work. The same cryptographic bytes come from a pool refilled 4 KiB at a time. A byte
 * over 256 is exact for ULID's 32 symbols (256 is a multiple of 32).
 */
const pool = Buffer.alloc(4096);
let poolAt = pool.length;
function pooledRandom(): number {
  if (poolAt === pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  return pool[poolAt++]! / 256;
}

const nextUlid = monotonicFactory(pooledRandom);

export function newId(kind: IdKind): string {
  return `${ID_PREFIXES[kind]}_${nextUlid().toLowerCase()}`;
}
