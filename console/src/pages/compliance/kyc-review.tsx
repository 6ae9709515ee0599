import { type FormEvent, useState } from "react";
import { api, get, newIdempotencyKey } from "../../api/client";
import type { Account, IdentityLink, KycDocument, KycStatus, Organisation } from "../../api/types";
import {
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
import { BackLink, Link, paths } from "../../router";
import { KycBadge, SharedBadges } from "./shared";

const documentUrl = (accountId: string, documentId: string) =>
  `/accounts/${encodeURIComponent(accountId)}/kyc/documents/${encodeURIComponent(documentId)}`;

/** Kilobytes with one decimal: identity papers are photos and scans of a few hundred KB. */
const size = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

/**
 * One uploaded document: a photo (PNG, JPEG) shown inline, a PDF as a download. Every read of a
 * document is recorded in the customer's audit log by the server.
 */
function DocumentView({ accountId, doc }: { accountId: string; doc: KycDocument }) {
  const { t, label } = useI18n();
  const url = documentUrl(accountId, doc.id);
  const kind = label("compliance.docKind", doc.kind);
  return (
    <li className="document">
      <figure>
        {doc.contentType.startsWith("image/") && (
          <img src={url} alt={t("compliance.documentAlt", { kind })} className="document-image" />
        )}
        <figcaption>
          <strong>{kind}</strong>{" "}
          <span className="sub">
            {doc.contentType} · {size(doc.sizeBytes)} · {t("compliance.uploaded")}{" "}
            <Instant at={doc.createdAt} />
          </span>
          <br />
          <a href={url} download>
            {t("compliance.download", { kind })}
          </a>
        </figcaption>
      </figure>
    </li>
  );
}

function DecisionForm({
  accountId,
  onDone,
}: {
  accountId: string;
  onDone: (message: string) => Promise<void>;
}) {
  const { t } = useI18n();
  const [decision, setDecision] = useState<"verified" | "rejected">("verified");
  const [reason, setReason] = useState("");
  const [missingReason, setMissingReason] = useState(false);
  const action = useAction();
  const errors = fieldErrors(action.problem);
  const reasonErrors = [...(missingReason ? [t("compliance.reasonRequired")] : []), ...(errors.reason ?? [])];

  async function submit(e: FormEvent) {
    e.preventDefault();
    // NOTE: a KYC decision is kept with its reason for the customer and the audit: never without one.
    if (!reason.trim()) {
      setMissingReason(true);
      return;
    }
    setMissingReason(false);
    const message = decision === "verified" ? t("compliance.verifiedDone") : t("compliance.rejectedDone");
    const ok = await action.run(
      () =>
        api(
          "POST",
          `/accounts/${encodeURIComponent(accountId)}/kyc/decision`,
          { decision, reason: reason.trim() },
          { idempotencyKey: newIdempotencyKey() },
        ),
      message,
    );
    if (ok) await onDone(message);
  }

  return (
    <form onSubmit={submit} noValidate>
      <fieldset>
        <legend>{t("compliance.decision")}</legend>
        <label className="check">
          <input
            type="radio"
            name="kyc-decision"
            value="verified"
            checked={decision === "verified"}
            onChange={() => setDecision("verified")}
          />{" "}
          {t("compliance.verify")}
        </label>
        <label className="check">
          <input
            type="radio"
            name="kyc-decision"
            value="rejected"
            checked={decision === "rejected"}
            onChange={() => setDecision("rejected")}
          />{" "}
          {t("compliance.reject")}
        </label>
      </fieldset>
      <Field label={t("compliance.reason")} hint={t("compliance.reasonHint")} errors={reasonErrors}>
        {(p) => (
          <textarea
            {...p}
            rows={3}
            required
            aria-required="true"
            value={reason}
            onChange={(e) => setReason(e.target.value)}
          />
        )}
      </Field>
      {action.problem && <ProblemAlert problem={action.problem} shownFields={["reason"]} />}
      <button type="submit" disabled={action.busy} className={decision === "rejected" ? "danger" : undefined}>
        {t("compliance.recordDecision")}
      </button>
    </form>
  );
}

export function KycReviewPage({ accountId }: { accountId: string }) {
  const { t, label } = useI18n();
  // Said after the decision reloads the page's data, which replaces the form with the new status.
  const [done, setDone] = useState<string | null>(null);
  const data = useLoad(`compliance:kyc:${accountId}`, async (signal) => {
    const id = encodeURIComponent(accountId);
    const [account, kyc, links] = await Promise.all([
      get<Account>(`/accounts/${id}`, signal),
      get<KycStatus>(`/accounts/${id}/kyc`, signal),
      get<{ items: IdentityLink[] }>(`/accounts/${id}/links`, signal),
    ]);
    const organisation = await get<Organisation>(
      `/organisations/${encodeURIComponent(account.organisationId)}`,
      signal,
    );
    return { account, kyc, links: links.items, organisation };
  });
  const d = data.status === "ready" ? data.data : null;
  const title = d
    ? t("compliance.review.title", { account: d.account.name })
    : t("compliance.review.loading");
  return (
    <section>
      <BackLink href={paths.complianceKyc()}>{t("compliance.backToQueue")}</BackLink>
      <PageTitle title={title}>{title}</PageTitle>
      {data.status === "loading" && <Loading />}
      {data.status === "error" && <ErrorState problem={data.problem} onRetry={() => void data.reload()} />}
      {d && (
        <div className="two-columns">
          <div>
            <section className="panel" aria-labelledby="documents-heading">
              <h2 id="documents-heading">{t("compliance.documents")}</h2>
              {d.kyc.documents.length === 0 ? (
                <Empty>{t("compliance.noDocuments")}</Empty>
              ) : (
                <ul className="documents">
                  {d.kyc.documents.map((doc) => (
                    <DocumentView key={doc.id} accountId={d.account.id} doc={doc} />
                  ))}
                </ul>
              )}
            </section>
            <section className="panel" aria-labelledby="links-heading">
              <h2 id="links-heading">{t("compliance.linkedAccounts")}</h2>
              {d.links.length === 0 ? (
                <Empty>{t("compliance.noLinks")}</Empty>
              ) : (
                <ul className="plain">
                  {d.links.map((l) => (
                    <li key={l.accountId}>
                      <strong>{l.accountName}</strong> <span className="sub">{l.organisationName}</span>{" "}
                      <SharedBadges shared={l.shared} />
                    </li>
                  ))}
                </ul>
              )}
              <p>
                <Link href={paths.complianceLinks(d.account.id)}>{t("compliance.judgeLinks")}</Link>
              </p>
            </section>
            <section className="panel" aria-labelledby="reviews-heading">
              <h2 id="reviews-heading">{t("compliance.history")}</h2>
              {d.kyc.reviews.length === 0 ? (
                <Empty>{t("compliance.noHistory")}</Empty>
              ) : (
                <ul className="plain">
                  {d.kyc.reviews.map((r) => (
                    <li key={`${r.at}-${r.decision}`}>
                      <KycBadge status={r.decision} /> <Instant at={r.at} />
                      <p className="note">{r.reason}</p>
                    </li>
                  ))}
                </ul>
              )}
            </section>
          </div>
          <div>
            <section className="panel" aria-labelledby="submission-heading">
              <h2 id="submission-heading">{t("compliance.submission")}</h2>
              <dl className="facts">
                <dt>{t("col.customer")}</dt>
                <dd>{d.organisation.name}</dd>
                <dt>{t("compliance.account")}</dt>
                <dd>
                  {d.account.name}
                  {d.account.isBillingAccount ? ` (${t("account.billing")})` : ""}
                </dd>
                <dt>{t("compliance.status")}</dt>
                <dd>
                  <KycBadge status={d.kyc.status} />
                </dd>
                <dt>{t("compliance.type")}</dt>
                <dd>{d.kyc.type ? label("compliance.type", d.kyc.type) : "—"}</dd>
                <dt>{t("compliance.legalName")}</dt>
                <dd>{d.kyc.legalName ?? "—"}</dd>
                <dt>{t("compliance.submittedAt")}</dt>
                <dd>
                  <Instant at={d.kyc.submittedAt} />
                </dd>
                {d.kyc.verifiedAt && (
                  <>
                    <dt>{t("compliance.verifiedAt")}</dt>
                    <dd>
                      <Instant at={d.kyc.verifiedAt} />
                    </dd>
                  </>
                )}
                {d.kyc.expiresAt && (
                  <>
                    <dt>{t("compliance.expiresAt")}</dt>
                    <dd>
                      <Instant at={d.kyc.expiresAt} />
                    </dd>
                  </>
                )}
              </dl>
              <p className="hint">{t("compliance.identityNumberHidden")}</p>
            </section>
            <section className="panel" aria-labelledby="decide-heading">
              <h2 id="decide-heading">{t("compliance.decide")}</h2>
              <p role="status" className="done">
                {done}
              </p>
              {d.kyc.status === "pending" ? (
                <DecisionForm
                  accountId={d.account.id}
                  onDone={async (message) => {
                    await data.reload();
                    setDone(message);
                  }}
                />
              ) : (
                <p className="state">
                  {t("compliance.notPending", { status: label("compliance.kyc", d.kyc.status) })}
                </p>
              )}
            </section>
          </div>
        </div>
      )}
    </section>
  );
}
