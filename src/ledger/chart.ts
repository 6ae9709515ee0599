/**
 * The chart of accounts Refund Desk posts to, per organisation and currency. Each code has a
 * type (which side increases it) and a default general-ledger code for the accounting export.
 */
export const LEDGER_CODES = {
  /** Money the provider owes the customer as credit on their account (per customer account). */
  customer_credit: { type: "liability", gl: "2310", title: "Customer credit balances" },
  /** Refunds decided, not yet paid out to the original payment method. */
  refunds_payable: { type: "liability", gl: "2320", title: "Refunds payable" },
  /** Refunds sent to the payment gateway, not yet settled by it. */
  gateway_clearing: { type: "asset", gl: "1190", title: "Payment gateway clearing" },
  /** Revenue given back: refunds and credits for billing errors. */
  refunds_contra_revenue: { type: "contra_revenue", gl: "4910", title: "Refunds and allowances" },
  /** Service credits for downtime under an SLA. */
  sla_credit_expense: { type: "expense", gl: "6420", title: "SLA service credits" },
  /** What customers owe on invoices (reduced when credits are consumed). */
  accounts_receivable: { type: "asset", gl: "1200", title: "Accounts receivable" },
  /** Credits that expired unused. */
  credit_breakage: { type: "revenue", gl: "4920", title: "Expired credits" },
} as const;

export type LedgerCode = keyof typeof LEDGER_CODES;
export type LedgerAccountType = (typeof LEDGER_CODES)[LedgerCode]["type"];

export const isLedgerCode = (c: string): c is LedgerCode => Object.hasOwn(LEDGER_CODES, c);

/** NOTE: assets and expenses (and contra-revenue) grow with debits; liabilities and revenue with credits. */
export function normalBalance(code: LedgerCode): "debit" | "credit" {
  const type = LEDGER_CODES[code].type;
  return type === "asset" || type === "expense" || type === "contra_revenue" ? "debit" : "credit";
}

/** Customer credit is held per customer account; everything else is the organisation's. */
export const PER_ACCOUNT_CODES: readonly LedgerCode[] = ["customer_credit"];
