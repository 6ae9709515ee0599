import { EVIDENCE_KINDS, type EvidenceKind } from "../billing/evidence.js";

export const IMPORT_KINDS = ["charges", ...EVIDENCE_KINDS] as const;
export type ImportKind = "charges" | EvidenceKind;

export const isImportKind = (k: string): k is ImportKind => (IMPORT_KINDS as readonly string[]).includes(k);
