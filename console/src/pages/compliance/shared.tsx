import { Badge } from "../../components/ui";
import { useI18n } from "../../i18n/i18n";
import type { Abilities } from "../../session";

/** Compliance officers decide KYC and judge identity links (`kyc.decide` in src/identity/authorization.ts). */
export const isCompliance = (a: Abilities): boolean => a.providerRoles.includes("compliance_officer");

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
