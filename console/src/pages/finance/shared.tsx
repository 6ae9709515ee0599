import { getAll } from "../../api/client";
import type { Organisation } from "../../api/types";
import { Badge } from "../../components/ui";
import { useI18n } from "../../i18n/i18n";
import type { Abilities } from "../../session";

/** Finance's desk: payouts, reconciliation, the ledger (`payouts.manage`, `reconciliation.run`). */
export const isFinance = (a: Abilities): boolean =>
  a.providerRoles.includes("finance") || a.providerRoles.includes("admin");

export const loadOrganisations = (signal: AbortSignal): Promise<Organisation[]> =>
  getAll<Organisation>("/organisations", signal);

export function organisationName(organisations: readonly Organisation[], id: string | null): string {
  if (!id) return "—";
  return organisations.find((o) => o.id === id)?.name ?? id;
}

/** The server's payout states (src/settlement/payout-state.ts), in the order a payout moves. */
export const PAYOUT_STATES = [
  "pending",
  "submitted",
  "requires_action",
  "succeeded",
  "failed",
  "credited",
] as const;

const PAYOUT_TONES: Record<string, "good" | "bad" | "warn" | "info" | "neutral"> = {
  pending: "neutral",
  submitted: "info",
  requires_action: "warn",
  succeeded: "good",
  failed: "bad",
  credited: "info",
};

export function PayoutBadge({ status }: { status: string }) {
  const { label } = useI18n();
  return <Badge tone={PAYOUT_TONES[status] ?? "neutral"}>{label("finance.payout", status)}</Badge>;
}
