/**
 * What the generated organisation buys: AWS-like services, regions and list prices.
 * Prices are decimal strings (us-east-1 On-Demand figures, rounded); regional prices are the
 * base times an exact factor, rounded to a fixed number of places so every product of a
 * price and a quantity stays exact at six decimals or fewer.
 */
import { Dec } from "../money/index.js";

export const PROVIDER = "AWS";
export const PUBLISHER = "AWS";
export const INVOICE_ISSUER = "Amazon Web Services, Inc.";

export interface Region {
  id: string;
  name: string;
  /** Exact multiplier on us-east-1 prices. */
  factor: string;
}

export const REGIONS: readonly Region[] = [
  { id: "us-east-1", name: "US East (N. Virginia)", factor: "1" },
  { id: "us-east-2", name: "US East (Ohio)", factor: "1" },
  { id: "us-west-2", name: "US West (Oregon)", factor: "1" },
  { id: "eu-west-1", name: "Europe (Ireland)", factor: "1.12" },
  { id: "eu-central-1", name: "Europe (Frankfurt)", factor: "1.15" },
  { id: "ap-southeast-1", name: "Asia Pacific (Singapore)", factor: "1.25" },
  { id: "ap-northeast-1", name: "Asia Pacific (Tokyo)", factor: "1.28" },
  { id: "ap-south-1", name: "Asia Pacific (Mumbai)", factor: "1.05" },
  { id: "ca-central-1", name: "Canada (Central)", factor: "1.1" },
  { id: "sa-east-1", name: "South America (São Paulo)", factor: "1.6" },
];

/**
 * Regions where only the S3 buckets of planted region-wide S3 outages live, so that "all of
 * the service's charges in the region" stays a small, known set (docs/audit-rules.md §4).
 */
export const S3_OUTAGE_REGIONS: readonly string[] = ["ca-central-1", "sa-east-1"];
export const BULK_S3_REGIONS: readonly Region[] = REGIONS.filter((r) => !S3_OUTAGE_REGIONS.includes(r.id));
export const GLOBAL_REGION = { id: "global", name: "Global" } as const;

export function region(id: string): Region {
  const found = REGIONS.find((r) => r.id === id);
  if (!found) throw new Error(`unknown region ${id}`);
  return found;
}

export interface Service {
  name: string;
  category: string;
  code: string;
}

export const EC2: Service = { name: "Amazon Elastic Compute Cloud", category: "Compute", code: "AmazonEC2" };
export const S3: Service = { name: "Amazon Simple Storage Service", category: "Storage", code: "AmazonS3" };
export const RDS: Service = {
  name: "Amazon Relational Database Service",
  category: "Databases",
  code: "AmazonRDS",
};
export const CLOUDFRONT: Service = {
  name: "Amazon CloudFront",
  category: "Networking",
  code: "AmazonCloudFront",
};
export const WORKSPACES: Service = {
  name: "Amazon WorkSpaces",
  category: "Compute",
  code: "AmazonWorkSpaces",
};
export const SUPPORT: Service = {
  name: "AWS Support (Business)",
  category: "Management and Governance",
  code: "AWSSupportBusiness",
};
export const ROUTE53: Service = { name: "Amazon Route 53", category: "Networking", code: "AmazonRoute53" };
export const SAGEMAKER: Service = {
  name: "Amazon SageMaker",
  category: "AI and Machine Learning",
  code: "AmazonSageMaker",
};
export const TAX: Service = { name: "Tax", category: "Other", code: "Tax" };

export interface InstanceType {
  type: string;
  /** us-east-1 On-Demand Linux price per hour. */
  base: string;
}

export const EC2_TYPES: readonly InstanceType[] = [
  { type: "t3.micro", base: "0.0104" },
  { type: "t3.small", base: "0.0208" },
  { type: "t3.medium", base: "0.0416" },
  { type: "t3.large", base: "0.0832" },
  { type: "m5.large", base: "0.096" },
  { type: "m5.xlarge", base: "0.192" },
  { type: "m5.2xlarge", base: "0.384" },
  { type: "m6i.large", base: "0.096" },
  { type: "m6i.xlarge", base: "0.192" },
  { type: "c5.large", base: "0.085" },
  { type: "c5.xlarge", base: "0.17" },
  { type: "c6g.xlarge", base: "0.136" },
  { type: "r5.large", base: "0.126" },
  { type: "r5.xlarge", base: "0.252" },
  { type: "r6g.large", base: "0.1008" },
];

/** Types big enough that one planted hour is worth at least a cent in any region. */
export const PLANTED_EC2_TYPES: readonly InstanceType[] = EC2_TYPES.filter((t) =>
  ["m5.xlarge", "m5.2xlarge", "c5.xlarge", "r5.xlarge", "m6i.xlarge", "c6g.xlarge"].includes(t.type),
);

export const RDS_TYPES: readonly InstanceType[] = [
  { type: "db.t4g.medium", base: "0.065" },
  { type: "db.m6g.large", base: "0.152" },
  { type: "db.r6g.large", base: "0.225" },
  { type: "db.r6g.xlarge", base: "0.45" },
];

export const S3_STORAGE_BASE = "0.023"; // per GB-Mo
export const S3_GET_BASE = "0.004"; // per 10,000 GET requests
export const CLOUDFRONT_HTTPS_BASE = "0.01"; // per 10,000 HTTPS requests

export const WORKSPACE_BUNDLES: readonly { name: string; price: string }[] = [
  { name: "Standard", price: "35" },
  { name: "Performance", price: "60" },
  { name: "Power", price: "78" },
];
export const SUPPORT_FEES: readonly string[] = ["100", "150", "249.5", "410.25"];
export const DOMAINS: readonly { tld: string; price: string }[] = [
  { tld: "com", price: "15" },
  { tld: "net", price: "17" },
  { tld: "io", price: "71" },
];

/** The organisation's negotiated rate (enterprise discount): ContractedUnitPrice = list × 0.92. */
export const CONTRACT_FACTOR = "0.92";
/** Reserved Instance effective hourly rate: list × 0.6, rounded to 4 places. */
export const RESERVED_FACTOR = "0.6";

export interface Pricing {
  list: Dec;
  contracted: Dec;
}

/**
 * List price for a region: base × factor × currency scale, rounded half-up to `places`;
 * contracted = list × CONTRACT_FACTOR (exact).
 */
export function regionalPricing(base: string, reg: { factor: string }, scale: Dec, places: number): Pricing {
  const list = new Dec(base).times(reg.factor).times(scale).toDecimalPlaces(places, Dec.ROUND_HALF_UP);
  return { list, contracted: list.times(CONTRACT_FACTOR) };
}

export const ORGANISATIONS: readonly string[] = [
  "Acme Analytics Ltd",
  "Northwind Traders",
  "Globex Corporation",
  "Initech Systems",
  "Umbrella Logistics",
  "Stark Robotics",
  "Wayne Data Services",
  "Tyrell Biotech",
  "Soylent Foods",
  "Hooli Cloud",
];

export const TEAMS: readonly string[] = [
  "payments",
  "search",
  "data",
  "ml",
  "web",
  "mobile",
  "platform",
  "analytics",
  "billing",
  "identity",
  "media",
  "growth",
  "infra",
  "security",
  "ops",
  "api",
  "checkout",
  "catalog",
  "ledger",
  "support",
];
export const ENVIRONMENTS: readonly string[] = ["prod", "staging", "dev", "sandbox", "qa"];
export const APPS: readonly string[] = [
  "api",
  "worker",
  "web",
  "etl",
  "kafka",
  "redis",
  "batch",
  "ingest",
  "render",
  "gateway",
  "cron",
  "scheduler",
];

export const TAX_RATES: readonly string[] = ["0.05", "0.0725", "0.08", "0.1", "0.2"];
