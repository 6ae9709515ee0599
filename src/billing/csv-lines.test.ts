import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { recordLineAt, scanCsvLines, writeWithUnixLineBreaks } from "./csv-lines.js";

const dir = mkdtempSync(join(tmpdir(), "rd-lines-"));
let fileCounter = 0;
function write(content: string | Buffer): string {
  const path = join(dir, `f${++fileCounter}.csv`);
  writeFileSync(path, content);
  return path;
}

/** A slow, obviously right reference: the line each record starts on (header first). */
function referenceStarts(text: string): { starts: number[]; unclosed: boolean } {
  const starts: number[] = [];
  let line = 1;
  let inQuote = false;
  let inRecord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const isBreak = c === "\n" || c === "\r";
    if (isBreak && c === "\r" && text[i + 1] === "\n") i++;
    if (inQuote) {
      if (c === '"') inQuote = false;
      else if (isBreak) line++;
      continue;
    }
    if (isBreak) {
      inRecord = false;
      line++;
      continue;
    }
    if (!inRecord) {
      inRecord = true;
      starts.push(line);
    }
    if (c === '"') inQuote = true;
  }
  return { starts, unclosed: inQuote };
}

function linesFrom(map: Awaited<ReturnType<typeof scanCsvLines>>): number[] {
  const lines: number[] = [];
  let k = 0;
  let offset = 0;
  for (let index = 0; index < map.records; index++) {
    while (k < map.offsets.length && (map.offsets[k] as { index: number }).index <= index) {
      offset = (map.offsets[k] as { offset: number }).offset;
      k++;
    }
    lines.push(index + 2 + offset);
  }
  return lines;
}

describe("scanCsvLines", () => {
  it("finds each record's first line: quoted breaks, blank lines, all line-break styles", async () => {
    const text = 'h1,h2\r\na,"b\nc"\n\n"d\r\n\r\ne",f\r\rg,h\n"i""j",k';
    const map = await scanCsvLines(write(text), "csv");
    expect(linesFrom(map)).toEqual([2, 5, 9, 10]);
    expect(map.unclosedQuoteLine).toBeNull();
    expect(map.mixedLineBreaks).toBe(true);
    const plain = await scanCsvLines(write("h\na\nb\n"), "csv");
    expect(plain).toEqual({ records: 2, offsets: [], unclosedQuoteLine: null, mixedLineBreaks: false });
    expect((await scanCsvLines(write('h\r\na\r\n"b\r\nc'), "csv")).unclosedQuoteLine).toBe(3);
  });

  it("agrees with the reference on any text, chunked anyhow, plain or gzip", async () => {
    const piece = fc.constantFrom("a", ",", '"', '""', "\n", "\r", "\r\n", "xyz");
    await fc.assert(
      fc.asyncProperty(
        fc.array(piece, { maxLength: 60 }),
        fc.integer({ min: 1, max: 9 }),
        fc.boolean(),
        async (pieces, chunk, gz) => {
          const text = `h${pieces.join("")}`;
          const path = write(gz ? gzipSync(Buffer.from(text)) : text);
          const map = await scanCsvLines(path, gz ? "csv-gzip" : "csv", chunk);
          const reference = referenceStarts(text);
          expect(linesFrom(map)).toEqual(reference.starts.slice(1));
          expect(map.unclosedQuoteLine !== null).toBe(reference.unclosed);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("recordLineAt", () => {
  it("gives the line of the record at or after a byte offset", async () => {
    const path = write("h\r\na\n\n\nb\r\n");
    expect(await recordLineAt(path, "csv", 0)).toBe(1);
    expect(await recordLineAt(path, "csv", 3)).toBe(2);
    expect(await recordLineAt(path, "csv", 4)).toBe(5);
    expect(await recordLineAt(path, "csv", 7)).toBe(5);
  });
});

describe("writeWithUnixLineBreaks", () => {
  it("turns every line break into \\n, across chunk boundaries", async () => {
    const source = write(gzipSync(Buffer.from("a\r\nb\rc\nd\r\r\ne")));
    const target = join(dir, "out.csv");
    await writeWithUnixLineBreaks(source, "csv-gzip", target);
    expect(readFileSync(target, "utf8")).toBe("a\nb\nc\nd\n\ne");
  });
});
