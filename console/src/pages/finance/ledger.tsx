import { type FormEvent, useState } from "react";
import { ApiError, get, getAll, query } from "../../api/client";
import type {
  Account,
  CaseSummary,
  JournalEntry,
  LedgerAmounts,
  LedgerBalance,
  Organisation,
  Page,
  Problem,
  TrialBalance,
} from "../../api/types";
import {
  Badge,
  Empty,
  ErrorState,
  Field,
  FilterActions,
  FilterInput,
  Instant,
  Loading,
  Money,
  PageTitle,
} from "../../components/ui";
import { useI18n } from "../../i18n/i18n";
import { useLoad } from "../../lib/use-api";
import { navigate, paths } from "../../router";
import { loadOrganisations } from "./shared";

/** The chart's ledger codes (src/ledger/chart.ts), in the chart's order. */
export const LEDGER_CODES = [
  "customer_credit",
  "refunds_payable",
  "gateway_clearing",
  "refunds_contra_revenue",
  "sla_credit_expense",
  "accounts_receivable",
  "credit_breakage",
] as const;

const ENTRIES_PAGE = 100;

interface Filters {
  organisation: string;
  code: string;
  caseId: string;
  from: string;
  to: string;
}

/** The debit, credit and balance column headings of a table of ledger amounts. */
function AmountHeadings() {
  const { t } = useI18n();
  return (
    <>
      <th scope="col" className="num">
        {t("finance.ledger.debit")}
      </th>
      <th scope="col" className="num">
        {t("finance.ledger.credit")}
      </th>
      <th scope="col" className="num">
        {t("finance.ledger.balance")}
      </th>
    </>
  );
}

/** The debit, credit and balance cells of one row of ledger amounts. */
function AmountCells({ amounts, currency }: { amounts: LedgerAmounts; currency: string }) {
  return (
    <>
      <td className="num">
        <Money amount={amounts.debit} currency={currency} />
      </td>
      <td className="num">
        <Money amount={amounts.credit} currency={currency} />
      </td>
      <td className="num">
        <Money amount={amounts.balance} currency={currency} />
      </td>
    </>
  );
}

function Balances({
  balances,
  accounts,
}: {
  balances: readonly LedgerBalance[];
  accounts: ReadonlyMap<string, string>;
}) {
  const { t, label } = useI18n();
  if (balances.length === 0) return <Empty>{t("finance.ledger.noBalances")}</Empty>;
  return (
    <div className="table-wrap">
      <table>
        <caption className="visually-hidden">{t("finance.ledger.balances")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("finance.ledger.code")}</th>
            <th scope="col">{t("finance.ledger.customerAccount")}</th>
            <th scope="col">{t("dashboard.currency")}</th>
            <AmountHeadings />
          </tr>
        </thead>
        <tbody>
          {balances.map((b) => (
            <tr key={b.ledgerAccountId}>
              <th scope="row">
                {label("finance.code", b.code)}
                <div className="sub">
                  <code>{b.code}</code> · {label("finance.normal", b.normalBalance)}
                </div>
              </th>
              <td>{b.accountId ? (accounts.get(b.accountId) ?? <code>{b.accountId}</code>) : "—"}</td>
              <td>{b.currency}</td>
              <AmountCells amounts={b} currency={b.currency} />
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Entries({
  organisationId,
  filters,
  tickets,
  accounts,
}: {
  organisationId: string;
  filters: Filters;
  tickets: ReadonlyMap<string, string>;
  accounts: ReadonlyMap<string, string>;
}) {
  const { t, label } = useI18n();
  const [more, setMore] = useState<{ items: JournalEntry[]; cursor: string | null; busy: boolean }>({
    items: [],
    cursor: null,
    busy: false,
  });
  const [moreProblem, setMoreProblem] = useState<Problem | null>(null);
  const base = `/organisations/${encodeURIComponent(organisationId)}/ledger/entries${query({
    code: filters.code,
    caseId: filters.caseId,
    from: filters.from,
    to: filters.to,
    limit: ENTRIES_PAGE,
  })}`;
  const data = useLoad(`finance:entries:${base}`, async (signal) => {
    const page = await get<Page<JournalEntry>>(base, signal);
    setMore({ items: [], cursor: page.nextCursor, busy: false });
    return page.items;
  });
  async function loadMore() {
    if (!more.cursor) return;
    setMore({ ...more, busy: true });
    setMoreProblem(null);
    try {
      const page = await get<Page<JournalEntry>>(`${base}&cursor=${encodeURIComponent(more.cursor)}`);
      setMore({ items: [...more.items, ...page.items], cursor: page.nextCursor, busy: false });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      setMoreProblem(error.problem);
      setMore({ ...more, busy: false });
    }
  }
  if (data.status === "loading") return <Loading />;
  if (data.status === "error")
    return <ErrorState problem={data.problem} onRetry={() => void data.reload()} />;
  const entries = [...data.data, ...more.items];
  if (entries.length === 0) return <Empty>{t("finance.ledger.noEntries")}</Empty>;
  return (
    <>
      <div className="table-wrap">
        <table className="entries">
          <caption className="visually-hidden">{t("finance.ledger.entries")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("finance.ledger.effective")}</th>
              <th scope="col">{t("finance.ledger.entry")}</th>
              <th scope="col">{t("col.ticket")}</th>
              <th scope="col">{t("finance.ledger.code")}</th>
              <th scope="col" className="num">
                {t("finance.ledger.debit")}
              </th>
              <th scope="col" className="num">
                {t("finance.ledger.credit")}
              </th>
            </tr>
          </thead>
          {entries.map((e) => (
            <tbody key={e.id} className="entry">
              {e.lines.map((l, i) => (
                <tr key={l.id}>
                  {i === 0 && (
                    <>
                      <td rowSpan={e.lines.length}>
                        <Instant at={e.effectiveAt} />
                      </td>
                      <td rowSpan={e.lines.length}>
                        <strong>{label("finance.entryKind", e.kind)}</strong>
                        <div className="sub">{e.description}</div>
                        <div className="sub">
                          <code>{e.postingKey}</code>
                        </div>
                      </td>
                      <td rowSpan={e.lines.length}>
                        {e.caseId ? <span className="ticket">{tickets.get(e.caseId) ?? e.caseId}</span> : "—"}
                      </td>
                    </>
                  )}
                  <td>
                    {label("finance.code", l.code)}
                    {l.accountId && <div className="sub">{accounts.get(l.accountId) ?? l.accountId}</div>}
                  </td>
                  <td className="num">{l.debit ? <Money amount={l.debit} currency={l.currency} /> : ""}</td>
                  <td className="num">{l.credit ? <Money amount={l.credit} currency={l.currency} /> : ""}</td>
                </tr>
              ))}
            </tbody>
          ))}
        </table>
      </div>
      {moreProblem && <ErrorState problem={moreProblem} />}
      {more.cursor && (
        <button type="button" className="secondary" disabled={more.busy} onClick={() => void loadMore()}>
          {t("action.loadMore")}
        </button>
      )}
    </>
  );
}

function TrialBalanceView() {
  const { t, label } = useI18n();
  const data = useLoad("finance:trial-balance", (signal) =>
    get<TrialBalance>("/ledger/trial-balance", signal),
  );
  if (data.status === "loading") return <Loading />;
  if (data.status === "error")
    return <ErrorState problem={data.problem} onRetry={() => void data.reload()} />;
  if (data.data.currencies.length === 0) return <Empty>{t("finance.ledger.noBalances")}</Empty>;
  return (
    <>
      {data.data.currencies.map((c) => (
        <div key={c.currency} className="table-wrap" data-currency={c.currency}>
          <table>
            <caption>
              {t("finance.ledger.trialCurrency", { currency: c.currency })}{" "}
              {c.balanced ? (
                <Badge tone="good">{t("finance.ledger.balanced")}</Badge>
              ) : (
                <Badge tone="bad">{t("finance.ledger.unbalanced", { difference: c.difference })}</Badge>
              )}
            </caption>
            <thead>
              <tr>
                <th scope="col">{t("finance.ledger.code")}</th>
                <AmountHeadings />
              </tr>
            </thead>
            <tbody>
              {c.rows.map((r) => (
                <tr key={r.code}>
                  <th scope="row">
                    {label("finance.code", r.code)} <code className="sub">{r.code}</code>
                  </th>
                  <AmountCells amounts={r} currency={c.currency} />
                </tr>
              ))}
              <tr className="total">
                <th scope="row">{t("dashboard.total")}</th>
                <td className="num" data-total="debit">
                  <Money amount={c.totalDebit} currency={c.currency} />
                </td>
                <td className="num" data-total="credit">
                  <Money amount={c.totalCredit} currency={c.currency} />
                </td>
                <td />
              </tr>
            </tbody>
          </table>
        </div>
      ))}
    </>
  );
}

/** A link to the accounting export (CSV) of one organisation for the period chosen here. */
function Export({ organisation }: { organisation: Organisation }) {
  const { t } = useI18n();
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const ready = from !== "" && to !== "" && from <= to;
  const href = `/organisations/${encodeURIComponent(organisation.id)}/ledger/export.csv${query({ from, to })}`;
  return (
    <>
      <p className="hint">{t("finance.export.intro")}</p>
      <div className="row">
        <Field label={t("finance.export.from")}>
          {(p) => <input {...p} type="date" value={from} onChange={(e) => setFrom(e.target.value)} />}
        </Field>
        <Field label={t("finance.export.to")}>
          {(p) => <input {...p} type="date" value={to} onChange={(e) => setTo(e.target.value)} />}
        </Field>
      </div>
      {ready ? (
        <p>
          <a className="button-link" href={href} download>
            {t("finance.export.download", { organisation: organisation.name, from, to })}
          </a>
        </p>
      ) : (
        <p className="hint">{from && to ? t("finance.export.reversed") : t("finance.export.choose")}</p>
      )}
    </>
  );
}

function OrganisationLedger({ organisation, filters }: { organisation: Organisation; filters: Filters }) {
  const { t, label } = useI18n();
  const [form, setForm] = useState<Filters>(filters);
  const data = useLoad(`finance:ledger:${organisation.id}`, async (signal) => {
    const id = encodeURIComponent(organisation.id);
    const [balances, cases, accounts] = await Promise.all([
      get<{ items: LedgerBalance[] }>(`/organisations/${id}/ledger/balances`, signal),
      getAll<CaseSummary>(`/organisations/${id}/cases`, signal, 1000),
      getAll<Account>(`/organisations/${id}/accounts`, signal),
    ]);
    return { balances: balances.items, cases, accounts };
  });
  const accounts = new Map(
    data.status === "ready" ? data.data.accounts.map((a) => [a.id, a.name] as const) : [],
  );
  const tickets = new Map(
    data.status === "ready" ? data.data.cases.map((c) => [c.id, c.ticketNumber ?? c.id] as const) : [],
  );
  function apply(e: FormEvent) {
    e.preventDefault();
    navigate(paths.financeLedger(query({ ...form })));
  }
  return (
    <>
      <section className="panel" aria-labelledby="balances-heading">
        <h2 id="balances-heading">{t("finance.ledger.balancesOf", { organisation: organisation.name })}</h2>
        {data.status === "loading" && <Loading />}
        {data.status === "error" && <ErrorState problem={data.problem} onRetry={() => void data.reload()} />}
        {data.status === "ready" && <Balances balances={data.data.balances} accounts={accounts} />}
      </section>
      <section className="panel" aria-labelledby="entries-heading">
        <h2 id="entries-heading">{t("finance.ledger.entries")}</h2>
        <form className="filters" onSubmit={apply} aria-label={t("finance.ledger.filterEntries")}>
          <Field label={t("finance.ledger.code")}>
            {(p) => (
              <select {...p} value={form.code} onChange={(e) => setForm({ ...form, code: e.target.value })}>
                <option value="">{t("finance.ledger.anyCode")}</option>
                {LEDGER_CODES.map((c) => (
                  <option key={c} value={c}>
                    {label("finance.code", c)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label={t("finance.ledger.case")}>
            {(p) => (
              <select
                {...p}
                value={form.caseId}
                onChange={(e) => setForm({ ...form, caseId: e.target.value })}
              >
                <option value="">{t("finance.ledger.anyCase")}</option>
                {data.status === "ready" &&
                  data.data.cases
                    .filter((c) => c.ticketNumber)
                    .map((c) => (
                      <option key={c.id} value={c.id}>
                        {c.ticketNumber} · {c.summary}
                      </option>
                    ))}
              </select>
            )}
          </Field>
          <FilterInput
            label={t("finance.ledger.from")}
            hint={t("finance.ledger.dateHint")}
            type="date"
            value={form.from}
            onChange={(from) => setForm({ ...form, from })}
          />
          <FilterInput
            label={t("finance.ledger.to")}
            hint={t("finance.ledger.dateHint")}
            type="date"
            value={form.to}
            onChange={(to) => setForm({ ...form, to })}
          />
          <FilterActions
            onClear={() => {
              setForm({ organisation: organisation.id, code: "", caseId: "", from: "", to: "" });
              navigate(paths.financeLedger(query({ organisation: organisation.id })));
            }}
          />
        </form>
        <Entries organisationId={organisation.id} filters={filters} tickets={tickets} accounts={accounts} />
      </section>
      <section className="panel" aria-labelledby="export-heading">
        <h2 id="export-heading">{t("finance.export.title")}</h2>
        <Export organisation={organisation} />
      </section>
    </>
  );
}

/**
 * The ledger explorer: an organisation's balances per ledger code, account and currency; its journal
 * entries by code, case and period; the accounting export; and the provider-wide trial balance.
 */
export function LedgerPage({ params }: { params: URLSearchParams }) {
  const { t } = useI18n();
  const organisations = useLoad("finance:organisations", loadOrganisations);
  const wanted = params.get("organisation") ?? "";
  const list = organisations.status === "ready" ? organisations.data : [];
  const organisation = list.find((o) => o.id === wanted) ?? list[0] ?? null;
  const [chosen, setChosen] = useState(wanted);
  const filters: Filters = {
    organisation: organisation?.id ?? "",
    code: params.get("code") ?? "",
    caseId: params.get("caseId") ?? "",
    from: params.get("from") ?? "",
    to: params.get("to") ?? "",
  };
  return (
    <section>
      <PageTitle title={t("finance.ledger.title")}>{t("finance.ledger.title")}</PageTitle>
      <p className="lead">{t("finance.ledger.intro")}</p>
      {organisations.status === "loading" && <Loading />}
      {organisations.status === "error" && (
        <ErrorState problem={organisations.problem} onRetry={() => void organisations.reload()} />
      )}
      {organisations.status === "ready" && list.length === 0 && (
        <Empty>{t("finance.ledger.noOrganisations")}</Empty>
      )}
      {organisation && (
        <>
          <form
            className="filters"
            aria-label={t("finance.ledger.chooseOrganisation")}
            onSubmit={(e) => {
              e.preventDefault();
              navigate(paths.financeLedger(query({ organisation: chosen || organisation.id })));
            }}
          >
            <Field label={t("finance.ledger.organisation")}>
              {(p) => (
                <select {...p} value={chosen || organisation.id} onChange={(e) => setChosen(e.target.value)}>
                  {list.map((o) => (
                    <option key={o.id} value={o.id}>
                      {o.name}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <div className="filter-actions">
              <button type="submit">{t("finance.ledger.show")}</button>
            </div>
          </form>
          <OrganisationLedger key={organisation.id} organisation={organisation} filters={filters} />
        </>
      )}
      <section className="panel" aria-labelledby="trial-heading">
        <h2 id="trial-heading">{t("finance.ledger.trial")}</h2>
        <p className="hint">{t("finance.ledger.trialHint")}</p>
        <TrialBalanceView />
      </section>
    </section>
  );
}
