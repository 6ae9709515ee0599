import { join } from "node:path";
import { EVIDENCE_KINDS } from "../billing/evidence.js";
import { generateDataset } from "../generator/generate-dataset.js";
import { createUser } from "../identity/create-user.js";
import type { CustomerRole, ProviderRole } from "../identity/roles.js";
import { importFile } from "../imports/import-file.js";
import { createAccount } from "../organisations/create-account.js";
import { createOrganisation } from "../organisations/create-organisation.js";
import { type Services, SYSTEM_ACTORS } from "../shared/context.js";

/** NOTE: demo logins exist only where seed-demo ran; a production start creates none. */
export const DEMO_PASSWORD = "demo";

export const DEMO_STAFF: ReadonlyArray<{ email: string; name: string; role: ProviderRole }> = [
  { email: "agent@nimbus.example", name: "Sam Agent", role: "support_agent" },
  { email: "reviewer@nimbus.example", name: "Riley Reviewer", role: "reviewer" },
  { email: "senior@nimbus.example", name: "Sasha Senior", role: "senior_reviewer" },
  { email: "compliance@nimbus.example", name: "Casey Compliance", role: "compliance_officer" },
  { email: "finance@nimbus.example", name: "Frankie Finance", role: "finance" },
  { email: "admin@nimbus.example", name: "Alex Admin", role: "admin" },
];

interface DemoCustomer {
  key: "acme" | "globex";
  name: string;
  currency: string;
  country: string;
  timeZone: string;
  billingAccount: { name: string; externalId: string };
  memberAccounts: ReadonlyArray<{ name: string; externalId: string }>;
  users: ReadonlyArray<{ email: string; name: string; role: CustomerRole }>;
}

export const DEMO_CUSTOMERS: readonly DemoCustomer[] = [
  {
    key: "acme",
    name: "Acme Analytics Ltd",
    currency: "USD",
    country: "US",
    timeZone: "America/New_York",
    billingAccount: { name: "Acme — billing", externalId: "100000000001" },
    memberAccounts: [
      { name: "Acme — production", externalId: "100000000002" },
      { name: "Acme — data lake", externalId: "100000000003" },
    ],
    users: [
      { email: "owner@acme.example", name: "Olivia Owner", role: "owner" },
      { email: "admin@acme.example", name: "Aaron Admin", role: "billing_admin" },
      { email: "billing@acme.example", name: "Bea Billing", role: "billing_contact" },
      { email: "viewer@acme.example", name: "Victor Viewer", role: "viewer" },
    ],
  },
  {
    key: "globex",
    name: "Globex Retail (Shanghai) Co., Ltd.",
    currency: "CNY",
    country: "CN",
    timeZone: "Asia/Shanghai",
    billingAccount: { name: "Globex — billing", externalId: "1688000000000001" },
    memberAccounts: [{ name: "Globex — web shop", externalId: "1688000000000002" }],
    users: [
      { email: "owner@globex.example", name: "Wei Owner", role: "owner" },
      { email: "billing@globex.example", name: "Li Billing", role: "billing_contact" },
    ],
  },
];

export interface DemoWorld {
  providerOrganisationId: string;
  customers: Record<
    DemoCustomer["key"],
    { organisationId: string; billingAccountId: string; memberAccountIds: string[] }
  >;
}

/**
 * The demo's bills: a small generated dataset (every kind of anomaly planted) imported into
 * Acme, so a first start shows charges and, once the background audit has run, findings.
 */
async function importDemoBills(services: Services, organisationId: string): Promise<void> {
  const dir = join(services.config.dataDir, "demo-data");
  await generateDataset({
    outDir: dir,
    seed: 7,
    rows: 6000,
    accounts: 3,
    months: 3,
    currency: "USD",
    start: "2026-01",
    clean: false,
  });
  const ctx = { actor: SYSTEM_ACTORS.seed, requestId: null };
  await importFile(services, ctx, {
    organisationId,
    kind: "charges",
    path: join(dir, "charges.csv"),
    fileName: "charges.csv",
    onInvalid: "fail",
  });
  for (const kind of EVIDENCE_KINDS)
    await importFile(services, ctx, {
      organisationId,
      kind,
      path: join(dir, `${kind}.jsonl`),
      fileName: `${kind}.jsonl`,
      onInvalid: "fail",
    });
}

/** Creates the demo provider, staff and customers. Returns null when the demo already exists. */
export async function seedDemo(
  services: Services,
  options: { bills?: boolean } = {},
): Promise<DemoWorld | null> {
  const existing = await services.store.db
    .selectFrom("users")
    .select("id")
    .where("email", "=", DEMO_STAFF[0]!.email)
    .executeTakeFirst();
  if (existing) return null;
  const ctx = { actor: SYSTEM_ACTORS.seed, requestId: null };
  const provider = await createOrganisation(services, ctx, { kind: "provider", name: "Nimbus Cloud" });
  for (const s of DEMO_STAFF)
    await createUser(services, ctx, {
      ...s,
      password: DEMO_PASSWORD,
      organisationId: provider.id,
      role: s.role,
    });

  const customers = {} as DemoWorld["customers"];
  for (const c of DEMO_CUSTOMERS) {
    const org = await createOrganisation(services, ctx, {
      kind: "customer",
      name: c.name,
      country: c.country,
      timeZone: c.timeZone,
      billingAccount: { ...c.billingAccount, currency: c.currency },
    });
    const memberAccountIds: string[] = [];
    for (const m of c.memberAccounts)
      memberAccountIds.push(
        (await createAccount(services, ctx, { organisationId: org.id, currency: c.currency, ...m })).id,
      );
    for (const u of c.users)
      await createUser(services, ctx, {
        ...u,
        password: DEMO_PASSWORD,
        organisationId: org.id,
        role: u.role,
      });
    customers[c.key] = { organisationId: org.id, billingAccountId: org.billingAccountId!, memberAccountIds };
  }
  if (options.bills) await importDemoBills(services, customers.acme.organisationId);
  return { providerOrganisationId: provider.id, customers };
}

export function demoLogins(): Array<{ email: string; role: string; side: "provider" | "customer" }> {
  return [
    ...DEMO_STAFF.map((s) => ({ email: s.email, role: s.role, side: "provider" as const })),
    ...DEMO_CUSTOMERS.flatMap((c) =>
      c.users.map((u) => ({ email: u.email, role: u.role, side: "customer" as const })),
    ),
  ];
}
