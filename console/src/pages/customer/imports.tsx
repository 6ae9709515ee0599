import { type FormEvent, useEffect, useRef, useState } from "react";
import { ApiError, get, getAll, newIdempotencyKey, uploadFile } from "../../api/client";
import type { ImportError, ImportJob, Problem } from "../../api/types";
import { FileUpload } from "../../components/file-upload";
import {
  Badge,
  DataTable,
  Empty,
  ErrorState,
  Field,
  fieldErrors,
  Instant,
  Loading,
  PageTitle,
} from "../../components/ui";
import type { MessageKey } from "../../i18n/dictionary";
import { type Translate, useI18n } from "../../i18n/i18n";
import { useLoad } from "../../lib/use-api";
import type { Abilities } from "../../session";

/** The server's import kinds and bill formats (src/imports/import-kinds.ts, src/billing/charge.ts). */
const IMPORT_KINDS = ["charges", "usage", "subscriptions", "incidents", "promotions", "payments"] as const;
const BILL_FORMATS = ["focus", "alibaba", "azure-ea", "aws-cur", "gcp-export"] as const;
const FINAL = ["succeeded", "failed"];
/** How often a running import is asked for its progress. */
const POLL_MS = 700;

const STATUS_TONES: Record<string, "good" | "bad" | "warn" | "info" | "neutral"> = {
  queued: "neutral",
  running: "info",
  succeeded: "good",
  failed: "bad",
};

/**
 * A refused file in plain words: where (file, line or row, column), what was expected and what was
 * found — the server's `FILE:LINE: column C: expected …, found "…"` spelled out for a reader.
 */
export function describeImportError(error: ImportError, t: Translate): string {
  const params = {
    file: error.file ?? "",
    line: error.line ?? "",
    row: error.row ?? "",
    column: error.column ?? "",
    expected: error.expected ?? "",
    found: error.found ?? "",
  };
  if (error.file && error.expected) {
    const where: MessageKey =
      error.line !== undefined
        ? error.column
          ? "imports.errorLineColumn"
          : "imports.errorLine"
        : error.row !== undefined
          ? error.column
            ? "imports.errorRowColumn"
            : "imports.errorRow"
          : "imports.errorFile";
    return t(where, params);
  }
  return error.detail ?? t("problem.generic");
}

function ImportProgressView({ job }: { job: ImportJob }) {
  const { t } = useI18n();
  const p = job.progress;
  const text =
    job.status === "queued" && !p
      ? t("imports.waiting")
      : p?.phase === "storing" && p.rowsTotal !== null
        ? t("imports.progressStoring", { done: p.rowsDone, total: p.rowsTotal })
        : t("imports.progressReading", { done: p?.rowsDone ?? 0 });
  const rate =
    p && p.rowsPerSecond !== null
      ? t("imports.rate", { rate: p.rowsPerSecond, eta: p.etaSeconds ?? "?" })
      : "";
  // Without a known total the bar is indeterminate: it says "working", not how far.
  const bar = p?.rowsTotal ? { max: p.rowsTotal, value: p.rowsDone } : {};
  return (
    <p className="progress">
      <label>
        {text} {rate && <span className="sub">{rate}</span>}
        <progress aria-label={t("imports.progressLabel", { name: job.fileName })} {...bar} />
      </label>
    </p>
  );
}

/** The outcome of one import, as the customer reads it after the upload. */
function ImportOutcome({ job, duplicate }: { job: ImportJob; duplicate: boolean }) {
  const { t, label } = useI18n();
  return (
    <section className="panel import-outcome" aria-labelledby={`import-${job.id}`}>
      <h3 id={`import-${job.id}`}>
        {job.fileName}{" "}
        <Badge tone={STATUS_TONES[job.status] ?? "neutral"}>{label("importStatus", job.status)}</Badge>
      </h3>
      {duplicate && <p>{t("imports.duplicate")}</p>}
      {!FINAL.includes(job.status) && <ImportProgressView job={job} />}
      {job.status === "succeeded" && !duplicate && (
        <p>
          {t("imports.succeeded", { count: job.rowsImported })}
          {job.rowsInvalid > 0 && <> {t("imports.rowsInvalid", { count: job.rowsInvalid })}</>}
        </p>
      )}
      {job.status === "failed" && job.error && (
        <div className="problem">
          <p className="problem-title">{describeImportError(job.error, t)}</p>
          <p className="problem-detail">{t("imports.nothingImported")}</p>
        </div>
      )}
    </section>
  );
}

function UploadForm({
  organisationId,
  knownIds,
  onChange,
}: {
  organisationId: string;
  /** Imports listed before this upload: the same bytes again answer with one of them. */
  knownIds: ReadonlySet<string>;
  onChange: () => void;
}) {
  const { t, label } = useI18n();
  const [kind, setKind] = useState<string>("charges");
  const [format, setFormat] = useState("");
  const [onInvalid, setOnInvalid] = useState("fail");
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [job, setJob] = useState<{ job: ImportJob; duplicate: boolean } | null>(null);
  const [busy, setBusy] = useState(false);
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  const errors = fieldErrors(problem);
  const watching = job && !FINAL.includes(job.job.status) ? job.job.id : null;

  // A queued or running import is polled until it ends; the list then shows it too.
  useEffect(() => {
    if (!watching) return;
    let stopped = false;
    const timer = setInterval(async () => {
      try {
        const next = await get<ImportJob>(`/imports/${encodeURIComponent(watching)}`);
        if (stopped) return;
        setJob((j) => (j && j.job.id === next.id ? { ...j, job: next } : j));
        if (FINAL.includes(next.status)) onChangeRef.current();
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        setProblem(error.problem);
      }
    }, POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [watching]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!file) return;
    setBusy(true);
    setProblem(null);
    setJob(null);
    setProgress(0);
    const fields: Record<string, string> = { kind, onInvalid };
    if (kind === "charges" && format) fields.format = format;
    try {
      const started = await uploadFile<ImportJob>(
        `/organisations/${encodeURIComponent(organisationId)}/imports`,
        file,
        setProgress,
        newIdempotencyKey(),
        fields,
      );
      setJob({ job: started, duplicate: knownIds.has(started.id) });
      (e.target as HTMLFormElement).reset();
      setFile(null);
      onChange();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      setProblem(error.problem);
    } finally {
      setBusy(false);
      setProgress(null);
    }
  }

  return (
    <section className="panel" aria-labelledby="upload-heading">
      <h2 id="upload-heading">{t("imports.upload")}</h2>
      <form className="upload-form" onSubmit={submit}>
        <div className="row">
          <Field label={t("imports.kind")} errors={errors.kind}>
            {(p) => (
              <select {...p} value={kind} onChange={(e) => setKind(e.target.value)}>
                {IMPORT_KINDS.map((k) => (
                  <option key={k} value={k}>
                    {label("importKind", k)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          {kind === "charges" && (
            <Field label={t("imports.format")} errors={errors.format}>
              {(p) => (
                <select {...p} value={format} onChange={(e) => setFormat(e.target.value)}>
                  <option value="">{t("imports.formatAuto")}</option>
                  {BILL_FORMATS.map((f) => (
                    <option key={f} value={f}>
                      {label("format", f)}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          )}
          <Field label={t("imports.onInvalid")} errors={errors.onInvalid}>
            {(p) => (
              <select {...p} value={onInvalid} onChange={(e) => setOnInvalid(e.target.value)}>
                <option value="fail">{t("imports.onInvalidFail")}</option>
                <option value="collect">{t("imports.onInvalidCollect")}</option>
              </select>
            )}
          </Field>
        </div>
        <FileUpload
          label={t("imports.file")}
          hint={t("imports.fileHint")}
          errors={errors.file}
          accept=".csv,.gz,.parquet,.jsonl,.ndjson,.json,text/csv,application/json"
          onFile={setFile}
          progress={progress}
          progressKey="imports.uploading"
          problem={problem}
          shownFields={["kind", "format", "onInvalid", "file"]}
          submit={{ label: t("imports.submit"), disabled: !file || busy }}
        />
      </form>
      <div role="status" aria-live="polite">
        {job && <ImportOutcome job={job.job} duplicate={job.duplicate} />}
      </div>
    </section>
  );
}

function ImportTable({ imports }: { imports: readonly ImportJob[] }) {
  const { t, label } = useI18n();
  return (
    <DataTable
      caption={t("imports.history")}
      columns={[
        t("imports.colFile"),
        t("imports.colKind"),
        t("col.status"),
        { num: t("imports.colRows") },
        t("imports.colUploaded"),
      ]}
    >
      {imports.map((i) => (
        <tr key={i.id}>
          <td>
            <strong>{i.fileName}</strong>
            {i.status === "failed" && i.error && (
              <div className="field-errors">{describeImportError(i.error, t)}</div>
            )}
          </td>
          <td>
            {label("importKind", i.kind)}
            {i.format && <div className="sub">{label("format", i.format)}</div>}
          </td>
          <td>
            <Badge tone={STATUS_TONES[i.status] ?? "neutral"}>{label("importStatus", i.status)}</Badge>
          </td>
          <td className="num">
            {i.rowsImported}
            {i.rowsInvalid > 0 && (
              <div className="sub">{t("imports.rowsInvalid", { count: i.rowsInvalid })}</div>
            )}
          </td>
          <td>
            <Instant at={i.createdAt} />
          </td>
        </tr>
      ))}
    </DataTable>
  );
}

export function ImportsPage({ abilities }: { abilities: Abilities }) {
  const { t } = useI18n();
  const org = abilities.organisation!;
  const list = useLoad(`imports:${org.id}`, (signal) =>
    getAll<ImportJob>(`/organisations/${encodeURIComponent(org.id)}/imports`, signal),
  );
  return (
    <section>
      <PageTitle title={t("imports.title")}>{t("imports.title")}</PageTitle>
      <p className="lead">{t("imports.intro")}</p>
      {abilities.canFile ? (
        <UploadForm
          organisationId={org.id}
          knownIds={new Set(list.status === "ready" ? list.data.map((i) => i.id) : [])}
          onChange={() => void list.reload()}
        />
      ) : (
        <p className="hint">{t("imports.viewerCannotUpload")}</p>
      )}
      <section aria-labelledby="history-heading">
        <h2 id="history-heading">{t("imports.history")}</h2>
        {list.status === "loading" && <Loading />}
        {list.status === "error" && <ErrorState problem={list.problem} onRetry={() => void list.reload()} />}
        {list.status === "ready" && list.data.length === 0 && <Empty>{t("imports.empty")}</Empty>}
        {list.status === "ready" && list.data.length > 0 && (
          // The API lists oldest first; the newest upload is what the customer looks for.
          <ImportTable imports={[...list.data].reverse()} />
        )}
      </section>
    </section>
  );
}
