import { get } from "../../api/client";
import type { BilledVersusActualRow, CaseAnalysis, CaseDetail, CaseSla, IdentityLink } from "../../api/types";
import { BarChart } from "../../components/chart";
import { Badge, DataTable, Empty, ErrorState, Instant, Loading, Money } from "../../components/ui";
import { type Translate, useI18n } from "../../i18n/i18n";
import { formatInstant } from "../../lib/dates";
import { useLoad } from "../../lib/use-api";
import { SharedBadges, VerdictBadge } from "../compliance/shared";

/**
 * The workbench's evidence panels (loaded with the charting library, on first use): the charge's
 * billed quantity against the usage records, an SLA breach's outages against the SLA threshold, and
 * the accounts sharing an identity or a card with the case's account. Each reads only the public API:
 * `GET /cases/{id}/analysis` (src/cases/views.ts `caseAnalysis`) and `GET /accounts/{id}/links`.
 */
export function WorkbenchPanels({ c }: { c: CaseDetail }) {
  const analysis = useLoad(`analysis:${c.id}:${c.version}`, (signal) =>
    get<CaseAnalysis>(`/cases/${encodeURIComponent(c.id)}/analysis`, signal),
  );
  return (
    <>
      {analysis.status === "loading" && <Loading />}
      {analysis.status === "error" && (
        <ErrorState problem={analysis.problem} onRetry={() => void analysis.reload()} />
      )}
      {analysis.status === "ready" && (
        <>
          <BilledVersusActualPanel c={c} analysis={analysis.data} />
          <SlaPanel c={c} analysis={analysis.data} />
        </>
      )}
      <LinkedAccountsPanel c={c} />
    </>
  );
}

/** Milliseconds as hours and minutes, e.g. "2 h 0 min", "22 min" (for reading, not computing). */
export function readableDuration(ms: number, t: Translate): string {
  const minutes = Math.round(ms / 60_000);
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h > 0 ? t("dashboard.duration.hours", { h, m }) : t("dashboard.duration.minutes", { m });
}

/** Length of a UTC month `YYYY-MM` in milliseconds. */
export function monthLengthMs(month: string): bigint {
  const y = Number(month.slice(0, 4));
  const m = Number(month.slice(5, 7));
  return BigInt(Date.UTC(y, m, 1) - Date.UTC(y, m - 1, 1));
}

/**
 * The downtime a month may have before the SLA is breached: month × (100 − threshold) / 100, in whole
 * milliseconds (rounded down), computed on scaled integers from the threshold's exact decimal string.
 */
export function allowedDowntimeMs(monthMs: bigint, thresholdPercent: string): bigint | null {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(thresholdPercent.trim());
  if (!m) return null;
  const fraction = m[2] ?? "";
  const scale = 10n ** BigInt(fraction.length);
  const units = BigInt(`${m[1]}${fraction}`);
  const hundred = 100n * scale;
  if (units > hundred) return null;
  return (monthMs * (hundred - units)) / hundred;
}

function BilledVersusActualPanel({ c, analysis }: { c: CaseDetail; analysis: CaseAnalysis }) {
  const { t } = useI18n();
  const unavailable = analysis.unavailable;
  const table = analysis.billedVersusActual;
  // One chart per unit: hours and gigabytes do not share an axis.
  const comparable = (table?.rows ?? []).filter(
    (r): r is BilledVersusActualRow & { billedQuantity: string; actualQuantity: string } =>
      r.billedQuantity !== null && r.actualQuantity !== null,
  );
  const units = [...new Set(comparable.map((r) => r.unit ?? ""))];
  const name = (r: BilledVersusActualRow) => r.resourceId ?? r.sourceRef;
  return (
    <section className="panel" aria-labelledby="bva-heading">
      <h2 id="bva-heading">{t("panels.bva")}</h2>
      {unavailable ? (
        <Empty>{t("panels.unavailable", { reason: unavailable })}</Empty>
      ) : !table ? (
        <Empty>{t("panels.noUsage")}</Empty>
      ) : (
        <>
          {units.map((unit) => {
            const rows = comparable.filter((r) => (r.unit ?? "") === unit);
            return (
              <BarChart
                key={unit}
                title={t("panels.bvaChart", { unit: unit || t("panels.noUnit") })}
                labels={rows.map(name)}
                series={[
                  { label: t("panels.billed"), values: rows.map((r) => r.billedQuantity) },
                  { label: t("panels.actual"), values: rows.map((r) => r.actualQuantity) },
                ]}
                format={(v) => `${v} ${unit}`.trim()}
              />
            );
          })}
          <DataTable
            caption={t("panels.bvaTable")}
            columns={[
              t("panels.resource"),
              t("panels.billingRecord"),
              { num: t("panels.billed") },
              { num: t("panels.actual") },
              { num: t("panels.difference") },
              t("panels.unit"),
              { num: t("panels.billedCost") },
            ]}
          >
            {table.rows.map((r) => (
              <tr key={r.chargeId}>
                <th scope="row">{name(r)}</th>
                <td>
                  <code>{r.sourceRef}</code>
                </td>
                <td className="num">{r.billedQuantity ?? "—"}</td>
                <td className="num">{r.actualQuantity ?? t("panels.notComparable")}</td>
                <td className="num">{r.differenceQuantity ?? "—"}</td>
                <td>{r.unit ?? "—"}</td>
                <td className="num">
                  <Money amount={r.billedCost} currency={c.currency} />
                </td>
              </tr>
            ))}
          </DataTable>
          <p className="hint">{table.note}</p>
        </>
      )}
    </section>
  );
}

/** The charge period as a bar with each outage drawn where it happened (clipped to the period). */
function IncidentTimeline({ sla }: { sla: CaseSla }) {
  const { t } = useI18n();
  const from = Date.parse(sla.periodStart);
  const to = Date.parse(sla.periodEnd);
  const span = Math.max(1, to - from);
  const x = (ms: number) => ((Math.min(Math.max(ms, from), to) - from) / span) * 1000;
  const total = sla.incidents.reduce(
    (sum, i) => sum + Math.max(0, Math.min(Date.parse(i.end), to) - Math.max(Date.parse(i.start), from)),
    0,
  );
  const description = t("panels.timelineLabel", {
    count: sla.incidents.length,
    total: readableDuration(total, t),
    from: formatInstant(sla.periodStart),
    to: formatInstant(sla.periodEnd),
  });
  return (
    <figure className="incident-timeline">
      <figcaption>{t("panels.timeline")}</figcaption>
      <svg viewBox="0 0 1000 40" preserveAspectRatio="none" role="img" aria-label={description}>
        <title>{description}</title>
        <rect className="timeline-period" x="0" y="8" width="1000" height="24" rx="3" />
        {sla.incidents.map((i) => {
          const left = x(Date.parse(i.start));
          const right = x(Date.parse(i.end));
          // A short outage stays visible: at least 3 units of the 1,000 wide.
          return (
            <rect
              key={`${i.incidentId}-${i.start}`}
              className="timeline-outage"
              x={Math.min(left, 997)}
              y="4"
              width={Math.max(3, right - left)}
              height="32"
            />
          );
        })}
      </svg>
      <div className="timeline-ends" aria-hidden="true">
        <span>{formatInstant(sla.periodStart)}</span>
        <span>{formatInstant(sla.periodEnd)}</span>
      </div>
    </figure>
  );
}

/** A month's outages against what the SLA allows, drawn as two bars on one scale. */
function DowntimeBudget({ month, sla }: { month: CaseSla["months"][number]; sla: CaseSla }) {
  const { t } = useI18n();
  const monthMs = monthLengthMs(month.month);
  const allowed = sla.entry ? allowedDowntimeMs(monthMs, sla.entry.thresholdPercent) : null;
  const down = BigInt(month.downtimeMs);
  const below = month.creditPercent !== null;
  const scale = Number(allowed !== null && allowed > down ? allowed : down) * 1.1 || 1;
  const width = (ms: bigint) => Math.max(Number(ms) > 0 ? 3 : 0, (Number(ms) / scale) * 1000);
  const description = t("panels.budgetLabel", {
    month: month.month,
    down: readableDuration(Number(down), t),
    allowed: allowed === null ? "—" : readableDuration(Number(allowed), t),
  });
  return (
    <li className="sla-month">
      <p>
        <strong>{t("panels.month", { month: month.month })}</strong>{" "}
        {t("panels.measured", { availability: month.availabilityPercent })}
        {sla.entry && <> · {t("panels.threshold", { threshold: sla.entry.thresholdPercent })}</>}{" "}
        {sla.entry &&
          (below ? (
            <Badge tone="bad">{t("panels.belowSla", { credit: month.creditPercent ?? "" })}</Badge>
          ) : (
            <Badge tone="good">{t("panels.meetsSla")}</Badge>
          ))}
      </p>
      <p className="sub">{description}</p>
      {allowed !== null && (
        <svg
          className="budget"
          viewBox="0 0 1000 36"
          preserveAspectRatio="none"
          role="img"
          aria-label={description}
        >
          <title>{description}</title>
          <rect
            className={below ? "budget-down over" : "budget-down"}
            x="0"
            y="2"
            width={width(down)}
            height="14"
          />
          <rect className="budget-allowed" x="0" y="20" width={width(allowed)} height="14" />
          <line className="budget-threshold" x1={width(allowed)} x2={width(allowed)} y1="0" y2="36" />
        </svg>
      )}
      {allowed !== null && (
        <ul className="legend" aria-hidden="true">
          <li>
            <span className={below ? "swatch swatch-over" : "swatch swatch-down"} /> {t("panels.legendDown")}
          </li>
          <li>
            <span className="swatch swatch-allowed" /> {t("panels.legendAllowed")}
          </li>
        </ul>
      )}
    </li>
  );
}

function SlaPanel({ c, analysis }: { c: CaseDetail; analysis: CaseAnalysis }) {
  const { t } = useI18n();
  const sla = analysis.sla;
  return (
    <section className="panel" aria-labelledby="sla-heading">
      <h2 id="sla-heading">{t("panels.sla")}</h2>
      {c.reason !== "sla_breach" ? (
        <Empty>{t("panels.notSla")}</Empty>
      ) : !sla ? (
        <Empty>
          {analysis.unavailable
            ? t("panels.unavailable", { reason: analysis.unavailable })
            : t("panels.noPeriod")}
        </Empty>
      ) : (
        <>
          <dl className="facts">
            <dt>{t("panels.service")}</dt>
            <dd>
              {sla.serviceName ?? "—"} · {sla.regionId ?? "—"}
            </dd>
            <dt>{t("panels.chargePeriod")}</dt>
            <dd>
              <Instant at={sla.periodStart} /> – <Instant at={sla.periodEnd} />
            </dd>
            <dt>{t("panels.slaClause")}</dt>
            <dd>
              {sla.entry ? (
                <>
                  <code>{sla.entry.clauseId}</code> ·{" "}
                  {t("panels.threshold", { threshold: sla.entry.thresholdPercent })}
                  <div className="sub">
                    {sla.entry.scope} ·{" "}
                    <a href={sla.entry.sourceUrl} rel="noreferrer" target="_blank">
                      {t("panels.slaSource")}
                    </a>
                  </div>
                </>
              ) : (
                t("panels.noSlaTable")
              )}
            </dd>
          </dl>
          <ul className="plain sla-months">
            {sla.months.map((m) => (
              <DowntimeBudget key={m.month} month={m} sla={sla} />
            ))}
          </ul>
          {sla.incidents.length === 0 ? (
            <Empty>{t("panels.noIncidents")}</Empty>
          ) : (
            <>
              <IncidentTimeline sla={sla} />
              <DataTable
                caption={t("panels.incidents")}
                columns={[
                  t("panels.incident"),
                  t("panels.start"),
                  t("panels.end"),
                  { num: t("panels.duration") },
                ]}
              >
                {sla.incidents.map((i) => (
                  <tr key={`${i.incidentId}-${i.start}`}>
                    <th scope="row">
                      {i.statusPageUrl ? (
                        <a href={i.statusPageUrl} rel="noreferrer" target="_blank">
                          {i.incidentId}
                        </a>
                      ) : (
                        i.incidentId
                      )}
                    </th>
                    <td>
                      <Instant at={i.start} />
                    </td>
                    <td>
                      <Instant at={i.end} />
                    </td>
                    <td className="num">{readableDuration(Date.parse(i.end) - Date.parse(i.start), t)}</td>
                  </tr>
                ))}
              </DataTable>
            </>
          )}
        </>
      )}
    </section>
  );
}

const LINK_TONES = { pass: "good", attention: "warn", fail: "bad" } as const;

function LinkedAccountsPanel({ c }: { c: CaseDetail }) {
  const { t, label } = useI18n();
  const links = useLoad(`links:${c.accountId}`, (signal) =>
    get<{ items: IdentityLink[] }>(`/accounts/${encodeURIComponent(c.accountId)}/links`, signal),
  );
  // The automatic review's reading of the links (when it ran) above, compliance's verdicts per link now.
  const check = c.review?.checks.find((k) => k.code === "identity_links") ?? null;
  const tone = check ? (LINK_TONES[check.result as keyof typeof LINK_TONES] ?? "neutral") : "neutral";
  return (
    <section className="panel" aria-labelledby="links-heading">
      <h2 id="links-heading">{t("panels.links")}</h2>
      <p className="hint">{t("panels.linksIntro")}</p>
      {links.status === "loading" && <Loading />}
      {links.status === "error" && <ErrorState problem={links.problem} onRetry={() => void links.reload()} />}
      {links.status === "ready" &&
        (links.data.items.length === 0 ? (
          <Empty>{t("panels.noLinks")}</Empty>
        ) : (
          <>
            <p>
              {t("panels.linkStatus")}{" "}
              {check ? (
                <>
                  <Badge tone={tone}>{label("panels.linkResult", check.result)}</Badge> {check.detail}
                  {c.review?.reviewedAt && (
                    <span className="sub">
                      {" "}
                      ({t("panels.atReview")} <Instant at={c.review.reviewedAt} />)
                    </span>
                  )}
                </>
              ) : (
                <Badge tone="neutral">{t("workbench.noReview")}</Badge>
              )}
            </p>
            <DataTable
              caption={t("panels.links")}
              columns={[t("kyc.account"), t("panels.organisation"), t("panels.shares"), t("panels.verdict")]}
            >
              {links.data.items.map((l) => (
                <tr key={l.accountId}>
                  <th scope="row">
                    {l.accountName}
                    <div className="sub">
                      <code>{l.accountId}</code>
                    </div>
                  </th>
                  <td>{l.organisationName}</td>
                  <td>
                    <SharedBadges shared={l.shared} />
                  </td>
                  <td>
                    <VerdictBadge verdict={l.review?.verdict ?? null} />
                  </td>
                </tr>
              ))}
            </DataTable>
          </>
        ))}
    </section>
  );
}
