// The consent page: who is asking (and how far to trust that name), which server it asks for, where the answer
// goes, what it may do, and which provider the person will sign in with (or, when this browser is signed in, as
// whom); Approve, "Use another account" and Cancel post back to /authorize with a CSRF token.
// The privacy link is in the shared layout's footer.
/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
import type { Config, UpstreamProvider } from "../config";
import { isLoopbackHost } from "../config";
import type { ClientRecord } from "../db/clients";
import { resourceNamed } from "../policy/resource";
import { Brand, Layout } from "./layout";

export interface ConsentProps {
  config: Config;
  client: ClientRecord;
  /** Where the response will be sent (validated). */
  redirectUri: string;
  scopes: string[];
  /** The protected resource (RFC 8707) the tokens will be bound to: one of `protectedResources`. */
  resource: string;
  /** The validated request as hidden fields (src/policy/authorize-request.ts `authorizationFields`). */
  fields: Record<string, string>;
  csrfToken: string;
  /** The person this browser is signed in as, and with which provider: single sign-on will continue as them. */
  signedInAs?: { email: string; provider: UpstreamProvider };
}

/** What a scope lets the application do, in words. */
export function describeScope(scope: string, config: Config): string {
  if (scope === "mcp") return `Use ${config.branding.serviceName} as you: call its tools and read what they return`;
  if (scope === "offline_access") return "Stay connected when you are not using it, until you revoke access";
  return `Use the "${scope}" permission`;
}

/** Where the answer goes, as a person can judge it: a host, "this computer", or an app's URL scheme. */
export function redirectTarget(redirectUri: string): { label: string; local: boolean } {
  const url = new URL(redirectUri);
  if (url.protocol === "https:" || url.protocol === "http:") {
    if (isLoopbackHost(url.hostname)) return { label: `an app on this computer (${url.hostname})`, local: true };
    return { label: url.host, local: false };
  }
  return { label: `the app that opens ${url.protocol}// links`, local: true };
}

/** The consent page. With several providers there is one Approve button per provider. */
export function Consent({ config, client, redirectUri, scopes, resource, fields, csrfToken, signedInAs }: ConsentProps) {
  const { serviceName, signupUrl } = config.branding;
  const server = resourceNamed(config, resource);
  if (!server) throw new Error(`consent for a resource Gatehouse does not protect: ${resource}`);
  const target = redirectTarget(redirectUri);
  const providers = config.upstreams;
  const linked = (config.servers.find((s) => s.resource === resource)?.requires ?? []).map((name) => providers.find((p) => p.name === name)?.label ?? name);
  return (
    <Layout config={config} title="Allow access?">
      <main>
        <Brand config={config} />
        <h1>
          Allow <strong>{client.clientName}</strong> to use {serviceName}?
        </h1>
        <p class="server">
          It asks for access to <strong>{server.label}</strong> (<code>{server.path}</code>).
        </p>
        <p>
          After you sign in, {client.clientName} receives access through <strong>{target.label}</strong>.
        </p>
        {client.kind === "cimd" ? (
          <p class="verified">
            Published by <strong>{new URL(client.clientId).host}</strong>: {serviceName} read this application's details from that site.
          </p>
        ) : null}
        {client.kind === "cimd" && client.redirectUris.every((uri) => isLoopbackHost(new URL(uri).hostname)) ? (
          <p class="warn">This application only ever returns to your own device. Continue only if you just started it there yourself.</p>
        ) : null}
        {client.kind === "dcr" ? (
          <p class="warn">
            Unverified application: “{client.clientName}” named itself when it registered, and {serviceName} has not checked who publishes it. Continue only
            if you started this from an application you trust.
          </p>
        ) : null}
        {target.local ? (
          <p class="warn">The answer goes to an application on your own device. Continue only if you just started this sign-in there.</p>
        ) : null}
        {linked.length > 0 ? (
          <p class="linked">
            {server.label} also needs your account at {linked.join(" and ")}: after you sign in you will be asked to connect it, unless it is
            connected already.
          </p>
        ) : null}
        <h2>It will be able to</h2>
        <ul class="scopes">
          {scopes.map((scope) => (
            <li>{describeScope(scope, config)}</li>
          ))}
        </ul>
        <form method="post" action="/authorize">
          {Object.entries(fields).map(([name, value]) => (
            <input type="hidden" name={name} value={value} />
          ))}
          <input type="hidden" name="csrf" value={csrfToken} />
          {signedInAs ? (
            <p>
              You are signed in with {signedInAs.provider.label} as <strong>{signedInAs.email}</strong>.
            </p>
          ) : providers.length === 1 && providers[0] ? (
            <p>You will sign in with {providers[0].label}.</p>
          ) : (
            <p>Choose how to sign in:</p>
          )}
          <div class="actions">
            {signedInAs ? (
              <SignedInButtons email={signedInAs.email} provider={signedInAs.provider} several={providers.length > 1} />
            ) : providers.length === 1 ? (
              <button class="primary" type="submit" name="decision" value="approve">
                Approve
              </button>
            ) : null}
            {signedInAs || providers.length > 1 ? providers.filter((p) => p !== signedInAs?.provider).map((provider) => <ProviderButton provider={provider} />) : null}
            <button type="submit" name="decision" value="cancel">
              Cancel
            </button>
          </div>
        </form>
        <p class="muted">
          You can revoke this access at any time.
          {signupUrl ? (
            <>
              {" "}
              No account yet? <a href={signupUrl}>Sign up</a>.
            </>
          ) : null}
        </p>
      </main>
    </Layout>
  );
}

/**
 * "Continue as" approves as the signed-in person; "Use another account" approves too, but the provider is asked to
 * show its login (`prompt=login`) so someone else can sign in. With several providers both name the session's.
 */
function SignedInButtons({ email, provider, several }: { email: string; provider: UpstreamProvider; several: boolean }) {
  const formaction = several ? `/authorize?provider=${encodeURIComponent(provider.name)}` : undefined;
  return (
    <>
      <button class="primary" type="submit" name="decision" value="approve" formaction={formaction}>
        Continue as {email}
      </button>
      <button type="submit" name="decision" value="another_account" formaction={formaction}>
        Use another account
      </button>
    </>
  );
}

function ProviderButton({ provider }: { provider: UpstreamProvider }) {
  return (
    <button class="primary" type="submit" name="decision" value="approve" formaction={`/authorize?provider=${encodeURIComponent(provider.name)}`}>
      Approve with {provider.label}
    </button>
  );
}
