import { describe, expect, it } from "vitest";
import { AppError, exitCodeFor } from "../shared/errors.js";
import { badFile, describeProblem, quoteValue } from "./bad-file.js";

describe("bad-file messages", () => {
  it("quote a value: JSON-escaped, control characters visible, at most 80 characters", () => {
    expect(quoteValue("12,50")).toBe('"12,50"');
    expect(quoteValue(null)).toBe("an empty value");
    expect(quoteValue("")).toBe("an empty value");
    expect(quoteValue('a"b\\c\n\t\u0000\u007f\u0085\u2028')).toBe(
      '"a\\"b\\\\c\\n\\t\\u0000\\u007f\\u0085\\u2028"',
    );
    expect(quoteValue("é".repeat(81))).toBe(`"${"é".repeat(80)}…"`);
    expect(quoteValue("😀".repeat(100))).toBe(`"${"😀".repeat(80)}…"`);
  });

  it("describe a problem as file:line: column X: expected …, found …", () => {
    expect(
      describeProblem({
        file: "b.csv",
        line: 12,
        column: "BilledCost",
        expected: "a decimal number",
        found: '"x"',
      }),
    ).toBe('b.csv:12: column BilledCost: expected a decimal number, found "x"');
    expect(
      describeProblem({
        file: "b.parquet",
        row: 0,
        column: "Tags",
        expected: "a JSON object",
        found: '"[]"',
      }),
    ).toBe('b.parquet:0: column Tags: expected a JSON object, found "[]"');
    expect(describeProblem({ file: "b.csv", expected: "a file", found: "a directory" })).toBe(
      "b.csv: expected a file, found a directory",
    );
  });

  it("make a validation_failed AppError (exit 2) carrying the position", () => {
    const error = badFile({ file: "b.csv", line: 3, column: "X", expected: "e", found: "f" });
    expect(error).toBeInstanceOf(AppError);
    expect(error.code).toBe("validation_failed");
    expect(exitCodeFor(error)).toBe(2);
    expect(error.extensions).toEqual({ file: "b.csv", line: 3, column: "X", expected: "e", found: "f" });
    expect(badFile({ file: "p", row: 4, expected: "e", found: "f" }).extensions).toEqual({
      file: "p",
      row: 4,
      expected: "e",
      found: "f",
    });
  });
});
