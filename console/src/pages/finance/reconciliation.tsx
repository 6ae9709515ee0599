import { get } from "../../api/client";
import type { Reconciliation, ReconciliationItem } from "../../api/types";
import { Badge, DataTable, Empty, ErrorState, Instant, Loading, Money, PageTitle } from "../../components/ui";
import { useI18n } from "../../i18n/i18n";
import { useLoad } from "../../lib/use-api";
import { BackLink, paths } from "../../router";
import { OpenTasks } from "./reconciliations";
import { PayoutBadge } from "./shared";

const RESULT_TONES: Record<ReconciliationItem["result"], "good" | "bad" | "warn"> = {
  matched: "good",
  mismatched: "bad",
  missing_in_records: "warn",
  missing_in_settlement: "warn",
};

/** One settlement file's report: each line matched, mismatched or missing, with what differs. */
export function ReconciliationPage({ reconciliationId }: { reconciliationId: string }) {
  const { t, label } = useI18n();
  const data = useLoad(`finance:reconciliation:${reconciliationId}`, (signal) =>
    get<Reconciliation>(`/reconciliations/${encodeURIComponent(reconciliationId)}`, signal),
  );
  const r = data.status === "ready" ? data.data : null;
  const title = r ? t("finance.recon.reportTitle", { file: r.fileName }) : t("finance.recon.title");
  return (
    <section>
      <BackLink href={paths.financeReconciliations()}>{t("finance.recon.back")}</BackLink>
      <PageTitle title={title}>{title}</PageTitle>
      {data.status === "loading" && <Loading />}
      {data.status === "error" && <ErrorState problem={data.problem} onRetry={() => void data.reload()} />}
      {r && (
        <>
          <section className="panel" aria-labelledby="totals-heading">
            <h2 id="totals-heading">{t("finance.recon.totals")}</h2>
            <dl className="facts">
              <dt>{t("finance.recon.date")}</dt>
              <dd>{r.settlementDate ?? "—"}</dd>
              <dt>{t("finance.recon.imported")}</dt>
              <dd>
                <Instant at={r.createdAt} />
              </dd>
              <dt>{t("finance.recon.lines")}</dt>
              <dd>{r.totals.lines}</dd>
              <dt>{t("finance.result.matched")}</dt>
              <dd>{r.totals.matched}</dd>
              <dt>{t("finance.result.mismatched")}</dt>
              <dd>{r.totals.mismatched}</dd>
              <dt>{t("finance.result.missing_in_records")}</dt>
              <dd>{r.totals.missingInRecords}</dd>
              <dt>{t("finance.result.missing_in_settlement")}</dt>
              <dd>{r.totals.missingInSettlement}</dd>
              {r.settled.map((s) => (
                <div key={s.currency} className="facts-row">
                  <dt>{t("finance.recon.settled", { currency: s.currency })}</dt>
                  <dd>
                    <Money amount={s.refunds} currency={s.currency} /> ({t("finance.recon.fees")}{" "}
                    <Money amount={s.fees} currency={s.currency} />)
                  </dd>
                </div>
              ))}
            </dl>
          </section>
          <section className="panel" aria-labelledby="items-heading">
            <h2 id="items-heading">{t("finance.recon.items")}</h2>
            {r.items.length === 0 ? (
              <Empty>{t("finance.recon.noItems")}</Empty>
            ) : (
              <DataTable
                caption={t("finance.recon.items")}
                columns={[
                  t("finance.recon.line"),
                  t("finance.recon.result"),
                  t("finance.recon.payout"),
                  t("finance.recon.theirs"),
                  t("finance.recon.ours"),
                  t("finance.recon.differences"),
                ]}
              >
                {r.items.map((item, i) => (
                  <tr key={`${item.line ?? "none"}-${item.payoutId ?? i}`}>
                    <td>{item.line ?? "—"}</td>
                    <td>
                      <Badge tone={RESULT_TONES[item.result]}>{label("finance.result", item.result)}</Badge>
                    </td>
                    <td>
                      {item.payoutId ? <code>{item.payoutId}</code> : "—"}
                      {item.gatewayRefundId && (
                        <div className="sub">
                          <code>{item.gatewayRefundId}</code>
                        </div>
                      )}
                    </td>
                    <td>
                      {item.theirs ? (
                        <>
                          <Money amount={item.theirs.amount} currency={item.theirs.currency} />
                          <div className="sub">{item.theirs.status}</div>
                        </>
                      ) : (
                        "—"
                      )}
                    </td>
                    <td>
                      {item.ours ? (
                        <>
                          <Money amount={item.ours.amount} currency={item.ours.currency} />
                          <div>
                            <PayoutBadge status={item.ours.status} />
                          </div>
                        </>
                      ) : (
                        "—"
                      )}
                    </td>
                    <td>
                      {item.differences.length === 0 && !item.note && "—"}
                      {item.differences.length > 0 && (
                        <ul className="plain">
                          {item.differences.map((d) => (
                            <li key={d.field}>
                              <code>{d.field}</code>: {d.message}
                            </li>
                          ))}
                        </ul>
                      )}
                      {item.note && <p className="note">{item.note}</p>}
                    </td>
                  </tr>
                ))}
              </DataTable>
            )}
          </section>
          <OpenTasks reconciliationId={r.id} />
        </>
      )}
    </section>
  );
}
