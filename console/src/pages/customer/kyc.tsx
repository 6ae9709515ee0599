import { type FormEvent, useEffect, useState } from "react";
import { api, get, getAll, newIdempotencyKey, uploadFile } from "../../api/client";
import type { Account, CaseSummary, KycStatus } from "../../api/types";
import { FileUpload, useUpload } from "../../components/file-upload";
import {
  Badge,
  Empty,
  ErrorState,
  Field,
  fieldErrors,
  Instant,
  Loading,
  Money,
  PageTitle,
  ProblemAlert,
} from "../../components/ui";
import { useI18n } from "../../i18n/i18n";
import { useAction } from "../../lib/use-action";
import { useLoad } from "../../lib/use-api";
import { Link, navigate, paths } from "../../router";
import type { Abilities } from "../../session";
import { AccountOptions, loadAccounts } from "./shared";

/** What an uploaded document is (src/kyc/model.ts KYC_DOCUMENT_KINDS). */
const DOCUMENT_KINDS = [
  "passport",
  "national_id",
  "driving_licence",
  "business_licence",
  "proof_of_address",
  "other",
] as const;
/** NOTE: only an owner or a billing admin may submit an account's identity (src/identity/authorization.ts). */
const KYC_SUBMIT_ROLES = ["owner", "billing_admin"];

export const KYC_TONES: Record<string, "good" | "bad" | "warn" | "info" | "neutral"> = {
  unverified: "warn",
  pending: "info",
  verified: "good",
  rejected: "bad",
  expired: "warn",
};

function StatusFacts({ kyc }: { kyc: KycStatus }) {
  const { t, label } = useI18n();
  return (
    <dl className="facts">
      <dt>{t("kyc.status")}</dt>
      <dd>
        <Badge tone={KYC_TONES[kyc.status] ?? "neutral"}>{label("kycStatus", kyc.status)}</Badge>
      </dd>
      {kyc.status === "verified" && kyc.via && (
        <>
          <dt>{t("kyc.via")}</dt>
          <dd>{kyc.via === "billing_account" ? t("kyc.viaBilling") : t("kyc.viaOwn")}</dd>
        </>
      )}
      <dt>{t("kyc.type")}</dt>
      <dd>{kyc.type ? label("kycType", kyc.type) : "—"}</dd>
      <dt>{t("kyc.legalName")}</dt>
      <dd>{kyc.legalName ?? "—"}</dd>
      <dt>{t("kyc.submittedAt")}</dt>
      <dd>
        <Instant at={kyc.submittedAt} />
      </dd>
      <dt>{t("kyc.verifiedAt")}</dt>
      <dd>
        <Instant at={kyc.verifiedAt} />
      </dd>
      <dt>{t("kyc.expiresAt")}</dt>
      <dd>
        <Instant at={kyc.expiresAt} />
      </dd>
      {kyc.rejectionReason && (
        <>
          <dt>{t("kyc.rejectionReason")}</dt>
          <dd>{kyc.rejectionReason}</dd>
        </>
      )}
    </dl>
  );
}

function DocumentUpload({ accountId, onDone }: { accountId: string; onDone: () => Promise<void> }) {
  const { t, label } = useI18n();
  const [kind, setKind] = useState<string>("passport");
  const { file, setFile, progress, action, upload } = useUpload();
  const errors = fieldErrors(action.problem);
  const submit = (e: FormEvent) =>
    upload(
      e,
      (f, onProgress) =>
        uploadFile(
          `/accounts/${encodeURIComponent(accountId)}/kyc/documents`,
          f,
          onProgress,
          newIdempotencyKey(),
          { kind },
        ),
      (name) => t("kyc.uploaded", { name }),
      onDone,
    );
  return (
    <form onSubmit={submit} aria-labelledby="kyc-upload-heading">
      <h3 id="kyc-upload-heading">{t("kyc.uploadTitle")}</h3>
      <Field label={t("kyc.documentKind")} errors={errors.kind}>
        {(p) => (
          <select {...p} value={kind} onChange={(e) => setKind(e.target.value)}>
            {DOCUMENT_KINDS.map((k) => (
              <option key={k} value={k}>
                {label("docKind", k)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <FileUpload
        label={t("kyc.documentFile")}
        hint={t("kyc.documentHint")}
        errors={errors.file}
        accept=".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"
        onFile={setFile}
        progress={progress}
        progressKey="kyc.uploading"
        problem={action.problem}
        shownFields={["kind", "file"]}
        done={action.done}
        submit={{ label: t("kyc.uploadButton"), disabled: !file || action.busy, className: "secondary" }}
      />
    </form>
  );
}

function SubmitForm({ kyc, onDone }: { kyc: KycStatus; onDone: () => Promise<void> }) {
  const { t, label } = useI18n();
  const [type, setType] = useState<string>(kyc.type ?? "individual");
  const [legalName, setLegalName] = useState(kyc.legalName ?? "");
  const [identityNumber, setIdentityNumber] = useState("");
  const action = useAction();
  const errors = fieldErrors(action.problem);
  async function submit(e: FormEvent) {
    e.preventDefault();
    const ok = await action.run(
      () =>
        api(
          "POST",
          `/accounts/${encodeURIComponent(kyc.accountId)}/kyc`,
          { type, legalName, identityNumber },
          { idempotencyKey: newIdempotencyKey() },
        ),
      t("kyc.submitted"),
    );
    if (ok) {
      setIdentityNumber("");
      await onDone();
    }
  }
  return (
    <form onSubmit={submit} aria-labelledby="kyc-submit-heading">
      <h3 id="kyc-submit-heading">{t("kyc.submitTitle")}</h3>
      {kyc.documents.length === 0 && <p className="hint">{t("kyc.needDocument")}</p>}
      <Field label={t("kyc.kycType")} errors={errors.type}>
        {(p) => (
          <select {...p} value={type} onChange={(e) => setType(e.target.value)}>
            {["individual", "enterprise"].map((k) => (
              <option key={k} value={k}>
                {label("kycType", k)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label={t("kyc.legalName")} errors={errors.legalName}>
        {(p) => (
          <input
            {...p}
            autoComplete="name"
            maxLength={200}
            value={legalName}
            onChange={(e) => setLegalName(e.target.value)}
          />
        )}
      </Field>
      <Field
        label={t("kyc.identityNumber")}
        hint={t("kyc.identityNumberHint")}
        errors={errors.identityNumber}
      >
        {(p) => (
          <input
            {...p}
            autoComplete="off"
            maxLength={128}
            value={identityNumber}
            onChange={(e) => setIdentityNumber(e.target.value)}
          />
        )}
      </Field>
      {action.problem && (
        <ProblemAlert problem={action.problem} shownFields={["type", "legalName", "identityNumber"]} />
      )}
      <p role="status" className="done">
        {action.done}
      </p>
      <button
        type="submit"
        disabled={action.busy || kyc.documents.length === 0 || !legalName.trim() || !identityNumber.trim()}
      >
        {t("kyc.submit")}
      </button>
    </form>
  );
}

function WaitingCases({ cases }: { cases: readonly CaseSummary[] }) {
  const { t } = useI18n();
  if (cases.length === 0) return null;
  return (
    <section className="panel attention" aria-labelledby="waiting-heading">
      <h2 id="waiting-heading">{t("kyc.waitingCases")}</h2>
      <ul className="plain">
        {cases.map((c) => (
          <li key={c.id}>
            <Link href={paths.case(c.id)}>{c.ticketNumber ?? t("case.draft")}</Link> · {c.summary} ·{" "}
            <Money amount={c.amount} currency={c.currency} />
          </li>
        ))}
      </ul>
    </section>
  );
}

function AccountKyc({
  account,
  abilities,
  onChange,
}: {
  account: Account;
  abilities: Abilities;
  /** Told after each step, so the list of accounts shows the new status too. */
  onChange: () => void;
}) {
  const { t, label } = useI18n();
  const org = abilities.organisation!;
  const data = useLoad(`kyc:${account.id}`, async (signal) => {
    const [kyc, waiting] = await Promise.all([
      get<KycStatus>(`/accounts/${encodeURIComponent(account.id)}/kyc`, signal),
      getAll<CaseSummary>(
        `/organisations/${encodeURIComponent(org.id)}/cases?state=awaiting_verification&accountId=${encodeURIComponent(account.id)}`,
        signal,
      ),
    ]);
    return { kyc, waiting };
  });
  const reload = async () => {
    await data.reload();
    onChange();
  };
  if (data.status === "loading") return <Loading />;
  if (data.status === "error") return <ErrorState problem={data.problem} onRetry={() => void reload()} />;
  const { kyc, waiting } = data.data;
  const maySubmit = abilities.role !== null && KYC_SUBMIT_ROLES.includes(abilities.role);
  const canSubmitNow =
    ["unverified", "rejected", "expired"].includes(kyc.status) || kyc.via === "billing_account";
  return (
    <div className="two-columns">
      <div>
        <WaitingCases cases={waiting} />
        <section className="panel" aria-labelledby="kyc-status-heading">
          <h2 id="kyc-status-heading">{t("kyc.statusTitle", { account: account.name })}</h2>
          <StatusFacts kyc={kyc} />
          {kyc.status === "pending" && <p className="hint">{t("kyc.pendingNote")}</p>}
          {kyc.status === "verified" && <p className="hint">{t("kyc.verifiedNote")}</p>}
        </section>
        <section className="panel" aria-labelledby="kyc-documents-heading">
          <h2 id="kyc-documents-heading">{t("kyc.documents")}</h2>
          {kyc.documents.length === 0 ? (
            <Empty>{t("kyc.noDocuments")}</Empty>
          ) : (
            <ul className="plain">
              {kyc.documents.map((d) => (
                <li key={d.id}>
                  <Badge tone="neutral">{label("docKind", d.kind)}</Badge> {d.contentType} ·{" "}
                  {t("kyc.size", { kb: Math.max(1, Math.round(d.sizeBytes / 1024)) })} ·{" "}
                  <Instant at={d.createdAt} />
                </li>
              ))}
            </ul>
          )}
          <h3>{t("kyc.reviews")}</h3>
          {kyc.reviews.length === 0 ? (
            <Empty>{t("kyc.noReviews")}</Empty>
          ) : (
            <ul className="plain">
              {kyc.reviews.map((r) => (
                <li key={`${r.at}-${r.decision}`}>
                  <Badge tone={r.decision === "verified" ? "good" : "bad"}>
                    {label("kycStatus", r.decision)}
                  </Badge>{" "}
                  <Instant at={r.at} /> — {r.reason}
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
      <div>
        <section className="panel" aria-labelledby="kyc-actions-heading">
          <h2 id="kyc-actions-heading">{t("kyc.actions")}</h2>
          {!maySubmit && <p className="hint">{t("kyc.cannotSubmit")}</p>}
          {maySubmit && kyc.status === "pending" && <p className="hint">{t("kyc.pendingNote")}</p>}
          {maySubmit && kyc.status === "verified" && kyc.via === "own" && (
            <p className="hint">{t("kyc.verifiedNote")}</p>
          )}
          {maySubmit && canSubmitNow && (
            <>
              <DocumentUpload accountId={account.id} onDone={reload} />
              <SubmitForm kyc={kyc} onDone={reload} />
            </>
          )}
        </section>
      </div>
    </div>
  );
}

export function KycPage({ abilities, params }: { abilities: Abilities; params: URLSearchParams }) {
  const { t, label } = useI18n();
  const org = abilities.organisation!;
  const accounts = useLoad(`accounts:${org.id}`, (signal) => loadAccounts(org.id, signal));
  const requested = params.get("account") ?? "";
  const accountId =
    accounts.status === "ready"
      ? ((accounts.data.find((a) => a.id === requested) ?? accounts.data[0])?.id ?? "")
      : "";
  const account = accounts.status === "ready" ? accounts.data.find((a) => a.id === accountId) : undefined;
  // The chosen account lives in the address, so a link from a case opens the right one.
  useEffect(() => {
    if (accountId && accountId !== requested) navigate(paths.kyc(accountId), { replace: true });
  }, [accountId, requested]);
  return (
    <section>
      <PageTitle title={t("kyc.title")}>{t("kyc.title")}</PageTitle>
      <p className="lead">{t("kyc.intro")}</p>
      {accounts.status === "loading" && <Loading />}
      {accounts.status === "error" && (
        <ErrorState problem={accounts.problem} onRetry={() => void accounts.reload()} />
      )}
      {accounts.status === "ready" && accounts.data.length === 0 && <Empty>{t("kyc.noAccounts")}</Empty>}
      {accounts.status === "ready" && accounts.data.length > 0 && (
        <>
          <div className="filters">
            <Field label={t("kyc.account")}>
              {(p) => (
                <select {...p} value={accountId} onChange={(e) => navigate(paths.kyc(e.target.value))}>
                  <AccountOptions accounts={accounts.data} />
                </select>
              )}
            </Field>
            <ul className="plain kyc-summary" aria-label={t("kyc.allAccounts")}>
              {accounts.data.map((a) => (
                <li key={a.id}>
                  {a.name}:{" "}
                  <Badge tone={KYC_TONES[a.kyc.status] ?? "neutral"}>
                    {label("kycStatus", a.kyc.status)}
                  </Badge>
                </li>
              ))}
            </ul>
          </div>
          {account && (
            <AccountKyc
              key={account.id}
              account={account}
              abilities={abilities}
              onChange={() => void accounts.reload()}
            />
          )}
        </>
      )}
    </section>
  );
}
