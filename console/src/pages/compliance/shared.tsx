import { get } from "../../api/client";
import type { AuditEntry } from "../../api/types";
import { Badge } from "../../components/ui";
import { useI18n } from "../../i18n/i18n";
import type { Abilities } from "../../session";

/** Compliance officers decide KYC and judge identity links (`kyc.decide` in src/identity/authorization.ts). */
export const isCompliance = (a: Abilities): boolean => a.providerRoles.includes("compliance_officer");

export interface LinkVerdict {
  verdict: string;
  reason: string;
  at: string;
  actor: string;
}

/** The audit log is read this far back per organisation (newest first) when looking for verdicts. */
const AUDIT_PAGES = 5;

/**
 * The latest verdict on each link of `accountId`, from the audit log of the organisations involved
 * (`identity_link.reviewed` entries name one account as the subject and the other in the summary).
 * No route lists the verdicts themselves; compliance officers may read the audit log, and a verdict
 * older than the last 1,000 entries of an organisation shows as "not reviewed".
 */
export async function linkVerdicts(
  accountId: string,
  organisationIds: readonly string[],
  signal: AbortSignal,
): Promise<Map<string, LinkVerdict>> {
  const verdicts = new Map<string, LinkVerdict>();
  for (const organisationId of new Set(organisationIds)) {
    let before: number | null = null;
    for (let page = 0; page < AUDIT_PAGES; page++) {
      const res: { items: AuditEntry[]; nextBefore: number | null } = await get(
        `/organisations/${encodeURIComponent(organisationId)}/audit-log?limit=200${before ? `&before=${before}` : ""}`,
        signal,
      );
      for (const e of res.items) {
        if (e.action !== "identity_link.reviewed") continue;
        const s = e.summary as { otherAccountId?: string; verdict?: string; reason?: string };
        if (!s.otherAccountId || !s.verdict) continue;
        const other =
          e.subjectId === accountId ? s.otherAccountId : s.otherAccountId === accountId ? e.subjectId : null;
        if (!other) continue;
        const known = verdicts.get(other);
        if (!known || known.at < e.at)
          verdicts.set(other, { verdict: s.verdict, reason: s.reason ?? "", at: e.at, actor: e.actor });
      }
      before = res.nextBefore;
      if (before === null) break;
    }
  }
  return verdicts;
}

/** What two accounts share: the same identity number, the same card. */
export function SharedBadges({ shared }: { shared: readonly string[] }) {
  const { label } = useI18n();
  return (
    <>
      {shared.map((s) => (
        <Badge key={s} tone="warn">
          {label("compliance.shared", s)}
        </Badge>
      ))}
    </>
  );
}

export function VerdictBadge({ verdict }: { verdict: string | null }) {
  const { t, label } = useI18n();
  if (!verdict) return <Badge tone="neutral">{t("compliance.links.notReviewed")}</Badge>;
  return (
    <Badge tone={verdict === "legitimate" ? "good" : "bad"}>{label("compliance.verdict", verdict)}</Badge>
  );
}

export function KycBadge({ status }: { status: string }) {
  const { label } = useI18n();
  const tone =
    status === "verified"
      ? "good"
      : status === "rejected"
        ? "bad"
        : status === "pending"
          ? "warn"
          : "neutral";
  return <Badge tone={tone}>{label("compliance.kyc", status)}</Badge>;
}
