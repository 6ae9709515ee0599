import type { CustomerRole, ProviderRole, TokenPermission } from "./roles.js";

/**
 * The one answer to "may this principal do this action on this account?". Pure: the
 * principal carries its memberships, the target names its organisation and account.
 *
 * NOTE: a principal with no relation to an organisation gets `hidden` (the API answers
 * 404, never 403), so the existence of another tenant's objects is never revealed.
 */
export const ACTIONS = [
  "organisation.read",
  "organisation.create",
  "account.read",
  "account.manage",
  "members.read",
  "members.manage",
  "tokens.manage",
  "billing.read",
  "billing.import",
  "refunds.read",
  "refunds.request",
  "refunds.request_on_behalf",
  "refunds.review",
  "refunds.review_senior",
  "kyc.read",
  "kyc.submit",
  "kyc.documents.read",
  "kyc.decide",
  "identity_links.read",
  "payment_methods.manage",
  "ledger.read",
  /** Provider-wide finance work: settlement reconciliation, finance tasks, the trial balance. */
  "reconciliation.run",
  /** Sending a refund to the payment gateway again (a new attempt moves money). */
  "payouts.manage",
  /** Running an account's invoice, which consumes its account credits. */
  "invoices.run",
  "audit_log.read",
  "users.manage",
  "webhooks.manage",
  /** The dashboard's refund figures: an organisation's own, or every customer's for provider staff. */
  "dashboard.read",
  /** Operations: reading dead jobs and sending them back to the queue (provider-wide, admins). */
  "jobs.manage",
] as const;
export type Action = (typeof ACTIONS)[number];

const CUSTOMER_READ: readonly Action[] = [
  "organisation.read",
  "account.read",
  "members.read",
  "billing.read",
  "refunds.read",
  "kyc.read",
  "ledger.read",
  "dashboard.read",
];

/** NOTE: only owner, billing_admin and billing_contact (and scoped tokens) may request refunds. */
export const CUSTOMER_ROLE_ACTIONS: Record<CustomerRole, readonly Action[]> = {
  owner: [
    ...CUSTOMER_READ,
    "account.manage",
    "members.manage",
    "tokens.manage",
    "billing.import",
    "refunds.request",
    "kyc.submit",
    "kyc.documents.read",
    "payment_methods.manage",
    "audit_log.read",
    "webhooks.manage",
  ],
  billing_admin: [
    ...CUSTOMER_READ,
    "tokens.manage",
    "billing.import",
    "refunds.request",
    "kyc.submit",
    "kyc.documents.read",
    "payment_methods.manage",
    "webhooks.manage",
  ],
  billing_contact: [...CUSTOMER_READ, "billing.import", "refunds.request"],
  viewer: CUSTOMER_READ,
};

const STAFF_READ: readonly Action[] = ["organisation.read", "account.read", "members.read", "kyc.read"];

/** Provider staff act on every customer organisation, within their role. */
export const PROVIDER_ROLE_ACTIONS: Record<ProviderRole, readonly Action[]> = {
  support_agent: [
    ...STAFF_READ,
    "billing.read",
    "refunds.read",
    "refunds.request_on_behalf",
    "dashboard.read",
  ],
  reviewer: [
    ...STAFF_READ,
    "billing.read",
    "refunds.read",
    "refunds.review",
    "identity_links.read",
    "ledger.read",
    "dashboard.read",
  ],
  senior_reviewer: [
    ...STAFF_READ,
    "billing.read",
    "refunds.read",
    "refunds.review",
    "refunds.review_senior",
    "identity_links.read",
    "ledger.read",
    "dashboard.read",
  ],
  compliance_officer: [
    ...STAFF_READ,
    "kyc.documents.read",
    "kyc.decide",
    "identity_links.read",
    "audit_log.read",
  ],
  finance: [
    ...STAFF_READ,
    "billing.read",
    "refunds.read",
    "ledger.read",
    "reconciliation.run",
    "payouts.manage",
    "invoices.run",
    "dashboard.read",
  ],
  admin: [
    ...STAFF_READ,
    "organisation.create",
    "account.manage",
    "members.manage",
    "billing.read",
    "refunds.read",
    "identity_links.read",
    "ledger.read",
    "reconciliation.run",
    "payouts.manage",
    "invoices.run",
    "audit_log.read",
    "users.manage",
    "dashboard.read",
    "jobs.manage",
  ],
};

export const TOKEN_PERMISSION_ACTIONS: Record<TokenPermission, readonly Action[]> = {
  "billing:read": ["billing.read"],
  "billing:write": ["billing.read", "billing.import"],
  "refunds:read": ["refunds.read"],
  "refunds:write": ["refunds.read", "refunds.request"],
  "kyc:read": ["kyc.read"],
  "kyc:write": ["kyc.read", "kyc.submit"],
};

/** What every token may do on the accounts it is scoped to. */
const TOKEN_BASE: readonly Action[] = ["organisation.read", "account.read"];

export type Principal =
  | {
      kind: "user";
      userId: string;
      /** Customer organisations the user belongs to, with the role in each. */
      memberships: ReadonlyMap<string, CustomerRole>;
      /** Roles in the provider organisation; empty for customers. */
      providerRoles: readonly ProviderRole[];
    }
  | {
      kind: "token";
      tokenId: string;
      organisationId: string;
      /** null: every account of the organisation. */
      accountIds: readonly string[] | null;
      permissions: readonly TokenPermission[];
    };

export interface Target {
  /** A customer organisation (provider-wide actions pass null). */
  organisationId: string | null;
  accountId?: string;
}

export type Decision = "allow" | "deny" | "hidden";

export function actorRef(p: Principal): string {
  return p.kind === "user" ? p.userId : p.tokenId;
}

export function isProviderStaff(p: Principal): boolean {
  return p.kind === "user" && p.providerRoles.length > 0;
}

export function authorize(principal: Principal, action: Action, target: Target): Decision {
  const granted = grantedActions(principal, target);
  if (granted === null) return "hidden";
  return granted.has(action) ? "allow" : "deny";
}

/** The actions a principal holds on a target, or null when the target is invisible to it. */
function grantedActions(principal: Principal, target: Target): Set<Action> | null {
  if (principal.kind === "token") {
    if (target.organisationId !== principal.organisationId) return null;
    if (target.accountId && principal.accountIds && !principal.accountIds.includes(target.accountId))
      return null;
    return new Set([...TOKEN_BASE, ...principal.permissions.flatMap((p) => TOKEN_PERMISSION_ACTIONS[p])]);
  }
  const actions = new Set<Action>(principal.providerRoles.flatMap((r) => PROVIDER_ROLE_ACTIONS[r]));
  const role = target.organisationId ? principal.memberships.get(target.organisationId) : undefined;
  if (role) for (const a of CUSTOMER_ROLE_ACTIONS[role]) actions.add(a);
  const related = role !== undefined || principal.providerRoles.length > 0;
  return related ? actions : null;
}
