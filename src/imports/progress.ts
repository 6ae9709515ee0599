import type { ImportProgress } from "./import-file.js";

/**
 * Live progress of imports running in this process. The import's rows are written in one
 * transaction, so progress cannot be read from the database while it runs; the worker that
 * runs it reports here and the API reads it back.
 */
interface LiveProgress extends ImportProgress {
  startedAt: number;
  storingStartedAt: number | null;
}

const live = new Map<string, LiveProgress>();

export function reportImportProgress(importId: string, p: ImportProgress): void {
  const prev = live.get(importId);
  const now = Date.now();
  live.set(importId, {
    ...p,
    startedAt: prev?.startedAt ?? now,
    storingStartedAt: p.phase === "storing" ? (prev?.storingStartedAt ?? now) : null,
  });
}

export function clearImportProgress(importId: string): void {
  live.delete(importId);
}

export interface ProgressView {
  phase: "reading" | "storing";
  rowsDone: number;
  rowsTotal: number | null;
  rowsPerSecond: number | null;
  etaSeconds: number | null;
}

export function importProgress(importId: string): ProgressView | null {
  const p = live.get(importId);
  if (!p) return null;
  const elapsed = p.storingStartedAt ? (Date.now() - p.storingStartedAt) / 1000 : 0;
  const rate = elapsed > 0 ? Math.round(p.done / elapsed) : null;
  const eta = rate && p.total !== null ? Math.max(0, Math.round((p.total - p.done) / rate)) : null;
  return { phase: p.phase, rowsDone: p.done, rowsTotal: p.total, rowsPerSecond: rate, etaSeconds: eta };
}
