import { useState } from "react";
import { ApiError, api, getAll, newIdempotencyKey } from "../../api/client";
import type { CaseSummary, Filed, Finding, Problem } from "../../api/types";
import {
  Badge,
  Empty,
  ErrorState,
  Instant,
  Loading,
  Money,
  PageTitle,
  ProblemAlert,
} from "../../components/ui";
import { useI18n } from "../../i18n/i18n";
import { useLoad } from "../../lib/use-api";
import { Link, navigate, paths } from "../../router";
import type { Abilities } from "../../session";
import { accountName, loadAccounts } from "./shared";

function FindingCard({
  finding,
  accountLabel,
  canFile,
  organisationId,
  filedAs,
}: {
  finding: Finding;
  accountLabel: string;
  canFile: boolean;
  organisationId: string;
  /** The case made of this finding, when there is one. */
  filedAs: CaseSummary | undefined;
}) {
  const { t, label } = useI18n();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const headingId = `finding-${finding.id}`;

  async function file() {
    setBusy(true);
    setProblem(null);
    try {
      const filed = await api<Filed>(
        "POST",
        `/organisations/${organisationId}/findings/${encodeURIComponent(finding.id)}/case`,
        {},
        { idempotencyKey: newIdempotencyKey() },
      );
      const first = filed.cases[0];
      if (first) navigate(paths.case(first.id));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      setProblem(error.problem);
      setBusy(false);
    }
  }

  return (
    <article className="card finding" aria-labelledby={headingId}>
      <header className="card-head">
        <h2 id={headingId}>{label("kind", finding.kind)}</h2>
        <span className="figure">
          <Money amount={finding.amount} currency={finding.currency} />
        </span>
      </header>
      <p className="badges">
        <Badge tone={finding.status === "open" ? "info" : finding.status === "filed" ? "good" : "neutral"}>
          {label("findingStatus", finding.status)}
        </Badge>
        <Badge tone={finding.claimable ? "good" : "bad"}>
          {finding.claimable ? t("findings.claimable") : t("findings.notClaimable")}
        </Badge>
        <span className="sub">
          {t("col.account")}: {accountLabel} · {t("findings.firstFound")}{" "}
          <Instant at={finding.firstFoundAt} />
        </span>
      </p>
      <p>{finding.explanation}</p>
      <p className="sub">
        {t("findings.charges")} <code>{finding.charges.join(", ")}</code>
        {finding.clauses.length > 0 && (
          <>
            {" · "}
            {t("findings.clauses")} <code>{finding.clauses.join(", ")}</code>
          </>
        )}
      </p>
      {filedAs && (
        <p>
          <Link href={paths.case(filedAs.id)}>
            {t("findings.viewCase", { ticket: filedAs.ticketNumber ?? t("case.draft") })}
          </Link>
        </p>
      )}
      {problem && <ProblemAlert problem={problem} />}
      {finding.status === "open" && finding.claimable && canFile && (
        <button type="button" onClick={() => void file()} disabled={busy} aria-describedby={headingId}>
          {busy ? t("findings.filing") : t("findings.file")}
        </button>
      )}
      {finding.status === "open" && finding.claimable && !canFile && (
        <p className="hint">{t("findings.viewerCannotFile")}</p>
      )}
    </article>
  );
}

export function FindingsPage({ abilities }: { abilities: Abilities }) {
  const { t } = useI18n();
  const org = abilities.organisation!;
  const data = useLoad(`findings:${org.id}`, async (signal) => {
    const [findings, accounts, cases] = await Promise.all([
      getAll<Finding>(`/organisations/${org.id}/findings`, signal),
      loadAccounts(org.id, signal),
      getAll<CaseSummary>(`/organisations/${org.id}/cases`, signal, 400),
    ]);
    // Open and claimable first: those are the ones to act on.
    const rank = (f: Finding) => (f.status === "open" ? (f.claimable ? 0 : 1) : f.status === "filed" ? 2 : 3);
    // The newest case of each finding (the list comes newest first); a withdrawn one may be followed by another.
    const caseOf = new Map<string, CaseSummary>();
    for (const c of cases) if (c.findingId && !caseOf.has(c.findingId)) caseOf.set(c.findingId, c);
    return { findings: [...findings].sort((a, b) => rank(a) - rank(b)), accounts, caseOf };
  });
  return (
    <section>
      <PageTitle title={t("findings.title")}>{t("findings.title")}</PageTitle>
      <p className="lead">{t("findings.intro")}</p>
      {data.status === "loading" && <Loading />}
      {data.status === "error" && <ErrorState problem={data.problem} onRetry={() => void data.reload()} />}
      {data.status === "ready" && data.data.findings.length === 0 && <Empty>{t("findings.empty")}</Empty>}
      {data.status === "ready" &&
        data.data.findings.map((f) => (
          <FindingCard
            key={f.id}
            finding={f}
            accountLabel={accountName(data.data.accounts, f.accountId)}
            canFile={abilities.canFile}
            organisationId={org.id}
            filedAs={data.data.caseOf.get(f.id)}
          />
        ))}
    </section>
  );
}
