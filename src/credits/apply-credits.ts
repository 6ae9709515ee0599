/**
 * Which account credits an invoice consumes, and where: a pure function of the invoice's charges and
 * the account's grants. Amounts are integer minor units of the invoice's currency (bigint), never floats.
 *
 * NOTE (the documented order, docs/architecture.md "Credits and invoices"):
 * - credits are spent one after the other, in this order: lowest `priority` first, then the one that
 *   expires earliest, then the oldest (`createdAt`), then by id — so, among equal priorities, the credit
 *   closest to being lost is used first;
 * - each credit is spent on the invoice's charges in charge order: earliest charge period start first
 *   (charges without one last), then by charge id — until the credit or the charges in its scope are used up;
 * - a credit only covers charges in its scope: an empty list of services (regions) means any service
 *   (region); otherwise the charge's service name (region id) must be in the list, compared exactly
 *   (case and spaces matter; a charge without a service or region matches only an empty list);
 * - a charge takes at most its billed amount, and a zero or negative charge (a refund, a correction)
 *   takes nothing; a credit gives at most what remains of it;
 * - only credits in the invoice's currency apply; a credit whose expiry is at or before the invoice
 *   time never applies;
 * - credits never take the invoice below zero: in total they cover at most the invoice's net amount
 *   (negative lines included), so a credit is never turned into money paid out.
 */

export interface CreditScope {
  /** Service names (FOCUS `ServiceName`); empty: any service. */
  readonly services: readonly string[];
  /** Region ids (FOCUS `RegionId`); empty: any region. */
  readonly regions: readonly string[];
}

export interface InvoiceCharge {
  readonly id: string;
  readonly serviceName: string | null;
  readonly regionId: string | null;
  /** The charge's line on the invoice, in minor units (see `roundInvoiceLines`). */
  readonly billedMinor: bigint;
  readonly currency: string;
  /** ISO 8601 instant of the charge period start; orders the charges. */
  readonly periodStart: string | null;
}

export interface CreditGrant {
  readonly id: string;
  readonly currency: string;
  readonly remainingMinor: bigint;
  readonly scope: CreditScope;
  /** Lower is spent first. */
  readonly priority: number;
  readonly expiresAt: string;
  readonly createdAt: string;
}

export interface CreditApplication {
  readonly creditId: string;
  readonly amountMinor: bigint;
}

export interface AllocatedLine {
  readonly chargeId: string;
  readonly billedMinor: bigint;
  /** In the order the credits were spent. */
  readonly credits: readonly CreditApplication[];
  readonly creditedMinor: bigint;
  /** Billed minus credited. */
  readonly dueMinor: bigint;
}

export interface CreditUse {
  readonly creditId: string;
  readonly usedMinor: bigint;
  /** What remains of the credit after this invoice. */
  readonly remainingMinor: bigint;
}

export type SkipReason = "other_currency" | "expired" | "nothing_remaining";

export interface CreditAllocation {
  readonly currency: string;
  /** The charges in the invoice's currency, in charge order. */
  readonly lines: readonly AllocatedLine[];
  /** Every applicable credit, in spending order, with what this invoice used of it (possibly 0). */
  readonly uses: readonly CreditUse[];
  /** Credits that could not apply at all, and why. */
  readonly skipped: ReadonlyArray<{ readonly creditId: string; readonly reason: SkipReason }>;
  /** Charges in another currency: they belong to another invoice and are left untouched. */
  readonly otherCurrencyChargeIds: readonly string[];
  readonly totals: {
    readonly chargesMinor: bigint;
    readonly creditsMinor: bigint;
    readonly dueMinor: bigint;
  };
}

export interface ApplyCreditsInput {
  /** The invoice's currency. */
  readonly currency: string;
  /** The invoice time (ISO 8601): credits expiring at or before it do not apply. */
  readonly at: string;
  readonly charges: readonly InvoiceCharge[];
  readonly grants: readonly CreditGrant[];
}

/** Plain code-unit order: the same on every machine and locale (unlike localeCompare). */
const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** An instant in ms; text that is not one sorts after every real instant. */
function instant(iso: string | null): number {
  if (iso === null) return Number.POSITIVE_INFINITY;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : Number.POSITIVE_INFINITY;
}

const compareNumbers = (a: number, b: number): number => (a < b ? -1 : a > b ? 1 : 0);

/** The spending order of credits: priority, earliest expiry, oldest, id. */
export function compareGrants(a: CreditGrant, b: CreditGrant): number {
  return (
    compareNumbers(a.priority, b.priority) ||
    compareNumbers(instant(a.expiresAt), instant(b.expiresAt)) ||
    compareNumbers(instant(a.createdAt), instant(b.createdAt)) ||
    compareText(a.id, b.id)
  );
}

/** The order charges take credit in: earliest charge period start (none: last), then id. */
export function compareCharges(
  a: Pick<InvoiceCharge, "id" | "periodStart">,
  b: Pick<InvoiceCharge, "id" | "periodStart">,
): number {
  return compareNumbers(instant(a.periodStart), instant(b.periodStart)) || compareText(a.id, b.id);
}

/** Whether a credit with this scope may cover a charge of this service and region. */
export function inScope(
  scope: CreditScope,
  charge: Pick<InvoiceCharge, "serviceName" | "regionId">,
): boolean {
  const service =
    scope.services.length === 0 ||
    (charge.serviceName !== null && scope.services.includes(charge.serviceName));
  const region =
    scope.regions.length === 0 || (charge.regionId !== null && scope.regions.includes(charge.regionId));
  return service && region;
}

/** A credit is expired once its expiry is at or before `at`; an unreadable expiry counts as expired. */
export function isExpired(expiresAt: string, at: string): boolean {
  const expiry = Date.parse(expiresAt);
  return !Number.isFinite(expiry) || expiry <= Date.parse(at);
}

function smallest(first: bigint, ...rest: bigint[]): bigint {
  let m = first;
  for (const v of rest) if (v < m) m = v;
  return m;
}

export function applyCredits(input: ApplyCreditsInput): CreditAllocation {
  const { currency } = input;
  const charges = input.charges.filter((c) => c.currency === currency).sort(compareCharges);
  const otherCurrencyChargeIds = input.charges
    .filter((c) => c.currency !== currency)
    .sort(compareCharges)
    .map((c) => c.id);
  const chargesMinor = charges.reduce((s, c) => s + c.billedMinor, 0n);

  // What each charge can still take; a zero or negative line takes nothing.
  const open = charges.map((c) => (c.billedMinor > 0n ? c.billedMinor : 0n));
  const applied = charges.map((): CreditApplication[] => []);
  // NOTE: credits never take the invoice below zero (see the module comment).
  let invoiceLeft = chargesMinor > 0n ? chargesMinor : 0n;

  const uses: CreditUse[] = [];
  const skipped: Array<{ creditId: string; reason: SkipReason }> = [];
  for (const grant of [...input.grants].sort(compareGrants)) {
    if (grant.currency !== currency) {
      skipped.push({ creditId: grant.id, reason: "other_currency" });
      continue;
    }
    if (isExpired(grant.expiresAt, input.at)) {
      skipped.push({ creditId: grant.id, reason: "expired" });
      continue;
    }
    if (grant.remainingMinor <= 0n) {
      skipped.push({ creditId: grant.id, reason: "nothing_remaining" });
      continue;
    }
    let left = grant.remainingMinor;
    for (const [i, charge] of charges.entries()) {
      if (left === 0n || invoiceLeft === 0n) break;
      const chargeOpen = open[i]!;
      if (chargeOpen === 0n || !inScope(grant.scope, charge)) continue;
      const take = smallest(left, chargeOpen, invoiceLeft);
      open[i] = chargeOpen - take;
      left -= take;
      invoiceLeft -= take;
      applied[i]!.push({ creditId: grant.id, amountMinor: take });
    }
    uses.push({ creditId: grant.id, usedMinor: grant.remainingMinor - left, remainingMinor: left });
  }

  const lines = charges.map((c, i): AllocatedLine => {
    const credits = applied[i]!;
    const creditedMinor = credits.reduce((s, a) => s + a.amountMinor, 0n);
    return {
      chargeId: c.id,
      billedMinor: c.billedMinor,
      credits,
      creditedMinor,
      dueMinor: c.billedMinor - creditedMinor,
    };
  });
  const creditsMinor = uses.reduce((s, u) => s + u.usedMinor, 0n);
  return {
    currency,
    lines,
    uses,
    skipped,
    otherCurrencyChargeIds,
    totals: { chargesMinor, creditsMinor, dueMinor: chargesMinor - creditsMinor },
  };
}
