import { type FormEvent, useState } from "react";
import { get, getAll, query } from "../../api/client";
import type { Dashboard, DashboardGroup, Organisation } from "../../api/types";
import { BarChart } from "../../components/chart";
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
} from "../../components/ui";
import { type Translate, useI18n } from "../../i18n/i18n";
import { formatMoney, sumDecimals } from "../../lib/money";
import { useLoad } from "../../lib/use-api";
import { navigate, paths } from "../../router";
import type { Abilities } from "../../session";
import { seesEveryCustomer } from "./access";

type Measure = "amount" | "count";

interface Filters {
  from: string;
  to: string;
  organisation: string;
  currency: string;
  measure: Measure;
}

/** A share between 0 and 1 as a percentage with one decimal, e.g. 0.6667 → "66.7%". */
export function percent(rate: number | null): string {
  return rate === null ? "—" : `${(rate * 100).toFixed(1)}%`;
}

/** Seconds as the two largest units that matter: "45 min", "4 h 0 min", "2 d 3 h". */
export function duration(seconds: number | null, t: Translate): string {
  if (seconds === null) return "—";
  const minutes = Math.round(seconds / 60);
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  if (d > 0) return t("dashboard.duration.days", { d, h });
  if (h > 0) return t("dashboard.duration.hours", { h, m });
  return t("dashboard.duration.minutes", { m });
}

function GroupTable({
  caption,
  keyHeading,
  groups,
  keyLabel,
}: {
  caption: string;
  keyHeading: string;
  groups: readonly DashboardGroup[];
  keyLabel: (key: string) => string;
}) {
  const { t } = useI18n();
  return (
    <DataTable
      caption={caption}
      columns={[
        keyHeading,
        t("dashboard.currency"),
        { num: t("dashboard.filed") },
        { num: t("dashboard.decided") },
        { num: t("dashboard.approved") },
        { num: t("dashboard.requested") },
        { num: t("dashboard.granted") },
      ]}
    >
      {groups.map((g) => (
        <tr key={`${g.key}-${g.currency}`}>
          <th scope="row">{keyLabel(g.key)}</th>
          <td>{g.currency}</td>
          <td className="num">{g.filed}</td>
          <td className="num">{g.decided}</td>
          <td className="num">{g.approved}</td>
          <td className="num">
            <Money amount={g.requested} currency={g.currency} />
          </td>
          <td className="num">
            <Money amount={g.granted} currency={g.currency} />
          </td>
        </tr>
      ))}
    </DataTable>
  );
}

/** A chart of one grouping: amounts in the chosen currency, or counts across currencies. */
function GroupChart({
  title,
  groups,
  keyLabel,
  currency,
  measure,
}: {
  title: { amount: string; count: string };
  groups: readonly DashboardGroup[];
  keyLabel: (key: string) => string;
  currency: string;
  measure: Measure;
}) {
  const { t } = useI18n();
  if (measure === "amount") {
    const inCurrency = groups.filter((g) => g.currency === currency);
    if (inCurrency.length === 0) return <Empty>{t("dashboard.noneInCurrency", { currency })}</Empty>;
    return (
      <BarChart
        title={title.amount}
        labels={inCurrency.map((g) => keyLabel(g.key))}
        series={[
          { label: t("dashboard.requested"), values: inCurrency.map((g) => g.requested) },
          { label: t("dashboard.granted"), values: inCurrency.map((g) => g.granted) },
        ]}
        format={(v) => formatMoney(v, currency)}
      />
    );
  }
  // Counts do not care about the currency: one bar per key, the currencies added up.
  const keys = [...new Set(groups.map((g) => g.key))];
  const count = (key: string, pick: (g: DashboardGroup) => number) =>
    String(groups.filter((g) => g.key === key).reduce((n, g) => n + pick(g), 0));
  return (
    <BarChart
      title={title.count}
      whole
      labels={keys.map(keyLabel)}
      series={[
        { label: t("dashboard.filed"), values: keys.map((k) => count(k, (g) => g.filed)) },
        { label: t("dashboard.approved"), values: keys.map((k) => count(k, (g) => g.approved)) },
      ]}
    />
  );
}

/** One grouping of the cases: its heading, its chart and its table. */
function GroupSection({
  id,
  title,
  keyHeading,
  groups,
  keyLabel,
  currency,
  measure,
}: {
  /** Names the heading: `${id}-heading`. */
  id: string;
  title: string;
  keyHeading: string;
  groups: readonly DashboardGroup[];
  keyLabel: (key: string) => string;
  currency: string;
  measure: Measure;
}) {
  const { t } = useI18n();
  return (
    <section className="panel" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>{title}</h2>
      <GroupChart
        title={{
          amount: t("dashboard.chartAmounts", { what: title, currency }),
          count: t("dashboard.chartCounts", { what: title }),
        }}
        groups={groups}
        keyLabel={keyLabel}
        currency={currency}
        measure={measure}
      />
      <GroupTable caption={title} keyHeading={keyHeading} groups={groups} keyLabel={keyLabel} />
    </section>
  );
}

function Figures({ d, filters }: { d: Dashboard; filters: Filters }) {
  const { t, label } = useI18n();
  const c = d.cases;
  const currency = filters.currency;
  const reasonLabel = (k: string) => label("reason", k);
  const kindLabel = (k: string) => label("kind", k);
  const same = (k: string) => k;
  // The server groups cases whose bill named no service under UNKNOWN_SERVICE (src/dashboard/).
  const serviceLabel = (k: string) => (k === "(unknown)" ? t("dashboard.unknownService") : k);
  const findingsInCurrency = d.findings.filter((f) => f.currency === currency);
  return (
    <>
      <section className="panel" aria-labelledby="kpi-heading">
        <h2 id="kpi-heading">{t("dashboard.decisions")}</h2>
        <ul className="tiles">
          <li className="tile" data-kpi="filed">
            <span className="tile-figure">{c.filed}</span>
            <span className="tile-label">{t("dashboard.casesFiled")}</span>
            <span className="tile-label">
              {t("dashboard.decidedOf", { decided: c.decided, open: c.filed - c.decided })}
            </span>
          </li>
          <li className="tile" data-kpi="approval">
            <span className="tile-figure">{percent(c.approvalRate)}</span>
            <span className="tile-label">{t("dashboard.approvalRate")}</span>
            <span className="tile-label">
              {t("dashboard.approvedOf", { approved: c.approved, decided: c.decided })}
            </span>
          </li>
          <li className="tile" data-kpi="median">
            <span className="tile-figure">{duration(c.medianSecondsToDecision, t)}</span>
            <span className="tile-label">{t("dashboard.medianTime")}</span>
            <span className="tile-label">{t("dashboard.medianTimeHint")}</span>
          </li>
          <li className="tile" data-kpi="target">
            <span className="tile-figure">{percent(c.withinTargetRate)}</span>
            <span className="tile-label">{t("dashboard.withinTarget")}</span>
            <span className="tile-label">
              {t("dashboard.withinTargetOf", { within: c.decidedWithinTarget, total: c.decidedWithTarget })}
            </span>
          </li>
        </ul>
        {d.totals.length > 0 && (
          <DataTable
            caption={t("dashboard.totals")}
            showCaption
            columns={[
              t("dashboard.currency"),
              { num: t("dashboard.filed") },
              { num: t("dashboard.approved") },
              { num: t("dashboard.requested") },
              { num: t("dashboard.granted") },
            ]}
          >
            {d.totals.map((x) => (
              <tr key={x.currency}>
                <th scope="row">{x.currency}</th>
                <td className="num">{x.filed}</td>
                <td className="num">{x.approved}</td>
                <td className="num">
                  <Money amount={x.requested} currency={x.currency} />
                </td>
                <td className="num">
                  <Money amount={x.granted} currency={x.currency} />
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </section>

      {c.filed === 0 ? (
        <section className="panel">
          <Empty>{t("dashboard.noCases")}</Empty>
        </section>
      ) : (
        <>
          <GroupSection
            id="reason"
            title={t("dashboard.byReason")}
            keyHeading={t("dashboard.reason")}
            groups={d.byReason}
            keyLabel={reasonLabel}
            currency={currency}
            measure={filters.measure}
          />
          <GroupSection
            id="service"
            title={t("dashboard.byService")}
            keyHeading={t("dashboard.service")}
            groups={d.byService}
            keyLabel={serviceLabel}
            currency={currency}
            measure={filters.measure}
          />
          <GroupSection
            id="month"
            title={t("dashboard.byMonth")}
            keyHeading={t("dashboard.month")}
            groups={d.byMonth}
            keyLabel={same}
            currency={currency}
            measure={filters.measure}
          />
        </>
      )}

      <section className="panel" aria-labelledby="findings-heading">
        <h2 id="findings-heading">{t("dashboard.findings")}</h2>
        {d.findings.length === 0 ? (
          <Empty>{t("dashboard.noFindings")}</Empty>
        ) : (
          <>
            {findingsInCurrency.length === 0 ? (
              <Empty>{t("dashboard.noneInCurrency", { currency })}</Empty>
            ) : (
              <BarChart
                title={t("dashboard.chartFindings", { currency })}
                labels={findingsInCurrency.map((f) => kindLabel(f.kind))}
                series={[
                  { label: t("dashboard.amountFound"), values: findingsInCurrency.map((f) => f.amount) },
                ]}
                format={(v) => formatMoney(v, currency)}
              />
            )}
            <DataTable
              caption={t("dashboard.findings")}
              columns={[
                t("dashboard.kind"),
                t("dashboard.currency"),
                { num: t("dashboard.count") },
                { num: t("dashboard.amountFound") },
              ]}
            >
              {d.findings.map((f) => (
                <tr key={`${f.kind}-${f.currency}`}>
                  <th scope="row">{kindLabel(f.kind)}</th>
                  <td>{f.currency}</td>
                  <td className="num">{f.count}</td>
                  <td className="num">
                    <Money amount={f.amount} currency={f.currency} />
                  </td>
                </tr>
              ))}
              {[...new Set(d.findings.map((f) => f.currency))].map((cur) => (
                <tr key={`total-${cur}`} className="total">
                  <th scope="row">{t("dashboard.total")}</th>
                  <td>{cur}</td>
                  <td className="num">
                    {d.findings.filter((f) => f.currency === cur).reduce((n, f) => n + f.count, 0)}
                  </td>
                  <td className="num">
                    <Money
                      amount={sumDecimals(d.findings.filter((f) => f.currency === cur).map((f) => f.amount))}
                      currency={cur}
                    />
                  </td>
                </tr>
              ))}
            </DataTable>
          </>
        )}
      </section>
    </>
  );
}

/** The currencies the figures use, the one with the most cases first. */
function currenciesOf(d: Dashboard): string[] {
  const filed = new Map(d.totals.map((x) => [x.currency, x.filed]));
  for (const f of d.findings) if (!filed.has(f.currency)) filed.set(f.currency, 0);
  return [...filed.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([c]) => c);
}

export function DashboardPage({ abilities, params }: { abilities: Abilities; params: URLSearchParams }) {
  const { t } = useI18n();
  const everyCustomer = seesEveryCustomer(abilities);
  const applied: Filters = {
    from: params.get("from") ?? "",
    to: params.get("to") ?? "",
    organisation: everyCustomer ? (params.get("organisation") ?? "") : (abilities.organisation?.id ?? ""),
    currency: params.get("currency") ?? "",
    measure: params.get("measure") === "count" ? "count" : "amount",
  };
  const [form, setForm] = useState<Filters>(applied);
  const data = useLoad(`dashboard:${params.toString()}`, async (signal) => {
    const [dashboard, organisations] = await Promise.all([
      get<Dashboard>(
        `/dashboard${query({ organisationId: applied.organisation, from: applied.from, to: applied.to })}`,
        signal,
      ),
      everyCustomer ? getAll<Organisation>("/organisations", signal) : Promise.resolve([]),
    ]);
    return { dashboard, organisations };
  });
  const errors = data.status === "error" ? fieldErrors(data.problem) : {};
  const currencies = data.status === "ready" ? currenciesOf(data.data.dashboard) : [];
  const currency = currencies.includes(applied.currency) ? applied.currency : (currencies[0] ?? "");

  function apply(e: FormEvent) {
    e.preventDefault();
    const { organisation, ...rest } = form;
    navigate(paths.dashboard(query({ ...rest, organisation: everyCustomer ? organisation : "" })));
  }

  return (
    <section>
      <PageTitle title={t("dashboard.title")}>{t("dashboard.title")}</PageTitle>
      <p className="lead">
        {everyCustomer ? t("dashboard.introStaff") : t("dashboard.introCustomer")} {t("dashboard.introMoney")}
      </p>
      <form className="filters" onSubmit={apply} aria-label={t("dashboard.filters")}>
        <FilterInput
          label={t("dashboard.from")}
          errors={errors.from}
          hint={t("dashboard.monthHint")}
          type="month"
          value={form.from}
          onChange={(from) => setForm({ ...form, from })}
        />
        <FilterInput
          label={t("dashboard.to")}
          errors={errors.to}
          hint={t("dashboard.monthHint")}
          type="month"
          value={form.to}
          onChange={(to) => setForm({ ...form, to })}
        />
        {everyCustomer && (
          <Field label={t("dashboard.organisation")} errors={errors.organisationId}>
            {(p) => (
              <select
                {...p}
                value={form.organisation}
                onChange={(e) => setForm({ ...form, organisation: e.target.value })}
              >
                <option value="">{t("dashboard.allCustomers")}</option>
                {data.status === "ready" &&
                  data.data.organisations.map((o) => (
                    <option key={o.id} value={o.id}>
                      {o.name}
                    </option>
                  ))}
              </select>
            )}
          </Field>
        )}
        <Field label={t("dashboard.currency")} hint={t("dashboard.currencyHint")}>
          {(p) => (
            <select
              {...p}
              value={form.currency || currency}
              onChange={(e) => setForm({ ...form, currency: e.target.value })}
            >
              {currencies.length === 0 && <option value="">—</option>}
              {currencies.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t("dashboard.measure")}>
          {(p) => (
            <select
              {...p}
              value={form.measure}
              onChange={(e) => setForm({ ...form, measure: e.target.value === "count" ? "count" : "amount" })}
            >
              <option value="amount">{t("dashboard.measureAmount")}</option>
              <option value="count">{t("dashboard.measureCount")}</option>
            </select>
          )}
        </Field>
        <FilterActions
          onClear={() => {
            setForm({ from: "", to: "", organisation: "", currency: "", measure: "amount" });
            navigate(paths.dashboard());
          }}
        />
      </form>
      {data.status === "loading" && <Loading />}
      {data.status === "error" && <ErrorState problem={data.problem} onRetry={() => void data.reload()} />}
      {data.status === "ready" && <Figures d={data.data.dashboard} filters={{ ...applied, currency }} />}
    </section>
  );
}
