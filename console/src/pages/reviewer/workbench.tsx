import { type FormEvent, lazy, Suspense, useState } from "react";
import { caseStep, get } from "../../api/client";
import type { CaseDetail, CaseReview, Problem } from "../../api/types";
import {
  AppealView,
  CaseFacts,
  CaseTexts,
  DecisionView,
  EvidenceList,
  Timeline,
} from "../../components/case-parts";
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
import { localInputToInstant, viewerOffset } from "../../lib/dates";
import { useAction } from "../../lib/use-action";
import { useLoad } from "../../lib/use-api";
import { BackLink, paths } from "../../router";
import type { Abilities } from "../../session";

// Loaded on first use: the billed-versus-actual chart brings the charting library.
const WorkbenchPanels = lazy(() =>
  import("./workbench-panels").then((m) => ({ default: m.WorkbenchPanels })),
);

/** Decision outcomes (src/audit/finding.ts OUTCOMES). */
const OUTCOMES = [
  "refund_original_method",
  "account_credit",
  "partial_refund",
  "service_adjustment",
  "denied",
] as const;
const CLAIMABLE_STATES = ["submitted", "in_review", "escalated", "awaiting_verification", "appealed"];

const list = (text: string): string[] =>
  text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * A stale write (409 `conflict`) is the case that moved under the reviewer: say so plainly and offer
 * the reload; the form keeps what was typed, so deciding again is one click after reading the change.
 */
function ActionProblem({
  problem,
  shownFields,
  onReload,
}: {
  problem: Problem;
  shownFields?: string[];
  onReload: () => Promise<void>;
}) {
  const { t } = useI18n();
  return (
    <ProblemAlert problem={problem} shownFields={shownFields}>
      {(problem.code === "conflict" || problem.code === "invalid_transition") && (
        <button type="button" className="secondary" onClick={() => void onReload()}>
          {t("workbench.reload")}
        </button>
      )}
    </ProblemAlert>
  );
}

function ReviewPanel({ review, riskSignals }: { review: CaseReview | null; riskSignals: string[] }) {
  const { t, label } = useI18n();
  if (!review) return <Empty>{t("workbench.noReview")}</Empty>;
  const p = review.policy;
  return (
    <>
      <h3>{t("workbench.checks")}</h3>
      <ul className="checks">
        {review.checks.map((c) => (
          <li key={c.code}>
            <Badge tone={c.result === "pass" ? "good" : c.result === "fail" ? "bad" : "warn"}>
              {label("result", c.result)}
            </Badge>{" "}
            <strong>{label("check", c.code)}</strong>
            <p className="note">{c.detail}</p>
          </li>
        ))}
      </ul>
      <h3>{t("workbench.policy")}</h3>
      <p>
        {p.eligible === true && <Badge tone="good">{t("workbench.eligible")}</Badge>}
        {p.eligible === false && <Badge tone="bad">{t("workbench.excluded")}</Badge>}
        {p.eligible === null && <Badge tone="warn">{t("workbench.judge")}</Badge>}
        {p.productRuleId && (
          <span className="sub">
            {" "}
            {t("workbench.productRule")} <code>{p.productRuleId}</code>
          </span>
        )}
      </p>
      {p.exclusion && (
        <p>
          <code>{p.exclusion.clauseId}</code>: {p.exclusion.reason}
        </p>
      )}
      <p>
        {t("workbench.clauses")}{" "}
        {p.clauses.length ? p.clauses.map((c) => <code key={c}>{c} </code>) : t("workbench.noClauses")}
      </p>
      <h3>{t("workbench.risk")}</h3>
      {riskSignals.length === 0 ? (
        <p className="sub">{t("queue.noRisk")}</p>
      ) : (
        <ul className="plain">
          {riskSignals.map((r) => (
            <li key={r}>
              <Badge tone="warn">{label("risk", r)}</Badge>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function DecideForm({ c, onDone }: { c: CaseDetail; onDone: () => Promise<void> }) {
  const { t, label } = useI18n();
  const suggested = [
    ...new Set([
      ...(c.review?.policy.clauses ?? []),
      ...(c.review?.policy.exclusion ? [c.review.policy.exclusion.clauseId] : []),
    ]),
  ];
  const [outcome, setOutcome] = useState<string>(
    (OUTCOMES as readonly string[]).includes(c.desiredOutcome) ? c.desiredOutcome : "refund_original_method",
  );
  const [amount, setAmount] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [rationale, setRationale] = useState("");
  const [clauses, setClauses] = useState<string[]>(suggested);
  const [otherClauses, setOtherClauses] = useState("");
  const [services, setServices] = useState("");
  const [regions, setRegions] = useState("");
  const [adjustment, setAdjustment] = useState("");
  const action = useAction();
  const errors = fieldErrors(action.problem);
  const withAmount = outcome === "refund_original_method" || outcome === "account_credit";

  async function submit(e: FormEvent) {
    e.preventDefault();
    const body: Record<string, unknown> = {
      outcome,
      rationale,
      // A clause ticked and typed again is cited once.
      clauses: [...new Set([...clauses, ...list(otherClauses)])],
    };
    if (withAmount && amount.trim()) body.amount = amount.trim();
    if (outcome === "partial_refund")
      body.proration = { from: localInputToInstant(from) ?? from, to: localInputToInstant(to) ?? to };
    if (outcome === "account_credit" && (services.trim() || regions.trim()))
      body.credit = { services: list(services), regions: list(regions) };
    if (outcome === "service_adjustment") body.adjustment = adjustment;
    const ok = await action.run(() => caseStep(c, "decision", body), t("workbench.decided"));
    if (ok) await onDone();
  }

  return (
    <form onSubmit={submit} className="decide">
      <Field label={t("workbench.outcome")} errors={errors.outcome}>
        {(p) => (
          <select {...p} value={outcome} onChange={(e) => setOutcome(e.target.value)}>
            {OUTCOMES.map((o) => (
              <option key={o} value={o}>
                {label("outcome", o)}
              </option>
            ))}
          </select>
        )}
      </Field>
      {withAmount && (
        <Field
          label={t("workbench.amount", { currency: c.currency })}
          errors={errors.amount}
          hint={t("workbench.amountHint")}
        >
          {(p) => (
            <input
              {...p}
              inputMode="decimal"
              placeholder={c.amount}
              value={amount}
              onChange={(e) => setAmount(e.target.value)}
            />
          )}
        </Field>
      )}
      {outcome === "partial_refund" && (
        <fieldset>
          <legend>{t("workbench.proration")}</legend>
          <p className="hint">{t("workbench.prorationHint", { offset: viewerOffset() })}</p>
          <div className="row">
            <Field label={t("workbench.prorationFrom")} errors={errors.proration}>
              {(p) => (
                <input {...p} type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} />
              )}
            </Field>
            <Field label={t("workbench.prorationTo")}>
              {(p) => (
                <input {...p} type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} />
              )}
            </Field>
          </div>
        </fieldset>
      )}
      {outcome === "service_adjustment" && (
        <Field label={t("workbench.adjustment")} errors={errors.adjustment}>
          {(p) => (
            <textarea {...p} rows={2} value={adjustment} onChange={(e) => setAdjustment(e.target.value)} />
          )}
        </Field>
      )}
      <Field label={t("workbench.rationale")} errors={errors.rationale} hint={t("workbench.rationaleHint")}>
        {(p) => <textarea {...p} rows={4} value={rationale} onChange={(e) => setRationale(e.target.value)} />}
      </Field>
      <fieldset aria-describedby={errors.clauses ? "clauses-errors" : undefined}>
        <legend>{t("workbench.clausesCited")}</legend>
        {suggested.length === 0 && <p className="hint">{t("workbench.noClauses")}</p>}
        {suggested.map((id) => (
          <label key={id} className="check">
            <input
              type="checkbox"
              checked={clauses.includes(id)}
              onChange={(e) =>
                setClauses(e.target.checked ? [...clauses, id] : clauses.filter((x) => x !== id))
              }
            />{" "}
            <code>{id}</code>
          </label>
        ))}
        <Field label={t("workbench.otherClauses")}>
          {(p) => <input {...p} value={otherClauses} onChange={(e) => setOtherClauses(e.target.value)} />}
        </Field>
        {errors.clauses && (
          <ul className="field-errors" id="clauses-errors">
            {errors.clauses.map((m) => (
              <li key={m}>{m}</li>
            ))}
          </ul>
        )}
      </fieldset>
      {outcome === "account_credit" && (
        <fieldset>
          <legend>{t("workbench.creditScope")}</legend>
          <div className="row">
            <Field
              label={t("workbench.creditServices")}
              errors={errors.credit}
              hint={t("workbench.listHint")}
            >
              {(p) => <input {...p} value={services} onChange={(e) => setServices(e.target.value)} />}
            </Field>
            <Field label={t("workbench.creditRegions")} hint={t("workbench.listHint")}>
              {(p) => <input {...p} value={regions} onChange={(e) => setRegions(e.target.value)} />}
            </Field>
          </div>
        </fieldset>
      )}
      {action.problem && (
        <ActionProblem
          problem={action.problem}
          shownFields={["outcome", "amount", "proration", "rationale", "clauses", "credit", "adjustment"]}
          onReload={onDone}
        />
      )}
      <p role="status" className="done">
        {action.done}
      </p>
      <button type="submit" disabled={action.busy}>
        {t("workbench.submitDecision")}
      </button>{" "}
      <span className="sub">{t("workbench.version", { version: c.version })}</span>
    </form>
  );
}

function RequestInfoForm({ c, onDone }: { c: CaseDetail; onDone: () => Promise<void> }) {
  const { t } = useI18n();
  const [questions, setQuestions] = useState("");
  const [days, setDays] = useState("5");
  const action = useAction();
  const errors = fieldErrors(action.problem);
  async function submit(e: FormEvent) {
    e.preventDefault();
    const ok = await action.run(
      () =>
        caseStep(c, "information-requests", {
          questions: questions
            .split("\n")
            .map((q) => q.trim())
            .filter(Boolean),
          businessDays: Number(days),
        }),
      t("workbench.infoRequested"),
    );
    if (ok) await onDone();
  }
  return (
    <form onSubmit={submit}>
      <Field label={t("workbench.questions")} errors={errors.questions}>
        {(p) => <textarea {...p} rows={3} value={questions} onChange={(e) => setQuestions(e.target.value)} />}
      </Field>
      <Field label={t("workbench.businessDays")} errors={errors.businessDays}>
        {(p) => (
          <input
            {...p}
            type="number"
            min={1}
            max={20}
            value={days}
            onChange={(e) => setDays(e.target.value)}
          />
        )}
      </Field>
      {action.problem && (
        <ActionProblem
          problem={action.problem}
          shownFields={["questions", "businessDays"]}
          onReload={onDone}
        />
      )}
      <p role="status" className="done">
        {action.done}
      </p>
      <button type="submit" className="secondary" disabled={action.busy || !questions.trim()}>
        {t("workbench.sendRequest")}
      </button>
    </form>
  );
}

function EscalateForm({ c, onDone }: { c: CaseDetail; onDone: () => Promise<void> }) {
  const { t } = useI18n();
  const [reason, setReason] = useState("");
  const action = useAction();
  async function submit(e: FormEvent) {
    e.preventDefault();
    const ok = await action.run(() => caseStep(c, "escalate", { reason }), t("workbench.escalated"));
    if (ok) await onDone();
  }
  return (
    <form onSubmit={submit}>
      <Field label={t("workbench.escalateReason")}>
        {(p) => <input {...p} value={reason} onChange={(e) => setReason(e.target.value)} />}
      </Field>
      {action.problem && <ActionProblem problem={action.problem} onReload={onDone} />}
      <p role="status" className="done">
        {action.done}
      </p>
      <button type="submit" className="secondary" disabled={action.busy}>
        {t("workbench.escalate")}
      </button>
    </form>
  );
}

function Claim({ c, onDone }: { c: CaseDetail; onDone: () => Promise<void> }) {
  const { t } = useI18n();
  const action = useAction();
  return (
    <div>
      {action.problem && <ActionProblem problem={action.problem} onReload={onDone} />}
      <button
        type="button"
        disabled={action.busy}
        onClick={() =>
          void action
            .run(() => caseStep(c, "claim"), t("workbench.claimed"))
            .then((ok) => (ok ? onDone() : undefined))
        }
      >
        {c.state === "appealed" ? t("workbench.claimAppeal") : t("workbench.claim")}
      </button>
      <p role="status" className="done">
        {action.done}
      </p>
    </div>
  );
}

export function WorkbenchPage({ abilities, caseId }: { abilities: Abilities; caseId: string }) {
  const { t, label } = useI18n();
  const data = useLoad(`workbench:${caseId}`, (signal) =>
    get<CaseDetail>(`/cases/${encodeURIComponent(caseId)}`, signal),
  );
  const c = data.status === "ready" ? data.data : null;
  const title = c ? t("case.title", { ticket: c.ticketNumber ?? c.id }) : t("case.loadingTitle");
  const reload = () => data.reload();
  const mine = c?.assigneeId === abilities.userId;
  return (
    <section>
      <BackLink href={paths.queue()}>{t("action.backToQueue")}</BackLink>
      <PageTitle title={title}>{title}</PageTitle>
      {data.status === "loading" && <Loading />}
      {data.status === "error" && <ErrorState problem={data.problem} onRetry={() => void data.reload()} />}
      {c && (
        <div className="two-columns">
          <div>
            <div className="panel">
              <CaseTexts c={c} />
            </div>
            <section className="panel" aria-labelledby="review-heading">
              <h2 id="review-heading">{t("workbench.review")}</h2>
              <ReviewPanel review={c.review} riskSignals={c.riskSignals} />
            </section>
            <section className="panel" aria-labelledby="evidence-heading">
              <h2 id="evidence-heading">{t("case.evidence")}</h2>
              <EvidenceList caseId={c.id} evidence={c.evidence} />
            </section>
            <Suspense fallback={<Loading />}>
              <WorkbenchPanels c={c} />
            </Suspense>
            {c.informationRequests.length > 0 && (
              <section className="panel" aria-labelledby="rfis-heading">
                <h2 id="rfis-heading">{t("workbench.informationRequests")}</h2>
                <ul className="plain">
                  {c.informationRequests.map((r) => (
                    <li key={r.id}>
                      <strong>{r.questions.join(" ")}</strong>
                      <div className="sub">
                        {t("case.rfiDue")} <Instant at={r.dueAt} /> · {label("rfiStatus", r.status)}
                      </div>
                      {r.answer && <p className="note">{r.answer}</p>}
                    </li>
                  ))}
                </ul>
              </section>
            )}
            <section className="panel" aria-labelledby="decisions-heading">
              <h2 id="decisions-heading">{t("case.decisions")}</h2>
              {c.decisions.length === 0 ? (
                <p className="state state-empty">{t("case.noDecision")}</p>
              ) : (
                c.decisions.map((d) => <DecisionView key={d.id} d={d} />)
              )}
            </section>
            {c.appeal && <AppealView appeal={c.appeal} />}
            <section className="panel" aria-labelledby="timeline-heading">
              <h2 id="timeline-heading">{t("case.timeline")}</h2>
              <Timeline events={c.timeline} />
            </section>
          </div>
          <div>
            <section className="panel" aria-labelledby="facts-heading">
              <h2 id="facts-heading">{t("case.facts")}</h2>
              <CaseFacts c={c} />
              <p className="sub">
                {t("workbench.assignee")}{" "}
                {c.assigneeId ? (mine ? t("workbench.you") : c.assigneeId) : t("workbench.unassigned")}
              </p>
              {/* An appeal comes assigned to its second reviewer, who takes it to start the second review. */}
              {(c.state === "appealed" || (CLAIMABLE_STATES.includes(c.state) && !mine)) && (
                <Claim c={c} onDone={reload} />
              )}
              {c.state === "awaiting_verification" && (
                <p className="hint">{t("workbench.awaitingVerification")}</p>
              )}
            </section>
            {c.nextSteps.includes("decide") && (
              <section className="panel" aria-labelledby="decide-heading">
                <h2 id="decide-heading">{t("workbench.decide")}</h2>
                <DecideForm c={c} onDone={reload} />
              </section>
            )}
            {c.nextSteps.includes("request_info") && (
              <section className="panel" aria-labelledby="rfi-heading">
                <h2 id="rfi-heading">{t("workbench.requestInfo")}</h2>
                <RequestInfoForm c={c} onDone={reload} />
              </section>
            )}
            {c.nextSteps.includes("escalate") && c.assignedRole !== "senior_reviewer" && (
              <section className="panel" aria-labelledby="escalate-heading">
                <h2 id="escalate-heading">{t("workbench.escalateTitle")}</h2>
                <EscalateForm c={c} onDone={reload} />
              </section>
            )}
          </div>
        </div>
      )}
    </section>
  );
}
