import { describe, expect, it } from "vitest";
import {
  ACTIONS,
  authorize,
  CUSTOMER_ROLE_ACTIONS,
  PROVIDER_ROLE_ACTIONS,
  type Principal,
} from "./authorization.js";
import { CUSTOMER_ROLES, PROVIDER_ROLES } from "./roles.js";

const ORG = "org_own";
const FOREIGN = "org_foreign";
const customer = (role: (typeof CUSTOMER_ROLES)[number]): Principal => ({
  kind: "user",
  userId: "usr_1",
  memberships: new Map([[ORG, role]]),
  providerRoles: [],
});

describe("authorize", () => {
  it("hides a foreign organisation from every customer role, whatever the action", () => {
    for (const role of CUSTOMER_ROLES)
      for (const action of ACTIONS)
        expect(authorize(customer(role), action, { organisationId: FOREIGN })).toBe("hidden");
  });

  it("lets only owner, billing_admin and billing_contact request refunds", () => {
    const allowed = CUSTOMER_ROLES.filter(
      (r) => authorize(customer(r), "refunds.request", { organisationId: ORG }) === "allow",
    );
    expect(allowed).toEqual(["owner", "billing_admin", "billing_contact"]);
    expect(authorize(customer("viewer"), "refunds.request", { organisationId: ORG })).toBe("deny");
  });

  it("gives provider staff only their role's actions, on every customer organisation", () => {
    for (const role of PROVIDER_ROLES) {
      const staff: Principal = {
        kind: "user",
        userId: "usr_s",
        memberships: new Map(),
        providerRoles: [role],
      };
      for (const action of ACTIONS) {
        const expected = PROVIDER_ROLE_ACTIONS[role].includes(action) ? "allow" : "deny";
        expect(authorize(staff, action, { organisationId: FOREIGN })).toBe(expected);
      }
    }
  });

  it("never lets a customer role decide KYC or refunds", () => {
    for (const role of CUSTOMER_ROLES) {
      expect(CUSTOMER_ROLE_ACTIONS[role]).not.toContain("kyc.decide");
      expect(CUSTOMER_ROLE_ACTIONS[role]).not.toContain("refunds.review");
    }
  });

  describe("API tokens", () => {
    const token: Principal = {
      kind: "token",
      tokenId: "tok_1",
      organisationId: ORG,
      accountIds: ["acct_a"],
      permissions: ["refunds:write"],
    };
    it("act within their permissions on their accounts", () => {
      expect(authorize(token, "refunds.request", { organisationId: ORG, accountId: "acct_a" })).toBe("allow");
      expect(authorize(token, "billing.import", { organisationId: ORG, accountId: "acct_a" })).toBe("deny");
    });
    it("cannot see accounts outside their scope or other organisations", () => {
      expect(authorize(token, "refunds.request", { organisationId: ORG, accountId: "acct_b" })).toBe(
        "hidden",
      );
      expect(authorize(token, "account.read", { organisationId: FOREIGN })).toBe("hidden");
    });
    it("cannot manage members or tokens, whatever they carry", () => {
      const all: Principal = {
        ...token,
        accountIds: null,
        permissions: ["billing:write", "refunds:write", "kyc:write"],
      };
      for (const action of ["members.manage", "tokens.manage", "kyc.decide", "users.manage"] as const)
        expect(authorize(all, action, { organisationId: ORG })).toBe("deny");
    });
  });
});
