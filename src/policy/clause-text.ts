import { notFound } from "../shared/errors.js";
import type { Policy } from "./policy.js";

export interface ClauseText {
  id: string;
  title: string;
  text: string;
  /** The clause's outside source (provider terms page, law), or null when the clause is our own. */
  source: string | null;
}

/** The text of clause `id` of the policy; throws not_found for an id the policy does not define. */
export function clauseText(policy: Pick<Policy, "clauses" | "version">, id: string): ClauseText {
  // Own properties only: "constructor" or "__proto__" must not resolve to something of Object.prototype.
  const clause = Object.hasOwn(policy.clauses, id) ? policy.clauses[id] : undefined;
  if (clause === undefined) throw notFound(`Clause "${id}" of policy ${policy.version}`);
  return { id, title: clause.title, text: clause.text, source: clause.source ?? null };
}
