/**
 * Splits a byte stream into lines without ever holding more than one line (bounded by `maxLineBytes`), and
 * decodes each line as strict UTF-8: a bad byte or an over-long line becomes a problem for that line only,
 * never a crash, and never a silently replaced character.
 */

/** Longest line accepted (bytes, without its terminator): far above any real record, far below trouble. */
export const MAX_LINE_BYTES = 1_048_576;

export type Line =
  | { line: number; text: string; last: boolean; terminated: boolean }
  | { line: number; problem: { expected: string; found: string }; last: boolean; terminated: boolean };

const LF = 0x0a;
const CR = 0x0d;

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Offset of the first byte that is not part of a well-formed UTF-8 sequence (RFC 3629), or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i += 1;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined) return i;
      if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}

function hex(b: number): string {
  return `0x${b.toString(16).toUpperCase().padStart(2, "0")}`;
}

function decodeLine(bytes: Uint8Array, line: number, last: boolean, terminated: boolean): Line {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === CR) end -= 1;
  let start = 0;
  if (line === 1 && end >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  const body = bytes.subarray(start, end);
  try {
    return { line, text: decoder.decode(body), last, terminated };
  } catch {
    const at = firstInvalidUtf8(body);
    const offset = Math.max(at, 0);
    return {
      line,
      problem: {
        expected: "UTF-8 text",
        found: `the byte ${hex(body[offset] ?? 0)} at byte ${offset + start + 1} of the line`,
      },
      last,
      terminated,
    };
  }
}

function tooLong(line: number, bytes: number, last: boolean, terminated: boolean, max: number): Line {
  return {
    line,
    problem: { expected: `a line of at most ${max} bytes`, found: `a line of ${bytes} bytes` },
    last,
    terminated,
  };
}

function finishLine(bytes: Uint8Array, line: number, last: boolean, terminated: boolean, max: number): Line {
  const length = bytes.length > 0 && bytes[bytes.length - 1] === CR ? bytes.length - 1 : bytes.length;
  if (length > max) return tooLong(line, length, last, terminated, max);
  return decodeLine(bytes, line, last, terminated);
}

/**
 * Lines of a byte stream, numbered from 1; `\n` ends a line and a `\r` before it is dropped; a UTF-8 BOM at
 * the start is dropped. `last` marks the final line, `terminated` whether it ended with `\n`. A final empty
 * line after the last `\n` is not reported.
 */
export async function* readLines(
  source: AsyncIterable<Uint8Array | string>,
  maxLineBytes = MAX_LINE_BYTES,
): AsyncGenerator<Line> {
  let carry: Uint8Array[] = [];
  let carryBytes = 0;
  let skipping = false; // inside a line already known to be too long
  let skippedBytes = 0;
  let lineNo = 1;
  let pending: Line | undefined; // held back one line so that `last` can be set
  for await (const input of source) {
    const chunk = typeof input === "string" ? Buffer.from(input, "utf8") : input;
    let pos = 0;
    for (;;) {
      const nl = chunk.indexOf(LF, pos);
      if (nl === -1) break;
      const piece = chunk.subarray(pos, nl);
      let out: Line;
      if (skipping) out = tooLong(lineNo, skippedBytes + piece.length, false, true, maxLineBytes);
      else
        out = finishLine(
          carry.length === 0 ? piece : Buffer.concat([...carry, piece]),
          lineNo,
          false,
          true,
          maxLineBytes,
        );
      if (pending !== undefined) yield pending;
      pending = out;
      carry = [];
      carryBytes = 0;
      skipping = false;
      skippedBytes = 0;
      lineNo += 1;
      pos = nl + 1;
    }
    if (pos < chunk.length) {
      const rest = chunk.subarray(pos);
      if (skipping) skippedBytes += rest.length;
      // One byte of slack for a CR before the LF, which is not part of the line.
      else if (carryBytes + rest.length > maxLineBytes + 1) {
        skipping = true;
        skippedBytes = carryBytes + rest.length;
        carry = [];
        carryBytes = 0;
      } else {
        carry.push(rest);
        carryBytes += rest.length;
      }
    }
  }
  if (skipping) {
    if (pending !== undefined) yield pending;
    yield tooLong(lineNo, skippedBytes, true, false, maxLineBytes);
    return;
  }
  if (carryBytes > 0) {
    if (pending !== undefined) yield pending;
    yield finishLine(
      carry.length === 1 ? carry[0]! : Buffer.concat(carry),
      lineNo,
      true,
      false,
      maxLineBytes,
    );
    return;
  }
  if (pending !== undefined) yield { ...pending, last: true };
}
