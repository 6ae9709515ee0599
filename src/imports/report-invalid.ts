import { writeFile } from "node:fs/promises";
import type { RowProblem } from "../billing/charge.js";

function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** The rejected rows of a `--report-invalid` import, one per line, for a spreadsheet. */
export async function writeInvalidReport(path: string, problems: readonly RowProblem[]): Promise<void> {
  const lines = ["file,line,row,column,expected,found"];
  for (const p of problems)
    lines.push(
      [p.file, p.line?.toString() ?? "", p.row?.toString() ?? "", p.column ?? "", p.expected, p.found]
        .map(csvCell)
        .join(","),
    );
  await writeFile(path, `${lines.join("\n")}\n`, "utf8");
}
