import { get, query } from "../../api/client";
import type { Charge } from "../../api/types";
import { ErrorState, Instant, Loading, Money, PageTitle } from "../../components/ui";
import { useI18n } from "../../i18n/i18n";
import { useLoad } from "../../lib/use-api";
import { BackLink, Link, paths } from "../../router";
import type { Abilities } from "../../session";
import { accountName, chargeTitle, loadAccounts } from "./shared";

export function ChargePage({ abilities, chargeId }: { abilities: Abilities; chargeId: string }) {
  const { t } = useI18n();
  const org = abilities.organisation!;
  const data = useLoad(`charge:${chargeId}`, async (signal) => {
    const [charge, accounts] = await Promise.all([
      get<Charge>(`/charges/${encodeURIComponent(chargeId)}`, signal),
      loadAccounts(org.id, signal),
    ]);
    return { charge, accounts };
  });
  const title = data.status === "ready" ? chargeTitle(data.data.charge) : t("charge.title");
  return (
    <section>
      <BackLink href={paths.bills()}>{t("action.backToBills")}</BackLink>
      <PageTitle title={title}>{title}</PageTitle>
      {data.status === "loading" && <Loading />}
      {data.status === "error" && <ErrorState problem={data.problem} onRetry={() => void data.reload()} />}
      {data.status === "ready" && (
        <div className="panel">
          <dl className="facts">
            <dt>{t("col.billed")}</dt>
            <dd className="figure">
              <Money amount={data.data.charge.billedCost} currency={data.data.charge.billingCurrency} />
            </dd>
            <dt>{t("col.account")}</dt>
            <dd>{accountName(data.data.accounts, data.data.charge.accountId)}</dd>
            <dt>{t("charge.provider")}</dt>
            <dd>{data.data.charge.providerName ?? "—"}</dd>
            <dt>{t("col.service")}</dt>
            <dd>{data.data.charge.serviceName ?? "—"}</dd>
            <dt>{t("col.region")}</dt>
            <dd>{data.data.charge.regionId ?? "—"}</dd>
            <dt>{t("col.resource")}</dt>
            <dd>{data.data.charge.resourceId ?? "—"}</dd>
            <dt>{t("charge.sku")}</dt>
            <dd>{data.data.charge.skuId ?? "—"}</dd>
            <dt>{t("charge.category")}</dt>
            <dd>
              {[data.data.charge.chargeCategory, data.data.charge.chargeFrequency]
                .filter(Boolean)
                .join(" · ") || "—"}
            </dd>
            <dt>{t("charge.periodStart")}</dt>
            <dd>
              <Instant at={data.data.charge.chargePeriodStart} />
            </dd>
            <dt>{t("charge.periodEnd")}</dt>
            <dd>
              <Instant at={data.data.charge.chargePeriodEnd} />
            </dd>
            <dt>{t("charge.quantity")}</dt>
            <dd>
              {data.data.charge.pricingQuantity ?? "—"} {data.data.charge.pricingUnit ?? ""}
            </dd>
            <dt>{t("charge.listUnitPrice")}</dt>
            <dd>{data.data.charge.listUnitPrice ?? "—"}</dd>
            <dt>{t("charge.contractedUnitPrice")}</dt>
            <dd>{data.data.charge.contractedUnitPrice ?? "—"}</dd>
            <dt>{t("col.invoice")}</dt>
            <dd>{data.data.charge.invoiceId ?? "—"}</dd>
            <dt>{t("charge.source")}</dt>
            <dd>
              <code>{data.data.charge.sourceRef}</code>
            </dd>
          </dl>
          {abilities.canFile && (
            <p>
              <Link
                className="button-link"
                href={paths.newRequest(
                  query({ account: data.data.charge.accountId, charge: data.data.charge.id }),
                )}
              >
                {t("charge.requestRefund")}
              </Link>
            </p>
          )}
        </div>
      )}
    </section>
  );
}
