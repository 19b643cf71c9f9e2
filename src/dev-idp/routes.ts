// The built-in development IdP: a small but real OpenID provider under /dev-idp/ that accepts any email.
// Enabled only by DEV_IDP (which src/config/upstreams.ts refuses unless PUBLIC_URL is loopback); otherwise every path is 404.
// Gatehouse federates to it through src/upstream/federation.ts exactly as to any other provider.
import { type Context, Hono } from "hono";
import { secureHeaders } from "hono/secure-headers";
import * as z from "zod";
import type { Config } from "../config";
import { loadConfig } from "../config";
import { sha256, timingSafeEqual } from "../crypto";
import type { AppEnv } from "../http/app-env";
import { type OAuthErrorCode, OAuthError, PageError } from "../errors";
import { readForm } from "../http/params";
import { parseParams, uniqueParams } from "../lib/params";
import { logRequests } from "../http/request-log";
import { NO_STORE, oauthErrors, onError, pageErrors } from "../http/respond";
import { requireSignInConfig } from "../http/require-config";
import { DevIdpLogin } from "./login-page";
import { callbackUri } from "../upstream/federation";
import { DEV_IDP_CLIENT_ID, devIdpJwks, devLogin, issueDevCode, issueDevTokens, readDevAccessToken, readDevCode } from "./tokens";

const SCOPES = ["openid", "email", "profile"];

/** The development IdP's issuer identifier. */
export function devIdpIssuer(config: Config): string {
  return `${config.publicUrl}/dev-idp`;
}

/** The development IdP itself, relative to `/dev-idp`: what the Worker mounts and federation calls in-process. */
const idp = new Hono<AppEnv>();

// A person reads the login page's errors; federation reads the rest as OAuth JSON.
idp.use(oauthErrors);
idp.use("/authorize", pageErrors);
idp.use(requireSignInConfig);
idp.use(async (c, next) => (c.get("config").devIdp ? next() : c.json({ error: "not_found", error_description: "no such endpoint" }, 404)));

// No `form-action`: browsers apply it to the whole redirect chain after the form posts (→ /callback → the MCP
// client's redirect URI, possibly a custom scheme), which it would break.
idp.use(
  "/authorize",
  secureHeaders({
    contentSecurityPolicy: { defaultSrc: ["'none'"], styleSrc: ["'unsafe-inline'"], imgSrc: ["'self'", "https:"], frameAncestors: ["'none'"], baseUri: ["'none'"] },
    xFrameOptions: "DENY",
  }),
);

/** @see https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderMetadata */
idp.get("/.well-known/openid-configuration", (c) => {
  const issuer = devIdpIssuer(c.get("config"));
  return c.json({
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    userinfo_endpoint: `${issuer}/userinfo`,
    jwks_uri: `${issuer}/jwks`,
    response_types_supported: ["code"],
    response_modes_supported: ["query"],
    grant_types_supported: ["authorization_code"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: ["ES256"],
    token_endpoint_auth_methods_supported: ["none"],
    code_challenge_methods_supported: ["S256"],
    scopes_supported: SCOPES,
    claims_supported: ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "email", "email_verified", "name", "org_id", "org_name"],
    authorization_response_iss_parameter_supported: true,
  });
});

/** @see https://www.rfc-editor.org/rfc/rfc7517#section-5 */
idp.get("/jwks", async (c) => c.json(await devIdpJwks(c.env), 200, { "Cache-Control": "max-age=60" }));

/** The login page. @see https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest */
idp.get("/authorize", (c) => {
  const config = c.get("config");
  const checked = checkAuthorizeRequest(config, uniqueParams(new URL(c.req.url).searchParams));
  if (!checked.ok) return authorizationResponse(c, checked.redirectUri, checked.params);
  return c.html(DevIdpLogin({ config, action: `${devIdpIssuer(config)}/authorize`, request: hiddenFields(checked.request) }), 200, NO_STORE);
});

const loginForm = z.object({
  email: z.email().max(254),
  name: z.string().trim().max(100).optional(),
});

/** Any email signs in; "Cancel" answers `access_denied`. @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2 */
idp.post("/authorize", async (c) => {
  const config = c.get("config");
  const form = await readForm(c);
  const checked = checkAuthorizeRequest(config, form);
  if (!checked.ok) return authorizationResponse(c, checked.redirectUri, checked.params);
  const { request } = checked;
  if (form.action === "cancel") {
    return authorizationResponse(c, request.redirect_uri, { error: "access_denied", error_description: "the user cancelled the sign-in", state: request.state });
  }
  const login = loginForm.safeParse({ email: form.email?.trim(), name: form.name || undefined });
  if (!login.success) {
    const problem = login.error.issues[0]?.path[0] === "name" ? "The name is too long (at most 100 characters)." : "Enter an email address such as alice@example.com.";
    const page = DevIdpLogin({ config, action: `${devIdpIssuer(config)}/authorize`, request: hiddenFields(request), email: form.email, name: form.name, problem });
    return c.html(page, 400, NO_STORE);
  }
  const code = await issueDevCode(c.env, devIdpIssuer(config), await devLogin(login.data.email, login.data.name), {
    clientId: request.client_id,
    redirectUri: request.redirect_uri,
    codeChallenge: request.code_challenge,
    scope: request.scope,
    nonce: request.nonce,
  });
  return authorizationResponse(c, request.redirect_uri, { code, state: request.state });
});

const tokenRequest = z.object({
  grant_type: z.literal("authorization_code"),
  client_id: z.string(),
  code: z.string().min(1).max(4096),
  redirect_uri: z.string(),
  code_verifier: z.string().regex(/^[A-Za-z0-9._~-]{43,128}$/),
});

/** Public-client code exchange with PKCE S256. @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3 */
idp.post("/token", async (c) => {
  const form = await readForm(c);
  if (form.grant_type !== undefined && form.grant_type !== "authorization_code") {
    throw new OAuthError("unsupported_grant_type", "only authorization_code is supported");
  }
  if (c.req.header("Authorization") !== undefined) {
    throw new OAuthError("invalid_client", "the client is public: send client_id in the body, no credentials", { reason: "dev-idp: client authentication sent" });
  }
  const params = parseParams(tokenRequest, form);
  if (params.client_id !== DEV_IDP_CLIENT_ID) throw new OAuthError("invalid_client", "unknown client", { reason: "dev-idp: unknown client_id" });
  const issuer = devIdpIssuer(c.get("config"));
  const code = await readDevCode(c.env, issuer, params.code);
  if (!code) throw new OAuthError("invalid_grant", "the code is invalid or expired", { reason: "dev-idp: code verification failed" });
  if (code.clientId !== params.client_id) throw new OAuthError("invalid_grant", "the code was issued to another client", { reason: "dev-idp: client_id mismatch" });
  if (code.redirectUri !== params.redirect_uri) throw new OAuthError("invalid_grant", "redirect_uri does not match the authorization request", { reason: "dev-idp: redirect_uri mismatch" });
  if (!timingSafeEqual(await sha256(params.code_verifier), code.codeChallenge)) {
    throw new OAuthError("invalid_grant", "code_verifier does not match the code_challenge", { reason: "dev-idp: PKCE mismatch" });
  }
  return c.json(await issueDevTokens(c.env, issuer, code), 200, NO_STORE);
});

/** @see https://openid.net/specs/openid-connect-core-1_0.html#UserInfo */
idp.on(["GET", "POST"], "/userinfo", async (c) => {
  const token = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(c.req.header("Authorization") ?? "")?.[1];
  const claims = token ? await readDevAccessToken(c.env, devIdpIssuer(c.get("config")), token) : undefined;
  if (!claims) {
    const challenge = token ? 'Bearer error="invalid_token"' : "Bearer";
    throw new OAuthError("invalid_token", "the access token is missing, invalid or expired", { headers: { "WWW-Authenticate": challenge } });
  }
  return c.json(claims, 200, NO_STORE);
});

/** The development IdP as the Worker mounts it, relative to `/dev-idp`: a person's sign-in and a client's token request logged. */
export const devIdpRoutes = new Hono<AppEnv>().use("/authorize", logRequests).use("/token", logRequests).route("/", idp);

/**
 * The same IdP at `/dev-idp`, which federation calls in-process instead of fetching itself over the network: past the
 * Worker's own middleware, so it sets what that would have set, and logs nothing (the sign-in that calls it does).
 */
export const devIdpApp = new Hono<AppEnv>()
  .use((c, next) => {
    c.set("correlationId", crypto.randomUUID());
    c.set("config", loadConfig(c.env));
    return next();
  })
  .route("/dev-idp", idp)
  .onError(onError);

const authorizeRequest = z.object({
  response_type: z.string(),
  scope: z.string().max(1024),
  state: z.string().max(2048).optional(),
  nonce: z.string().max(2048).optional(),
  code_challenge: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  code_challenge_method: z.literal("S256"),
});

type AuthorizeRequest = z.infer<typeof authorizeRequest> & { client_id: string; redirect_uri: string };

type CheckedRequest =
  | { ok: true; request: AuthorizeRequest }
  | { ok: false; redirectUri: string; params: Record<string, string | undefined> };

/**
 * Validates an authorization request in RFC 6749 §4.1.2.1 order: a wrong client or redirect URI is an error page
 * (never a redirect); anything else is an error sent back to the (now trusted) redirect URI.
 */
function checkAuthorizeRequest(config: Config, params: Record<string, string>): CheckedRequest {
  if (params.client_id !== DEV_IDP_CLIENT_ID) {
    throw new PageError("Unknown client", `The development sign-in only serves Gatehouse (client_id "${DEV_IDP_CLIENT_ID}").`, { reason: "dev-idp: unknown client_id" });
  }
  // Exactly the callback URLs Gatehouse itself uses, as an operator registers them at a real provider.
  const redirectUri = params.redirect_uri;
  const registered = config.upstreams.filter((p) => p.issuer === `${config.publicUrl}/dev-idp`).map((p) => callbackUri(config, p));
  if (redirectUri === undefined || !registered.includes(redirectUri)) {
    throw new PageError("Unregistered redirect URI", `The development sign-in only redirects to ${registered.join(" or ")}.`, { reason: "dev-idp: redirect_uri mismatch" });
  }
  const state = typeof params.state === "string" && params.state.length <= 2048 ? params.state : undefined;
  const fail = (error: OAuthErrorCode, description: string): CheckedRequest => ({ ok: false, redirectUri, params: { error, error_description: description, state } });
  if (params.response_type !== "code") return fail("unsupported_response_type", "response_type must be code");
  let request: z.infer<typeof authorizeRequest>;
  try {
    request = parseParams(authorizeRequest, params);
  } catch (err) {
    if (err instanceof OAuthError) return fail(err.code, err.description);
    throw err;
  }
  if (request.scope.split(" ").some((scope) => !SCOPES.includes(scope))) return fail("invalid_scope", `scope may only include ${SCOPES.join(", ")}`);
  // It keeps no session of its own, so it can never sign anyone in without the form.
  if ((params.prompt ?? "").split(" ").includes("none")) return fail("login_required", "the development sign-in always shows its form");
  return { ok: true, request: { ...request, client_id: DEV_IDP_CLIENT_ID, redirect_uri: redirectUri } };
}

/** A redirect to Gatehouse's callback with `iss` (RFC 9207 §2), never cached. */
function authorizationResponse(c: Context<AppEnv>, redirectUri: string, params: Record<string, string | undefined>): Response {
  const url = new URL(redirectUri);
  for (const [key, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(key, value);
  url.searchParams.set("iss", devIdpIssuer(c.get("config")));
  c.header("Cache-Control", "no-store");
  return c.redirect(url.href, 302);
}

/** The request's parameters as the login form's hidden fields. */
function hiddenFields(request: AuthorizeRequest): Record<string, string> {
  return Object.fromEntries(Object.entries(request).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
}
