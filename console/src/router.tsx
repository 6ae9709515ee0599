import { type AnchorHTMLAttributes, type MouseEvent, useSyncExternalStore } from "react";

/**
 * The console's routes. Client routes live under /app/ (the server answers index.html there); `/` is
 * the sign-in page. Each page is a member of `Route` and a row of PATTERNS, with its nav entry in
 * app.tsx.
 */
export type Route =
  | { name: "signIn" }
  | { name: "home" }
  | { name: "overview" }
  | { name: "bills"; params: URLSearchParams }
  | { name: "charge"; chargeId: string }
  | { name: "findings" }
  | { name: "newRequest"; params: URLSearchParams }
  | { name: "case"; caseId: string }
  | { name: "queue"; params: URLSearchParams }
  | { name: "workbench"; caseId: string }
  | { name: "imports" }
  | { name: "kyc"; params: URLSearchParams }
  | { name: "organisation" }
  | { name: "complianceKyc" }
  | { name: "complianceKycReview"; accountId: string }
  | { name: "complianceLinks"; params: URLSearchParams }
  | { name: "financePayouts"; params: URLSearchParams }
  | { name: "financeReconciliations" }
  | { name: "financeReconciliation"; reconciliationId: string }
  | { name: "financeLedger"; params: URLSearchParams }
  | { name: "dashboard"; params: URLSearchParams }
  | { name: "notFound" };

type Builder = (match: RegExpExecArray, params: URLSearchParams) => Route;

const PATTERNS: Array<[RegExp, Builder]> = [
  [/^\/$/, () => ({ name: "signIn" })],
  [/^\/app\/?$/, () => ({ name: "home" })],
  [/^\/app\/overview$/, () => ({ name: "overview" })],
  [/^\/app\/bills$/, (_m, params) => ({ name: "bills", params })],
  [/^\/app\/bills\/([\w-]+)$/, (m) => ({ name: "charge", chargeId: m[1]! })],
  [/^\/app\/findings$/, () => ({ name: "findings" })],
  [/^\/app\/requests\/new$/, (_m, params) => ({ name: "newRequest", params })],
  [/^\/app\/cases\/([\w-]+)$/, (m) => ({ name: "case", caseId: m[1]! })],
  [/^\/app\/review\/queue$/, (_m, params) => ({ name: "queue", params })],
  [/^\/app\/review\/cases\/([\w-]+)$/, (m) => ({ name: "workbench", caseId: m[1]! })],
  [/^\/app\/imports$/, () => ({ name: "imports" })],
  [/^\/app\/kyc$/, (_m, params) => ({ name: "kyc", params })],
  [/^\/app\/organisation$/, () => ({ name: "organisation" })],
  [/^\/app\/compliance\/kyc$/, () => ({ name: "complianceKyc" })],
  [/^\/app\/compliance\/kyc\/([\w-]+)$/, (m) => ({ name: "complianceKycReview", accountId: m[1]! })],
  [/^\/app\/compliance\/links$/, (_m, params) => ({ name: "complianceLinks", params })],
  [/^\/app\/finance\/payouts$/, (_m, params) => ({ name: "financePayouts", params })],
  [/^\/app\/finance\/reconciliation$/, () => ({ name: "financeReconciliations" })],
  [
    /^\/app\/finance\/reconciliation\/([\w-]+)$/,
    (m) => ({ name: "financeReconciliation", reconciliationId: m[1]! }),
  ],
  [/^\/app\/finance\/ledger$/, (_m, params) => ({ name: "financeLedger", params })],
  [/^\/app\/dashboard$/, (_m, params) => ({ name: "dashboard", params })],
];

export function parseRoute(pathname: string, search: string): Route {
  const params = new URLSearchParams(search);
  for (const [pattern, build] of PATTERNS) {
    const m = pattern.exec(pathname);
    if (m) return build(m, params);
  }
  return { name: "notFound" };
}

export const paths = {
  signIn: () => "/",
  home: () => "/app",
  overview: () => "/app/overview",
  bills: (q = "") => `/app/bills${q}`,
  charge: (id: string) => `/app/bills/${encodeURIComponent(id)}`,
  findings: () => "/app/findings",
  newRequest: (q = "") => `/app/requests/new${q}`,
  case: (id: string) => `/app/cases/${encodeURIComponent(id)}`,
  queue: (q = "") => `/app/review/queue${q}`,
  workbench: (id: string) => `/app/review/cases/${encodeURIComponent(id)}`,
  imports: () => "/app/imports",
  kyc: (accountId?: string) => (accountId ? `/app/kyc?account=${encodeURIComponent(accountId)}` : "/app/kyc"),
  organisation: () => "/app/organisation",
  complianceKyc: () => "/app/compliance/kyc",
  complianceKycReview: (accountId: string) => `/app/compliance/kyc/${encodeURIComponent(accountId)}`,
  complianceLinks: (accountId?: string) =>
    accountId ? `/app/compliance/links?account=${encodeURIComponent(accountId)}` : "/app/compliance/links",
  financePayouts: (status = "") =>
    status ? `/app/finance/payouts?status=${encodeURIComponent(status)}` : "/app/finance/payouts",
  financeReconciliations: () => "/app/finance/reconciliation",
  financeReconciliation: (id: string) => `/app/finance/reconciliation/${encodeURIComponent(id)}`,
  financeLedger: (q = "") => `/app/finance/ledger${q}`,
  dashboard: (q = "") => `/app/dashboard${q}`,
};

const NAVIGATED = "refund-desk:navigated";

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  window.dispatchEvent(new Event(NAVIGATED));
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener("popstate", onChange);
  window.addEventListener(NAVIGATED, onChange);
  return () => {
    window.removeEventListener("popstate", onChange);
    window.removeEventListener(NAVIGATED, onChange);
  };
}

const snapshot = () => `${location.pathname}${location.search}`;

/** The current path and query; re-renders on navigation. */
export function useLocation(): { pathname: string; search: string; key: string } {
  const key = useSyncExternalStore(subscribe, snapshot);
  const url = new URL(key, location.origin);
  return { pathname: url.pathname, search: url.search, key };
}

/** An <a> that navigates in place; modified clicks (new tab, download) keep the browser's behaviour. */
export function Link({ href, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const handle = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  };
  return <a href={href} onClick={handle} {...rest} />;
}

/** "Back to …" above a page's title; the arrow is decoration, so screen readers skip it. */
export function BackLink({ href, children }: { href: string; children: string }) {
  return (
    <p className="crumbs">
      <Link href={href}>
        <span aria-hidden="true">← </span>
        {children}
      </Link>
    </p>
  );
}
