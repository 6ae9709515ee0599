/**
 * §3 charged_after_cancellation (docs/audit-rules.md): a claimable Purchase or Recurring charge of a
 * subscription (matched by resource, or by account and service for subscriptions without a resource)
 * whose `cancelledAt` is at or before the charge period's start, or whose `autoRenew` is off and the
 * charge period starts at or after `renewsAt`. Amount: the whole BilledCost.
 */
import { Money } from "../../money/index.js";
import { type Candidate, plain } from "../candidate.js";
import { type ChargeFact, chargeFactColumns, readChargeFact } from "../charge-fact.js";
import type { EvidenceRef } from "../finding.js";
import { KIND_RULES } from "../kinds.js";
import { accountOf, bool, claimable, optStr, q, readRows, str } from "../sql.js";
import { formatIso, parseSqlTimestamp } from "../time.js";
import type { DetectorContext } from "./context.js";

export function chargedAfterCancellationSql(): string {
  const select = (join: string) => `SELECT ${chargeFactColumns("c")},
  s.x_SourceRef AS s_ref, s.${q("subscriptionId")} AS s_id, s.${q("autoRenew")} AS s_auto_renew,
  CAST(s.${q("cancelledAt")} AS VARCHAR) AS s_cancelled_at, CAST(s.${q("renewsAt")} AS VARCHAR) AS s_renews_at
FROM charges c JOIN subscriptions s ON ${join}
WHERE ${claimable("c")} AND (c.ChargeCategory = 'Purchase' OR c.ChargeFrequency = 'Recurring')
  AND (s.${q("cancelledAt")} <= c.ChargePeriodStart
    OR (NOT s.${q("autoRenew")} AND s.${q("renewsAt")} IS NOT NULL AND c.ChargePeriodStart >= s.${q("renewsAt")}))`;
  // Two equi-joins rather than one join on an OR, which engines cannot hash.
  return `${select(`s.${q("resourceId")} = c.ResourceId`)}
UNION ALL
${select(`s.${q("resourceId")} IS NULL AND s.${q("accountId")} = ${accountOf("c")} AND s.${q("serviceName")} = c.ServiceName`)}
ORDER BY c_ref, s_id, s_ref`;
}

interface Match {
  fact: ChargeFact;
  subscriptions: {
    ref: string;
    id: string;
    cancelledAt: bigint | null;
    renewsAt: bigint | null;
    autoRenew: boolean;
  }[];
}

export async function detectChargedAfterCancellation(context: DetectorContext): Promise<Candidate[]> {
  if (!context.tables.has("subscriptions")) return [];
  const rows = await readRows(context.connection, chargedAfterCancellationSql());
  const matches = new Map<string, Match>();
  for (const row of rows) {
    const fact = readChargeFact(row);
    const key = `${fact.ref}\u0000${fact.start}`;
    let match = matches.get(key);
    if (match === undefined) {
      match = { fact, subscriptions: [] };
      matches.set(key, match);
    }
    const cancelled = optStr(row, "s_cancelled_at");
    const renews = optStr(row, "s_renews_at");
    match.subscriptions.push({
      ref: str(row, "s_ref"),
      id: str(row, "s_id"),
      cancelledAt: cancelled === null ? null : parseSqlTimestamp(cancelled),
      renewsAt: renews === null ? null : parseSqlTimestamp(renews),
      autoRenew: bool(row, "s_auto_renew"),
    });
  }
  const out: Candidate[] = [];
  for (const { fact, subscriptions } of matches.values()) {
    // The explanation cites a cancellation before a renewal with auto-renew off, when both apply.
    const cancelled = subscriptions.filter((s) => s.cancelledAt !== null && s.cancelledAt <= fact.start);
    const main = cancelled[0] ?? subscriptions[0]!;
    const evidence: EvidenceRef[] = subscriptions.map((s) => ({
      type: "subscription",
      ref: s.ref,
      subscriptionId: s.id,
    }));
    const figures: Record<string, string> = { billedCost: plain(fact.billedCost), subscriptionId: main.id };
    if (main.cancelledAt !== null) figures.cancelledAt = formatIso(main.cancelledAt);
    if (main.renewsAt !== null) figures.renewsAt = formatIso(main.renewsAt);
    out.push({
      kind: "charged_after_cancellation",
      accountId: fact.accountId,
      currency: fact.currency,
      charges: [fact],
      amount: Money.of(plain(fact.billedCost), fact.currency),
      evidence,
      clauses: [KIND_RULES.charged_after_cancellation.clause],
      outcome: KIND_RULES.charged_after_cancellation.outcome,
      serviceName: fact.serviceName,
      regionId: fact.regionId,
      resourceId: fact.resourceId,
      figures,
      window: { type: "after_charge", end: fact.end },
      facts: {
        kind: "charged_after_cancellation",
        subscriptionId: main.id,
        cancelledAt: cancelled.length > 0 ? main.cancelledAt : null,
        renewsAt: main.renewsAt,
        autoRenew: main.autoRenew,
      },
    });
  }
  return out;
}
