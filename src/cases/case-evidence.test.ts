import { describe, expect, it } from "vitest";
import { ELF, JPEG, PDF, PNG, ZIP } from "../../test/support/uploads.js";
import {
  classifyEvidenceFile,
  type EvidenceInput,
  type ReferenceType,
  validateEvidenceInputs,
} from "./case-evidence.js";
import { chargeForFinding } from "./routes.js";

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

describe("classifyEvidenceFile", () => {
  describe("binary files are judged by their magic bytes, whatever the name", () => {
    it.each([
      ["a PNG", PNG, "passport.png", "image/png"],
      ["a PNG named .txt", PNG, "notes.txt", "image/png"],
      ["a PDF", PDF, "certificate.pdf", "application/pdf"],
      ["a PDF named .exe", PDF, "setup.exe", "application/pdf"],
      ["a JPEG", JPEG, "licence.jpg", "image/jpeg"],
      ["a JPEG named .json", JPEG, "data.json", "image/jpeg"],
    ] as const)("accepts %s as %s", (_, bytes, name, type) => {
      return expect(classifyEvidenceFile(bytes, name)).resolves.toBe(type);
    });

    it.each([
      ["an ELF executable named .txt", ELF, "notes.txt"],
      ["a ZIP archive named .txt", ZIP, "notes.txt"],
      ["a ZIP archive named .csv", ZIP, "bill.csv"],
      ["an ELF executable named .pdf", ELF, "invoice.pdf"],
    ] as const)("rejects %s", async (_, bytes, name) => {
      expect(await classifyEvidenceFile(bytes, name)).toBeNull();
    });
  });

  describe("JSON", () => {
    it("accepts JSON that parses", async () => {
      expect(await classifyEvidenceFile(utf8('{"invoice": "INV-1", "lines": [1, 2]}'), "export.json")).toBe(
        "application/json",
      );
    });

    it("accepts JSON with a byte-order mark and an upper-case extension", async () => {
      expect(await classifyEvidenceFile(utf8('\uFEFF{"ok": true}'), "EXPORT.JSON")).toBe("application/json");
    });

    it("rejects a .json file that does not parse", async () => {
      expect(await classifyEvidenceFile(utf8("{invoice: INV-1,}"), "export.json")).toBeNull();
    });
  });

  describe("e-mail (.eml)", () => {
    it("accepts header fields followed by a blank line", async () => {
      const eml = "From: billing@example.com\r\nTo: ops@example.com\r\nSubject: Invoice\r\n\r\nHello.\r\n";
      expect(await classifyEvidenceFile(utf8(eml), "message.eml")).toBe("message/rfc822");
    });

    it("accepts folded header lines and LF line endings", async () => {
      const eml = "Subject: Your invoice\n for May\nFrom: billing@example.com\n\nHello.\n";
      expect(await classifyEvidenceFile(utf8(eml), "message.eml")).toBe("message/rfc822");
    });

    it("rejects text without header fields", async () => {
      expect(await classifyEvidenceFile(utf8("Hello,\n\nplease refund me.\n"), "message.eml")).toBeNull();
    });

    it("rejects header fields with no blank line after them", async () => {
      expect(await classifyEvidenceFile(utf8("From: a@example.com\nSubject: x\n"), "message.eml")).toBeNull();
    });
  });

  describe("plain text", () => {
    it.each([
      ["bill.csv", "BillingAccountId,BilledCost\n123,40.00\n", "text/csv"],
      ["notes.txt", "Charged twice on 3 May — see invoice ¥120.\n", "text/plain"],
      ["server.log", "2026-05-03T00:00:00Z\tstarted\r\n", "text/plain"],
      ["README.md", "# Refund\n\fpage two\n", "text/plain"],
    ] as const)("accepts UTF-8 %s as %s", async (name, text, type) => {
      expect(await classifyEvidenceFile(utf8(text), name)).toBe(type);
    });

    it("rejects invalid UTF-8", async () => {
      expect(
        await classifyEvidenceFile(Uint8Array.from([0x68, 0x69, 0xff, 0xfe, 0x21]), "notes.txt"),
      ).toBeNull();
    });

    it("rejects a NUL byte in a .txt", async () => {
      expect(await classifyEvidenceFile(utf8("charged\u0000twice"), "notes.txt")).toBeNull();
    });

    it("rejects other C0 control characters (escape)", async () => {
      expect(await classifyEvidenceFile(utf8("\u001b[31mred\u001b[0m"), "notes.txt")).toBeNull();
    });

    it("rejects an empty file", async () => {
      expect(await classifyEvidenceFile(new Uint8Array(0), "notes.txt")).toBeNull();
    });

    it.each([["setup.exe"], ["page.html"], ["README"]])(
      "rejects ASCII text named %s (an extension it does not accept)",
      async (name) => {
        expect(await classifyEvidenceFile(utf8("hello world\n"), name)).toBeNull();
      },
    );
  });
});

describe("validateEvidenceInputs", () => {
  const codes = (items: readonly EvidenceInput[]) =>
    validateEvidenceInputs(items).map((e) => ({ field: e.field, code: e.code }));

  it("accepts a transcript, an e-mail and a reference", () => {
    expect(
      validateEvidenceInputs([
        { kind: "transcript", label: "Chat with support", text: "Agent: we see two charges." },
        { kind: "email", label: "Cancellation", text: "Please cancel." },
        { kind: "reference", type: "finding", id: "fnd_01" },
      ]),
    ).toEqual([]);
  });

  it("requires text: empty or blank → text required", () => {
    expect(
      codes([
        { kind: "transcript", label: "Chat", text: "" },
        { kind: "email", label: "Mail", text: "  \n\t" },
      ]),
    ).toEqual([
      { field: "evidence/0/text", code: "required" },
      { field: "evidence/1/text", code: "required" },
    ]);
  });

  it("accepts 200,000 characters of text and rejects 200,001 as too_long", () => {
    expect(codes([{ kind: "transcript", label: "Chat", text: "a".repeat(200_000) }])).toEqual([]);
    expect(codes([{ kind: "transcript", label: "Chat", text: "a".repeat(200_001) }])).toEqual([
      { field: "evidence/0/text", code: "too_long" },
    ]);
  });

  it("requires a label", () => {
    expect(codes([{ kind: "email", label: " ", text: "Please cancel." }])).toEqual([
      { field: "evidence/0/label", code: "required" },
    ]);
  });

  it("rejects an unknown reference type as invalid_type", () => {
    const invoice: string = "invoice";
    expect(codes([{ kind: "reference", type: invoice as ReferenceType, id: "inv_1" }])).toEqual([
      { field: "evidence/0/type", code: "invalid_type" },
    ]);
  });

  it("requires a reference id", () => {
    expect(codes([{ kind: "reference", type: "charge", id: "  " }])).toEqual([
      { field: "evidence/0/id", code: "required" },
    ]);
  });

  it("collects every field error of every item together", () => {
    const invoice: string = "invoice";
    expect(
      codes([
        { kind: "reference", type: "usage", id: "use_1" },
        { kind: "transcript", label: "", text: "" },
        { kind: "reference", type: invoice as ReferenceType, id: "" },
      ]),
    ).toEqual([
      { field: "evidence/1/text", code: "required" },
      { field: "evidence/1/label", code: "required" },
      { field: "evidence/2/type", code: "invalid_type" },
      { field: "evidence/2/id", code: "required" },
    ]);
  });
});

describe("chargeForFinding", () => {
  const charge = (id: string, billed: string | null) => ({
    id,
    source_ref: `bill.csv:${id}`,
    billed_cost: billed,
    billing_currency: "USD",
  });
  const refs = (...ids: string[]) => ids.map((id) => `bill.csv:${id}`);

  it("picks the last charge in the finding's order that can carry the whole amount (the duplicate)", () => {
    expect(
      chargeForFinding(refs("a", "b"), [charge("a", "40.00"), charge("b", "40.00")], "40.00", "USD"),
    ).toEqual({
      id: "b",
      amount: "40",
    });
  });

  it("follows the finding's order, not the order the charges were loaded in", () => {
    expect(
      chargeForFinding(refs("b", "a"), [charge("a", "40.00"), charge("b", "40.00")], "40.00", "USD"),
    ).toEqual({
      id: "a",
      amount: "40",
    });
  });

  it("skips a later charge too small to carry the amount", () => {
    expect(
      chargeForFinding(refs("a", "b"), [charge("a", "40.00"), charge("b", "30.00")], "40.00", "USD"),
    ).toEqual({
      id: "a",
      amount: "40",
    });
  });

  it("falls back to the largest charge, the amount capped at its billed cost", () => {
    expect(
      chargeForFinding(
        refs("a", "b", "c"),
        [charge("a", "10.00"), charge("b", "25.50"), charge("c", "5.00")],
        "40.00",
        "USD",
      ),
    ).toEqual({ id: "b", amount: "25.5" });
  });

  it("ignores charges the finding does not refer to", () => {
    expect(
      chargeForFinding(refs("a"), [charge("a", "10.00"), charge("z", "100.00")], "40.00", "USD"),
    ).toEqual({
      id: "a",
      amount: "10",
    });
  });

  it.each([
    ["every charge billed zero", [charge("a", "0"), charge("b", "0.00")]],
    ["no billed cost at all", [charge("a", null), charge("b", null)]],
    ["only credits (negative)", [charge("a", "-5.00")]],
    ["no charge the finding refers to", [charge("x", "40.00")]],
  ] as const)("answers null with %s", (_, charges) => {
    expect(chargeForFinding(refs("a", "b"), charges, "40.00", "USD")).toBeNull();
  });
});
