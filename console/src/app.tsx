import { lazy, type ReactNode, Suspense, useEffect, useId } from "react";
import { Empty, ErrorState, Loading, PageTitle } from "./components/ui";
import type { MessageKey } from "./i18n/dictionary";
import { LANGUAGE_NAMES, LANGUAGES } from "./i18n/dictionary";
import { useI18n } from "./i18n/i18n";
import { viewerTimeZone } from "./lib/dates";
import { IdentityLinksPage } from "./pages/compliance/identity-links";
import { KycQueuePage } from "./pages/compliance/kyc-queue";
import { KycReviewPage } from "./pages/compliance/kyc-review";
import { isCompliance } from "./pages/compliance/shared";
import { BillsPage } from "./pages/customer/bills";
import { CasePage } from "./pages/customer/case";
import { ChargePage } from "./pages/customer/charge";
import { FindingsPage } from "./pages/customer/findings";
import { ImportsPage } from "./pages/customer/imports";
import { KycPage } from "./pages/customer/kyc";
import { OrganisationPage } from "./pages/customer/organisation";
import { OverviewPage } from "./pages/customer/overview";
import { RequestBuilderPage } from "./pages/customer/request-builder";
import { seesDashboard } from "./pages/dashboard/access";
import { LedgerPage } from "./pages/finance/ledger";
import { PayoutsPage } from "./pages/finance/payouts";
import { ReconciliationPage } from "./pages/finance/reconciliation";
import { ReconciliationsPage } from "./pages/finance/reconciliations";
import { isFinance } from "./pages/finance/shared";
import { QueuePage } from "./pages/reviewer/queue";
import { WorkbenchPage } from "./pages/reviewer/workbench";
import { SignInPage } from "./pages/sign-in";
import { Link, navigate, parseRoute, paths, type Route, useLocation } from "./router";
import { type Abilities, abilitiesOf, useSession } from "./session";

// Loaded on first visit: the dashboard brings the charting library, which no other page needs.
const DashboardPage = lazy(() =>
  import("./pages/dashboard/dashboard").then((m) => ({ default: m.DashboardPage })),
);

interface NavItem {
  href: string;
  label: MessageKey;
  /** Route names that count as this section, for aria-current. */
  routes: ReadonlyArray<Route["name"]>;
  show(a: Abilities): boolean;
}

/** The navigation, per side and role (see README "The web console"). */
const NAV: readonly NavItem[] = [
  { href: paths.overview(), label: "nav.overview", routes: ["overview", "case"], show: (a) => a.isCustomer },
  { href: paths.bills(), label: "nav.bills", routes: ["bills", "charge"], show: (a) => a.isCustomer },
  { href: paths.findings(), label: "nav.findings", routes: ["findings"], show: (a) => a.isCustomer },
  {
    href: paths.newRequest(),
    label: "nav.newRequest",
    routes: ["newRequest"],
    show: (a) => a.canFile || a.isAgent,
  },
  { href: paths.imports(), label: "nav.imports", routes: ["imports"], show: (a) => a.isCustomer },
  { href: paths.kyc(), label: "nav.kyc", routes: ["kyc"], show: (a) => a.isCustomer },
  {
    href: paths.organisation(),
    label: "nav.organisation",
    routes: ["organisation"],
    show: (a) => a.isCustomer,
  },
  { href: paths.queue(), label: "nav.queue", routes: ["queue", "workbench"], show: (a) => a.isReviewer },
  {
    href: paths.complianceKyc(),
    label: "nav.complianceKyc",
    routes: ["complianceKyc", "complianceKycReview"],
    show: isCompliance,
  },
  {
    href: paths.complianceLinks(),
    label: "nav.complianceLinks",
    routes: ["complianceLinks"],
    show: isCompliance,
  },
  { href: paths.financePayouts(), label: "nav.financePayouts", routes: ["financePayouts"], show: isFinance },
  {
    href: paths.financeReconciliations(),
    label: "nav.financeReconciliation",
    routes: ["financeReconciliations", "financeReconciliation"],
    show: isFinance,
  },
  { href: paths.financeLedger(), label: "nav.financeLedger", routes: ["financeLedger"], show: isFinance },
  { href: paths.dashboard(), label: "nav.dashboard", routes: ["dashboard"], show: seesDashboard },
];

function homeOf(a: Abilities): string {
  if (a.isCustomer) return paths.overview();
  if (a.isReviewer) return paths.queue();
  if (a.isAgent) return paths.newRequest();
  if (isCompliance(a)) return paths.complianceKyc();
  if (isFinance(a)) return paths.financePayouts();
  if (seesDashboard(a)) return paths.dashboard();
  return paths.home();
}

function LanguageSwitch() {
  const { language, setLanguage, t } = useI18n();
  return (
    // biome-ignore lint/a11y/useSemanticElements: a group of toggle buttons, not a form fieldset.
    <div className="language" role="group" aria-label={t("lang.label")}>
      {LANGUAGES.map((l) => (
        <button
          key={l}
          type="button"
          lang={l}
          className={l === language ? "toggle on" : "toggle"}
          aria-pressed={l === language}
          onClick={() => setLanguage(l)}
        >
          {LANGUAGE_NAMES[l]}
        </button>
      ))}
    </div>
  );
}

/** For a user in several customer organisations: which one the customer pages show. */
function OrganisationSwitch({ abilities }: { abilities: Abilities }) {
  const { t } = useI18n();
  const { setOrganisation } = useSession();
  const id = useId();
  return (
    <span className="org-switch">
      <label htmlFor={id}>{t("org.switch")}</label>
      <select
        id={id}
        value={abilities.organisation?.id ?? ""}
        onChange={(e) => {
          setOrganisation(e.target.value);
          navigate(paths.overview());
        }}
      >
        {abilities.memberships.map((m) => (
          <option key={m.organisationId} value={m.organisationId}>
            {m.name}
          </option>
        ))}
      </select>
    </span>
  );
}

function Shell({
  abilities,
  route,
  children,
}: {
  abilities: Abilities | null;
  route: Route;
  children: ReactNode;
}) {
  const { t } = useI18n();
  const { signOut } = useSession();
  const items = abilities ? NAV.filter((n) => n.show(abilities)) : [];
  return (
    <>
      <a className="skip-link" href="#main">
        {t("nav.skip")}
      </a>
      <header className="topbar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            RD
          </span>
          <span>{t("app.name")}</span>
        </div>
        {items.length > 0 && (
          <nav aria-label={t("nav.main")}>
            <ul>
              {items.map((n) => (
                <li key={n.href}>
                  <Link href={n.href} aria-current={n.routes.includes(route.name) ? "page" : undefined}>
                    {t(n.label)}
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
        )}
        <div className="top-actions">
          <LanguageSwitch />
          {abilities && abilities.memberships.length > 1 && <OrganisationSwitch abilities={abilities} />}
          {abilities && (
            <>
              <span className="who">
                {t("session.signedInAs", { name: abilities.name })}
                {abilities.organisation ? ` · ${abilities.organisation.name}` : ""}
              </span>
              <button type="button" className="secondary small" onClick={() => void signOut()}>
                {t("session.signOut")}
              </button>
            </>
          )}
        </div>
      </header>
      <main id="main">{children}</main>
      <footer className="footer">
        <p>
          {t("footer.timeZone", { zone: viewerTimeZone() })} · <a href="/docs">{t("footer.api")}</a>
        </p>
      </footer>
    </>
  );
}

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return <Loading />;
}

function NotAvailable({ message }: { message: MessageKey }) {
  const { t } = useI18n();
  return (
    <section>
      <PageTitle title={t("page.notAvailable")}>{t("page.notAvailable")}</PageTitle>
      <Empty>{t(message)}</Empty>
    </section>
  );
}

function pageFor(route: Route, a: Abilities): ReactNode {
  const customer = (page: ReactNode) =>
    a.isCustomer && a.organisation ? page : <NotAvailable message="page.customersOnly" />;
  const reviewer = (page: ReactNode) => (a.isReviewer ? page : <NotAvailable message="page.reviewersOnly" />);
  const compliance = (page: ReactNode) =>
    isCompliance(a) ? page : <NotAvailable message="page.complianceOnly" />;
  const finance = (page: ReactNode) => (isFinance(a) ? page : <NotAvailable message="page.financeOnly" />);
  switch (route.name) {
    case "signIn":
      return <Redirect to={homeOf(a)} />;
    case "home":
      return homeOf(a) === paths.home() ? (
        <NotAvailable message="page.laterForRole" />
      ) : (
        <Redirect to={homeOf(a)} />
      );
    case "overview":
      return customer(<OverviewPage abilities={a} />);
    case "bills":
      return customer(<BillsPage abilities={a} params={route.params} />);
    case "charge":
      return customer(<ChargePage abilities={a} chargeId={route.chargeId} />);
    case "findings":
      return customer(<FindingsPage abilities={a} />);
    case "newRequest":
      // Support agents file phone and chat requests on a customer's behalf.
      return a.isAgent ? (
        <RequestBuilderPage abilities={a} params={route.params} />
      ) : (
        customer(<RequestBuilderPage abilities={a} params={route.params} />)
      );
    case "case":
      return a.isAgent ? (
        <CasePage abilities={a} caseId={route.caseId} />
      ) : (
        customer(<CasePage abilities={a} caseId={route.caseId} />)
      );
    case "imports":
      return customer(<ImportsPage abilities={a} />);
    case "kyc":
      return customer(<KycPage abilities={a} params={route.params} />);
    case "organisation":
      return customer(<OrganisationPage abilities={a} />);
    case "queue":
      return reviewer(<QueuePage params={route.params} />);
    case "workbench":
      return reviewer(<WorkbenchPage abilities={a} caseId={route.caseId} />);
    case "complianceKyc":
      return compliance(<KycQueuePage />);
    case "complianceKycReview":
      return compliance(<KycReviewPage accountId={route.accountId} />);
    case "complianceLinks":
      return compliance(<IdentityLinksPage params={route.params} />);
    case "financePayouts":
      return finance(<PayoutsPage params={route.params} />);
    case "financeReconciliations":
      return finance(<ReconciliationsPage />);
    case "financeReconciliation":
      return finance(<ReconciliationPage reconciliationId={route.reconciliationId} />);
    case "financeLedger":
      return finance(<LedgerPage params={route.params} />);
    case "dashboard":
      return seesDashboard(a) ? (
        <Suspense fallback={<Loading />}>
          <DashboardPage abilities={a} params={route.params} />
        </Suspense>
      ) : (
        <NotAvailable message="page.dashboardNotForRole" />
      );
    case "notFound":
      return <NotAvailable message="page.notFound" />;
  }
}

export function App() {
  const { state, reload, organisationId } = useSession();
  const location = useLocation();
  const route = parseRoute(location.pathname, location.search);
  if (state.status === "loading")
    return (
      <Shell abilities={null} route={route}>
        <Loading />
      </Shell>
    );
  if (state.status === "error")
    return (
      <Shell abilities={null} route={route}>
        <ErrorState problem={state.problem} onRetry={() => void reload()} />
      </Shell>
    );
  if (state.status === "anonymous")
    return (
      <Shell abilities={null} route={route}>
        <SignInPage />
      </Shell>
    );
  const abilities = abilitiesOf(state.session, state.organisations, organisationId ?? undefined);
  return (
    <Shell abilities={abilities} route={route}>
      {/* A new key per location: each page starts fresh, with its own loading state. */}
      <div key={location.key}>{pageFor(route, abilities)}</div>
    </Shell>
  );
}
