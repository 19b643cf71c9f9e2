// The reference for `npm run bench`: the same MCP endpoint as Gatehouse (SDK web transport, stateless, `whoami`),
// protected by @cloudflare/workers-oauth-provider with DCR, an auto-approving /authorize, /token and refresh.
import { type OAuthHelpers, OAuthProvider, type OAuthResourceContext } from "@cloudflare/workers-oauth-provider";
import type { Caller } from "../../src/identity";
import { serveMcp } from "./mcp";

interface Env {
  OAUTH_KV: KVNamespace;
  PUBLIC_URL: string;
  /** Injected by OAuthProvider for the default handler. */
  OAUTH_PROVIDER: OAuthHelpers;
}

/** What /authorize stores in the grant and the API handler receives as `ctx.props`. */
interface Props {
  userId: string;
  email: string;
}

const SCOPE = "mcp";
const DAY = 86_400;

const apiHandler = {
  async fetch(request: Request, _env: Env, ctx: ExecutionContext): Promise<Response> {
    // OAuthProvider hands the apiHandler the props /authorize stored (decrypted) and what it verified.
    const { props, auth } = ctx as OAuthResourceContext<Props>;
    const clientId = auth.clientId ?? "";
    const caller: Caller = { subject: props.userId, email: props.email, clientId, scopes: auth.scope, grantId: "" };
    return serveMcp("reference", request, { token: auth.token, clientId, scopes: auth.scope, extra: { caller } });
  },
};

const defaultHandler = {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    // Auto-approve: one new user per authorization, so no earlier grant is revoked (each iteration is a new sign-in).
    if (url.pathname === "/authorize") {
      const oauthRequest = await env.OAUTH_PROVIDER.parseAuthRequest(request);
      const userId = crypto.randomUUID();
      const { redirectTo } = await env.OAUTH_PROVIDER.completeAuthorization({
        request: oauthRequest,
        userId,
        metadata: {},
        scope: oauthRequest.scope.length > 0 ? oauthRequest.scope : [SCOPE],
        props: { userId, email: `${userId}@example.com` } satisfies Props,
      });
      return Response.redirect(redirectTo, 302);
    }
    // The floor for scenario (b): the same MCP handler with no token check at all.
    if (url.pathname === "/open/mcp") return serveMcp("reference", request, undefined);
    if (url.pathname === "/healthz") return new Response("ok");
    return Response.json({ error: "not_found" }, { status: 404 });
  },
};

let provider: OAuthProvider<Env> | undefined;

/** Built on first use: the resource URL comes from PUBLIC_URL, which the bench sets per port. */
function providerFor(env: Env): OAuthProvider<Env> {
  provider ??= new OAuthProvider<Env>({
    apiRoute: "/mcp",
    apiHandler,
    defaultHandler,
    authorizeEndpoint: "/authorize",
    tokenEndpoint: "/token",
    clientRegistrationEndpoint: "/register",
    scopesSupported: [SCOPE, "offline_access"],
    requiredScopes: [SCOPE],
    resourceMetadata: { resource: `${env.PUBLIC_URL}/mcp`, authorization_servers: [env.PUBLIC_URL] },
    // Gatehouse's defaults: 1 h access tokens, refresh idle 30 d within an absolute 90 d.
    accessTokenTTL: 3600,
    refreshTokenTTL: 90 * DAY,
    refreshTokenIdleTTL: 30 * DAY,
  });
  return provider;
}

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    return providerFor(env).fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
