import { getAll } from "../../api/client";
import type { KycQueueItem } from "../../api/types";
import { DataTable, Empty, ErrorState, Instant, Loading, PageTitle } from "../../components/ui";
import { useI18n } from "../../i18n/i18n";
import { useLoad } from "../../lib/use-api";
import { Link, paths } from "../../router";

/** Compliance's queue: every customer's pending KYC submission, the longest-waiting first. */
export function KycQueuePage() {
  const { t, label } = useI18n();
  const data = useLoad("compliance:kyc-queue", (signal) => getAll<KycQueueItem>("/kyc/queue", signal));
  return (
    <section>
      <PageTitle title={t("compliance.queue.title")}>{t("compliance.queue.title")}</PageTitle>
      <p className="lead">{t("compliance.queue.intro")}</p>
      {data.status === "loading" && <Loading />}
      {data.status === "error" && <ErrorState problem={data.problem} onRetry={() => void data.reload()} />}
      {data.status === "ready" && data.data.length === 0 && <Empty>{t("compliance.queue.empty")}</Empty>}
      {data.status === "ready" && data.data.length > 0 && (
        <DataTable
          caption={t("compliance.queue.title")}
          columns={[
            t("compliance.account"),
            t("col.customer"),
            t("compliance.type"),
            t("compliance.legalName"),
            t("compliance.submittedAt"),
          ]}
        >
          {data.data.map((k) => (
            <tr key={k.accountId}>
              <td>
                <Link href={paths.complianceKycReview(k.accountId)}>
                  {t("compliance.queue.review", { account: k.accountName })}
                </Link>
              </td>
              <td>{k.organisationName}</td>
              <td>{k.type ? label("compliance.type", k.type) : "—"}</td>
              <td>{k.legalName ?? "—"}</td>
              <td>
                <Instant at={k.submittedAt} />
              </td>
            </tr>
          ))}
        </DataTable>
      )}
    </section>
  );
}
