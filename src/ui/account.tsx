// The connected-apps page (/account): each application the signed-in person authorized, the servers it uses and when
// it was last used, with a Revoke button; the providers they linked, with Disconnect; and "Sign out everywhere".
// Forms post back to /account with a CSRF token.
/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
import type { Config } from "../config";
import type { ConnectedApp } from "../db/consents";
import type { ProviderLink } from "../db/links";
import { resourceNamed } from "../policy/resource";
import { describeScope } from "./consent";
import { Brand, Layout } from "./layout";

export interface AccountProps {
  config: Config;
  /** Who is signed in, as they would recognise themselves (an email, else a name). */
  who: string;
  apps: ConnectedApp[];
  /** The providers they linked for servers that require them. */
  links: ProviderLink[];
  csrfToken: string;
  /** A line confirming what the last action did. */
  notice?: string;
}

/** Where an application is, as a person can judge it: its published site for a metadata document, else where it returns. */
export function appOrigin(app: ConnectedApp): string {
  if (app.kind === "cimd") return new URL(app.clientId).host;
  return app.redirectHosts.map((host) => host.replace(/^https?:\/\//, "")).join(", ");
}

/** The servers an application uses, by the names the consent page gave them; a server no longer configured by its URL. */
function appServers(config: Config, app: ConnectedApp): string[] {
  return app.resources.map((resource) => {
    const server = resourceNamed(config, resource);
    return server ? `${server.label} (${server.path})` : resource;
  });
}

function day(seconds: number | undefined): string {
  return seconds === undefined ? "never" : new Date(seconds * 1000).toISOString().slice(0, 10);
}

export function Account({ config, who, apps, links, csrfToken, notice }: AccountProps) {
  return (
    <Layout config={config} title="Connected apps">
      <main class="wide">
        <Brand config={config} />
        <h1>Connected apps</h1>
        <p class="muted">Signed in as {who}.</p>
        {notice ? <p class="verified">{notice}</p> : null}
        {apps.length === 0 ? <p>No application has access to {config.branding.serviceName} as you.</p> : null}
        {apps.map((app) => (
          <section class="app">
            <h2>{app.clientName ?? app.clientId}</h2>
            <p class="muted">
              {appOrigin(app)} · first used {day(app.firstUsedAt)} · last used {day(app.lastUsedAt)}
            </p>
            {app.resources.length > 0 ? <p class="servers">Uses {appServers(config, app).join(", ")}</p> : null}
            <ul class="scopes">
              {app.scopes.map((scope) => (
                <li>{describeScope(scope, config)}</li>
              ))}
            </ul>
            <form method="post" action="/account/revoke">
              <input type="hidden" name="csrf" value={csrfToken} />
              <input type="hidden" name="client_id" value={app.clientId} />
              <button type="submit" name="action" value="revoke">
                Revoke access
              </button>
            </form>
          </section>
        ))}
        {links.length > 0 ? <LinkedProviders config={config} links={links} csrfToken={csrfToken} /> : null}
        <h2>Sign out everywhere</h2>
        <p class="muted">Ends this sign-in in every browser and revokes the access of every application above; they will ask you to sign in again.</p>
        <form method="post" action="/account/sign-out">
          <input type="hidden" name="csrf" value={csrfToken} />
          <button type="submit" name="action" value="sign-out" class="primary">
            Sign out everywhere
          </button>
        </form>
      </main>
    </Layout>
  );
}

/** The linked providers: which account, since when, whether its tokens are still held, and Disconnect. */
function LinkedProviders({ config, links, csrfToken }: { config: Config; links: ProviderLink[]; csrfToken: string }) {
  return (
    <>
      <h2>Linked providers</h2>
      <p class="muted">Accounts you connected because a server needs them. Disconnecting one revokes the access of the applications using those servers.</p>
      {links.map((link) => {
        const provider = config.upstreams.find((p) => p.name === link.provider);
        const servers = config.servers.filter((s) => s.requires.includes(link.provider)).map((s) => `${s.label} (${s.path})`);
        return (
          <section class="app link">
            <h3>{provider?.label ?? link.provider}</h3>
            <p class="muted">
              {link.label ? `${link.label} · ` : ""}connected {day(link.linkedAt)}
              {link.live ? "" : " · not in use"}
            </p>
            {servers.length > 0 ? <p class="servers">Needed by {servers.join(", ")}</p> : null}
            <form method="post" action="/account/disconnect">
              <input type="hidden" name="csrf" value={csrfToken} />
              <input type="hidden" name="provider" value={link.provider} />
              <button type="submit" name="action" value="disconnect">
                Disconnect
              </button>
            </form>
          </section>
        );
      })}
    </>
  );
}

/** The page for a browser with no session: nothing to list, and how to get one. */
export function SignedOut({ config, notice }: { config: Config; notice?: string }) {
  return (
    <Layout config={config} title="Connected apps">
      <main>
        <Brand config={config} />
        <h1>Connected apps</h1>
        {notice ? <p class="verified">{notice}</p> : null}
        <p>You are not signed in in this browser. Connect an application to {config.branding.serviceName} and sign in; this page then lists it and lets you revoke it.</p>
      </main>
    </Layout>
  );
}
