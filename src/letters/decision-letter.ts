import { DateTime, IANAZone } from "luxon";
import PDFDocument from "pdfkit";
import { validationFailed } from "../shared/errors.js";

export type DecisionOutcome =
  | "refund_original_method"
  | "account_credit"
  | "partial_refund"
  | "service_adjustment"
  | "denied";

/** Everything a decision letter says; built by the case decision code, rendered here without I/O. */
export interface DecisionLetter {
  providerName: string;
  ticketNumber: string;
  caseId: string;
  /** IANA time zone the customer's dates are shown in. */
  timeZone: string;
  policyVersion: string;
  customer: { organisationName: string; accountName: string; providerAccountId: string | null };
  lineItem: {
    description: string;
    serviceName: string | null;
    resourceId: string | null;
    regionId: string | null;
    chargePeriodStart: string | null;
    chargePeriodEnd: string | null;
    invoiceId: string | null;
    sourceRef: string;
    billedCost: string;
    currency: string;
  };
  requestedAmount: string;
  decision: {
    sequence: 1 | 2;
    final: boolean;
    outcome: DecisionOutcome;
    amount: string | null;
    currency: string;
    decidedAt: string;
    deciderName: string;
    rationale: string;
    clauses: Array<{ id: string; title: string; text: string }>;
    evidence: string[];
    credit: { services: string[]; regions: string[]; expiresAt: string } | null;
    adjustment: string | null;
    alternatives: string[];
  };
  /** The deadline of an appeal; null when the decision is final or cannot be appealed. */
  appeal: { by: string } | null;
}

export interface RenderOptions {
  /** Deflate content streams (default). Tests turn it off to read the text back. */
  compress?: boolean;
  /**
   * A TrueType/OpenType font (or collection, with the PostScript name of one of its fonts) for text
   * Helvetica cannot show: Chinese names, for one. Embedded as the subset a letter uses. Without it,
   * such characters print as "?".
   */
  unicodeFont?: LetterFont | null;
}

export interface LetterFont {
  path: string;
  /** The font's PostScript name inside a collection (`.ttc`); null for a single font. */
  name: string | null;
}

/**
 * The characters the standard PDF fonts can show (WinAnsiEncoding) beyond Latin-1: pdfkit maps
 * these Unicode code points to their WinAnsi byte (its own table, repeated here to test against).
 */
const WIN_ANSI_EXTRAS = new Set([
  0x0152, 0x0153, 0x0160, 0x0161, 0x0178, 0x017d, 0x017e, 0x0192, 0x02c6, 0x02dc, 0x2013, 0x2014, 0x2018,
  0x2019, 0x201a, 0x201c, 0x201d, 0x201e, 0x2020, 0x2021, 0x2022, 0x2026, 0x2030, 0x2039, 0x203a, 0x20ac,
  0x2122,
]);

const isWinAnsi = (cp: number) => cp <= 0xff || WIN_ANSI_EXTRAS.has(cp);

/**
 * Text the standard fonts can draw: Helvetica (WinAnsiEncoding) only. pdfkit would write any other
 * character (a Chinese name, an emoji) as garbage bytes, so each one becomes "?" instead. Tabs become
 * spaces; line breaks are kept; other control characters go.
 */
export function toWinAnsi(text: string): string {
  return printable(text, true);
}

/** Tabs as spaces, line breaks kept, other control characters dropped; with `winAnsi`, "?" for the rest. */
function printable(text: string, winAnsi: boolean): string {
  let out = "";
  for (const ch of text.normalize("NFC")) {
    const cp = ch.codePointAt(0) ?? 0x3f;
    if (cp === 0x0a) out += "\n";
    else if (cp === 0x09) out += " ";
    else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) continue;
    else if (!winAnsi || isWinAnsi(cp)) out += ch;
    else out += "?";
  }
  return out;
}

/** Whether Helvetica can show all of the text (after `printable`). */
function helveticaShows(text: string): boolean {
  for (const ch of text) if (!isWinAnsi(ch.codePointAt(0) ?? 0)) return false;
  return true;
}

/** `1234567.50` → `1,234,567.50`: grouping on the exact decimal string, never through a float. */
export function groupDigits(amount: string): string {
  const match = /^(-?)(\d+)(\.\d+)?$/.exec(amount.trim());
  if (!match) return amount;
  const [, sign, whole, fraction] = match;
  return `${sign}${(whole ?? "").replace(/\B(?=(\d{3})+(?!\d))/g, ",")}${fraction ?? ""}`;
}

const money = (amount: string, currency: string) => `${groupDigits(amount)} ${currency}`;

function zoned(iso: string, timeZone: string, field: string): DateTime {
  const at = DateTime.fromISO(iso, { zone: "utc" });
  if (!at.isValid)
    throw validationFailed([{ field, code: "invalid_timestamp", message: "is not an ISO 8601 instant" }]);
  // A fixed locale: the letter must not change with the machine that renders it.
  return at.setZone(timeZone).setLocale("en-GB");
}

/** `4 May 2026, 18:00 (Asia/Shanghai, UTC+08:00)`: the customer's wall time with its offset. */
function dateTime(iso: string, timeZone: string, field: string): string {
  const at = zoned(iso, timeZone, field);
  return `${at.toFormat("d MMMM yyyy, HH:mm")} (${timeZone}, UTC${at.toFormat("ZZ")})`;
}

function period(start: string | null, end: string | null, timeZone: string): string {
  if (!start && !end) return "not stated";
  const show = (iso: string | null, field: string) => {
    if (!iso) return "…";
    const at = zoned(iso, timeZone, field);
    return `${at.toFormat("d MMM yyyy HH:mm")} UTC${at.toFormat("ZZ")}`;
  };
  return `${show(start, "lineItem.chargePeriodStart")} to ${show(end, "lineItem.chargePeriodEnd")} (${timeZone})`;
}

function outcomeWords(letter: DecisionLetter): string[] {
  const d = letter.decision;
  const granted = d.amount ? money(d.amount, d.currency) : null;
  switch (d.outcome) {
    case "refund_original_method":
      return [
        "We have approved your request in full.",
        `We will refund ${granted ?? money(letter.requestedAmount, d.currency)} to the payment method the charge was paid with.`,
      ];
    case "partial_refund":
      return [
        "We have approved part of your request.",
        `We will refund ${granted ?? "the amount below"} to the payment method the charge was paid with.`,
      ];
    case "account_credit": {
      const lines = [
        "We have approved your request as a credit to your account.",
        `We will credit ${granted ?? "the amount below"} to your account; your next invoices use it up.`,
      ];
      if (d.credit) {
        const services = d.credit.services.length ? d.credit.services.join(", ") : "all services";
        const regions = d.credit.regions.length ? d.credit.regions.join(", ") : "all regions";
        lines.push(
          `The credit applies to ${services} in ${regions}, and expires on ${dateTime(d.credit.expiresAt, letter.timeZone, "decision.credit.expiresAt")}.`,
        );
      }
      return lines;
    }
    case "service_adjustment":
      return [
        "We have approved your request as a service adjustment.",
        d.adjustment ? `The adjustment: ${d.adjustment}` : "We will adjust the service as described below.",
        ...(granted ? [`Its value: ${granted}.`] : []),
      ];
    case "denied":
      return ["We have not approved your request.", "No refund, credit or adjustment will be made."];
  }
}

const PAGE_MARGIN = 56;
const FOOTER_GAP = 28;

/**
 * Renders a decision letter as an A4 PDF. Deterministic: the same letter gives the same bytes
 * (the document dates are the decision time, and pdfkit derives the file id from the
 * document info, not from randomness).
 */
export async function renderDecisionLetter(
  letter: DecisionLetter,
  options: RenderOptions = {},
): Promise<Buffer> {
  if (!IANAZone.isValidZone(letter.timeZone))
    throw validationFailed([
      { field: "timeZone", code: "invalid_time_zone", message: "is not an IANA zone" },
    ]);
  const at = zoned(letter.decision.decidedAt, letter.timeZone, "decision.decidedAt").toJSDate();

  const doc = new PDFDocument({
    size: "A4",
    margin: PAGE_MARGIN,
    compress: options.compress ?? true,
    bufferPages: true,
    info: {
      // Document properties are not drawn: pdfkit writes any text there as UTF-16.
      Title: printable(`Decision on refund request ${letter.ticketNumber}`, false),
      Author: printable(letter.providerName, false),
      Subject: `${letter.caseId} decision ${letter.decision.sequence}`,
      Creator: "Refund Desk",
      Producer: "Refund Desk",
      CreationDate: at,
      ModDate: at,
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on("data", (chunk: Buffer) => chunks.push(chunk));
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
  });

  const width = doc.page.width - 2 * PAGE_MARGIN;
  const unicode = options.unicodeFont ?? null;
  if (unicode) doc.registerFont("Unicode", unicode.path, unicode.name ?? undefined);
  // The style asked for; a text that Helvetica cannot show is drawn in the Unicode font instead.
  let style: "Helvetica" | "Helvetica-Bold" = "Helvetica";
  const font = (f: typeof style) => {
    style = f;
    return doc.font(f);
  };
  const text = (s: string, opts: PDFKit.Mixins.TextOptions = {}) => {
    const clean = printable(s, unicode === null);
    doc.font(unicode && !helveticaShows(clean) ? "Unicode" : style);
    return doc.text(clean, { width, ...opts });
  };
  const body = () => font("Helvetica").fontSize(10).fillColor("#000000");
  const heading = (s: string) => {
    // Keep a heading with at least a few lines of what follows it.
    if (doc.y > doc.page.height - PAGE_MARGIN - 80) doc.addPage();
    doc.moveDown(0.8);
    font("Helvetica-Bold").fontSize(12).fillColor("#1a3a5c");
    text(s);
    doc.moveDown(0.3);
    body();
  };
  const field = (label: string, value: string) => {
    font("Helvetica-Bold").fontSize(10);
    text(`${label}: `, { continued: true });
    font("Helvetica");
    text(value);
  };
  const bullets = (items: readonly string[]) => {
    for (const item of items) text(`•  ${item}`, { indent: 0, paragraphGap: 2 });
  };
  const paragraphs = (s: string) => {
    for (const p of s.split(/\n\s*\n/)) {
      const trimmed = p.trim();
      if (trimmed) text(trimmed, { paragraphGap: 6, align: "left" });
    }
  };

  // Header
  font("Helvetica-Bold").fontSize(18).fillColor("#1a3a5c");
  text(letter.providerName);
  doc
    .moveTo(PAGE_MARGIN, doc.y + 4)
    .lineTo(PAGE_MARGIN + width, doc.y + 4)
    .strokeColor("#1a3a5c")
    .lineWidth(1)
    .stroke();
  doc.moveDown(1);
  font("Helvetica-Bold").fontSize(15).fillColor("#000000");
  text("Decision on your refund request");
  doc.moveDown(0.3);
  body();
  field("Ticket", letter.ticketNumber);
  field("Case", letter.caseId);
  field("Date of decision", dateTime(letter.decision.decidedAt, letter.timeZone, "decision.decidedAt"));
  field("Review", letter.decision.sequence === 2 ? "second review, on appeal" : "first review");
  field("Refund policy version", letter.policyVersion);

  heading("Customer");
  field("Organisation", letter.customer.organisationName);
  field("Account", letter.customer.accountName);
  field("Provider account id", letter.customer.providerAccountId ?? "not stated");

  heading("The charge you disputed");
  const li = letter.lineItem;
  field("Line item", li.description);
  field("Service", li.serviceName ?? "not stated");
  field("Resource", li.resourceId ?? "not stated");
  field("Region", li.regionId ?? "not stated");
  field("Charge period", period(li.chargePeriodStart, li.chargePeriodEnd, letter.timeZone));
  field("Invoice", li.invoiceId ?? "not stated");
  field("Source reference", li.sourceRef);
  field("Billed amount", money(li.billedCost, li.currency));
  field("Amount requested", money(letter.requestedAmount, li.currency));

  heading("Our decision");
  for (const line of outcomeWords(letter)) text(line, { paragraphGap: 3 });
  doc.moveDown(0.3);
  field(
    "Amount granted",
    letter.decision.outcome === "denied"
      ? money("0", letter.decision.currency)
      : letter.decision.amount
        ? money(letter.decision.amount, letter.decision.currency)
        : "none (see above)",
  );

  heading("Why");
  paragraphs(letter.decision.rationale);

  if (letter.decision.clauses.length) {
    heading("Policy clauses applied");
    for (const clause of letter.decision.clauses) {
      font("Helvetica-Bold");
      text(`${clause.id} — ${clause.title}`, { paragraphGap: 2 });
      font("Helvetica");
      text(clause.text, { paragraphGap: 6, indent: 12 });
    }
  }

  heading("Evidence considered");
  if (letter.decision.evidence.length) bullets(letter.decision.evidence);
  else text("No evidence beyond the billing record.");

  if (letter.decision.outcome === "denied" && letter.decision.alternatives.length) {
    heading("What you can do instead");
    bullets(letter.decision.alternatives);
  }

  heading("How to appeal");
  if (letter.appeal) {
    text(`You may appeal this decision until ${dateTime(letter.appeal.by, letter.timeZone, "appeal.by")}.`, {
      paragraphGap: 4,
    });
    text(
      "An appeal needs new evidence or a new argument; a second reviewer, who did not make this " +
        "decision, will look at the case again. Appeal from the case page in the console, or through " +
        "the API with:",
      { paragraphGap: 2 },
    );
    // On a line of its own, so the path never wraps at a slash.
    text(`POST /cases/${letter.caseId}/appeal`, { indent: 12 });
  } else if (letter.decision.final || letter.decision.sequence === 2) {
    text(
      "This decision is final: it was made on appeal by a second reviewer, and it cannot be appealed again.",
    );
  } else {
    text("This decision cannot be appealed.");
  }

  doc.moveDown(1.2);
  text(`Decided by ${letter.decision.deciderName}, for ${letter.providerName}.`);

  // Footer on every page: written last, when the page count is known.
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    // Writing below the bottom margin would otherwise make pdfkit start yet another page.
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc.font("Helvetica").fontSize(8).fillColor("#555555");
    doc.text(
      toWinAnsi(`${letter.ticketNumber} · page ${i - range.start + 1} of ${range.count}`),
      PAGE_MARGIN,
      doc.page.height - PAGE_MARGIN + FOOTER_GAP / 2,
      { width, align: "center", lineBreak: false },
    );
    doc.page.margins.bottom = bottom;
  }
  doc.end();
  return done;
}
