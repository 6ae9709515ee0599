// `npm audit` for CI: fails on a high or critical advisory. When the registry's advisory service
// cannot be reached (some networks answer 405), it says so loudly and does not fail the build:
// that is a fact about the network, not about our dependencies.
import { spawnSync } from "node:child_process";

const run = spawnSync("npm", ["audit", "--json"], { encoding: "utf8" });
let report;
try {
  report = JSON.parse(run.stdout);
} catch {
  console.warn(`*** npm audit gave no report; dependencies NOT checked ***\n${run.stderr}`);
  process.exit(0);
}
const counts = report.metadata?.vulnerabilities;
if (!counts) {
  const why =
    report.error?.summary ||
    report.error?.detail ||
    report.message ||
    "no vulnerability counts in its report";
  console.warn(`*** npm audit could not reach the advisory service (${why}); dependencies NOT checked ***`);
  process.exit(0);
}
const serious = (counts.high ?? 0) + (counts.critical ?? 0);
console.log(`npm audit: ${JSON.stringify(counts)}`);
if (serious > 0) {
  for (const [name, v] of Object.entries(report.vulnerabilities ?? {}))
    if (v.severity === "high" || v.severity === "critical")
      console.error(`  ${v.severity}: ${name} ${v.range}`);
  process.exit(1);
}
