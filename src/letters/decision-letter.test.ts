import { describe, expect, it } from "vitest";
import { letterFontFrom } from "../config.js";
import { type DecisionLetter, groupDigits, renderDecisionLetter, toWinAnsi } from "./decision-letter.js";

const LETTER: DecisionLetter = {
  providerName: "Nimbus Cloud",
  ticketNumber: "RD-2026-000123",
  caseId: "case_01jt0000000000000000000000",
  timeZone: "Asia/Shanghai",
  policyVersion: "2026.1",
  customer: {
    organisationName: "Acme Analytics Ltd",
    accountName: "Acme — production",
    providerAccountId: "100000000002",
  },
  lineItem: {
    description: "Elastic Compute Service, ecs.g7.large, on demand",
    serviceName: "Elastic Compute Service",
    resourceId: "i-0abc123",
    regionId: "cn-shanghai",
    chargePeriodStart: "2026-04-01T00:00:00.000Z",
    chargePeriodEnd: "2026-05-01T00:00:00.000Z",
    invoiceId: "INV-2026-04-77",
    sourceRef: "charges.csv:42",
    billedCost: "1234.50",
    currency: "USD",
  },
  requestedAmount: "1234.50",
  decision: {
    sequence: 1,
    final: false,
    outcome: "partial_refund",
    amount: "617.25",
    currency: "USD",
    decidedAt: "2026-05-04T10:00:00.000Z",
    deciderName: "Riley Reviewer",
    rationale:
      "The instance ran for half of the billed period.\n\nThe usage log shows it stopped on 16 April.",
    clauses: [
      {
        id: "C-4.2",
        title: "Billed beyond usage",
        text: "Charges for time a resource did not run are refunded.",
      },
      { id: "C-7.1", title: "Claim window", text: "Claims must be filed within 90 days of the invoice." },
    ],
    evidence: ["Usage log usage.jsonl:17", "Invoice INV-2026-04-77"],
    credit: null,
    adjustment: null,
    alternatives: [],
  },
  appeal: { by: "2026-06-03T15:59:00.000Z" },
};

/**
 * The text of an uncompressed pdfkit document: each `[<hex> kern <hex>] TJ` is one drawn run of
 * WinAnsi bytes (pdfkit writes standard-font text as hex strings, split where it kerns).
 */
function pdfText(pdf: Buffer): string {
  const source = pdf.toString("latin1");
  const runs: string[] = [];
  for (const tj of source.matchAll(/\[([^\]]*)\]\s*TJ/g)) {
    const hex = [...(tj[1] ?? "").matchAll(/<([0-9a-fA-F]*)>/g)].map((m) => m[1] ?? "").join("");
    runs.push(Buffer.from(hex, "hex").toString("latin1"));
  }
  // Lines wrap anywhere, so whitespace is compared normalised.
  return runs.join("\n").replace(/\s+/g, " ");
}

const pageCount = (pdf: Buffer) => (pdf.toString("latin1").match(/\/Type \/Page\b/g) ?? []).length;

describe("renderDecisionLetter", () => {
  it("renders an A4 PDF", async () => {
    const pdf = await renderDecisionLetter(LETTER);
    expect(pdf.subarray(0, 5).toString("latin1")).toBe("%PDF-");
    expect(pdf.toString("latin1").trimEnd().endsWith("%%EOF")).toBe(true);
    expect(pdf.toString("latin1")).toContain("/MediaBox [0 0 595.28 841.89]");
  });

  it("gives byte-identical output for the same letter, compressed or not", async () => {
    const [a, b] = await Promise.all([renderDecisionLetter(LETTER), renderDecisionLetter(LETTER)]);
    expect(a.equals(b)).toBe(true);
    const [c, d] = await Promise.all([
      renderDecisionLetter(LETTER, { compress: false }),
      renderDecisionLetter(LETTER, { compress: false }),
    ]);
    expect(c.equals(d)).toBe(true);
    // The file id and dates come from the decision, not from the time of rendering.
    expect(c.toString("latin1")).toContain("(D:20260504100000Z)");
    const other = await renderDecisionLetter(
      { ...LETTER, ticketNumber: "RD-2026-000124" },
      { compress: false },
    );
    const fileId = (pdf: Buffer) => /\/ID \[(<[0-9a-f]+>)/.exec(pdf.toString("latin1"))?.[1];
    expect(fileId(other)).not.toBe(fileId(c));
  });

  it("states the ticket, the amounts, the clauses, the evidence and the appeal deadline", async () => {
    const text = pdfText(await renderDecisionLetter(LETTER, { compress: false }));
    for (const expected of [
      "Nimbus Cloud",
      "Decision on your refund request",
      "RD-2026-000123",
      // 10:00 UTC is 18:00 in Shanghai; the offset is printed.
      "4 May 2026, 18:00 (Asia/Shanghai, UTC+08:00)",
      "Acme Analytics Ltd",
      "100000000002",
      "i-0abc123",
      "charges.csv:42",
      "INV-2026-04-77",
      "1,234.50 USD",
      "617.25 USD",
      "We have approved part of your request.",
      "C-4.2 — Billed beyond usage",
      "C-7.1 — Claim window",
      "Usage log usage.jsonl:17",
      "3 June 2026, 23:59 (Asia/Shanghai, UTC+08:00)",
      `POST /cases/${LETTER.caseId}/appeal`,
      "Riley Reviewer",
    ])
      expect(text).toContain(toWinAnsi(expected).replace("—", "\x97"));
  });

  it("says a second decision is final, and lists a denial's alternatives", async () => {
    const text = pdfText(
      await renderDecisionLetter(
        {
          ...LETTER,
          decision: {
            ...LETTER.decision,
            sequence: 2,
            final: true,
            outcome: "denied",
            amount: null,
            alternatives: ["Ask for a reserved-instance exchange"],
          },
          appeal: null,
        },
        { compress: false },
      ),
    );
    expect(text).toContain("This decision is final");
    expect(text).toContain("Ask for a reserved-instance exchange");
    expect(text).toContain("We have not approved your request.");
    expect(text).not.toContain("You may appeal");
  });

  it("describes a credit's scope and expiry", async () => {
    const text = pdfText(
      await renderDecisionLetter(
        {
          ...LETTER,
          decision: {
            ...LETTER.decision,
            outcome: "account_credit",
            credit: {
              services: ["Object Storage"],
              regions: ["cn-shanghai"],
              expiresAt: "2027-05-04T00:00:00Z",
            },
          },
        },
        { compress: false },
      ),
    );
    expect(text).toContain("Object Storage");
    expect(text).toContain("4 May 2027, 08:00 (Asia/Shanghai, UTC+08:00)");
  });

  it("breaks a long rationale over several pages", async () => {
    const paragraph =
      "The reviewer compared every hour of the usage log with the hours billed, and found the two apart. ";
    const rationale = Array.from({ length: 60 }, (_, i) => `${i + 1}. ${paragraph.repeat(3)}`).join("\n\n");
    const short = await renderDecisionLetter(LETTER, { compress: false });
    const long = await renderDecisionLetter(
      { ...LETTER, decision: { ...LETTER.decision, rationale } },
      { compress: false },
    );
    expect(pageCount(short)).toBe(1);
    expect(pageCount(long)).toBeGreaterThan(2);
    const text = pdfText(long);
    expect(text).toContain("60. The reviewer");
    expect(text).toContain(`page ${pageCount(long)} of ${pageCount(long)}`);
  });

  it("prints characters the standard fonts lack as ?, without failing", async () => {
    const pdf = await renderDecisionLetter(
      {
        ...LETTER,
        customer: { ...LETTER.customer, organisationName: "Globex 上海零售有限公司", accountName: "Café 🚀" },
      },
      { compress: false },
    );
    const text = pdfText(pdf);
    expect(text).toContain("Globex ????????");
    expect(text).toContain("Café ?");
  });

  // The system CJK font (CI installs fonts-wqy-zenhei); elsewhere, without one, skipped loudly.
  const font = letterFontFrom(undefined);
  const fontRuns = font !== null || process.env.CI === "true";
  if (!fontRuns) console.warn("\n*** SKIPPED: letters with a Unicode font — no CJK font installed ***\n");

  it.runIf(fontRuns)(
    "prints Chinese names in the embedded Unicode font, and Latin text as before",
    async () => {
      expect(font, "a CJK font (fonts-wqy-zenhei or fonts-noto-cjk)").not.toBeNull();
      const chinese = "上海零售有限公司";
      const pdf = await renderDecisionLetter(
        { ...LETTER, customer: { ...LETTER.customer, organisationName: `Globex ${chinese}` } },
        { compress: false, unicodeFont: font },
      );
      const source = pdf.toString("latin1");
      expect(source).toMatch(/\/FontFile2 /);
      expect(pdfText(pdf)).not.toContain("????");
      // The embedded subset's ToUnicode map names every character drawn (what copy and search read).
      const mapped = new Set(
        [...source.matchAll(/<([0-9a-f]{4})>/gi)].map((m) => String.fromCharCode(Number.parseInt(m[1]!, 16))),
      );
      for (const ch of chinese) expect(mapped.has(ch), ch).toBe(true);
      // A letter Helvetica can print does not touch the font: the same bytes as without it.
      const [latin, plain] = await Promise.all([
        renderDecisionLetter(LETTER, { unicodeFont: font }),
        renderDecisionLetter(LETTER),
      ]);
      expect(latin.equals(plain)).toBe(true);
    },
  );

  it("rejects an unknown time zone", async () => {
    await expect(renderDecisionLetter({ ...LETTER, timeZone: "Mars/Olympus" })).rejects.toMatchObject({
      code: "validation_failed",
    });
  });
});

describe("toWinAnsi and groupDigits", () => {
  it("keeps Latin-1 and WinAnsi punctuation, replaces the rest, drops control characters", () => {
    expect(toWinAnsi("Zoë – “quoted” €5\tend\u0007")).toBe("Zoë – “quoted” €5 end");
    expect(toWinAnsi("李\u{1F600}x")).toBe("??x");
    expect(toWinAnsi("e\u0301")).toBe("é");
  });

  it("groups the whole part of an exact decimal", () => {
    expect(groupDigits("1234567.891")).toBe("1,234,567.891");
    expect(groupDigits("-1000")).toBe("-1,000");
    expect(groupDigits("999.00")).toBe("999.00");
  });
});
