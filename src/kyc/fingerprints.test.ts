import { describe, expect, it } from "vitest";
import { identityNumberHash, instrumentHash } from "./fingerprints.js";

const KEY = Buffer.alloc(32, 7);
const OTHER_KEY = Buffer.alloc(32, 8);

describe("identityNumberHash", () => {
  it("links the same number however it is written", () => {
    expect(identityNumberHash(KEY, "ab 12-34 c")).toBe(identityNumberHash(KEY, "AB1234C"));
    expect(identityNumberHash(KEY, "ＡＢ１２３４Ｃ")).toBe(identityNumberHash(KEY, "AB-1234-C"));
  });

  it("keeps different numbers apart and depends on the secret key", () => {
    expect(identityNumberHash(KEY, "AB1234C")).not.toBe(identityNumberHash(KEY, "AB1234D"));
    expect(identityNumberHash(KEY, "AB1234C")).not.toBe(identityNumberHash(OTHER_KEY, "AB1234C"));
  });

  it("is a 64-hex HMAC that does not contain the number", () => {
    const h = identityNumberHash(KEY, "123456789");
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(h).not.toContain("123456789");
  });
});

describe("instrumentHash", () => {
  it("ignores surrounding spaces but not case (gateway fingerprints are case-sensitive)", () => {
    expect(instrumentHash(KEY, " Xyz123 ")).toBe(instrumentHash(KEY, "Xyz123"));
    expect(instrumentHash(KEY, "Xyz123")).not.toBe(instrumentHash(KEY, "xyz123"));
  });
});
