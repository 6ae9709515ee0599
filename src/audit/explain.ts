/**
 * One plain-English paragraph per finding, written so a customer can paste it into a refund request:
 * what was billed, what the evidence shows, and the amount, with every date marked (UTC) and every
 * time written `HH:MM UTC` (docs/audit-rules.md "Explanations"). One template per kind; pure.
 */
import { Money } from "../money/index.js";
import type { Candidate, ExplainFacts, TimeSpan } from "./candidate.js";
import type { ChargeFact } from "./charge-fact.js";
import type { SettledFinding } from "./settle-findings.js";
import {
  formatClock,
  formatDate,
  formatMonth,
  startOfDay,
  startOfMonth,
  US_PER_DAY,
  US_PER_HOUR,
  US_PER_MINUTE,
  US_PER_SECOND,
} from "./time.js";

const money = (amount: string, currency: string) => `${amount} ${currency}`;
const rounded = (m: Money) => money(m.toFixedMinor(), m.currency);
const plural = (n: number | string, one: string, many = `${one}s`) => (String(n) === "1" ? one : many);
const HOURS = new Set(["hour", "hours", "hrs", "hr", "h"]);
/** "24 hours", "1 hour", "120 GB". */
const quantityOf = (quantity: string, unit: string | null) =>
  unit !== null && HOURS.has(unit.toLowerCase())
    ? `${quantity} ${plural(quantity, "hour")}`
    : `${quantity} ${unit ?? "units"}`;
/** "hour", "GB". */
const perUnit = (unit: string | null) =>
  unit !== null && HOURS.has(unit.toLowerCase()) ? "hour" : (unit ?? "unit");
const day = (us: bigint) => `${formatDate(us)} (UTC)`;
const at = (us: bigint) => `${formatDate(us)} (UTC) at ${formatClock(us)} UTC`;

function list(items: readonly string[], max = 4): string {
  const shown = items.slice(0, max);
  const rest = items.length - shown.length;
  const words = rest > 0 ? [...shown, `${rest} more`] : shown;
  if (words.length <= 1) return words.join("");
  return `${words.slice(0, -1).join(", ")} and ${words[words.length - 1]}`;
}

/** "on 2026-05-03 (UTC)", "in 2026-05 (UTC)", "from 2026-05-03 (UTC) 09:00 UTC to 10:00 UTC", … */
export function describePeriod(start: bigint, end: bigint): string {
  const midnight = start === startOfDay(start) && end === startOfDay(end);
  if (midnight && end - start === US_PER_DAY) return `on ${day(start)}`;
  if (midnight && start === startOfMonth(start) && end === startOfMonth(start, 1))
    return `in ${formatMonth(start)} (UTC)`;
  if (midnight) return `from ${day(start)} to ${day(end - US_PER_DAY)}`;
  if (startOfDay(start) === startOfDay(end - 1n)) {
    const until = end === startOfDay(start) + US_PER_DAY ? "24:00" : formatClock(end);
    return `on ${day(start)} from ${formatClock(start)} UTC to ${until} UTC`;
  }
  return `from ${at(start)} to ${at(end)}`;
}

/** "9 h 12 min", "45 min 10 s", "3 days 4 h". */
export function describeDuration(us: bigint): string {
  const days = us / US_PER_DAY;
  const hours = (us % US_PER_DAY) / US_PER_HOUR;
  const minutes = (us % US_PER_HOUR) / US_PER_MINUTE;
  const seconds = (us % US_PER_MINUTE) / US_PER_SECOND;
  const parts: string[] = [];
  if (days > 0n) parts.push(`${days} ${plural(String(days), "day")}`);
  if (hours > 0n) parts.push(`${hours} h`);
  if (minutes > 0n) parts.push(`${minutes} min`);
  if (seconds > 0n && days === 0n) parts.push(`${seconds} s`);
  return parts.length === 0 ? "less than a second" : parts.join(" ");
}

/** "resource i-0abc (Amazon Elastic Compute Cloud, us-east-1)", or the description of a charge without one. */
function what(c: Candidate, charge: ChargeFact): string {
  const label =
    charge.resourceId !== null
      ? `resource ${charge.resourceId}`
      : (charge.chargeDescription ?? (charge.skuId === null ? "the charge" : `SKU ${charge.skuId}`));
  const service = c.serviceName ?? charge.serviceName;
  const place = [service !== null && !label.includes(service) ? service : null, charge.regionId]
    .filter((x) => x !== null)
    .join(", ");
  return place === "" ? label : `${label} (${place})`;
}

/** A charge period as a noun: "the month of 2026-02 (UTC)", "the period from … to …". */
export function describeSpan(start: bigint, end: bigint): string {
  const midnight = start === startOfDay(start) && end === startOfDay(end);
  if (midnight && end - start === US_PER_DAY) return `the day ${day(start)}`;
  if (midnight && start === startOfMonth(start) && end === startOfMonth(start, 1)) {
    return `the month of ${formatMonth(start)} (UTC)`;
  }
  if (midnight) return `the period from ${day(start)} to ${day(end - US_PER_DAY)}`;
  return `the period from ${at(start)} to ${at(end)}`;
}

function runs(spans: readonly TimeSpan[], periodStart: bigint): string {
  const when = (us: bigint, end: boolean) =>
    startOfDay(us) === startOfDay(periodStart) || (end && us === startOfDay(periodStart) + US_PER_DAY)
      ? `${end && us === startOfDay(periodStart) + US_PER_DAY ? "24:00" : formatClock(us)} UTC`
      : `${formatDate(us)} ${formatClock(us)} UTC`;
  return `ran ${list(spans.map((s) => `from ${when(s.start, false)} until ${when(s.end, true)}`))}`;
}

function main(f: SettledFinding): string {
  const c = f.candidate;
  const first = c.charges[0]!;
  const cur = c.currency;
  const formula = rounded(f.formulaAmount);
  const facts: ExplainFacts = c.facts;
  const period = describePeriod(first.start, first.end);
  const billed = money(first.billedCost.toFixed(), cur);
  switch (facts.kind) {
    case "duplicate_charge": {
      const extra = facts.copies - 1;
      return (
        `${cap(period)}, ${what(c, first)} was billed ${facts.copies} times for the same ` +
        `usage: ${facts.copies} identical charges of ${billed} each (${list(
          c.charges.map((x) => x.ref),
          6,
        )}). ` +
        `Only one of them is owed; the ${extra} extra ${plural(extra, "copy", "copies")} cost ${formula}.`
      );
    }
    case "billed_beyond_usage": {
      const unit = facts.hourly ? "hours" : facts.unit;
      const unused = first.pricingQuantity!.minus(facts.actualQuantity).toFixed();
      const evidence = !facts.hourly
        ? `its usage log records only ${facts.actualQuantity} ${unit} in that period (${facts.records} ${plural(facts.records, "record")})`
        : facts.runs.length === 0
          ? "its usage log shows it did not run at all in that period"
          : `its usage log shows it ${runs(facts.runs, first.start)}, ${facts.actualQuantity} ${plural(facts.actualQuantity, "hour")} when rounded up to whole hours`;
      return (
        `${cap(period)}, ${what(c, first)} was billed ${facts.billedQuantity} ${facts.hourly ? plural(facts.billedQuantity, "hour") : unit} ` +
        `(${billed}), but ${evidence}. The ${unused} ${facts.hourly ? plural(unused, "hour") : unit} not used cost ${formula}.`
      );
    }
    case "charged_after_cancellation": {
      const reason =
        facts.cancelledAt !== null
          ? `subscription ${facts.subscriptionId} had been cancelled on ${at(facts.cancelledAt)}, at or before the start of that period`
          : `subscription ${facts.subscriptionId} was set not to renew automatically${facts.renewsAt === null ? "" : `, so it ended at its renewal on ${at(facts.renewsAt)}`}, and this charge is for a period starting at or after that renewal`;
      return (
        `${cap(what(c, first))} was charged ${billed} (${first.ref}) for ${describeSpan(first.start, first.end)}, ` +
        `although ${reason}. The whole charge, ${formula}, is refundable.`
      );
    }
    case "sla_credit": {
      const scope = facts.regionWide
        ? `every resource of the service in ${facts.regionId}, as the outage named no particular resource`
        : "the resources the incidents name";
      return (
        `In ${formatMonth(facts.monthStart)} (UTC), ${facts.serviceName} in ${facts.regionId} was unavailable for ` +
        `${describeDuration(facts.downtimeUs)} according to ${facts.incidents} incident ${plural(facts.incidents, "report")} ` +
        `(overlapping incidents counted once): a monthly availability of ${facts.availabilityPercent} %, below the ` +
        `${facts.thresholdPercent} % the provider's SLA commits to. That earns a service credit of ${facts.creditPercent} % of ` +
        `what this account was billed that month for the affected resources, ${scope}: ${facts.creditPercent} % of ` +
        `${money(facts.affectedCost, cur)} over ${c.charges.length} ${plural(c.charges.length, "charge")} is ${formula}.`
      );
    }
    case "promotion_not_applied": {
      const name = facts.code === null ? facts.promotionId : `${facts.code} (${facts.promotionId})`;
      const validity = `from ${at(facts.validFrom)} until ${at(facts.validTo)}`;
      if (!facts.credit) {
        return (
          `Promotion ${name} promised ${facts.discountPercent} % off ${c.serviceName ?? "eligible services"} for account ` +
          `${c.accountId} on charges ${validity}. The charge ${first.ref} ${period} for ${what(c, first)} was billed ${billed} ` +
          `instead of the promised ${money(facts.promisedCost, cur)} (${facts.discountPercent} % off its list cost of ` +
          `${money(facts.listCost, cur)}): ${formula} too much.`
        );
      }
      return (
        `Promotion ${name} granted account ${c.accountId} a credit of ${money(facts.creditAmount, cur)} for charges ${validity}. ` +
        `Only ${money(facts.spent, cur)} of it was applied, leaving ${money(facts.unspent, cur)} unused, while ` +
        `${c.charges.length} eligible ${plural(c.charges.length, "charge")} totalling ${money(facts.chargesTotal, cur)} ` +
        `${c.charges.length === 1 ? "was" : "were"} billed in full. The unused credit owed on them is ${formula}.`
      );
    }
    case "rate_above_contract": {
      const contracted = Money.of(first.billedCost.toFixed(), cur).minus(f.formulaAmount).amount;
      return (
        `${cap(period)}, ${what(c, first)} was billed ${billed} for ${quantityOf(facts.quantity, facts.unit)}: ` +
        `${money(facts.unitPriceBilled, cur)} per ${perUnit(facts.unit)}, above the contracted unit price of ` +
        `${money(facts.unitPriceContracted, cur)}. At the contracted price the charge would have been ` +
        `${money(contracted, cur)}; the difference is ${formula}.`
      );
    }
    case "unused_prepaid_credit":
      return (
        `Prepaid commitment ${facts.commitmentId} was bought for ${billed} (${first.ref}) for a term covering ` +
        `${describeSpan(first.start, first.end)}. The term has ended with an unused part worth ` +
        `${money(facts.unusedPart, cur)} (${facts.unusedRows} ${plural(facts.unusedRows, "row")} marked Unused). The policy ` +
        `refunds ${facts.refundablePercent} % of the unused part, up to the price paid: ${formula}.`
      );
  }
}

function cap(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}

function tail(f: SettledFinding): string {
  const c = f.candidate;
  const cur = c.currency;
  const sentences: string[] = [];
  const several = c.charges.length > 1;
  if (f.correctionTotal.isPositive()) {
    sentences.push(
      `The provider has already returned ${rounded(f.correctionTotal)} for ${several ? "these charges" : "this charge"} ` +
        `(${list(f.corrections.map((r) => r.ref))}), which is deducted.`,
    );
  }
  if (f.uncappedAmount !== null) {
    sentences.push(
      `Other findings already claim part of the same ${several ? "charges" : "charge"}, so this claim is limited to what is ` +
        "left of the billed cost.",
    );
  }
  if (!f.formulaAmount.roundToMinor().equals(f.amount))
    sentences.push(`The amount to claim is ${money(f.amount.toFixedMinor(), cur)}.`);
  if (!f.claimable) sentences.push(`The window for claiming it closed on ${f.claimBy} (UTC).`);
  return sentences.join(" ");
}

export function explain(f: SettledFinding): string {
  const rest = tail(f);
  return rest === "" ? main(f) : `${main(f)} ${rest}`;
}
