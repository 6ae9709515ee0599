/**
 * Shows each problem of a refund-request draft before it is submitted, in plain words, with offsets for
 * inline highlighting. Pure: no I/O, no clock, and it never throws on anything a customer can type, so the
 * console can lint on every keystroke. Errors block submission; warnings are advice.
 *
 * Offsets are UTF-16 code-unit indices into the field's text, as JavaScript's `String#slice` counts them:
 * `field.slice(start, end) === excerpt` always holds. For `amounts.<chargeId>` the field's text is the
 * typed amount.
 *
 * Rules:
 * - vague_language (warning): hedges that make a claim sound unsure — see VAGUE_* below; whole words,
 *   case-insensitive; "about", "around"… only before a number; one issue per occurrence.
 * - time_without_zone (warning): a time of day without a zone, offset or zone name next to it.
 * - missing_identifier (error): no line item names a resource, and the text names no instance, order or
 *   invoice either.
 * - claim_without_evidence (warning): a reason that needs proof and none given; or the text mentions an
 *   attachment while nothing is attached.
 * - unrelated_line_items (warning): line items about different things, with a proposed split.
 * - amount_exceeds_billed (error): a requested amount that is not a decimal, is ≤ 0 or is above the billed cost.
 * - empty_field: summary or description empty (error), impact statement empty (warning), no line item (error).
 */

import { DateTime } from "luxon";
import { isTimeZoneName } from "../calendar/index.js";
import { currency, type Dec, isCurrencyCode } from "../money/index.js";
import {
  type DraftLineItem,
  type RequestDraft,
  requestedAmountText,
  TEXT_FIELDS,
  type TextField,
  tryDecimal,
} from "./request-draft.js";
import type { CaseReason } from "./vocabulary.js";

export type LintCode =
  | "vague_language"
  | "time_without_zone"
  | "missing_identifier"
  | "claim_without_evidence"
  | "unrelated_line_items"
  | "amount_exceeds_billed"
  | "empty_field";

export interface LintIssue {
  code: LintCode;
  severity: "error" | "warning";
  /** "summary", "description", "impactStatement", "lineItems", "evidence", "amounts.<chargeId>". */
  field: string;
  /** Plain words for a customer. */
  message: string;
  /** The offending text, or null when the issue is about the draft as a whole. */
  excerpt: string | null;
  start: number | null;
  end: number | null;
  /** A replacement for the excerpt where there is one (a time with its zone), otherwise a short instruction. */
  suggestion: string | null;
  /** unrelated_line_items only: proposed groups of chargeIds, one request each. */
  split: string[][] | null;
}

type Issue = Omit<LintIssue, "excerpt" | "start" | "end" | "suggestion" | "split"> &
  Partial<Pick<LintIssue, "excerpt" | "start" | "end" | "suggestion" | "split">>;

function issue(i: Issue): LintIssue {
  return {
    code: i.code,
    severity: i.severity,
    field: i.field,
    message: i.message,
    excerpt: i.excerpt ?? null,
    start: i.start ?? null,
    end: i.end ?? null,
    suggestion: i.suggestion ?? null,
    split: i.split ?? null,
  };
}

/** A letter, digit or underscore in any script: what "whole word" means here. */
const WORD_CHAR = String.raw`[\p{L}\p{N}_]`;
const phrase = (words: string): string => words.split(" ").join(String.raw`\s+`);

// ---------------------------------------------------------------------------------------------------------
// vague_language

/** Hedges that weaken a claim wherever they appear (English, matched as whole words, any case). */
export const VAGUE_PHRASES = [
  "maybe",
  "perhaps",
  "probably",
  "possibly",
  "not sure",
  "unsure",
  "i think",
  "i guess",
  "i believe",
  "i suppose",
  "somehow",
  "might have",
  "something like",
  "more or less",
  "kind of",
  "sort of",
] as const;

/** Approximations, vague only before a number ("about 40 USD"; "a question about the bill" is fine). */
export const VAGUE_APPROXIMATIONS = [
  "approximately",
  "approx.",
  "approx",
  "about",
  "around",
  "roughly",
  "circa",
] as const;

/** Simplified Chinese hedges (no word boundaries in Chinese); 可能 not in 不可能 ("impossible" is definite). */
export const VAGUE_CHINESE = ["可能", "大概", "好像", "不确定", "我觉得", "也许", "似乎", "大约"] as const;

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const VAGUE = new RegExp(
  [
    `(?<!${WORD_CHAR})(?:${[...VAGUE_PHRASES]
      .sort((a, b) => b.length - a.length)
      .map(phrase)
      .join("|")})(?!${WORD_CHAR})`,
    `(?<!${WORD_CHAR})(?<approx>${VAGUE_APPROXIMATIONS.map(escapeRegExp).join("|")})(?!${WORD_CHAR})`,
    `(?<!不)可能`,
    ...VAGUE_CHINESE.filter((w) => w !== "可能"),
  ].join("|"),
  "giu",
);
/** What counts as "a number" after an approximation: 40, $40, USD 40, ~40. Case-sensitive for ISO codes. */
const NUMBER_AHEAD = /^\s*(?:[A-Z]{3}\s?)?[$€£¥~]?\s?\d/u;
/** "what kind of charge", "the same sort of problem": a classification, not a hedge. */
const DETERMINER_BEFORE =
  /(?:^|[^\p{L}\p{N}_])(?:what|which|this|that|these|those|any|every|each|some|same|the|a|an|one|other|another|no|all)\s+$/iu;

function vagueLanguage(field: TextField, text: string): LintIssue[] {
  const out: LintIssue[] = [];
  for (const m of text.matchAll(VAGUE)) {
    const start = m.index;
    const excerpt = m[0];
    const end = start + excerpt.length;
    if (m.groups?.approx !== undefined) {
      if (!NUMBER_AHEAD.test(text.slice(end, end + 8))) continue;
      out.push(
        issue({
          code: "vague_language",
          severity: "warning",
          field,
          message: `“${excerpt}” makes the figure sound like a guess. Give the exact figure from the bill or the usage log.`,
          excerpt,
          start,
          end,
          suggestion: "Give the exact figure.",
        }),
      );
      continue;
    }
    if (
      /^(?:kind|sort)/i.test(excerpt) &&
      DETERMINER_BEFORE.test(text.slice(Math.max(0, start - 12), start))
    ) {
      continue;
    }
    out.push(
      issue({
        code: "vague_language",
        severity: "warning",
        field,
        message: `“${excerpt}” makes the request sound unsure. Say what you know as a fact, or leave it out.`,
        excerpt,
        start,
        end,
        suggestion: "State it as a fact, or leave it out.",
      }),
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// time_without_zone

const CLOCK = String.raw`(?:[01]?\d|2[0-4]):[0-5]\d(?::[0-5]\d(?:[.,]\d{1,9})?)?`;
const AM_PM = String.raw`\s?(?:[ap]\.m\.|[ap]m)(?![\p{L}\p{N}])`;
const DATED = String.raw`(?<date>\d{4})[-/](?<month>\d{1,2})[-/](?<day>\d{1,2})(?<sep>T|[ \t]+)(?<hour>\d{1,2}):(?<minute>\d{2})(?::\d{2}(?:[.,]\d{1,9})?)?`;
const CHINESE_TIME = String.raw`(?:(?:上午|下午|晚上|凌晨|早上|中午)\s*)?\d{1,2}[点點](?:半|\d{1,2}分)?`;
const ONE_TIME = `(?:${DATED}|${CLOCK}(?:${AM_PM})?|(?:1[0-2]|0?[1-9])${AM_PM}|${CHINESE_TIME})(?!\\d)`;

/**
 * "2026-05-03 09:00", "2026-05-03T09:00:00", "14:30", "9:30 pm", "9am", "3 pm", "下午3点". Not after a letter,
 * digit or ":./+-", so "file.csv:12:30", the "+08:00" of an offset and the second half of "09:00-10:00" are
 * not times of their own.
 */
const TIME = new RegExp(`(?<![A-Za-z0-9_:./+\\-−第])${ONE_TIME}`, "giu");
/** A second time joined to the first ("09:00-10:00 UTC", "9am to 5pm"): the zone after it covers both. */
const RANGE = new RegExp(
  `\\s*(?:-|–|—|~|to|until|till|and|至|到)\\s*${ONE_TIME.replaceAll(/\?<[a-z]+>/g, "?:")}`,
  "iuy",
);
/** ISO offsets written right after a full timestamp: "…T09:00:00+08:00", "…-0500", "…Z". */
const ADJACENT_OFFSET = /(?:[+\-−]\d{2}(?::?\d{2})?(?!\d)|Z(?![\p{L}\p{N}]))/uy;
const ZONE_WORDS = String.raw`(?:UTC|GMT|UT)(?:\s*[+\-−]\s*\d{1,2}(?::?\d{2})?)?(?![\p{L}\p{N}])|北京时间`;
/** A zone after the time: "UTC", "GMT+8", "+08:00", "Z", "(Asia/Shanghai)", "EST", "Beijing time". */
const ZONE_AFTER = new RegExp(
  String.raw`\s*[([]?\s*(?:in\s+)?(?:(?<words>${ZONE_WORDS})|(?<offset>[+\-−]\d{2}(?::?\d{2})?(?!\d))|(?<z>Z(?![\p{L}\p{N}]))|(?<iana>[A-Za-z_]+(?:/[A-Za-z0-9_+\-]+){1,2})|(?<abbr>[A-Z]{2,5})(?![\p{L}\p{N}])|(?<named>(?:[A-Z][a-z]+\s+){1,2}(?:[Ss]tandard\s+|[Dd]aylight\s+)?[Tt]ime)(?![\p{L}]))`,
  "iuy",
);
/** Zone abbreviations customers write (see zoneAfter for lower case). */
export const ZONE_ABBREVIATIONS = new Set([
  "UTC",
  "GMT",
  "ET",
  "EST",
  "EDT",
  "CT",
  "CST",
  "CDT",
  "MT",
  "MST",
  "MDT",
  "PT",
  "PST",
  "PDT",
  "AKST",
  "AKDT",
  "HST",
  "BST",
  "IST",
  "CET",
  "CEST",
  "EET",
  "EEST",
  "WET",
  "WEST",
  "MSK",
  "JST",
  "KST",
  "HKT",
  "SGT",
  "AEST",
  "AEDT",
  "ACST",
  "AWST",
  "NZST",
  "NZDT",
]);
/** Abbreviations that are also English words, so only their capitals name a zone. */
const WORD_LIKE = new Set(["WET", "WEST", "CAT", "EAT", "MART"]);
/** "Local time", "My time" name no zone. */
const NOT_A_PLACE =
  /^(?:local|my|our|your|their|the|this|that|same|any|every|each|next|last|what|which|at|in|on)\s/i;
/** A zone written just before the time: "UTC 14:30", "北京时间2026年5月3日14:30", "Asia/Shanghai 09:00". */
const ZONE_BEFORE =
  /(?:(?<![\p{L}\p{N}])(?:UTC|GMT)(?:\s*[+\-−]\s*\d{1,2}(?::?\d{2})?)?|北京时间|(?<iana>[A-Za-z_]+\/[A-Za-z0-9_+/-]+))[\s,:：]*(?:\d{4}年)?(?:\d{1,2}月)?(?:\d{1,2}[日号])?[\s,，]*(?:上午|下午|晚上|凌晨|早上|中午)?\s*$/iu;

function zoneAfter(text: string, at: number): boolean {
  ZONE_AFTER.lastIndex = at;
  const m = ZONE_AFTER.exec(text);
  const g = m?.groups;
  if (m === null || g === undefined) return false;
  if (g.words !== undefined || g.offset !== undefined || g.z !== undefined) {
    // A bare "Z" or offset must touch the time or follow one space, never start a new phrase.
    return g.z === undefined || /^\s?Z$/u.test(m[0]);
  }
  if (g.abbr !== undefined) {
    const upper = g.abbr.toUpperCase();
    // "3pm est" is clear enough; short or word-like ones ("pt", "wet") count only in capitals.
    return (
      ZONE_ABBREVIATIONS.has(upper) && (g.abbr === upper || (upper.length >= 3 && !WORD_LIKE.has(upper)))
    );
  }
  if (g.named !== undefined) return !NOT_A_PLACE.test(g.named) && /^[A-Z]/.test(g.named);
  return g.iana !== undefined && isTimeZoneName(g.iana);
}

function zoneBefore(text: string, at: number): boolean {
  const m = ZONE_BEFORE.exec(text.slice(Math.max(0, at - 40), at));
  if (m === null) return false;
  return m.groups?.iana === undefined || isTimeZoneName(m.groups.iana);
}

/** The excerpt with the customer's zone: an ISO timestamp gets its offset, anything else the zone's name. */
function withZone(
  excerpt: string,
  groups: Record<string, string | undefined>,
  timeZone: string,
  lone: boolean,
): string | null {
  if (!isTimeZoneName(timeZone)) return null;
  if (!lone) return `${excerpt} ${timeZone}`;
  const local = DateTime.fromObject(
    {
      year: Number(groups.date),
      month: Number(groups.month),
      day: Number(groups.day),
      hour: Number(groups.hour),
      minute: Number(groups.minute),
    },
    { zone: timeZone },
  );
  if (!local.isValid) return `${excerpt} ${timeZone}`;
  if (groups.sep?.toUpperCase() === "T") {
    // A lone ISO timestamp: complete it the ISO way, keeping the seconds the customer wrote.
    return `${excerpt}${local.toFormat("ZZ")}`;
  }
  return `${excerpt} ${timeZone} (UTC${local.toFormat("ZZ")})`;
}

function timesWithoutZone(field: TextField, text: string, timeZone: string): LintIssue[] {
  const out: LintIssue[] = [];
  const times = new RegExp(TIME.source, TIME.flags);
  for (let m = times.exec(text); m !== null; m = times.exec(text)) {
    const start = m.index;
    let end = start + m[0].length;
    const groups = m.groups ?? {};
    // Only a timestamp with a date (and a T or seconds) carries an ISO offset: "…T09:00-05:00" is an offset,
    // "09:00-10:00" a range.
    const isoLike =
      groups.date !== undefined && (groups.sep?.toUpperCase() === "T" || /:\d{2}:\d{2}/.test(m[0]));
    ADJACENT_OFFSET.lastIndex = end;
    if (isoLike && ADJACENT_OFFSET.test(text)) continue;
    RANGE.lastIndex = end;
    const range = RANGE.exec(text);
    if (range !== null) end += range[0].length;
    // Scanning resumes after the range, so its second time is not reported again on its own.
    times.lastIndex = end;
    if (zoneAfter(text, end) || zoneBefore(text, start)) continue;
    const excerpt = text.slice(start, end);
    const suggestion = withZone(excerpt, groups, timeZone, range === null && groups.date !== undefined);
    out.push(
      issue({
        code: "time_without_zone",
        severity: "warning",
        field,
        message:
          "This time has no time zone, so it could mean different moments. " +
          (suggestion === null
            ? "Add the zone, e.g. “UTC” or “+08:00”."
            : `Add the zone, e.g. “${suggestion}”.`),
        excerpt,
        start,
        end,
        suggestion,
      }),
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// missing_identifier

/**
 * Resource ids as AWS and Alibaba Cloud write them (i-0abc…, i-bp1…, vol-…, rm-…, lb-…), with a digit, so
 * "e-mail" or "re-billed" is not an id.
 */
const RESOURCE_ID =
  /(?<![\p{L}\p{N}_-])(?:i|d|rm|r|lb|slb|vpc|vsw|eip|sg|vol|eni|snap|ami|db|dds|ecs|subnet|nat|igw)-[a-z0-9]{6,}(?![\p{L}\p{N}_])/giu;
const ARN = /(?<![\p{L}\p{N}])arn:aws[a-z-]*:/iu;
/** "order", "invoice" (and Chinese 订单, 发票): then an id within a few words. */
const ORDER_OR_INVOICE = /(?:(?<![\p{L}\p{N}])(?:order|invoice|bill)(?![\p{L}])|订单|发票|账单)/giu;
const TOKEN = /[A-Za-z0-9][A-Za-z0-9-]{5,}/g;
const DATE_LIKE = /^\d{4}-\d{1,2}(?:-\d{1,2})?$/;

function namesAnIdentifier(text: string, invoiceIds: readonly string[]): boolean {
  if (invoiceIds.some((id) => id !== "" && text.includes(id))) return true;
  if (ARN.test(text)) return true;
  for (const m of text.matchAll(RESOURCE_ID)) if (/\d/.test(m[0])) return true;
  for (const m of text.matchAll(ORDER_OR_INVOICE)) {
    const after = text.slice(m.index + m[0].length, m.index + m[0].length + 40);
    for (const t of after.matchAll(TOKEN)) if (/\d/.test(t[0]) && !DATE_LIKE.test(t[0])) return true;
  }
  return false;
}

function missingIdentifier(draft: RequestDraft): LintIssue[] {
  if (draft.lineItems.some((l) => l.resourceId !== null && l.resourceId.trim() !== "")) return [];
  const invoiceIds = draft.lineItems.flatMap((l) => (l.invoiceId === null ? [] : [l.invoiceId.trim()]));
  if (TEXT_FIELDS.some((f) => namesAnIdentifier(draft[f], invoiceIds))) return [];
  const invoice = invoiceIds.find((id) => id !== "");
  return [
    issue({
      code: "missing_identifier",
      severity: "error",
      field: "description",
      message:
        "We cannot tell which resource this is about. Name the instance, order or invoice: " +
        "the instance ID (such as i-bp1… or i-0abc…), the order number or the invoice number.",
      suggestion:
        invoice === undefined
          ? "Add the instance ID, order number or invoice number."
          : `Mention invoice ${invoice}.`,
    }),
  ];
}

// ---------------------------------------------------------------------------------------------------------
// claim_without_evidence

type ProofReason = Extract<
  CaseReason,
  "sla_breach" | "billing_error" | "charged_after_cancellation" | "promotion_not_applied" | "duplicate_charge"
>;

/** What would prove each kind of claim, in the customer's terms. */
export const EVIDENCE_THAT_HELPS: Readonly<Record<ProofReason, string>> = {
  sla_breach:
    "the incident ID or the provider's status-page link for the outage, with when it started and ended, and the resources it hit",
  billing_error: "usage logs or metrics for the charge period showing what really ran",
  charged_after_cancellation: "the cancellation confirmation (e-mail or console screenshot) showing its date",
  promotion_not_applied: "the promotion code or terms, and proof the account was eligible",
  duplicate_charge: "both charges: the two invoice lines or billing records for the same resource and period",
};

const CLAIM_WORDS: Readonly<Record<ProofReason, string>> = {
  sla_breach: "An SLA breach",
  billing_error: "A billing error",
  charged_after_cancellation: "A charge after cancellation",
  promotion_not_applied: "A missing promotion",
  duplicate_charge: "A duplicate charge",
};

const needsProof = (reason: CaseReason): reason is ProofReason => Object.hasOwn(EVIDENCE_THAT_HELPS, reason);

const ATTACHED_NOUNS =
  "file|files|screenshot|screenshots|invoice|invoices|document|documents|pdf|image|images|email|e-mail|emails|log|logs|transcript|receipt|statement|bill|evidence|confirmation|proof|copy|copies|report|csv|spreadsheet";
/** Text that says something is attached ("as shown in the attached …", "see attachment", "见附件"). */
const ATTACHMENT_CLAIM = new RegExp(
  [
    String.raw`(?<!${WORD_CHAR})(?:as shown in|as per|see|please find|per|in)\s+(?:the\s+)?(?:attached|attachments?|enclosed)(?:\s+(?:${ATTACHED_NOUNS}))?(?!${WORD_CHAR})`,
    String.raw`(?<!${WORD_CHAR})(?:i|we)(?:'ve|’ve|\s+have)?\s+(?:attached|enclosed)(?!${WORD_CHAR})`,
    String.raw`(?<!${WORD_CHAR})(?:the|my|our)\s+(?:attached|enclosed)\s+(?:${ATTACHED_NOUNS})(?!${WORD_CHAR})`,
    `(?<!${WORD_CHAR})attachments?(?!${WORD_CHAR})`,
    String.raw`(?<!${WORD_CHAR})(?:attached|enclosed)\s+(?:is|are|please find|you will find)(?!${WORD_CHAR})`,
    "如附件所示",
    "见附件",
    "附件",
    "附图",
  ].join("|"),
  "giu",
);

function claimWithoutEvidence(draft: RequestDraft): LintIssue[] {
  const out: LintIssue[] = [];
  if (draft.evidence.length === 0) {
    for (const field of TEXT_FIELDS) {
      const text = draft[field];
      for (const m of text.matchAll(ATTACHMENT_CLAIM)) {
        out.push(
          issue({
            code: "claim_without_evidence",
            severity: "warning",
            field,
            message: `The text mentions an attachment (“${m[0]}”), but nothing is attached yet.`,
            excerpt: m[0],
            start: m.index,
            end: m.index + m[0].length,
            suggestion: "Attach the file, or remove the mention.",
          }),
        );
      }
    }
  }
  const { reason } = draft;
  if (!needsProof(reason) || draft.finding !== null || draft.evidence.length > 0) return out;
  // Incidents prove an outage, usage records what ran, and two selected charges are themselves the proof of
  // a duplicate; anything else must be attached.
  if (reason === "sla_breach" && draft.incidents.length > 0) return out;
  if (reason === "billing_error" && draft.usage.length > 0) return out;
  if (reason === "duplicate_charge" && draft.lineItems.length >= 2) return out;
  const help = EVIDENCE_THAT_HELPS[reason];
  out.push(
    issue({
      code: "claim_without_evidence",
      severity: "warning",
      field: "evidence",
      message: `${CLAIM_WORDS[reason]} needs proof, and none is attached yet. What would help: ${help}.`,
      suggestion: `Attach ${help}.`,
    }),
  );
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// unrelated_line_items

/** `YYYY-MM` as the biller wrote it (the timestamp's own offset): the invoice month. */
function billingMonth(line: DraftLineItem): string | null {
  const m = /^(\d{4}-\d{2})-\d{2}/.exec(line.chargePeriodStart ?? "");
  return m?.[1] ?? null;
}

const present = (text: string | null): string | null =>
  text === null || text.trim() === "" ? null : text.trim();

/**
 * Two items belong in one request when they share a resource or a service — and, except for duplicate
 * charges (copies may sit on different invoices), the same invoice month.
 */
function related(a: DraftLineItem, b: DraftLineItem, reason: CaseReason): boolean {
  const ra = present(a.resourceId);
  const sa = present(a.serviceName);
  const sameThing =
    (ra !== null && ra === present(b.resourceId)) || (sa !== null && sa === present(b.serviceName));
  if (!sameThing) return false;
  if (reason === "duplicate_charge") return true;
  const ma = billingMonth(a);
  const mb = billingMonth(b);
  return ma === null || mb === null || ma === mb;
}

function unrelatedLineItems(draft: RequestDraft): LintIssue[] {
  const items = draft.lineItems;
  if (items.length < 2) return [];
  // Connected components, in input order: an item joins the first group it relates to any member of.
  const groupOf = items.map((_, i) => i);
  const find = (i: number): number => {
    let r = i;
    while (groupOf[r] !== r) r = groupOf[r]!;
    return r;
  };
  for (let i = 0; i < items.length; i++) {
    for (let j = 0; j < i; j++) {
      if (related(items[i]!, items[j]!, draft.reason)) {
        const a = find(i);
        const b = find(j);
        if (a !== b) groupOf[Math.max(a, b)] = Math.min(a, b);
      }
    }
  }
  const groups = new Map<number, string[]>();
  items.forEach((item, i) => {
    const root = find(i);
    groups.set(root, [...(groups.get(root) ?? []), item.chargeId]);
  });
  if (groups.size < 2) return [];
  const split = [...groups.values()];
  return [
    issue({
      code: "unrelated_line_items",
      severity: "warning",
      field: "lineItems",
      message:
        "These line items are about different resources, services or bills. File one request per group, " +
        "so each can be reviewed and decided on its own.",
      suggestion: `Split into ${split.length} requests: ${split.map((g) => g.join(", ")).join(" | ")}.`,
      split,
    }),
  ];
}

// ---------------------------------------------------------------------------------------------------------
// amount_exceeds_billed

/** Padded to the currency's minor unit ("120.00") but never rounded: bills price in fractions of a cent. */
function asMoney(value: Dec, code: string): string {
  const places = isCurrencyCode(code) ? currency(code).minorUnits : 0;
  return value.decimalPlaces() <= places ? value.toFixed(places) : value.toFixed();
}

function amountIssues(draft: RequestDraft): LintIssue[] {
  const out: LintIssue[] = [];
  for (const line of draft.lineItems) {
    const typed = requestedAmountText(draft, line.chargeId);
    if (typed === null) continue;
    const field = `amounts.${line.chargeId}`;
    const billed = tryDecimal(line.billedCost);
    const at = { field, excerpt: typed, start: 0, end: typed.length };
    const amount = tryDecimal(typed);
    let message: string | null = null;
    if (amount === null) {
      message = `“${typed}” is not an amount. Write it like 120.50, without a currency sign or thousands separators.`;
    } else if (amount.lessThanOrEqualTo(0)) {
      message = "The amount must be more than zero. Leave it empty to ask for the whole billed cost.";
    } else if (billed !== null && amount.greaterThan(billed)) {
      message =
        `You asked for ${line.currency} ${asMoney(amount, line.currency)}, but this line item was billed ` +
        `${line.currency} ${asMoney(billed, line.currency)}. You can ask for at most the billed cost.`;
    }
    if (message === null) continue;
    out.push(
      issue({
        code: "amount_exceeds_billed",
        severity: "error",
        ...at,
        message,
        suggestion: billed === null ? null : asMoney(billed, line.currency),
      }),
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// empty_field

const EMPTY_MESSAGES: Readonly<Record<TextField, { severity: LintIssue["severity"]; message: string }>> = {
  summary: { severity: "error", message: "Write a one-line summary of what went wrong." },
  description: {
    severity: "error",
    message: "Describe what happened: what was billed, and why it is wrong.",
  },
  impactStatement: {
    severity: "warning",
    message:
      "Say how this affected you (for example money spent, or service down), so the reviewer can weigh it.",
  },
};

function emptyFields(draft: RequestDraft): LintIssue[] {
  const out = TEXT_FIELDS.filter((f) => draft[f].trim() === "").map((field) =>
    issue({ code: "empty_field", field, ...EMPTY_MESSAGES[field] }),
  );
  if (draft.lineItems.length === 0) {
    out.push(
      issue({
        code: "empty_field",
        severity: "error",
        field: "lineItems",
        message: "Choose the line item (charge) this request is about.",
      }),
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------

const byFieldThenStart = (a: LintIssue, b: LintIssue): number =>
  (a.field < b.field ? -1 : a.field > b.field ? 1 : 0) ||
  (a.start ?? -1) - (b.start ?? -1) ||
  (a.end ?? -1) - (b.end ?? -1) ||
  (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);

export function lintRequest(draft: RequestDraft): LintIssue[] {
  const issues = [
    ...emptyFields(draft),
    ...TEXT_FIELDS.flatMap((f) => vagueLanguage(f, draft[f])),
    ...TEXT_FIELDS.flatMap((f) => timesWithoutZone(f, draft[f], draft.customer.timeZone)),
    ...missingIdentifier(draft),
    ...claimWithoutEvidence(draft),
    ...unrelatedLineItems(draft),
    ...amountIssues(draft),
  ];
  return issues.sort(byFieldThenStart);
}
