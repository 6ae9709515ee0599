import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from "react";
import { ApiError, api, get, onSignedOut, setCsrfToken } from "./api/client";
import type { Organisation, Problem, UserSession } from "./api/types";

/** Roles that may file refund requests (README "Roles"); a viewer sees but does not file. */
const FILING_ROLES = ["owner", "billing_admin", "billing_contact"];
const REVIEW_ROLES = ["reviewer", "senior_reviewer"];

export type SessionState =
  | { status: "loading" }
  | { status: "error"; problem: Problem }
  | { status: "anonymous" }
  | { status: "signedIn"; session: UserSession; organisations: Organisation[] };

interface SessionApi {
  state: SessionState;
  /** The customer organisation chosen by a user who belongs to several (null: the first). */
  organisationId: string | null;
  setOrganisation(id: string): void;
  reload(): Promise<void>;
  signIn(email: string, password: string): Promise<void>;
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionApi | null>(null);
const ORGANISATION_KEY = "refund-desk.organisation";

function storedOrganisation(): string | null {
  try {
    return localStorage.getItem(ORGANISATION_KEY);
  } catch {
    return null;
  }
}

async function loadSession(): Promise<SessionState> {
  try {
    const session = await get<UserSession | { kind: "token" }>("/auth/session");
    if (session.kind !== "user") return { status: "anonymous" };
    setCsrfToken(session.csrfToken);
    const organisations = (await get<{ items: Organisation[] }>("/organisations?limit=200")).items;
    return { status: "signedIn", session, organisations };
  } catch (error) {
    if (error instanceof ApiError && error.problem.status === 401) return { status: "anonymous" };
    if (error instanceof ApiError) return { status: "error", problem: error.problem };
    throw error;
  }
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: "loading" });
  const [organisationId, setOrganisationId] = useState<string | null>(storedOrganisation);
  const setOrganisation = useCallback((id: string) => {
    localStorage.setItem(ORGANISATION_KEY, id);
    setOrganisationId(id);
  }, []);
  const reload = useCallback(async () => setState(await loadSession()), []);
  useEffect(() => {
    void reload();
    return onSignedOut(() => {
      setCsrfToken(null);
      setState({ status: "anonymous" });
    });
  }, [reload]);
  const value = useMemo<SessionApi>(
    () => ({
      state,
      organisationId,
      setOrganisation,
      reload,
      signIn: async (email, password) => {
        const res = await api<{ csrfToken: string }>("POST", "/auth/login", { email, password });
        setCsrfToken(res.csrfToken);
        setState(await loadSession());
      },
      signOut: async () => {
        try {
          await api("POST", "/auth/logout");
        } finally {
          setCsrfToken(null);
          setState({ status: "anonymous" });
        }
      },
    }),
    [state, reload, organisationId, setOrganisation],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionApi {
  const s = useContext(SessionContext);
  if (!s) throw new Error("useSession outside SessionProvider");
  return s;
}

/** What the signed-in user may do, derived once from their memberships and staff roles. */
export interface Abilities {
  userId: string;
  name: string;
  /** The customer organisation the customer pages show (the first membership). */
  organisation: Organisation | null;
  role: string | null;
  isCustomer: boolean;
  canFile: boolean;
  isReviewer: boolean;
  /** A support agent: files phone and chat requests on a customer's behalf. */
  isAgent: boolean;
  /** Every customer organisation the user belongs to, for the organisation switch. */
  memberships: Array<{ organisationId: string; name: string; role: string }>;
  providerRoles: string[];
}

export function abilitiesOf(
  session: UserSession,
  organisations: Organisation[],
  organisationId?: string,
): Abilities {
  const membership =
    session.memberships.find((m) => m.organisationId === organisationId) ?? session.memberships[0] ?? null;
  const organisation = organisations.find((o) => o.id === membership?.organisationId) ?? null;
  return {
    userId: session.user.id,
    name: session.user.name,
    organisation,
    role: membership?.role ?? null,
    isCustomer: membership !== null,
    canFile: membership !== null && FILING_ROLES.includes(membership.role),
    isReviewer: session.providerRoles.some((r) => REVIEW_ROLES.includes(r)),
    isAgent: session.providerRoles.includes("support_agent"),
    memberships: session.memberships.map((m) => ({
      organisationId: m.organisationId,
      name: organisations.find((o) => o.id === m.organisationId)?.name ?? m.organisationId,
      role: m.role,
    })),
    providerRoles: session.providerRoles,
  };
}
