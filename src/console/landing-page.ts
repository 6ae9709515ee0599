/** The console's home until the React console lands: where to sign in and where the API docs are. */
export function landingPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Refund Desk</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1b1f24}
h1{font-size:1.6rem}code{background:#f1f3f5;padding:.1rem .3rem;border-radius:4px}
label{display:block;margin-top:.8rem}input{font:inherit;padding:.4rem;width:100%;box-sizing:border-box}
button{margin-top:1rem;font:inherit;padding:.5rem 1rem}#result{margin-top:1rem;white-space:pre-wrap}
</style>
</head>
<body>
<main>
<h1>Refund Desk</h1>
<p>Audit cloud bills, file refund requests, decide and settle them.</p>
<p>The API and its documentation: <a href="/docs">/docs</a> (OpenAPI at <a href="/openapi.json">/openapi.json</a>).</p>
<form id="login">
<label for="email">E-mail</label><input id="email" name="email" type="email" autocomplete="username" required>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
<div id="result" role="status" aria-live="polite"></div>
</main>
<script type="module" src="/console/landing.js"></script>
</body>
</html>`;
}

export function landingScript(): string {
  return `const form = document.getElementById("login");
const out = document.getElementById("result");
form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const body = { email: form.email.value, password: form.password.value };
  const res = await fetch("/auth/login", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!res.ok) { const p = await res.json(); out.textContent = p.detail || p.title; return; }
  const session = await (await fetch("/auth/session")).json();
  out.textContent = "Signed in as " + session.user.name + " (" + session.user.email + ")";
});
`;
}
