/**
 * Assembles a complete refund request from a draft: subject, one-paragraph executive summary, a timeline
 * with explicit time zones, billed versus actual usage, the evidence, and what is asked. Pure: no I/O, no
 * clock; the same draft always gives the same (JSON-serialisable) request. `POST /cases/preview` returns it
 * next to `lintRequest`'s issues.
 *
 * The builder never fails on what the customer types (text, amounts, evidence labels): an amount that is
 * not a decimal is left out of the totals and reported by the lint instead. It throws validation_failed
 * (all field errors at once) only for malformed billing-store data: an unknown time zone or currency, a
 * billed cost or quantity that is not a decimal, a timestamp without an offset.
 */

import { DateTime, FixedOffsetZone } from "luxon";
import { HOUR_UNITS } from "../audit/sql.js";
import { type Interval, totalLength, unionIntervals } from "../billing/evidence/availability.js";
import { parseTimestamp } from "../billing/evidence/timestamps.js";
import { isTimeZoneName } from "../calendar/index.js";
import { currency, Dec, Money, parseDecimal } from "../money/index.js";
import { AppError, type FieldError, validationFailed } from "../shared/errors.js";
import {
  type DraftEvidence,
  type DraftLineItem,
  type DraftUsage,
  type RequestDraft,
  requestedAmountText,
  tryDecimal,
} from "./request-draft.js";
import type { CaseReason, DesiredOutcome } from "./vocabulary.js";

export interface TimelineEntry {
  /** ISO 8601 in the customer's time zone, with its offset: 2026-05-03T09:00:00+08:00. */
  at: string;
  /** The customer's IANA time zone. */
  timeZone: string;
  /** The same instant in UTC: 2026-05-03T01:00:00Z. */
  utc: string;
  event: string;
}

export interface BilledVersusActualRow {
  chargeId: string;
  sourceRef: string;
  resourceId: string | null;
  billedQuantity: string | null;
  /** Null when the usage cannot be compared with this charge (no period, no unit, no records in its unit). */
  actualQuantity: string | null;
  unit: string | null;
  /** Exact, as billed. */
  billedCost: string;
  /** billed − actual, exact. */
  differenceQuantity: string | null;
}

export interface BuiltRequest {
  subject: string;
  /** One paragraph: who, what, when (explicit zone), where, why, what is asked. */
  executiveSummary: string;
  /** Charge periods, usage intervals and incidents, in time order. */
  timeline: TimelineEntry[];
  /** Only when usage is given for a line item's resource. */
  billedVersusActual: null | { rows: BilledVersusActualRow[]; note: string };
  evidenceList: string[];
  /** "Refund of USD 41.28 to the original payment method". */
  requestedResolution: string;
  impactStatement: string;
  /** Requested amount per currency (sorted by code), rounded to the currency's minor unit. */
  totals: Array<{ currency: string; amount: string }>;
}

const REASON_NOUNS: Readonly<Record<CaseReason, string>> = {
  billing_error: "a billing error",
  duplicate_charge: "a duplicate charge",
  sla_breach: "a breach of the service level agreement (SLA)",
  accidental_purchase: "an accidental purchase",
  unused_prepaid: "an unused prepaid balance",
  charged_after_cancellation: "a charge after cancellation",
  promotion_not_applied: "a promotion that was not applied",
  other: "a billing problem described by the customer",
};

/** Subject lines name the problem without an article. */
const REASON_TITLES: Readonly<Record<CaseReason, string>> = {
  billing_error: "billing error",
  duplicate_charge: "duplicate charge",
  sla_breach: "SLA breach",
  accidental_purchase: "accidental purchase",
  unused_prepaid: "unused prepaid balance",
  charged_after_cancellation: "charged after cancellation",
  promotion_not_applied: "promotion not applied",
  other: "billing dispute",
};

/** A finding names the problem more precisely than the reason it maps to (billing_error covers several). */
const FINDING_TITLES: Readonly<Record<string, string>> = {
  duplicate_charge: "duplicate charge",
  billed_beyond_usage: "billed beyond usage",
  charged_after_cancellation: "charged after cancellation",
  sla_credit: "SLA breach",
  promotion_not_applied: "promotion not applied",
  rate_above_contract: "rate above contract",
  unused_prepaid_credit: "unused prepaid credit",
};

const RESOLUTIONS: Readonly<Record<DesiredOutcome, (amount: string) => string>> = {
  refund_original_method: (a) => `refund of ${a} to the original payment method`,
  account_credit: (a) => `account credit of ${a}`,
  partial_refund: (a) => `partial refund of ${a} to the original payment method`,
  service_adjustment: (a) => `service adjustment worth ${a}`,
};

const CHANNEL_WORDS = {
  console: "through the console",
  api: "through the API",
  phone: "from a phone call",
  chat: "from a chat",
} as const;

const EVIDENCE_WORDS: Readonly<Record<DraftEvidence["kind"], string>> = {
  file: "Attached file",
  transcript: "Transcript",
  email: "E-mail",
  reference: "Reference",
};

/** Resource nouns for well-known services, so a subject reads "ECS instance i-bp1…" rather than a SKU. */
const SERVICE_NOUNS: ReadonlyArray<{ pattern: RegExp; noun: string }> = [
  { pattern: /^(?:alibaba cloud )?(?:elastic compute service|ecs)\b/i, noun: "ECS instance" },
  { pattern: /^(?:amazon elastic compute cloud|amazon ec2|aws ec2|amazonec2|ec2)\b/i, noun: "EC2 instance" },
  {
    pattern: /^(?:amazon relational database service|amazon rds|amazonrds|apsaradb (?:for )?rds|rds)\b/i,
    noun: "RDS instance",
  },
  { pattern: /^(?:amazon simple storage service|amazon s3|amazons3|s3)\b/i, noun: "S3 bucket" },
  { pattern: /^(?:alibaba cloud )?(?:object storage service|oss)\b/i, noun: "OSS bucket" },
];

const HOURLY = new Set<string>(HOUR_UNITS);
const MS_PER_HOUR = 3_600_000n;

/** An instant with the offset its text was written in (billing dates read best in the biller's zone). */
interface Stamp {
  ms: number;
  offsetMinutes: number;
}

interface Item {
  line: DraftLineItem;
  billed: Money;
  /** Null when the typed amount is not a decimal: left out of the totals, reported by the lint. */
  requested: Money | null;
  start: Stamp | null;
  end: Stamp | null;
  pricingQuantity: Dec | null;
}

interface Usage {
  record: DraftUsage;
  start: Stamp;
  end: Stamp;
  quantity: Dec | null;
}

const OFFSET = /(?:[Zz]|([+-])(\d{2})(?::?(\d{2}))?)$/;

function offsetMinutesOf(text: string): number {
  const match = OFFSET.exec(text);
  if (match === null || match[1] === undefined) return 0;
  const minutes = Number(match[2]) * 60 + Number(match[3] ?? "0");
  return match[1] === "-" ? -minutes : minutes;
}

/** Collects every problem of the billing-store data before anything is built, like other validators. */
class Checker {
  readonly errors: FieldError[] = [];

  stamp(text: string, field: string): Stamp | null {
    const parsed = parseTimestamp(text);
    if (!parsed.ok) {
      this.errors.push({ field, code: "invalid_timestamp", message: `must be ${parsed.expected}` });
      return null;
    }
    return { ms: parsed.ms, offsetMinutes: offsetMinutesOf(text) };
  }

  decimal(text: string | null, field: string): Dec | null {
    if (text === null) return null;
    return this.#attempt(field, () => parseDecimal(text, field));
  }

  money(amount: string, currencyCode: string, prefix: string): Money | null {
    return this.#attempt(prefix, () => Money.of(amount, currencyCode), {
      amount: "billedCost",
      currency: "currency",
    });
  }

  #attempt<T>(field: string, fn: () => T, subfields: Record<string, string> = {}): T | null {
    try {
      return fn();
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== "validation_failed") throw error;
      for (const e of error.fieldErrors) {
        const sub = subfields[e.field];
        this.errors.push({ ...e, field: sub === undefined ? field : `${field}.${sub}` });
      }
      return null;
    }
  }
}

function prepare(draft: RequestDraft): { items: Item[]; usage: Usage[] } {
  const check = new Checker();
  if (!isTimeZoneName(draft.customer.timeZone)) {
    check.errors.push({
      field: "customer.timeZone",
      code: "invalid_time_zone",
      message: "must be an IANA time zone such as Asia/Shanghai or America/New_York",
    });
  }
  const items: Item[] = [];
  draft.lineItems.forEach((line, i) => {
    const at = `lineItems[${i}]`;
    const billed = check.money(line.billedCost, line.currency, at);
    const start =
      line.chargePeriodStart === null ? null : check.stamp(line.chargePeriodStart, `${at}.chargePeriodStart`);
    const end =
      line.chargePeriodEnd === null ? null : check.stamp(line.chargePeriodEnd, `${at}.chargePeriodEnd`);
    const pricingQuantity = check.decimal(line.pricingQuantity, `${at}.pricingQuantity`);
    if (billed === null) return;
    const typed = requestedAmountText(draft, line.chargeId);
    const requested =
      typed === null ? billed : tryDecimal(typed) === null ? null : Money.of(typed, billed.currency);
    items.push({ line, billed, requested, start, end, pricingQuantity });
  });
  const usage: Usage[] = [];
  draft.usage.forEach((record, i) => {
    const start = check.stamp(record.start, `usage[${i}].start`);
    const end = check.stamp(record.end, `usage[${i}].end`);
    const quantity = check.decimal(record.quantity, `usage[${i}].quantity`);
    if (start !== null && end !== null) usage.push({ record, start, end, quantity });
  });
  draft.incidents.forEach((incident, i) => {
    check.stamp(incident.start, `incidents[${i}].start`);
    check.stamp(incident.end, `incidents[${i}].end`);
  });
  if (check.errors.length > 0) throw validationFailed(check.errors);
  return { items, usage };
}

// ---------------------------------------------------------------------------------------------------------
// Words

/** Whitespace (line breaks included) collapsed, so customer text cannot break the one-paragraph summary. */
const oneLine = (text: string): string => text.replace(/\s+/gu, " ").trim();
const capitalise = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);
const article = (phrase: string): string => (/^[aeiou]/i.test(phrase) ? `an ${phrase}` : `a ${phrase}`);
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
/**
 * An amount as billed: padded to the currency's minor unit ("CNY 120.00") but never rounded, since cloud
 * bills price in fractions of a cent ("USD 2.304") and the request must quote the bill exactly.
 */
const show = (m: Money): string =>
  `${m.currency} ${m.toDecimal().decimalPlaces() <= currency(m.currency).minorUnits ? m.toFixedMinor() : m.amount}`;
/** An amount to be paid: rounded to the minor unit, where money moves. */
const payable = (m: Money): string => `${m.currency} ${m.toFixedMinor()}`;
/** Ends a sentence unless the text already does (in English or Chinese punctuation). */
const sentence = (text: string): string => (/[.!?。！？]$/u.test(text) ? text : `${text}.`);

function list(words: readonly string[]): string {
  if (words.length <= 1) return words.join("");
  return `${words.slice(0, -1).join(", ")} and ${words[words.length - 1]}`;
}

/** "ECS instance i-bp1…", "Amazon CloudFront resource E2…", "Tax charge chg_9". */
function label(line: DraftLineItem): string {
  const service = nonEmpty(line.serviceName);
  const resource = nonEmpty(line.resourceId);
  if (resource !== null) {
    const noun = service === null ? undefined : SERVICE_NOUNS.find((s) => s.pattern.test(service))?.noun;
    if (noun !== undefined) return `${noun} ${resource}`;
    return service === null ? `resource ${resource}` : `${service} resource ${resource}`;
  }
  return `${service ?? "the"} charge ${line.chargeId}`;
}

function nonEmpty(text: string | null): string | null {
  if (text === null) return null;
  const trimmed = oneLine(text);
  return trimmed === "" ? null : trimmed;
}

function totalsOf(moneys: readonly Money[]): Money[] {
  const byCurrency = new Map<string, Money[]>();
  for (const m of moneys) byCurrency.set(m.currency, [...(byCurrency.get(m.currency) ?? []), m]);
  return [...byCurrency.keys()]
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((code) => Money.sum(byCurrency.get(code)!, code));
}

function amountWords(totals: readonly Money[]): string {
  return totals.length === 0 ? "an amount still to be confirmed" : list(totals.map(payable));
}

// ---------------------------------------------------------------------------------------------------------
// Time

/** The earliest start and the latest end of the line items' charge periods. */
function overallPeriod(items: readonly Item[]): { start: Stamp; end: Stamp } | null {
  let start: Stamp | null = null;
  let end: Stamp | null = null;
  for (const { start: s, end: e } of items) {
    if (s === null || e === null) continue;
    if (start === null || s.ms < start.ms) start = s;
    if (end === null || e.ms > end.ms) end = e;
  }
  return start === null || end === null ? null : { start, end };
}

/**
 * The billing dates as the biller wrote them (in the start's own offset), the way the invoice names them:
 * "on 2026-05-03", "in 2026-05", "from 2026-05-01 to 2026-05-15" (the end is exclusive).
 */
function billingDates(period: { start: Stamp; end: Stamp }): string {
  const zone = FixedOffsetZone.instance(period.start.offsetMinutes);
  const a = DateTime.fromMillis(period.start.ms, { zone });
  const b = DateTime.fromMillis(period.end.ms, { zone });
  if (a.toMillis() === a.startOf("month").toMillis() && b.toMillis() === a.plus({ months: 1 }).toMillis()) {
    return `in ${a.toFormat("yyyy-MM")}`;
  }
  const last = b.toMillis() > a.toMillis() ? b.minus({ milliseconds: 1 }) : a;
  const first = a.toISODate();
  const final = last.toISODate();
  return first === final ? `on ${first}` : `from ${first} to ${final}`;
}

function clock(dt: DateTime): string {
  return dt.toFormat(dt.second === 0 && dt.millisecond === 0 ? "yyyy-MM-dd HH:mm" : "yyyy-MM-dd HH:mm:ss");
}

/** "from 2026-05-03 00:00 to 2026-05-04 00:00 Asia/Shanghai time (UTC+08:00), i.e. … UTC". */
function periodWords(period: { start: Stamp; end: Stamp }, timeZone: string): string {
  const a = DateTime.fromMillis(period.start.ms, { zone: timeZone });
  const b = DateTime.fromMillis(period.end.ms, { zone: timeZone });
  const local =
    a.offset === b.offset
      ? `from ${clock(a)} to ${clock(b)} ${timeZone} time (UTC${a.toFormat("ZZ")})`
      : `from ${clock(a)} (UTC${a.toFormat("ZZ")}) to ${clock(b)} (UTC${b.toFormat("ZZ")}) ${timeZone} time`;
  if (a.offset === 0 && b.offset === 0) return local;
  return `${local}, i.e. ${clock(a.toUTC())} to ${clock(b.toUTC())} UTC`;
}

function utcIso(ms: number): string {
  return DateTime.fromMillis(ms, { zone: "UTC" }).toISO({ suppressMilliseconds: true }) ?? "";
}

function localIso(ms: number, timeZone: string): string {
  return DateTime.fromMillis(ms, { zone: timeZone }).toISO({ suppressMilliseconds: true }) ?? "";
}

// ---------------------------------------------------------------------------------------------------------
// Parts

function subjectOf(draft: RequestDraft, items: readonly Item[]): string {
  const first = items[0];
  const what =
    first === undefined
      ? "Refund request"
      : `Refund request for ${label(first.line)}${
          items.length > 1 ? ` and ${plural(items.length - 1, "more line item")}` : ""
        }`;
  const title =
    (draft.finding !== null ? FINDING_TITLES[draft.finding.kind] : undefined) ?? REASON_TITLES[draft.reason];
  const period = overallPeriod(items);
  return `${what} — ${title}${period === null ? "" : ` ${billingDates(period)}`}`;
}

function itemWords(item: Item): string {
  const { line } = item;
  const name = label(line);
  const service = nonEmpty(line.serviceName);
  const resourceName = nonEmpty(line.resourceName);
  const about = [
    resourceName === null ? null : `“${resourceName}”`,
    service !== null && !name.includes(service) ? service : null,
  ]
    .filter((x) => x !== null)
    .join(", ");
  const refs = [
    `charge ${line.chargeId}`,
    line.sourceRef,
    line.invoiceId === null ? null : `invoice ${line.invoiceId}`,
  ]
    .filter((x) => x !== null && oneLine(x) !== "")
    .join(", ");
  return `${name}${about === "" ? "" : ` (${about})`}, billed ${show(item.billed)} (${refs})`;
}

const MAX_ITEMS_IN_SUMMARY = 3;

function executiveSummaryOf(draft: RequestDraft, items: readonly Item[], totals: readonly Money[]): string {
  const { customer, filedBy, finding } = draft;
  const organisation = nonEmpty(customer.organisationName) ?? "The customer";
  const accountParts = [
    nonEmpty(customer.accountName),
    customer.accountExternalId === null ? null : nonEmpty(customer.accountExternalId),
  ];
  const account =
    accountParts[0] === null && accountParts[1] === null
      ? ""
      : ` (account ${[accountParts[0], accountParts[1] === null ? null : `ID ${accountParts[1]}`].filter((x) => x !== null).join(", ")})`;
  const parts: string[] = [];

  // Who and what.
  if (items.length === 0) {
    parts.push(`${organisation}${account} disputes its bill; no line item is selected yet.`);
  } else {
    const shown = items.slice(0, MAX_ITEMS_IN_SUMMARY).map(itemWords);
    const rest = items.length - shown.length;
    const words = rest > 0 ? [...shown, plural(rest, "more line item")] : shown;
    const billed = totalsOf(items.map((i) => i.billed));
    parts.push(
      `${organisation}${account} disputes ${items.length === 1 ? "one line item" : `${items.length} line items`} ` +
        `of its bill, billed ${list(billed.map(show))} in total: ${words.join("; ")}.`,
    );
  }

  // When and where.
  const period = overallPeriod(items);
  const regions = [...new Set(items.map((i) => nonEmpty(i.line.regionId)).filter((r) => r !== null))];
  const where =
    regions.length === 0 ? "" : ` in ${regions.length === 1 ? "region" : "regions"} ${list(regions)}`;
  const subject = items.length === 1 ? "The charge" : "The charges";
  if (period !== null) {
    const covers = items.length === 1 ? "covers" : "cover";
    parts.push(
      `${subject} ${covers} the period ${periodWords(period, customer.timeZone)}${where === "" ? "" : `,${where}`}.`,
    );
  } else if (where !== "") {
    parts.push(`${subject} ${items.length === 1 ? "was" : "were"} billed${where}.`);
  }

  // Why.
  parts.push(`The reason is ${REASON_NOUNS[draft.reason]}.`);
  if (finding !== null) {
    const explanation = oneLine(finding.explanation);
    parts.push(
      `Audit finding ${oneLine(finding.id)} (${oneLine(finding.kind)})${explanation === "" ? "." : `: ${sentence(explanation)}`}`,
    );
  }
  const summary = oneLine(draft.summary);
  if (summary !== "") parts.push(`In the customer's words: “${summary}”.`);

  // What is asked, and by whom.
  parts.push(`The customer asks for ${article(RESOLUTIONS[draft.desiredOutcome](amountWords(totals)))}.`);
  const name = nonEmpty(filedBy.name);
  const behalf = filedBy.onBehalfOf === null ? null : nonEmpty(filedBy.onBehalfOf);
  parts.push(
    `${filedBy.channel === "phone" || filedBy.channel === "chat" ? "Logged" : "Filed"}` +
      `${name === null ? "" : ` by ${name}`} ${CHANNEL_WORDS[filedBy.channel]}` +
      `${behalf === null ? "" : ` on behalf of ${behalf}`}.`,
  );
  return oneLine(parts.join(" "));
}

interface Event {
  ms: number;
  /** Ends sort before starts at the same instant, so back-to-back intervals read in order. */
  phase: 0 | 1;
  /** Charges, then incidents, then usage at the same instant; then input order. */
  source: 0 | 1 | 2;
  index: number;
  event: string;
}

function timelineOf(draft: RequestDraft, items: readonly Item[], usage: readonly Usage[]): TimelineEntry[] {
  const events: Event[] = [];
  items.forEach((item, index) => {
    const what = `${label(item.line)} (charge ${item.line.chargeId}, billed ${show(item.billed)})`;
    if (item.start !== null)
      events.push({ ms: item.start.ms, phase: 1, source: 0, index, event: `Charge period begins: ${what}` });
    if (item.end !== null)
      events.push({ ms: item.end.ms, phase: 0, source: 0, index, event: `Charge period ends: ${what}` });
  });
  draft.incidents.forEach((incident, index) => {
    const what = `incident ${incident.incidentId} (${incident.serviceName} in ${incident.regionId})`;
    const page = incident.statusPageUrl === null ? "" : `, status page ${incident.statusPageUrl}`;
    // Validated in prepare(), so both parse.
    const start = parseTimestamp(incident.start);
    const end = parseTimestamp(incident.end);
    if (start.ok)
      events.push({ ms: start.ms, phase: 1, source: 1, index, event: `Outage begins: ${what}${page}` });
    if (end.ok) events.push({ ms: end.ms, phase: 0, source: 1, index, event: `Outage ends: ${what}` });
  });
  usage.forEach((u, index) => {
    const { record } = u;
    const amount =
      u.quantity === null ? "" : `, ${u.quantity.toFixed()}${record.unit === null ? "" : ` ${record.unit}`}`;
    events.push({
      ms: u.start.ms,
      phase: 1,
      source: 2,
      index,
      event: `Usage of ${record.resourceId} begins (${record.sourceRef}${amount})`,
    });
    events.push({
      ms: u.end.ms,
      phase: 0,
      source: 2,
      index,
      event: `Usage of ${record.resourceId} ends (${record.sourceRef})`,
    });
  });
  events.sort((x, y) => x.ms - y.ms || x.phase - y.phase || x.source - y.source || x.index - y.index);
  return events.map((e) => ({
    at: localIso(e.ms, draft.customer.timeZone),
    timeZone: draft.customer.timeZone,
    utc: utcIso(e.ms),
    event: e.event,
  }));
}

const NOTE_BASE =
  "Actual quantities come from the usage records of the same resource within each charge period; " +
  "the difference is billed minus actual.";
const NOTE_HOURLY =
  "For hourly units the actual quantity is the run time (overlapping records counted once) rounded up to " +
  "the next whole hour, as the audit counts it.";
const NOTE_METERED =
  "For other units it is the sum of the quantities of the records in the charge's unit that start within " +
  "the charge period.";
const NOTE_BLANK =
  "A blank actual quantity means the usage cannot be compared with that charge (no charge period, no " +
  "pricing unit, or no usage records in its unit).";

/** NOTE: the same rules as the billed_beyond_usage detector (docs/audit-rules.md §2). */
function billedVersusActualOf(
  items: readonly Item[],
  usage: readonly Usage[],
): BuiltRequest["billedVersusActual"] {
  const rows: BilledVersusActualRow[] = [];
  let hourly = false;
  let metered = false;
  let blank = false;
  for (const item of items) {
    const { line } = item;
    const records = usage.filter((u) => line.resourceId !== null && u.record.resourceId === line.resourceId);
    if (records.length === 0) continue;
    const unit = line.pricingUnit;
    let actual: Dec | null = null;
    if (item.start !== null && item.end !== null && unit !== null) {
      const from = BigInt(item.start.ms);
      const to = BigInt(item.end.ms);
      if (HOURLY.has(unit.toLowerCase())) {
        hourly = true;
        const clipped: Interval[] = records.map((u) => ({
          start: BigInt(u.start.ms) > from ? BigInt(u.start.ms) : from,
          end: BigInt(u.end.ms) < to ? BigInt(u.end.ms) : to,
        }));
        const ms = totalLength(unionIntervals(clipped));
        // NOTE: docs/audit-rules.md §2: run time in hours is rounded up to a whole hour.
        const hours = (ms + MS_PER_HOUR - 1n) / MS_PER_HOUR;
        actual = new Dec(hours.toString());
      } else {
        metered = true;
        const inUnit = records.filter(
          (u) => u.quantity !== null && u.record.unit?.toLowerCase() === unit.toLowerCase(),
        );
        // A log of run times says nothing about gigabytes: compare only when the unit is logged at all.
        if (inUnit.length > 0) {
          actual = inUnit
            .filter((u) => u.start.ms >= item.start!.ms && u.start.ms < item.end!.ms)
            .reduce((sum, u) => sum.plus(u.quantity!), new Dec(0));
        }
      }
    }
    if (actual === null) blank = true;
    const billed = item.pricingQuantity;
    rows.push({
      chargeId: line.chargeId,
      sourceRef: line.sourceRef,
      resourceId: line.resourceId,
      billedQuantity: billed === null ? null : billed.toFixed(),
      actualQuantity: actual === null ? null : actual.toFixed(),
      unit,
      billedCost: item.billed.amount,
      differenceQuantity: billed === null || actual === null ? null : billed.minus(actual).toFixed(),
    });
  }
  if (rows.length === 0) return null;
  const note = [
    NOTE_BASE,
    hourly ? NOTE_HOURLY : null,
    metered ? NOTE_METERED : null,
    blank ? NOTE_BLANK : null,
  ]
    .filter((x) => x !== null)
    .join(" ");
  return { rows, note };
}

function evidenceListOf(draft: RequestDraft, items: readonly Item[], usage: readonly Usage[]): string[] {
  const out: string[] = [];
  for (const item of items) {
    const invoice = item.line.invoiceId === null ? "" : `, invoice ${item.line.invoiceId}`;
    out.push(`Billing record ${item.line.sourceRef}: ${label(item.line)}, ${show(item.billed)}${invoice}`);
  }
  for (const u of usage) {
    const amount =
      u.quantity === null
        ? ""
        : `, ${u.quantity.toFixed()}${u.record.unit === null ? "" : ` ${u.record.unit}`}`;
    out.push(
      `Usage record ${u.record.sourceRef}: ${u.record.resourceId} from ${utcIso(u.start.ms)} to ${utcIso(u.end.ms)}${amount}`,
    );
  }
  for (const incident of draft.incidents) {
    const page = incident.statusPageUrl === null ? "" : ` (status page ${incident.statusPageUrl})`;
    const start = parseTimestamp(incident.start);
    const end = parseTimestamp(incident.end);
    const when = start.ok && end.ok ? ` from ${utcIso(start.ms)} to ${utcIso(end.ms)}` : "";
    out.push(
      `Incident ${incident.incidentId}: ${incident.serviceName} in ${incident.regionId}${when}${page}`,
    );
  }
  if (draft.finding !== null) out.push(`Audit finding ${draft.finding.id} (${draft.finding.kind})`);
  for (const e of draft.evidence) out.push(`${EVIDENCE_WORDS[e.kind]}: ${oneLine(e.label)}`);
  return [...new Set(out)];
}

/** The subject alone, as `buildRequest` writes it: what filing keeps of the built request. */
export function requestSubject(draft: RequestDraft): string {
  return subjectOf(draft, prepare(draft).items);
}

/** The billed-versus-actual table alone, as `buildRequest` writes it: what the case analysis shows. */
export function requestBilledVersusActual(draft: RequestDraft): BuiltRequest["billedVersusActual"] {
  const { items, usage } = prepare(draft);
  return billedVersusActualOf(items, usage);
}

export function buildRequest(draft: RequestDraft): BuiltRequest {
  const { items, usage } = prepare(draft);
  const totals = totalsOf(items.flatMap((i) => (i.requested === null ? [] : [i.requested])));
  return {
    subject: subjectOf(draft, items),
    executiveSummary: executiveSummaryOf(draft, items, totals),
    timeline: timelineOf(draft, items, usage),
    billedVersusActual: billedVersusActualOf(items, usage),
    evidenceList: evidenceListOf(draft, items, usage),
    requestedResolution: capitalise(RESOLUTIONS[draft.desiredOutcome](amountWords(totals))),
    impactStatement: draft.impactStatement.trim(),
    // Summed exactly, then rounded once: this is the amount that would move.
    totals: totals.map((m) => ({ currency: m.currency, amount: m.toFixedMinor() })),
  };
}
