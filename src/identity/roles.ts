export const CUSTOMER_ROLES = ["owner", "billing_admin", "billing_contact", "viewer"] as const;
export type CustomerRole = (typeof CUSTOMER_ROLES)[number];

export const PROVIDER_ROLES = [
  "support_agent",
  "reviewer",
  "senior_reviewer",
  "compliance_officer",
  "finance",
  "admin",
] as const;
export type ProviderRole = (typeof PROVIDER_ROLES)[number];

/** Permissions an API token (a service account) can carry. */
export const TOKEN_PERMISSIONS = [
  "billing:read",
  "billing:write",
  "refunds:read",
  "refunds:write",
  "kyc:read",
  "kyc:write",
] as const;
export type TokenPermission = (typeof TOKEN_PERMISSIONS)[number];

export const isCustomerRole = (r: string): r is CustomerRole =>
  (CUSTOMER_ROLES as readonly string[]).includes(r);
export const isProviderRole = (r: string): r is ProviderRole =>
  (PROVIDER_ROLES as readonly string[]).includes(r);
export const isTokenPermission = (p: string): p is TokenPermission =>
  (TOKEN_PERMISSIONS as readonly string[]).includes(p);
