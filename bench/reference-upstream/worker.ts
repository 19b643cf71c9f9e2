// The second reference for `npm run bench` (scenario d3): a whole sign-in built with @cloudflare/workers-oauth-provider
// the way Cloudflare's templates build one (remote MCP server with an OIDC upstream). /authorize shows the Worker's
// own consent page (the 1.1+ `beginConsent` helper: a handle bound to the browser by a cookie, so the approve POST is
// CSRF-protected), the approve POST redirects to the upstream OpenID provider with PKCE and a nonce (`beginUpstream`
// keeps the approved request), /callback recovers it (`finishUpstream`), redeems the upstream code, checks the ID
// token (claims and signature, with oauth4webapi) and reads the email at userinfo when the ID token has none, then
// `completeAuthorization` stores the upstream tokens in the grant's props; `tokenExchangeCallback` hands them on at
// /token, as the template does. The MCP endpoint is the first reference's, so only the sign-in differs.
import { AuthorizationError, type AuthRequest, type OAuthHelpers, OAuthProvider, type OAuthResourceContext, type TokenExchangeCallbackOptions, type TokenExchangeCallbackResult } from "@cloudflare/workers-oauth-provider";
import { decodeProtectedHeader } from "jose";
import * as oauth from "oauth4webapi";
import type { Caller } from "../../src/identity";
import { serveMcp } from "../reference/mcp";

interface Env {
  OAUTH_KV: KVNamespace;
  PUBLIC_URL: string;
  UPSTREAM_ISSUER: string;
  UPSTREAM_CLIENT_ID: string;
  UPSTREAM_CLIENT_SECRET: string;
  /** Injected by OAuthProvider for the default handler. */
  OAUTH_PROVIDER: OAuthHelpers;
}

/** The upstream's tokens, kept in the grant as the template keeps them. */
interface TokenSet {
  accessToken: string;
  idToken: string;
  refreshToken?: string;
  /** Seconds: the reference's access token lives as long as the upstream's. */
  accessTokenTTL?: number;
}

/** What /callback stores in the grant and the API handler receives as `ctx.props`. */
interface Props {
  sub: string;
  email: string;
  name?: string;
  tokenSet: TokenSet;
}

/** Saved by `beginUpstream` with the approved request, recovered at /callback. */
interface UpstreamLeg {
  codeVerifier: string;
  nonce: string;
}

const SCOPE = "mcp";
const UPSTREAM_SCOPES = "openid email profile";
const DAY = 86_400;
/** Gatehouse accepts the same signature algorithms from an upstream ID token. */
const ID_TOKEN_ALGORITHMS = ["RS256", "PS256", "ES256", "EdDSA"];

/** The bench's upstream is oidc-provider on loopback http; oauth4webapi refuses http unless told. */
const HTTP = { [oauth.allowInsecureRequests]: true } as const;

let discovered: { issuer: string; metadata: Promise<oauth.AuthorizationServer> } | undefined;

/**
 * OpenID discovery, once per isolate (the template discovers on every request; Gatehouse caches, so caching here keeps
 * the comparison about the sign-in, not about a round trip one side skips). The same object keeps oauth4webapi's JWKS
 * cache, so the keys are fetched once too.
 */
function upstream(env: Env): Promise<oauth.AuthorizationServer> {
  if (discovered?.issuer !== env.UPSTREAM_ISSUER) {
    const issuer = new URL(env.UPSTREAM_ISSUER);
    const metadata = oauth.discoveryRequest(issuer, { ...HTTP, algorithm: "oidc" }).then((response) => oauth.processDiscoveryResponse(issuer, response));
    discovered = { issuer: env.UPSTREAM_ISSUER, metadata };
    metadata.catch(() => {
      if (discovered?.metadata === metadata) discovered = undefined;
    });
  }
  return discovered.metadata;
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The template's approval dialog, reduced to what a consent page must show (ConsentDescription) and the two buttons. */
async function consentPage(env: Env, authRequest: AuthRequest): Promise<Response> {
  const described = await env.OAUTH_PROVIDER.describeConsent(authRequest);
  const { handle, headers } = await env.OAUTH_PROVIDER.beginConsent(authRequest);
  headers.set("Content-Type", "text/html; charset=utf-8");
  const loopback = described.redirectIsLoopback ? "<p>It returns to an app on this computer: any local program could be listening.</p>" : "";
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Authorize ${escape(described.clientName)}</title></head><body>
<h1>${escape(described.clientName)} wants to use your account</h1>
<p>Tokens go to <strong>${escape(described.redirectHost)}</strong>. Scopes: ${escape(described.scope.join(" "))}.</p>${loopback}
<form method="post" action="/authorize"><input type="hidden" name="handle" value="${escape(handle)}">
<button type="submit" name="decision" value="approve">Approve</button> <button type="submit" name="decision" value="deny">Deny</button></form>
</body></html>`;
  return new Response(html, { headers });
}

/** The approve (or deny) POST: consumes the consent handle, then sends the browser to the upstream. */
async function decide(request: Request, env: Env): Promise<Response> {
  const form = await request.formData();
  const handle = String(form.get("handle") ?? "");
  if (form.get("decision") !== "approve") {
    const denied = await env.OAUTH_PROVIDER.denyConsent(request, handle);
    return new Response(null, { status: 302, headers: denied.headers });
  }
  const approved = await env.OAUTH_PROVIDER.approveConsent(request, handle, { scope: [SCOPE] });
  const as = await upstream(env);
  const leg: UpstreamLeg = { codeVerifier: oauth.generateRandomCodeVerifier(), nonce: oauth.generateRandomNonce() };
  const { state, headers } = await env.OAUTH_PROVIDER.beginUpstream(approved.request, { data: leg, headers: approved.headers });
  const to = new URL(as.authorization_endpoint ?? "");
  to.search = new URLSearchParams({
    client_id: env.UPSTREAM_CLIENT_ID,
    redirect_uri: `${env.PUBLIC_URL}/callback`,
    response_type: "code",
    scope: UPSTREAM_SCOPES,
    state,
    nonce: leg.nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(leg.codeVerifier),
    code_challenge_method: "S256",
  }).toString();
  headers.set("Location", to.href);
  return new Response(null, { status: 302, headers });
}

/** The upstream's redirect back: the code exchange, the ID token check, then the grant with the upstream's tokens. */
async function callback(request: Request, env: Env): Promise<Response> {
  const resumed = await env.OAUTH_PROVIDER.finishUpstream<UpstreamLeg>(request);
  const as = await upstream(env);
  const client: oauth.Client = { client_id: env.UPSTREAM_CLIENT_ID };
  const url = new URL(request.url);
  // finishUpstream has matched `state` against the browser's binding cookie already.
  const params = oauth.validateAuthResponse(as, client, url, oauth.skipStateCheck);
  const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.ClientSecretBasic(env.UPSTREAM_CLIENT_SECRET), params, `${env.PUBLIC_URL}/callback`, resumed.data.codeVerifier, HTTP);
  const result = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: resumed.data.nonce, requireIdToken: true });
  const { alg } = decodeProtectedHeader(result.id_token ?? "");
  if (!alg || !ID_TOKEN_ALGORITHMS.includes(alg)) return new Response("upstream: ID token algorithm not allowed", { status: 400 });
  await oauth.validateApplicationLevelSignature(as, response, HTTP);
  const claims = oauth.getValidatedIdTokenClaims(result);
  if (!claims) return new Response("upstream: no ID token", { status: 400 });
  // oidc-provider, like many providers, leaves the profile out of an ID token issued with an access token: the email
  // is at userinfo, which Gatehouse asks for then too (src/upstream/federation.ts), so both capture the same person.
  const person = typeof claims.email === "string" ? claims : await oauth.processUserInfoResponse(as, client, claims.sub, await oauth.userInfoRequest(as, client, result.access_token, HTTP));
  const props: Props = {
    sub: claims.sub,
    email: typeof person.email === "string" ? person.email : "",
    ...(typeof person.name === "string" && { name: person.name }),
    tokenSet: {
      accessToken: result.access_token,
      idToken: result.id_token ?? "",
      ...(result.refresh_token !== undefined && { refreshToken: result.refresh_token }),
      ...(result.expires_in !== undefined && { accessTokenTTL: result.expires_in }),
    },
  };
  const { redirectTo } = await env.OAUTH_PROVIDER.completeAuthorization({ request: resumed.request, userId: claims.sub, metadata: {}, scope: resumed.request.scope, props });
  resumed.headers.set("Location", redirectTo);
  return new Response(null, { status: 302, headers: resumed.headers });
}

/**
 * At /token: the code exchange keeps the props and matches the access token's lifetime to the upstream's; a refresh
 * refreshes the upstream tokens first when there is an upstream refresh token (the template's callback).
 */
async function tokenExchangeCallback(options: TokenExchangeCallbackOptions<Env>, env: Env): Promise<TokenExchangeCallbackResult | undefined> {
  const props = options.props as Props;
  if (options.grantType === "authorization_code") return { newProps: props, ...(props.tokenSet.accessTokenTTL !== undefined && { accessTokenTTL: props.tokenSet.accessTokenTTL }) };
  if (options.grantType !== "refresh_token" || !props.tokenSet.refreshToken) return undefined;
  const as = await upstream(env);
  const client: oauth.Client = { client_id: env.UPSTREAM_CLIENT_ID };
  const response = await oauth.refreshTokenGrantRequest(as, client, oauth.ClientSecretBasic(env.UPSTREAM_CLIENT_SECRET), props.tokenSet.refreshToken, HTTP);
  const refreshed = await oauth.processRefreshTokenResponse(as, client, response);
  const tokenSet: TokenSet = {
    accessToken: refreshed.access_token,
    idToken: refreshed.id_token ?? props.tokenSet.idToken,
    refreshToken: refreshed.refresh_token ?? props.tokenSet.refreshToken,
    ...(refreshed.expires_in !== undefined && { accessTokenTTL: refreshed.expires_in }),
  };
  return { newProps: { ...props, tokenSet }, ...(tokenSet.accessTokenTTL !== undefined && { accessTokenTTL: tokenSet.accessTokenTTL }) };
}

const apiHandler = {
  async fetch(request: Request, _env: Env, ctx: ExecutionContext): Promise<Response> {
    const { props, auth } = ctx as OAuthResourceContext<Props>;
    const clientId = auth.clientId ?? "";
    const caller: Caller = { subject: props.sub, email: props.email, clientId, scopes: auth.scope, grantId: "" };
    return serveMcp("reference-upstream", request, { token: auth.token, clientId, scopes: auth.scope, extra: { caller } });
  },
};

const defaultHandler = {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    try {
      if (url.pathname === "/authorize" && request.method === "GET") return await consentPage(env, await env.OAUTH_PROVIDER.parseAuthRequest(request));
      if (url.pathname === "/authorize" && request.method === "POST") return await decide(request, env);
      if (url.pathname === "/callback") return await callback(request, env);
    } catch (err) {
      // The library's own answer: back to the client when its redirect URI is known, else a page here.
      if (err instanceof AuthorizationError) return err.redirectTo ? Response.redirect(err.redirectTo, 302) : new Response(err.description, { status: 400 });
      if (err instanceof oauth.ResponseBodyError || err instanceof oauth.AuthorizationResponseError) return new Response(`upstream: ${err.error}`, { status: 400 });
      throw err;
    }
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
    tokenExchangeCallback: (options) => tokenExchangeCallback(options, env),
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
