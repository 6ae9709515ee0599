import { type FormEvent, useEffect, useId, useRef, useState } from "react";
import { api, getAll, newIdempotencyKey } from "../../api/client";
import type { Account, ApiToken, CreatedApiToken, Member, Problem } from "../../api/types";
import {
  Badge,
  DataTable,
  Empty,
  ErrorState,
  Field,
  fieldErrors,
  Instant,
  Loading,
  PageTitle,
  ProblemAlert,
} from "../../components/ui";
import { useI18n } from "../../i18n/i18n";
import { useAction } from "../../lib/use-action";
import { useLoad } from "../../lib/use-api";
import { Link, paths } from "../../router";
import type { Abilities } from "../../session";
import { KYC_TONES } from "./kyc";
import { loadAccounts } from "./shared";

/** Customer roles (src/identity/roles.ts CUSTOMER_ROLES), most powerful first. */
const ROLES = ["owner", "billing_admin", "billing_contact", "viewer"] as const;
/** What an API token may carry (src/identity/roles.ts TOKEN_PERMISSIONS). */
const PERMISSIONS = [
  "billing:read",
  "billing:write",
  "refunds:read",
  "refunds:write",
  "kyc:read",
  "kyc:write",
];
/**
 * NOTE: src/identity/authorization.ts: `members.manage` is the owner's alone; `tokens.manage` is the
 * owner's and the billing admin's. The buttons follow it; the server stays the judge (a 403 is shown).
 */
const MEMBER_MANAGERS = ["owner"];
const TOKEN_MANAGERS = ["owner", "billing_admin"];

/**
 * The server's `conflict` here is about the organisation (its last owner), not a case that moved:
 * the console's generic headline for it speaks of cases, so this page says it in its own words.
 */
function PageProblem({ problem, shownFields }: { problem: Problem; shownFields?: string[] }) {
  const { t } = useI18n();
  const own =
    problem.code === "conflict"
      ? { ...problem, code: "organisation_conflict", title: t("org.conflict") }
      : problem;
  return <ProblemAlert problem={own} shownFields={shownFields} />;
}

function AccountsSection({ accounts }: { accounts: readonly Account[] }) {
  const { t, label } = useI18n();
  return (
    <section className="panel" aria-labelledby="org-accounts-heading">
      <h2 id="org-accounts-heading">{t("org.accounts")}</h2>
      {accounts.length === 0 ? (
        <Empty>{t("kyc.noAccounts")}</Empty>
      ) : (
        <DataTable
          caption={t("org.accounts")}
          columns={[t("kyc.account"), t("org.externalId"), t("org.currency"), t("org.kyc")]}
        >
          {accounts.map((a) => (
            <tr key={a.id}>
              <th scope="row">
                {a.name}
                {a.isBillingAccount && <div className="sub">{t("account.billing")}</div>}
              </th>
              <td>{a.externalId ?? "—"}</td>
              <td>{a.currency}</td>
              <td>
                <Badge tone={KYC_TONES[a.kyc.status] ?? "neutral"}>{label("kycStatus", a.kyc.status)}</Badge>{" "}
                <Link href={paths.kyc(a.id)}>
                  {t("org.kycLink")}
                  <span className="visually-hidden"> {t("org.kycLinkOf", { account: a.name })}</span>
                </Link>
              </td>
            </tr>
          ))}
        </DataTable>
      )}
    </section>
  );
}

function RoleSelect({
  value,
  onChange,
  ...control
}: {
  value: string;
  onChange: (role: string) => void;
  id?: string;
  "aria-label"?: string;
  "aria-describedby"?: string;
  "aria-invalid"?: boolean;
}) {
  const { label } = useI18n();
  return (
    <select {...control} value={value} onChange={(e) => onChange(e.target.value)}>
      {ROLES.map((r) => (
        <option key={r} value={r}>
          {label("role", r)}
        </option>
      ))}
    </select>
  );
}

/**
 * A destructive action asked twice: the first button turns into "Remove X" / "Cancel", the confirming
 * button takes the focus, and Cancel gives it back, so a keyboard user never loses their place.
 */
function TwoStepButton({
  ask,
  what,
  confirm,
  busy,
  onConfirm,
}: {
  ask: string;
  /** Whom or what the action is about: read after `ask` by a screen reader, "Remove Ada". */
  what: string;
  confirm: string;
  busy: boolean;
  onConfirm: () => Promise<void>;
}) {
  const { t } = useI18n();
  const [confirming, setConfirming] = useState(false);
  const askRef = useRef<HTMLButtonElement>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const moved = useRef(false);
  useEffect(() => {
    if (!moved.current) return;
    (confirming ? confirmRef : askRef).current?.focus();
  }, [confirming]);
  const toggle = (on: boolean) => {
    moved.current = true;
    setConfirming(on);
  };
  if (!confirming)
    return (
      <button ref={askRef} type="button" className="secondary danger small" onClick={() => toggle(true)}>
        {ask}
        <span className="visually-hidden"> {what}</span>
      </button>
    );
  return (
    <div className="actions">
      <button
        ref={confirmRef}
        type="button"
        className="danger small"
        disabled={busy}
        onClick={() => void onConfirm().finally(() => toggle(false))}
      >
        {confirm}
      </button>
      <button type="button" className="secondary small" onClick={() => toggle(false)}>
        {t("action.cancel")}
      </button>
    </div>
  );
}

/** One member's row for an owner: change the role, or remove (asked twice, the second time by name). */
function MemberRow({
  member,
  organisationId,
  manage,
  isYou,
  onDone,
}: {
  member: Member;
  organisationId: string;
  manage: boolean;
  isYou: boolean;
  onDone: (message: string) => Promise<void>;
}) {
  const { t, label } = useI18n();
  const [role, setRole] = useState(member.role);
  const action = useAction();
  const base = `/organisations/${encodeURIComponent(organisationId)}/members`;

  async function changeRole(e: FormEvent) {
    e.preventDefault();
    const message = t("org.roleChanged", { name: member.name, role: label("role", role) });
    const ok = await action.run(
      () => api("POST", base, { email: member.email, role }, { idempotencyKey: newIdempotencyKey() }),
      message,
    );
    if (ok) await onDone(message);
  }
  async function remove() {
    const message = t("org.memberRemoved", { name: member.name });
    const ok = await action.run(
      () =>
        api("DELETE", `${base}/${encodeURIComponent(member.id)}`, undefined, {
          idempotencyKey: newIdempotencyKey(),
        }),
      message,
    );
    if (ok) await onDone(message);
  }

  return (
    <tr>
      <th scope="row">
        {member.name}
        {isYou && <span className="sub"> ({t("workbench.you")})</span>}
      </th>
      <td>{member.email}</td>
      <td>
        {manage ? (
          <form className="inline-form actions" onSubmit={changeRole}>
            <RoleSelect aria-label={t("org.roleOf", { name: member.name })} value={role} onChange={setRole} />
            <button type="submit" className="secondary small" disabled={action.busy || role === member.role}>
              {t("org.changeRole")}
              <span className="visually-hidden"> {t("org.ofMember", { name: member.name })}</span>
            </button>
          </form>
        ) : (
          label("role", member.role)
        )}
      </td>
      <td>
        <Instant at={member.createdAt} />
      </td>
      {manage && (
        <td>
          <TwoStepButton
            ask={t("org.remove")}
            what={member.name}
            confirm={t("org.confirmRemove", { name: member.name })}
            busy={action.busy}
            onConfirm={remove}
          />
          {action.problem && <PageProblem problem={action.problem} />}
        </td>
      )}
    </tr>
  );
}

function AddMemberForm({
  organisationId,
  onDone,
}: {
  organisationId: string;
  onDone: (m: string) => Promise<void>;
}) {
  const { t, label } = useI18n();
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<string>("viewer");
  const action = useAction();
  const errors = fieldErrors(action.problem);
  async function submit(e: FormEvent) {
    e.preventDefault();
    const message = t("org.memberAdded", { email: email.trim(), role: label("role", role) });
    const ok = await action.run(
      () =>
        api(
          "POST",
          `/organisations/${encodeURIComponent(organisationId)}/members`,
          { email: email.trim(), role },
          { idempotencyKey: newIdempotencyKey() },
        ),
      message,
    );
    if (ok) {
      setEmail("");
      await onDone(message);
    }
  }
  return (
    <form onSubmit={submit} aria-labelledby="org-add-member-heading">
      <h3 id="org-add-member-heading">{t("org.addMember")}</h3>
      <div className="row">
        <Field label={t("org.memberEmail")} hint={t("org.memberEmailHint")} errors={errors.email}>
          {(p) => (
            <input
              {...p}
              type="email"
              autoComplete="off"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          )}
        </Field>
        <Field label={t("org.role")} errors={errors.role}>
          {(p) => <RoleSelect {...p} value={role} onChange={setRole} />}
        </Field>
      </div>
      {action.problem && <PageProblem problem={action.problem} shownFields={["email", "role"]} />}
      <button type="submit" disabled={action.busy || !email.trim()}>
        {t("org.addMemberButton")}
      </button>
    </form>
  );
}

function MembersSection({
  abilities,
  members,
  onChange,
}: {
  abilities: Abilities;
  members: readonly Member[];
  onChange: () => Promise<void>;
}) {
  const { t } = useI18n();
  const org = abilities.organisation!;
  const manage = abilities.role !== null && MEMBER_MANAGERS.includes(abilities.role);
  const [done, setDone] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const after = async (message: string) => {
    await onChange();
    setDone(message);
    // The row that had the focus was redrawn or removed: the section's heading takes it.
    heading.current?.focus();
  };
  return (
    <section className="panel" aria-labelledby="org-members-heading">
      <h2 id="org-members-heading" ref={heading} tabIndex={-1}>
        {t("org.members")}
      </h2>
      {!manage && <p className="hint">{t("org.membersReadOnly")}</p>}
      {members.length === 0 ? (
        <Empty>{t("org.noMembers")}</Empty>
      ) : (
        <DataTable
          caption={t("org.members")}
          columns={[
            t("org.memberName"),
            t("org.memberEmail"),
            t("org.role"),
            t("org.memberSince"),
            manage && t("org.memberActions"),
          ]}
        >
          {members.map((m) => (
            <MemberRow
              // A new key after each change: the row's role starts again from the server's.
              key={`${m.id}-${m.role}`}
              member={m}
              organisationId={org.id}
              manage={manage}
              isYou={m.userId === abilities.userId}
              onDone={after}
            />
          ))}
        </DataTable>
      )}
      <p role="status" className="done">
        {done}
      </p>
      {manage && <AddMemberForm organisationId={org.id} onDone={after} />}
    </section>
  );
}

/** The new token's secret, shown this once: copy it now, it cannot be shown again. */
function NewSecret({ created, onDismiss }: { created: CreatedApiToken; onDismiss: () => void }) {
  const { t } = useI18n();
  const heading = useRef<HTMLHeadingElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const inputId = useId();
  const [copied, setCopied] = useState<string | null>(null);
  useEffect(() => heading.current?.focus(), []);
  async function copy() {
    try {
      await navigator.clipboard.writeText(created.token);
      setCopied(t("org.tokenCopied"));
    } catch {
      // No clipboard permission: select the secret so the keyboard's copy takes it.
      input.current?.select();
      setCopied(t("org.tokenCopyByHand"));
    }
  }
  return (
    <section className="panel attention secret" aria-labelledby="org-secret-heading">
      <h3 id="org-secret-heading" ref={heading} tabIndex={-1}>
        {t("org.tokenCreatedTitle", { name: created.name })}
      </h3>
      <p className="secret-warning">
        <strong>{t("org.tokenOnce")}</strong>
      </p>
      <div className="field">
        <label htmlFor={inputId}>{t("org.tokenSecret", { name: created.name })}</label>
        <div className="actions">
          <input
            id={inputId}
            ref={input}
            className="secret-value"
            readOnly
            value={created.token}
            onFocus={(e) => e.currentTarget.select()}
          />
          <button type="button" onClick={() => void copy()}>
            {t("org.copy")}
          </button>
        </div>
      </div>
      <p role="status" className="done">
        {copied}
      </p>
      <button type="button" className="secondary" onClick={onDismiss}>
        {t("org.tokenStored")}
      </button>
    </section>
  );
}

function CreateTokenForm({
  organisationId,
  accounts,
  onCreated,
}: {
  organisationId: string;
  accounts: readonly Account[];
  onCreated: (created: CreatedApiToken) => Promise<void>;
}) {
  const { t, label } = useI18n();
  const [name, setName] = useState("");
  const [permissions, setPermissions] = useState<string[]>(["billing:read", "refunds:read"]);
  const [scope, setScope] = useState<"all" | "some">("all");
  const [accountIds, setAccountIds] = useState<string[]>([]);
  const action = useAction();
  const errors = fieldErrors(action.problem);
  const toggle = (list: string[], value: string, on: boolean) =>
    on ? [...new Set([...list, value])] : list.filter((x) => x !== value);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const answer: { created?: CreatedApiToken } = {};
    const ok = await action.run(async () => {
      answer.created = await api<CreatedApiToken>(
        "POST",
        `/organisations/${encodeURIComponent(organisationId)}/tokens`,
        { name: name.trim(), permissions, accountIds: scope === "all" ? null : accountIds },
        { idempotencyKey: newIdempotencyKey() },
      );
    }, "");
    if (ok && answer.created) {
      setName("");
      await onCreated(answer.created);
    }
  }
  return (
    <form onSubmit={submit} aria-labelledby="org-new-token-heading">
      <h3 id="org-new-token-heading">{t("org.newToken")}</h3>
      <Field label={t("org.tokenName")} hint={t("org.tokenNameHint")} errors={errors.name}>
        {(p) => (
          <input {...p} required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
        )}
      </Field>
      <fieldset aria-describedby={errors.permissions ? "token-permission-errors" : undefined}>
        <legend>{t("org.tokenPermissions")}</legend>
        {PERMISSIONS.map((p) => (
          <label key={p} className="check">
            <input
              type="checkbox"
              checked={permissions.includes(p)}
              onChange={(e) => setPermissions(toggle(permissions, p, e.target.checked))}
            />{" "}
            {label("tokenPermission", p)} <code>{p}</code>
          </label>
        ))}
        {errors.permissions && (
          <ul className="field-errors" id="token-permission-errors">
            {errors.permissions.map((m) => (
              <li key={m}>{m}</li>
            ))}
          </ul>
        )}
      </fieldset>
      <fieldset aria-describedby={errors.accountIds ? "token-account-errors" : undefined}>
        <legend>{t("org.tokenAccounts")}</legend>
        <label className="check">
          <input type="radio" name="token-scope" checked={scope === "all"} onChange={() => setScope("all")} />{" "}
          {t("org.tokenAllAccounts")}
        </label>
        <label className="check">
          <input
            type="radio"
            name="token-scope"
            checked={scope === "some"}
            onChange={() => setScope("some")}
          />{" "}
          {t("org.tokenSomeAccounts")}
        </label>
        {scope === "some" &&
          accounts.map((a) => (
            <label key={a.id} className="check nested">
              <input
                type="checkbox"
                checked={accountIds.includes(a.id)}
                onChange={(e) => setAccountIds(toggle(accountIds, a.id, e.target.checked))}
              />{" "}
              {a.name}
            </label>
          ))}
        {errors.accountIds && (
          <ul className="field-errors" id="token-account-errors">
            {errors.accountIds.map((m) => (
              <li key={m}>{m}</li>
            ))}
          </ul>
        )}
      </fieldset>
      {action.problem && (
        <PageProblem problem={action.problem} shownFields={["name", "permissions", "accountIds"]} />
      )}
      <button
        type="submit"
        disabled={
          action.busy ||
          !name.trim() ||
          permissions.length === 0 ||
          (scope === "some" && accountIds.length === 0)
        }
      >
        {t("org.createToken")}
      </button>
    </form>
  );
}

function TokenRow({
  token,
  accounts,
  organisationId,
  onDone,
}: {
  token: ApiToken;
  accounts: readonly Account[];
  organisationId: string;
  onDone: (message: string) => Promise<void>;
}) {
  const { t, label } = useI18n();
  const action = useAction();
  async function revoke() {
    const message = t("org.tokenRevoked", { name: token.name });
    const ok = await action.run(
      () =>
        api(
          "POST",
          `/organisations/${encodeURIComponent(organisationId)}/tokens/${encodeURIComponent(token.id)}/revoke`,
          undefined,
          { idempotencyKey: newIdempotencyKey() },
        ),
      message,
    );
    if (ok) await onDone(message);
  }
  const accountNames = token.accountIds?.map((id) => accounts.find((a) => a.id === id)?.name ?? id);
  return (
    <tr>
      <th scope="row">{token.name}</th>
      <td>
        <ul className="plain">
          {token.permissions.map((p) => (
            <li key={p}>
              {label("tokenPermission", p)} <code>{p}</code>
            </li>
          ))}
        </ul>
      </td>
      <td>{accountNames ? accountNames.join(", ") : t("org.tokenAllAccounts")}</td>
      <td>
        <Instant at={token.createdAt} />
      </td>
      <td>{token.lastUsedAt ? <Instant at={token.lastUsedAt} /> : t("org.neverUsed")}</td>
      <td>
        {token.revokedAt ? (
          <>
            <Badge tone="neutral">{t("org.revoked")}</Badge>
            <div className="sub">
              <Instant at={token.revokedAt} />
            </div>
          </>
        ) : (
          <Badge tone="good">{t("org.active")}</Badge>
        )}
      </td>
      <td>
        {!token.revokedAt && (
          <TwoStepButton
            ask={t("org.revoke")}
            what={token.name}
            confirm={t("org.confirmRevoke", { name: token.name })}
            busy={action.busy}
            onConfirm={revoke}
          />
        )}
        {action.problem && <PageProblem problem={action.problem} />}
      </td>
    </tr>
  );
}

function TokensSection({ abilities, accounts }: { abilities: Abilities; accounts: readonly Account[] }) {
  const { t } = useI18n();
  const org = abilities.organisation!;
  const manage = abilities.role !== null && TOKEN_MANAGERS.includes(abilities.role);
  const tokens = useLoad(manage ? `tokens:${org.id}` : null, (signal) =>
    getAll<ApiToken>(`/organisations/${encodeURIComponent(org.id)}/tokens`, signal),
  );
  const [created, setCreated] = useState<CreatedApiToken | null>(null);
  const [done, setDone] = useState<string | null>(null);
  // After a revocation or once the secret is hidden, the focus returns to the section's heading.
  const heading = useRef<HTMLHeadingElement>(null);
  return (
    <section className="panel" aria-labelledby="org-tokens-heading">
      <h2 id="org-tokens-heading" ref={heading} tabIndex={-1}>
        {t("org.tokens")}
      </h2>
      <p className="hint">{t("org.tokensIntro")}</p>
      {!manage ? (
        <p className="hint">{t("org.tokensNotForRole")}</p>
      ) : (
        <>
          {created && (
            <NewSecret
              created={created}
              onDismiss={() => {
                setCreated(null);
                heading.current?.focus();
              }}
            />
          )}
          {tokens.status === "loading" && <Loading />}
          {tokens.status === "error" && (
            <ErrorState problem={tokens.problem} onRetry={() => void tokens.reload()} />
          )}
          {tokens.status === "ready" &&
            (tokens.data.length === 0 ? (
              <Empty>{t("org.noTokens")}</Empty>
            ) : (
              <DataTable
                caption={t("org.tokens")}
                columns={[
                  t("org.tokenName"),
                  t("org.tokenPermissions"),
                  t("org.tokenAccounts"),
                  t("org.tokenCreated"),
                  t("org.tokenLastUsed"),
                  t("col.status"),
                  t("org.memberActions"),
                ]}
              >
                {tokens.data.map((tk) => (
                  <TokenRow
                    key={`${tk.id}-${tk.revokedAt ?? ""}`}
                    token={tk}
                    accounts={accounts}
                    organisationId={org.id}
                    onDone={async (message) => {
                      await tokens.reload();
                      setDone(message);
                      heading.current?.focus();
                    }}
                  />
                ))}
              </DataTable>
            ))}
          <p role="status" className="done">
            {done}
          </p>
          <CreateTokenForm
            organisationId={org.id}
            accounts={accounts}
            onCreated={async (c) => {
              setDone(null);
              setCreated(c);
              await tokens.reload();
            }}
          />
        </>
      )}
    </section>
  );
}

export function OrganisationPage({ abilities }: { abilities: Abilities }) {
  const { t } = useI18n();
  const org = abilities.organisation!;
  const data = useLoad(`organisation:${org.id}`, async (signal) => {
    const [accounts, members] = await Promise.all([
      loadAccounts(org.id, signal),
      getAll<Member>(`/organisations/${encodeURIComponent(org.id)}/members`, signal),
    ]);
    return { accounts, members };
  });
  const title = t("org.title", { name: org.name });
  return (
    <section>
      <PageTitle title={title}>{title}</PageTitle>
      <dl className="facts">
        <dt>{t("org.country")}</dt>
        <dd>{org.country ?? "—"}</dd>
        <dt>{t("org.timeZone")}</dt>
        <dd>{org.timeZone ?? "—"}</dd>
        <dt>{t("org.yourRole")}</dt>
        <dd>{abilities.role ? <RoleName role={abilities.role} /> : "—"}</dd>
      </dl>
      {data.status === "loading" && <Loading />}
      {data.status === "error" && <ErrorState problem={data.problem} onRetry={() => void data.reload()} />}
      {data.status === "ready" && (
        <>
          <AccountsSection accounts={data.data.accounts} />
          <MembersSection abilities={abilities} members={data.data.members} onChange={() => data.reload()} />
          <TokensSection abilities={abilities} accounts={data.data.accounts} />
        </>
      )}
    </section>
  );
}

function RoleName({ role }: { role: string }) {
  const { label } = useI18n();
  return <>{label("role", role)}</>;
}
