/**
 * SLA tables: availability commitments and service-credit tiers per provider and service,
 * matched on FOCUS `ProviderName` + `ServiceName` (and the provider's own service codes for
 * native bills). Percentages are exact decimal strings.
 *
 * NOTE: each figure carries the URL it comes from. `confirmed: false` marks figures we could
 * not check at the source while writing this table; treat them as provisional and replace
 * them with `--policy` where they matter.
 */
export interface SlaTier {
  /** Monthly availability strictly below this percentage earns `creditPercent`. */
  below: string;
  creditPercent: string;
}

export interface SlaEntry {
  clauseId: string;
  providerName: string;
  serviceName: string;
  /** Provider-native service codes that mean the same service (`AmazonEC2`, `ecs`, …). */
  serviceCodes: readonly string[];
  /** What the commitment covers, in the provider's words. */
  scope: string;
  thresholdPercent: string;
  /** Sorted from the highest bound down; the lowest bound the availability is below wins. */
  tiers: readonly SlaTier[];
  maxCreditPercent: string;
  sourceUrl: string;
  confirmed: boolean;
}

export const SLA_TABLES: readonly SlaEntry[] = [
  {
    clauseId: "sla-aws-ec2-region",
    providerName: "AWS",
    serviceName: "Amazon Elastic Compute Cloud",
    serviceCodes: ["AmazonEC2"],
    scope: "Region-level monthly uptime of EC2 in a region",
    thresholdPercent: "99.99",
    tiers: [
      { below: "99.99", creditPercent: "10" },
      { below: "99.0", creditPercent: "30" },
      { below: "95.0", creditPercent: "100" },
    ],
    maxCreditPercent: "100",
    sourceUrl: "https://aws.amazon.com/compute/sla/",
    confirmed: true,
  },
  {
    clauseId: "sla-aws-s3",
    providerName: "AWS",
    serviceName: "Amazon Simple Storage Service",
    serviceCodes: ["AmazonS3"],
    scope: "Monthly uptime of S3 Standard in a region",
    thresholdPercent: "99.9",
    tiers: [
      { below: "99.9", creditPercent: "10" },
      { below: "99.0", creditPercent: "25" },
      { below: "95.0", creditPercent: "100" },
    ],
    maxCreditPercent: "100",
    sourceUrl: "https://aws.amazon.com/s3/sla/",
    confirmed: true,
  },
  {
    // Checked against the SLA page as last updated 2024-01-22 (Multi-AZ DB Instance and Multi-AZ DB
    // Cluster SLA). Single-DB instances have a lower commitment (99.5 %) not modelled here.
    clauseId: "sla-aws-rds-multi-az",
    providerName: "AWS",
    serviceName: "Amazon Relational Database Service",
    serviceCodes: ["AmazonRDS"],
    scope: "Monthly uptime of each Multi-AZ DB instance and Multi-AZ DB cluster",
    thresholdPercent: "99.95",
    tiers: [
      { below: "99.95", creditPercent: "10" },
      { below: "99.0", creditPercent: "25" },
      { below: "95.0", creditPercent: "100" },
    ],
    maxCreditPercent: "100",
    sourceUrl: "https://aws.amazon.com/rds/sla/",
    confirmed: true,
  },
  {
    // The 99.99 % objective for instances in multiple zones (Premium Tier) was checked at the source;
    // the credit tiers below it were not, so the entry as a whole stays unconfirmed.
    clauseId: "sla-gcp-compute-engine-multi-zone",
    providerName: "Google Cloud",
    serviceName: "Compute Engine",
    serviceCodes: [],
    scope: "Compute Engine instances in multiple zones of a region (Premium Tier), monthly uptime",
    thresholdPercent: "99.99",
    tiers: [
      { below: "99.99", creditPercent: "10" },
      { below: "99.0", creditPercent: "25" },
      { below: "95.0", creditPercent: "100" },
    ],
    maxCreditPercent: "100",
    sourceUrl: "https://cloud.google.com/compute/sla",
    confirmed: false,
  },
  {
    clauseId: "sla-alibaba-ecs-single-instance",
    providerName: "Alibaba Cloud",
    serviceName: "Elastic Compute Service",
    serviceCodes: ["ecs"],
    scope: "Single ECS instance, monthly availability",
    thresholdPercent: "99.975",
    tiers: [
      { below: "99.975", creditPercent: "10" },
      { below: "99.0", creditPercent: "25" },
      { below: "95.0", creditPercent: "100" },
    ],
    maxCreditPercent: "100",
    sourceUrl:
      "https://www.alibabacloud.com/help/en/legal/latest/alibaba-cloud-elastic-compute-service-service-level-agreement",
    confirmed: false,
  },
  {
    clauseId: "sla-alibaba-ecs-multi-zone",
    providerName: "Alibaba Cloud",
    serviceName: "Elastic Compute Service (multi-zone)",
    serviceCodes: ["ecs-multi-zone"],
    scope: "ECS instances deployed across zones of a region, monthly availability",
    thresholdPercent: "99.995",
    tiers: [
      { below: "99.995", creditPercent: "10" },
      { below: "99.0", creditPercent: "25" },
      { below: "95.0", creditPercent: "100" },
    ],
    maxCreditPercent: "100",
    sourceUrl:
      "https://www.alibabacloud.com/help/en/legal/latest/alibaba-cloud-elastic-compute-service-service-level-agreement",
    confirmed: false,
  },
  {
    clauseId: "sla-alibaba-oss",
    providerName: "Alibaba Cloud",
    serviceName: "Object Storage Service",
    serviceCodes: ["oss"],
    scope: "OSS Standard, monthly service availability",
    thresholdPercent: "99.995",
    tiers: [
      { below: "99.995", creditPercent: "10" },
      { below: "99.9", creditPercent: "25" },
      { below: "99.0", creditPercent: "100" },
    ],
    maxCreditPercent: "100",
    sourceUrl:
      "https://www.alibabacloud.com/help/en/legal/latest/alibaba-cloud-object-storage-service-service-level-agreement",
    confirmed: false,
  },
  {
    clauseId: "sla-alibaba-rds",
    providerName: "Alibaba Cloud",
    serviceName: "ApsaraDB RDS",
    serviceCodes: ["rds"],
    scope: "RDS instance, monthly availability",
    thresholdPercent: "99.99",
    tiers: [
      { below: "99.99", creditPercent: "10" },
      { below: "99.0", creditPercent: "25" },
      { below: "95.0", creditPercent: "100" },
    ],
    maxCreditPercent: "100",
    sourceUrl: "https://www.alibabacloud.com/help/en/legal/latest/apsaradb-rds-service-level-agreement",
    confirmed: false,
  },
];

export function findSlaEntry(
  tables: readonly SlaEntry[],
  providerName: string | null,
  serviceName: string | null,
): SlaEntry | undefined {
  if (!serviceName) return undefined;
  return tables.find(
    (e) =>
      (e.serviceName === serviceName || e.serviceCodes.includes(serviceName)) &&
      (providerName === null || e.providerName === providerName),
  );
}
