/**
 * The plan of a dataset: accounts, every stream of rows with its exact row count, and the
 * evidence records. Planted situations come first (scenarios.ts), then the clean structure,
 * then compute instances fill the remaining rows exactly. Nothing here writes a file.
 */
import { createHash } from "node:crypto";
import { Dec } from "../money/index.js";
import { findSlaEntry, SLA_TABLES } from "../policy/sla-tables.js";
import { addMonths, Calendar, DAY, HOUR, iso, MINUTE, SECOND } from "./calendar.js";
import {
  APPS,
  BULK_S3_REGIONS,
  CLOUDFRONT,
  CLOUDFRONT_HTTPS_BASE,
  DOMAINS,
  EC2,
  EC2_TYPES,
  ENVIRONMENTS,
  type InstanceType,
  ORGANISATIONS,
  PROVIDER,
  type Pricing,
  RDS,
  RDS_TYPES,
  REGIONS,
  RESERVED_FACTOR,
  ROUTE53,
  regionalPricing,
  region as regionById,
  S3,
  S3_GET_BASE,
  S3_STORAGE_BASE,
  SAGEMAKER,
  type Service,
  SUPPORT,
  SUPPORT_FEES,
  TAX_RATES,
  TEAMS,
  WORKSPACE_BUNDLES,
  WORKSPACES,
} from "./catalog.js";
import { type ChargeRow, NO_COMMITMENT, plain, type RowDescription, tagsJson } from "./focus-row.js";
import type {
  Account,
  Interval,
  PromotionRecord,
  RowContext,
  SubscriptionRecord,
  UsageRecord,
} from "./model.js";
import { coveredWithin, mergeIntervals } from "./model.js";
import { Rng } from "./prng.js";
import { plantAnomalies, type Scenario } from "./scenarios.js";
import {
  BucketStream,
  CommitmentStream,
  DistributionStream,
  type MeteredSpec,
  MeteredStream,
  type Stream,
  SubscriptionStream,
} from "./streams.js";
import { slaCreditPercent } from "./truth.js";

export interface NormalizedOptions {
  outDir: string;
  seed: number;
  rows: number;
  accounts: number;
  months: number;
  currency: string;
  /** `YYYY-MM` */
  start: string;
  anomalyRate: number;
  clean: boolean;
}

export interface PlannedIncident {
  incidentId: string;
  serviceName: string;
  regionId: string;
  resourceIds: string[];
  start: number;
  end: number;
}

export interface ExtraRow {
  row: ChargeRow;
  track?: string;
}

const SKU_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/**
 * Longest downtime (ms) a clean month of `serviceName` may have: 90 % of what keeps even a 28-day
 * month at its SLA threshold; null when the service has no SLA entry (any downtime is free).
 */
function cleanDowntimeLimit(serviceName: string): number | null {
  const entry = findSlaEntry(SLA_TABLES, PROVIDER, serviceName);
  if (!entry) return null;
  let bound = new Dec(entry.thresholdPercent);
  for (const tier of entry.tiers) bound = Dec.max(bound, tier.below);
  const allowed = new Dec(28 * DAY).times(new Dec(100).minus(bound)).dividedBy(100).times("0.9").floor();
  return Number(allowed.toFixed(0));
}

/** Share of `--rows` each part of the clean structure may take (compute fills the rest). */
const SHARE = {
  planted: 0.4,
  taxes: 0.1,
  buckets: 0.1,
  workspaces: 0.02,
  support: 0.01,
  commitments: 0.04,
} as const;

export class Planner {
  readonly opts: NormalizedOptions;
  readonly rng: Rng;
  readonly cal: Calendar;
  readonly ctx: RowContext;
  readonly org: string;
  readonly orgSlug: string;
  readonly accounts: Account[] = [];
  readonly streams: Stream[][];
  readonly extras = new Map<string, ExtraRow[]>();
  readonly usage: { resourceId: string; start: number; end: number }[] = [];
  readonly subscriptions: SubscriptionRecord[] = [];
  readonly incidents: PlannedIncident[] = [];
  readonly promotions: PromotionRecord[] = [];
  readonly scenarios: Scenario[] = [];
  /** `service|region|month` slots whose availability planted incidents decide. */
  readonly slaSlots = new Set<string>();
  /** `account|month|third` windows holding one promotion's CloudFront distribution. */
  readonly promoSlots = new Set<string>();
  /** Accounts that already have an AWS Support subscription (matched by account and service). */
  readonly supportAccounts = new Set<number>();
  readonly #ids = new Set<string>();
  readonly #skus = new Map<string, string>();
  readonly #accountWeights: number[] = [];
  readonly #bulkInstances = new Map<string, string[]>();
  readonly asOf: number;
  /** Accounts (the first `taxAccounts`) that get a Tax row every month. */
  taxAccounts = 0;
  used = 0;

  constructor(opts: NormalizedOptions, minorUnits: number) {
    this.opts = opts;
    this.rng = new Rng(opts.seed, "dataset");
    const [year, month] = opts.start.split("-").map(Number) as [number, number];
    this.cal = new Calendar(year, month - 1, opts.months);
    this.ctx = {
      calendar: this.cal,
      currency: opts.currency,
      priceScale: new Dec(minorUnits === 0 ? 100 : 1),
      minorUnits,
    };
    this.asOf = this.cal.dataEnd;
    this.streams = [];
    const r = this.rng.fork("organisation");
    this.org = r.pick(ORGANISATIONS);
    this.orgSlug = this.org.split(" ")[0]!.toLowerCase();
    this.#makeAccounts(r);
  }

  // -------------------------------------------------------------------------------------------
  // Building blocks
  // -------------------------------------------------------------------------------------------

  #makeAccounts(r: Rng): void {
    const names = new Set<string>();
    for (let i = 0; i < this.opts.accounts; i++) {
      const id = this.unique(() => `${r.int(1, 9)}${r.chars(11, "0123456789")}`);
      const team = i === 0 ? "finance" : r.pick(TEAMS);
      const env = i === 0 ? "prod" : r.pick(ENVIRONMENTS);
      let name = i === 0 ? `${this.orgSlug}-payer` : `${this.orgSlug}-${team}-${env}`;
      for (let k = 2; names.has(name); k++) name = `${this.orgSlug}-${team}-${env}-${k}`;
      names.add(name);
      this.accounts.push({ index: i, id, name, team, env, taxRate: r.pick(TAX_RATES) });
      this.streams.push([]);
      this.#accountWeights.push(0.2 + r.float() * (i > 0 && i < 6 ? 4 : 1));
    }
  }

  unique(make: () => string): string {
    for (;;) {
      const id = make();
      if (!this.#ids.has(id)) {
        this.#ids.add(id);
        return id;
      }
    }
  }

  /** AWS-like 16-character product SKU, stable for a (service, region, usage type). */
  sku(...parts: string[]): string {
    const key = parts.join("|");
    let sku = this.#skus.get(key);
    if (!sku) {
      const digest = createHash("sha256").update(`${this.opts.seed}|${key}`).digest();
      sku = "";
      for (let i = 0; i < 16; i++) sku += SKU_ALPHABET[digest[i]! % 32];
      this.#skus.set(key, sku);
    }
    return sku;
  }

  account(rng: Rng): Account {
    return this.accounts[rng.weightedIndex(this.#accountWeights)]!;
  }

  /** A second account different from `a` when there is one. */
  otherAccount(rng: Rng, a: Account): Account {
    if (this.accounts.length === 1) return a;
    for (;;) {
      const b = this.account(rng);
      if (b.index !== a.index) return b;
    }
  }

  tags(rng: Rng, account: Account, app = rng.pick(APPS)): string {
    return tagsJson([
      ["env", account.env],
      ["team", account.team],
      ["app", app],
      ["cost-center", `CC-${1000 + ((account.index * 37) % 900)}`],
    ]);
  }

  remaining(): number {
    return this.opts.rows - this.used - this.taxAccounts * this.opts.months;
  }

  addStream(s: Stream): void {
    if (s.rowCount === 0) return;
    this.streams[s.account.index]!.push(s);
    this.used += s.rowCount;
    if (s instanceof MeteredStream && s.spec.covered) {
      for (const iv of s.usageRecords) this.usage.push({ resourceId: s.spec.description.resourceId, ...iv });
    }
  }

  addExtra(row: ChargeRow, track?: string): void {
    const key = `${row.accountIndex}:${row.month}`;
    const list = this.extras.get(key) ?? [];
    list.push(track === undefined ? { row } : { row, track });
    this.extras.set(key, list);
    this.used += 1;
  }

  addIncident(
    serviceName: string,
    regionId: string,
    resourceIds: string[],
    start: number,
    end: number,
  ): void {
    const incidentId = this.unique(
      () => `INC-${iso(start).slice(0, 10).replace(/-/g, "")}-${this.rng.hex(6).toUpperCase()}`,
    );
    this.incidents.push({ incidentId, serviceName, regionId, resourceIds, start, end });
  }

  /** Months whose SLA credits are still claimable at the as-of date (month + 3 > as-of). */
  slaMonths(): number[] {
    const m = this.opts.months;
    return m >= 2 ? [m - 2, m - 1] : [0];
  }

  /** The last (up to) three months: where planted charges go, well inside every claim window. */
  recentMonth(rng: Rng): number {
    const m = this.opts.months;
    return rng.int(Math.max(0, m - 3), m - 1);
  }

  /** A recent month that a later month of the data can correct, or null with one month. */
  correctableMonth(rng: Rng): number | null {
    const m = this.opts.months;
    if (m < 2) return null;
    return rng.int(Math.max(0, m - 3), m - 2);
  }

  // ---- pricing -------------------------------------------------------------------------------

  ec2Pricing(t: InstanceType, regionId: string): Pricing {
    return regionalPricing(t.base, regionById(regionId), this.ctx.priceScale, 4);
  }

  reservedRate(t: InstanceType, regionId: string): Dec {
    return this.ec2Pricing(t, regionId).list.times(RESERVED_FACTOR).toDecimalPlaces(4, Dec.ROUND_HALF_UP);
  }

  // ---- streams -------------------------------------------------------------------------------

  instanceId(): string {
    return this.unique(() => `i-0${this.rng.hex(16)}`);
  }

  ec2(
    account: Account,
    regionId: string,
    t: InstanceType,
    granularity: number,
    raw: readonly Interval[],
    rng: Rng,
    extra: Partial<MeteredSpec> = {},
  ): MeteredStream {
    const reg = regionById(regionId);
    const pricing = this.ec2Pricing(t, regionId);
    const id = this.instanceId();
    const app = rng.pick(APPS);
    const skuId = this.sku("ec2", regionId, t.type);
    const description: RowDescription = {
      category: "Usage",
      chargeClass: "",
      frequency: "Usage-Based",
      description: `${this.opts.currency} ${plain(pricing.list)} per On Demand Linux ${t.type} Instance Hour`,
      serviceName: EC2.name,
      serviceCategory: EC2.category,
      regionId,
      regionName: reg.name,
      resourceId: id,
      resourceName: `${account.team}-${app}-${rng.int(1, 40)}`,
      resourceType: "Instance",
      skuId,
      skuPriceId: `${skuId}.JRTCKXETXF.6YS6EN2CT7`,
      pricingCategory: "Standard",
    };
    return new MeteredStream(this.ctx, {
      account,
      description,
      tags: this.tags(rng, account, app),
      pricing,
      granularity,
      raw,
      covered: false,
      ...extra,
    });
  }

  rds(
    account: Account,
    regionId: string,
    t: InstanceType,
    raw: readonly Interval[],
    rng: Rng,
  ): MeteredStream {
    const reg = regionById(regionId);
    const pricing = regionalPricing(t.base, reg, this.ctx.priceScale, 4);
    const name = this.unique(() => `${account.team}-${rng.pick(APPS)}-db-${rng.hex(4)}`);
    const skuId = this.sku("rds", regionId, t.type);
    return new MeteredStream(this.ctx, {
      account,
      description: {
        category: "Usage",
        chargeClass: "",
        frequency: "Usage-Based",
        description: `${this.opts.currency} ${plain(pricing.list)} per RDS ${t.type} Single-AZ instance hour (or partial hour) running PostgreSQL`,
        serviceName: RDS.name,
        serviceCategory: RDS.category,
        regionId,
        regionName: reg.name,
        resourceId: `arn:aws:rds:${regionId}:${account.id}:db:${name}`,
        resourceName: name,
        resourceType: "DB Instance",
        skuId,
        skuPriceId: `${skuId}.JRTCKXETXF.6YS6EN2CT7`,
        pricingCategory: "Standard",
      },
      tags: this.tags(rng, account),
      pricing,
      granularity: DAY,
      raw,
      covered: false,
    });
  }

  bucket(
    account: Account,
    regionId: string,
    aliveFrom: number,
    aliveTo: number,
    rng: Rng,
    extra: { track?: string; copies?: Map<number, number>; storageAtList?: Set<number> } = {},
  ): BucketStream {
    const reg = regionById(regionId);
    const name = this.unique(() => `${this.orgSlug}-${account.team}-${rng.pick(APPS)}-${rng.hex(6)}`);
    const scale = this.ctx.priceScale;
    return new BucketStream(this.ctx, {
      account,
      regionId,
      regionName: reg.name,
      bucket: name,
      tags: this.tags(rng, account),
      storage: regionalPricing(S3_STORAGE_BASE, reg, scale, 3),
      requests: regionalPricing(S3_GET_BASE, reg, scale, 4),
      storageSku: this.sku("s3", regionId, "TimedStorage-ByteHrs"),
      requestSku: this.sku("s3", regionId, "Requests-Tier2"),
      aliveFrom,
      aliveTo,
      seedKey: rng.next(),
      ...extra,
    });
  }

  cloudfrontList(): Dec {
    return new Dec(CLOUDFRONT_HTTPS_BASE).times(this.ctx.priceScale);
  }

  distribution(
    account: Account,
    from: number,
    to: number,
    rng: Rng,
    opts: { minTenths: number; maxTenths: number; priceOn: (day: number) => Dec; track?: string },
  ): DistributionStream {
    const code = this.unique(() => `E${rng.chars(13, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")}`);
    return new DistributionStream(this.ctx, {
      account,
      resourceId: `arn:aws:cloudfront::${account.id}:distribution/${code}`,
      resourceName: `${account.team}-cdn-${rng.hex(4)}`,
      sku: this.sku("cloudfront", "global", "Requests-Tier2-HTTPS"),
      tags: this.tags(rng, account, "web"),
      list: this.cloudfrontList(),
      from,
      to,
      seedKey: rng.next(),
      ...opts,
    });
  }

  subscriptionDescription(
    service: Service,
    account: Account,
    resourceId: string,
    resourceName: string,
    resourceType: string,
    text: string,
    regionId = "",
  ): RowDescription {
    const skuId = this.sku(service.code, regionId, text);
    return {
      category: "Purchase",
      chargeClass: "",
      frequency: "Recurring",
      description: text,
      serviceName: service.name,
      serviceCategory: service.category,
      regionId,
      regionName: regionId === "" ? "" : regionById(regionId).name,
      resourceId,
      resourceName,
      resourceType,
      skuId,
      skuPriceId: `${skuId}.JRTCKXETXF.${account.index === 0 ? "8KGKF9WZDM" : "6YS6EN2CT7"}`,
      pricingCategory: "Standard",
    };
  }

  /** Monthly anniversaries on `day` (1–28) at 00:00 UTC for months [first, last] of the data. */
  monthlyPeriods(day: number, first: number, last: number): Interval[] {
    const out: Interval[] = [];
    for (let m = first; m <= last; m++) {
      const start = this.cal.start(m) + (day - 1) * DAY;
      out.push({ start, end: addMonths(start, 1) });
    }
    return out;
  }

  workspace(
    account: Account,
    rng: Rng,
    periods: Interval[],
    record: Omit<SubscriptionRecord, "subscriptionId" | "accountId" | "resourceId" | "serviceName" | "term">,
    extra: { track?: string; copies?: Map<number, number> } = {},
  ): SubscriptionStream {
    const bundle = rng.pick(WORKSPACE_BUNDLES);
    const regionId = rng.pick(["us-east-1", "eu-west-1", "ap-southeast-1"]);
    const ws = this.unique(() => `ws-${rng.chars(9, "abcdefghijklmnopqrstuvwxyz0123456789")}`);
    const price = new Dec(bundle.price).times(this.ctx.priceScale);
    this.subscriptions.push({
      subscriptionId: this.unique(() => `sub-${rng.hex(12)}`),
      accountId: account.id,
      resourceId: ws,
      serviceName: WORKSPACES.name,
      term: "P1M",
      ...record,
    });
    return new SubscriptionStream(this.ctx, {
      account,
      description: this.subscriptionDescription(
        WORKSPACES,
        account,
        ws,
        `${account.team}-desktop-${rng.int(1, 99)}`,
        "WorkSpace",
        `${bundle.name} bundle WorkSpace (monthly)`,
        regionId,
      ),
      tags: this.tags(rng, account, "desktop"),
      price,
      unit: "Months",
      periods,
      ...extra,
    });
  }

  support(
    account: Account,
    rng: Rng,
    periods: Interval[],
    record: Omit<SubscriptionRecord, "subscriptionId" | "accountId" | "resourceId" | "serviceName" | "term">,
    track?: string,
  ): SubscriptionStream {
    this.supportAccounts.add(account.index);
    this.subscriptions.push({
      subscriptionId: this.unique(() => `sub-${rng.hex(12)}`),
      accountId: account.id,
      resourceId: null,
      serviceName: SUPPORT.name,
      term: "P1M",
      ...record,
    });
    const price = new Dec(rng.pick(SUPPORT_FEES)).times(this.ctx.priceScale);
    return new SubscriptionStream(this.ctx, {
      account,
      description: this.subscriptionDescription(
        SUPPORT,
        account,
        "",
        "",
        "",
        "AWS Support (Business) monthly fee",
      ),
      tags: "",
      price,
      unit: "Months",
      periods,
      ...(track === undefined ? {} : { track }),
    });
  }

  domain(
    account: Account,
    rng: Rng,
    renewal: number,
    record: Omit<SubscriptionRecord, "subscriptionId" | "accountId" | "resourceId" | "serviceName" | "term">,
    track?: string,
  ): SubscriptionStream {
    const d = rng.pick(DOMAINS);
    const name = this.unique(() => `${this.orgSlug}-${rng.pick(APPS)}-${rng.hex(4)}.${d.tld}`);
    this.subscriptions.push({
      subscriptionId: this.unique(() => `sub-${rng.hex(12)}`),
      accountId: account.id,
      resourceId: name,
      serviceName: ROUTE53.name,
      term: "P1Y",
      ...record,
    });
    return new SubscriptionStream(this.ctx, {
      account,
      description: this.subscriptionDescription(
        ROUTE53,
        account,
        name,
        name,
        "Domain",
        `Domain registration renewal (.${d.tld}, 1 year)`,
      ),
      tags: "",
      price: new Dec(d.price).times(this.ctx.priceScale),
      unit: "Years",
      periods: [{ start: renewal, end: addMonths(renewal, 12) }],
      ...(track === undefined ? {} : { track }),
    });
  }

  commitment(
    account: Account,
    regionId: string,
    t: InstanceType,
    termStart: number,
    termEnd: number,
    termLabel: string,
    usedHours: (day: number) => number,
    rng: Rng,
    track?: string,
  ): CommitmentStream {
    const reg = regionById(regionId);
    const instanceId = this.instanceId();
    return new CommitmentStream(this.ctx, {
      account,
      regionId,
      regionName: reg.name,
      commitmentId: `arn:aws:ec2:${regionId}:${account.id}:reserved-instances/${this.unique(() => `${rng.hex(8)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(12)}`)}`,
      instanceId,
      instanceName: `${account.team}-${rng.pick(APPS)}-${rng.int(1, 40)}`,
      instanceType: t.type,
      instanceSku: this.sku("ec2", regionId, t.type),
      riSku: this.sku("ec2-ri", regionId, t.type, termLabel),
      tags: this.tags(rng, account),
      pricing: this.ec2Pricing(t, regionId),
      rate: this.reservedRate(t, regionId),
      termStart,
      termEnd,
      termLabel,
      usedHours,
      ...(track === undefined ? {} : { track }),
    });
  }

  /** A later-period correction of `original`, for `quantity` of its pricing unit (positive). */
  correction(original: ChargeRow, postMonth: number, quantity: Dec, reason: string): ChargeRow {
    const contracted = new Dec(original.contractedUnitPrice);
    const billedUnit = new Dec(original.billedCost).dividedBy(original.pricingQuantity);
    const neg = (d: Dec) => plain(d.negated());
    return {
      ...original,
      month: postMonth,
      chargeClass: "Correction",
      description: `Post-invoice correction - ${reason}`,
      consumedQuantity: original.consumedQuantity === "" ? "" : neg(quantity),
      pricingQuantity: neg(quantity),
      billedCost: neg(billedUnit.times(quantity)),
      effectiveCost: neg(billedUnit.times(quantity)),
      listCost: neg(new Dec(original.listUnitPrice).times(quantity)),
      contractedCost: neg(contracted.times(quantity)),
    };
  }

  /** A promotional credit (negative) posted in `month`, for the day starting at `day`. */
  creditRow(
    account: Account,
    month: number,
    day: number,
    amount: Dec,
    service: Service,
    description: string,
    promotionId: string,
  ): ChargeRow {
    const value = plain(amount.negated());
    return {
      month,
      accountIndex: account.index,
      chargePeriodStart: day,
      chargePeriodEnd: day + DAY,
      category: "Credit",
      chargeClass: "",
      frequency: "One-Time",
      description,
      serviceName: service.name,
      serviceCategory: service.category,
      regionId: "",
      regionName: "",
      resourceId: "",
      resourceName: "",
      resourceType: "",
      skuId: "",
      skuPriceId: "",
      pricingCategory: "",
      consumedQuantity: "",
      consumedUnit: "",
      pricingQuantity: "",
      pricingUnit: "",
      listUnitPrice: "",
      contractedUnitPrice: "",
      billedCost: value,
      effectiveCost: value,
      listCost: value,
      contractedCost: value,
      currency: this.opts.currency,
      ...NO_COMMITMENT,
      tags: "",
      promotionId,
    };
  }

  taxRow(account: Account, month: number, amount: Dec): ChargeRow {
    const value = plain(amount);
    const percent = plain(new Dec(account.taxRate).times(100));
    return {
      month,
      accountIndex: account.index,
      chargePeriodStart: this.cal.start(month),
      chargePeriodEnd: this.cal.end(month),
      category: "Tax",
      chargeClass: "",
      frequency: "One-Time",
      description: `Tax at ${percent}% for billing period ${this.cal.label(month)}`,
      serviceName: "Tax",
      serviceCategory: "Other",
      regionId: "",
      regionName: "",
      resourceId: "",
      resourceName: "",
      resourceType: "",
      skuId: "",
      skuPriceId: "",
      pricingCategory: "",
      consumedQuantity: "",
      consumedUnit: "",
      pricingQuantity: "",
      pricingUnit: "",
      listUnitPrice: "",
      contractedUnitPrice: "",
      billedCost: value,
      effectiveCost: value,
      listCost: value,
      contractedCost: value,
      currency: this.opts.currency,
      ...NO_COMMITMENT,
      tags: "",
      promotionId: "",
    };
  }

  money(value: Dec): string {
    return value.toFixed(this.ctx.minorUnits);
  }

  /** Allocates a free `(account, month, third of month)` window for one promotion. */
  promoSlot(rng: Rng, months: readonly number[]): { account: Account; month: number; start: number } | null {
    for (let attempt = 0; attempt < 200; attempt++) {
      const account = this.account(rng);
      const month = rng.pick(months);
      const third = rng.int(0, 2);
      const key = `${account.index}|${month}|${third}`;
      if (this.promoSlots.has(key)) continue;
      this.promoSlots.add(key);
      return { account, month, start: this.cal.start(month) + third * 9 * DAY };
    }
    return null;
  }

  slaSlot(
    rng: Rng,
    service: Service,
    regions: readonly string[],
  ): { regionId: string; month: number } | null {
    const free: { regionId: string; month: number }[] = [];
    for (const regionId of regions) {
      for (const month of this.slaMonths()) {
        if (!this.slaSlots.has(`${service.name}|${regionId}|${month}`)) free.push({ regionId, month });
      }
    }
    if (free.length === 0) return null;
    const slot = rng.pick(free);
    this.slaSlots.add(`${service.name}|${slot.regionId}|${slot.month}`);
    return slot;
  }

  // -------------------------------------------------------------------------------------------
  // The whole plan
  // -------------------------------------------------------------------------------------------

  build(): void {
    const rows = this.opts.rows;
    if (!this.opts.clean) plantAnomalies(this, Math.floor(rows * SHARE.planted));
    const a = this.accounts.length;
    const m = this.opts.months;
    const taxBudget = Math.floor(rows * SHARE.taxes);
    this.taxAccounts = a * m <= taxBudget ? a : Math.floor(taxBudget / m);
    this.#cleanSubscriptions();
    this.#cleanBuckets();
    this.#cleanCommitments();
    this.#cleanPromotions();
    this.#fillCompute();
    this.#cleanIncidents();
    if (this.remaining() !== 0) throw new Error(`plan has ${this.remaining()} rows unaccounted for`);
    // Realistic order within each account, but the streams of one planted situation side by side,
    // so each finding's rows are contiguous (see generate-dataset: no finding straddles 10^k lines).
    const shuffle = this.rng.fork("order");
    for (let i = 0; i < this.streams.length; i++) {
      const mixed = shuffle.shuffled(this.streams[i]!);
      const placed = new Set<string>();
      const ordered: Stream[] = [];
      for (const s of mixed) {
        if (s.track === undefined) ordered.push(s);
        else if (!placed.has(s.track)) {
          placed.add(s.track);
          for (const t of mixed) if (t.track === s.track) ordered.push(t);
        }
      }
      this.streams[i] = ordered;
    }
  }

  #fits(n: number, share: number, usedByPart: number): boolean {
    return n <= this.remaining() && usedByPart + n <= Math.floor(this.opts.rows * share);
  }

  #cleanSubscriptions(): void {
    const rng = this.rng.fork("subscriptions");
    const m = this.opts.months;
    const cal = this.cal;
    // Support: a third of the accounts, matched by account and service (no resource).
    let used = 0;
    for (const account of this.accounts) {
      if (this.supportAccounts.has(account.index) || !rng.chance(0.35)) continue;
      if (!this.#fits(m, SHARE.support, used)) break;
      const cancelIn = m >= 2 && rng.chance(0.25) ? rng.int(0, m - 2) : -1;
      const last = cancelIn >= 0 ? cancelIn : m - 1;
      const periods: Interval[] = [];
      for (let i = 0; i <= last; i++) periods.push({ start: cal.start(i), end: cal.end(i) });
      const cancelledAt =
        cancelIn >= 0 ? cal.start(cancelIn) + rng.int(2, 20) * DAY + rng.int(0, 86399) * SECOND : null;
      const s = this.support(account, rng, periods, {
        startedAt: iso(addMonths(cal.dataStart, -rng.int(3, 30))),
        renewsAt: iso(cal.end(last)),
        autoRenew: cancelledAt === null,
        cancelledAt: cancelledAt === null ? null : iso(cancelledAt),
      });
      used += s.rowCount;
      this.addStream(s);
    }
    // WorkSpaces: active, new, cancelled and non-renewing monthly subscriptions.
    used = 0;
    const target = Math.min(this.accounts.length * 2, 400);
    for (let i = 0; i < target; i++) {
      if (!this.#fits(m, SHARE.workspaces, used)) break;
      const account = this.account(rng);
      const day = rng.int(1, 28);
      const shape = rng.float();
      let first = 0;
      let last = m - 1;
      let autoRenew = true;
      let cancelledAt: number | null = null;
      if (shape < 0.2 && m >= 2) first = rng.int(1, m - 1);
      else if (shape < 0.4 && m >= 2) {
        last = rng.int(0, m - 2);
        autoRenew = false;
        cancelledAt = cal.start(last) + (day - 1) * DAY + rng.int(1, 25) * DAY + rng.int(0, 86399) * SECOND;
      } else if (shape < 0.5 && m >= 2) {
        last = rng.int(0, m - 2);
        autoRenew = false;
      }
      const periods = this.monthlyPeriods(day, first, last);
      const next = periods[periods.length - 1]!.end;
      const startedAt = first > 0 ? periods[0]!.start : addMonths(periods[0]!.start, -rng.int(1, 20));
      const s = this.workspace(account, rng, periods, {
        startedAt: iso(startedAt),
        renewsAt: iso(next),
        autoRenew,
        cancelledAt: cancelledAt === null ? null : iso(cancelledAt),
      });
      used += s.rowCount;
      this.addStream(s);
    }
    // Route 53 domains renewing during the data.
    for (let i = 0; i < 3 && this.remaining() > 100; i++) {
      const account = this.account(rng);
      const month = rng.int(0, m - 1);
      const renewal = cal.start(month) + rng.int(0, 27) * DAY;
      this.addStream(
        this.domain(account, rng, renewal, {
          startedAt: iso(addMonths(renewal, -12 * rng.int(1, 6))),
          renewsAt: iso(addMonths(renewal, 12)),
          autoRenew: true,
          cancelledAt: null,
        }),
      );
    }
  }

  #cleanBuckets(): void {
    const rng = this.rng.fork("buckets");
    const cal = this.cal;
    let used = 0;
    const corrections: BucketStream[] = [];
    for (let i = 0; i < 20_000; i++) {
      const account = this.account(rng);
      const reg = rng.pick(BULK_S3_REGIONS);
      let from = cal.dataStart;
      let to = cal.dataEnd;
      if (rng.chance(0.3)) {
        const days = (cal.dataEnd - cal.dataStart) / DAY;
        const a = rng.int(0, days - 1);
        const b = rng.int(a + 1, days);
        from = cal.dataStart + a * DAY;
        to = cal.dataStart + b * DAY;
      }
      const s = this.bucket(account, reg.id, from, to, rng);
      if (!this.#fits(s.rowCount, SHARE.buckets, used)) break;
      used += s.rowCount;
      this.addStream(s);
      if (corrections.length < 3 && from === cal.dataStart && to === cal.dataEnd) corrections.push(s);
    }
    // A few storage rows corrected in the next billing period (clean: nothing is claimed).
    const m = this.opts.months;
    for (const s of corrections) {
      if (m < 2 || this.remaining() < 1) break;
      const month = rng.int(0, m - 2);
      const original = s.storageRow(month);
      const q = new Dec(original.pricingQuantity).times("0.1").toDecimalPlaces(1, Dec.ROUND_DOWN);
      if (q.isZero()) continue;
      this.addExtra(this.correction(original, month + 1, q, "storage metering adjustment"));
    }
  }

  #cleanCommitments(): void {
    const rng = this.rng.fork("commitments");
    const cal = this.cal;
    const m = this.opts.months;
    // Term long enough to end after the as-of date, so Unused hours are not (yet) refundable.
    const termMonths = m < 12 ? 12 : 36;
    let used = 0;
    for (let i = 0; i < 40; i++) {
      const account = this.account(rng);
      const reg = rng.pick(REGIONS);
      const t = rng.pick(EC2_TYPES);
      const stopped = new Set<number>();
      const partial = new Map<number, number>();
      const days = (cal.dataEnd - cal.dataStart) / DAY;
      for (let k = rng.int(0, 4); k > 0; k--) stopped.add(cal.dataStart + rng.int(0, days - 1) * DAY);
      for (let k = rng.int(0, 4); k > 0; k--)
        partial.set(cal.dataStart + rng.int(0, days - 1) * DAY, rng.int(1, 23));
      const s = this.commitment(
        account,
        reg.id,
        t,
        cal.dataStart,
        addMonths(cal.dataStart, termMonths),
        termMonths === 12 ? "1 year" : "3 years",
        (d) => (stopped.has(d) ? 0 : (partial.get(d) ?? 24)),
        rng,
      );
      if (!this.#fits(s.rowCount, SHARE.commitments, used)) break;
      used += s.rowCount;
      this.addStream(s);
    }
    // One short commitment that ended before the as-of date, fully used: nothing to refund.
    const short = this.commitment(
      this.account(rng),
      rng.pick(REGIONS).id,
      rng.pick(EC2_TYPES),
      cal.start(0),
      cal.end(0),
      "1 month",
      () => 24,
      rng,
    );
    if (this.#fits(short.rowCount, SHARE.commitments, used)) this.addStream(short);
  }

  #cleanPromotions(): void {
    const rng = this.rng.fork("promotions");
    const cal = this.cal;
    const months = Array.from({ length: this.opts.months }, (_, i) => i);
    const list = this.cloudfrontList();
    const promoId = () => this.unique(() => `promo-${rng.hex(10)}`);
    const promoCode = () => this.unique(() => `AWS-${rng.chars(8, "ABCDEFGHJKLMNPQRSTUVWXYZ23456789")}`);
    if (this.remaining() >= 60) {
      // A percentage promotion applied correctly: billed at ListCost × (1 − 20 %) inside its window.
      const slot = this.promoSlot(rng, months);
      if (slot) {
        const from = slot.start + DAY;
        const to = slot.start + 8 * DAY;
        const discounted = list.times("0.8");
        this.addStream(
          this.distribution(slot.account, slot.start, slot.start + 9 * DAY, rng, {
            minTenths: 500,
            maxTenths: 30_000,
            priceOn: (day) => (day >= from && day < to ? discounted : list),
          }),
        );
        this.promotions.push({
          promotionId: promoId(),
          code: promoCode(),
          accountId: slot.account.id,
          serviceNames: [CLOUDFRONT.name],
          regionIds: [],
          discountPercent: "20",
          creditAmount: null,
          currency: null,
          validFrom: iso(from),
          validTo: iso(to),
        });
      }
      // A credit promotion fully spent by Credit rows.
      const slot2 = this.promoSlot(rng, months);
      if (slot2) {
        this.addStream(
          this.distribution(slot2.account, slot2.start, slot2.start + 5 * DAY, rng, {
            minTenths: 500,
            maxTenths: 5000,
            priceOn: () => list,
          }),
        );
        const id = promoId();
        const code = promoCode();
        const credit = new Dec(50).times(this.ctx.priceScale);
        const first = credit.times("0.6");
        this.promotions.push({
          promotionId: id,
          code,
          accountId: slot2.account.id,
          serviceNames: [CLOUDFRONT.name],
          regionIds: ["global"],
          discountPercent: null,
          creditAmount: this.money(credit),
          currency: this.opts.currency,
          validFrom: iso(slot2.start),
          validTo: iso(slot2.start + 5 * DAY),
        });
        for (const [k, amount] of [first, credit.minus(first)].entries()) {
          this.addExtra(
            this.creditRow(
              slot2.account,
              slot2.month,
              slot2.start + (k + 1) * DAY,
              amount,
              CLOUDFRONT,
              `AWS promotional credit ${code}`,
              id,
            ),
          );
        }
      }
    }
    // Expired before the data starts, for any service: applies to nothing.
    this.promotions.push({
      promotionId: promoId(),
      code: promoCode(),
      accountId: this.account(rng).id,
      serviceNames: [],
      regionIds: [],
      discountPercent: "30",
      creditAmount: null,
      currency: null,
      validFrom: iso(cal.dataStart - 90 * DAY),
      validTo: iso(cal.dataStart),
    });
    // A credit for a service the organisation never uses: unspent, but nothing to apply it to.
    this.promotions.push({
      promotionId: promoId(),
      code: promoCode(),
      accountId: this.account(rng).id,
      serviceNames: [SAGEMAKER.name],
      regionIds: [],
      discountPercent: null,
      creditAmount: this.money(new Dec(100).times(this.ctx.priceScale)),
      currency: this.opts.currency,
      validFrom: iso(cal.dataStart),
      validTo: iso(cal.dataEnd),
    });
  }

  // ---- compute fill --------------------------------------------------------------------------

  #schedule(rng: Rng): Interval[] {
    const cal = this.cal;
    const s = cal.dataStart;
    const e = cal.dataEnd;
    const span = (e - s) / SECOND;
    const pattern = rng.float();
    if (pattern < 0.6) {
      const start = rng.chance(0.7)
        ? s - rng.int(1, 90) * DAY - rng.int(0, 86_399) * SECOND
        : s + rng.int(0, span - 3600) * SECOND;
      const end = rng.chance(0.8) ? e + rng.int(1, 30) * DAY : start + rng.int(3600, span) * SECOND;
      return [{ start, end }];
    }
    if (pattern < 0.85) {
      const out: Interval[] = [];
      const from = rng.chance(0.8) ? s : s + rng.int(0, Math.floor((e - s) / DAY) - 1) * DAY;
      for (let d = from; d < e; d += DAY) {
        const dow = new Date(d).getUTCDay();
        if (dow === 0 || dow === 6) continue;
        const start = d + 8 * HOUR + rng.int(0, 45) * MINUTE + rng.int(0, 59) * SECOND;
        const end = d + 18 * HOUR + rng.int(0, 150) * MINUTE + rng.int(0, 59) * SECOND;
        out.push({ start, end });
      }
      return out;
    }
    const out: Interval[] = [];
    for (let k = rng.int(3, 25); k > 0; k--) {
      const start = s + rng.int(0, span - 1) * SECOND;
      out.push({ start, end: Math.min(e + DAY, start + rng.int(20 * 60, 30 * 3600) * SECOND) });
    }
    return mergeIntervals(out);
  }

  /** Usage records as a monitoring log has them: runs, sometimes split into overlapping pieces. */
  #usageRecords(rng: Rng, raw: readonly Interval[]): Interval[] {
    const out: Interval[] = [];
    for (const iv of raw) {
      if (iv.end - iv.start > 6 * HOUR && rng.chance(0.3)) {
        const cut =
          iv.start + Math.floor(((iv.end - iv.start) * (0.2 + rng.float() * 0.6)) / SECOND) * SECOND;
        out.push({ start: iv.start, end: cut + rng.int(0, 900) * SECOND }, { start: cut, end: iv.end });
      } else out.push(iv);
    }
    return out;
  }

  #bulkCompute(rng: Rng): MeteredStream {
    const account = this.account(rng);
    const reg = REGIONS[rng.weightedIndex([30, 10, 15, 15, 8, 7, 6, 4, 3, 2])]!;
    if (rng.chance(0.15)) return this.rds(account, reg.id, rng.pick(RDS_TYPES), this.#schedule(rng), rng);
    const granularity = rng.chance(0.55) ? HOUR : DAY;
    const covered = rng.chance(0.15);
    const raw = this.#schedule(rng);
    return this.ec2(
      account,
      reg.id,
      rng.pick(EC2_TYPES),
      granularity,
      covered ? this.#usageRecords(rng, raw) : raw,
      rng,
      {
        covered,
      },
    );
  }

  /** An always-on hourly instance with exactly `hours` rows (1 ≤ hours ≤ the data's hours). */
  #exactHourly(rng: Rng, hours: number): MeteredStream {
    const cal = this.cal;
    const first = cal.dataStart + rng.int(0, cal.totalHours - hours) * HOUR;
    const start = first + rng.int(0, 29) * MINUTE;
    const end = first + (hours - 1) * HOUR + rng.int(31, 60) * MINUTE;
    const reg = REGIONS[rng.weightedIndex([30, 10, 15, 15, 8, 7, 6, 4, 3, 2])]!;
    return this.ec2(this.account(rng), reg.id, rng.pick(EC2_TYPES), HOUR, [{ start, end }], rng);
  }

  #fillCompute(): void {
    const rng = this.rng.fork("compute");
    while (this.remaining() > 0) {
      const left = this.remaining();
      let s = this.#bulkCompute(rng);
      if (s.rowCount === 0) continue;
      if (s.rowCount > left) s = this.#exactHourly(rng, Math.min(left, this.cal.totalHours));
      this.addStream(s);
      if (s.spec.description.serviceName === EC2.name && s.spec.description.resourceId.startsWith("i-")) {
        const list = this.#bulkInstances.get(s.spec.description.regionId) ?? [];
        if (list.length < 20) list.push(s.spec.description.resourceId);
        this.#bulkInstances.set(s.spec.description.regionId, list);
      }
    }
  }

  // ---- incidents -----------------------------------------------------------------------------

  /**
   * Clean incidents: on services with an SLA entry (whatever the shipped tables hold), one short
   * incident per (service, region, month), well inside what keeps a 28-day month at its threshold;
   * on services without one, hours-long outages that earn nothing. Planted slots get none, so
   * their availability is exactly what the planted incidents make it.
   */
  #cleanIncidents(): void {
    const rng = this.rng.fork("incidents");
    const cal = this.cal;
    const m = this.opts.months;
    const taken = new Set(this.slaSlots);
    const services = [EC2, S3, RDS, CLOUDFRONT];
    const count = Math.min(40, 6 + 4 * m);
    for (let i = 0; i < count; i++) {
      const service = services[rng.weightedIndex([40, 25, 20, 15])]!;
      const month = rng.int(0, m - 1);
      const from = cal.start(month);
      const len = cal.end(month) - from;
      const regionId =
        service === CLOUDFRONT
          ? "global"
          : service === S3
            ? rng.pick(BULK_S3_REGIONS).id
            : rng.pick(REGIONS).id;
      const limit = cleanDowntimeLimit(service.name);
      let duration: number;
      if (limit === null) duration = rng.int(10 * 60, 6 * 3600) * SECOND;
      else {
        const key = `${service.name}|${regionId}|${month}`;
        if (taken.has(key) || limit < 10 * SECOND) continue;
        taken.add(key);
        duration = rng.int(Math.max(1, Math.floor(limit / SECOND / 10)), Math.floor(limit / SECOND)) * SECOND;
      }
      const start = from + rng.int(0, Math.floor((len - duration) / SECOND) - 1) * SECOND;
      const named =
        service === EC2 && rng.chance(0.5) ? (this.#bulkInstances.get(regionId) ?? []).slice(0, 2) : [];
      this.addIncident(service.name, regionId, named, start, start + duration);
    }
    // One S3 incident across a month boundary, up to ten minutes on each side.
    const s3Limit = cleanDowntimeLimit(S3.name);
    if (m >= 2 && (s3Limit === null || s3Limit >= 2 * MINUTE)) {
      const half =
        s3Limit === null ? 10 * MINUTE : Math.min(10 * MINUTE, Math.floor(s3Limit / 2 / SECOND) * SECOND);
      const month = rng.int(0, m - 2);
      const regionId = rng.pick(BULK_S3_REGIONS).id;
      const a = `${S3.name}|${regionId}|${month}`;
      const b = `${S3.name}|${regionId}|${month + 1}`;
      if (!taken.has(a) && !taken.has(b)) {
        taken.add(a);
        taken.add(b);
        this.addIncident(S3.name, regionId, [], cal.end(month) - half, cal.end(month) + half);
      }
    }
    this.#assertNoUnplannedBreach();
  }

  /** Guard: every (service, region, month) below its SLA must be a planted slot. */
  #assertNoUnplannedBreach(): void {
    const cal = this.cal;
    const groups = new Map<string, Interval[]>();
    for (const inc of this.incidents) {
      for (let month = 0; month < this.opts.months; month++) {
        if (inc.start >= cal.end(month) || inc.end <= cal.start(month)) continue;
        const key = `${inc.serviceName}|${inc.regionId}|${month}`;
        const list = groups.get(key) ?? [];
        list.push({ start: inc.start, end: inc.end });
        groups.set(key, list);
      }
    }
    for (const [key, list] of groups) {
      const [service, , monthText] = key.split("|") as [string, string, string];
      const month = Number(monthText);
      const down = coveredWithin(mergeIntervals(list), cal.start(month), cal.end(month));
      const breached = slaCreditPercent(service, down, cal.end(month) - cal.start(month)) !== null;
      if (breached !== this.slaSlots.has(key)) throw new Error(`incident plan breaks the SLA plan at ${key}`);
    }
  }

  usageRecords(): UsageRecord[] {
    return this.usage
      .slice()
      .sort(
        (a, b) =>
          a.start - b.start ||
          (a.resourceId < b.resourceId ? -1 : a.resourceId > b.resourceId ? 1 : 0) ||
          a.end - b.end,
      )
      .map((u) => ({
        resourceId: u.resourceId,
        start: iso(u.start),
        end: iso(u.end),
        quantity: null,
        unit: null,
      }));
  }
}
