/**
 * generateDataset: a realistic, deterministic dataset for one organisation — FOCUS 1.2 charges,
 * the evidence files of DESIGN.md, and truth.json (the findings `refund-desk audit` must report).
 * Same options → byte-identical files. charges.csv is streamed; memory stays flat in `rows`.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { currency as currencyOf, Dec, isCurrencyCode, Money } from "../money/index.js";
import { type FieldError, validationFailed } from "../shared/errors.js";
import { DAY, iso, isoDate, SECOND } from "./calendar.js";
import { INVOICE_ISSUER, PROVIDER, PUBLISHER } from "./catalog.js";
import { ChargeSink } from "./charge-sink.js";
import { csvField, fromUnits } from "./focus-row.js";
import type { PaymentRecord, PromotionRecord } from "./model.js";
import { type NormalizedOptions, Planner } from "./plan.js";
import type { Stream } from "./streams.js";
import { finishFindings, refundableByCurrency, type TruthFinding } from "./truth.js";

export type { TruthFinding } from "./truth.js";

export interface GenerateDatasetOptions {
  outDir: string;
  /** Non-negative safe integer. */
  seed: number;
  /** Accounts in the organisation (the first is the billing account). Default 40. */
  accounts?: number;
  /** Billing months. Default 3. */
  months?: number;
  /** Data rows of charges.csv, planted anomalies included. Default 1,000,000. */
  rows?: number;
  /** ISO 4217 billing currency. Default USD. */
  currency?: string;
  /** First month, `YYYY-MM`. Default 2026-01. */
  start?: string;
  /** Planted situations per row (at least one of each kind from 1,000 rows on). Default 0.001. */
  anomalyRate?: number;
  /** Plant nothing: the audit must find nothing. */
  clean?: boolean;
  /** Called as charges.csv grows. */
  onProgress?: (rowsWritten: number, totalRows: number) => void;
}

export interface GenerateDatasetResult {
  outDir: string;
  rows: number;
  /** The findings of truth.json, in audit order. */
  findings: TruthFinding[];
  /** `YYYY-MM-DD`: audit with `--as-of` this date; every planted finding is claimable then. */
  asOf: string;
  files: string[];
}

export const DATASET_FILES = [
  "charges.csv",
  "usage.jsonl",
  "subscriptions.jsonl",
  "incidents.jsonl",
  "promotions.jsonl",
  "payments.jsonl",
  "truth.json",
] as const;

export const GENERATE_DEFAULTS = {
  accounts: 40,
  months: 3,
  rows: 1_000_000,
  currency: "USD",
  start: "2026-01",
  anomalyRate: 0.001,
} as const;

export const GENERATE_LIMITS = {
  maxAccounts: 1000,
  maxMonths: 24,
  maxRows: 100_000_000,
} as const;

function normalize(options: GenerateDatasetOptions): NormalizedOptions {
  const errors: FieldError[] = [];
  const int = (field: string, value: number, min: number, max: number) => {
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      errors.push({ field, code: "out_of_range", message: `must be a whole number from ${min} to ${max}` });
    }
  };
  const o = {
    outDir: options.outDir,
    seed: options.seed,
    accounts: options.accounts ?? GENERATE_DEFAULTS.accounts,
    months: options.months ?? GENERATE_DEFAULTS.months,
    rows: options.rows ?? GENERATE_DEFAULTS.rows,
    currency: options.currency ?? GENERATE_DEFAULTS.currency,
    start: options.start ?? GENERATE_DEFAULTS.start,
    anomalyRate: options.anomalyRate ?? GENERATE_DEFAULTS.anomalyRate,
    clean: options.clean ?? false,
  };
  if (typeof o.outDir !== "string" || o.outDir === "") {
    errors.push({ field: "out", code: "required", message: "must name an output directory" });
  }
  int("seed", o.seed, 0, Number.MAX_SAFE_INTEGER);
  int("accounts", o.accounts, 1, GENERATE_LIMITS.maxAccounts);
  int("months", o.months, 1, GENERATE_LIMITS.maxMonths);
  int("rows", o.rows, 1, GENERATE_LIMITS.maxRows);
  if (!isCurrencyCode(o.currency)) {
    errors.push({
      field: "currency",
      code: "unknown_currency",
      message: "must be an upper-case ISO 4217 code",
    });
  }
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(o.start) || Number(o.start.slice(0, 4)) < 1971) {
    errors.push({ field: "start", code: "invalid_month", message: "must be a month such as 2026-01" });
  }
  if (!Number.isFinite(o.anomalyRate) || o.anomalyRate < 0 || o.anomalyRate > 1) {
    errors.push({ field: "anomalyRate", code: "out_of_range", message: "must be a fraction from 0 to 1" });
  }
  if (errors.length > 0) throw validationFailed(errors);
  return o;
}

function jsonLines(records: readonly object[]): string {
  return records.map((r) => `${JSON.stringify(r)}\n`).join("");
}

export async function generateDataset(options: GenerateDatasetOptions): Promise<GenerateDatasetResult> {
  const opts = normalize(options);
  const { minorUnits } = currencyOf(opts.currency);
  const planner = new Planner(opts, minorUnits);
  planner.build();
  const cal = planner.cal;
  const billing = planner.accounts[0]!;
  const invoiceId = (accountIndex: number, m: number) =>
    `INV-${cal.label(m).replace("-", "")}-${planner.accounts[accountIndex]!.id}`;
  const heads = planner.accounts.map((a) =>
    Array.from({ length: opts.months }, (_, m) =>
      [
        billing.id,
        planner.org,
        a.id,
        a.name,
        PROVIDER,
        PUBLISHER,
        INVOICE_ISSUER,
        invoiceId(a.index, m),
        cal.isoAt(cal.start(m)),
        cal.isoAt(cal.end(m)),
      ]
        .map(csvField)
        .join(",")
        .concat(","),
    ),
  );

  await mkdir(opts.outDir, { recursive: true });
  const sink = await ChargeSink.open(
    join(opts.outDir, "charges.csv"),
    "charges.csv",
    cal,
    heads,
    planner.accounts.map((a) => a.id),
    (n) => options.onProgress?.(n, opts.rows),
  );
  try {
    const carry: Carry = { waiting: [], taxes: [] };
    for (let m = 0; m < opts.months; m++) await writeMonth(planner, sink, m, carry);
    // Nothing left to step over: the rest is written where it is.
    for (const w of carry.waiting) await writeGroup(sink, w);
    for (const t of carry.taxes) writeTax(planner, sink, t.account, t.month);
  } finally {
    await sink.close();
  }
  if (sink.rows !== opts.rows) throw new Error(`wrote ${sink.rows} rows instead of ${opts.rows}`);

  const findings = finishFindings(
    planner.scenarios.flatMap((s) => s.finalize(sink, opts.currency)),
    opts.currency,
  );
  const asOf = isoDate(planner.asOf);

  const payments = paymentsFor(planner, sink, invoiceId);
  const byId = (a: { subscriptionId: string }, b: { subscriptionId: string }) =>
    a.subscriptionId < b.subscriptionId ? -1 : 1;
  const promoOrder = (a: PromotionRecord, b: PromotionRecord) =>
    a.validFrom < b.validFrom ? -1 : a.validFrom > b.validFrom ? 1 : a.promotionId < b.promotionId ? -1 : 1;
  const incidents = planner.incidents
    .slice()
    .sort((a, b) => a.start - b.start || (a.incidentId < b.incidentId ? -1 : 1))
    .map((i) => ({
      incidentId: i.incidentId,
      serviceName: i.serviceName,
      regionId: i.regionId,
      resourceIds: i.resourceIds,
      start: iso(i.start),
      end: iso(i.end),
      statusPageUrl: `https://health.aws.amazon.com/health/status?eventID=${i.incidentId}`,
    }));
  const truth = {
    generator: {
      seed: opts.seed,
      rows: opts.rows,
      accounts: opts.accounts,
      months: opts.months,
      start: opts.start,
      currency: opts.currency,
      anomalyRate: opts.anomalyRate,
      clean: opts.clean,
      asOf,
    },
    summary: { charges: opts.rows, findings: findings.length, refundable: refundableByCurrency(findings) },
    findings,
  };
  const out = (name: string) => join(opts.outDir, name);
  await writeFile(out("usage.jsonl"), jsonLines(planner.usageRecords()));
  await writeFile(out("subscriptions.jsonl"), jsonLines(planner.subscriptions.slice().sort(byId)));
  await writeFile(out("incidents.jsonl"), jsonLines(incidents));
  await writeFile(out("promotions.jsonl"), jsonLines(planner.promotions.slice().sort(promoOrder)));
  await writeFile(out("payments.jsonl"), jsonLines(payments));
  await writeFile(out("truth.json"), `${JSON.stringify(truth, null, 2)}\n`);
  return { outDir: opts.outDir, rows: opts.rows, findings, asOf, files: [...DATASET_FILES] };
}

/** Whether lines `first … first + n − 1` include both 10^k − 1 and 10^k for some k. */
function straddlesPowerOfTen(first: number, n: number): boolean {
  let bound = 10;
  while (bound <= first) bound *= 10;
  return first + n - 1 >= bound;
}

interface WaitingGroup {
  account: number;
  month: number;
  group: Stream[];
}

/** Planted groups waiting for a place that does not straddle 10^k lines, and their invoices' taxes. */
interface Carry {
  waiting: WaitingGroup[];
  taxes: { account: number; month: number }[];
}

async function writeGroup(sink: ChargeSink, w: WaitingGroup): Promise<void> {
  sink.begin(w.account, w.month);
  for (const stream of w.group) {
    stream.emitMonth(w.month, sink);
    if (sink.shouldFlush) await sink.flush();
  }
}

function writeTax(planner: Planner, sink: ChargeSink, accountIndex: number, m: number): void {
  const account = planner.accounts[accountIndex]!;
  sink.begin(accountIndex, m);
  // NOTE: tax on the invoice's net amount (never negative), rounded to the minor unit.
  const net = Dec.max(fromUnits(sink.invoiceTotal(accountIndex, m)), 0);
  const tax = Money.of(net.toFixed(), planner.opts.currency).times(account.taxRate).roundToMinor();
  sink.pushRow(planner.taxRow(account, m, tax.toDecimal()));
}

/**
 * The rows of one month, invoice by invoice (account by account): streams in plan order, then
 * corrections and credits, then the tax on the invoice's net amount.
 *
 * The streams of a planted situation are written as one contiguous group, and a group that would
 * straddle line 10^k waits behind the next ordinary rows (of any account, even of the next month;
 * its invoice's tax row waits with it). So the charge references of a finding have the same number
 * of digits, and sorting them as strings or by line number gives the same order and the same
 * finding id, whichever reading of docs/audit-rules.md a detector takes.
 */
async function writeMonth(planner: Planner, sink: ChargeSink, m: number, carry: Carry): Promise<void> {
  const { waiting, taxes } = carry;
  const fits = (w: WaitingGroup) =>
    !straddlesPowerOfTen(
      sink.rows + 2,
      w.group.reduce((n, s) => n + s.rowsInMonth(w.month), 0),
    );
  const settle = async () => {
    for (let i = 0; i < waiting.length; ) {
      if (fits(waiting[i]!)) await writeGroup(sink, waiting.splice(i, 1)[0]!);
      else i += 1;
    }
    for (let i = 0; i < taxes.length; ) {
      const t = taxes[i]!;
      if (waiting.some((w) => w.account === t.account && w.month === t.month)) i += 1;
      else {
        taxes.splice(i, 1);
        writeTax(planner, sink, t.account, t.month);
      }
    }
  };
  for (const account of planner.accounts) {
    const streams = planner.streams[account.index]!;
    for (let i = 0; i < streams.length; ) {
      const track = streams[i]!.track;
      let j = i + 1;
      while (track !== undefined && j < streams.length && streams[j]!.track === track) j += 1;
      const w: WaitingGroup = { account: account.index, month: m, group: streams.slice(i, j) };
      i = j;
      if (track !== undefined && !fits(w)) waiting.push(w);
      else {
        await writeGroup(sink, w);
        if (track === undefined) await settle();
      }
    }
    for (const extra of planner.extras.get(`${account.index}:${m}`) ?? []) {
      // A correction comes after the charge it corrects: a group it belongs to goes first.
      const correcting = extra.row.chargeClass === "Correction" ? extra.track : undefined;
      for (let k = 0; correcting !== undefined && k < waiting.length; ) {
        if (waiting[k]!.group[0]!.track === correcting) await writeGroup(sink, waiting.splice(k, 1)[0]!);
        else k += 1;
      }
      sink.begin(account.index, m);
      sink.pushRow(extra.row, extra.track);
      await settle();
    }
    if (account.index < planner.taxAccounts) {
      if (waiting.some((w) => w.account === account.index && w.month === m))
        taxes.push({ account: account.index, month: m });
      else writeTax(planner, sink, account.index, m);
      await settle();
    }
  }
}

/**
 * One payment per invoice (account and month) with a positive total: the billing account pays
 * by bank transfer, most accounts by card (some cards shared between accounts), a few spend a
 * voucher first and pay the rest by card.
 */
function paymentsFor(
  planner: Planner,
  sink: ChargeSink,
  invoiceId: (accountIndex: number, m: number) => string,
): PaymentRecord[] {
  const rng = planner.rng.fork("payments");
  const cur = planner.opts.currency;
  const cards = Array.from(
    { length: Math.max(1, Math.ceil(planner.accounts.length / 3)) },
    () => `fp_card_${rng.hex(24)}`,
  );
  const profiles = planner.accounts.map((a) => {
    const r = rng.float();
    const method = a.index === 0 || r < 0.15 ? "bank_transfer" : r < 0.87 ? "card" : "voucher";
    return { method, bank: `fp_bank_${rng.hex(24)}`, card: rng.pick(cards) };
  });
  const voucherLimit = Money.of("25", cur).times(planner.ctx.priceScale);
  const out: PaymentRecord[] = [];
  const pay = (
    accountIndex: number,
    m: number,
    method: string,
    fingerprint: string,
    amount: Money,
    at: number,
  ) => {
    out.push({
      paymentId: planner.unique(() => `pay_${rng.hex(16)}`),
      accountId: planner.accounts[accountIndex]!.id,
      invoiceId: invoiceId(accountIndex, m),
      method,
      instrumentFingerprint: fingerprint,
      amount: amount.toFixedMinor(),
      currency: cur,
      paidAt: iso(at),
    });
  };
  for (let m = 0; m < planner.opts.months; m++) {
    for (const a of planner.accounts) {
      const total = Money.of(fromUnits(sink.invoiceTotal(a.index, m)).toFixed(), cur).roundToMinor();
      if (!total.isPositive()) continue;
      const profile = profiles[a.index]!;
      const at = planner.cal.end(m) + rng.int(2, 9) * DAY + rng.int(0, 86_399) * SECOND;
      if (profile.method === "bank_transfer") pay(a.index, m, "bank_transfer", profile.bank, total, at);
      else if (profile.method === "card") pay(a.index, m, "card", profile.card, total, at);
      else {
        const voucher = Money.min(total, voucherLimit);
        pay(a.index, m, "voucher", `fp_voucher_${rng.hex(16)}`, voucher, at);
        const rest = total.minus(voucher);
        if (rest.isPositive()) pay(a.index, m, "card", profile.card, rest, at + 5 * SECOND);
      }
    }
  }
  return out;
}
