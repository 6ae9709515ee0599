import { getAll } from "../../api/client";
import type { Account, Charge } from "../../api/types";
import { useI18n } from "../../i18n/i18n";

export const loadAccounts = (organisationId: string, signal: AbortSignal): Promise<Account[]> =>
  getAll<Account>(`/organisations/${organisationId}/accounts`, signal);

export function accountName(accounts: readonly Account[], id: string | null): string {
  if (!id) return "—";
  return accounts.find((a) => a.id === id)?.name ?? id;
}

/** A charge in a few words: what was billed, for which resource. */
export function chargeTitle(c: Pick<Charge, "serviceName" | "resourceId" | "skuId" | "sourceRef">): string {
  const what = c.serviceName ?? c.skuId ?? c.sourceRef;
  return c.resourceId ? `${what} · ${c.resourceId}` : what;
}

export function AccountOptions({ accounts }: { accounts: readonly Account[] }) {
  const { t } = useI18n();
  return (
    <>
      {accounts.map((a) => (
        <option key={a.id} value={a.id}>
          {a.name}
          {a.isBillingAccount ? ` (${t("account.billing")})` : ""}
        </option>
      ))}
    </>
  );
}
