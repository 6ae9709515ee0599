import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestStore, type TestStore, testEngines } from "../../test/support/engines.js";
import { seedCase, seedOrganisation } from "../../test/support/ledger-fixtures.js";
import { testConfig } from "../../test/support/server.js";
import { fixedClock } from "../shared/clock.js";
import type { Services } from "../shared/context.js";
import { AppError } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import { loadDashboard, monthRange } from "./load-dashboard.js";

const engines = await testEngines();

describe("monthRange", () => {
  it("bounds the months from the first instant of `from` to the first instant after `to`", () => {
    expect(monthRange("2026-04", "2026-05")).toEqual({
      start: "2026-04-01T00:00:00.000Z",
      end: "2026-06-01T00:00:00.000Z",
    });
    expect(monthRange(undefined, "2026-12")).toEqual({ start: null, end: "2027-01-01T00:00:00.000Z" });
    expect(monthRange()).toEqual({ start: null, end: null });
  });

  it("rejects a month that is not YYYY-MM, and a period that ends before it starts, with every field error", () => {
    const codes = (from?: string, to?: string) => {
      try {
        monthRange(from, to);
        return [];
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        return error.fieldErrors.map((e) => `${e.field}:${e.code}`);
      }
    };
    expect(codes("2026-4", "2026-13")).toEqual(["from:invalid_month", "to:invalid_month"]);
    expect(codes("2026-05", "2026-04")).toEqual(["to:period_reversed"]);
  });
});

describe.each(engines)("loadDashboard on %s", (engine) => {
  let testStore: TestStore;
  let services: Services;
  let acme: { organisationId: string; accountId: string };
  let globex: { organisationId: string; accountId: string };

  /** A case of `org` submitted at `submittedAt`, with its decisions (sequence order). */
  async function aCase(
    org: { organisationId: string; accountId: string },
    c: {
      reason: string;
      amount: string;
      currency?: string;
      submittedAt: string | null;
      dueAt?: string;
      decisions?: Array<{ outcome: string; amount: string | null; at: string }>;
    },
  ): Promise<void> {
    const { caseId } = await seedCase(services, org, { currency: c.currency });
    const db = services.store.db;
    await db
      .updateTable("cases")
      .set({
        reason: c.reason,
        amount: c.amount,
        submitted_at: c.submittedAt,
        due_at: c.dueAt ?? null,
        state: c.submittedAt === null ? "draft" : c.decisions?.length ? "decided" : "in_review",
      })
      .where("id", "=", caseId)
      .execute();
    for (const [i, d] of (c.decisions ?? []).entries())
      await db
        .insertInto("decisions")
        .values({
          id: newId("decision"),
          case_id: caseId,
          sequence: i + 1,
          outcome: d.outcome,
          amount: d.amount,
          currency: c.currency ?? "USD",
          rationale: "Fixture",
          clauses: "[]",
          evidence: "[]",
          alternatives: "[]",
          final: i === 1 ? 1 : 0,
          decided_by: "system:test",
          decided_at: d.at,
          policy_version: "test",
        })
        .execute();
  }

  async function aFinding(
    org: { organisationId: string },
    f: { kind: string; amount: string; status: "open" | "filed" | "resolved"; foundAt: string },
  ): Promise<void> {
    await services.store.db
      .insertInto("findings")
      .values({
        organisation_id: org.organisationId,
        id: `f-${newId("job")}`,
        account_id: null,
        provider_account_id: "100000000002",
        kind: f.kind,
        amount: f.amount,
        currency: "USD",
        outcome: "refund_original_method",
        claimable: 1,
        charge_refs: "[]",
        explanation: "Fixture",
        evidence: "[]",
        clauses: "[]",
        details: "{}",
        status: f.status,
        audit_run_id: "aud_fixture",
        first_found_at: f.foundAt,
        updated_at: f.foundAt,
      })
      .execute();
  }

  beforeAll(async () => {
    testStore = await openTestStore(engine);
    services = {
      store: testStore.store,
      config: testConfig(testStore.dataDir),
      clock: fixedClock("2026-05-04T10:00:00.000Z"),
    };
    acme = await seedOrganisation(services, "Acme (dashboard)");
    globex = await seedOrganisation(services, "Globex (dashboard)", "CNY");
    // April: a credit decided in 2 h, a denial overturned on appeal (first decision in 6 h, late).
    await aCase(acme, {
      reason: "billing_error",
      amount: "100.00",
      submittedAt: "2026-04-01T09:00:00.000Z",
      dueAt: "2026-04-15T04:00:00.000Z",
      decisions: [{ outcome: "account_credit", amount: "100.00", at: "2026-04-01T11:00:00.000Z" }],
    });
    await aCase(acme, {
      reason: "duplicate_charge",
      amount: "40.00",
      submittedAt: "2026-04-02T09:00:00.000Z",
      dueAt: "2026-04-02T12:00:00.000Z",
      decisions: [
        { outcome: "denied", amount: null, at: "2026-04-02T15:00:00.000Z" },
        { outcome: "account_credit", amount: "25.50", at: "2026-04-20T09:00:00.000Z" },
      ],
    });
    // May: one waiting; a draft is nobody's work yet and is not counted.
    await aCase(acme, { reason: "sla_breach", amount: "30.00", submittedAt: "2026-05-03T08:00:00.000Z" });
    await aCase(acme, { reason: "other", amount: "999.00", submittedAt: null });
    await aCase(globex, {
      reason: "billing_error",
      amount: "700.00",
      currency: "CNY",
      submittedAt: "2026-04-10T01:00:00.000Z",
      decisions: [{ outcome: "denied", amount: null, at: "2026-04-11T01:00:00.000Z" }],
    });
    await aFinding(acme, {
      kind: "duplicate_charge",
      amount: "40.00",
      status: "filed",
      foundAt: "2026-04-01T00:00:00.000Z",
    });
    await aFinding(acme, {
      kind: "duplicate_charge",
      amount: "2.50",
      status: "open",
      foundAt: "2026-05-01T00:00:00.000Z",
    });
    await aFinding(acme, {
      kind: "sla_credit",
      amount: "9.99",
      status: "resolved",
      foundAt: "2026-04-01T00:00:00.000Z",
    });
  });
  afterAll(async () => testStore?.cleanup());

  it("counts one organisation's submitted cases, takes the latest decision's outcome and the first decision's time", async () => {
    const d = await loadDashboard(services.store.db, { organisationId: acme.organisationId });
    expect(d.cases).toEqual({
      filed: 3,
      decided: 2,
      approved: 2,
      denied: 0,
      approvalRate: 1,
      // 2 h and 6 h to the first decision.
      medianSecondsToDecision: 4 * 3600,
      decidedWithTarget: 2,
      decidedWithinTarget: 1,
      withinTargetRate: 0.5,
    });
    expect(d.totals).toEqual([
      { currency: "USD", filed: 3, approved: 2, requested: "170.00", granted: "125.50" },
    ]);
    expect(d.byService.map((g) => g.key)).toEqual(["Amazon Elastic Compute Cloud"]);
    expect(d.byMonth.map((g) => [g.key, g.filed, g.granted])).toEqual([
      ["2026-04", 2, "125.50"],
      ["2026-05", 1, "0.00"],
    ]);
    // The resolved finding no longer stands.
    expect(d.findings).toEqual([{ kind: "duplicate_charge", currency: "USD", count: 2, amount: "42.50" }]);
  });

  it("across every customer keeps each currency apart", async () => {
    const d = await loadDashboard(services.store.db, {});
    expect(d.cases).toMatchObject({ filed: 4, decided: 3, approved: 2, denied: 1 });
    expect(d.totals.map((t) => [t.currency, t.requested, t.granted])).toEqual([
      ["CNY", "700.00", "0.00"],
      ["USD", "170.00", "125.50"],
    ]);
  });

  it("limits cases to their month of submission and findings to the month they were found", async () => {
    const d = await loadDashboard(services.store.db, {
      organisationId: acme.organisationId,
      from: "2026-05",
      to: "2026-05",
    });
    expect(d.cases).toMatchObject({ filed: 1, decided: 0, approvalRate: null });
    expect(d.byReason.map((g) => g.key)).toEqual(["sla_breach"]);
    expect(d.findings).toEqual([{ kind: "duplicate_charge", currency: "USD", count: 1, amount: "2.50" }]);
  });
});
