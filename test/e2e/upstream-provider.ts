// A real OpenID provider for end-to-end tests: node-oidc-provider on 127.0.0.1 at a free port, with its development
// login and consent pages, one account, and Gatehouse's callback as its only client's redirect URI. Its consent page
// saves a Grant that its session remembers, so a later `prompt=none` is answered from the session.
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import Provider from "oidc-provider";

/** The one account the upstream knows: its login name and claims. */
export const ACCOUNT = { login: "grace", sub: "upstream-grace-1906", email: "grace@navy.example", name: "Grace Hopper", groups: ["gatehouse-admins", "navy"] };

export interface Upstream {
  issuer: string;
  server: Server;
  /** What the provider did, in order: `authorization.success prompt=<prompt>`, `authorization.error prompt=<prompt> <error>`, `grant.success`, `server_error <message>`. */
  events: string[];
}

export async function startUpstream(gatehouseUrl: string, client: { clientId: string; clientSecret: string }): Promise<Upstream> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [{ client_id: client.clientId, client_secret: client.clientSecret, redirect_uris: [`${gatehouseUrl}/callback`], grant_types: ["authorization_code"], response_types: ["code"] }],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name", "groups"] },
    findAccount: (_ctx, id) =>
      id === ACCOUNT.login ? { accountId: id, claims: () => ({ sub: ACCOUNT.sub, email: ACCOUNT.email, email_verified: true, name: ACCOUNT.name, groups: ACCOUNT.groups }) } : undefined,
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    cookies: { keys: [`cookie-key-${client.clientId}`] },
    ttl: { AccessToken: 600, Grant: 600, IdToken: 600, Interaction: 600, Session: 600 },
  });
  const events: string[] = [];
  provider.on("authorization.success", (ctx) => events.push(`authorization.success prompt=${ctx.oidc.params?.prompt ?? ""}`));
  provider.on("authorization.error", (ctx, error) => events.push(`authorization.error prompt=${ctx.oidc.params?.prompt ?? ""} ${(error as { error?: string }).error ?? error.message}`));
  provider.on("grant.success", () => events.push("grant.success"));
  provider.on("server_error", (_ctx, error) => events.push(`server_error ${error.message}`));
  server.on("request", provider.callback());
  return { issuer, server, events };
}
