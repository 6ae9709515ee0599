import { type ReactNode, useEffect, useId, useRef } from "react";
import { fieldErrors, fieldKey } from "../api/client";
import type { Problem } from "../api/types";
import { type Translate, useI18n } from "../i18n/i18n";
import { formatInstant } from "../lib/dates";
import { formatMoney } from "../lib/money";

/** The page's heading; it takes focus on arrival so keyboard and screen-reader users start there. */
export function PageTitle({ children, title }: { children: ReactNode; title: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  const { t } = useI18n();
  useEffect(() => {
    document.title = `${title} · ${t("app.name")}`;
    ref.current?.focus();
  }, [title, t]);
  return (
    <h1 ref={ref} tabIndex={-1}>
      {children}
    </h1>
  );
}

export function Loading({ what }: { what?: string }) {
  const { t } = useI18n();
  return (
    <p className="state state-loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {what ?? t("state.loading")}
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="state state-empty">{children}</p>;
}

/** The server's problem in plain words first, then its detail, then field errors not shown beside a field. */
export function problemHeadline(problem: Problem, t: Translate): string {
  switch (problem.code) {
    case "network":
      return t("problem.network");
    case "conflict":
      return t("problem.conflict");
    case "invalid_transition":
      return t("problem.invalidTransition");
    case "unauthenticated":
      return t("problem.unauthenticated");
    case "invalid_credentials":
      return t("problem.invalidCredentials");
    case "forbidden":
      return t("problem.forbidden");
    case "not_found":
      return t("problem.notFound");
    case "csrf_failed":
      return t("problem.csrf");
    case "validation_failed":
      return t("problem.validation");
    case "rate_limited":
    case "account_locked":
      return t("problem.slowDown");
    default:
      return problem.title || t("problem.generic");
  }
}

export function ProblemAlert({
  problem,
  shownFields = [],
  children,
}: {
  problem: Problem;
  /** Fields whose errors the form shows next to the control: not repeated in the list. */
  shownFields?: readonly string[];
  children?: ReactNode;
}) {
  const { t } = useI18n();
  const rest = (problem.errors ?? []).filter((e) => !shownFields.includes(fieldKey(e)));
  const detail = problem.code === "network" ? null : problem.detail;
  return (
    <div className="problem" role="alert">
      <p className="problem-title">{problemHeadline(problem, t)}</p>
      {detail && detail !== problem.title && <p className="problem-detail">{detail}</p>}
      {rest.length > 0 && (
        <ul className="problem-fields">
          {rest.map((e) => (
            <li key={`${e.field}-${e.code}`}>
              <code>{e.field.replace(/^body[./]/, "")}</code>: {e.message}
            </li>
          ))}
        </ul>
      )}
      {problem.requestId && (
        <p className="problem-ref">{t("problem.reference", { id: problem.requestId })}</p>
      )}
      {children}
    </div>
  );
}

export function ErrorState({ problem, onRetry }: { problem: Problem; onRetry?: () => void }) {
  const { t } = useI18n();
  return (
    <div className="state state-error">
      <ProblemAlert problem={problem}>
        {onRetry && (
          <button type="button" className="secondary" onClick={onRetry}>
            {t("action.retry")}
          </button>
        )}
      </ProblemAlert>
    </div>
  );
}

/** A labelled control with its hint and its errors, wired together with aria-describedby. */
export function Field({
  label,
  hint,
  errors,
  children,
  className,
}: {
  label: string;
  hint?: ReactNode;
  errors?: readonly string[];
  children: (control: { id: string; "aria-describedby"?: string; "aria-invalid"?: boolean }) => ReactNode;
  className?: string;
}) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : null;
  const errorId = errors?.length ? `${id}-error` : null;
  const describedBy = [hintId, errorId].filter(Boolean).join(" ") || undefined;
  return (
    <div className={`field ${className ?? ""}`.trim()}>
      <label htmlFor={id}>{label}</label>
      {children({ id, "aria-describedby": describedBy, "aria-invalid": errorId ? true : undefined })}
      {hint && (
        <div className="hint" id={hintId ?? undefined}>
          {hint}
        </div>
      )}
      {errorId && (
        <ul className="field-errors" id={errorId}>
          {errors!.map((e) => (
            <li key={e}>{e}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

export { fieldErrors };

/** A text, month or date filter: a labelled input whose value lives in the filter form's state. */
export function FilterInput({
  label,
  hint,
  errors,
  type,
  list,
  value,
  onChange,
}: {
  label: string;
  hint?: ReactNode;
  errors?: readonly string[];
  type?: "month" | "date";
  /** The id of a `<datalist>` of suggestions. */
  list?: string;
  value: string;
  onChange: (value: string) => void;
}) {
  return (
    <Field label={label} hint={hint} errors={errors}>
      {(p) => (
        <input {...p} type={type} list={list} value={value} onChange={(e) => onChange(e.target.value)} />
      )}
    </Field>
  );
}

/** A filter form's two buttons: apply it (submit), or clear it and show everything. */
export function FilterActions({ onClear }: { onClear: () => void }) {
  const { t } = useI18n();
  return (
    <div className="filter-actions">
      <button type="submit">{t("action.applyFilters")}</button>
      <button type="button" className="secondary" onClick={onClear}>
        {t("action.clearFilters")}
      </button>
    </div>
  );
}

export function Money({
  amount,
  currency,
}: {
  amount: string | null | undefined;
  currency: string | null | undefined;
}) {
  return <span className="money">{formatMoney(amount, currency)}</span>;
}

export function Instant({ at }: { at: string | null | undefined }) {
  if (!at) return <span>—</span>;
  return <time dateTime={at}>{formatInstant(at)}</time>;
}

const STATE_TONES: Record<string, string> = {
  draft: "neutral",
  submitted: "info",
  in_review: "info",
  awaiting_customer: "warn",
  escalated: "warn",
  awaiting_verification: "warn",
  decided: "good",
  appealed: "info",
  in_second_review: "info",
  closed: "neutral",
  withdrawn: "neutral",
};

export function StatusBadge({ state }: { state: string }) {
  const { label } = useI18n();
  return <span className={`badge badge-${STATE_TONES[state] ?? "neutral"}`}>{label("state", state)}</span>;
}

export function Badge({
  tone,
  children,
}: {
  tone: "good" | "bad" | "warn" | "info" | "neutral";
  children: ReactNode;
}) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

/** `text` with the ranges marked, for lint hints: `text.slice(start, end)` is each excerpt. */
export function Highlighted({
  text,
  ranges,
}: {
  text: string;
  ranges: ReadonlyArray<{ start: number; end: number }>;
}) {
  const sorted = [...ranges].filter((r) => r.end > r.start).sort((a, b) => a.start - b.start);
  const parts: ReactNode[] = [];
  let at = 0;
  for (const r of sorted) {
    if (r.start < at) continue;
    parts.push(text.slice(at, r.start));
    parts.push(<mark key={r.start}>{text.slice(r.start, r.end)}</mark>);
    at = r.end;
  }
  parts.push(text.slice(at));
  return <span className="highlighted">{parts}</span>;
}

/** A column heading; `{ num }` marks a right-aligned column of figures, `false` leaves the column out. */
export type Column = ReactNode | { num: ReactNode };

const isFigures = (c: Column): c is { num: ReactNode } => typeof c === "object" && c !== null && "num" in c;

/** The console's one table markup (scrolling wrapper, caption, one heading row), so every table reads alike. */
export function DataTable({
  caption,
  showCaption = false,
  columns,
  children,
}: {
  caption: ReactNode;
  /** Show the caption; by default only assistive technology reads it. */
  showCaption?: boolean;
  columns: readonly Column[];
  /** The body's `<tr>` rows. */
  children: ReactNode;
}) {
  return (
    <div className="table-wrap">
      <table>
        <caption className={showCaption ? undefined : "visually-hidden"}>{caption}</caption>
        <thead>
          <tr>
            {columns.map((c, i) =>
              c === false || c == null ? null : (
                // biome-ignore lint/suspicious/noArrayIndexKey: a heading is its column's place, and omitted columns keep theirs.
                <th key={i} scope="col" className={isFigures(c) ? "num" : undefined}>
                  {isFigures(c) ? c.num : c}
                </th>
              ),
            )}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
