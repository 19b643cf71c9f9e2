// A real OpenID provider for end-to-end tests: node-oidc-provider on 127.0.0.1 at a free port, with its development
// login and consent pages, one account, and Gatehouse's callback as its only client's redirect URI. Its consent page
// saves a Grant that its session remembers, so a later `prompt=none` is answered from the session. With `refresh`, it
// issues rotating single-use refresh tokens and short-lived access tokens, and its account can be made to fail.
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import Provider from "oidc-provider";

/** The one account the upstream knows: its login name and claims. */
export const ACCOUNT = { login: "grace", sub: "upstream-grace-1906", email: "grace@navy.example", name: "Grace Hopper", groups: ["gatehouse-admins", "navy"] };

export interface Upstream {
  issuer: string;
  server: Server;
  /** What the provider did, in order: `authorization.success prompt=<prompt>`, `authorization.error prompt=<prompt> <error>`, `grant.success`, `grant.revoked`, `server_error <message>`. */
  events: string[];
  /** Each token endpoint answer, in order: `<grant_type>` on success, `<grant_type> <error>` on failure. */
  tokenRequests: string[];
  /**
   * How the account answers the provider's lookups (each refresh looks it up before it consumes the refresh token):
   * `fail-once` throws once (the provider answers 500 `server_error`, the refresh token untouched), `gone` is not found
   * (a refresh is `invalid_grant`).
   */
  account: "ok" | "fail-once" | "gone";
}

export interface UpstreamOptions {
  /** Rotating refresh tokens; the code's access token lives `firstAccessTtl` seconds, each refreshed one `refreshedAccessTtl`. */
  refresh?: { firstAccessTtl: number; refreshedAccessTtl: number };
  /** Gatehouse's callback URLs at this provider: `/callback`, or `/callback/<name>` with several providers. */
  redirectUris?: string[];
}

export async function startUpstream(gatehouseUrl: string, client: { clientId: string; clientSecret: string }, options: UpstreamOptions = {}): Promise<Upstream> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { refresh } = options;
  const upstream: Upstream = { issuer, server, events: [], tokenRequests: [], account: "ok" };
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: client.clientId,
        client_secret: client.clientSecret,
        redirect_uris: options.redirectUris ?? [`${gatehouseUrl}/callback`],
        grant_types: refresh ? ["authorization_code", "refresh_token"] : ["authorization_code"],
        response_types: ["code"],
      },
    ],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name", "groups"] },
    findAccount: (_ctx, id) => {
      if (upstream.account === "fail-once") {
        upstream.account = "ok";
        throw new Error("account store unavailable");
      }
      if (upstream.account === "gone") return undefined;
      return id === ACCOUNT.login ? { accountId: id, claims: () => ({ sub: ACCOUNT.sub, email: ACCOUNT.email, email_verified: true, name: ACCOUNT.name, groups: ACCOUNT.groups }) } : undefined;
    },
    ...(refresh && {
      issueRefreshToken: () => true,
      rotateRefreshToken: true,
    }),
    pkce: { required: () => true },
    // With refresh tokens, its RFC 7009 endpoint too: Gatehouse revokes a revoked grant's tokens there.
    features: { devInteractions: { enabled: true }, revocation: { enabled: refresh !== undefined } },
    cookies: { keys: [`cookie-key-${client.clientId}`] },
    ttl: {
      AccessToken: refresh ? (ctx) => (ctx?.oidc.params?.grant_type === "refresh_token" ? refresh.refreshedAccessTtl : refresh.firstAccessTtl) : 600,
      Grant: 600,
      IdToken: 600,
      Interaction: 600,
      Session: 600,
    },
  });
  const { events } = upstream;
  provider.on("authorization.success", (ctx) => events.push(`authorization.success prompt=${ctx.oidc.params?.prompt ?? ""}`));
  provider.on("authorization.error", (ctx, error) => events.push(`authorization.error prompt=${ctx.oidc.params?.prompt ?? ""} ${(error as { error?: string }).error ?? error.message}`));
  provider.on("grant.success", () => events.push("grant.success"));
  provider.on("server_error", (_ctx, error) => events.push(`server_error ${error.message}`));
  provider.on("grant.success", (ctx) => upstream.tokenRequests.push(String(ctx.oidc.params?.grant_type)));
  provider.on("grant.revoked", () => events.push("grant.revoked"));
  provider.on("grant.error", (ctx, error) => upstream.tokenRequests.push(`${String(ctx.oidc.params?.grant_type)} ${(error as { error?: string }).error ?? error.message}`));
  provider.on("server_error", (ctx) => {
    if (ctx.path === "/token") upstream.tokenRequests.push(`${String(ctx.oidc?.params?.grant_type)} server_error`);
  });
  server.on("request", provider.callback());
  return upstream;
}
