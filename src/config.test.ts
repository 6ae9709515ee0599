import { describe, expect, it } from "vitest";
import { letterFontFrom } from "./config.js";

describe("REFUND_DESK_LETTER_FONT", () => {
  it("names a font file, one font of a collection, or none", () => {
    expect(letterFontFrom("none")).toBeNull();
    const file = new URL(import.meta.url).pathname; // any file that exists
    expect(letterFontFrom(file)).toEqual({ path: file, name: null });
    expect(letterFontFrom(` ${file}#NotoSansCJKsc-Regular `)).toEqual({
      path: file,
      name: "NotoSansCJKsc-Regular",
    });
  });

  it("fails at start when the named file is missing", () => {
    expect(() => letterFontFrom("/no/such/font.ttc#X")).toThrow(
      /\/no\/such\/font\.ttc, which does not exist/,
    );
  });
});
