// The development IdP's sign-in page: any email is accepted, so it says loudly that it is not for production.
/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
import type { Config } from "../config";
import { Brand, Layout } from "../ui/layout";

export interface DevIdpLoginProps {
  config: Config;
  /** Where the form posts (the dev IdP's authorization endpoint). */
  action: string;
  /** The validated authorization request, carried through the form unchanged. */
  request: Record<string, string>;
  email?: string;
  name?: string;
  /** Why the previous submission was refused (e.g. not an email address). */
  problem?: string;
}

/** The login form: an email, an optional display name, "Sign in" and "Cancel" (which answers `access_denied`). */
export function DevIdpLogin({ config, action, request, email, name, problem }: DevIdpLoginProps) {
  return (
    <Layout config={config} title="Development sign-in">
      <main>
        <Brand config={config} />
        <h1>Development sign-in</h1>
        <p class="warn">
          <strong>Development sign-in — not for production.</strong> Any email address is accepted and treated as verified. Turn this off
          with <code>DEV_IDP=false</code> and configure a real identity provider before deploying.
        </p>
        {problem ? (
          <p class="warn" role="alert">
            {problem}
          </p>
        ) : null}
        <form method="post" action={action}>
          {Object.entries(request).map(([key, value]) => (
            <input type="hidden" name={key} value={value} />
          ))}
          <label for="email">Email</label>
          <input id="email" type="email" name="email" value={email ?? ""} required autofocus autocomplete="email" maxlength={254} placeholder="alice@example.com" />
          <label for="name">Name (optional)</label>
          <input id="name" type="text" name="name" value={name ?? ""} autocomplete="name" maxlength={100} />
          <div class="actions">
            <button class="primary" type="submit" name="action" value="login">
              Sign in
            </button>
            <button type="submit" name="action" value="cancel" formnovalidate>
              Cancel
            </button>
          </div>
        </form>
        <p class="muted">The organisation is taken from the email's domain.</p>
      </main>
    </Layout>
  );
}
