// The console's door: the sign-in page (through the identity provider), and the refusal for a signed-in person who
// is no administrator.
/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
import type { Config } from "../../config";
import { Brand, Layout } from "../layout";

export function ConsoleSignIn({ config, notice }: { config: Config; notice?: string }) {
  return (
    <Layout config={config} title="Admin console">
      <main>
        <Brand config={config} />
        <h1>Admin console</h1>
        {notice ? (
          <p class="verified" role="status">
            {notice}
          </p>
        ) : null}
        <p>Sign in with your account at the identity provider. Only the administrators this service names may enter.</p>
        <p class="actions">
          <a class="button" href="/admin/sign-in">
            Sign in
          </a>
        </p>
      </main>
    </Layout>
  );
}

export function ConsoleRefused({ config, who, csrfToken }: { config: Config; who: string; csrfToken: string }) {
  return (
    <Layout config={config} title="Not an administrator">
      <main>
        <Brand config={config} />
        <h1>Not an administrator</h1>
        <p>
          You are signed in as {who}, who is not an administrator of {config.branding.serviceName}. Sign in with another account, or ask an administrator to add you.
        </p>
        <form method="post" action="/admin/sign-out">
          <input type="hidden" name="csrf" value={csrfToken} />
          <button type="submit">Sign out of the console</button>
        </form>
      </main>
    </Layout>
  );
}
