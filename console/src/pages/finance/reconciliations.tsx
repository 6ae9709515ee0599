import { type FormEvent, useState } from "react";
import { api, get, getAll, newIdempotencyKey } from "../../api/client";
import type { FinanceTask, Page, ReconciliationSummary } from "../../api/types";
import {
  Badge,
  Empty,
  ErrorState,
  Field,
  fieldErrors,
  Instant,
  Loading,
  PageTitle,
  ProblemAlert,
} from "../../components/ui";
import { useI18n } from "../../i18n/i18n";
import { useAction } from "../../lib/use-action";
import { useLoad } from "../../lib/use-api";
import { Link, paths } from "../../router";

function ResolveForm({ task, onDone }: { task: FinanceTask; onDone: (message: string) => Promise<void> }) {
  const { t } = useI18n();
  const [note, setNote] = useState("");
  const [missing, setMissing] = useState(false);
  const action = useAction();
  const errors = fieldErrors(action.problem);
  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!note.trim()) {
      setMissing(true);
      return;
    }
    setMissing(false);
    const message = t("finance.tasks.resolved");
    const ok = await action.run(
      () =>
        api(
          "POST",
          `/finance/tasks/${encodeURIComponent(task.id)}/resolve`,
          { note: note.trim() },
          { idempotencyKey: newIdempotencyKey() },
        ),
      message,
    );
    if (ok) await onDone(message);
  }
  return (
    <form onSubmit={submit} noValidate className="inline-form">
      <Field
        label={t("finance.tasks.note")}
        hint={t("finance.tasks.noteHint")}
        errors={[...(missing ? [t("finance.tasks.noteRequired")] : []), ...(errors.note ?? [])]}
      >
        {(p) => (
          <input
            {...p}
            required
            aria-required="true"
            value={note}
            onChange={(e) => setNote(e.target.value)}
          />
        )}
      </Field>
      {action.problem && <ProblemAlert problem={action.problem} shownFields={["note"]} />}
      <button type="submit" className="secondary small" disabled={action.busy}>
        {t("finance.tasks.resolve")}
      </button>
    </form>
  );
}

/** Finance's open tasks: reconciliation mismatches and payouts that need a person. */
export function OpenTasks({ reconciliationId }: { reconciliationId?: string }) {
  const { t, label } = useI18n();
  const [done, setDone] = useState<string | null>(null);
  const data = useLoad(`finance:tasks:${reconciliationId ?? ""}`, (signal) =>
    getAll<FinanceTask>(
      `/finance/tasks?status=open${reconciliationId ? `&reconciliationId=${encodeURIComponent(reconciliationId)}` : ""}`,
      signal,
    ),
  );
  return (
    <section className="panel" aria-labelledby="tasks-heading">
      <h2 id="tasks-heading">{t("finance.tasks.title")}</h2>
      <p role="status" className="done">
        {done}
      </p>
      {data.status === "loading" && <Loading />}
      {data.status === "error" && <ErrorState problem={data.problem} onRetry={() => void data.reload()} />}
      {data.status === "ready" && data.data.length === 0 && <Empty>{t("finance.tasks.empty")}</Empty>}
      {data.status === "ready" && data.data.length > 0 && (
        <ul className="tasks">
          {data.data.map((task) => (
            <li key={task.id} className="task">
              <p>
                <Badge tone="warn">{label("finance.task", task.kind)}</Badge> <Instant at={task.createdAt} />
              </p>
              <p>{task.summary}</p>
              {task.payoutId && (
                <p className="sub">
                  {t("finance.tasks.payout")} <code>{task.payoutId}</code>
                </p>
              )}
              <ResolveForm
                task={task}
                onDone={async (message) => {
                  await data.reload();
                  setDone(message);
                }}
              />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** Settlement files reconciled against our payouts and ledger, newest first, and the open tasks. */
export function ReconciliationsPage() {
  const { t } = useI18n();
  const data = useLoad("finance:reconciliations", (signal) =>
    get<Page<ReconciliationSummary>>("/reconciliations?limit=200", signal),
  );
  return (
    <section>
      <PageTitle title={t("finance.recon.title")}>{t("finance.recon.title")}</PageTitle>
      <p className="lead">{t("finance.recon.intro")}</p>
      <section className="panel" aria-labelledby="files-heading">
        <h2 id="files-heading">{t("finance.recon.files")}</h2>
        {data.status === "loading" && <Loading />}
        {data.status === "error" && <ErrorState problem={data.problem} onRetry={() => void data.reload()} />}
        {data.status === "ready" && data.data.items.length === 0 && <Empty>{t("finance.recon.empty")}</Empty>}
        {data.status === "ready" && data.data.items.length > 0 && (
          <div className="table-wrap">
            <table>
              <caption className="visually-hidden">{t("finance.recon.files")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("finance.recon.file")}</th>
                  <th scope="col">{t("finance.recon.date")}</th>
                  <th scope="col" className="num">
                    {t("finance.recon.lines")}
                  </th>
                  <th scope="col" className="num">
                    {t("finance.result.matched")}
                  </th>
                  <th scope="col" className="num">
                    {t("finance.result.mismatched")}
                  </th>
                  <th scope="col" className="num">
                    {t("finance.result.missing_in_records")}
                  </th>
                  <th scope="col" className="num">
                    {t("finance.result.missing_in_settlement")}
                  </th>
                  <th scope="col">{t("finance.recon.imported")}</th>
                </tr>
              </thead>
              <tbody>
                {data.data.items.map((r) => (
                  <tr key={r.id}>
                    <td>
                      <Link href={paths.financeReconciliation(r.id)}>{r.fileName}</Link>{" "}
                      {r.allMatched ? (
                        <Badge tone="good">{t("finance.recon.allMatched")}</Badge>
                      ) : (
                        <Badge tone="bad">{t("finance.recon.needsAttention")}</Badge>
                      )}
                    </td>
                    <td>{r.settlementDate ?? "—"}</td>
                    <td className="num">{r.totals.lines}</td>
                    <td className="num">{r.totals.matched}</td>
                    <td className="num">{r.totals.mismatched}</td>
                    <td className="num">{r.totals.missingInRecords}</td>
                    <td className="num">{r.totals.missingInSettlement}</td>
                    <td>
                      <Instant at={r.createdAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {data.data.nextCursor && <p className="hint">{t("finance.recon.more")}</p>}
          </div>
        )}
      </section>
      <OpenTasks />
    </section>
  );
}
