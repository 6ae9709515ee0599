import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

/** The API's top-level paths, proxied to `npm run dev` (port 8080) by `npm run dev:console`. */
const API_PATHS =
  "^/(auth|users|organisations|accounts|charges|cases|findings|imports|invoices|payouts|kyc|ledger|finance|reconciliations|webhooks|problems|docs|openapi\\.json|healthz|readyz|dashboard|jobs|metrics)(/|$|\\?)";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL("../dist/web", import.meta.url)),
    emptyOutDir: true,
    // Every asset is a file under /assets/: no data: URLs to allow in the Content-Security-Policy.
    assetsInlineLimit: 0,
    // Evergreen browsers support modulepreload; the polyfill would only add code.
    modulePreload: { polyfill: false },
  },
  server: { proxy: { [API_PATHS]: { target: "http://127.0.0.1:8080" } } },
});
