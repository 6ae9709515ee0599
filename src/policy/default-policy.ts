import type { FindingKind } from "../audit/finding.js";
import type { ClaimWindows, Clause, Policy, ProductRule } from "./policy.js";
import { SLA_TABLES, type SlaEntry } from "./sla-tables.js";

/**
 * The refund policy shipped with Refund Desk (replaceable with `refund-desk audit --policy FILE`).
 * Clause texts are written for customers: they appear in reports, letters and the console.
 */
export const DEFAULT_POLICY_VERSION = "2026-11-01";

/** The clause every finding of a kind cites (an SLA credit also cites its SLA entry's clause). */
export const KIND_CLAUSE_IDS: Readonly<Record<FindingKind, string>> = Object.freeze({
  duplicate_charge: "duplicate-charge",
  billed_beyond_usage: "billed-beyond-usage",
  charged_after_cancellation: "charged-after-cancellation",
  sla_credit: "sla-credit",
  promotion_not_applied: "promotion-not-applied",
  rate_above_contract: "rate-above-contract",
  unused_prepaid_credit: "unused-prepaid-credit",
});

const CLAIM_WINDOWS: ClaimWindows = {
  defaultMonthsAfterCharge: 12,
  slaBillingCyclesAfterIncident: 2,
  prepaidDaysAfterTermEnd: 90,
};

const PREPAID_REFUNDABLE_PERCENT = "100";
const MINIMUM_AMOUNT = "0.01";

/** Promotions whose discounted charges are never refunded; a trailing `*` matches any ending. */
const NON_REFUNDABLE_PROMOTIONS = ["FREE-TRIAL*"] as const;

const KIND_CLAUSES: Record<string, Clause> = {
  "duplicate-charge": {
    title: "Duplicate charges",
    text:
      "If the same usage or purchase is billed more than once (same account, resource, product, period, " +
      "quantity and amount), only the first charge stands. Every extra copy is refunded in full to the " +
      "payment method you used.",
  },
  "billed-beyond-usage": {
    title: "Billed for more than you used",
    text:
      "You pay only for what actually ran. When a charge bills more hours (or other units) than your usage " +
      "records show for that resource within the charge's period, the difference is refunded at the price " +
      "per unit you were charged. Running time is rounded up to the next whole hour before it is compared.",
  },
  "charged-after-cancellation": {
    title: "Charged after you cancelled",
    text:
      "Once you cancel a subscription, you are not billed for any period that starts at or after the " +
      "cancellation. If you turned automatic renewal off, you are not billed for a renewal. Any such " +
      "charge is refunded in full.",
  },
  "sla-credit": {
    title: "Service credits for downtime",
    text:
      "When a service is available for less of a calendar month (UTC) than its service level agreement " +
      "promises, you earn a service credit: a percentage of what you paid that month for the affected " +
      "resources, larger the further availability fell. Overlapping outages count once. The credit is " +
      "added to your account and reduces your next invoices. Claim it by the end of the " +
      `${ordinal(CLAIM_WINDOWS.slaBillingCyclesAfterIncident)} billing cycle after the month of the outage.`,
  },
  "promotion-not-applied": {
    title: "Promotion not applied",
    text:
      "If a charge qualified for a promotion you were given (the right account, service, region and " +
      "dates) but was billed at the standard price, you receive the discount the promotion promised, or " +
      "the unspent part of a promotional credit, as account credit.",
  },
  "rate-above-contract": {
    title: "Billed above your contracted price",
    text:
      "Where you have agreed a contracted price per unit, you are never billed more per unit than that " +
      "price. The excess (the difference per unit times the quantity billed) is refunded.",
  },
  "unused-prepaid-credit": {
    title: "Unused prepaid commitment",
    text:
      "If a prepaid commitment or credit purchase ends with an unused part, " +
      `${PREPAID_REFUNDABLE_PERCENT} % of the unused part is returned to you as account credit, never more ` +
      "than you paid for it. Claim it within " +
      `${CLAIM_WINDOWS.prepaidDaysAfterTermEnd} days after the term ends.`,
  },
};

const GENERAL_CLAUSES: Record<string, Clause> = {
  "claim-windows": {
    title: "How long you have to claim",
    text:
      "Claim a refund within " +
      `${CLAIM_WINDOWS.defaultMonthsAfterCharge} months after the end of the period the charge was for. ` +
      "Service credits for downtime and unused prepaid commitments have their own, shorter windows, stated " +
      "in their clauses. A finding whose window has closed is still shown to you, marked as no longer " +
      "claimable.",
  },
  "billing-errors-refunded": {
    title: "Billing errors are refunded",
    text:
      "Whatever the product, a charge that should not have been billed (a duplicate, usage that did not " +
      "happen, a charge after cancellation, a price above your contract) is refunded, whether or not the " +
      "product otherwise allows refunds.",
  },
  "no-reason-refunds": {
    title: "Refunds without a reason",
    text:
      "A refund without a reason (you no longer want what you bought) is possible only where the product's own " +
      "terms offer one, within their window. Otherwise charges are refunded when they should not have been " +
      "billed, and downtime and unused prepaid commitments are credited, as the other clauses describe.",
  },
  "refund-currency": {
    title: "Refunds are paid in the currency you were billed in",
    text:
      "A refund is paid in the currency the charge was billed in, to the payment method you used where " +
      "possible. Refunds are not converted into another currency.",
  },
  "non-refundable-promotions": {
    title: "Free trials and some promotions are not refundable",
    text:
      "Charges covered by a free trial (promotions whose id starts with FREE-TRIAL) or by a promotion " +
      "marked non-refundable are not refunded beyond correcting a billing error.",
  },
  "alibaba-five-day-no-reason-refund": {
    title: "Alibaba Cloud: five-day no-reason refund for new subscriptions",
    text:
      "A new subscription (pay in advance) to Elastic Compute Service, Object Storage Service or ApsaraDB " +
      "RDS can be cancelled for a refund without giving a reason within 5 days of purchase. This is " +
      "possible once per calendar year for each service and each verified identity, however many accounts " +
      "that identity holds. Renewals and upgrades do not count as new subscriptions.",
    source: "https://www.alibabacloud.com/help/en/user-center/support/faq-about-unsubscription",
  },
  "alibaba-refund-cash-paid-minus-consumed": {
    title: "Alibaba Cloud: refund of a subscription cancelled early",
    text:
      "When a subscription is cancelled before its term ends, the refund is the cash you actually paid " +
      "minus the value of what you have already used.",
    source: "https://www.alibabacloud.com/help/en/user-center/cancel-subscription",
  },
  "alibaba-vouchers-not-refunded-in-cash": {
    title: "Alibaba Cloud: vouchers and coupons are not paid back in cash",
    text:
      "The part of an order paid with vouchers or coupons is never refunded in cash; only the cash you " +
      "paid is refunded.",
    source: "https://www.alibabacloud.com/help/en/user-center/cancel-subscription",
  },
  "alibaba-pay-as-you-go-no-no-reason-refund": {
    title: "Alibaba Cloud: pay-as-you-go has no no-reason refund",
    text:
      "Pay-as-you-go resources are billed after use, so they cannot be cancelled for a refund without a " +
      "reason. Release the resource to stop billing. Billing errors are still refunded.",
    source: "https://www.alibabacloud.com/help/en/ecs/refund-instructions",
  },
  "aws-no-no-reason-refund": {
    title: "AWS: no refund without a reason",
    text:
      "AWS charges are not refunded on request without a reason. Billing errors and service credits under " +
      "an AWS service level agreement are refunded or credited as described in their own clauses.",
    source: "https://aws.amazon.com/agreement/",
  },
};

function ordinal(n: number): string {
  const words = ["zeroth", "first", "second", "third", "fourth", "fifth", "sixth"];
  return words[n] ?? `${n}th`;
}

/** The customer-facing clause for one SLA entry: the commitment, the credit tiers, the source. */
export function slaClause(entry: SlaEntry): Clause {
  const tiers = entry.tiers.map(
    (t, i) => `${t.creditPercent} % when ${i === 0 ? "availability is " : ""}below ${t.below} %`,
  );
  const tierText = tiers.length > 1 ? `${tiers.slice(0, -1).join(", ")} and ${tiers.at(-1)}` : tiers[0];
  const unconfirmed = entry.confirmed
    ? ""
    : " These figures are unconfirmed: we could not check them at the source, so the provider's " +
      "published SLA prevails where it differs.";
  return {
    title: `${entry.providerName} ${entry.serviceName}: ${entry.thresholdPercent} % monthly availability`,
    text:
      `${entry.providerName} commits to at least ${entry.thresholdPercent} % availability in each calendar ` +
      `month. Covered: ${entry.scope}. When a month falls short, you earn a service credit, a share of that ` +
      `month's charges for the affected resources: ${tierText ?? "as the provider's table states"} ` +
      `(at most ${entry.maxCreditPercent} %).${unconfirmed}`,
    source: entry.sourceUrl,
  };
}

const ALIBABA_SERVICES = [
  "Elastic Compute Service",
  "ecs",
  "Object Storage Service",
  "oss",
  "ApsaraDB RDS",
  "rds",
] as const;

const PRODUCTS: ProductRule[] = [
  {
    id: "alibaba-subscription",
    providerName: "Alibaba Cloud",
    serviceNames: ALIBABA_SERVICES,
    billingTypes: ["subscription"],
    // NOTE: "once per calendar year per service" is checked per account by the rules; "per verified
    // identity" (across all the accounts of one KYC identity) is enforced by case review.
    noReasonRefund: {
      windowDays: 5,
      oncePerCalendarYearPerService: true,
      clauseId: "alibaba-five-day-no-reason-refund",
    },
    vouchersRefundableInCash: false,
    refundFormula: "cash_paid_minus_consumed",
    nonRefundablePromotions: NON_REFUNDABLE_PROMOTIONS,
    currencyMustMatch: true,
    clauseIds: [
      "alibaba-five-day-no-reason-refund",
      "alibaba-refund-cash-paid-minus-consumed",
      "alibaba-vouchers-not-refunded-in-cash",
      "billing-errors-refunded",
      "non-refundable-promotions",
      "refund-currency",
    ],
  },
  {
    id: "alibaba-pay-as-you-go",
    providerName: "Alibaba Cloud",
    serviceNames: ALIBABA_SERVICES,
    billingTypes: ["pay_as_you_go"],
    noReasonRefund: null,
    vouchersRefundableInCash: false,
    refundFormula: "full",
    nonRefundablePromotions: NON_REFUNDABLE_PROMOTIONS,
    currencyMustMatch: true,
    clauseIds: [
      "alibaba-pay-as-you-go-no-no-reason-refund",
      "alibaba-vouchers-not-refunded-in-cash",
      "billing-errors-refunded",
      "non-refundable-promotions",
      "refund-currency",
    ],
  },
  {
    id: "aws",
    providerName: "AWS",
    serviceNames: ["*"],
    billingTypes: ["subscription", "pay_as_you_go"],
    noReasonRefund: null,
    vouchersRefundableInCash: false,
    refundFormula: "full",
    nonRefundablePromotions: NON_REFUNDABLE_PROMOTIONS,
    currencyMustMatch: true,
    clauseIds: [
      "aws-no-no-reason-refund",
      "billing-errors-refunded",
      "non-refundable-promotions",
      "refund-currency",
    ],
  },
  {
    id: "default",
    providerName: "*",
    serviceNames: ["*"],
    billingTypes: ["subscription", "pay_as_you_go"],
    noReasonRefund: null,
    vouchersRefundableInCash: false,
    refundFormula: "full",
    nonRefundablePromotions: NON_REFUNDABLE_PROMOTIONS,
    currencyMustMatch: true,
    clauseIds: ["billing-errors-refunded", "claim-windows", "non-refundable-promotions", "refund-currency"],
  },
];

function buildClauses(sla: readonly SlaEntry[]): Record<string, Clause> {
  const clauses: Record<string, Clause> = { ...KIND_CLAUSES, ...GENERAL_CLAUSES };
  for (const entry of sla) clauses[entry.clauseId] = slaClause(entry);
  return clauses;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

export const DEFAULT_POLICY: Policy = deepFreeze({
  version: DEFAULT_POLICY_VERSION,
  clauses: buildClauses(SLA_TABLES),
  sla: structuredClone([...SLA_TABLES]),
  claimWindows: CLAIM_WINDOWS,
  prepaid: { refundablePercent: PREPAID_REFUNDABLE_PERCENT },
  tolerances: { minimumAmount: MINIMUM_AMOUNT },
  products: PRODUCTS,
});
