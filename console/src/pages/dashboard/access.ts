import type { Abilities } from "../../session";

/**
 * Provider roles that see every customer's refund figures (`dashboard.read` in
 * src/identity/authorization.ts). Kept apart from the page, so the navigation can ask without
 * loading the page and its charting library.
 */
export const DASHBOARD_STAFF_ROLES = ["support_agent", "reviewer", "senior_reviewer", "finance", "admin"];

export const seesEveryCustomer = (a: Abilities): boolean =>
  a.providerRoles.some((r) => DASHBOARD_STAFF_ROLES.includes(r));

/** A customer's users see their own organisation's figures; staff above, every customer's. */
export const seesDashboard = (a: Abilities): boolean => a.isCustomer || seesEveryCustomer(a);
