import type { Store } from "../store/database.js";
import { type ChainBreak, chainVerifier } from "./chain.js";

export interface AuditLogVerification {
  entries: number;
  firstBreak: ChainBreak | null;
}

/** Walks the whole chain in pages (constant memory) and reports the first broken link. */
export async function verifyAuditLog(store: Store, pageSize = 1000): Promise<AuditLogVerification> {
  const verifier = chainVerifier();
  let after = 0;
  for (;;) {
    const page = await store.db
      .selectFrom("audit_log")
      .selectAll()
      .where("seq", ">", after)
      .orderBy("seq")
      .limit(pageSize)
      .execute();
    for (const row of page) {
      const broken = verifier.push(row);
      if (broken) return { entries: verifier.count, firstBreak: broken };
    }
    if (page.length < pageSize) break;
    after = page[page.length - 1]!.seq;
  }
  const head = await store.db
    .selectFrom("audit_log_head")
    .select(["seq", "hash"])
    .where("id", "=", 1)
    .executeTakeFirst();
  return { entries: verifier.count, firstBreak: verifier.finish(head ?? null) };
}
