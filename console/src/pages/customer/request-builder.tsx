import { type FormEvent, type ReactNode, useEffect, useMemo, useState } from "react";
import { ApiError, api, getAll, newIdempotencyKey } from "../../api/client";
import type { Charge, Filed, LintIssue, Organisation, Preview, Problem } from "../../api/types";
import {
  Empty,
  ErrorState,
  Field,
  fieldErrors,
  Highlighted,
  Instant,
  Loading,
  Money,
  PageTitle,
  ProblemAlert,
} from "../../components/ui";
import { useI18n } from "../../i18n/i18n";
import { formatPeriod } from "../../lib/dates";
import { useLoad } from "../../lib/use-api";
import { navigate, paths } from "../../router";
import type { Abilities } from "../../session";
import { AccountOptions, chargeTitle, loadAccounts } from "./shared";

/** The server's vocabulary (src/cases/vocabulary.ts), in the order the form offers it. */
export const CASE_REASONS = [
  "billing_error",
  "duplicate_charge",
  "sla_breach",
  "accidental_purchase",
  "unused_prepaid",
  "charged_after_cancellation",
  "promotion_not_applied",
  "other",
] as const;
export const DESIRED_OUTCOMES = [
  "refund_original_method",
  "account_credit",
  "partial_refund",
  "service_adjustment",
] as const;

type TextField = "summary" | "description" | "impactStatement";

/** How a customer reached the support agent who files for them. */
const AGENT_CHANNELS = ["phone", "chat"] as const;
const PASTED_KINDS = ["transcript", "email"] as const;

interface Draft {
  accountId: string;
  items: Array<{ chargeId: string; amount?: string }>;
  reason: string;
  desiredOutcome: string;
  summary: string;
  description: string;
  impactStatement: string;
  evidence?: Array<{ kind: string; label: string; text: string }>;
  channel?: string;
  onBehalfOf?: { contact: string; contactConfirmed: boolean };
}

/** Linting waits for a pause in typing, so a fast typist does not send a request per key. */
const LINT_DELAY_MS = 350;

/** One field's lint hints: the text as it was checked with each excerpt marked, then the advice. */
function Hints({ issues, text }: { issues: readonly LintIssue[]; text: string | null }) {
  const { t, label } = useI18n();
  if (issues.length === 0) return null;
  const ranges = issues
    .filter((i) => i.start !== null && i.end !== null)
    .map((i) => ({ start: i.start!, end: i.end! }));
  return (
    <div className="lint">
      {text !== null && ranges.length > 0 && (
        <p className="lint-text">
          <span className="visually-hidden">{t("builder.markedText")} </span>
          <Highlighted text={text} ranges={ranges} />
        </p>
      )}
      <ul className="lint-list">
        {issues.map((i) => (
          <li key={`${i.code}-${i.start ?? ""}-${i.message}`} className={`lint-${i.severity}`}>
            <span className={`badge ${i.severity === "error" ? "badge-bad" : "badge-warn"}`}>
              {label("severity", i.severity)}
            </span>{" "}
            {/* The message quotes its excerpt; the marked copy above shows where it is. */}
            {i.message}
            {i.suggestion && (
              <span className="suggestion"> {t("builder.suggestion", { text: i.suggestion })}</span>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

/**
 * The request builder. Customers file for their own organisation; a support agent first picks the
 * customer, then logs the phone or chat request with the contact they confirmed.
 */
export function RequestBuilderPage({ abilities, params }: { abilities: Abilities; params: URLSearchParams }) {
  if (abilities.isAgent || !abilities.organisation) return <AgentBuilder params={params} />;
  return <Builder organisationId={abilities.organisation.id} agent={false} params={params} />;
}

function AgentBuilder({ params }: { params: URLSearchParams }) {
  const { t } = useI18n();
  const organisations = useLoad("organisations", (signal) => getAll<Organisation>("/organisations", signal));
  const [organisationId, setOrganisationId] = useState(params.get("organisation") ?? "");
  const header =
    organisations.status === "ready" ? (
      <div className="panel agent-customer">
        <Field label={t("builder.organisation")} hint={t("builder.agentIntro")}>
          {(p) => (
            <select {...p} value={organisationId} onChange={(e) => setOrganisationId(e.target.value)}>
              <option value="">{t("builder.chooseOrganisation")}</option>
              {organisations.data.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
    ) : null;
  if (organisations.status === "ready" && organisationId)
    return (
      <Builder key={organisationId} organisationId={organisationId} agent params={params} header={header} />
    );
  return (
    <section>
      <PageTitle title={t("builder.title")}>{t("builder.title")}</PageTitle>
      {organisations.status === "loading" && <Loading />}
      {organisations.status === "error" && (
        <ErrorState problem={organisations.problem} onRetry={() => void organisations.reload()} />
      )}
      {header}
      {organisations.status === "ready" && <Empty>{t("builder.chooseOrganisationFirst")}</Empty>}
    </section>
  );
}

function Builder({
  organisationId,
  agent,
  params,
  header,
}: {
  organisationId: string;
  /** A support agent filing on the customer's behalf. */
  agent: boolean;
  params: URLSearchParams;
  /** Shown under the title: the agent's choice of customer. */
  header?: ReactNode;
}) {
  const { t, label } = useI18n();
  const org = { id: organisationId };
  const accounts = useLoad(`accounts:${org.id}`, (signal) => loadAccounts(org.id, signal));
  const [accountId, setAccountId] = useState(params.get("account") ?? "");
  const [selected, setSelected] = useState<string[]>(params.getAll("charge"));
  const [amounts, setAmounts] = useState<Record<string, string>>({});
  const [reason, setReason] = useState<string>("billing_error");
  const [desiredOutcome, setDesiredOutcome] = useState<string>("refund_original_method");
  const [summary, setSummary] = useState("");
  const [description, setDescription] = useState("");
  const [impactStatement, setImpactStatement] = useState("");
  const [chargeFilter, setChargeFilter] = useState("");
  const [preview, setPreview] = useState<{ draft: Draft; result: Preview } | null>(null);
  const [previewProblem, setPreviewProblem] = useState<Problem | null>(null);
  const [checking, setChecking] = useState(false);
  const [submitProblem, setSubmitProblem] = useState<Problem | null>(null);
  const [submitting, setSubmitting] = useState<"file" | "draft" | null>(null);
  const [channel, setChannel] = useState<string>("phone");
  const [contact, setContact] = useState("");
  const [contactConfirmed, setContactConfirmed] = useState(false);
  const [pasteKind, setPasteKind] = useState<string>("transcript");
  const [pasteLabel, setPasteLabel] = useState("");
  const [pasteText, setPasteText] = useState("");

  // Default to the first account once the list is in.
  useEffect(() => {
    if (!accountId && accounts.status === "ready" && accounts.data[0]) setAccountId(accounts.data[0].id);
  }, [accountId, accounts]);

  const charges = useLoad(accountId ? `charges:${accountId}` : null, (signal) =>
    getAll<Charge>(
      `/organisations/${org.id}/charges?accountId=${encodeURIComponent(accountId)}`,
      signal,
      400,
    ),
  );

  const draft = useMemo<Draft>(
    () => ({
      accountId,
      items: selected.map((chargeId) =>
        amounts[chargeId]?.trim() ? { chargeId, amount: amounts[chargeId].trim() } : { chargeId },
      ),
      reason,
      desiredOutcome,
      summary,
      description,
      impactStatement,
      ...(pasteLabel.trim() && pasteText.trim()
        ? { evidence: [{ kind: pasteKind, label: pasteLabel.trim(), text: pasteText }] }
        : {}),
      // An agent's preview goes out before the contact is typed; filing without it says what is missing.
      ...(agent ? { channel } : {}),
      ...(agent && contact.trim() ? { onBehalfOf: { contact: contact.trim(), contactConfirmed } } : {}),
    }),
    [
      accountId,
      selected,
      amounts,
      reason,
      desiredOutcome,
      summary,
      description,
      impactStatement,
      pasteKind,
      pasteLabel,
      pasteText,
      agent,
      channel,
      contact,
      contactConfirmed,
    ],
  );
  const draftKey = JSON.stringify(draft);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `draftKey` is `draft` by value.
  useEffect(() => {
    if (!draft.accountId || draft.items.length === 0) {
      setPreview(null);
      setPreviewProblem(null);
      return;
    }
    const controller = new AbortController();
    const timer = setTimeout(async () => {
      setChecking(true);
      try {
        const result = await api<Preview>("POST", "/cases/preview", draft, { signal: controller.signal });
        setPreview({ draft, result });
        setPreviewProblem(null);
      } catch (error) {
        if (error instanceof ApiError) setPreviewProblem(error.problem);
      } finally {
        if (!controller.signal.aborted) setChecking(false);
      }
    }, LINT_DELAY_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [draftKey]);

  const lint = preview?.result.lint ?? [];
  const issuesFor = (field: string) => lint.filter((i) => i.field === field);
  const errors = fieldErrors(submitProblem ?? previewProblem);
  const textOf = (field: TextField) => (preview ? preview.draft[field] : null);

  async function file(mode: "file" | "draft") {
    setSubmitting(mode);
    setSubmitProblem(null);
    try {
      // A draft keeps the request unsubmitted (no ticket, nobody reviews it) until the case page submits it.
      const filed = await api<Filed>(
        "POST",
        "/cases",
        { ...draft, submit: mode === "file" },
        { idempotencyKey: newIdempotencyKey() },
      );
      const first = filed.cases[0];
      if (first) navigate(paths.case(first.id));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      setSubmitProblem(error.problem);
      setSubmitting(null);
    }
  }
  function submit(e: FormEvent) {
    e.preventDefault();
    void file("file");
  }

  function toggle(chargeId: string, on: boolean) {
    setSelected((s) => (on ? [...s, chargeId] : s.filter((x) => x !== chargeId)));
  }

  const visibleCharges =
    charges.status === "ready"
      ? charges.data.filter(
          (c) =>
            selected.includes(c.id) ||
            !chargeFilter ||
            `${chargeTitle(c)} ${c.regionId ?? ""} ${c.invoiceId ?? ""}`
              .toLowerCase()
              .includes(chargeFilter.toLowerCase()),
        )
      : [];
  const shown = [
    "channel",
    "onBehalfOf",
    "evidence",
    "accountId",
    "items",
    "reason",
    "desiredOutcome",
    "summary",
    "description",
    "impactStatement",
  ];
  const general = lint.filter(
    (i) =>
      !["summary", "description", "impactStatement", "lineItems"].includes(i.field) &&
      !i.field.startsWith("amounts."),
  );

  if (accounts.status === "loading")
    return (
      <section>
        <PageTitle title={t("builder.title")}>{t("builder.title")}</PageTitle>
        {header}
        <Loading />
      </section>
    );
  if (accounts.status === "error")
    return (
      <section>
        <PageTitle title={t("builder.title")}>{t("builder.title")}</PageTitle>
        {header}
        <ErrorState problem={accounts.problem} onRetry={() => void accounts.reload()} />
      </section>
    );

  return (
    <section>
      <PageTitle title={t("builder.title")}>{t("builder.title")}</PageTitle>
      {header}
      <p className="lead">{t("builder.intro")}</p>
      <div className="two-columns">
        <form className="builder" onSubmit={submit} noValidate>
          {agent && (
            <fieldset>
              <legend>{t("builder.onBehalf")}</legend>
              <div className="row">
                <Field label={t("builder.channel")} errors={errors.channel}>
                  {(p) => (
                    <select {...p} value={channel} onChange={(e) => setChannel(e.target.value)}>
                      {AGENT_CHANNELS.map((c) => (
                        <option key={c} value={c}>
                          {label("channel", c)}
                        </option>
                      ))}
                    </select>
                  )}
                </Field>
                <Field label={t("builder.contact")} errors={errors.onBehalfOf}>
                  {(p) => (
                    <input
                      {...p}
                      autoComplete="off"
                      maxLength={200}
                      value={contact}
                      onChange={(e) => setContact(e.target.value)}
                    />
                  )}
                </Field>
              </div>
              <label className="check">
                <input
                  type="checkbox"
                  checked={contactConfirmed}
                  onChange={(e) => setContactConfirmed(e.target.checked)}
                />
                <span>{t("builder.contactConfirmed")}</span>
              </label>
            </fieldset>
          )}
          <Field label={t("builder.account")} errors={errors.accountId}>
            {(p) => (
              <select
                {...p}
                value={accountId}
                onChange={(e) => {
                  setAccountId(e.target.value);
                  setSelected([]);
                  setAmounts({});
                }}
              >
                <AccountOptions accounts={accounts.data} />
              </select>
            )}
          </Field>
          <fieldset className="charges" aria-describedby="charges-hints">
            <legend>{t("builder.charges")}</legend>
            <Field label={t("builder.findCharge")}>
              {(p) => (
                <input
                  {...p}
                  type="search"
                  value={chargeFilter}
                  onChange={(e) => setChargeFilter(e.target.value)}
                />
              )}
            </Field>
            {charges.status === "loading" && <Loading />}
            {charges.status === "error" && (
              <ErrorState problem={charges.problem} onRetry={() => void charges.reload()} />
            )}
            {charges.status === "ready" && charges.data.length === 0 && (
              <Empty>{t("builder.noCharges")}</Empty>
            )}
            {visibleCharges.length > 0 && (
              <ul className="charge-list">
                {visibleCharges.map((c) => {
                  const on = selected.includes(c.id);
                  return (
                    <li key={c.id} className={on ? "selected" : undefined}>
                      <label className="check">
                        <input
                          type="checkbox"
                          checked={on}
                          onChange={(e) => toggle(c.id, e.target.checked)}
                        />
                        <span>
                          <strong>{chargeTitle(c)}</strong>
                          <span className="sub">
                            {" "}
                            {c.regionId ?? ""} · {formatPeriod(c.chargePeriodStart, c.chargePeriodEnd)} ·{" "}
                            <Money amount={c.billedCost} currency={c.billingCurrency} />
                          </span>
                        </span>
                      </label>
                      {on && (
                        <Field
                          className="amount"
                          label={t("builder.amount", { charge: chargeTitle(c) })}
                          hint={
                            <>
                              {t("builder.amountHint")}
                              <Hints issues={issuesFor(`amounts.${c.id}`)} text={null} />
                            </>
                          }
                        >
                          {(p) => (
                            <input
                              {...p}
                              inputMode="decimal"
                              placeholder={c.billedCost ?? ""}
                              value={amounts[c.id] ?? ""}
                              onChange={(e) => setAmounts({ ...amounts, [c.id]: e.target.value })}
                            />
                          )}
                        </Field>
                      )}
                    </li>
                  );
                })}
              </ul>
            )}
            <div id="charges-hints">
              {errors.items && (
                <ul className="field-errors">
                  {errors.items.map((m) => (
                    <li key={m}>{m}</li>
                  ))}
                </ul>
              )}
              <Hints issues={issuesFor("lineItems")} text={null} />
            </div>
          </fieldset>
          <div className="row">
            <Field label={t("builder.reason")} errors={errors.reason}>
              {(p) => (
                <select {...p} value={reason} onChange={(e) => setReason(e.target.value)}>
                  {CASE_REASONS.map((r) => (
                    <option key={r} value={r}>
                      {label("reason", r)}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field label={t("builder.outcome")} errors={errors.desiredOutcome}>
              {(p) => (
                <select {...p} value={desiredOutcome} onChange={(e) => setDesiredOutcome(e.target.value)}>
                  {DESIRED_OUTCOMES.map((o) => (
                    <option key={o} value={o}>
                      {label("outcome", o)}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          </div>
          <Field
            label={t("builder.summary")}
            errors={errors.summary}
            hint={<Hints issues={issuesFor("summary")} text={textOf("summary")} />}
          >
            {(p) => (
              <input {...p} maxLength={300} value={summary} onChange={(e) => setSummary(e.target.value)} />
            )}
          </Field>
          <Field
            label={t("builder.description")}
            errors={errors.description}
            hint={<Hints issues={issuesFor("description")} text={textOf("description")} />}
          >
            {(p) => (
              <textarea
                {...p}
                rows={6}
                value={description}
                onChange={(e) => setDescription(e.target.value)}
              />
            )}
          </Field>
          <Field
            label={t("builder.impact")}
            errors={errors.impactStatement}
            hint={<Hints issues={issuesFor("impactStatement")} text={textOf("impactStatement")} />}
          >
            {(p) => (
              <textarea
                {...p}
                rows={3}
                value={impactStatement}
                onChange={(e) => setImpactStatement(e.target.value)}
              />
            )}
          </Field>
          <fieldset>
            <legend>{t("builder.pasted")}</legend>
            <p className="hint">{t("builder.pastedHint")}</p>
            <div className="row">
              <Field label={t("case.pasteKind")}>
                {(p) => (
                  <select {...p} value={pasteKind} onChange={(e) => setPasteKind(e.target.value)}>
                    {PASTED_KINDS.map((k) => (
                      <option key={k} value={k}>
                        {label("evidenceKind", k)}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
              <Field label={t("case.pasteLabel")} errors={errors.evidence}>
                {(p) => (
                  <input
                    {...p}
                    maxLength={200}
                    value={pasteLabel}
                    onChange={(e) => setPasteLabel(e.target.value)}
                  />
                )}
              </Field>
            </div>
            <Field label={t("case.pasteText")}>
              {(p) => (
                <textarea {...p} rows={4} value={pasteText} onChange={(e) => setPasteText(e.target.value)} />
              )}
            </Field>
          </fieldset>
          {general.length > 0 && <Hints issues={general} text={null} />}
          {submitProblem && <ProblemAlert problem={submitProblem} shownFields={shown} />}
          <div className="actions">
            <button type="submit" disabled={submitting !== null || selected.length === 0}>
              {submitting === "file" ? t("builder.submitting") : t("builder.submit")}
            </button>{" "}
            <button
              type="button"
              className="secondary"
              disabled={submitting !== null || selected.length === 0}
              onClick={() => void file("draft")}
            >
              {submitting === "draft" ? t("builder.saving") : t("builder.saveDraft")}
            </button>
          </div>
        </form>
        <aside className="preview panel" aria-labelledby="preview-heading">
          <h2 id="preview-heading">{t("builder.preview")}</h2>
          <p className="state" role="status">
            {checking ? t("builder.checking") : preview ? t("builder.hintCount", { count: lint.length }) : ""}
          </p>
          {previewProblem && <ProblemAlert problem={previewProblem} shownFields={shown} />}
          {!preview && !previewProblem && <Empty>{t("builder.previewEmpty")}</Empty>}
          {preview && (
            <>
              <h3>{t("builder.subject")}</h3>
              <p className="subject">{preview.result.request.subject}</p>
              <h3>{t("builder.executiveSummary")}</h3>
              <p>{preview.result.request.executiveSummary}</p>
              <h3>{t("builder.timeline")}</h3>
              {preview.result.request.timeline.length === 0 ? (
                <Empty>{t("builder.timelineEmpty")}</Empty>
              ) : (
                <ol className="timeline compact">
                  {preview.result.request.timeline.map((e) => (
                    <li key={`${e.utc}-${e.event}`}>
                      <Instant at={e.utc} /> — {e.event}
                    </li>
                  ))}
                </ol>
              )}
              <h3>{t("builder.resolution")}</h3>
              <p>{preview.result.request.requestedResolution}</p>
              {preview.result.request.evidenceList.length > 0 && (
                <>
                  <h3>{t("builder.evidence")}</h3>
                  <ul>
                    {preview.result.request.evidenceList.map((e) => (
                      <li key={e}>{e}</li>
                    ))}
                  </ul>
                </>
              )}
            </>
          )}
        </aside>
      </div>
    </section>
  );
}
