import type { CaseDetail, CustomerPayout, Decision, Evidence, TimelineEvent } from "../api/types";
import { useI18n } from "../i18n/i18n";
import { Badge, Empty, Instant, Money, StatusBadge } from "./ui";

/** The facts a customer and a reviewer both need first: status, ticket, money, deadline. */
export function CaseFacts({ c }: { c: CaseDetail }) {
  const { t, label } = useI18n();
  return (
    <dl className="facts">
      <dt>{t("case.status")}</dt>
      <dd>
        <StatusBadge state={c.state} />
        {c.overdue && <Badge tone="bad">{t("case.overdue")}</Badge>}
        {c.fastTrack && <Badge tone="good">{t("case.fastTrack")}</Badge>}
      </dd>
      <dt>{t("case.ticket")}</dt>
      <dd className="ticket">{c.ticketNumber ?? t("case.draft")}</dd>
      <dt>{t("case.amount")}</dt>
      <dd className="figure">
        <Money amount={c.amount} currency={c.currency} />
      </dd>
      <dt>{t("case.expectedDecision")}</dt>
      <dd>
        {c.expectedDecisionBy ? (
          <>
            <Instant at={c.expectedDecisionBy.at} />
            <div className="sub">
              {t("case.expectedDecisionNote", { date: c.expectedDecisionBy.date, zone: c.timeZone })}
            </div>
          </>
        ) : (
          "—"
        )}
        {c.clockPaused && <div className="sub">{t("case.paused")}</div>}
      </dd>
      <dt>{t("case.reason")}</dt>
      <dd>{label("reason", c.reason)}</dd>
      <dt>{t("case.desiredOutcome")}</dt>
      <dd>{label("outcome", c.desiredOutcome)}</dd>
      <dt>{t("case.submitted")}</dt>
      <dd>
        <Instant at={c.submittedAt} />
      </dd>
      <dt>{t("case.channel")}</dt>
      <dd>{label("channel", c.channel)}</dd>
      {c.onBehalfOf && (
        <>
          <dt>{t("case.onBehalfOf")}</dt>
          <dd>{c.onBehalfOf}</dd>
        </>
      )}
    </dl>
  );
}

export function Timeline({ events }: { events: readonly TimelineEvent[] }) {
  const { t, label } = useI18n();
  if (events.length === 0) return <Empty>{t("case.timelineEmpty")}</Empty>;
  return (
    <ol className="timeline">
      {events.map((e) => (
        <li key={e.id}>
          <Instant at={e.at} />
          <div>
            <strong>{label("event", e.type)}</strong>
            {e.toState && label("state", e.toState) !== label("event", e.type) && (
              <>
                {" → "}
                {label("state", e.toState)}
              </>
            )}
            {e.note && <p className="note">{e.note}</p>}
          </div>
        </li>
      ))}
    </ol>
  );
}

const sizeOf = (bytes: number | null): string =>
  bytes === null
    ? ""
    : bytes < 1024
      ? `${bytes} B`
      : bytes < 1048576
        ? `${(bytes / 1024).toFixed(1)} KB`
        : `${(bytes / 1048576).toFixed(1)} MB`;

export function EvidenceList({ caseId, evidence }: { caseId: string; evidence: readonly Evidence[] }) {
  const { t, label } = useI18n();
  if (evidence.length === 0) return <Empty>{t("case.evidenceEmpty")}</Empty>;
  return (
    <ul className="evidence">
      {evidence.map((e) => (
        <li key={e.id}>
          <Badge tone="neutral">{label("evidenceKind", e.kind)}</Badge>{" "}
          {e.kind === "file" ? (
            <a
              href={`/cases/${encodeURIComponent(caseId)}/evidence/${encodeURIComponent(e.id)}/content`}
              download
            >
              {e.label}
            </a>
          ) : (
            <span>{e.label}</span>
          )}
          <span className="sub">
            {" "}
            {e.contentType ?? ""} {sizeOf(e.sizeBytes)} · <Instant at={e.createdAt} />
          </span>
          {e.text && (
            <details>
              <summary>{t("case.showText")}</summary>
              <p className="note">{e.text}</p>
            </details>
          )}
        </li>
      ))}
    </ul>
  );
}

export function DecisionView({ d }: { d: Decision }) {
  const { t, label } = useI18n();
  return (
    <article className="decision" aria-labelledby={`decision-${d.id}`}>
      <h3 id={`decision-${d.id}`}>
        {label("outcome", d.outcome)}
        {d.amount && (
          <>
            {" · "}
            <Money amount={d.amount} currency={d.currency} />
          </>
        )}
        {d.final && <Badge tone="neutral">{t("decision.final")}</Badge>}
      </h3>
      <p className="sub">
        {t("decision.decidedAt")} <Instant at={d.decidedAt} />
      </p>
      <h4>{t("decision.rationale")}</h4>
      <p className="prose">{d.rationale}</p>
      {d.clauses.length > 0 && (
        <>
          <h4>{t("decision.clauses")}</h4>
          <ul className="clauses">
            {d.clauses.map((c) => (
              <li key={c.id}>
                <strong>{c.title}</strong> <code>{c.id}</code>
                {c.text && <p className="note">{c.text}</p>}
              </li>
            ))}
          </ul>
        </>
      )}
      {d.credit && (
        <p>
          {t("decision.creditScope", {
            services: d.credit.services.join(", ") || t("decision.anyService"),
            regions: d.credit.regions.join(", ") || t("decision.anyRegion"),
          })}{" "}
          {t("decision.creditExpires")} <Instant at={d.credit.expiresAt} />
        </p>
      )}
      {d.adjustment && <p>{d.adjustment}</p>}
      <p>
        <a className="button-link secondary" href={d.letter} download>
          {t("decision.letter")}
        </a>
      </p>
    </article>
  );
}

export function CaseTexts({ c }: { c: CaseDetail }) {
  const { t } = useI18n();
  return (
    <>
      <h2>{c.summary || t("case.noSummary")}</h2>
      {c.description && <p className="prose">{c.description}</p>}
      {c.impactStatement && (
        <>
          <h3>{t("case.impact")}</h3>
          <p className="prose">{c.impactStatement}</p>
        </>
      )}
    </>
  );
}

const PAYOUT_TONES: Record<string, "good" | "bad" | "warn" | "info" | "neutral"> = {
  pending: "info",
  submitted: "info",
  requires_action: "warn",
  succeeded: "good",
  failed: "bad",
  credited: "neutral",
};
/** Payouts still on their way to the customer's bank. */
export const PAYOUTS_IN_FLIGHT = ["pending", "submitted", "requires_action"];

export function PayoutStatus({ status }: { status: string }) {
  const { label } = useI18n();
  return <Badge tone={PAYOUT_TONES[status] ?? "neutral"}>{label("payoutStatus", status)}</Badge>;
}

/** Refunds to the original payment method: where each stands at the gateway. */
export function PayoutList({ payouts }: { payouts: readonly CustomerPayout[] }) {
  const { t, label } = useI18n();
  return (
    <ul className="plain payouts">
      {payouts.map((p) => (
        <li key={p.id}>
          <Money amount={p.amount} currency={p.currency} /> <PayoutStatus status={p.status} />
          <div className="sub">
            {t("payout.sent")} <Instant at={p.submittedAt} /> · {t("payout.settled")}{" "}
            <Instant at={p.settledAt} />
            {p.failureCode && <> · {label("payoutFailure", p.failureCode)}</>}
          </div>
        </li>
      ))}
    </ul>
  );
}

/** The customer's appeal: what is new, for the second reviewer and for the customer's own record. */
export function AppealView({ appeal }: { appeal: NonNullable<CaseDetail["appeal"]> }) {
  const { t } = useI18n();
  return (
    <section className="panel" aria-labelledby="appeal-view-heading">
      <h2 id="appeal-view-heading">{t("appeal.title")}</h2>
      <p className="sub">
        {t("appeal.filedAt")} <Instant at={appeal.filedAt} />
      </p>
      <p className="prose">{appeal.argument}</p>
    </section>
  );
}
