import { describe, expect, it } from "vitest";
import { classifyDocument, fileNameProblem } from "./document-rules.js";

const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from([0, 0, 0, 13]),
  Buffer.from("IHDR"),
  Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0, 0x90, 0x77, 0x53, 0xde]),
]);
const pdf = Buffer.from("%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n");
const jpeg = Buffer.from([
  0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
]);
const html = Buffer.from("<!doctype html><html><body><script>alert(1)</script></body></html>");
const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(56)]);
const zip = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0, 0, 0]), Buffer.alloc(30)]);

describe("classifyDocument", () => {
  it.each([
    ["PDF", pdf, "application/pdf"],
    ["PNG", png, "image/png"],
    ["JPEG", jpeg, "image/jpeg"],
  ])("accepts %s by its magic bytes", async (_name, bytes, type) => {
    expect(await classifyDocument(bytes)).toBe(type);
  });

  it.each([
    ["HTML", html],
    ["ELF", elf],
    ["ZIP", zip],
    ["empty", Buffer.alloc(0)],
    ["text", Buffer.from("passport number 123")],
    ["PDF magic not at the start", Buffer.concat([Buffer.from("xx"), pdf])],
  ])("rejects %s", async (_name, bytes) => {
    expect(await classifyDocument(bytes)).toBeNull();
  });
});

describe("fileNameProblem", () => {
  it.each([
    "passport.pdf",
    "Scan 2026-05-04 (1).jpeg",
    "护照.png",
    "a".repeat(255),
    "é".repeat(127),
    ".hidden",
  ])("accepts %j", (name) => {
    expect(fileNameProblem(name)).toBeNull();
  });

  it.each([
    ["missing", undefined],
    ["empty", ""],
    ["blank", "   "],
    ["parent path", "../../etc/passwd"],
    ["absolute path", "/etc/passwd"],
    ["Windows path", "C:\\Windows\\win.ini"],
    ["dot-dot alone", ".."],
    ["dot-dot inside", "id..pdf"],
    ["NUL", "id.pdf\u0000.exe"],
    ["newline", "id\n.pdf"],
    ["DEL", "id\u007f.pdf"],
    ["C1 control", "id\u0085.pdf"],
    ["right-to-left override", "id\u202Efdp.exe"],
    ["256 bytes", "a".repeat(256)],
    ["300 characters", `${"a".repeat(296)}.pdf`],
    ["over 255 bytes in UTF-8", "é".repeat(128)],
  ])("rejects %s", (_label, name) => {
    expect(fileNameProblem(name)).not.toBeNull();
  });
});
