import { isCurrencyCode, parseDecimal } from "../../money/index.js";
import { AppError } from "../../shared/errors.js";
import { NUL_FREE_TEXT, visibleNul } from "../bad-file.js";
import type { RowProblem } from "../charge.js";
import type { EvidenceKind, Incident, Payment, Promotion, Subscription, UsageInterval } from "../evidence.js";
import { type Position, problem, show } from "./problems.js";
import { parseTimestamp } from "./timestamps.js";

/** The record type of each evidence kind. */
export interface EvidenceRecords {
  usage: UsageInterval;
  subscriptions: Subscription;
  incidents: Incident;
  promotions: Promotion;
  payments: Payment;
}
export type EvidenceRecord<K extends EvidenceKind> = EvidenceRecords[K];

/** Fields of each kind, in record order (the column order of the DuckDB tables too). */
export const EVIDENCE_FIELDS = {
  usage: ["resourceId", "start", "end", "quantity", "unit"],
  subscriptions: [
    "subscriptionId",
    "accountId",
    "resourceId",
    "serviceName",
    "term",
    "startedAt",
    "renewsAt",
    "autoRenew",
    "cancelledAt",
  ],
  incidents: ["incidentId", "serviceName", "regionId", "resourceIds", "start", "end", "statusPageUrl"],
  promotions: [
    "promotionId",
    "code",
    "accountId",
    "serviceNames",
    "regionIds",
    "discountPercent",
    "creditAmount",
    "currency",
    "validFrom",
    "validTo",
  ],
  payments: [
    "paymentId",
    "accountId",
    "invoiceId",
    "method",
    "instrumentFingerprint",
    "amount",
    "currency",
    "paidAt",
  ],
} as const satisfies { [K in EvidenceKind]: readonly (keyof EvidenceRecords[K])[] };

/** Fields every record must have (a CSV file must have these columns). */
export const REQUIRED_FIELDS = {
  usage: ["resourceId", "start", "end"],
  subscriptions: ["subscriptionId", "accountId", "serviceName", "term", "startedAt", "autoRenew"],
  incidents: ["incidentId", "serviceName", "regionId", "start", "end"],
  promotions: ["promotionId", "accountId", "validFrom", "validTo"],
  payments: ["paymentId", "accountId", "method", "amount", "currency", "paidAt"],
} as const satisfies { [K in EvidenceKind]: readonly (keyof EvidenceRecords[K])[] };

/**
 * DuckDB stores amounts as DECIMAL(38,18): at most 20 digits before the point and 18 after. A decimal that
 * would not fit is rejected when the file is read, so loading never rounds.
 */
export const DECIMAL_INTEGER_DIGITS = 20;
export const DECIMAL_SCALE = 18;

const DECIMAL_TEXT = /^[+-]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const CANONICAL_DECIMAL = /^-?\d+(?:\.\d+)?$/;
const BOOLEANS: Readonly<Record<string, boolean>> = {
  true: true,
  false: false,
  "1": true,
  "0": false,
  yes: true,
  no: false,
};
const DECIMAL_EXAMPLE = 'a decimal string such as "12.50"';

type DecimalCheck = "any" | "nonNegative" | "positive" | "percent";

/**
 * Reads the fields of one record and collects every problem with them. Converters return a placeholder after
 * a problem so that all of a record's problems are found in one pass; the record is dropped when any is.
 */
export class FieldReader {
  readonly problems: RowProblem[] = [];

  constructor(
    private readonly file: string,
    private readonly at: Position,
    /** CSV values are always strings; JSON values keep their JSON type. */
    private readonly csv: boolean,
    private readonly get: (field: string) => unknown,
  ) {}

  bad(field: string | undefined, expected: string, found: string): void {
    this.problems.push(problem(this.file, this.at, field, expected, found));
  }

  /** The value, or undefined when absent, null or an empty (all-blank) string. */
  private value(field: string): unknown {
    const v = this.get(field);
    if (v === null || v === undefined) return undefined;
    if (typeof v === "string") {
      const t = v.trim();
      return t === "" ? undefined : t;
    }
    return v;
  }

  private missing(field: string, expected: string): void {
    const raw = this.get(field);
    this.bad(field, expected, raw === undefined || raw === "" ? "nothing" : show(raw));
  }

  optionalString(field: string): string | null {
    const v = this.value(field);
    if (v === undefined) return null;
    if (typeof v !== "string") {
      this.bad(field, "a string", show(v));
      return null;
    }
    if (v.includes("\u0000")) {
      this.bad(field, NUL_FREE_TEXT, show(visibleNul(v)));
      return null;
    }
    return v;
  }

  string(field: string): string {
    const v = this.value(field);
    if (v === undefined) {
      this.missing(field, "a non-empty string");
      return "";
    }
    return this.optionalString(field) ?? "";
  }

  optionalTimestamp(field: string): { iso: string; ms: number } | null {
    const v = this.value(field);
    if (v === undefined) return null;
    if (typeof v !== "string") {
      this.bad(field, "an ISO 8601 timestamp string such as 2024-05-01T12:00:00Z", show(v));
      return null;
    }
    const parsed = parseTimestamp(v);
    if (!parsed.ok) {
      this.bad(field, parsed.expected, show(v));
      return null;
    }
    return { iso: parsed.iso, ms: parsed.ms };
  }

  timestamp(field: string): { iso: string; ms: number } | null {
    if (this.value(field) === undefined) {
      this.missing(field, "an ISO 8601 timestamp with an offset or Z, such as 2024-05-01T12:00:00Z");
      return null;
    }
    return this.optionalTimestamp(field);
  }

  /** `later` must be strictly after `earlier` (both already parsed; nothing to say when either failed). */
  after(
    field: string,
    later: { iso: string; ms: number } | null,
    earlierField: string,
    earlier: { iso: string; ms: number } | null,
  ): void {
    if (later === null || earlier === null || later.ms > earlier.ms) return;
    this.bad(field, `a time after ${earlierField} (${earlier.iso})`, show(this.value(field)));
  }

  optionalDecimal(field: string, check: DecimalCheck): string | null {
    const v = this.value(field);
    if (v === undefined) return null;
    if (typeof v !== "string") {
      // JSON numbers are refused: JSON.parse has already turned them into binary floating point.
      this.bad(field, DECIMAL_EXAMPLE, show(v));
      return null;
    }
    if (!DECIMAL_TEXT.test(v)) {
      this.bad(field, this.csv ? "a decimal such as 12.50" : DECIMAL_EXAMPLE, show(v));
      return null;
    }
    let d: ReturnType<typeof parseDecimal>;
    try {
      d = parseDecimal(v, field);
    } catch (error) {
      const reason =
        error instanceof AppError ? (error.fieldErrors[0]?.message ?? error.message) : String(error);
      this.bad(field, `a decimal within the accepted limits (${reason})`, show(v));
      return null;
    }
    if (d.decimalPlaces() > DECIMAL_SCALE || (!d.isZero() && d.e >= DECIMAL_INTEGER_DIGITS)) {
      this.bad(
        field,
        `a decimal with at most ${DECIMAL_INTEGER_DIGITS} digits before the point and ${DECIMAL_SCALE} after it`,
        show(v),
      );
      return null;
    }
    const problemWithSign =
      check === "nonNegative" && d.lt(0)
        ? "a decimal of zero or more"
        : check === "positive" && d.lte(0)
          ? "a decimal greater than zero"
          : check === "percent" && (d.lte(0) || d.gt(100))
            ? "a percentage greater than 0 and at most 100"
            : undefined;
    if (problemWithSign !== undefined) {
      this.bad(field, problemWithSign, show(v));
      return null;
    }
    if (CANONICAL_DECIMAL.test(v)) return d.isZero() && v.startsWith("-") ? v.slice(1) : v;
    // Exponent notation, a leading `+` or a bare `.5`: written out in plain digits (exactly).
    return d.isZero() ? "0" : d.toFixed();
  }

  decimal(field: string, check: DecimalCheck): string {
    if (this.value(field) === undefined) {
      this.missing(field, DECIMAL_EXAMPLE);
      return "0";
    }
    return this.optionalDecimal(field, check) ?? "0";
  }

  boolean(field: string): boolean {
    const v = this.value(field);
    if (typeof v === "boolean") return v;
    if (typeof v === "string") {
      const b = BOOLEANS[v.toLowerCase()];
      if (b !== undefined) return b;
    }
    if (v === 1 || v === 0) return v === 1;
    const expected = "true or false (also 1/0, yes/no)";
    if (v === undefined) this.missing(field, expected);
    else this.bad(field, expected, show(v));
    return false;
  }

  /** A list of strings: a JSON array; in CSV `a;b;c` or a JSON array. Blank items dropped, duplicates too. */
  list(field: string): string[] {
    const raw = this.value(field);
    if (raw === undefined) return [];
    let v: unknown = raw;
    if (this.csv && typeof raw === "string") {
      if (raw.startsWith("[")) {
        try {
          v = JSON.parse(raw);
        } catch {
          v = undefined;
        }
      } else v = raw.split(";");
    }
    if (!Array.isArray(v) || !v.every((item): item is string => typeof item === "string")) {
      const expected = this.csv ? 'a list such as a;b or ["a","b"]' : 'an array of strings such as ["a","b"]';
      this.bad(field, expected, show(raw));
      return [];
    }
    if (v.some((item) => item.includes("\u0000"))) {
      this.bad(field, NUL_FREE_TEXT, show(typeof raw === "string" ? visibleNul(raw) : v.map(visibleNul)));
      return [];
    }
    const items = new Set<string>();
    for (const item of v) {
      const t = item.trim();
      if (t !== "") items.add(t);
    }
    return [...items];
  }

  optionalCurrency(field: string): string | null {
    const v = this.optionalString(field);
    if (v !== null && !isCurrencyCode(v)) {
      this.bad(field, "an upper-case ISO 4217 currency code such as USD", show(v));
      return null;
    }
    return v;
  }

  currency(field: string): string {
    if (this.value(field) === undefined) {
      this.missing(field, "an upper-case ISO 4217 currency code such as USD");
      return "";
    }
    return this.optionalCurrency(field) ?? "";
  }

  optionalUrl(field: string): string | null {
    const v = this.optionalString(field);
    if (v === null) return null;
    let url: URL | undefined;
    try {
      url = new URL(v);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== "https:" && url.protocol !== "http:")) {
      this.bad(field, "an http or https URL", show(v));
      return null;
    }
    return v;
  }
}

type Builder<K extends EvidenceKind> = (r: FieldReader, sourceRef: string) => EvidenceRecord<K>;

const buildUsage: Builder<"usage"> = (r, sourceRef) => {
  const resourceId = r.string("resourceId");
  const start = r.timestamp("start");
  const end = r.timestamp("end");
  r.after("end", end, "start", start);
  return {
    sourceRef,
    resourceId,
    start: start?.iso ?? "",
    end: end?.iso ?? "",
    quantity: r.optionalDecimal("quantity", "nonNegative"),
    unit: r.optionalString("unit"),
  };
};

const buildSubscription: Builder<"subscriptions"> = (r, sourceRef) => ({
  sourceRef,
  subscriptionId: r.string("subscriptionId"),
  accountId: r.string("accountId"),
  resourceId: r.optionalString("resourceId"),
  serviceName: r.string("serviceName"),
  term: r.string("term"),
  startedAt: r.timestamp("startedAt")?.iso ?? "",
  renewsAt: r.optionalTimestamp("renewsAt")?.iso ?? null,
  autoRenew: r.boolean("autoRenew"),
  cancelledAt: r.optionalTimestamp("cancelledAt")?.iso ?? null,
});

const buildIncident: Builder<"incidents"> = (r, sourceRef) => {
  const incidentId = r.string("incidentId");
  const serviceName = r.string("serviceName");
  const regionId = r.string("regionId");
  const resourceIds = r.list("resourceIds");
  const start = r.timestamp("start");
  const end = r.timestamp("end");
  r.after("end", end, "start", start);
  return {
    sourceRef,
    incidentId,
    serviceName,
    regionId,
    resourceIds,
    start: start?.iso ?? "",
    end: end?.iso ?? "",
    statusPageUrl: r.optionalUrl("statusPageUrl"),
  };
};

const buildPromotion: Builder<"promotions"> = (r, sourceRef) => {
  const promotionId = r.string("promotionId");
  const code = r.optionalString("code");
  const accountId = r.string("accountId");
  const serviceNames = r.list("serviceNames");
  const regionIds = r.list("regionIds");
  const before = r.problems.length;
  const discountPercent = r.optionalDecimal("discountPercent", "percent");
  const creditAmount = r.optionalDecimal("creditAmount", "positive");
  const amountsOk = r.problems.length === before;
  if (amountsOk && (discountPercent === null) === (creditAmount === null)) {
    r.bad(
      "discountPercent",
      "exactly one of discountPercent and creditAmount",
      discountPercent === null ? "neither" : "both",
    );
  }
  // A credit is an amount of money, so it needs its currency; a percentage does not.
  const currency = creditAmount !== null ? r.currency("currency") || null : r.optionalCurrency("currency");
  const validFrom = r.timestamp("validFrom");
  const validTo = r.timestamp("validTo");
  r.after("validTo", validTo, "validFrom", validFrom);
  return {
    sourceRef,
    promotionId,
    code,
    accountId,
    serviceNames,
    regionIds,
    discountPercent,
    creditAmount,
    currency,
    validFrom: validFrom?.iso ?? "",
    validTo: validTo?.iso ?? "",
  };
};

const buildPayment: Builder<"payments"> = (r, sourceRef) => ({
  sourceRef,
  paymentId: r.string("paymentId"),
  accountId: r.string("accountId"),
  invoiceId: r.optionalString("invoiceId"),
  method: r.string("method"),
  instrumentFingerprint: r.optionalString("instrumentFingerprint"),
  amount: r.decimal("amount", "any"),
  currency: r.currency("currency"),
  paidAt: r.timestamp("paidAt")?.iso ?? "",
});

export const BUILDERS: { [K in EvidenceKind]: Builder<K> } = {
  usage: buildUsage,
  subscriptions: buildSubscription,
  incidents: buildIncident,
  promotions: buildPromotion,
  payments: buildPayment,
};
