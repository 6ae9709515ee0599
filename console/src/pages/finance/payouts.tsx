import { useState } from "react";
import { api, get, newIdempotencyKey, query } from "../../api/client";
import type { Page, Payout } from "../../api/types";
import { Empty, ErrorState, Instant, Loading, Money, PageTitle, ProblemAlert } from "../../components/ui";
import { useI18n } from "../../i18n/i18n";
import { useAction } from "../../lib/use-action";
import { useLoad } from "../../lib/use-api";
import { Link, paths } from "../../router";
import { loadOrganisations, organisationName, PAYOUT_STATES, PayoutBadge } from "./shared";

/**
 * What `POST /payouts/{id}/retry` accepts (src/settlement/retry-payout.ts): a `failed` payout (a new
 * attempt), or a `pending` one the gateway never got (it carries the last error of its submission).
 */
export const canRetry = (p: Payout): boolean =>
  p.status === "failed" || (p.status === "pending" && !!p.lastError);

function RetryButton({ payout, onDone }: { payout: Payout; onDone: (message: string) => Promise<void> }) {
  const { t } = useI18n();
  const action = useAction();
  const ticket = payout.ticketNumber ?? payout.caseId;
  return (
    <div>
      <button
        type="button"
        className="small"
        disabled={action.busy}
        aria-label={t("finance.payouts.retryFor", { ticket })}
        onClick={() =>
          void action
            .run(
              () =>
                api(
                  "POST",
                  `/payouts/${encodeURIComponent(payout.id)}/retry`,
                  { expectedVersion: payout.version },
                  { idempotencyKey: newIdempotencyKey() },
                ),
              "",
            )
            .then((ok) => (ok ? onDone(t("finance.payouts.retried", { ticket })) : undefined))
        }
      >
        {t("finance.payouts.retry")}
      </button>
      {action.problem && <ProblemAlert problem={action.problem} />}
    </div>
  );
}

/** Finance's payouts across customers, one tab per state, newest first, with Retry where it applies. */
export function PayoutsPage({ params }: { params: URLSearchParams }) {
  const { t, label } = useI18n();
  const status = params.get("status") ?? "";
  const [done, setDone] = useState<string | null>(null);
  const data = useLoad(`finance:payouts:${status}`, async (signal) => {
    const [page, organisations] = await Promise.all([
      get<Page<Payout>>(`/payouts${query({ status, limit: 200 })}`, signal),
      loadOrganisations(signal),
    ]);
    return { items: page.items, more: page.nextCursor !== null, organisations };
  });
  const tabs = ["", ...PAYOUT_STATES];
  return (
    <section>
      <PageTitle title={t("finance.payouts.title")}>{t("finance.payouts.title")}</PageTitle>
      <p className="lead">{t("finance.payouts.intro")}</p>
      <nav aria-label={t("finance.payouts.states")} className="tabs">
        <ul className="tab-list">
          {tabs.map((s) => (
            <li key={s || "all"}>
              <Link
                className="tab"
                href={paths.financePayouts(s)}
                aria-current={s === status ? "page" : undefined}
              >
                {s ? label("finance.payout", s) : t("finance.payouts.all")}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <p role="status" className="done">
        {done}
      </p>
      {data.status === "loading" && <Loading />}
      {data.status === "error" && <ErrorState problem={data.problem} onRetry={() => void data.reload()} />}
      {data.status === "ready" && data.data.items.length === 0 && (
        <Empty>
          {status
            ? t("finance.payouts.emptyState", { state: label("finance.payout", status) })
            : t("finance.payouts.empty")}
        </Empty>
      )}
      {data.status === "ready" && data.data.items.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">
              {status ? label("finance.payout", status) : t("finance.payouts.all")}
            </caption>
            <thead>
              <tr>
                <th scope="col">{t("col.ticket")}</th>
                <th scope="col">{t("col.customer")}</th>
                <th scope="col" className="num">
                  {t("col.amount")}
                </th>
                <th scope="col">{t("col.status")}</th>
                <th scope="col" className="num">
                  {t("finance.payouts.attempt")}
                </th>
                <th scope="col">{t("finance.payouts.problem")}</th>
                <th scope="col">{t("finance.payouts.updated")}</th>
                <th scope="col">{t("finance.payouts.action")}</th>
              </tr>
            </thead>
            <tbody>
              {data.data.items.map((p) => (
                <tr key={p.id}>
                  <td>
                    <span className="ticket">{p.ticketNumber ?? "—"}</span>
                    <div className="sub">
                      <code>{p.id}</code>
                    </div>
                  </td>
                  <td>{organisationName(data.data.organisations, p.organisationId)}</td>
                  <td className="num">
                    <Money amount={p.amount} currency={p.currency} />
                  </td>
                  <td>
                    <PayoutBadge status={p.status} />
                  </td>
                  <td className="num">{p.attempt}</td>
                  <td>
                    {p.failureCode && <code>{p.failureCode}</code>}
                    {p.lastError && <p className="note">{p.lastError}</p>}
                    {!p.failureCode && !p.lastError && "—"}
                  </td>
                  <td>
                    <Instant at={p.updatedAt} />
                  </td>
                  <td>
                    {canRetry(p) ? (
                      <RetryButton
                        payout={p}
                        onDone={async (message) => {
                          await data.reload();
                          setDone(message);
                        }}
                      />
                    ) : (
                      <span className="sub">—</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {data.data.more && <p className="hint">{t("finance.payouts.more")}</p>}
        </div>
      )}
    </section>
  );
}
