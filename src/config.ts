import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { isLedgerCode, LEDGER_CODES, type LedgerCode } from "./ledger/chart.js";
import type { LetterFont } from "./letters/decision-letter.js";
import { loadPolicyFileSync, loadReviewPolicyFileSync } from "./policy/load-policy.js";
import type { Policy } from "./policy/policy.js";
import type { ReviewPolicy } from "./policy/review-policy.js";

/** Every setting comes from the environment; README.md lists them all. */
export interface Config {
  databaseUrl: string;
  dataDir: string;
  host: string;
  port: number;
  /** 32 bytes; sub-keys for each purpose are derived from it (src/shared/secrets.ts). */
  secretKey: Buffer;
  /** `whsec_…` secret shared with the automated KYC verifier (Standard Webhooks). */
  kycWebhookSecret: string | null;
  logLevel: string;
  rateLimitPerMinute: number;
  loginAttemptsPerMinute: number;
  maxUploadBytes: number;
  /** Largest bill or evidence file accepted by the upload API. */
  maxImportBytes: number;
  sessionTtlHours: number;
  kycValidityDays: number;
  /** DuckDB's memory bound for imports and audits; beyond it DuckDB spills to `DATA_DIR/tmp`. */
  analyticsMemoryLimit: string;
  /** DuckDB worker threads for imports and audits; null: one per core. */
  analyticsThreads: number | null;
  /** Behind a TLS-terminating proxy: trust X-Forwarded-*, so cookies get `Secure`. */
  trustProxy: boolean;
  passwordHashing: { memoryCost: number; timeCost: number; parallelism: number };
  /** `smtp://user:pass@host:587`; null: e-mails are written as `.eml` files to `DATA_DIR/mail/`. */
  smtpUrl: string | null;
  /** The From of customer e-mails. */
  mailFrom: string;
  /** Lets webhook endpoints point at loopback and private addresses (tests, closed networks only). */
  webhookAllowPrivateNetworks: boolean;
  /** Base URL of the card gateway refunds are posted to; null: no gateway configured. */
  gatewayUrl: string | null;
  /** Bearer key for the gateway's API. */
  gatewayApiKey: string | null;
  /** `whsec_…` secret the gateway signs its webhooks with (Standard Webhooks). */
  gatewayWebhookSecret: string | null;
  /** How long one gateway call may take before it counts as timed out. */
  gatewayTimeoutMs: number;
  /** General-ledger code of each ledger code in the accounting export (chart defaults, REFUND_DESK_GL_CODES overrides). */
  glCodes: Readonly<Record<LedgerCode, string>>;
  /** Bearer token Prometheus presents at `GET /metrics`; null: only loopback callers may read them. */
  metricsToken: string | null;
  /** The refund policy cases are reviewed and audits run against (REFUND_DESK_POLICY, else the shipped one). */
  policy: Policy;
  /** Thresholds, targets and windows of the review process (REFUND_DESK_REVIEW_POLICY, else the shipped one). */
  reviewPolicy: ReviewPolicy;
  /** The font decision letters use for text Helvetica cannot show (Chinese names); null: "?" instead. */
  letterFont: LetterFont | null;
}

export interface ConfigWarnings {
  warn(message: string): void;
}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number.parseInt(raw, 10);
  if (!Number.isSafeInteger(n) || n < 0 || String(n) !== raw.trim()) {
    throw new Error(`${name} must be a whole number (got ${JSON.stringify(raw)})`);
  }
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, out: ConfigWarnings = console): Config {
  const dataDir = resolve(env.REFUND_DESK_DATA_DIR ?? "./data");
  const databaseUrl = env.REFUND_DESK_DATABASE_URL ?? `sqlite:${join(dataDir, "refund-desk.sqlite")}`;
  return {
    databaseUrl,
    dataDir,
    host: env.REFUND_DESK_HOST ?? "127.0.0.1",
    port: intFrom(env, "PORT", 8080),
    secretKey: loadSecretKey(env.REFUND_DESK_SECRET_KEY, dataDir, out),
    kycWebhookSecret: env.REFUND_DESK_KYC_WEBHOOK_SECRET || null,
    logLevel: env.REFUND_DESK_LOG_LEVEL ?? "info",
    rateLimitPerMinute: intFrom(env, "REFUND_DESK_RATE_LIMIT_PER_MINUTE", 6000),
    loginAttemptsPerMinute: intFrom(env, "REFUND_DESK_LOGIN_ATTEMPTS_PER_MINUTE", 10),
    maxUploadBytes: intFrom(env, "REFUND_DESK_MAX_UPLOAD_BYTES", 10 * 1024 * 1024),
    maxImportBytes: intFrom(env, "REFUND_DESK_MAX_IMPORT_BYTES", 2 * 1024 * 1024 * 1024),
    sessionTtlHours: intFrom(env, "REFUND_DESK_SESSION_TTL_HOURS", 12),
    kycValidityDays: intFrom(env, "REFUND_DESK_KYC_VALIDITY_DAYS", 365),
    trustProxy: env.REFUND_DESK_TRUST_PROXY === "true",
    analyticsMemoryLimit: env.REFUND_DESK_ANALYTICS_MEMORY ?? "512MB",
    analyticsThreads: env.REFUND_DESK_ANALYTICS_THREADS
      ? intFrom(env, "REFUND_DESK_ANALYTICS_THREADS", 1)
      : null,
    passwordHashing: {
      // OWASP's argon2id baseline (19 MiB, t=2); raise on bigger machines.
      memoryCost: intFrom(env, "REFUND_DESK_ARGON2_MEMORY_KIB", 19456),
      timeCost: intFrom(env, "REFUND_DESK_ARGON2_ITERATIONS", 2),
      parallelism: 1,
    },
    smtpUrl: env.REFUND_DESK_SMTP_URL || null,
    mailFrom: env.REFUND_DESK_MAIL_FROM || "Refund Desk <refunds@localhost>",
    webhookAllowPrivateNetworks: env.REFUND_DESK_WEBHOOK_ALLOW_PRIVATE_NETWORKS === "true",
    ...gatewaySettings(env),
    glCodes: glCodesFrom(env.REFUND_DESK_GL_CODES),
    metricsToken: metricsTokenFrom(env.REFUND_DESK_METRICS_TOKEN),
    letterFont: letterFontFrom(env.REFUND_DESK_LETTER_FONT),
    policy: loadPolicyFileSync(env.REFUND_DESK_POLICY || undefined),
    reviewPolicy: loadReviewPolicyFileSync(env.REFUND_DESK_REVIEW_POLICY || undefined),
  };
}

/** CJK fonts of common Debian/Ubuntu packages (fonts-noto-cjk, fonts-wqy-zenhei, fonts-wqy-microhei). */
const SYSTEM_LETTER_FONTS = [
  "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc#NotoSansCJKsc-Regular",
  "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc#WenQuanYiZenHei",
  "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc#WenQuanYiMicroHei",
];

/**
 * `REFUND_DESK_LETTER_FONT`: `PATH`, or `PATH#PostScriptName` for one font of a collection, or `none`.
 * Unset: the first of the system fonts above that is installed. A named file that is missing fails
 * at start rather than at the first Chinese letter.
 */
export function letterFontFrom(raw: string | undefined): Config["letterFont"] {
  const parse = (value: string) => {
    const hash = value.lastIndexOf("#");
    return hash > 0
      ? { path: value.slice(0, hash), name: value.slice(hash + 1) || null }
      : { path: value, name: null };
  };
  if (raw === "none") return null;
  if (raw === undefined || raw.trim() === "")
    return SYSTEM_LETTER_FONTS.map(parse).find((font) => existsSync(font.path)) ?? null;
  const font = parse(raw.trim());
  if (!existsSync(font.path))
    throw new Error(`REFUND_DESK_LETTER_FONT names ${font.path}, which does not exist (or set it to none)`);
  return font;
}

/** A guessable token would expose the metrics to anyone who can reach the port. */
function metricsTokenFrom(raw: string | undefined): string | null {
  if (raw === undefined || raw === "") return null;
  if (!/^[\x21-\x7e]{16,256}$/.test(raw))
    throw new Error("REFUND_DESK_METRICS_TOKEN must be 16 to 256 printable ASCII characters without spaces");
  return raw;
}

/**
 * The chart's default general-ledger codes, with overrides from `REFUND_DESK_GL_CODES` as JSON
 * (`{"refunds_payable":"2320-01"}`). A typo in a key would silently export the default code, so
 * unknown keys fail at start.
 */
export function glCodesFrom(raw: string | undefined): Readonly<Record<LedgerCode, string>> {
  const codes = Object.fromEntries(
    Object.entries(LEDGER_CODES).map(([code, meta]) => [code, meta.gl]),
  ) as Record<LedgerCode, string>;
  if (raw === undefined || raw.trim() === "") return Object.freeze(codes);
  const fail = (why: string) =>
    new Error(
      `REFUND_DESK_GL_CODES ${why} (e.g. {"refunds_payable":"2320-01"}); ledger codes: ${Object.keys(LEDGER_CODES).join(", ")}`,
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw fail("must be a JSON object");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw fail("must be a JSON object");
  for (const [key, value] of Object.entries(parsed)) {
    if (!isLedgerCode(key)) throw fail(`names ${JSON.stringify(key)}, which is not a ledger code`);
    if (typeof value !== "string" || !/^[\x21-\x7e](?:[\x20-\x7e]{0,62}[\x21-\x7e])?$/.test(value))
      throw fail(`maps ${key} to ${JSON.stringify(value)}: a GL code is 1 to 64 printable ASCII characters`);
    codes[key] = value;
  }
  return Object.freeze(codes);
}

function gatewaySettings(
  env: NodeJS.ProcessEnv,
): Pick<Config, "gatewayUrl" | "gatewayApiKey" | "gatewayWebhookSecret" | "gatewayTimeoutMs"> {
  const gatewayUrl = env.REFUND_DESK_GATEWAY_URL || null;
  const gatewayApiKey = env.REFUND_DESK_GATEWAY_API_KEY || null;
  if (gatewayUrl !== null) {
    // A gateway half configured would fail only when the first refund is paid; fail at start instead.
    if (!URL.canParse(gatewayUrl) || !/^https?:$/.test(new URL(gatewayUrl).protocol))
      throw new Error(`REFUND_DESK_GATEWAY_URL must be an http(s) URL (got ${JSON.stringify(gatewayUrl)})`);
    if (gatewayApiKey === null)
      throw new Error("REFUND_DESK_GATEWAY_API_KEY must be set when REFUND_DESK_GATEWAY_URL is");
  }
  return {
    gatewayUrl,
    gatewayApiKey,
    gatewayWebhookSecret: env.REFUND_DESK_GATEWAY_WEBHOOK_SECRET || null,
    gatewayTimeoutMs: intFrom(env, "REFUND_DESK_GATEWAY_TIMEOUT_MS", 10_000),
  };
}

/**
 * The master key: REFUND_DESK_SECRET_KEY (64 hex characters or 44 base64 characters), or
 * else one generated once into the data folder. Losing it makes KYC documents unreadable.
 */
export function loadSecretKey(value: string | undefined, dataDir: string, out: ConfigWarnings): Buffer {
  if (value) {
    if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, "hex");
    const b = Buffer.from(value, "base64");
    if (b.length === 32) return b;
    throw new Error("REFUND_DESK_SECRET_KEY must be 32 bytes as 64 hex or 44 base64 characters");
  }
  const file = join(dataDir, "secret.key");
  if (existsSync(file)) return Buffer.from(readFileSync(file, "utf8").trim(), "hex");
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, `${key.toString("hex")}\n`, { mode: 0o600, flag: "wx" });
  out.warn(
    `REFUND_DESK_SECRET_KEY is not set: generated a new key into ${file}. ` +
      "Back it up; every process sharing this database needs the same key.",
  );
  return key;
}
