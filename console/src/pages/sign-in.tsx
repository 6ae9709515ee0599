import { type FormEvent, useState } from "react";
import { ApiError } from "../api/client";
import type { Problem } from "../api/types";
import { Field, PageTitle, ProblemAlert } from "../components/ui";
import { useI18n } from "../i18n/i18n";
import { useSession } from "../session";

export function SignInPage() {
  const { t } = useI18n();
  const { signIn } = useSession();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      await signIn(email, password);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      setProblem(error.problem);
      setBusy(false);
    }
  }

  return (
    <section className="sign-in">
      <div className="card narrow">
        <PageTitle title={t("signIn.title")}>{t("signIn.title")}</PageTitle>
        <p className="lead">{t("app.tagline")}</p>
        <form onSubmit={submit} noValidate={false}>
          <Field label={t("signIn.email")}>
            {(p) => (
              <input
                {...p}
                type="email"
                name="email"
                autoComplete="username"
                required
                value={email}
                onChange={(e) => setEmail(e.target.value)}
              />
            )}
          </Field>
          <Field label={t("signIn.password")}>
            {(p) => (
              <input
                {...p}
                type="password"
                name="password"
                autoComplete="current-password"
                required
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            )}
          </Field>
          {problem && <ProblemAlert problem={problem} />}
          <button type="submit" disabled={busy}>
            {busy ? t("signIn.submitting") : t("signIn.submit")}
          </button>
        </form>
        <p className="aside">
          {t("signIn.docsLead")} <a href="/docs">{t("signIn.docsLink")}</a>
        </p>
      </div>
    </section>
  );
}
