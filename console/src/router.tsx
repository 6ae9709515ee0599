import { type AnchorHTMLAttributes, type MouseEvent, useSyncExternalStore } from "react";

/**
 * The console's routes. Client routes live under /app/ (the server answers index.html there); `/` is
 * the sign-in page. Compliance, finance and dashboard pages slot in as more members of `Route` and
 * more rows of PATTERNS, with their nav entry in app.tsx.
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
