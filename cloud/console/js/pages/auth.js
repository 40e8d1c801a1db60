// auth: sign in (with the TOTP step when the account has MFA), sign up, accepting an
// invitation, and the account page where MFA is enrolled with a QR code.
import { api, ApiError, setApiToken, setCsrf } from "../api.js";
import { h, clear, field, announce, when } from "../dom.js";
import { qrSvg } from "../qr.js";
import { refreshSession, go, signedIn } from "../app.js";
import { form } from "./form.js";

const afterSignIn = () => {
  const next = sessionStorage.getItem("camcloud.after-signin");
  sessionStorage.removeItem("camcloud.after-signin");
  return next || "#/orgs";
};

export async function signIn(main) {
  const email = field("E-mail", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = field("Password", { type: "password", name: "password", autocomplete: "current-password", required: true });
  const totp = field("Authentication code or recovery code", { name: "totp", autocomplete: "one-time-code" });
  totp.wrap.hidden = true;
  const hint = h("p", { class: "muted", id: "totp-hint", hidden: true },
    "This account uses two-step verification: enter the 6-digit code from your authenticator app, or a recovery code.");

  const f = form("Sign in", [email.wrap, password.wrap, hint, totp.wrap], "Sign in", async () => {
    try {
      const r = await api.signIn(email.input.value.trim(), password.input.value, totp.input.value.trim());
      setCsrf(r.csrf_token);
    } catch (e) {
      if (e instanceof ApiError && e.code === "mfa_required") {
        totp.wrap.hidden = false;
        hint.hidden = false;
        totp.input.focus();
        throw new Error("Enter your authentication code.");
      }
      throw e;
    }
    setApiToken("");
    await refreshSession();
    go(afterSignIn());
  });

  const token = field("API token", { type: "password", name: "api-token", autocomplete: "off" });
  const tf = form("Sign in with an API token", [token.wrap], "Use token", async () => {
    setApiToken(token.input.value.trim());
    await refreshSession();
    if (!signedIn()) {
      setApiToken("");
      throw new Error("That token was not accepted.");
    }
    go(afterSignIn());
  });

  clear(main,
    h("h1", {}, "Sign in"),
    h("section", {}, f, h("p", {}, "No account yet? ", h("a", { href: "#/signup" }, "Create one"), ".")),
    h("details", { class: "card" }, h("summary", {}, "Sign in with an API token"),
      h("p", { class: "muted" }, "For the first owner (the server's bootstrap token) and automation: the token is kept for this tab only."),
      tf));
  email.input.focus();
}

export async function signUp(main, ctx) {
  const email = field("E-mail", { type: "email", name: "email", autocomplete: "username", required: true,
    value: ctx.query.get("email") || "" });
  const password = field("Password (at least 10 characters)", { type: "password", name: "password", autocomplete: "new-password", minlength: 10, required: true });
  const again = field("Password again", { type: "password", name: "password2", autocomplete: "new-password", required: true });
  const orgName = field("Create an organization named (optional)", { name: "signup-org", maxlength: 128 });
  const bootstrap = field("Server admin token", { type: "password", name: "bootstrap-token", autocomplete: "off" });
  const f = form("Create an account", [email.wrap, password.wrap, again.wrap, orgName.wrap,
    h("details", {}, h("summary", {}, "First owner of a new server"),
      h("p", { class: "muted" }, "The very first account needs the server's admin token (admin.token in its data directory) and an organization name; the token stops working once an owner exists."),
      bootstrap.wrap)],
  "Create account", async () => {
    if (password.input.value !== again.input.value) throw new Error("The two passwords differ.");
    const address = email.input.value.trim();
    await api.signUp(address, password.input.value, orgName.input.value.trim(), bootstrap.input.value.trim());
    const r = await api.signIn(address, password.input.value);
    setCsrf(r.csrf_token);
    setApiToken("");
    await refreshSession();
    go(afterSignIn());
  });
  clear(main, h("h1", {}, "Create an account"), h("section", {}, f,
    h("p", {}, "Have an account? ", h("a", { href: "#/signin" }, "Sign in"), ".")));
  email.input.focus();
}

// #/invite/<token>: where the invitation mail's link leads (camcloud redirects a browser
// there). Without an account: choose a password and join; with one: sign in and accept.
export async function invite(main, ctx) {
  const token = ctx.params.token;
  const inv = await api.invitation(token);
  await refreshSession();
  const about = h("p", { id: "invite-about" },
    `${inv.email} is invited to ${inv.org} as ${inv.role}. The invitation expires ${when(inv.expires_at)}.`);
  const joined = (r) => go(r.org_id ? `#/org/${r.org_id}/devices` : "#/orgs");
  if (signedIn()) {
    const f = form("Accept the invitation", [], "Accept invitation", async () => {
      const r = await api.inviteAccept(token);
      await refreshSession();
      joined(r);
    });
    clear(main, h("h1", {}, "You are invited"), h("section", {}, about, f));
    return;
  }
  const password = field("Choose a password (at least 10 characters)", { type: "password", name: "password", autocomplete: "new-password", minlength: 10, required: true });
  const again = field("Password again", { type: "password", name: "password2", autocomplete: "new-password", required: true });
  const f = form("Join with a new account", [
    h("input", { type: "email", name: "email", autocomplete: "username", value: inv.email, hidden: true, "aria-hidden": "true", tabindex: "-1" }),
    password.wrap, again.wrap], "Create account and join", async () => {
    if (password.input.value !== again.input.value) throw new Error("The two passwords differ.");
    const r = await api.inviteSignUp(token, password.input.value);
    const s = await api.signIn(inv.email, password.input.value);
    setCsrf(s.csrf_token);
    setApiToken("");
    await refreshSession();
    joined(r);
  });
  const signInFirst = h("a", { href: "#/signin", onclick: () => sessionStorage.setItem("camcloud.after-signin", `#/invite/${token}`) },
    "I have an account: sign in to accept");
  clear(main, h("h1", {}, "You are invited"), h("section", {}, about, f, h("p", {}, signInFirst)));
  password.input.focus();
}

export async function account(main, ctx) {
  const user = ctx.me.user;
  if (!user) {
    clear(main, h("h1", {}, "Account"), h("p", {}, "Signed in with an API token: no account settings."));
    return;
  }
  const mfa = h("section", { "aria-labelledby": "mfa-h" }, h("h2", { id: "mfa-h" }, "Two-step verification"));
  const draw = () => {
    clear(mfa, h("h2", { id: "mfa-h" }, "Two-step verification"));
    if (user.mfa_enabled) {
      mfa.append(h("p", { class: "ok", id: "mfa-state" }, "Enabled: sign-in asks for a code from your authenticator app."));
      return;
    }
    mfa.append(h("p", { id: "mfa-state" }, "Not enabled."),
      h("button", { type: "button", id: "mfa-begin", onclick: begin }, "Enable two-step verification"));
  };
  const begin = () => {
    const pw = field("Your password", { type: "password", name: "mfa-password", autocomplete: "current-password", required: true });
    const f = form("Start two-step verification", [pw.wrap], "Continue", async () => {
      show(await api.mfaBegin(pw.input.value));
    });
    clear(mfa, h("h2", { id: "mfa-h" }, "Two-step verification"), f);
    pw.input.focus();
  };
  const show = (r) => {
    const code = field("Code from the app", { name: "mfa-code", inputmode: "numeric", autocomplete: "one-time-code", required: true });
    const f = form("Confirm two-step verification", [code.wrap], "Confirm", async () => {
      const done = await api.mfaConfirm(code.input.value.trim());
      user.mfa_enabled = true;
      draw();
      announce("Two-step verification is on.");
      if (done.recovery_codes?.length)
        mfa.append(h("h3", {}, "Recovery codes"),
          h("p", {}, "Each works once if you lose the app. Keep them somewhere safe: they are not shown again."),
          h("ul", { id: "recovery-codes", class: "secret" }, done.recovery_codes.map((c) => h("li", {}, c))));
    });
    clear(mfa, h("h2", { id: "mfa-h" }, "Two-step verification"),
      h("p", {}, "Scan this code with an authenticator app, or type the secret in, then enter the code it shows."),
      qrSvg(r.otpauth_uri, "QR code of the authenticator secret"),
      h("p", {}, "Secret: ", h("span", { class: "secret", id: "mfa-secret" }, r.secret)),
      f);
    code.input.focus();
  };
  draw();
  clear(main, h("h1", {}, "Account"),
    h("section", {}, h("dl", { class: "facts" }, h("dt", {}, "E-mail"), h("dd", { id: "account-email" }, user.email))),
    mfa);
}
