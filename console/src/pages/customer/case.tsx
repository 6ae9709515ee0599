import { type FormEvent, useState } from "react";
import { api, get, newIdempotencyKey, uploadFile } from "../../api/client";
import type { CaseDetail, InformationRequest } from "../../api/types";
import { CaseFacts, CaseTexts, DecisionView, EvidenceList, Timeline } from "../../components/case-parts";
import {
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
import { BackLink, paths } from "../../router";
import type { Abilities } from "../../session";

function Upload({ c, onDone }: { c: CaseDetail; onDone: () => Promise<void> }) {
  const { t } = useI18n();
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const action = useAction();
  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!file) return;
    setProgress(0);
    const ok = await action.run(
      () =>
        uploadFile(
          `/cases/${encodeURIComponent(c.id)}/evidence/files`,
          file,
          setProgress,
          newIdempotencyKey(),
        ),
      t("case.uploaded", { name: file.name }),
    );
    if (ok) {
      setFile(null);
      (e.target as HTMLFormElement).reset();
      await onDone();
    }
    setProgress(null);
  }
  return (
    <form className="upload" onSubmit={submit}>
      <Field label={t("case.uploadLabel")} hint={t("case.uploadHint")}>
        {(p) => (
          <input
            {...p}
            type="file"
            accept=".pdf,.png,.jpg,.jpeg,.csv,.txt,.json,.eml,application/pdf,image/png,image/jpeg,text/csv,text/plain,application/json,message/rfc822"
            onChange={(e) => setFile(e.target.files?.[0] ?? null)}
          />
        )}
      </Field>
      {progress !== null && (
        <p className="progress">
          <label>
            {t("case.uploading", { percent: Math.round(progress * 100) })}
            <progress max={100} value={Math.round(progress * 100)} />
          </label>
        </p>
      )}
      {action.problem && <ProblemAlert problem={action.problem} />}
      <p role="status" className="done">
        {action.done}
      </p>
      <button type="submit" disabled={!file || action.busy}>
        {t("case.uploadButton")}
      </button>
    </form>
  );
}

function AnswerRfi({
  c,
  rfi,
  onDone,
}: {
  c: CaseDetail;
  rfi: InformationRequest;
  onDone: () => Promise<void>;
}) {
  const { t } = useI18n();
  const [answer, setAnswer] = useState("");
  const action = useAction();
  const errors = fieldErrors(action.problem);
  async function submit(e: FormEvent) {
    e.preventDefault();
    const ok = await action.run(
      () =>
        api(
          "POST",
          `/cases/${encodeURIComponent(c.id)}/information-requests/${encodeURIComponent(rfi.id)}/answer`,
          { answer },
          { idempotencyKey: newIdempotencyKey() },
        ),
      t("case.answerSent"),
    );
    if (ok) await onDone();
  }
  return (
    <section className="panel attention" aria-labelledby={`rfi-${rfi.id}`}>
      <h2 id={`rfi-${rfi.id}`}>{t("case.rfiTitle")}</h2>
      <ul>
        {rfi.questions.map((q) => (
          <li key={q}>{q}</li>
        ))}
      </ul>
      <p>
        {t("case.rfiDue")} <Instant at={rfi.dueAt} />
      </p>
      <form onSubmit={submit}>
        <Field label={t("case.answer")} errors={errors.answer}>
          {(p) => (
            <textarea {...p} rows={4} required value={answer} onChange={(e) => setAnswer(e.target.value)} />
          )}
        </Field>
        {action.problem && <ProblemAlert problem={action.problem} shownFields={["answer"]} />}
        <button type="submit" disabled={action.busy || !answer.trim()}>
          {t("case.sendAnswer")}
        </button>
      </form>
    </section>
  );
}

function Appeal({ c, onDone }: { c: CaseDetail; onDone: () => Promise<void> }) {
  const { t } = useI18n();
  const [argument, setArgument] = useState("");
  const action = useAction();
  const errors = fieldErrors(action.problem);
  async function submit(e: FormEvent) {
    e.preventDefault();
    const ok = await action.run(
      () =>
        api(
          "POST",
          `/cases/${encodeURIComponent(c.id)}/appeal`,
          { argument, expectedVersion: c.version },
          { idempotencyKey: newIdempotencyKey() },
        ),
      t("case.appealSent"),
    );
    if (ok) await onDone();
  }
  return (
    <section className="panel" aria-labelledby="appeal-heading">
      <h2 id="appeal-heading">{t("case.appealTitle")}</h2>
      <p>
        {t("case.appealBy")} <Instant at={c.appealBy} />
      </p>
      <form onSubmit={submit}>
        <Field label={t("case.appealArgument")} errors={errors.argument} hint={t("case.appealHint")}>
          {(p) => <textarea {...p} rows={4} value={argument} onChange={(e) => setArgument(e.target.value)} />}
        </Field>
        {action.problem && <ProblemAlert problem={action.problem} shownFields={["argument"]} />}
        <button type="submit" disabled={action.busy || !argument.trim()}>
          {t("case.sendAppeal")}
        </button>
      </form>
    </section>
  );
}

function Withdraw({ c, onDone }: { c: CaseDetail; onDone: () => Promise<void> }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState("");
  const action = useAction();
  async function submit(e: FormEvent) {
    e.preventDefault();
    const ok = await action.run(
      () =>
        api(
          "POST",
          `/cases/${encodeURIComponent(c.id)}/withdraw`,
          { reason, expectedVersion: c.version },
          { idempotencyKey: newIdempotencyKey() },
        ),
      t("case.withdrawn"),
    );
    if (ok) await onDone();
  }
  if (!open)
    return (
      <button type="button" className="secondary danger" onClick={() => setOpen(true)}>
        {t("case.withdraw")}
      </button>
    );
  return (
    <form className="panel" onSubmit={submit} aria-label={t("case.withdraw")}>
      <Field label={t("case.withdrawReason")}>
        {(p) => <input {...p} value={reason} onChange={(e) => setReason(e.target.value)} />}
      </Field>
      {action.problem && <ProblemAlert problem={action.problem} />}
      <button type="submit" className="danger" disabled={action.busy}>
        {t("case.withdrawConfirm")}
      </button>{" "}
      <button type="button" className="secondary" onClick={() => setOpen(false)}>
        {t("action.cancel")}
      </button>
    </form>
  );
}

export function CasePage({ abilities, caseId }: { abilities: Abilities; caseId: string }) {
  const { t } = useI18n();
  const data = useLoad(`case:${caseId}`, (signal) =>
    get<CaseDetail>(`/cases/${encodeURIComponent(caseId)}`, signal),
  );
  const c = data.status === "ready" ? data.data : null;
  const title = c ? t("case.title", { ticket: c.ticketNumber ?? t("case.draft") }) : t("case.loadingTitle");
  const reload = () => data.reload();
  const openRfis = c?.informationRequests.filter((r) => r.status === "open") ?? [];
  const canAppeal =
    c !== null &&
    abilities.canFile &&
    c.nextSteps.includes("appeal") &&
    c.appealBy !== null &&
    new Date(c.appealBy).getTime() > Date.now();
  return (
    <section>
      <BackLink href={paths.overview()}>{t("action.backToOverview")}</BackLink>
      <PageTitle title={title}>{title}</PageTitle>
      {data.status === "loading" && <Loading />}
      {data.status === "error" && <ErrorState problem={data.problem} onRetry={() => void data.reload()} />}
      {c && (
        <div className="two-columns">
          <div>
            <div className="panel">
              <CaseTexts c={c} />
            </div>
            {abilities.canFile && openRfis.map((r) => <AnswerRfi key={r.id} c={c} rfi={r} onDone={reload} />)}
            <section className="panel" aria-labelledby="decisions-heading">
              <h2 id="decisions-heading">{t("case.decisions")}</h2>
              {c.decisions.length === 0 ? (
                <p className="state state-empty">{t("case.noDecision")}</p>
              ) : (
                c.decisions.map((d) => <DecisionView key={d.id} d={d} />)
              )}
            </section>
            {canAppeal && <Appeal c={c} onDone={reload} />}
            <section className="panel" aria-labelledby="timeline-heading">
              <h2 id="timeline-heading">{t("case.timeline")}</h2>
              <Timeline events={c.timeline} />
            </section>
          </div>
          <div>
            <section className="panel" aria-labelledby="facts-heading">
              <h2 id="facts-heading">{t("case.facts")}</h2>
              <CaseFacts c={c} />
            </section>
            <section className="panel" aria-labelledby="evidence-heading">
              <h2 id="evidence-heading">{t("case.evidence")}</h2>
              <EvidenceList caseId={c.id} evidence={c.evidence} />
              {abilities.canFile && !["closed", "withdrawn"].includes(c.state) && (
                <Upload c={c} onDone={reload} />
              )}
            </section>
            {abilities.canFile && c.nextSteps.includes("withdraw") && <Withdraw c={c} onDone={reload} />}
          </div>
        </div>
      )}
    </section>
  );
}
