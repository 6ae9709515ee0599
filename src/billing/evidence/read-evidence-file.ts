import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { AppError } from "../../shared/errors.js";
import type { RowProblem } from "../charge.js";
import { EVIDENCE_KINDS, type EvidenceKind } from "../evidence.js";
import { readCsvRecords } from "./csv.js";
import { BUILDERS, type EvidenceRecord, FieldReader, REQUIRED_FIELDS } from "./fields.js";
import { gcpIncidentRecords } from "./gcp-status.js";
import { firstInvalidUtf8, readLines } from "./lines.js";
import { fileError, problem, problemError, quote, show } from "./problems.js";

export type EvidenceSource = "jsonl" | "csv" | "gcp-status";

export interface ReadEvidenceOptions {
  /** The name used in `sourceRef` and messages (default: `path` as given). */
  displayName?: string;
  /**
   * `fail` (default): throw `validation_failed` at the first bad record, so nothing of a bad file is used.
   * `collect`: keep the good records and return a problem for each bad one in `invalid`. Problems with the
   * file as a whole (unreadable, not gzip, bad CSV header, not a JSON array) are thrown in both modes.
   */
  onInvalid?: "fail" | "collect";
}

export interface ReadEvidenceResult<K extends EvidenceKind> {
  records: EvidenceRecord<K>[];
  /** One entry per problem (a record may have several); always empty in `fail` mode. */
  invalid: RowProblem[];
  source: EvidenceSource;
  /** Records deliberately left out: incidents of the Google Cloud feed still open (no `end`). 0 otherwise. */
  skipped: number;
}

/** Largest Google Cloud status feed read (it is one JSON document, read whole). */
export const MAX_JSON_FEED_BYTES = 256 * 1024 * 1024;

const READ_CHUNK_BYTES = 256 * 1024;

type Format = { source: EvidenceSource; gzip: boolean };

function detectFormat(name: string, kind: EvidenceKind): Format | undefined {
  let lower = name.toLowerCase();
  const gzip = lower.endsWith(".gz");
  if (gzip) lower = lower.slice(0, -3);
  if (lower.endsWith(".jsonl") || lower.endsWith(".ndjson")) return { source: "jsonl", gzip };
  if (lower.endsWith(".csv")) return { source: "csv", gzip };
  if (lower.endsWith(".json") && kind === "incidents") return { source: "gcp-status", gzip };
  return undefined;
}

function unsupported(file: string, kind: EvidenceKind): AppError {
  const json = file.toLowerCase().replace(/\.gz$/, "").endsWith(".json");
  return fileError(
    file,
    json
      ? `a .json file is read only as the Google Cloud status feed of incidents; give ${kind} as JSON Lines (.jsonl) or CSV (.csv)`
      : "unsupported file type: expected .jsonl, .ndjson or .csv (optionally .gz; .json for the Google Cloud status feed of incidents)",
  );
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function errnoCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("code" in error)) return undefined;
  return typeof error.code === "string" ? error.code : undefined;
}

/** A clear `validation_failed` for the ways a file can fail to be read; anything else is rethrown. */
function readError(file: string, error: unknown): unknown {
  if (error instanceof AppError) return error;
  const code = errnoCode(error);
  if (code === "ENOENT") return fileError(file, "the file does not exist", error);
  if (code === "EISDIR") return fileError(file, "is a directory, not a file", error);
  if (code === "EACCES" || code === "EPERM")
    return fileError(file, "the file cannot be read (permission denied)", error);
  if (code?.startsWith("Z_") || code === "ERR_BUFFER_TOO_LARGE") {
    return fileError(file, "is not a valid gzip file, or it is truncated", error);
  }
  return error;
}

/** Receives problems: throws the first in `fail` mode, keeps them all in `collect` mode. */
class Problems {
  readonly list: RowProblem[] = [];
  constructor(private readonly mode: "fail" | "collect") {}
  add(problems: readonly RowProblem[]): void {
    const first = problems[0];
    if (first === undefined) return;
    if (this.mode === "fail") throw problemError(first);
    this.list.push(...problems);
  }
}

/**
 * Reads an evidence file of one kind (DESIGN.md "Data the audit reads"), streaming: JSON Lines
 * (`.jsonl`, `.ndjson`), CSV with a header (`.csv`), or for incidents the Google Cloud status feed
 * (`.json`); each optionally gzip-compressed (`.gz`). The type comes from `path`'s extension, else from
 * `displayName`'s. Records are validated and normalised (timestamps to UTC `…Z`, decimals exact strings)
 * and keep `sourceRef` = `FILE:LINE` (1-based; the CSV header is line 1) or `FILE:INDEX` for the feed.
 */
export async function readEvidenceFile<K extends EvidenceKind>(
  path: string,
  kind: K,
  options: ReadEvidenceOptions = {},
): Promise<ReadEvidenceResult<K>> {
  const file = options.displayName || path;
  if (!(EVIDENCE_KINDS as readonly string[]).includes(kind)) {
    throw new AppError("validation_failed", `${file}: unknown evidence kind ${quote(String(kind))}`, {
      extensions: { file },
    });
  }
  const mode = options.onInvalid ?? "fail";
  if (mode !== "fail" && mode !== "collect") {
    throw new AppError("validation_failed", `onInvalid must be "fail" or "collect"`);
  }
  const format =
    detectFormat(path, kind) ?? (options.displayName ? detectFormat(options.displayName, kind) : undefined);
  if (format === undefined) throw unsupported(file, kind);

  try {
    const info = await stat(path);
    if (info.isDirectory()) throw fileError(file, "is a directory, not a file");
  } catch (error) {
    throw readError(file, error);
  }
  const raw = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
  let input: Readable = raw;
  if (format.gzip) {
    const gunzip = createGunzip({ chunkSize: READ_CHUNK_BYTES });
    raw.on("error", (error) => gunzip.destroy(error));
    input = raw.pipe(gunzip);
  }
  const problems = new Problems(mode);
  try {
    if (format.source === "gcp-status") {
      const { records, skipped } = await readGcpStatus(input, file, problems);
      // The feed only ever yields incidents; `kind` is "incidents" here (detectFormat).
      return {
        records: records as EvidenceRecord<K>[],
        invalid: problems.list,
        source: "gcp-status",
        skipped,
      };
    }
    const records =
      format.source === "jsonl"
        ? await readJsonLines(input, kind, file, problems)
        : await readCsv(input, kind, file, problems);
    return { records, invalid: problems.list, source: format.source, skipped: 0 };
  } catch (error) {
    throw readError(file, error);
  } finally {
    raw.destroy();
    input.destroy();
  }
}

async function readJsonLines<K extends EvidenceKind>(
  input: Readable,
  kind: K,
  file: string,
  problems: Problems,
): Promise<EvidenceRecord<K>[]> {
  const build = BUILDERS[kind];
  const records: EvidenceRecord<K>[] = [];
  for await (const line of readLines(input)) {
    const at = { line: line.line };
    if ("problem" in line) {
      problems.add([problem(file, at, undefined, line.problem.expected, line.problem.found)]);
      continue;
    }
    if (line.text.trim() === "") continue; // blank lines are allowed (and still counted)
    let value: unknown;
    try {
      value = JSON.parse(line.text);
    } catch {
      const cutOff = line.last && !line.terminated;
      const expected = cutOff
        ? "a complete JSON object (the last line is cut off: is the file truncated?)"
        : "a JSON object (one per line)";
      problems.add([problem(file, at, undefined, expected, show(line.text))]);
      continue;
    }
    if (!isObject(value)) {
      problems.add([problem(file, at, undefined, "a JSON object (one per line)", show(value))]);
      continue;
    }
    const object = value;
    // Only the record's own fields are read; others (real feeds add some) are ignored.
    const reader = new FieldReader(file, at, false, (f) =>
      Object.hasOwn(object, f) ? object[f] : undefined,
    );
    const record = build(reader, `${file}:${line.line}`);
    if (reader.problems.length > 0) problems.add(reader.problems);
    else records.push(record);
  }
  return records;
}

async function readCsv<K extends EvidenceKind>(
  input: Readable,
  kind: K,
  file: string,
  problems: Problems,
): Promise<EvidenceRecord<K>[]> {
  const build = BUILDERS[kind];
  const records: EvidenceRecord<K>[] = [];
  let columns: Map<string, number> | undefined;
  let width = 0;
  for await (const rec of readCsvRecords(readLines(input))) {
    if (columns === undefined) {
      // The header: any problem with it is a problem with the whole file.
      if ("problem" in rec)
        throw problemError(
          problem(file, { line: rec.line }, undefined, rec.problem.expected, rec.problem.found),
        );
      columns = headerColumns(rec.fields, rec.line, kind, file);
      width = rec.fields.length;
      continue;
    }
    const at = { line: rec.line };
    if ("problem" in rec) {
      problems.add([problem(file, at, undefined, rec.problem.expected, rec.problem.found)]);
      continue;
    }
    if (rec.fields.length !== width) {
      problems.add([
        problem(file, at, undefined, `${width} fields, as in the header`, `${rec.fields.length} fields`),
      ]);
      continue;
    }
    const index = columns;
    const fields = rec.fields;
    const reader = new FieldReader(file, at, true, (f) => {
      const i = index.get(f);
      return i === undefined ? undefined : fields[i];
    });
    const record = build(reader, `${file}:${rec.line}`);
    if (reader.problems.length > 0) problems.add(reader.problems);
    else records.push(record);
  }
  if (columns === undefined) {
    throw problemError(
      problem(
        file,
        { line: 1 },
        undefined,
        `a header line naming the columns (${REQUIRED_FIELDS[kind].join(", ")}, …)`,
        "an empty file",
      ),
    );
  }
  return records;
}

/** Column positions by name; duplicate names and missing required columns are errors on the header line. */
function headerColumns(names: string[], line: number, kind: EvidenceKind, file: string): Map<string, number> {
  const columns = new Map<string, number>();
  names.forEach((raw, i) => {
    const name = raw.trim();
    if (name === "") return;
    const seen = columns.get(name);
    if (seen !== undefined) {
      throw problemError(
        problem(
          file,
          { line },
          name,
          "each column name once in the header",
          `${quote(name)} in columns ${seen + 1} and ${i + 1}`,
        ),
      );
    }
    columns.set(name, i);
  });
  for (const name of REQUIRED_FIELDS[kind]) {
    if (!columns.has(name)) {
      throw problemError(
        problem(file, { line }, name, `a column named ${name}`, "no such column in the header"),
      );
    }
  }
  if (kind === "promotions" && !columns.has("discountPercent") && !columns.has("creditAmount")) {
    throw problemError(
      problem(
        file,
        { line },
        "discountPercent",
        "a column named discountPercent or creditAmount",
        "neither in the header",
      ),
    );
  }
  return columns;
}

async function readGcpStatus(
  input: Readable,
  file: string,
  problems: Problems,
): Promise<{ records: EvidenceRecord<"incidents">[]; skipped: number }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of input) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_JSON_FEED_BYTES) {
      throw fileError(file, `the status feed is larger than ${MAX_JSON_FEED_BYTES} bytes`);
    }
    chunks.push(buffer);
  }
  const bytes = Buffer.concat(chunks);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    const at = Math.max(firstInvalidUtf8(bytes), 0);
    let line = 1;
    for (let i = bytes.indexOf(0x0a); i !== -1 && i < at; i = bytes.indexOf(0x0a, i + 1)) line += 1;
    throw problemError(
      problem(
        file,
        { line },
        undefined,
        "UTF-8 text",
        `the byte 0x${(bytes[at] ?? 0).toString(16).toUpperCase()} at byte ${at + 1} of the file`,
      ),
    );
  }
  let feed: unknown;
  try {
    feed = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? quote(error.message) : "";
    throw fileError(
      file,
      `expected the Google Cloud status feed (a JSON array of incidents), found invalid JSON ${reason}`,
    );
  }
  if (!Array.isArray(feed)) {
    throw fileError(
      file,
      `expected the Google Cloud status feed (a JSON array of incidents), found ${show(feed)}`,
    );
  }
  const records: EvidenceRecord<"incidents">[] = [];
  let skipped = 0;
  feed.forEach((incident, index) => {
    const result = gcpIncidentRecords(incident, index, file);
    if (result.kind === "invalid") problems.add(result.problems);
    else if (result.kind === "open") skipped += 1;
    else records.push(...result.records);
  });
  return { records, skipped };
}
