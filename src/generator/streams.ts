/**
 * A stream is one billed thing (an instance, a bucket, a subscription, a commitment) and knows
 * its rows month by month, so the writer never holds more than one month of one resource.
 * Every stream knows its exact row count up front, which is how `--rows` is met exactly.
 */

import { Dec } from "../money/index.js";
import { DAY, HOUR } from "./calendar.js";
import type { Pricing } from "./catalog.js";
import type { ChargeSink } from "./charge-sink.js";
import {
  amountsText,
  type ChargeRow,
  midText,
  NO_COMMITMENT,
  plain,
  type RowAmounts,
  type RowDescription,
  type RowTail,
  tailText,
  toUnits,
} from "./focus-row.js";
import { type Account, forEachPeriod, type Interval, type RowContext, toSpans } from "./model.js";
import { hashUnit } from "./prng.js";

export interface Stream {
  readonly account: Account;
  readonly rowCount: number;
  /** Key under which the writer keeps this stream's rows for the truth (planted situations only). */
  readonly track: string | undefined;
  /** Rows `emitMonth(month)` writes. */
  rowsInMonth(month: number): number;
  emitMonth(month: number, sink: ChargeSink): void;
}

function copiesWithin(copies: ReadonlyMap<number, number> | undefined, from: number, to: number): number {
  let n = 0;
  for (const [at, extra] of copies ?? []) if (at >= from && at < to) n += extra;
  return n;
}

function tail(ctx: RowContext, tags: string, extra: Partial<RowTail> = {}): RowTail {
  return { currency: ctx.currency, ...NO_COMMITMENT, tags, promotionId: "", ...extra };
}

function usageAmounts(
  q: Dec,
  unit: string,
  consumed: string,
  consumedUnit: string,
  list: Dec,
  contracted: Dec,
  billedUnit: Dec,
): RowAmounts {
  const billed = plain(billedUnit.times(q));
  return {
    consumedQuantity: consumed,
    consumedUnit,
    pricingQuantity: plain(q),
    pricingUnit: unit,
    listUnitPrice: plain(list),
    contractedUnitPrice: plain(contracted),
    billedCost: billed,
    effectiveCost: billed,
    listCost: plain(list.times(q)),
    contractedCost: billedUnit === contracted ? billed : plain(contracted.times(q)),
  };
}

// ---------------------------------------------------------------------------------------------
// Metered compute: EC2 instances and RDS databases billed per hour, on hourly or daily rows.
// ---------------------------------------------------------------------------------------------

export interface MeteredSpec {
  account: Account;
  description: RowDescription;
  tags: string;
  pricing: Pricing;
  /** HOUR or DAY: the length of each charge period. */
  granularity: number;
  /** When the resource really ran (possibly overlapping records, as a usage log has them). */
  raw: readonly Interval[];
  /** Whether usage.jsonl lists `raw` for this resource (so the audit may judge its hours). */
  covered: boolean;
  track?: string;
  /** Periods billed for more hours than the resource ran: period start → billed hours. */
  billedHours?: ReadonlyMap<number, number>;
  /** Periods billed although the resource did not run at all: period start → billed hours. */
  phantomPeriods?: ReadonlyMap<number, number>;
  /** Periods billed at a unit price other than the contracted one. */
  billedUnitPrice?: ReadonlyMap<number, Dec>;
  /** Periods whose row is repeated: period start → number of extra identical copies. */
  copies?: ReadonlyMap<number, number>;
}

const AMOUNTS = new WeakMap<RowContext, Map<string, { text: string; units: bigint }>>();

/** Amounts of `hours` billed at the contracted price, as CSV text; shared by every stream at that price. */
function sharedAmounts(
  ctx: RowContext,
  list: Dec,
  contracted: Dec,
  hours: number,
): { text: string; units: bigint } {
  let byKey = AMOUNTS.get(ctx);
  if (!byKey) {
    byKey = new Map();
    AMOUNTS.set(ctx, byKey);
  }
  const key = `${list.toFixed()}|${contracted.toFixed()}|${hours}`;
  let found = byKey.get(key);
  if (!found) {
    const q = new Dec(hours);
    const a = usageAmounts(q, "Hours", plain(q), "Hours", list, contracted, contracted);
    found = { text: amountsText(a), units: toUnits(new Dec(a.billedCost)) };
    byKey.set(key, found);
  }
  return found;
}

interface CachedAmounts {
  /** `,mid,amounts,tail\n` */
  rest: Buffer;
  units: bigint;
  /** Rows pushed with these amounts since the last addToInvoice. */
  count: number;
}

export class MeteredStream implements Stream {
  readonly account: Account;
  readonly rowCount: number;
  readonly spec: Omit<MeteredSpec, "raw">;
  /** When the resource ran (union of its usage), packed. */
  readonly spans: Float64Array;
  /** What usage.jsonl lists for the resource: its raw records when covered, else nothing. */
  readonly usageRecords: readonly Interval[];
  readonly #ctx: RowContext;
  readonly #special: boolean;

  constructor(ctx: RowContext, spec: MeteredSpec) {
    this.#ctx = ctx;
    const { raw, ...rest } = spec;
    this.spec = rest;
    this.account = spec.account;
    this.spans = toSpans(raw);
    this.usageRecords = spec.covered ? raw : [];
    this.#special =
      spec.track !== undefined ||
      (spec.billedHours?.size ?? 0) + (spec.phantomPeriods?.size ?? 0) + (spec.billedUnitPrice?.size ?? 0) >
        0 ||
      (spec.copies?.size ?? 0) > 0;
    let count = 0;
    const cal = ctx.calendar;
    forEachPeriod(this.spans, spec.granularity, cal.dataStart, cal.dataEnd, () => {
      count += 1;
    });
    for (const ps of spec.phantomPeriods?.keys() ?? [])
      if (ps >= cal.dataStart && ps < cal.dataEnd) count += 1;
    for (const n of spec.copies?.values() ?? []) count += n;
    this.rowCount = count;
  }

  get track(): string | undefined {
    return this.spec.track;
  }

  rowsInMonth(month: number): number {
    const cal = this.#ctx.calendar;
    const from = cal.start(month);
    const to = cal.end(month);
    let n = 0;
    forEachPeriod(this.spans, this.spec.granularity, from, to, () => {
      n += 1;
    });
    for (const ps of this.spec.phantomPeriods?.keys() ?? []) if (ps >= from && ps < to) n += 1;
    return n + copiesWithin(this.spec.copies, from, to);
  }

  /** Hours billed for a period in clean data: the run time within it, rounded up. */
  static billedHoursFor(coveredMs: number, granularity: number): number {
    return granularity === HOUR ? 1 : Math.ceil(coveredMs / HOUR);
  }

  #amounts(hours: number, billedUnit: Dec): RowAmounts {
    const q = new Dec(hours);
    return usageAmounts(
      q,
      "Hours",
      plain(q),
      "Hours",
      this.spec.pricing.list,
      this.spec.pricing.contracted,
      billedUnit,
    );
  }

  /** The row of the period starting at `ps`, billed for `hours` (at its planted price, if any). */
  rowAt(month: number, ps: number, hours: number): ChargeRow {
    const price = this.spec.billedUnitPrice?.get(ps) ?? this.spec.pricing.contracted;
    return {
      month,
      accountIndex: this.account.index,
      chargePeriodStart: ps,
      chargePeriodEnd: ps + this.spec.granularity,
      ...this.spec.description,
      ...this.#amounts(hours, price),
      ...tail(this.#ctx, this.spec.tags),
    };
  }

  emitMonth(month: number, sink: ChargeSink): void {
    const cal = this.#ctx.calendar;
    const from = cal.start(month);
    const to = cal.end(month);
    const g = this.spec.granularity;
    if (!this.#special) {
      // Same bytes as composeRow(head, start, end, mid, amounts, tail), without building a string
      // per row. The pieces are built per stream and month, not kept: a 10-million-row plan has
      // tens of thousands of streams.
      const midC = `,${midText(this.spec.description)},`;
      const tailC = `,${tailText(tail(this.#ctx, this.spec.tags))}\n`;
      const cache: (CachedAmounts | undefined)[] = [];
      const p = this.spec.pricing;
      forEachPeriod(this.spans, g, from, to, (ps, ms) => {
        const hours = MeteredStream.billedHoursFor(ms, g);
        let c = cache[hours];
        if (!c) {
          const a = sharedAmounts(this.#ctx, p.list, p.contracted, hours);
          c = { rest: Buffer.from(`${midC}${a.text}${tailC}`, "utf8"), units: a.units, count: 0 };
          cache[hours] = c;
        }
        c.count += 1;
        sink.pushPieces(cal.isoBytesOnGrid(ps, true), cal.isoBytesOnGrid(ps + g, false), c.rest);
      });
      for (const c of cache) if (c && c.count > 0) sink.addToInvoice(c.units * BigInt(c.count));
      return;
    }
    const periods: { ps: number; hours: number }[] = [];
    forEachPeriod(this.spans, g, from, to, (ps, ms) => {
      periods.push({ ps, hours: this.spec.billedHours?.get(ps) ?? MeteredStream.billedHoursFor(ms, g) });
    });
    for (const [ps, hours] of this.spec.phantomPeriods ?? [])
      if (ps >= from && ps < to) periods.push({ ps, hours });
    periods.sort((a, b) => a.ps - b.ps);
    for (const p of periods) {
      const row = this.rowAt(month, p.ps, p.hours);
      const n = 1 + (this.spec.copies?.get(p.ps) ?? 0);
      for (let i = 0; i < n; i++) sink.pushRow(row, this.spec.track);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// S3 buckets: one storage row per month (GB-Mo) and one GET-requests row per day (10K requests).
// ---------------------------------------------------------------------------------------------

export interface BucketSpec {
  account: Account;
  regionId: string;
  regionName: string;
  bucket: string;
  tags: string;
  storage: Pricing;
  requests: Pricing;
  storageSku: string;
  requestSku: string;
  /** Day-aligned life of the bucket. */
  aliveFrom: number;
  aliveTo: number;
  seedKey: number;
  track?: string;
  /** Request days whose row is repeated: day start → extra copies. */
  copies?: ReadonlyMap<number, number>;
  /** Months whose storage row is billed at the list price instead of the contracted one. */
  storageAtList?: ReadonlySet<number>;
}

export class BucketStream implements Stream {
  readonly account: Account;
  readonly rowCount: number;
  readonly spec: BucketSpec;
  readonly #ctx: RowContext;
  readonly #storageMid: string;
  readonly #requestMid: string;
  readonly #tail: string;
  readonly #storageDescription: RowDescription;
  readonly #requestDescription: RowDescription;

  constructor(ctx: RowContext, spec: BucketSpec) {
    this.#ctx = ctx;
    this.spec = spec;
    this.account = spec.account;
    const base = {
      category: "Usage",
      chargeClass: "",
      frequency: "Usage-Based",
      serviceName: "Amazon Simple Storage Service",
      serviceCategory: "Storage",
      regionId: spec.regionId,
      regionName: spec.regionName,
      resourceId: spec.bucket,
      resourceName: spec.bucket,
      resourceType: "Bucket",
      pricingCategory: "Standard",
    } as const;
    this.#storageDescription = {
      ...base,
      description: `${ctx.currency} ${plain(spec.storage.list)} per GB - first 50 TB / month of storage used`,
      skuId: spec.storageSku,
      skuPriceId: `${spec.storageSku}.JRTCKXETXF.6YS6EN2CT7`,
    };
    this.#requestDescription = {
      ...base,
      description: `${ctx.currency} ${plain(spec.requests.list)} per 10,000 GET and all other requests`,
      skuId: spec.requestSku,
      skuPriceId: `${spec.requestSku}.JRTCKXETXF.6YS6EN2CT7`,
    };
    this.#storageMid = midText(this.#storageDescription);
    this.#requestMid = midText(this.#requestDescription);
    this.#tail = tailText(tail(ctx, spec.tags));
    let count = 0;
    for (let m = 0; m < ctx.calendar.months; m++) {
      count += this.#storageMonth(m) ? 1 : 0;
      count += this.requestDays(m).length;
    }
    for (const n of spec.copies?.values() ?? []) count += n;
    this.rowCount = count;
  }

  get track(): string | undefined {
    return this.spec.track;
  }

  rowsInMonth(month: number): number {
    const cal = this.#ctx.calendar;
    return (
      (this.#storageMonth(month) ? 1 : 0) +
      this.requestDays(month).length +
      copiesWithin(this.spec.copies, cal.start(month), cal.end(month))
    );
  }

  #storageMonth(m: number): boolean {
    const cal = this.#ctx.calendar;
    return this.spec.aliveFrom < cal.end(m) && this.spec.aliveTo > cal.start(m);
  }

  /** Day starts with GET requests in month m (about one day in twelve has none). */
  requestDays(m: number): number[] {
    const cal = this.#ctx.calendar;
    const out: number[] = [];
    const from = Math.max(cal.start(m), this.spec.aliveFrom);
    const to = Math.min(cal.end(m), this.spec.aliveTo);
    for (let d = from; d < to; d += DAY) {
      if (hashUnit(this.spec.seedKey, d / DAY) >= 0.08) out.push(d);
    }
    return out;
  }

  /** Storage in GB-Mo for month m: 50.0 … 20000.0, one decimal. */
  storageQuantity(m: number): Dec {
    const tenths = 500 + Math.floor(hashUnit(this.spec.seedKey ^ 0x9e37, m) * 199_500);
    return new Dec(tenths).dividedBy(10);
  }

  /** GET requests of a day, in tens of thousands with one decimal (0.1 … 5000.0). */
  requestQuantity(dayStart: number): Dec {
    const tenths = 1 + Math.floor(hashUnit(this.spec.seedKey ^ 0x51ed, dayStart / DAY) * 50_000);
    return new Dec(tenths).dividedBy(10);
  }

  storageRow(m: number): ChargeRow {
    const cal = this.#ctx.calendar;
    const q = this.storageQuantity(m);
    const p = this.spec.storage;
    const atList = this.spec.storageAtList?.has(m) ?? false;
    return {
      month: m,
      accountIndex: this.account.index,
      chargePeriodStart: cal.start(m),
      chargePeriodEnd: cal.end(m),
      ...this.#storageDescription,
      ...usageAmounts(q, "GB-Mo", plain(q), "GB-Mo", p.list, p.contracted, atList ? p.list : p.contracted),
      ...tail(this.#ctx, this.spec.tags),
    };
  }

  requestRow(m: number, day: number): ChargeRow {
    const q = this.requestQuantity(day);
    const p = this.spec.requests;
    return {
      month: m,
      accountIndex: this.account.index,
      chargePeriodStart: day,
      chargePeriodEnd: day + DAY,
      ...this.#requestDescription,
      ...usageAmounts(
        q,
        "10K Requests",
        plain(q.times(10_000)),
        "Requests",
        p.list,
        p.contracted,
        p.contracted,
      ),
      ...tail(this.#ctx, this.spec.tags),
    };
  }

  emitMonth(month: number, sink: ChargeSink): void {
    const special = this.spec.track !== undefined || (this.spec.copies?.size ?? 0) > 0;
    const rows: ChargeRow[] = [];
    if (this.#storageMonth(month)) rows.push(this.storageRow(month));
    for (const d of this.requestDays(month)) rows.push(this.requestRow(month, d));
    const cal = this.#ctx.calendar;
    for (const row of rows) {
      if (special) {
        const isRequest = row.skuId === this.spec.requestSku;
        const n = 1 + (isRequest ? (this.spec.copies?.get(row.chargePeriodStart) ?? 0) : 0);
        for (let i = 0; i < n; i++) sink.pushRow(row, this.spec.track);
      } else {
        const mid = row.skuId === this.spec.storageSku ? this.#storageMid : this.#requestMid;
        sink.pushText(
          `${sink.head()}${cal.isoAt(row.chargePeriodStart)},${cal.isoAt(row.chargePeriodEnd)},${mid},${amountsText(row)},${this.#tail}\n`,
          toUnits(new Dec(row.billedCost)),
        );
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// CloudFront distributions: one HTTPS-requests row per day (10K requests), priced per day.
// ---------------------------------------------------------------------------------------------

export interface DistributionSpec {
  account: Account;
  resourceId: string;
  resourceName: string;
  sku: string;
  tags: string;
  list: Dec;
  /** Day-aligned rows from `from` to `to`. */
  from: number;
  to: number;
  seedKey: number;
  /** Requests per day, in tens of thousands (tenths): min and max. */
  minTenths: number;
  maxTenths: number;
  /** Contracted (and billed) unit price of the row starting at `dayStart`. */
  priceOn: (dayStart: number) => Dec;
  track?: string;
}

export class DistributionStream implements Stream {
  readonly account: Account;
  readonly rowCount: number;
  readonly spec: DistributionSpec;
  readonly #ctx: RowContext;

  constructor(ctx: RowContext, spec: DistributionSpec) {
    this.#ctx = ctx;
    this.spec = spec;
    this.account = spec.account;
    this.rowCount = (spec.to - spec.from) / DAY;
  }

  get track(): string | undefined {
    return this.spec.track;
  }

  rowsInMonth(month: number): number {
    const cal = this.#ctx.calendar;
    const from = Math.max(cal.start(month), this.spec.from);
    const to = Math.min(cal.end(month), this.spec.to);
    return to > from ? (to - from) / DAY : 0;
  }

  quantity(dayStart: number): Dec {
    const s = this.spec;
    const tenths =
      s.minTenths + Math.floor(hashUnit(s.seedKey, dayStart / DAY) * (s.maxTenths - s.minTenths + 1));
    return new Dec(tenths).dividedBy(10);
  }

  row(month: number, day: number): ChargeRow {
    const s = this.spec;
    const q = this.quantity(day);
    const price = s.priceOn(day);
    return {
      month,
      accountIndex: this.account.index,
      chargePeriodStart: day,
      chargePeriodEnd: day + DAY,
      category: "Usage",
      chargeClass: "",
      frequency: "Usage-Based",
      description: `${this.#ctx.currency} ${plain(s.list)} per 10,000 HTTPS requests`,
      serviceName: "Amazon CloudFront",
      serviceCategory: "Networking",
      regionId: "global",
      regionName: "Global",
      resourceId: s.resourceId,
      resourceName: s.resourceName,
      resourceType: "Distribution",
      skuId: s.sku,
      skuPriceId: `${s.sku}.JRTCKXETXF.6YS6EN2CT7`,
      pricingCategory: "Standard",
      ...usageAmounts(q, "10K Requests", plain(q.times(10_000)), "Requests", s.list, price, price),
      ...tail(this.#ctx, s.tags),
    };
  }

  emitMonth(month: number, sink: ChargeSink): void {
    const cal = this.#ctx.calendar;
    const from = Math.max(cal.start(month), this.spec.from);
    const to = Math.min(cal.end(month), this.spec.to);
    for (let d = from; d < to; d += DAY) sink.pushRow(this.row(month, d), this.spec.track);
  }
}

// ---------------------------------------------------------------------------------------------
// Subscriptions: a Purchase / Recurring row per term (monthly or yearly).
// ---------------------------------------------------------------------------------------------

export interface SubscriptionSpec {
  account: Account;
  description: RowDescription;
  tags: string;
  price: Dec;
  unit: string;
  /** Charge periods, in time order. */
  periods: readonly Interval[];
  track?: string;
  /** Period starts whose row is repeated: start → extra copies. */
  copies?: ReadonlyMap<number, number>;
}

export class SubscriptionStream implements Stream {
  readonly account: Account;
  readonly rowCount: number;
  readonly spec: SubscriptionSpec;
  readonly #ctx: RowContext;

  constructor(ctx: RowContext, spec: SubscriptionSpec) {
    this.#ctx = ctx;
    this.spec = spec;
    this.account = spec.account;
    const cal = ctx.calendar;
    let count = 0;
    for (const p of spec.periods)
      if (cal.monthOf(p.start) >= 0) count += 1 + (spec.copies?.get(p.start) ?? 0);
    this.rowCount = count;
  }

  get track(): string | undefined {
    return this.spec.track;
  }

  rowsInMonth(month: number): number {
    const cal = this.#ctx.calendar;
    let n = 0;
    for (const p of this.spec.periods) {
      if (p.start >= cal.start(month) && p.start < cal.end(month))
        n += 1 + (this.spec.copies?.get(p.start) ?? 0);
    }
    return n;
  }

  emitMonth(month: number, sink: ChargeSink): void {
    const cal = this.#ctx.calendar;
    const s = this.spec;
    for (const p of s.periods) {
      if (p.start < cal.start(month) || p.start >= cal.end(month)) continue;
      const row: ChargeRow = {
        month,
        accountIndex: this.account.index,
        chargePeriodStart: p.start,
        chargePeriodEnd: p.end,
        ...s.description,
        consumedQuantity: "",
        consumedUnit: "",
        pricingQuantity: "1",
        pricingUnit: s.unit,
        listUnitPrice: plain(s.price),
        contractedUnitPrice: plain(s.price),
        billedCost: plain(s.price),
        effectiveCost: plain(s.price),
        listCost: plain(s.price),
        contractedCost: plain(s.price),
        ...tail(this.#ctx, s.tags),
      };
      const n = 1 + (s.copies?.get(p.start) ?? 0);
      for (let i = 0; i < n; i++) sink.pushRow(row, s.track);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Commitments: an all-upfront Reserved Instance purchase, then daily Used / Unused rows.
// ---------------------------------------------------------------------------------------------

export interface CommitmentSpec {
  account: Account;
  regionId: string;
  regionName: string;
  commitmentId: string;
  instanceId: string;
  instanceName: string;
  instanceType: string;
  instanceSku: string;
  riSku: string;
  tags: string;
  /** On-demand prices of the covered instance type. */
  pricing: Pricing;
  /** Effective hourly rate of the commitment. */
  rate: Dec;
  termStart: number;
  termEnd: number;
  termLabel: string;
  /** Hours (0–24) the instance ran on the day starting at `dayStart`, within the term. */
  usedHours: (dayStart: number) => number;
  track?: string;
}

export class CommitmentStream implements Stream {
  readonly account: Account;
  readonly rowCount: number;
  readonly spec: CommitmentSpec;
  readonly #ctx: RowContext;
  readonly #termHours: number;

  constructor(ctx: RowContext, spec: CommitmentSpec) {
    this.#ctx = ctx;
    this.spec = spec;
    this.account = spec.account;
    this.#termHours = (spec.termEnd - spec.termStart) / HOUR;
    const cal = ctx.calendar;
    let count = cal.monthOf(spec.termStart) >= 0 ? 1 : 0;
    for (let d = Math.max(spec.termStart, cal.dataStart); d < Math.min(spec.termEnd, cal.dataEnd); d += DAY) {
      const used = spec.usedHours(d);
      count += (used > 0 ? 1 : 0) + (used < 24 ? 1 : 0);
    }
    this.rowCount = count;
  }

  get track(): string | undefined {
    return this.spec.track;
  }

  rowsInMonth(month: number): number {
    const cal = this.#ctx.calendar;
    const s = this.spec;
    let n = cal.monthOf(s.termStart) === month ? 1 : 0;
    for (let d = Math.max(s.termStart, cal.start(month)); d < Math.min(s.termEnd, cal.end(month)); d += DAY) {
      const used = s.usedHours(d);
      n += (used > 0 ? 1 : 0) + (used < 24 ? 1 : 0);
    }
    return n;
  }

  get termHours(): number {
    return this.#termHours;
  }

  purchaseCost(): Dec {
    return this.spec.rate.times(this.#termHours);
  }

  #base(month: number, start: number, end: number) {
    return { month, accountIndex: this.account.index, chargePeriodStart: start, chargePeriodEnd: end };
  }

  #commitment(status: string, quantity: string): Partial<RowTail> {
    return {
      commitmentDiscountId: this.spec.commitmentId,
      commitmentDiscountStatus: status,
      commitmentDiscountType: "Reserved Instance",
      commitmentDiscountCategory: "Usage",
      commitmentDiscountQuantity: quantity,
      commitmentDiscountUnit: "Hours",
    };
  }

  emitMonth(month: number, sink: ChargeSink): void {
    const cal = this.#ctx.calendar;
    const s = this.spec;
    const cur = this.#ctx.currency;
    if (cal.monthOf(s.termStart) === month) {
      const hours = new Dec(this.#termHours);
      const cost = plain(this.purchaseCost());
      sink.pushRow(
        {
          ...this.#base(month, s.termStart, s.termEnd),
          category: "Purchase",
          chargeClass: "",
          frequency: "One-Time",
          description: `Reserved Instance ${s.instanceType} Linux ${s.regionId} ${s.termLabel} All Upfront`,
          serviceName: "Amazon Elastic Compute Cloud",
          serviceCategory: "Compute",
          regionId: s.regionId,
          regionName: s.regionName,
          resourceId: s.commitmentId,
          resourceName: `${s.instanceType} reservation`,
          resourceType: "Reserved Instance",
          skuId: s.riSku,
          skuPriceId: `${s.riSku}.6QCMYABX3D.2TG2D8R56U`,
          pricingCategory: "Standard",
          consumedQuantity: "",
          consumedUnit: "",
          pricingQuantity: plain(hours),
          pricingUnit: "Hours",
          listUnitPrice: plain(s.rate),
          contractedUnitPrice: plain(s.rate),
          billedCost: cost,
          effectiveCost: "0",
          listCost: cost,
          contractedCost: cost,
          ...tail(this.#ctx, s.tags, this.#commitment("", plain(hours))),
        },
        s.track,
      );
    }
    const from = Math.max(s.termStart, cal.start(month));
    const to = Math.min(s.termEnd, cal.end(month));
    for (let d = from; d < to; d += DAY) {
      const used = s.usedHours(d);
      if (used > 0) {
        const q = new Dec(used);
        sink.pushRow(
          {
            ...this.#base(month, d, d + DAY),
            category: "Usage",
            chargeClass: "",
            frequency: "Usage-Based",
            description: `${cur} ${plain(s.rate)} hourly fee per Linux ${s.instanceType} (covered by Reserved Instance)`,
            serviceName: "Amazon Elastic Compute Cloud",
            serviceCategory: "Compute",
            regionId: s.regionId,
            regionName: s.regionName,
            resourceId: s.instanceId,
            resourceName: s.instanceName,
            resourceType: "Instance",
            skuId: s.instanceSku,
            skuPriceId: `${s.instanceSku}.6QCMYABX3D.6YS6EN2CT7`,
            pricingCategory: "Committed",
            consumedQuantity: plain(q),
            consumedUnit: "Hours",
            pricingQuantity: plain(q),
            pricingUnit: "Hours",
            listUnitPrice: plain(s.pricing.list),
            contractedUnitPrice: plain(s.pricing.contracted),
            billedCost: "0",
            effectiveCost: plain(s.rate.times(q)),
            listCost: plain(s.pricing.list.times(q)),
            contractedCost: plain(s.pricing.contracted.times(q)),
            ...tail(this.#ctx, s.tags, this.#commitment("Used", plain(q))),
          },
          s.track,
        );
      }
      if (used < 24) {
        const q = new Dec(24 - used);
        sink.pushRow(
          {
            ...this.#base(month, d, d + DAY),
            category: "Usage",
            chargeClass: "",
            frequency: "Usage-Based",
            description: `${cur} ${plain(s.rate)} hourly fee per unused Reserved Instance ${s.instanceType}`,
            serviceName: "Amazon Elastic Compute Cloud",
            serviceCategory: "Compute",
            regionId: s.regionId,
            regionName: s.regionName,
            resourceId: s.commitmentId,
            resourceName: `${s.instanceType} reservation`,
            resourceType: "Reserved Instance",
            skuId: s.riSku,
            skuPriceId: `${s.riSku}.6QCMYABX3D.2TG2D8R56U`,
            pricingCategory: "Committed",
            consumedQuantity: "",
            consumedUnit: "",
            pricingQuantity: plain(q),
            pricingUnit: "Hours",
            listUnitPrice: plain(s.pricing.list),
            contractedUnitPrice: plain(s.pricing.contracted),
            billedCost: "0",
            effectiveCost: plain(s.rate.times(q)),
            listCost: plain(s.pricing.list.times(q)),
            contractedCost: plain(s.pricing.contracted.times(q)),
            ...tail(this.#ctx, s.tags, this.#commitment("Unused", plain(q))),
          },
          s.track,
        );
      }
    }
  }
}
