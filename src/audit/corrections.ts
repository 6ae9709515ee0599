/**
 * Corrections and credits attributable to the charges the candidates claim (docs/audit-rules.md
 * "Corrections already made"): rows with ChargeClass = Correction or ChargeCategory = Credit with the
 * same account, ResourceId, SkuId and ChargePeriodStart (nulls equal to nulls) and currency as a claimed
 * charge. The claimed keys go to the engine in a scratch table, so the search is one join however many
 * corrections the bill holds.
 */
import { type DuckDBConnection, timestampValue } from "@duckdb/node-api";
import type { Dec } from "../money/index.js";
import type { Candidate } from "./candidate.js";
import { type ChargeFact, chargeFactColumns, correctionKey, readChargeFact } from "./charge-fact.js";
import { accountOf, readRows } from "./sql.js";

export interface Reducer {
  /** Unique within one audit: the source reference, then `#n` for rows sharing it (GCP credits). */
  key: string;
  ref: string;
  /** `correctionKey` of the row: what it must share with a claimed charge. */
  target: string;
  billedCost: Dec;
  fact: ChargeFact;
}

let scratchCounter = 0;

export function attributableCorrectionsSql(table: string): string {
  return `SELECT ${chargeFactColumns("r")}
FROM charges r JOIN ${table} k
  ON ${accountOf("r")} = k.account AND r.BillingCurrency = k.currency
  AND r.ResourceId IS NOT DISTINCT FROM k.resource AND r.SkuId IS NOT DISTINCT FROM k.sku
  AND r.ChargePeriodStart = k.start
WHERE r.ChargeClass = 'Correction' OR r.ChargeCategory = 'Credit'
ORDER BY r.x_SourceFile, r.x_SourceLine, r.ChargeCategory, r.BilledCost`;
}

export async function findAttributableCorrections(
  connection: DuckDBConnection,
  candidates: readonly Candidate[],
): Promise<Reducer[]> {
  const keys = new Map<string, ChargeFact>();
  for (const c of candidates) for (const f of c.charges) keys.set(correctionKey(f), f);
  if (keys.size === 0) return [];
  const table = `_rd_audit_claimed_${process.pid}_${++scratchCounter}`;
  await connection.run(
    `CREATE TEMP TABLE ${table} (account VARCHAR, currency VARCHAR, resource VARCHAR, sku VARCHAR, start TIMESTAMP)`,
  );
  try {
    const appender = await connection.createAppender(table, "main", "temp");
    try {
      for (const f of keys.values()) {
        appender.appendVarchar(f.accountId);
        appender.appendVarchar(f.currency);
        if (f.resourceId === null) appender.appendNull();
        else appender.appendVarchar(f.resourceId);
        if (f.skuId === null) appender.appendNull();
        else appender.appendVarchar(f.skuId);
        appender.appendTimestamp(timestampValue(f.start));
        appender.endRow();
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    const rows = await readRows(connection, attributableCorrectionsSql(table));
    const seen = new Map<string, number>();
    return rows.map((row) => {
      const fact = readChargeFact(row);
      const n = (seen.get(fact.ref) ?? 0) + 1;
      seen.set(fact.ref, n);
      return {
        key: n === 1 ? fact.ref : `${fact.ref}#${n}`,
        ref: fact.ref,
        target: correctionKey(fact),
        billedCost: fact.billedCost,
        fact,
      };
    });
  } finally {
    await connection.run(`DROP TABLE IF EXISTS temp.main.${table}`);
  }
}
