import type { FindingKind } from "../finding.js";
import { detectBilledBeyondUsage } from "./billed-beyond-usage.js";
import { detectChargedAfterCancellation } from "./charged-after-cancellation.js";
import type { Detector } from "./context.js";
import { detectDuplicateCharges } from "./duplicate-charge.js";
import { detectPromotionsNotApplied } from "./promotion-not-applied.js";
import { detectRateAboveContract } from "./rate-above-contract.js";
import { detectSlaCredits } from "./sla-credit.js";
import { detectUnusedPrepaidCredit } from "./unused-prepaid-credit.js";

export type { Detector, DetectorContext } from "./context.js";

/** One detector per kind, in the kinds' priority order. */
export const DETECTORS: Readonly<Record<FindingKind, Detector>> = {
  duplicate_charge: detectDuplicateCharges,
  billed_beyond_usage: detectBilledBeyondUsage,
  charged_after_cancellation: detectChargedAfterCancellation,
  sla_credit: detectSlaCredits,
  promotion_not_applied: detectPromotionsNotApplied,
  rate_above_contract: detectRateAboveContract,
  unused_prepaid_credit: detectUnusedPrepaidCredit,
};
