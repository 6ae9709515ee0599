import { get, getAll } from "../../api/client";
import type { AuditRun, CaseSummary, CustomerPayout, Finding } from "../../api/types";
import { PAYOUTS_IN_FLIGHT, PayoutStatus } from "../../components/case-parts";
import { Empty, ErrorState, Instant, Loading, Money, PageTitle, StatusBadge } from "../../components/ui";
import { useI18n } from "../../i18n/i18n";
import { sumDecimals } from "../../lib/money";
import { useLoad } from "../../lib/use-api";
import { Link, paths } from "../../router";
import type { Abilities } from "../../session";

/** Cases still on their way to a decision (decided, closed and withdrawn ones are listed apart). */
const SETTLED = ["decided", "closed", "withdrawn"];

export function byCurrency(
  findings: readonly Finding[],
): Array<{ currency: string; total: string; open: string; count: number }> {
  const currencies = [...new Set(findings.map((f) => f.currency))].sort();
  return currencies.map((currency) => {
    const mine = findings.filter((f) => f.currency === currency);
    return {
      currency,
      total: sumDecimals(mine.map((f) => f.amount)),
      open: sumDecimals(mine.filter((f) => f.status === "open").map((f) => f.amount)),
      count: mine.length,
    };
  });
}

export function CaseTable({ cases, caption }: { cases: readonly CaseSummary[]; caption: string }) {
  const { t, label } = useI18n();
  return (
    <div className="table-wrap">
      <table>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{t("col.ticket")}</th>
            <th scope="col">{t("col.summary")}</th>
            <th scope="col">{t("col.status")}</th>
            <th scope="col" className="num">
              {t("col.amount")}
            </th>
            <th scope="col">{t("col.expectedDecision")}</th>
          </tr>
        </thead>
        <tbody>
          {cases.map((c) => (
            <tr key={c.id}>
              <td>
                <Link className="ticket-link" href={paths.case(c.id)}>
                  {c.ticketNumber ?? t("case.draft")}
                </Link>
              </td>
              <td>
                {c.summary}
                <div className="sub">{label("reason", c.reason)}</div>
              </td>
              <td>
                <StatusBadge state={c.state} />
                {c.overdue && <span className="badge badge-bad">{t("case.overdue")}</span>}
              </td>
              <td className="num">
                <Money amount={c.amount} currency={c.currency} />
              </td>
              <td>{c.expectedDecisionBy ? <Instant at={c.expectedDecisionBy.at} /> : "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Refunds to the original payment method: in flight first (with their total), then the latest settled. */
function RefundsSection({ payouts }: { payouts: readonly CustomerPayout[] }) {
  const { t } = useI18n();
  const inFlight = payouts.filter((p) => PAYOUTS_IN_FLIGHT.includes(p.status));
  const currencies = [...new Set(inFlight.map((p) => p.currency))].sort();
  return (
    <section aria-labelledby="refunds-heading" className="panel">
      <h2 id="refunds-heading">{t("overview.refunds")}</h2>
      {payouts.length === 0 ? (
        <Empty>{t("overview.noRefunds")}</Empty>
      ) : (
        <>
          <p>
            {t("overview.inFlight")}{" "}
            {currencies.length === 0
              ? t("overview.noneInFlight")
              : currencies.map((cur, i) => (
                  <span key={cur}>
                    {i > 0 && ", "}
                    <Money
                      amount={sumDecimals(inFlight.filter((p) => p.currency === cur).map((p) => p.amount))}
                      currency={cur}
                    />
                  </span>
                ))}
          </p>
          <div className="table-wrap">
            <table>
              <caption className="visually-hidden">{t("overview.refunds")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("col.ticket")}</th>
                  <th scope="col" className="num">
                    {t("col.amount")}
                  </th>
                  <th scope="col">{t("col.status")}</th>
                  <th scope="col">{t("payout.sent")}</th>
                  <th scope="col">{t("payout.settled")}</th>
                </tr>
              </thead>
              <tbody>
                {/* In flight first; the API lists newest first within each group. */}
                {[...inFlight, ...payouts.filter((p) => !PAYOUTS_IN_FLIGHT.includes(p.status))].map((p) => (
                  <tr key={p.id}>
                    <td>
                      <Link className="ticket-link" href={paths.case(p.caseId)}>
                        {p.ticketNumber ?? p.caseId}
                      </Link>
                    </td>
                    <td className="num">
                      <Money amount={p.amount} currency={p.currency} />
                    </td>
                    <td>
                      <PayoutStatus status={p.status} />
                    </td>
                    <td>
                      <Instant at={p.submittedAt} />
                    </td>
                    <td>
                      <Instant at={p.settledAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

export function OverviewPage({ abilities }: { abilities: Abilities }) {
  const { t } = useI18n();
  const org = abilities.organisation!;
  const data = useLoad(`overview:${org.id}`, async (signal) => {
    const [findings, audits, cases, payouts] = await Promise.all([
      getAll<Finding>(`/organisations/${org.id}/findings?claimable=true`, signal),
      get<{ items: AuditRun[] }>(`/organisations/${org.id}/audits`, signal),
      getAll<CaseSummary>(`/organisations/${org.id}/cases`, signal, 400),
      get<{ items: CustomerPayout[] }>(`/organisations/${org.id}/payouts?limit=50`, signal),
    ]);
    return {
      findings: findings.filter((f) => f.status !== "resolved"),
      audits: audits.items,
      cases,
      payouts: payouts.items,
    };
  });

  return (
    <section>
      <PageTitle title={t("overview.title")}>{t("overview.title")}</PageTitle>
      {data.status === "loading" && <Loading />}
      {data.status === "error" && <ErrorState problem={data.problem} onRetry={() => void data.reload()} />}
      {data.status === "ready" && (
        <>
          <section aria-labelledby="refundable-heading" className="panel">
            <h2 id="refundable-heading">{t("overview.refundable")}</h2>
            <p className="hint">{t("overview.refundableHint")}</p>
            {data.data.findings.length === 0 ? (
              <Empty>{t("overview.noRefundable")}</Empty>
            ) : (
              <ul className="tiles">
                {byCurrency(data.data.findings).map((c) => (
                  <li key={c.currency} className="tile">
                    <span className="tile-figure">
                      <Money amount={c.total} currency={c.currency} />
                    </span>
                    <span className="tile-label">{t("overview.findingsCount", { count: c.count })}</span>
                    <span className="tile-label">
                      {t("overview.notFiled")} <Money amount={c.open} currency={c.currency} />
                    </span>
                  </li>
                ))}
              </ul>
            )}
            {data.data.audits[0]?.finishedAt && (
              <p className="hint">
                {t("overview.lastAudit")} <Instant at={data.data.audits[0].finishedAt} />
              </p>
            )}
            <p>
              <Link href={paths.findings()} className="button-link">
                {t("overview.viewFindings")}
              </Link>
            </p>
          </section>
          <section aria-labelledby="open-heading" className="panel">
            <h2 id="open-heading">{t("overview.openCases")}</h2>
            {data.data.cases.filter((c) => !SETTLED.includes(c.state) && c.state !== "draft").length === 0 ? (
              <Empty>{t("overview.noOpenCases")}</Empty>
            ) : (
              <CaseTable
                caption={t("overview.openCases")}
                cases={data.data.cases.filter((c) => !SETTLED.includes(c.state) && c.state !== "draft")}
              />
            )}
          </section>
          <RefundsSection payouts={data.data.payouts} />
          {data.data.cases.some((c) => c.state === "draft") && (
            <section aria-labelledby="drafts-heading" className="panel">
              <h2 id="drafts-heading">{t("overview.drafts")}</h2>
              <CaseTable
                caption={t("overview.drafts")}
                cases={data.data.cases.filter((c) => c.state === "draft")}
              />
            </section>
          )}
          <section aria-labelledby="settled-heading" className="panel">
            <h2 id="settled-heading">{t("overview.settledCases")}</h2>
            {data.data.cases.filter((c) => SETTLED.includes(c.state)).length === 0 ? (
              <Empty>{t("overview.noSettledCases")}</Empty>
            ) : (
              <CaseTable
                caption={t("overview.settledCases")}
                cases={data.data.cases.filter((c) => SETTLED.includes(c.state))}
              />
            )}
          </section>
        </>
      )}
    </section>
  );
}
