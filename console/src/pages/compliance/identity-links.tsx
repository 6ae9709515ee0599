import { type FormEvent, useState } from "react";
import { api, get, getAll, newIdempotencyKey } from "../../api/client";
import type { Account, IdentityLink, Organisation } from "../../api/types";
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
import { Link, navigate, paths } from "../../router";
import { KycBadge, SharedBadges, VerdictBadge } from "./shared";

const VERDICTS = ["legitimate", "suspected_abuse"] as const;

/** Choose the account whose links to see: an organisation, then one of its accounts. */
function AccountPicker({ organisationId, accountId }: { organisationId: string; accountId: string }) {
  const { t } = useI18n();
  const [organisation, setOrganisation] = useState(organisationId);
  const [account, setAccount] = useState(accountId);
  const organisations = useLoad("compliance:organisations", (signal) =>
    getAll<Organisation>("/organisations", signal),
  );
  const accounts = useLoad(organisation ? `compliance:accounts:${organisation}` : null, (signal) =>
    getAll<Account>(`/organisations/${encodeURIComponent(organisation)}/accounts`, signal),
  );
  function submit(e: FormEvent) {
    e.preventDefault();
    if (account) navigate(paths.complianceLinks(account));
  }
  return (
    <form className="filters" onSubmit={submit} aria-label={t("compliance.links.pick")}>
      <Field label={t("compliance.links.organisation")}>
        {(p) => (
          <select
            {...p}
            value={organisation}
            onChange={(e) => {
              setOrganisation(e.target.value);
              setAccount("");
            }}
          >
            <option value="">{t("compliance.links.chooseOrganisation")}</option>
            {organisations.status === "ready" &&
              organisations.data.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name}
                </option>
              ))}
          </select>
        )}
      </Field>
      <Field label={t("compliance.account")}>
        {(p) => (
          <select
            {...p}
            value={account}
            disabled={!organisation || accounts.status !== "ready"}
            onChange={(e) => setAccount(e.target.value)}
          >
            <option value="">{t("compliance.links.chooseAccount")}</option>
            {accounts.status === "ready" &&
              accounts.data.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                  {a.isBillingAccount ? ` (${t("account.billing")})` : ""}
                </option>
              ))}
          </select>
        )}
      </Field>
      <div className="filter-actions">
        <button type="submit" disabled={!account}>
          {t("compliance.links.show")}
        </button>
      </div>
      {organisations.status === "error" && <ErrorState problem={organisations.problem} />}
      {accounts.status === "error" && <ErrorState problem={accounts.problem} />}
    </form>
  );
}

function VerdictForm({
  accountId,
  link,
  onDone,
}: {
  accountId: string;
  link: IdentityLink;
  onDone: (message: string) => Promise<void>;
}) {
  const { t, label } = useI18n();
  const [verdict, setVerdict] = useState<(typeof VERDICTS)[number] | "">("");
  const [reason, setReason] = useState("");
  const [missing, setMissing] = useState<string[]>([]);
  const action = useAction();
  const errors = fieldErrors(action.problem);
  const name = `verdict-${link.accountId}`;

  async function submit(e: FormEvent) {
    e.preventDefault();
    const gaps = [...(verdict ? [] : ["verdict"]), ...(reason.trim() ? [] : ["reason"])];
    setMissing(gaps);
    if (gaps.length) return;
    const message = t("compliance.links.recorded", {
      verdict: label("compliance.verdict", verdict),
      account: link.accountName,
    });
    const ok = await action.run(
      () =>
        api(
          "POST",
          `/accounts/${encodeURIComponent(accountId)}/links/${encodeURIComponent(link.accountId)}/review`,
          { verdict, reason: reason.trim() },
          { idempotencyKey: newIdempotencyKey() },
        ),
      message,
    );
    if (ok) {
      setReason("");
      setVerdict("");
      await onDone(message);
    }
  }

  const verdictErrors = [
    ...(missing.includes("verdict") ? [t("compliance.links.verdictRequired")] : []),
    ...(errors.verdict ?? []),
  ];
  return (
    <form onSubmit={submit} noValidate className="verdict-form">
      <fieldset aria-describedby={verdictErrors.length ? `${name}-errors` : undefined}>
        <legend>{t("compliance.links.verdictFor", { account: link.accountName })}</legend>
        {VERDICTS.map((v) => (
          <label key={v} className="check">
            <input
              type="radio"
              name={name}
              value={v}
              checked={verdict === v}
              onChange={() => setVerdict(v)}
            />{" "}
            {label("compliance.verdict", v)}
          </label>
        ))}
        {verdictErrors.length > 0 && (
          <ul className="field-errors" id={`${name}-errors`}>
            {verdictErrors.map((m) => (
              <li key={m}>{m}</li>
            ))}
          </ul>
        )}
      </fieldset>
      <Field
        label={t("compliance.links.reason")}
        hint={t("compliance.links.reasonHint")}
        errors={[
          ...(missing.includes("reason") ? [t("compliance.reasonRequired")] : []),
          ...(errors.reason ?? []),
        ]}
      >
        {(p) => (
          <textarea
            {...p}
            rows={2}
            required
            aria-required="true"
            value={reason}
            onChange={(e) => setReason(e.target.value)}
          />
        )}
      </Field>
      {action.problem && <ProblemAlert problem={action.problem} shownFields={["verdict", "reason"]} />}
      <button type="submit" disabled={action.busy}>
        {t("compliance.links.record")}
      </button>
    </form>
  );
}

function LinksOf({ accountId }: { accountId: string }) {
  const { t } = useI18n();
  const [done, setDone] = useState<string | null>(null);
  const data = useLoad(`compliance:links:${accountId}`, async (signal) => {
    const id = encodeURIComponent(accountId);
    const [account, links] = await Promise.all([
      get<Account>(`/accounts/${id}`, signal),
      get<{ items: IdentityLink[] }>(`/accounts/${id}/links`, signal),
    ]);
    const organisation = await get<Organisation>(
      `/organisations/${encodeURIComponent(account.organisationId)}`,
      signal,
    );
    return { account, organisation, links: links.items };
  });
  if (data.status === "loading") return <Loading />;
  if (data.status === "error")
    return <ErrorState problem={data.problem} onRetry={() => void data.reload()} />;
  const d = data.data;
  return (
    <>
      <section className="panel" aria-labelledby="account-heading">
        <h2 id="account-heading">
          {t("compliance.links.of", { account: d.account.name, organisation: d.organisation.name })}
        </h2>
        <p>
          {t("compliance.status")}: <KycBadge status={d.account.kyc.status} />{" "}
          {d.account.kyc.status === "pending" && (
            <Link href={paths.complianceKycReview(d.account.id)}>{t("compliance.links.reviewKyc")}</Link>
          )}
        </p>
        <p role="status" className="done">
          {done}
        </p>
      </section>
      {d.links.length === 0 ? (
        <Empty>{t("compliance.noLinks")}</Empty>
      ) : (
        d.links.map((l) => {
          const latest = l.review;
          return (
            <article key={l.accountId} className="panel" aria-labelledby={`link-${l.accountId}`}>
              <h3 id={`link-${l.accountId}`}>
                {l.accountName} <span className="sub">· {l.organisationName}</span>
              </h3>
              <p>
                {t("compliance.links.shares")} <SharedBadges shared={l.shared} />
              </p>
              <p>
                {t("compliance.links.latest")} <VerdictBadge verdict={latest?.verdict ?? null} />
                {latest && (
                  <span className="sub">
                    {" "}
                    <Instant at={latest.reviewedAt} />
                  </span>
                )}
              </p>
              {latest?.reason && <p className="note">{latest.reason}</p>}
              <VerdictForm
                accountId={d.account.id}
                link={l}
                onDone={async (message) => {
                  await data.reload();
                  setDone(message);
                }}
              />
            </article>
          );
        })
      )}
    </>
  );
}

/**
 * Identity links: accounts in any organisation that share an identity number or a payment card
 * with the chosen one. Compliance marks each link legitimate (one company, a family card) or
 * suspected abuse, which keeps larger refunds off the original payment method.
 */
export function IdentityLinksPage({ params }: { params: URLSearchParams }) {
  const { t } = useI18n();
  const accountId = params.get("account") ?? "";
  const organisationId = params.get("organisation") ?? "";
  return (
    <section>
      <PageTitle title={t("compliance.links.title")}>{t("compliance.links.title")}</PageTitle>
      <p className="lead">{t("compliance.links.intro")}</p>
      <AccountPicker key={accountId} organisationId={organisationId} accountId={accountId} />
      {accountId ? <LinksOf accountId={accountId} /> : <Empty>{t("compliance.links.none")}</Empty>}
    </section>
  );
}
