import { get, getAll } from "../../api/client";
import type {
  Account,
  AuditRun,
  CaseSummary,
  Credit,
  CreditsPage,
  CustomerPayout,
  Finding,
} from "../../api/types";
import { PAYOUTS_IN_FLIGHT, PayoutStatus } from "../../components/case-parts";
import {
  Badge,
  DataTable,
  Empty,
  ErrorState,
  Instant,
  Loading,
  Money,
  PageTitle,
  StatusBadge,
} from "../../components/ui";
import { useI18n } from "../../i18n/i18n";
import { sumDecimals } from "../../lib/money";
import { useLoad } from "../../lib/use-api";
import { Link, paths } from "../../router";
import type { Abilities } from "../../session";
import { accountName, loadAccounts } from "./shared";

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

/** The exact sum of `amountOf` in each currency, the currencies in alphabetical order. */
function sumByCurrency<T extends { currency: string }>(
  items: readonly T[],
  amountOf: (item: T) => string,
): Array<{ currency: string; amount: string }> {
  return [...new Set(items.map((i) => i.currency))].sort().map((currency) => ({
    currency,
    amount: sumDecimals(items.filter((i) => i.currency === currency).map(amountOf)),
  }));
}

export function CaseTable({ cases, caption }: { cases: readonly CaseSummary[]; caption: string }) {
  const { t, label } = useI18n();
  return (
    <DataTable
      caption={caption}
      columns={[
        t("col.ticket"),
        t("col.summary"),
        t("col.status"),
        { num: t("col.amount") },
        t("col.expectedDecision"),
      ]}
    >
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
    </DataTable>
  );
}

/** A credit expiring within this many days is flagged on the overview. */
export const SOON_DAYS = 30;
const DAY_MS = 86_400_000;

/** Whole days until `expiresAt` (rounded up), or null when it is further away than SOON_DAYS. */
export function daysToExpiry(expiresAt: string, now: number = Date.now()): number | null {
  const left = Date.parse(expiresAt) - now;
  if (Number.isNaN(left) || left > SOON_DAYS * DAY_MS) return null;
  return Math.max(0, Math.ceil(left / DAY_MS));
}

/** Every account's credits that can still be spent (active, not expired, something left), soonest expiry first. */
async function loadCredits(accounts: readonly Account[], signal: AbortSignal): Promise<Credit[]> {
  const pages = await Promise.all(
    accounts.map((a) =>
      get<CreditsPage>(`/accounts/${encodeURIComponent(a.id)}/credits?status=active&limit=200`, signal),
    ),
  );
  return pages
    .flatMap((p) => p.items)
    .filter((c) => c.status === "active" && !/^0*(?:\.0*)?$/.test(c.remaining))
    .sort((a, b) => (a.expiresAt < b.expiresAt ? -1 : a.expiresAt > b.expiresAt ? 1 : 0));
}

/** Account credits the next invoices consume: what remains, where it applies and when it expires. */
function CreditsSection({
  credits,
  accounts,
  cases,
}: {
  credits: readonly Credit[];
  accounts: readonly Account[];
  cases: readonly CaseSummary[];
}) {
  const { t } = useI18n();
  const available = sumByCurrency(credits, (c) => c.remaining);
  const scopeText = (c: Credit) =>
    [
      c.scope.services.length ? c.scope.services.join(", ") : t("overview.creditAnyService"),
      c.scope.regions.length ? c.scope.regions.join(", ") : t("overview.creditAnyRegion"),
    ].join(" · ");
  return (
    <section aria-labelledby="credits-heading" className="panel">
      <h2 id="credits-heading">{t("overview.credits")}</h2>
      <p className="hint">{t("overview.creditsHint", { days: SOON_DAYS })}</p>
      {credits.length === 0 ? (
        <Empty>{t("overview.noCredits")}</Empty>
      ) : (
        <>
          <ul className="tiles">
            {available.map((x) => (
              <li key={x.currency} className="tile">
                <span className="tile-figure">
                  <Money amount={x.amount} currency={x.currency} />
                </span>
                <span className="tile-label">{t("overview.creditAvailable")}</span>
              </li>
            ))}
          </ul>
          <DataTable
            caption={t("overview.credits")}
            columns={[
              t("kyc.account"),
              { num: t("overview.creditRemaining") },
              { num: t("overview.creditGranted") },
              t("overview.creditScope"),
              t("overview.creditExpires"),
              t("col.ticket"),
            ]}
          >
            {credits.map((c) => {
              const days = daysToExpiry(c.expiresAt);
              const ticket = cases.find((k) => k.id === c.caseId)?.ticketNumber ?? c.caseId;
              return (
                <tr key={c.id} className={days === null ? undefined : "soon"}>
                  <td>{accountName(accounts, c.accountId)}</td>
                  <td className="num">
                    <Money amount={c.remaining} currency={c.currency} />
                  </td>
                  <td className="num">
                    <Money amount={c.amount} currency={c.currency} />
                  </td>
                  <td>{scopeText(c)}</td>
                  <td>
                    <Instant at={c.expiresAt} />
                    {days !== null && (
                      <>
                        {" "}
                        <Badge tone="warn">
                          {days === 0
                            ? t("overview.creditExpiresToday")
                            : t("overview.creditExpiresIn", { days })}
                        </Badge>
                      </>
                    )}
                  </td>
                  <td>
                    {c.caseId ? (
                      <Link className="ticket-link" href={paths.case(c.caseId)}>
                        {ticket}
                      </Link>
                    ) : (
                      "—"
                    )}
                  </td>
                </tr>
              );
            })}
          </DataTable>
        </>
      )}
    </section>
  );
}

/** Refunds to the original payment method: in flight first (with their total), then the latest settled. */
function RefundsSection({ payouts }: { payouts: readonly CustomerPayout[] }) {
  const { t } = useI18n();
  const inFlight = payouts.filter((p) => PAYOUTS_IN_FLIGHT.includes(p.status));
  const inFlightTotals = sumByCurrency(inFlight, (p) => p.amount);
  return (
    <section aria-labelledby="refunds-heading" className="panel">
      <h2 id="refunds-heading">{t("overview.refunds")}</h2>
      {payouts.length === 0 ? (
        <Empty>{t("overview.noRefunds")}</Empty>
      ) : (
        <>
          <p>
            {t("overview.inFlight")}{" "}
            {inFlightTotals.length === 0
              ? t("overview.noneInFlight")
              : inFlightTotals.map((x, i) => (
                  <span key={x.currency}>
                    {i > 0 && ", "}
                    <Money amount={x.amount} currency={x.currency} />
                  </span>
                ))}
          </p>
          <DataTable
            caption={t("overview.refunds")}
            columns={[
              t("col.ticket"),
              { num: t("col.amount") },
              t("col.status"),
              t("payout.sent"),
              t("payout.settled"),
            ]}
          >
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
          </DataTable>
        </>
      )}
    </section>
  );
}

export function OverviewPage({ abilities }: { abilities: Abilities }) {
  const { t } = useI18n();
  const org = abilities.organisation!;
  const data = useLoad(`overview:${org.id}`, async (signal) => {
    const [findings, audits, cases, payouts, accounts] = await Promise.all([
      getAll<Finding>(`/organisations/${org.id}/findings?claimable=true`, signal),
      get<{ items: AuditRun[] }>(`/organisations/${org.id}/audits`, signal),
      getAll<CaseSummary>(`/organisations/${org.id}/cases`, signal, 400),
      get<{ items: CustomerPayout[] }>(`/organisations/${org.id}/payouts?limit=50`, signal),
      loadAccounts(org.id, signal),
    ]);
    return {
      findings: findings.filter((f) => f.status !== "resolved"),
      audits: audits.items,
      cases,
      payouts: payouts.items,
      accounts,
      credits: await loadCredits(accounts, signal),
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
          <CreditsSection credits={data.data.credits} accounts={data.data.accounts} cases={data.data.cases} />
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
