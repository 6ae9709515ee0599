import type { BillFormat } from "../charge.js";
import { alibabaFormat } from "./alibaba.js";
import { awsCurFormat } from "./aws-cur.js";
import { azureEaFormat } from "./azure-ea.js";
import { focusFormat } from "./focus.js";
import { gcpExportFormat } from "./gcp-export.js";
import type { FormatDefinition } from "./types.js";

/** Every bill format, native layouts first (detection tries them in this order, FOCUS last). */
export const FORMAT_DEFINITIONS: readonly FormatDefinition[] = [
  alibabaFormat,
  azureEaFormat,
  awsCurFormat,
  gcpExportFormat,
  focusFormat,
];

export function formatDefinition(format: BillFormat): FormatDefinition {
  const found = FORMAT_DEFINITIONS.find((d) => d.format === format);
  if (found === undefined) throw new RangeError(`unknown bill format ${format}`);
  return found;
}

export type { FormatDefinition } from "./types.js";
