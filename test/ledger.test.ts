import fc from "fast-check";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { glCodesFrom } from "../src/config.js";
import { costCentreOf, exportJournalCsvText, isCostCentreKey } from "../src/ledger/accounting-export.js";
import { ledgerBalances, listJournalEntries, parsePeriod, trialBalance } from "../src/ledger/balances.js";
import { LEDGER_CODES, type LedgerCode } from "../src/ledger/chart.js";
import { type JournalEntryInput, reversedLines, transfer } from "../src/ledger/journal.js";
import { insertJournalEntry, postJournalEntry } from "../src/ledger/post-journal-entry.js";
import { createAccount } from "../src/organisations/create-account.js";
import { fixedClock } from "../src/shared/clock.js";
import type { Services } from "../src/shared/context.js";
import type { AppError } from "../src/shared/errors.js";
import { newId } from "../src/shared/ids.js";
import { inTransaction } from "../src/store/database.js";
import { runCli } from "./support/cli.js";
import { type Caller, call, login } from "./support/client.js";
import { openTestStore, type TestStore, testEngines } from "./support/engines.js";
import { seedCase, seedOrganisation, TEST_CTX } from "./support/ledger-fixtures.js";
import { startTestServer, TEST_SECRET_KEY, type TestServer, testConfig } from "./support/server.js";

/**
 * The double-entry ledger on both engines: posting exactly once, the database's own refusal of
 * unbalanced and altered entries, reversals, derived balances, a property test over random
 * transfers, the accounting export, and the ledger explorer API.
 */
const engines = await testEngines();

const CODES = Object.keys(LEDGER_CODES) as LedgerCode[];

function entry(organisationId: string, overrides: Partial<JournalEntryInput> = {}): JournalEntryInput {
  return {
    organisationId,
    kind: "refund_decided",
    description: "Refund decided",
    postingKey: `test:${newId("journalEntry")}`,
    effectiveAt: "2026-05-04T10:00:00.000Z",
    lines: transfer(
      { code: "refunds_contra_revenue", accountId: null },
      { code: "refunds_payable", accountId: null },
      "USD",
      1250n,
    ),
    ...overrides,
  };
}

describe("parsePeriod", () => {
  it("takes dates as whole UTC days, both inclusive", () => {
    expect(parsePeriod("2026-05-01", "2026-05-31")).toEqual({
      from: "2026-05-01T00:00:00.000Z",
      to: "2026-06-01T00:00:00.000Z",
    });
  });
  it("takes instants with an offset, normalised to UTC", () => {
    expect(parsePeriod("2026-05-01T08:00:00+08:00", undefined)).toEqual({
      from: "2026-05-01T00:00:00.000Z",
      to: null,
    });
  });
  it("rejects a non-date and a period that ends before it starts, naming the field", () => {
    const bad = (from: string, to: string) => {
      try {
        parsePeriod(from, to);
      } catch (e) {
        return (e as AppError).fieldErrors.map((f) => `${f.field}:${f.code}`);
      }
      return [];
    };
    expect(bad("yesterday", "2026-05-31")).toEqual(["from:invalid_date"]);
    expect(bad("2026-02-30", "2026-05-31")).toEqual(["from:invalid_date"]);
    expect(bad("2026-05-31", "2026-05-01")).toEqual(["to:invalid_period"]);
    expect(bad("2026-05-01T00:00:00", "2026-05-31")).toEqual(["from:invalid_date"]);
  });
});

describe("cost centres", () => {
  it("recognises the usual spellings, case-insensitively, and nothing else", () => {
    for (const key of [
      "CostCentre",
      "cost-centre",
      "cost_center",
      "costcenter",
      "Cost Center",
      "user:CostCentre",
      "x_CostCentre",
    ])
      expect(isCostCentreKey(key), key).toBe(true);
    for (const key of ["CostCentreOwner", "centre", "team", "x_Cost"])
      expect(isCostCentreKey(key), key).toBe(false);
  });
  it("takes the charge's tags first, then its extensions", () => {
    expect(costCentreOf('{"team":"web","cost-centre":"CC-100"}', '{"x_CostCentre":"CC-200"}')).toBe("CC-100");
    expect(costCentreOf('{"team":"web"}', '{"x_CostCentre":"CC-200"}')).toBe("CC-200");
    expect(costCentreOf(null, null)).toBeNull();
    expect(costCentreOf('{"CostCentre":""}', "not json")).toBeNull();
  });
});

describe("REFUND_DESK_GL_CODES", () => {
  it("overrides the chart's GL codes and keeps the others", () => {
    const codes = glCodesFrom('{"refunds_payable":"2320-01"}');
    expect(codes.refunds_payable).toBe("2320-01");
    expect(codes.gateway_clearing).toBe(LEDGER_CODES.gateway_clearing.gl);
  });
  it("fails at start on a key that is not a ledger code, or a value that is not a code", () => {
    expect(() => glCodesFrom('{"refund_payable":"2320"}')).toThrow(/not a ledger code/);
    expect(() => glCodesFrom('{"refunds_payable":2320}')).toThrow(/printable ASCII/);
    expect(() => glCodesFrom("[1]")).toThrow(/JSON object/);
  });
});

describe.each(engines)("ledger on %s", (engine) => {
  let t: TestStore;
  let services: Services;
  let org: { organisationId: string; accountId: string };

  beforeAll(async () => {
    t = await openTestStore(engine);
    services = {
      store: t.store,
      config: testConfig(t.dataDir),
      clock: fixedClock("2026-05-04T10:00:00.000Z"),
    };
    org = await seedOrganisation(services);
  });
  afterAll(async () => t?.cleanup());

  const linesOf = (entryId: string) =>
    services.store.db
      .selectFrom("journal_lines")
      .selectAll()
      .where("entry_id", "=", entryId)
      .orderBy("id")
      .execute();

  describe("postJournalEntry", () => {
    it("posts a balanced entry, its lines and its audit-log entry inside the caller's transaction", async () => {
      const input = entry(org.organisationId);
      const { entry: posted, created } = await inTransaction(services.store, (tx) =>
        postJournalEntry(tx, services, TEST_CTX, input),
      );
      expect(created).toBe(true);
      expect(posted).toMatchObject({ posting_key: input.postingKey, line_count: 2, kind: "refund_decided" });
      expect((await linesOf(posted.id)).map((l) => Number(l.amount_minor))).toEqual([1250, -1250]);
      const audit = await services.store.db
        .selectFrom("audit_log")
        .selectAll()
        .where("subject_id", "=", posted.id)
        .execute();
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ action: "ledger.posted", actor: TEST_CTX.actor });
    });

    it("posts exactly once per posting key: a second post returns the first entry", async () => {
      const input = entry(org.organisationId);
      const first = await inTransaction(services.store, (tx) =>
        postJournalEntry(tx, services, TEST_CTX, input),
      );
      const again = await inTransaction(services.store, (tx) =>
        postJournalEntry(tx, services, TEST_CTX, { ...input, description: "a retry" }),
      );
      expect(again.created).toBe(false);
      expect(again.entry.id).toBe(first.entry.id);
      const rows = await services.store.db
        .selectFrom("journal_entries")
        .select("id")
        .where("posting_key", "=", input.postingKey)
        .execute();
      expect(rows).toHaveLength(1);
    });

    it("leaves one entry when two transactions post the same key at once", async () => {
      const input = entry(org.organisationId);
      const results = await Promise.allSettled(
        [0, 1].map(() =>
          inTransaction(services.store, (tx) => postJournalEntry(tx, services, TEST_CTX, input)),
        ),
      );
      expect(results.some((r) => r.status === "fulfilled")).toBe(true);
      const rows = await services.store.db
        .selectFrom("journal_entries")
        .select("id")
        .where("posting_key", "=", input.postingKey)
        .execute();
      expect(rows).toHaveLength(1);
    });

    it("is undone with the caller's transaction", async () => {
      const input = entry(org.organisationId);
      await expect(
        inTransaction(services.store, async (tx) => {
          await postJournalEntry(tx, services, TEST_CTX, input);
          throw new Error("the change it belonged to failed");
        }),
      ).rejects.toThrow(/failed/);
      const rows = await services.store.db
        .selectFrom("journal_entries")
        .select("id")
        .where("posting_key", "=", input.postingKey)
        .execute();
      expect(rows).toHaveLength(0);
    });

    it("refuses an unbalanced entry before it reaches the database", async () => {
      const input = entry(org.organisationId, {
        lines: [
          { code: "refunds_contra_revenue", accountId: null, currency: "USD", amountMinor: 1250n },
          { code: "refunds_payable", accountId: null, currency: "USD", amountMinor: -1249n },
        ],
      });
      await expect(
        inTransaction(services.store, (tx) => postJournalEntry(tx, services, TEST_CTX, input)),
      ).rejects.toThrow(/USD lines sum to 1 minor units/);
    });
    it("refuses an amount past 2^53 minor units, which neither engine would read back exactly", async () => {
      const input = entry(org.organisationId, {
        lines: transfer(
          { code: "refunds_contra_revenue", accountId: null },
          { code: "refunds_payable", accountId: null },
          "USD",
          2n ** 53n + 1n,
        ),
      });
      await expect(
        inTransaction(services.store, (tx) => postJournalEntry(tx, services, TEST_CTX, input)),
      ).rejects.toThrow(/exceeds 9007199254740991 minor units/);
    });

    it("writes through one statement once the ledger accounts exist, to the same rows as the first posting", async () => {
      // A fresh currency: the first posting creates its ledger accounts, the second finds them.
      const lines = (minor: bigint) =>
        transfer(
          { code: "customer_credit", accountId: org.accountId },
          { code: "refunds_payable", accountId: null },
          "CHF",
          minor,
        );
      const first = await inTransaction(services.store, (tx) =>
        postJournalEntry(tx, services, TEST_CTX, entry(org.organisationId, { lines: lines(700n) })),
      );
      const second = await inTransaction(services.store, (tx) =>
        postJournalEntry(tx, services, TEST_CTX, entry(org.organisationId, { lines: lines(300n) })),
      );
      const firstLines = await linesOf(first.entry.id);
      const secondLines = await linesOf(second.entry.id);
      expect(new Set(secondLines.map((l) => l.ledger_account_id))).toEqual(
        new Set(firstLines.map((l) => l.ledger_account_id)),
      );
      expect(secondLines.map((l) => Number(l.amount_minor)).sort((a, b) => a - b)).toEqual([-300, 300]);
    });

    it("has the database refuse an unbalanced entry that skips the code's check (both write paths)", async () => {
      const unbalanced = (key: string) =>
        entry(org.organisationId, {
          postingKey: key,
          lines: [
            { code: "refunds_contra_revenue", accountId: null, currency: "USD", amountMinor: 1250n },
            { code: "refunds_payable", accountId: null, currency: "USD", amountMinor: -1249n },
          ],
        });
      const at = services.clock.now().toISOString();
      await expect(
        inTransaction(services.store, (tx) =>
          insertJournalEntry(tx, TEST_CTX, unbalanced("skip:1"), at, services.store.capabilities),
        ),
      ).rejects.toThrow(/does not balance per currency/);
      await expect(
        inTransaction(services.store, (tx) =>
          insertJournalEntry(tx, TEST_CTX, unbalanced("skip:2"), at, {
            ...services.store.capabilities,
            writableCtes: false,
          }),
        ),
      ).rejects.toThrow(/does not balance per currency/);
      const rows = await services.store.db
        .selectFrom("journal_entries")
        .select("id")
        .where("posting_key", "in", ["skip:1", "skip:2"])
        .execute();
      expect(rows).toHaveLength(0);
    });
  });

  describe("the database itself", () => {
    /** Lines then header, straight through Kysely: what a bug or a hand-written script would do. */
    async function insertRaw(amounts: Array<[string, number]>, lineCount = amounts.length) {
      const entryId = newId("journalEntry");
      const accounts = await services.store.db
        .selectFrom("ledger_accounts")
        .select(["id", "currency"])
        .where("organisation_id", "=", org.organisationId)
        .execute();
      const usd = accounts.filter((a) => a.currency === "USD");
      await inTransaction(services.store, async (tx) => {
        await tx
          .insertInto("journal_lines")
          .values(
            amounts.map(([currency, amount], i) => ({
              id: newId("journalLine"),
              entry_id: entryId,
              ledger_account_id: usd[i % usd.length]!.id,
              currency,
              amount_minor: BigInt(amount),
            })),
          )
          .execute();
        await tx
          .insertInto("journal_entries")
          .values({
            id: entryId,
            organisation_id: org.organisationId,
            kind: "refund_decided",
            description: "written around postJournalEntry",
            posting_key: `raw:${entryId}`,
            case_id: null,
            payout_id: null,
            credit_id: null,
            invoice_id: null,
            reverses_entry_id: null,
            line_count: lineCount,
            effective_at: "2026-05-04T10:00:00.000Z",
            created_by: TEST_CTX.actor,
            created_at: "2026-05-04T10:00:00.000Z",
          })
          .execute();
      });
      return entryId;
    }

    const stored = async (entryId: string) => ({
      entries: await services.store.db
        .selectFrom("journal_entries")
        .select("id")
        .where("id", "=", entryId)
        .execute(),
      lines: await linesOf(entryId),
    });

    it("accepts a balanced entry written directly (the control)", async () => {
      const id = await insertRaw([
        ["USD", 500],
        ["USD", -500],
      ]);
      expect((await stored(id)).lines).toHaveLength(2);
    });

    it("refuses an unbalanced entry written directly, and keeps nothing of it", async () => {
      const before = await services.store.db
        .selectFrom("journal_lines")
        .select(sql<number>`count(*)`.as("n"))
        .executeTakeFirstOrThrow();
      await expect(
        insertRaw([
          ["USD", 500],
          ["USD", -499],
        ]),
      ).rejects.toThrow(/does not balance per currency/);
      // Balanced in total but not per currency is just as unbalanced.
      await expect(
        insertRaw([
          ["USD", 500],
          ["EUR", -500],
        ]),
      ).rejects.toThrow(/does not balance per currency/);
      const after = await services.store.db
        .selectFrom("journal_lines")
        .select(sql<number>`count(*)`.as("n"))
        .executeTakeFirstOrThrow();
      expect(Number(after.n)).toBe(Number(before.n));
    });

    it("refuses a header whose line count does not match its lines, and a single-line entry", async () => {
      await expect(
        insertRaw(
          [
            ["USD", 500],
            ["USD", -500],
          ],
          3,
        ),
      ).rejects.toThrow(/line count/);
    });

    it("refuses a new line on a posted entry", async () => {
      const posted = await inTransaction(services.store, (tx) =>
        postJournalEntry(tx, services, TEST_CTX, entry(org.organisationId)),
      );
      const line = (await linesOf(posted.entry.id))[0]!;
      await expect(
        services.store.db
          .insertInto("journal_lines")
          .values({ ...line, id: newId("journalLine"), amount_minor: 0n })
          .execute(),
      ).rejects.toThrow(/cannot get new lines/);
    });

    it("refuses UPDATE and DELETE of posted lines and entries", async () => {
      const posted = await inTransaction(services.store, (tx) =>
        postJournalEntry(tx, services, TEST_CTX, entry(org.organisationId)),
      );
      const db = services.store.db;
      const line = (await linesOf(posted.entry.id))[0]!;
      await expect(
        db.updateTable("journal_lines").set({ amount_minor: 1n }).where("id", "=", line.id).execute(),
      ).rejects.toThrow(/append-only/);
      await expect(db.deleteFrom("journal_lines").where("id", "=", line.id).execute()).rejects.toThrow(
        /append-only/,
      );
      await expect(
        db
          .updateTable("journal_entries")
          .set({ description: "edited" })
          .where("id", "=", posted.entry.id)
          .execute(),
      ).rejects.toThrow(/append-only/);
      await expect(
        db.deleteFrom("journal_entries").where("id", "=", posted.entry.id).execute(),
      ).rejects.toThrow(/append-only/);
      expect((await linesOf(posted.entry.id)).map((l) => Number(l.amount_minor))).toEqual([1250, -1250]);
    });
  });

  describe("reversals and derived balances", () => {
    it("derives balances on each code's normal side, and a reversing entry brings them back", async () => {
      const fresh = await seedOrganisation(services);
      const original = entry(fresh.organisationId, {
        lines: transfer(
          { code: "refunds_contra_revenue", accountId: null },
          { code: "customer_credit", accountId: fresh.accountId },
          "EUR",
          4200n,
        ),
        kind: "credit_granted",
      });
      const posted = await inTransaction(services.store, (tx) =>
        postJournalEntry(tx, services, TEST_CTX, original),
      );
      const after = await ledgerBalances(services.store.db, fresh.organisationId);
      expect(
        after.map((b) => [b.code, b.accountId, b.currency, b.debitMinor, b.creditMinor, b.balanceMinor]),
      ).toEqual([
        // A liability grows with credits: the customer's credit balance is +42.00.
        ["customer_credit", fresh.accountId, "EUR", 0n, 4200n, 4200n],
        // Contra-revenue grows with debits.
        ["refunds_contra_revenue", null, "EUR", 4200n, 0n, 4200n],
      ]);

      const reversal = await inTransaction(services.store, (tx) =>
        postJournalEntry(tx, services, TEST_CTX, {
          ...original,
          kind: "reversal",
          description: "Credit withdrawn",
          postingKey: `${original.postingKey}:reversal`,
          effectiveAt: "2026-05-05T10:00:00.000Z",
          reversesEntryId: posted.entry.id,
          lines: reversedLines(original.lines),
        }),
      );
      expect(reversal.entry.reverses_entry_id).toBe(posted.entry.id);
      const reversed = await ledgerBalances(services.store.db, fresh.organisationId);
      expect(reversed.map((b) => [b.code, b.debitMinor, b.creditMinor, b.balanceMinor])).toEqual([
        ["customer_credit", 4200n, 4200n, 0n],
        ["refunds_contra_revenue", 4200n, 4200n, 0n],
      ]);
      // The original stays as it was: a correction is a new entry, never an edit.
      expect((await linesOf(posted.entry.id)).map((l) => Number(l.amount_minor))).toEqual([4200, -4200]);
      // As of before the reversal's effective time, only the original counts.
      const asOf = await ledgerBalances(services.store.db, fresh.organisationId, {
        asOf: "2026-05-05T00:00:00.000Z",
      });
      expect(asOf.map((b) => b.balanceMinor)).toEqual([4200n, 4200n]);
    });

    it("lists entries by ledger code, customer account, case and period, a page at a time", async () => {
      const fresh = await seedOrganisation(services);
      const kase = await seedCase(services, fresh);
      const post = (overrides: Partial<JournalEntryInput>) =>
        inTransaction(services.store, (tx) =>
          postJournalEntry(tx, services, TEST_CTX, entry(fresh.organisationId, overrides)),
        );
      const a = await post({ effectiveAt: "2026-04-30T23:59:59.999Z" });
      const b = await post({ effectiveAt: "2026-05-01T00:00:00.000Z", caseId: kase.caseId });
      const c = await post({
        effectiveAt: "2026-05-31T12:00:00.000Z",
        lines: transfer(
          { code: "refunds_payable", accountId: null },
          { code: "gateway_clearing", accountId: null },
          "USD",
          1250n,
        ),
      });
      const d = await post({
        effectiveAt: "2026-06-01T00:00:00.000Z",
        lines: transfer(
          { code: "sla_credit_expense", accountId: null },
          { code: "customer_credit", accountId: fresh.accountId },
          "USD",
          300n,
        ),
      });
      const ids = async (filter: Parameters<typeof listJournalEntries>[1], limit = 50) =>
        (await listJournalEntries(services.store.db, filter, { limit, after: null })).items.map(
          (i) => i.entry.id,
        );
      const o = fresh.organisationId;
      expect(await ids({ organisationId: o })).toEqual([a, b, c, d].map((x) => x.entry.id));
      expect(await ids({ organisationId: o, code: "gateway_clearing" })).toEqual([c.entry.id]);
      expect(await ids({ organisationId: o, accountId: fresh.accountId })).toEqual([d.entry.id]);
      expect(await ids({ organisationId: o, caseId: kase.caseId })).toEqual([b.entry.id]);
      expect(await ids({ organisationId: o, period: parsePeriod("2026-05-01", "2026-05-31") })).toEqual([
        b.entry.id,
        c.entry.id,
      ]);
      // An entry is shown whole: both sides of it.
      const page = await listJournalEntries(
        services.store.db,
        { organisationId: o, code: "gateway_clearing" },
        { limit: 5, after: null },
      );
      expect(page.items[0]!.lines.map((l) => [l.code, l.amountMinor])).toEqual([
        ["refunds_payable", 1250n],
        ["gateway_clearing", -1250n],
      ]);
      const first = await listJournalEntries(
        services.store.db,
        { organisationId: o },
        { limit: 3, after: null },
      );
      expect(first.items).toHaveLength(3);
      const cursor = Buffer.from(first.nextCursor!, "base64url").toString("utf8");
      const second = await listJournalEntries(
        services.store.db,
        { organisationId: o },
        { limit: 3, after: cursor },
      );
      expect(second.items.map((i) => i.entry.id)).toEqual([d.entry.id]);
      expect(second.nextCursor).toBeNull();
    });
  });

  describe("property: random sequences of balanced transfers", () => {
    it("keep every currency's trial balance at zero, and each balance equals the sum of its transfers", async () => {
      const second = await createAccount(services, TEST_CTX, {
        organisationId: org.organisationId,
        name: "Second account",
        currency: "USD",
      });
      const customerAccounts = [org.accountId, second.id];
      const side = fc.record({ code: fc.constantFrom(...CODES), account: fc.nat({ max: 1 }) });
      const transferArb = fc.record({
        debit: side,
        credit: side,
        currency: fc.constantFrom("USD", "EUR", "JPY", "KWD"),
        amount: fc.bigInt({ min: 1n, max: 10n ** 12n }),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(transferArb, { minLength: 1, maxLength: 12 }), async (transfers) => {
          const fresh = await seedOrganisation(services);
          const expected = new Map<string, { debit: bigint; credit: bigint }>();
          const accountOf = (s: { code: LedgerCode; account: number }) =>
            s.code === "customer_credit" ? customerAccounts[s.account]! : null;
          const add = (
            s: { code: LedgerCode; account: number },
            currency: string,
            debit: bigint,
            credit: bigint,
          ) => {
            const key = `${s.code}|${accountOf(s) ?? "-"}|${currency}`;
            const now = expected.get(key) ?? { debit: 0n, credit: 0n };
            expected.set(key, { debit: now.debit + debit, credit: now.credit + credit });
          };
          for (const tr of transfers) {
            await inTransaction(services.store, (tx) =>
              postJournalEntry(tx, services, TEST_CTX, {
                ...entry(fresh.organisationId),
                lines: transfer(
                  { code: tr.debit.code, accountId: accountOf(tr.debit) },
                  { code: tr.credit.code, accountId: accountOf(tr.credit) },
                  tr.currency,
                  tr.amount,
                ),
              }),
            );
            add(tr.debit, tr.currency, tr.amount, 0n);
            add(tr.credit, tr.currency, 0n, tr.amount);
          }
          const tb = await trialBalance(services.store.db, { organisationId: fresh.organisationId });
          for (const c of tb) {
            expect(c.balanced).toBe(true);
            expect(c.differenceMinor).toBe(0n);
            const moved = transfers
              .filter((x) => x.currency === c.currency)
              .reduce((s, x) => s + x.amount, 0n);
            expect(c.totalDebitMinor).toBe(moved);
            expect(c.totalCreditMinor).toBe(moved);
          }
          const balances = await ledgerBalances(services.store.db, fresh.organisationId);
          const actual = new Map(
            balances.map((b) => [
              `${b.code}|${b.accountId ?? "-"}|${b.currency}`,
              { debit: b.debitMinor, credit: b.creditMinor },
            ]),
          );
          expect(actual).toEqual(expected);
          for (const b of balances)
            expect(b.balanceMinor).toBe(
              LEDGER_CODES[b.code].type === "liability" || LEDGER_CODES[b.code].type === "revenue"
                ? b.creditMinor - b.debitMinor
                : b.debitMinor - b.creditMinor,
            );
        }),
        { numRuns: 15 },
      );
      // And over every organisation at once.
      expect((await trialBalance(services.store.db)).every((c) => c.balanced)).toBe(true);
    });
  });

  describe("accounting export", () => {
    it("writes the period's lines with GL codes, case tickets, cost centres and exact decimals", async () => {
      const fresh = await seedOrganisation(services);
      const tagged = await seedCase(services, fresh, { tags: { team: "web", "Cost-Centre": "CC-100" } });
      const extended = await seedCase(services, fresh, {
        extensions: { x_CostCentre: '=HYPERLINK("x")' },
        currency: "JPY",
      });
      const post = (overrides: Partial<JournalEntryInput>) =>
        inTransaction(services.store, (tx) =>
          postJournalEntry(tx, services, TEST_CTX, entry(fresh.organisationId, overrides)),
        );
      const usd = await post({ caseId: tagged.caseId, effectiveAt: "2026-05-02T09:00:00.000Z" });
      const jpy = await post({
        caseId: extended.caseId,
        description: "Refund, with a comma",
        effectiveAt: "2026-05-03T09:00:00.000Z",
        lines: transfer(
          { code: "refunds_contra_revenue", accountId: null },
          { code: "customer_credit", accountId: fresh.accountId },
          "JPY",
          1200n,
        ),
      });
      await post({ effectiveAt: "2026-06-01T00:00:00.000Z" });
      const csv = await exportJournalCsvText(services.store.db, {
        organisationId: fresh.organisationId,
        period: parsePeriod("2026-05-01", "2026-05-31"),
        glCodes: glCodesFrom('{"refunds_payable":"2320-01"}'),
        batchSize: 1,
      });
      const rows = csv.trimEnd().split("\r\n");
      expect(rows[0]).toBe(
        "entry_id,effective_at,organisation_id,kind,posting_key,case_ticket,gl_code,ledger_code,account_id,currency,debit,credit,cost_centre,description",
      );
      const o = fresh.organisationId;
      expect(rows.slice(1)).toEqual([
        `${usd.entry.id},2026-05-02T09:00:00.000Z,${o},refund_decided,${usd.entry.posting_key},${tagged.ticket},4910,refunds_contra_revenue,,USD,12.50,,CC-100,Refund decided`,
        `${usd.entry.id},2026-05-02T09:00:00.000Z,${o},refund_decided,${usd.entry.posting_key},${tagged.ticket},2320-01,refunds_payable,,USD,,12.50,CC-100,Refund decided`,
        `${jpy.entry.id},2026-05-03T09:00:00.000Z,${o},refund_decided,${jpy.entry.posting_key},${extended.ticket},4910,refunds_contra_revenue,,JPY,1200,,"'=HYPERLINK(""x"")","Refund, with a comma"`,
        `${jpy.entry.id},2026-05-03T09:00:00.000Z,${o},refund_decided,${jpy.entry.posting_key},${extended.ticket},2310,customer_credit,${fresh.accountId},JPY,,1200,"'=HYPERLINK(""x"")","Refund, with a comma"`,
      ]);
    });

    it("refund-desk ledger export and trial-balance run over the same store", async () => {
      const env = {
        REFUND_DESK_DATABASE_URL: t.url,
        REFUND_DESK_DATA_DIR: t.dataDir,
        REFUND_DESK_SECRET_KEY: TEST_SECRET_KEY,
      };
      const fresh = await seedOrganisation(services);
      const posted = await inTransaction(services.store, (tx) =>
        postJournalEntry(
          tx,
          services,
          TEST_CTX,
          entry(fresh.organisationId, { effectiveAt: "2026-07-01T12:00:00.000Z" }),
        ),
      );
      const out = await runCli(
        [
          "ledger",
          "export",
          "--from",
          "2026-07-01",
          "--to",
          "2026-07-01",
          "--organisation",
          fresh.organisationId,
        ],
        { ...env, REFUND_DESK_GL_CODES: '{"refunds_payable":"2320-77"}' },
      );
      expect(out.code, out.stderr).toBe(0);
      const rows = out.stdout.trimEnd().split("\r\n");
      expect(rows).toHaveLength(3);
      expect(rows[2]).toContain(
        `${posted.entry.id},2026-07-01T12:00:00.000Z,${fresh.organisationId},refund_decided,`,
      );
      expect(rows[2]).toContain(",2320-77,refunds_payable,,USD,,12.50,,");
      const bad = await runCli(["ledger", "export", "--from", "July", "--to", "2026-07-01"], env);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain("--from");
      const tb = await runCli(["ledger", "trial-balance"], env);
      expect(tb.code, tb.stderr).toBe(0);
      expect(tb.stdout).toMatch(/^USD: balanced$/m);
    }, 120_000);
  });
});

describe.each(engines)("ledger explorer API on %s", (engine) => {
  let server: TestServer;
  let owner: Caller;
  let finance: Caller;
  let reviewer: Caller;
  let globex: Caller;
  let acme: TestServer["world"]["customers"]["acme"];
  let caseId: string;
  const posted: string[] = [];

  beforeAll(async () => {
    server = await startTestServer(engine);
    acme = server.world.customers.acme;
    owner = await login(server.baseUrl, "owner@acme.example");
    finance = await login(server.baseUrl, "finance@nimbus.example");
    reviewer = await login(server.baseUrl, "reviewer@nimbus.example");
    globex = await login(server.baseUrl, "owner@globex.example");
    const s = server.services;
    ({ caseId } = await seedCase(
      s,
      { organisationId: acme.organisationId, accountId: acme.memberAccountIds[0]! },
      { tags: { CostCentre: "data-eng" } },
    ));
    for (const [effectiveAt, lines, withCase] of [
      [
        "2026-05-02T10:00:00.000Z",
        transfer(
          { code: "refunds_contra_revenue", accountId: null },
          { code: "refunds_payable", accountId: null },
          "USD",
          7200n,
        ),
        true,
      ],
      [
        "2026-05-03T10:00:00.000Z",
        transfer(
          { code: "refunds_payable", accountId: null },
          { code: "gateway_clearing", accountId: null },
          "USD",
          7200n,
        ),
        true,
      ],
      [
        "2026-06-03T10:00:00.000Z",
        transfer(
          { code: "sla_credit_expense", accountId: null },
          { code: "customer_credit", accountId: acme.memberAccountIds[0]! },
          "USD",
          500n,
        ),
        false,
      ],
    ] as const) {
      const r = await inTransaction(s.store, (tx) =>
        postJournalEntry(tx, s, TEST_CTX, {
          ...entry(acme.organisationId),
          effectiveAt,
          lines,
          caseId: withCase ? caseId : null,
        }),
      );
      posted.push(r.entry.id);
    }
  });
  afterAll(async () => server?.close());

  it("GET balances: each ledger account with exact decimal debit, credit and balance", async () => {
    const res = await call<{ items: Array<Record<string, unknown>> }>(
      server.baseUrl,
      "GET",
      `/organisations/${acme.organisationId}/ledger/balances`,
      { as: owner },
    );
    expect(res.status).toBe(200);
    const byCode = Object.fromEntries(res.body.items.map((i) => [i.code, i]));
    expect(byCode.refunds_payable).toMatchObject({
      debit: "72.00",
      credit: "72.00",
      balance: "0.00",
      normalBalance: "credit",
    });
    expect(byCode.gateway_clearing).toMatchObject({
      debit: "0.00",
      credit: "72.00",
      balance: "-72.00",
      balanceMinor: "-7200",
    });
    expect(byCode.customer_credit).toMatchObject({ accountId: acme.memberAccountIds[0], balance: "5.00" });
  });

  it("GET entries filters by code, case and period, and pages with a cursor", async () => {
    const get = (query: string) =>
      call<{
        items: Array<{
          id: string;
          lines: Array<{ code: string; debit: string | null; credit: string | null }>;
        }>;
        nextCursor: string | null;
      }>(server.baseUrl, "GET", `/organisations/${acme.organisationId}/ledger/entries${query}`, {
        as: reviewer,
      });
    expect((await get("?code=gateway_clearing")).body.items.map((i) => i.id)).toEqual([posted[1]]);
    expect((await get(`?caseId=${caseId}`)).body.items.map((i) => i.id)).toEqual([posted[0], posted[1]]);
    expect((await get("?from=2026-06-01&to=2026-06-30")).body.items.map((i) => i.id)).toEqual([posted[2]]);
    const one = await get("?code=refunds_payable&limit=1");
    expect(one.body.items[0]!.lines).toEqual([
      expect.objectContaining({ code: "refunds_contra_revenue", debit: "72.00", credit: null }),
      expect.objectContaining({ code: "refunds_payable", debit: null, credit: "72.00" }),
    ]);
    const next = await get(`?code=refunds_payable&limit=1&cursor=${one.body.nextCursor}`);
    expect(next.body.items.map((i) => i.id)).toEqual([posted[1]]);
    const bad = await get("?from=last-week&code=petty_cash");
    expect(bad.status).toBe(400);
    expect(bad.headers.get("content-type")).toContain("application/problem+json");
  });

  it("answers a bad period with the field that is wrong", async () => {
    const res = await call<{ errors: Array<{ field: string; code: string }> }>(
      server.baseUrl,
      "GET",
      `/organisations/${acme.organisationId}/ledger/entries?from=2026-05-31&to=2026-05-01`,
      { as: owner },
    );
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: "to", code: "invalid_period" })]);
  });

  it("GET export.csv streams the period's lines with the charge's cost centre", async () => {
    const res = await call(
      server.baseUrl,
      "GET",
      `/organisations/${acme.organisationId}/ledger/export.csv?from=2026-05-01&to=2026-05-31`,
      {
        as: owner,
      },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/csv");
    const rows = res.text.trimEnd().split("\r\n");
    expect(rows).toHaveLength(5);
    expect(rows.slice(1).every((r) => r.includes(",data-eng,"))).toBe(true);
    expect(rows[1]).toContain(",4910,refunds_contra_revenue,,USD,72.00,,");
  });

  it("GET trial-balance: provider finance sees every currency balanced; others may not", async () => {
    const res = await call<{
      balanced: boolean;
      currencies: Array<{ currency: string; balanced: boolean; difference: string }>;
    }>(server.baseUrl, "GET", "/ledger/trial-balance", { as: finance });
    expect(res.status).toBe(200);
    expect(res.body.balanced).toBe(true);
    expect(res.body.currencies.find((c) => c.currency === "USD")).toMatchObject({
      balanced: true,
      difference: "0.00",
    });
    expect((await call(server.baseUrl, "GET", "/ledger/trial-balance", { as: reviewer })).status).toBe(403);
    expect((await call(server.baseUrl, "GET", "/ledger/trial-balance", { as: owner })).status).toBe(404);
  });

  it("hides another organisation's ledger (404, never its data)", async () => {
    for (const path of ["balances", "entries", "export.csv?from=2026-05-01&to=2026-05-31"]) {
      const res = await call(server.baseUrl, "GET", `/organisations/${acme.organisationId}/ledger/${path}`, {
        as: globex,
      });
      expect(res.status, path).toBe(404);
      expect(res.text).not.toContain("refunds_payable");
    }
  });
});
