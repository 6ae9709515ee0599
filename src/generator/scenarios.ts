/**
 * Planted situations, one finding kind each, every one on its own resources (and SLA slots,
 * promotion windows and subscriptions), so that no charge is claimed by two findings and the
 * per-charge cap never bites. Each scenario computes its own truth from the rows the writer
 * tracked for it, by the rules of docs/audit-rules.md.
 */
import { Dec } from "../money/index.js";
import { addMonths, ceilTo, DAY, floorTo, HOUR, iso, MINUTE, SECOND } from "./calendar.js";
import {
  BULK_S3_REGIONS,
  CLOUDFRONT,
  EC2,
  PLANTED_EC2_TYPES,
  REGIONS,
  S3,
  S3_OUTAGE_REGIONS,
} from "./catalog.js";
import type { ChargeSink } from "./charge-sink.js";
import { coveredWithin, type Interval, mergeIntervals } from "./model.js";
import type { Planner } from "./plan.js";
import type { Rng } from "./prng.js";
import { BucketStream, type MeteredStream } from "./streams.js";
import {
  beyondUsageDrafts,
  cancellationDrafts,
  creditPromotionDrafts,
  type DraftFinding,
  duplicateDrafts,
  FINDING_KINDS,
  type FindingKind,
  type PromotionScope,
  percentPromotionDrafts,
  rateDrafts,
  slaDrafts,
  unusedCommitmentDrafts,
} from "./truth.js";

export interface Scenario {
  kind: FindingKind;
  variant: string;
  finalize(sink: ChargeSink, currency: string): DraftFinding[];
}

type Builder = (p: Planner, rng: Rng, key: string) => Scenario | null;

/** No scenario takes more rows than this; planting stops when the next one might not fit. */
export const MAX_SCENARIO_ROWS = 80;

const bulkRegion = (rng: Rng) => rng.pick(BULK_S3_REGIONS).id;

function recentMonths(p: Planner): number[] {
  const m = p.opts.months;
  const out: number[] = [];
  for (let i = Math.max(0, m - 3); i < m; i++) out.push(i);
  return out;
}

/** An instant inside hour `h` of day `d` of month `m`, with minutes and seconds. */
function at(p: Planner, m: number, d: number, h: number, rng: Rng, minMinute = 1, maxMinute = 59): number {
  return (
    p.cal.start(m) + d * DAY + h * HOUR + rng.int(minMinute, maxMinute) * MINUTE + rng.int(0, 59) * SECOND
  );
}

// ---------------------------------------------------------------------------------------------
// 1. duplicate_charge
// ---------------------------------------------------------------------------------------------

const dupHourly: Builder = (p, rng, key) => {
  const m = p.recentMonth(rng);
  const start = at(p, m, rng.int(0, p.cal.days(m) - 2), rng.int(0, 2), rng);
  const end = start + rng.int(6, 20) * HOUR + rng.int(0, 59) * MINUTE;
  const first = floorTo(start, HOUR);
  const hours = (ceilTo(end, HOUR) - first) / HOUR;
  const copies = new Map([[first + rng.int(1, hours - 1) * HOUR, 1]]);
  const t = rng.pick(PLANTED_EC2_TYPES);
  p.addStream(p.ec2(p.account(rng), bulkRegion(rng), t, HOUR, [{ start, end }], rng, { track: key, copies }));
  return {
    kind: "duplicate_charge",
    variant: "hourly instance row billed twice",
    finalize: dupFinalize(key),
  };
};

const dupRequestsThrice: Builder = (p, rng, key) => {
  const m = p.recentMonth(rng);
  const from = p.cal.start(m) + rng.int(0, p.cal.days(m) - 7) * DAY;
  const probe = p.bucket(p.account(rng), bulkRegion(rng), from, from + 6 * DAY, rng);
  const days = probe.requestDays(m);
  if (days.length === 0) return null;
  const copies = new Map([[rng.pick(days), 2]]);
  p.addStream(new BucketStream(p.ctx, { ...probe.spec, track: key, copies }));
  return {
    kind: "duplicate_charge",
    variant: "S3 requests row billed three times",
    finalize: dupFinalize(key),
  };
};

const dupSubscription: Builder = (p, rng, key) => {
  const months = p.opts.months;
  const periods = p.monthlyPeriods(rng.int(2, 28), 0, months - 1);
  const m = p.recentMonth(rng);
  const copies = new Map([[periods[m]!.start, 1]]);
  const s = p.workspace(
    p.account(rng),
    rng,
    periods,
    {
      startedAt: iso(addMonths(periods[0]!.start, -rng.int(2, 12))),
      renewsAt: iso(periods[periods.length - 1]!.end),
      autoRenew: true,
      cancelledAt: null,
    },
    { track: key, copies },
  );
  p.addStream(s);
  return {
    kind: "duplicate_charge",
    variant: "monthly subscription fee billed twice",
    finalize: dupFinalize(key),
  };
};

/** A daily row billed twice, then corrected in the next billing period (fully or in part). */
function dupCorrected(full: boolean): Builder {
  return (p, rng, key) => {
    const m = p.correctableMonth(rng);
    if (m === null) return null;
    const d0 = p.cal.start(m) + rng.int(0, p.cal.days(m) - 5) * DAY;
    const raw = [
      {
        start: d0 + rng.int(1, 6) * HOUR + rng.int(0, 59) * MINUTE,
        end: d0 + 4 * DAY - rng.int(1, 6) * HOUR,
      },
    ];
    const day = d0 + rng.int(1, 2) * DAY;
    const t = rng.pick(PLANTED_EC2_TYPES);
    const s = p.ec2(p.account(rng), bulkRegion(rng), t, DAY, raw, rng, {
      track: key,
      copies: new Map([[day, 1]]),
    });
    p.addStream(s);
    const hours = full ? new Dec(24) : new Dec(rng.int(2, 12));
    const reason = full ? "duplicate line item reversed" : "partial reversal of a duplicate line item";
    p.addExtra(p.correction(s.rowAt(m, day, 24), m + 1, hours, reason), key);
    return {
      kind: "duplicate_charge",
      variant: full
        ? "duplicate already corrected by the provider (no finding)"
        : "duplicate partly corrected",
      finalize: dupFinalize(key),
    };
  };
}

function dupFinalize(key: string) {
  return (sink: ChargeSink, currency: string) => duplicateDrafts(sink.tracked(key), currency);
}

// ---------------------------------------------------------------------------------------------
// 2. billed_beyond_usage
// ---------------------------------------------------------------------------------------------

function beyondFinalize(key: string, stream: MeteredStream) {
  return (sink: ChargeSink, currency: string) =>
    beyondUsageDrafts(sink.tracked(key), stream.usageRecords, currency);
}

/** An hour billed after the instance stopped (no usage at all in it). */
const beyondPhantomHour: Builder = (p, rng, key) => {
  const m = p.recentMonth(rng);
  const start = at(p, m, rng.int(0, p.cal.days(m) - 2), rng.int(0, 8), rng);
  const end = start + rng.int(4, 12) * HOUR + rng.int(1, 58) * MINUTE;
  const raw = [
    { start, end },
    { start: start + 20 * MINUTE, end: end - 15 * MINUTE },
  ];
  const phantom = new Map([[ceilTo(end, HOUR), 1]]);
  const t = rng.pick(PLANTED_EC2_TYPES);
  const s = p.ec2(p.account(rng), bulkRegion(rng), t, HOUR, raw, rng, {
    covered: true,
    track: key,
    phantomPeriods: phantom,
  });
  p.addStream(s);
  return {
    kind: "billed_beyond_usage",
    variant: "hour billed after the instance stopped",
    finalize: beyondFinalize(key, s),
  };
};

/** Daily rows; usage crosses day edges; one day billed above its rounded-up run time. */
const beyondDayEdges: Builder = (p, rng, key) => {
  const m = p.recentMonth(rng);
  const d0 = rng.int(1, p.cal.days(m) - 6);
  const day = (k: number) => p.cal.start(m) + (d0 + k) * DAY;
  const raw: Interval[] = [
    {
      start: day(0) + rng.int(5, 9) * HOUR + rng.int(1, 59) * MINUTE,
      end: day(1) + rng.int(1, 3) * HOUR + rng.int(1, 59) * MINUTE,
    },
    {
      start: day(1) + rng.int(8, 10) * HOUR + rng.int(0, 59) * MINUTE,
      end: day(1) + rng.int(20, 22) * HOUR + rng.int(0, 50) * MINUTE,
    },
    {
      start: day(2) - rng.int(5, 40) * MINUTE - rng.int(0, 59) * SECOND,
      end: day(4) + rng.int(6, 14) * HOUR + rng.int(1, 59) * MINUTE,
    },
  ];
  const actual = Math.ceil(coveredWithin(mergeIntervals(raw), day(1), day(2)) / HOUR);
  const billed = new Map([[day(1), actual + rng.int(2, 24 - actual)]]);
  const t = rng.pick(PLANTED_EC2_TYPES);
  const s = p.ec2(p.account(rng), bulkRegion(rng), t, DAY, raw, rng, {
    covered: true,
    track: key,
    billedHours: billed,
  });
  p.addStream(s);
  return {
    kind: "billed_beyond_usage",
    variant: "daily row above usage crossing day edges",
    finalize: beyondFinalize(key, s),
  };
};

/** Overlapping usage records: the union, not the sum, is what ran. */
const beyondOverlap: Builder = (p, rng, key) => {
  const m = p.recentMonth(rng);
  const base =
    p.cal.start(m) + rng.int(0, p.cal.days(m) - 3) * DAY + rng.int(0, 8) * HOUR + rng.int(0, 59) * SECOND;
  const raw: Interval[] = [
    { start: base + 2 * HOUR, end: base + 10 * HOUR + 30 * MINUTE },
    { start: base + 8 * HOUR, end: base + 12 * HOUR + 45 * MINUTE },
  ];
  const day = floorTo(base, DAY);
  raw.push({ start: day + DAY + HOUR, end: day + DAY + 20 * HOUR + rng.int(0, 59) * MINUTE });
  const union = Math.ceil(coveredWithin(mergeIntervals(raw), day, day + DAY) / HOUR);
  const sum = Math.ceil(
    (coveredWithin([raw[0]!], day, day + DAY) + coveredWithin([raw[1]!], day, day + DAY)) / HOUR,
  );
  // Billed below the sum of the records but above their union: only a union-based audit sees it.
  const billed = new Map([[day, Math.max(union + 1, sum - 1)]]);
  const t = rng.pick(PLANTED_EC2_TYPES);
  const s = p.ec2(p.account(rng), bulkRegion(rng), t, DAY, raw, rng, {
    covered: true,
    track: key,
    billedHours: billed,
  });
  p.addStream(s);
  return {
    kind: "billed_beyond_usage",
    variant: "overlapping usage records",
    finalize: beyondFinalize(key, s),
  };
};

/** One hourly row billed for two hours. */
const beyondDoubleHour: Builder = (p, rng, key) => {
  const m = p.recentMonth(rng);
  const start = at(p, m, rng.int(0, p.cal.days(m) - 2), rng.int(0, 8), rng);
  const end = start + rng.int(5, 12) * HOUR + rng.int(1, 58) * MINUTE;
  const hour = floorTo(start, HOUR) + rng.int(1, 3) * HOUR;
  const t = rng.pick(PLANTED_EC2_TYPES);
  const s = p.ec2(p.account(rng), bulkRegion(rng), t, HOUR, [{ start, end }], rng, {
    covered: true,
    track: key,
    billedHours: new Map([[hour, 2]]),
  });
  p.addStream(s);
  return {
    kind: "billed_beyond_usage",
    variant: "hourly row billed for two hours",
    finalize: beyondFinalize(key, s),
  };
};

/** A day billed 24 hours for 20-odd hours of run time, two hours of which a later correction returned. */
const beyondPartlyCorrected: Builder = (p, rng, key) => {
  const m = p.correctableMonth(rng);
  if (m === null) return null;
  const day = p.cal.start(m) + rng.int(0, p.cal.days(m) - 2) * DAY;
  const raw: Interval[] = [
    { start: day - 3 * HOUR, end: day + 20 * HOUR + rng.int(1, 50) * MINUTE },
    { start: day + DAY + 2 * HOUR, end: day + DAY + 9 * HOUR + rng.int(0, 59) * MINUTE },
  ];
  const t = rng.pick(PLANTED_EC2_TYPES);
  const s = p.ec2(p.account(rng), bulkRegion(rng), t, DAY, raw, rng, {
    covered: true,
    track: key,
    billedHours: new Map([[day, 24]]),
  });
  p.addStream(s);
  p.addExtra(p.correction(s.rowAt(m, day, 24), m + 1, new Dec(2), "usage metering adjustment"), key);
  return {
    kind: "billed_beyond_usage",
    variant: "partly corrected by the provider",
    finalize: beyondFinalize(key, s),
  };
};

// ---------------------------------------------------------------------------------------------
// 3. charged_after_cancellation
// ---------------------------------------------------------------------------------------------

type CancelShape = "before" | "at-renewal" | "auto-renew-off";

function cancelledWorkspace(shape: CancelShape): Builder {
  return (p, rng, key) => {
    const m = p.recentMonth(rng);
    const periods = p.monthlyPeriods(rng.int(2, 28), 0, m);
    const renewal = periods[m]!.start;
    const cancelledAt =
      shape === "before"
        ? renewal - rng.int(1, 10) * DAY - rng.int(0, 86_399) * SECOND
        : shape === "at-renewal"
          ? renewal
          : null;
    p.addStream(
      p.workspace(
        p.account(rng),
        rng,
        periods,
        {
          startedAt: iso(addMonths(periods[0]!.start, -rng.int(2, 14))),
          renewsAt: iso(renewal),
          autoRenew: false,
          cancelledAt: cancelledAt === null ? null : iso(cancelledAt),
        },
        { track: key },
      ),
    );
    const terms = { cancelledAt, renewsAt: renewal, autoRenew: false };
    return {
      kind: "charged_after_cancellation",
      variant: `WorkSpace renewed ${shape === "before" ? "after its cancellation" : shape === "at-renewal" ? "at the cancellation instant" : "with auto-renew off"}`,
      finalize: (sink, currency) => cancellationDrafts(sink.tracked(key), terms, currency),
    };
  };
}

/** AWS Support has no resource: matched by account and service name. */
const cancelledSupport: Builder = (p, rng, key) => {
  let account = p.account(rng);
  for (let i = 0; p.supportAccounts.has(account.index); i++) {
    if (i > 50) return null;
    account = p.account(rng);
  }
  const m = p.recentMonth(rng);
  const periods: Interval[] = [];
  for (let i = 0; i <= m; i++) periods.push({ start: p.cal.start(i), end: p.cal.end(i) });
  const renewal = p.cal.start(m);
  const cancelledAt = renewal - rng.int(1, 12) * DAY - rng.int(0, 86_399) * SECOND;
  p.addStream(
    p.support(
      account,
      rng,
      periods,
      {
        startedAt: iso(addMonths(p.cal.dataStart, -rng.int(3, 24))),
        renewsAt: iso(renewal),
        autoRenew: false,
        cancelledAt: iso(cancelledAt),
      },
      key,
    ),
  );
  const terms = { cancelledAt, renewsAt: renewal, autoRenew: false };
  return {
    kind: "charged_after_cancellation",
    variant: "support plan charged after cancellation (no resource)",
    finalize: (sink, currency) => cancellationDrafts(sink.tracked(key), terms, currency),
  };
};

const domainNotRenewing: Builder = (p, rng, key) => {
  const m = p.recentMonth(rng);
  const renewal = p.cal.start(m) + rng.int(0, 27) * DAY;
  p.addStream(
    p.domain(
      p.account(rng),
      rng,
      renewal,
      {
        startedAt: iso(addMonths(renewal, -12 * rng.int(1, 5))),
        renewsAt: iso(renewal),
        autoRenew: false,
        cancelledAt: null,
      },
      key,
    ),
  );
  const terms = { cancelledAt: null, renewsAt: renewal, autoRenew: false };
  return {
    kind: "charged_after_cancellation",
    variant: "yearly domain renewed with auto-renew off",
    finalize: (sink, currency) => cancellationDrafts(sink.tracked(key), terms, currency),
  };
};

// ---------------------------------------------------------------------------------------------
// 4. sla_credit
// ---------------------------------------------------------------------------------------------

function slaFinalize(p: Planner, key: string, serviceName: string, regionId: string, month: number) {
  return (sink: ChargeSink, currency: string) => {
    const incidents = p.incidents.filter((i) => i.serviceName === serviceName && i.regionId === regionId);
    return slaDrafts(
      sink.tracked(key),
      serviceName,
      regionId,
      p.cal.start(month),
      p.cal.end(month),
      incidents,
      currency,
    );
  };
}

type Ec2Tier = "10" | "30" | "100";

/** EC2 incidents naming instances (overlapping for the 10 % tier); instances billed daily. */
function slaEc2(tier: Ec2Tier): Builder {
  return (p, rng, key) => {
    const slot = p.slaSlot(
      rng,
      EC2,
      REGIONS.map((r) => r.id),
    );
    if (!slot) return null;
    const { regionId, month } = slot;
    const a = p.account(rng);
    const b = p.otherAccount(rng, a);
    const d0 = p.cal.start(month) + rng.int(0, p.cal.days(month) - 10) * DAY;
    const owners = tier === "10" ? [a, b, a] : tier === "30" ? [a, a] : [b];
    const ids = owners.map((owner) => {
      const s = p.ec2(
        owner,
        regionId,
        rng.pick(PLANTED_EC2_TYPES),
        DAY,
        [{ start: d0, end: d0 + 8 * DAY }],
        rng,
        {
          track: key,
        },
      );
      p.addStream(s);
      return s.spec.description.resourceId;
    });
    const t0 = d0 + 2 * DAY + rng.int(0, 10) * HOUR + rng.int(0, 59) * MINUTE + rng.int(0, 59) * SECOND;
    if (tier === "10") {
      p.addIncident(EC2.name, regionId, [ids[0]!], t0, t0 + 90 * MINUTE);
      p.addIncident(EC2.name, regionId, [ids[1]!, ids[2]!], t0 + 60 * MINUTE, t0 + 135 * MINUTE);
    } else if (tier === "30") {
      p.addIncident(EC2.name, regionId, [ids[0]!], t0, t0 + 7 * HOUR);
      p.addIncident(EC2.name, regionId, [ids[1]!], t0 + 5 * HOUR, t0 + 10 * HOUR);
    } else {
      p.addIncident(EC2.name, regionId, [ids[0]!], t0, t0 + 40 * HOUR);
    }
    return {
      kind: "sla_credit",
      variant: `EC2 instances named by incidents, ${tier} % tier`,
      finalize: slaFinalize(p, key, EC2.name, regionId, month),
    };
  };
}

/** A region-wide S3 outage (some incident names no bucket): all S3 charges of the region and month. */
function slaS3RegionWide(tier: "10" | "25"): Builder {
  return (p, rng, key) => {
    const slot = p.slaSlot(rng, S3, S3_OUTAGE_REGIONS);
    if (!slot) return null;
    const { regionId, month } = slot;
    const a = p.account(rng);
    const b = p.otherAccount(rng, a);
    const d0 = p.cal.start(month) + rng.int(0, p.cal.days(month) - 8) * DAY;
    const buckets = [a, b].map((owner) => {
      const s = p.bucket(owner, regionId, d0, d0 + 6 * DAY, rng, { track: key });
      p.addStream(s);
      return s.spec.bucket;
    });
    const t0 = d0 + DAY + rng.int(0, 12) * HOUR + rng.int(0, 59) * MINUTE + rng.int(0, 59) * SECOND;
    if (tier === "10") {
      p.addIncident(S3.name, regionId, [buckets[0]!], t0, t0 + 40 * MINUTE);
      p.addIncident(S3.name, regionId, [], t0 + 25 * MINUTE, t0 + 55 * MINUTE);
    } else {
      p.addIncident(S3.name, regionId, [], t0, t0 + 5 * HOUR);
      p.addIncident(S3.name, regionId, [], t0 + 4 * HOUR, t0 + 9 * HOUR);
    }
    return {
      kind: "sla_credit",
      variant: `S3 region-wide outage, ${tier} % tier`,
      finalize: slaFinalize(p, key, S3.name, regionId, month),
    };
  };
}

// ---------------------------------------------------------------------------------------------
// 5. promotion_not_applied
// ---------------------------------------------------------------------------------------------

function newPromotionIds(p: Planner, rng: Rng): { id: string; code: string } {
  return {
    id: p.unique(() => `promo-${rng.hex(10)}`),
    code: p.unique(() => `AWS-${rng.chars(8, "ABCDEFGHJKLMNPQRSTUVWXYZ23456789")}`),
  };
}

/** A percentage promotion valid from noon on one day to midnight six days later, billed at list. */
const promoPercentPartial: Builder = (p, rng, key) => {
  const slot = p.promoSlot(rng, recentMonths(p));
  if (!slot) return null;
  const list = p.cloudfrontList();
  p.addStream(
    p.distribution(slot.account, slot.start, slot.start + 9 * DAY, rng, {
      minTenths: 5_000,
      maxTenths: 30_000,
      priceOn: () => list,
      track: key,
    }),
  );
  const percent = rng.pick(["10", "15", "20", "25"]);
  const { id, code } = newPromotionIds(p, rng);
  const validFrom = slot.start + DAY + 12 * HOUR;
  const validTo = slot.start + 7 * DAY;
  p.promotions.push({
    promotionId: id,
    code,
    accountId: slot.account.id,
    serviceNames: [CLOUDFRONT.name],
    regionIds: [],
    discountPercent: percent,
    creditAmount: null,
    currency: null,
    validFrom: iso(validFrom),
    validTo: iso(validTo),
  });
  const scope: PromotionScope = {
    accountId: slot.account.id,
    serviceNames: [CLOUDFRONT.name],
    regionIds: [],
    validFrom,
    validTo,
  };
  return {
    kind: "promotion_not_applied",
    variant: `${percent} % promotion for part of a month billed at list`,
    finalize: (sink, currency) => percentPromotionDrafts(sink.tracked(key), scope, percent, currency),
  };
};

/** A credit promotion partly spent; the finding is the unspent part or the charges' total, whichever is smaller. */
function promoCredit(smaller: "unspent" | "charges"): Builder {
  return (p, rng, key) => {
    const slot = p.promoSlot(rng, recentMonths(p));
    if (!slot) return null;
    const list = p.cloudfrontList();
    const days = smaller === "unspent" ? 7 : 6;
    const s = p.distribution(slot.account, slot.start, slot.start + days * DAY, rng, {
      minTenths: smaller === "unspent" ? 20_000 : 3_000,
      maxTenths: smaller === "unspent" ? 40_000 : 8_000,
      priceOn: () => list,
      track: key,
    });
    p.addStream(s);
    let total = new Dec(0);
    for (let d = slot.start; d < slot.start + days * DAY; d += DAY)
      total = total.plus(s.quantity(d).times(list));
    const scale = p.ctx.priceScale;
    const places = p.ctx.minorUnits;
    let credit: Dec;
    let spent: Dec[];
    if (smaller === "unspent") {
      credit = total.dividedBy(50).ceil().times(50).plus(50);
      const unspent = total.times("0.5").toDecimalPlaces(places, Dec.ROUND_DOWN);
      const used = credit.minus(unspent);
      const first = used.times("0.6").toDecimalPlaces(places, Dec.ROUND_DOWN);
      spent = [first, used.minus(first)];
    } else {
      credit = new Dec(500).times(scale);
      spent = [new Dec("37.5").times(scale).toDecimalPlaces(places, Dec.ROUND_DOWN)];
    }
    const { id, code } = newPromotionIds(p, rng);
    const validFrom = slot.start;
    const validTo = slot.start + days * DAY;
    p.promotions.push({
      promotionId: id,
      code,
      accountId: slot.account.id,
      serviceNames: [CLOUDFRONT.name],
      regionIds: ["global"],
      discountPercent: null,
      creditAmount: p.money(credit),
      currency: p.opts.currency,
      validFrom: iso(validFrom),
      validTo: iso(validTo),
    });
    spent.forEach((amount, k) => {
      // One credit names the promotion in x_PromotionId, the other only by its code in the description.
      const byId = k === 0;
      p.addExtra(
        p.creditRow(
          slot.account,
          slot.month,
          slot.start + (2 * k + 1) * DAY,
          amount,
          CLOUDFRONT,
          byId && smaller === "unspent" ? "AWS promotional credit" : `AWS promotional credit ${code}`,
          byId ? id : "",
        ),
        key,
      );
    });
    const scope: PromotionScope = {
      accountId: slot.account.id,
      serviceNames: [CLOUDFRONT.name],
      regionIds: ["global"],
      validFrom,
      validTo,
    };
    const creditAmount = p.money(credit);
    return {
      kind: "promotion_not_applied",
      variant: `credit promotion partly unspent (limited by the ${smaller})`,
      finalize: (sink, currency) =>
        creditPromotionDrafts(sink.tracked(key), scope, id, code, creditAmount, currency),
    };
  };
}

// ---------------------------------------------------------------------------------------------
// 6. rate_above_contract
// ---------------------------------------------------------------------------------------------

function rateFinalize(key: string) {
  return (sink: ChargeSink, currency: string) => rateDrafts(sink.tracked(key), currency);
}

const rateDaily: Builder = (p, rng, key) => {
  const m = p.recentMonth(rng);
  const d0 = p.cal.start(m) + rng.int(0, p.cal.days(m) - 6) * DAY;
  const raw = [
    { start: d0 + rng.int(0, 5) * HOUR + rng.int(0, 59) * MINUTE, end: d0 + 5 * DAY - rng.int(1, 5) * HOUR },
  ];
  const t = rng.pick(PLANTED_EC2_TYPES);
  const regionId = bulkRegion(rng);
  const list = p.ec2Pricing(t, regionId).list;
  const prices = new Map<number, Dec>([[d0 + rng.int(1, 3) * DAY, list]]);
  if (rng.chance(0.5)) prices.set(d0 + 4 * DAY, list);
  p.addStream(p.ec2(p.account(rng), regionId, t, DAY, raw, rng, { track: key, billedUnitPrice: prices }));
  return {
    kind: "rate_above_contract",
    variant: "daily instance rows billed at list",
    finalize: rateFinalize(key),
  };
};

const rateHourly: Builder = (p, rng, key) => {
  const m = p.recentMonth(rng);
  const start = at(p, m, rng.int(0, p.cal.days(m) - 2), rng.int(0, 8), rng);
  const end = start + rng.int(8, 12) * HOUR + rng.int(1, 58) * MINUTE;
  const t = rng.pick(PLANTED_EC2_TYPES);
  const regionId = bulkRegion(rng);
  const p0 = p.ec2Pricing(t, regionId);
  // A price between contract and list: a rate increase the contract does not allow.
  const raised = p0.contracted.plus(p0.list).dividedBy(2);
  const first = floorTo(start, HOUR);
  const prices = new Map<number, Dec>([
    [first + 2 * HOUR, raised],
    [first + 3 * HOUR, raised],
  ]);
  p.addStream(
    p.ec2(p.account(rng), regionId, t, HOUR, [{ start, end }], rng, { track: key, billedUnitPrice: prices }),
  );
  return {
    kind: "rate_above_contract",
    variant: "hourly rows billed above contract",
    finalize: rateFinalize(key),
  };
};

const rateStorage: Builder = (p, rng, key) => {
  const m = p.recentMonth(rng);
  const from = p.cal.start(m) + rng.int(0, p.cal.days(m) - 6) * DAY;
  p.addStream(
    p.bucket(p.account(rng), bulkRegion(rng), from, from + 5 * DAY, rng, {
      track: key,
      storageAtList: new Set([m]),
    }),
  );
  return { kind: "rate_above_contract", variant: "S3 storage billed at list", finalize: rateFinalize(key) };
};

// ---------------------------------------------------------------------------------------------
// 7. unused_prepaid_credit
// ---------------------------------------------------------------------------------------------

/** The month of planted commitments: over before the as-of date, well inside the 90-day window. */
function commitmentMonth(p: Planner): number {
  return p.opts.months >= 2 ? p.opts.months - 2 : 0;
}

const unusedAfterStop: Builder = (p, rng, key) => {
  const m = commitmentMonth(p);
  const start = p.cal.start(m);
  const days = p.cal.days(m);
  const k = rng.int(3, days - 5);
  const lastHours = rng.int(1, 23);
  const s = p.commitment(
    p.account(rng),
    bulkRegion(rng),
    rng.pick(PLANTED_EC2_TYPES),
    start,
    p.cal.end(m),
    "1 month",
    (d) => {
      const i = (d - start) / DAY;
      return i < k ? 24 : i === k ? lastHours : 0;
    },
    rng,
    key,
  );
  p.addStream(s);
  return {
    kind: "unused_prepaid_credit",
    variant: "one-month reservation, instance stopped mid-term",
    finalize: (sink, currency) => unusedCommitmentDrafts(sink.tracked(key), p.asOf, currency),
  };
};

const unusedWeekends: Builder = (p, rng, key) => {
  const m = commitmentMonth(p);
  const start = p.cal.start(m);
  const hours = new Map<number, number>();
  for (let d = start; d < p.cal.end(m); d += DAY) {
    const dow = new Date(d).getUTCDay();
    hours.set(d, dow === 0 || dow === 6 ? 0 : dow === 5 ? rng.int(8, 20) : 24);
  }
  const s = p.commitment(
    p.account(rng),
    bulkRegion(rng),
    rng.pick(PLANTED_EC2_TYPES),
    start,
    p.cal.end(m),
    "1 month",
    (d) => hours.get(d) ?? 0,
    rng,
    key,
  );
  p.addStream(s);
  return {
    kind: "unused_prepaid_credit",
    variant: "one-month reservation idle at weekends",
    finalize: (sink, currency) => unusedCommitmentDrafts(sink.tracked(key), p.asOf, currency),
  };
};

// ---------------------------------------------------------------------------------------------

/** Variants per kind; the first of each works with a single month and always yields a finding. */
const BUILDERS: Record<FindingKind, readonly Builder[]> = {
  duplicate_charge: [dupHourly, dupRequestsThrice, dupSubscription, dupCorrected(false), dupCorrected(true)],
  billed_beyond_usage: [
    beyondPhantomHour,
    beyondDayEdges,
    beyondOverlap,
    beyondDoubleHour,
    beyondPartlyCorrected,
  ],
  charged_after_cancellation: [
    cancelledWorkspace("before"),
    cancelledWorkspace("at-renewal"),
    cancelledWorkspace("auto-renew-off"),
    cancelledSupport,
    domainNotRenewing,
  ],
  sla_credit: [slaEc2("10"), slaS3RegionWide("10"), slaEc2("30"), slaS3RegionWide("25"), slaEc2("100")],
  promotion_not_applied: [promoPercentPartial, promoCredit("unspent"), promoCredit("charges")],
  rate_above_contract: [rateDaily, rateStorage, rateHourly],
  unused_prepaid_credit: [unusedAfterStop, unusedWeekends],
};

/**
 * Plants about `anomalyRate × rows` situations (at least one of each kind from 1,000 rows on),
 * kinds in turn and each kind's variants in turn, while they fit in `budget` rows.
 */
export function plantAnomalies(p: Planner, budget: number): void {
  const rows = p.opts.rows;
  const rate = Math.round(p.opts.anomalyRate * rows);
  const wanted = rows >= 1000 ? Math.max(FINDING_KINDS.length, rate) : rate;
  const rng = p.rng.fork("anomalies");
  for (let n = 0; n < wanted; n++) {
    const forced = rows >= 1000 && n < FINDING_KINDS.length;
    if (!forced && p.used + MAX_SCENARIO_ROWS > budget) break;
    if (p.used + MAX_SCENARIO_ROWS > rows) break;
    const kind = FINDING_KINDS[n % FINDING_KINDS.length]!;
    const variants = BUILDERS[kind];
    const round = Math.floor(n / FINDING_KINDS.length);
    for (let k = 0; k < variants.length; k++) {
      const key = `s${n}`;
      const before = p.used;
      const scenario = variants[(round + k) % variants.length]!(p, rng.fork(key), key);
      if (!scenario) continue;
      if (p.used - before > MAX_SCENARIO_ROWS) throw new Error(`scenario ${scenario.variant} is too large`);
      p.scenarios.push(scenario);
      break;
    }
  }
}
