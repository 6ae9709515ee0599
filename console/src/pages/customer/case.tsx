import { type FormEvent, useState } from "react";
import { api, caseStep, get, getAll, newIdempotencyKey, uploadFile } from "../../api/client";
import type { CaseDetail, CustomerPayout, InformationRequest } from "../../api/types";
import {
  AppealView,
  CaseFacts,
  CaseTexts,
  DecisionView,
  EvidenceList,
  PayoutList,
  Timeline,
} from "../../components/case-parts";
import { FileUpload, type SendFile, useUpload } from "../../components/file-upload";
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
import { BackLink, Link, paths } from "../../router";
import type { Abilities } from "../../session";

/** Evidence a customer (or their agent) pastes: a chat transcript or an e-mail. */
const PASTED_KINDS = ["transcript", "email"] as const;

/** A pasted chat transcript or e-mail, kept as text evidence. */
function PasteEvidence({ c, onDone }: { c: CaseDetail; onDone: () => Promise<void> }) {
  const { t, label } = useI18n();
  const [kind, setKind] = useState<string>("transcript");
  const [title, setTitle] = useState("");
  const [text, setText] = useState("");
  const action = useAction();
  const errors = fieldErrors(action.problem);
  async function submit(e: FormEvent) {
    e.preventDefault();
    const ok = await action.run(
      () =>
        api(
          "POST",
          `/cases/${encodeURIComponent(c.id)}/evidence`,
          { items: [{ kind, label: title.trim(), text }] },
          { idempotencyKey: newIdempotencyKey() },
        ),
      t("case.pasted", { label: title.trim() }),
    );
    if (ok) {
      setTitle("");
      setText("");
      await onDone();
    }
  }
  return (
    <form className="upload" onSubmit={submit} aria-labelledby="paste-heading">
      <h3 id="paste-heading">{t("case.pasteTitle")}</h3>
      <div className="row">
        <Field label={t("case.pasteKind")}>
          {(p) => (
            <select {...p} value={kind} onChange={(e) => setKind(e.target.value)}>
              {PASTED_KINDS.map((k) => (
                <option key={k} value={k}>
                  {label("evidenceKind", k)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t("case.pasteLabel")} errors={errors.items}>
          {(p) => <input {...p} maxLength={200} value={title} onChange={(e) => setTitle(e.target.value)} />}
        </Field>
      </div>
      <Field label={t("case.pasteText")}>
        {(p) => <textarea {...p} rows={5} value={text} onChange={(e) => setText(e.target.value)} />}
      </Field>
      {action.problem && <ProblemAlert problem={action.problem} shownFields={["items"]} />}
      <p role="status" className="done">
        {action.done}
      </p>
      <button type="submit" className="secondary" disabled={action.busy || !title.trim() || !text.trim()}>
        {t("case.pasteButton")}
      </button>
    </form>
  );
}

/** A draft is nobody's work until it is submitted; it gets its ticket number then. */
function SubmitDraft({ c, onDone }: { c: CaseDetail; onDone: () => Promise<void> }) {
  const { t } = useI18n();
  const action = useAction();
  async function submit() {
    const ok = await action.run(() => caseStep(c, "submit"), t("case.draftSubmitted"));
    if (ok) await onDone();
  }
  return (
    <section className="panel attention" aria-labelledby="draft-heading">
      <h2 id="draft-heading">{t("case.draftTitle")}</h2>
      <p>{t("case.draftNote")}</p>
      {action.problem && <ProblemAlert problem={action.problem} />}
      <p role="status" className="done">
        {action.done}
      </p>
      <button type="button" disabled={action.busy} onClick={() => void submit()}>
        {t("case.submitDraft")}
      </button>
    </section>
  );
}

/** The reviewer's refund is recorded but waits for the account's identity to be verified. */
function AwaitingVerification({ c }: { c: CaseDetail }) {
  const { t } = useI18n();
  return (
    <section className="panel attention" aria-labelledby="verification-heading">
      <h2 id="verification-heading">{t("case.awaitingVerificationTitle")}</h2>
      <p>{t("case.awaitingVerificationText")}</p>
      <p>
        <Link className="button-link" href={paths.kyc(c.accountId)}>
          {t("case.verifyLink")}
        </Link>
      </p>
    </section>
  );
}

/** The files a case takes as evidence (src/cases/routes.ts: checked by content on the server). */
const EVIDENCE_ACCEPT =
  ".pdf,.png,.jpg,.jpeg,.csv,.txt,.json,.eml,application/pdf,image/png,image/jpeg,text/csv,text/plain,application/json,message/rfc822";

function sendEvidence(c: CaseDetail): SendFile {
  return (file, onProgress) =>
    uploadFile(`/cases/${encodeURIComponent(c.id)}/evidence/files`, file, onProgress, newIdempotencyKey());
}

function Upload({ c, onDone }: { c: CaseDetail; onDone: () => Promise<void> }) {
  const { t } = useI18n();
  const { file, setFile, progress, action, upload } = useUpload();
  return (
    <form
      className="upload"
      onSubmit={(e) => upload(e, sendEvidence(c), (name) => t("case.uploaded", { name }), onDone)}
    >
      <FileUpload
        label={t("case.uploadLabel")}
        hint={t("case.uploadHint")}
        accept={EVIDENCE_ACCEPT}
        onFile={setFile}
        progress={progress}
        progressKey="case.uploading"
        problem={action.problem}
        done={action.done}
        submit={{ label: t("case.uploadButton"), disabled: !file || action.busy }}
      />
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
  const { file, setFile, progress, setProgress, action } = useUpload();
  const errors = fieldErrors(action.problem);
  async function submit(e: FormEvent) {
    e.preventDefault();
    const ok = await action.run(async () => {
      // The file first: it lands as evidence of the information phase, and the answer then names it.
      if (file) {
        setProgress(0);
        await sendEvidence(c)(file, setProgress);
        setFile(null);
      }
      await api(
        "POST",
        `/cases/${encodeURIComponent(c.id)}/information-requests/${encodeURIComponent(rfi.id)}/answer`,
        { answer },
        { idempotencyKey: newIdempotencyKey() },
      );
    }, t("case.answerSent"));
    setProgress(null);
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
        <FileUpload
          label={t("case.rfiFile")}
          hint={t("case.uploadHint")}
          accept={EVIDENCE_ACCEPT}
          onFile={setFile}
          progress={progress}
          progressKey="case.uploading"
          problem={action.problem}
          shownFields={["answer"]}
          submit={{ label: t("case.sendAnswer"), disabled: action.busy || !answer.trim() }}
        />
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
    const ok = await action.run(() => caseStep(c, "appeal", { argument }), t("case.appealSent"));
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
    const ok = await action.run(() => caseStep(c, "withdraw", { reason }), t("case.withdrawn"));
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
  const data = useLoad(`case:${caseId}`, async (signal) => {
    const c = await get<CaseDetail>(`/cases/${encodeURIComponent(caseId)}`, signal);
    // The refund's payment at the gateway, when the decision sends one (phase two of a refund).
    const payouts = c.decisions.some(
      (d) => d.outcome === "refund_original_method" || d.outcome === "partial_refund",
    )
      ? (
          await getAll<CustomerPayout>(
            `/organisations/${encodeURIComponent(c.organisationId)}/payouts?accountId=${encodeURIComponent(c.accountId)}`,
            signal,
          )
        ).filter((p) => p.caseId === c.id)
      : [];
    return { c, payouts };
  });
  const c = data.status === "ready" ? data.data.c : null;
  const payouts = data.status === "ready" ? data.data.payouts : [];
  const title = c ? t("case.title", { ticket: c.ticketNumber ?? t("case.draft") }) : t("case.loadingTitle");
  const reload = () => data.reload();
  // A support agent acts for the customer on the case they logged: evidence, answers, withdrawal.
  const canAct = abilities.canFile || abilities.isAgent;
  const openRfis = c?.informationRequests.filter((r) => r.status === "open") ?? [];
  const canAppeal =
    c !== null &&
    abilities.canFile &&
    c.nextSteps.includes("appeal") &&
    c.appealBy !== null &&
    new Date(c.appealBy).getTime() > Date.now();
  const open = c !== null && !["closed", "withdrawn"].includes(c.state);
  return (
    <section>
      {abilities.isCustomer ? (
        <BackLink href={paths.overview()}>{t("action.backToOverview")}</BackLink>
      ) : (
        <BackLink href={paths.newRequest()}>{t("action.backToBuilder")}</BackLink>
      )}
      <PageTitle title={title}>{title}</PageTitle>
      {data.status === "loading" && <Loading />}
      {data.status === "error" && <ErrorState problem={data.problem} onRetry={() => void data.reload()} />}
      {c && (
        <div className="two-columns">
          <div>
            {canAct && c.nextSteps.includes("submit") && <SubmitDraft c={c} onDone={reload} />}
            {c.state === "awaiting_verification" && <AwaitingVerification c={c} />}
            <div className="panel">
              <CaseTexts c={c} />
            </div>
            {canAct && openRfis.map((r) => <AnswerRfi key={r.id} c={c} rfi={r} onDone={reload} />)}
            <section className="panel" aria-labelledby="decisions-heading">
              <h2 id="decisions-heading">{t("case.decisions")}</h2>
              {c.decisions.length === 0 ? (
                <p className="state state-empty">{t("case.noDecision")}</p>
              ) : (
                c.decisions.map((d) => <DecisionView key={d.id} d={d} />)
              )}
            </section>
            {payouts.length > 0 && (
              <section className="panel" aria-labelledby="payout-heading">
                <h2 id="payout-heading">{t("case.payout")}</h2>
                <PayoutList payouts={payouts} />
              </section>
            )}
            {c.appeal && <AppealView appeal={c.appeal} />}
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
              {canAct && open && <Upload c={c} onDone={reload} />}
              {canAct && open && <PasteEvidence c={c} onDone={reload} />}
            </section>
            {canAct && c.nextSteps.includes("withdraw") && <Withdraw c={c} onDone={reload} />}
          </div>
        </div>
      )}
    </section>
  );
}
