import type { Command } from "commander";
import { describeBreak } from "../audit-log/chain.js";
import { verifyAuditLog } from "../audit-log/verify-audit-log.js";
import { loadConfig } from "../config.js";
import { demoLogins, seedDemo } from "../demo/seed-demo.js";
import { createApiToken } from "../identity/api-tokens.js";
import { createUser } from "../identity/create-user.js";
import { createOrganisation } from "../organisations/create-organisation.js";
import { SYSTEM_ACTORS } from "../shared/context.js";
import { validationFailed } from "../shared/errors.js";
import { openStore } from "../store/database.js";
import { migrateToLatest } from "../store/migrations/index.js";
import { action, openServices, readStdin } from "./runtime.js";

const cli = { actor: SYSTEM_ACTORS.cli, requestId: null };

export function registerAdminCommands(program: Command): void {
  program
    .command("migrate")
    .description("Bring the database schema up to date (serve does this too)")
    .action(
      action(async () => {
        const store = openStore(loadConfig().databaseUrl);
        const ran = await migrateToLatest(store);
        process.stdout.write(
          `Database ${store.description} is up to date${ran.length ? ` (ran ${ran.join(", ")})` : ""}.\n`,
        );
        await store.close();
      }),
    );

  program
    .command("seed-demo")
    .description("Load the demo provider, staff and customers (password: demo) if absent")
    .action(
      action(async () => {
        const services = await openServices();
        const world = await seedDemo(services, { bills: true });
        process.stdout.write(world ? "Demo data loaded.\n" : "Demo data was already there.\n");
        for (const l of demoLogins()) process.stdout.write(`  ${l.email.padEnd(28)} ${l.side} ${l.role}\n`);
        await services.store.close();
      }),
    );

  const user = program.command("user").description("Manage users");
  user
    .command("create")
    .description("Create a user, in a customer organisation or as provider staff")
    .requiredOption("--email <email>", "sign-in e-mail")
    .requiredOption("--name <name>", "display name")
    .option("--password <password>", "password (prefer --password-stdin: arguments show in process lists)")
    .option("--password-stdin", "read the password from standard input")
    .option("--organisation <id>", "customer organisation to join (with --role)")
    .option("--role <role>", "owner, billing_admin, billing_contact or viewer (with --organisation)")
    .option(
      "--provider-role <role>",
      "staff role: support_agent, reviewer, senior_reviewer, compliance_officer, finance or admin",
    )
    .action(
      action(
        async (opts: {
          email: string;
          name: string;
          password?: string;
          passwordStdin?: boolean;
          organisation?: string;
          role?: string;
          providerRole?: string;
        }) => {
          const password = opts.passwordStdin ? await readStdin() : opts.password;
          if (!password)
            throw validationFailed([
              { field: "password", code: "required", message: "give --password or --password-stdin" },
            ]);
          const services = await openServices();
          let organisationId = opts.organisation;
          let role = opts.role;
          if (opts.providerRole) {
            // The first staff user of a fresh install also creates the provider organisation.
            const provider = await services.store.db
              .selectFrom("organisations")
              .select("id")
              .where("kind", "=", "provider")
              .executeTakeFirst();
            organisationId =
              provider?.id ??
              (
                await createOrganisation(services, cli, {
                  kind: "provider",
                  name: process.env.REFUND_DESK_PROVIDER_NAME ?? "Provider",
                })
              ).id;
            role = opts.providerRole;
          }
          const created = await createUser(services, cli, {
            email: opts.email,
            name: opts.name,
            password,
            organisationId,
            role,
          });
          process.stdout.write(`Created user ${created.id} <${created.email}>.\n`);
          await services.store.close();
        },
      ),
    );

  const token = program.command("token").description("Manage API tokens");
  token
    .command("create")
    .description("Create an API token for a service account; prints the secret once")
    .requiredOption("--organisation <id>", "organisation the token acts for")
    .requiredOption("--name <name>", "what the token is for")
    .requiredOption("--permissions <list>", "comma-separated, e.g. billing:read,refunds:write")
    .option("--accounts <list>", "comma-separated account ids (default: every account)")
    .action(
      action(async (opts: { organisation: string; name: string; permissions: string; accounts?: string }) => {
        const services = await openServices();
        const created = await createApiToken(services, cli, {
          organisationId: opts.organisation,
          name: opts.name,
          permissions: opts.permissions
            .split(",")
            .map((p) => p.trim())
            .filter(Boolean),
          accountIds: opts.accounts
            ? opts.accounts
                .split(",")
                .map((a) => a.trim())
                .filter(Boolean)
            : null,
        });
        process.stdout.write(`${created.token}\n`);
        process.stderr.write(`Token ${created.id} created. The secret above is shown only once.\n`);
        await services.store.close();
      }),
    );

  const auditLog = program.command("audit-log").description("The hash-chained audit log");
  auditLog
    .command("verify")
    .description("Check every link of the chain; report the first broken one (exit 1)")
    .action(
      action(async () => {
        const services = await openServices();
        const result = await verifyAuditLog(services.store);
        await services.store.close();
        if (result.firstBreak) {
          process.stdout.write(
            `Audit log BROKEN after ${result.entries} good entries: ${describeBreak(result.firstBreak)}\n`,
          );
          process.exitCode = 1;
          return;
        }
        process.stdout.write(`Audit log intact: ${result.entries} entries verified.\n`);
      }),
    );
}
