import { type FormEvent, useState } from "react";
import { get, getAll, query } from "../../api/client";
import type { CaseSummary, Organisation, Page } from "../../api/types";
import {
  Badge,
  Empty,
  ErrorState,
  Field,
  FilterActions,
  FilterInput,
  fieldErrors,
  Instant,
  Loading,
  Money,
  PageTitle,
  StatusBadge,
} from "../../components/ui";
import { useI18n } from "../../i18n/i18n";
import { useLoad } from "../../lib/use-api";
import { Link, navigate, paths } from "../../router";

/** The server's case states (src/cases/lifecycle.ts), drafts left out: they are not in anyone's queue. */
export const QUEUE_STATES = [
  "submitted",
  "in_review",
  "awaiting_customer",
  "escalated",
  "awaiting_verification",
  "decided",
  "appealed",
  "in_second_review",
  "closed",
  "withdrawn",
] as const;

interface Filters {
  state: string;
  queue: string;
  overdue: string;
}

export function QueuePage({ params }: { params: URLSearchParams }) {
  const { t, label } = useI18n();
  const applied: Filters = {
    state: params.get("state") ?? "",
    queue: params.get("queue") ?? "",
    overdue: params.get("overdue") ?? "",
  };
  const [form, setForm] = useState<Filters>(applied);
  const data = useLoad(`queue:${params.toString()}`, async (signal) => {
    const [page, organisations] = await Promise.all([
      get<Page<CaseSummary>>(`/cases${query({ ...applied, limit: 200 })}`, signal),
      getAll<Organisation>("/organisations", signal),
    ]);
    // The server orders by deadline, which already puts overdue cases first; made explicit here so
    // the rule holds whatever the server's tie-breaks.
    const items = [...page.items].sort((a, b) => Number(b.overdue) - Number(a.overdue));
    return { items, more: page.nextCursor !== null, organisations };
  });
  const errors = data.status === "error" ? fieldErrors(data.problem) : {};
  const orgName = (id: string) =>
    data.status === "ready" ? (data.data.organisations.find((o) => o.id === id)?.name ?? id) : id;

  function apply(e: FormEvent) {
    e.preventDefault();
    navigate(paths.queue(query({ ...form })));
  }

  return (
    <section>
      <PageTitle title={t("queue.title")}>{t("queue.title")}</PageTitle>
      <form className="filters" onSubmit={apply} aria-label={t("queue.filters")}>
        <Field label={t("filter.state")} errors={errors.state}>
          {(p) => (
            <select {...p} value={form.state} onChange={(e) => setForm({ ...form, state: e.target.value })}>
              <option value="">{t("filter.anyOpenState")}</option>
              {QUEUE_STATES.map((s) => (
                <option key={s} value={s}>
                  {label("state", s)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <FilterInput
          label={t("filter.queue")}
          errors={errors.queue}
          hint={t("filter.queueHint")}
          list="queue-names"
          value={form.queue}
          onChange={(queue) => setForm({ ...form, queue })}
        />
        <Field label={t("filter.deadline")} errors={errors.overdue}>
          {(p) => (
            <select
              {...p}
              value={form.overdue}
              onChange={(e) => setForm({ ...form, overdue: e.target.value })}
            >
              <option value="">{t("filter.anyDeadline")}</option>
              <option value="true">{t("filter.overdueOnly")}</option>
              <option value="false">{t("filter.notOverdue")}</option>
            </select>
          )}
        </Field>
        <FilterActions
          onClear={() => {
            setForm({ state: "", queue: "", overdue: "" });
            navigate(paths.queue());
          }}
        />
        <datalist id="queue-names">
          {data.status === "ready" &&
            [...new Set(data.data.items.map((c) => c.queue))].map((q) => <option key={q} value={q} />)}
        </datalist>
      </form>
      {data.status === "loading" && <Loading />}
      {data.status === "error" && <ErrorState problem={data.problem} onRetry={() => void data.reload()} />}
      {data.status === "ready" && data.data.items.length === 0 && <Empty>{t("queue.empty")}</Empty>}
      {data.status === "ready" && data.data.items.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">{t("queue.title")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("col.ticket")}</th>
                <th scope="col">{t("col.customer")}</th>
                <th scope="col">{t("col.summary")}</th>
                <th scope="col" className="num">
                  {t("col.amount")}
                </th>
                <th scope="col">{t("col.status")}</th>
                <th scope="col">{t("col.expectedDecision")}</th>
                <th scope="col">{t("col.risk")}</th>
                <th scope="col">{t("col.queue")}</th>
              </tr>
            </thead>
            <tbody>
              {data.data.items.map((c) => (
                <tr key={c.id} className={c.overdue ? "overdue" : undefined}>
                  <td>
                    <Link className="ticket-link" href={paths.workbench(c.id)}>
                      {c.ticketNumber ?? c.id}
                    </Link>
                  </td>
                  <td>{orgName(c.organisationId)}</td>
                  <td>
                    {c.summary}
                    <div className="sub">{label("reason", c.reason)}</div>
                  </td>
                  <td className="num">
                    <Money amount={c.amount} currency={c.currency} />
                  </td>
                  <td>
                    <StatusBadge state={c.state} />
                    {c.assignedRole === "senior_reviewer" && <Badge tone="warn">{t("queue.senior")}</Badge>}
                  </td>
                  <td>
                    {c.overdue && <Badge tone="bad">{t("case.overdue")}</Badge>}{" "}
                    {c.expectedDecisionBy ? <Instant at={c.expectedDecisionBy.at} /> : "—"}
                  </td>
                  <td>
                    {c.riskSignals.length === 0 ? (
                      <span className="sub">{t("queue.noRisk")}</span>
                    ) : (
                      <ul className="plain">
                        {c.riskSignals.map((r) => (
                          <li key={r}>
                            <Badge tone="warn">{label("risk", r)}</Badge>
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                  <td>{c.queue}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {data.data.more && <p className="hint">{t("queue.more")}</p>}
        </div>
      )}
    </section>
  );
}
