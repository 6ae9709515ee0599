import { type FormEvent, useState } from "react";
import { ApiError, get, query } from "../../api/client";
import type { Account, Charge, Page, Problem } from "../../api/types";
import {
  DataTable,
  Empty,
  ErrorState,
  Field,
  FilterActions,
  FilterInput,
  fieldErrors,
  Loading,
  Money,
  PageTitle,
  ProblemAlert,
} from "../../components/ui";
import { useI18n } from "../../i18n/i18n";
import { formatPeriod } from "../../lib/dates";
import { useLoad } from "../../lib/use-api";
import { Link, navigate, paths } from "../../router";
import type { Abilities } from "../../session";
import { AccountOptions, accountName, loadAccounts } from "./shared";

interface Filters {
  account: string;
  service: string;
  region: string;
  month: string;
}

const filtersOf = (params: URLSearchParams): Filters => ({
  account: params.get("account") ?? "",
  service: params.get("service") ?? "",
  region: params.get("region") ?? "",
  month: params.get("month") ?? "",
});

const apiQuery = (f: Filters, cursor?: string | null) =>
  query({ accountId: f.account, service: f.service, region: f.region, month: f.month, limit: 50, cursor });

export function BillsPage({ abilities, params }: { abilities: Abilities; params: URLSearchParams }) {
  const { t } = useI18n();
  const org = abilities.organisation!;
  const applied = filtersOf(params);
  const [form, setForm] = useState<Filters>(applied);
  const [more, setMore] = useState<{ items: Charge[]; cursor: string | null } | null>(null);
  const [moreProblem, setMoreProblem] = useState<Problem | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);

  const data = useLoad(`bills:${org.id}:${params.toString()}`, async (signal) => {
    const [accounts, page] = await Promise.all([
      loadAccounts(org.id, signal),
      get<Page<Charge>>(`/organisations/${org.id}/charges${apiQuery(applied)}`, signal),
    ]);
    return { accounts, page };
  });

  function apply(e: FormEvent) {
    e.preventDefault();
    navigate(paths.bills(query({ ...form })));
  }

  async function loadMore(cursor: string) {
    setLoadingMore(true);
    setMoreProblem(null);
    try {
      const page = await get<Page<Charge>>(`/organisations/${org.id}/charges${apiQuery(applied, cursor)}`);
      setMore((m) => ({ items: [...(m?.items ?? []), ...page.items], cursor: page.nextCursor }));
    } catch (error) {
      if (error instanceof ApiError) setMoreProblem(error.problem);
    } finally {
      setLoadingMore(false);
    }
  }

  const filterErrors = data.status === "error" ? fieldErrors(data.problem) : {};
  const charges = data.status === "ready" ? [...data.data.page.items, ...(more?.items ?? [])] : [];
  const cursor = more ? more.cursor : data.status === "ready" ? data.data.page.nextCursor : null;
  const accounts: Account[] = data.status === "ready" ? data.data.accounts : [];

  return (
    <section>
      <PageTitle title={t("bills.title")}>{t("bills.title")}</PageTitle>
      <form className="filters" onSubmit={apply} aria-label={t("bills.filters")}>
        <Field label={t("filter.account")}>
          {(p) => (
            <select
              {...p}
              value={form.account}
              onChange={(e) => setForm({ ...form, account: e.target.value })}
            >
              <option value="">{t("filter.allAccounts")}</option>
              <AccountOptions accounts={accounts} />
            </select>
          )}
        </Field>
        <FilterInput
          label={t("filter.service")}
          errors={filterErrors.service}
          list="bill-services"
          value={form.service}
          onChange={(service) => setForm({ ...form, service })}
        />
        <FilterInput
          label={t("filter.region")}
          errors={filterErrors.region}
          list="bill-regions"
          value={form.region}
          onChange={(region) => setForm({ ...form, region })}
        />
        <FilterInput
          label={t("filter.month")}
          errors={filterErrors.month}
          hint={t("filter.monthHint")}
          type="month"
          value={form.month}
          onChange={(month) => setForm({ ...form, month })}
        />
        <FilterActions
          onClear={() => {
            setForm({ account: "", service: "", region: "", month: "" });
            navigate(paths.bills());
          }}
        />
        <datalist id="bill-services">
          {[...new Set(charges.map((c) => c.serviceName).filter(Boolean))].map((s) => (
            <option key={s} value={s ?? ""} />
          ))}
        </datalist>
        <datalist id="bill-regions">
          {[...new Set(charges.map((c) => c.regionId).filter(Boolean))].map((s) => (
            <option key={s} value={s ?? ""} />
          ))}
        </datalist>
      </form>
      {data.status === "loading" && <Loading />}
      {data.status === "error" && <ErrorState problem={data.problem} onRetry={() => void data.reload()} />}
      {data.status === "ready" && charges.length === 0 && <Empty>{t("bills.empty")}</Empty>}
      {charges.length > 0 && (
        <DataTable
          caption={t("bills.title")}
          columns={[
            t("col.charge"),
            t("col.account"),
            t("col.region"),
            t("col.period"),
            t("col.invoice"),
            { num: t("col.billed") },
          ]}
        >
          {charges.map((c) => (
            <tr key={c.id}>
              <td>
                <Link href={paths.charge(c.id)}>{c.serviceName ?? c.skuId ?? c.sourceRef}</Link>
                <div className="sub">{c.resourceId ?? c.chargeDescription ?? ""}</div>
              </td>
              <td>{accountName(accounts, c.accountId)}</td>
              <td>{c.regionId ?? "—"}</td>
              <td>{formatPeriod(c.chargePeriodStart, c.chargePeriodEnd)}</td>
              <td>{c.invoiceId ?? "—"}</td>
              <td className="num">
                <Money amount={c.billedCost} currency={c.billingCurrency} />
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      {moreProblem && <ProblemAlert problem={moreProblem} />}
      {cursor && (
        <button
          type="button"
          className="secondary"
          disabled={loadingMore}
          onClick={() => void loadMore(cursor)}
        >
          {loadingMore ? t("state.loading") : t("action.loadMore")}
        </button>
      )}
    </section>
  );
}
