import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { AppError } from "../../shared/errors.js";

/**
 * Chart.js (MIT, https://www.chartjs.org), read once from node_modules at run time and inlined into the
 * HTML report, so the report opens offline with no network request. The UMD build defines `window.Chart`.
 */
export const CHART_LIBRARY = { name: "chart.js", file: "dist/chart.umd.min.js" } as const;

let cached: string | undefined;

/** The library's source, safe to place inside a `<script>` element (no `</script` or `<!--`). */
export function chartLibrarySource(): string {
  if (cached === undefined) {
    let path: string;
    try {
      // "chart.js" resolves (CommonJS condition) to <package>/dist/chart.cjs; the UMD build sits beside it.
      const main = createRequire(import.meta.url).resolve(CHART_LIBRARY.name);
      path = join(dirname(main), CHART_LIBRARY.file.replace(/^dist\//, ""));
      cached = scriptSafe(readFileSync(path, "utf8"));
    } catch (error) {
      throw new AppError(
        "internal",
        `The chart library (${CHART_LIBRARY.name}) could not be read: run npm ci`,
        {
          cause: error,
        },
      );
    }
  }
  return cached;
}

/**
 * Makes JavaScript safe to inline in `<script>`: drops the source-map comment (it would point at a file
 * the report does not carry) and breaks up sequences that would end the element early.
 */
export function scriptSafe(source: string): string {
  return source
    .replace(/\n\/\/# sourceMappingURL=\S*\s*$/, "\n")
    .replace(/<\/(script)/gi, "<\\/$1")
    .replace(/<!--/g, "<\\!--");
}
