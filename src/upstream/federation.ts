// Federation to the upstream identity provider with oauth4webapi: authorization URL, code exchange, ID token checks.
import { decodeProtectedHeader, errors } from "jose";
import * as oauth from "oauth4webapi";
import type { Config, UpstreamProvider } from "../config";
import type { Env } from "../env";
import { PageError } from "../errors";
import { mapClaims, readClaim } from "../policy/claims";
import { adminGroupsOf } from "../policy/admin-access";
import { authorizationServer } from "./discovery";
import { insecureAllowed, upstreamHttp } from "./transport";
import { fetchUserClaims } from "./userinfo";
import type { UpstreamIdentity } from "../identity";
import type { UpstreamTokens } from "../durable/vault-state";

/**
 * Gatehouse's redirection endpoint at `provider`: `PUBLIC_URL/callback` when it is the only provider, else
 * `PUBLIC_URL/callback/<name>`, so a response arriving for one provider's pending sign-in at another's path is
 * recognised (the mix-up defence of RFC 9700 §4.4.2, distinct redirect URIs per issuer).
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.4.2
 */
export function callbackUri(config: Config, provider: UpstreamProvider): string {
  return config.upstreams.length > 1 ? `${config.publicUrl}/callback/${provider.name}` : `${config.publicUrl}/callback`;
}

/** Secrets of the upstream leg, generated at approval and kept in the pending grant. */
export interface UpstreamLeg {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** Gatehouse's own callback URL at this provider (`callbackUri`). */
  redirectUri: string;
}

export type UpstreamLoginResult =
  /** `authTime`: when the person last authenticated at the provider, epoch ms (the ID token's `auth_time`, else now). */
  /** `adminGroups`: the person's groups among ADMIN_GROUPS (claim ADMIN_GROUPS_CLAIM), for the admin console. */
  | { ok: true; identity: UpstreamIdentity; tokens: UpstreamTokens; authTime: number; adminGroups: string[] }
  | {
      ok: false;
      /**
       * `access_denied`: the person declined upstream; `interaction_required`: a `prompt=none` request needs the
       * person (login_required, consent_required, …); `email_unverified`; `upstream_error`: anything else.
       */
      error: "access_denied" | "interaction_required" | "email_unverified" | "upstream_error";
      description: string;
      reason: string;
    };

/** Errors a `prompt=none` request gets when the person must act. @see https://openid.net/specs/openid-connect-core-1_0.html#AuthError */
const INTERACTION_REQUIRED = new Set(["login_required", "consent_required", "interaction_required", "account_selection_required"]);

/** ID token signature algorithms accepted (asymmetric only: no `none`, no HMAC with a shared secret). */
export const ID_TOKEN_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"];

/**
 * The upstream authorization URL to send the browser to (code + PKCE S256 + state + nonce).
 * Throws a `PageError` (502) when the provider's metadata cannot be had.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.3
 */
export async function upstreamAuthorizationUrl(env: Env, config: Config, provider: UpstreamProvider, leg: UpstreamLeg, options?: { prompt?: string }): Promise<URL> {
  let endpoint: URL;
  try {
    const as = await authorizationServer(env, config, provider);
    endpoint = new URL(as.authorization_endpoint ?? "");
  } catch (err) {
    throw new PageError("Sign-in is unavailable", `${provider.label} cannot be reached right now. Try again in a moment.`, { status: 502, reason: `upstream discovery failed: ${describe(err)}` });
  }
  if (endpoint.protocol !== "https:" && !insecureAllowed(config, endpoint.href)) {
    throw new PageError("Sign-in is unavailable", `${provider.label} is misconfigured.`, { status: 502, reason: "upstream authorization_endpoint is not https" });
  }
  const params = endpoint.searchParams;
  params.set("response_type", "code");
  params.set("client_id", provider.clientId);
  params.set("redirect_uri", leg.redirectUri);
  if (provider.scopes) params.set("scope", provider.scopes);
  params.set("state", leg.state);
  if (provider.type === "oidc") params.set("nonce", leg.nonce);
  params.set("code_challenge", await oauth.calculatePKCECodeChallenge(leg.codeVerifier));
  params.set("code_challenge_method", "S256");
  // GitHub's one prompt shows its account picker, which is what "use another account" asks of it.
  const prompt = provider.type === "github" && options?.prompt === "login" ? "select_account" : options?.prompt;
  if (prompt) params.set("prompt", prompt);
  return endpoint;
}

/**
 * Completes the upstream leg from the callback URL: error handling, code exchange, ID token / userinfo, claim mapping.
 * Never throws: every failure is a result whose `description` is safe to show and whose `reason` is for logs.
 * @see https://www.rfc-editor.org/rfc/rfc9207#section-2.4
 * @see https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation
 */
export async function completeUpstreamLogin(env: Env, config: Config, provider: UpstreamProvider, callbackUrl: URL, leg: UpstreamLeg, options: LoginOptions = {}): Promise<UpstreamLoginResult> {
  try {
    return await complete(env, config, provider, callbackUrl, leg, options);
  } catch (err) {
    return { ok: false, error: "upstream_error", description: safeDescription(err, provider), reason: describe(err) };
  }
}

/** How a login is judged. */
export interface LoginOptions {
  /**
   * A linked provider's leg of a chained login: the account connects the provider's API, it does not say who the
   * person is, so an unverified email there is no reason to refuse it.
   */
  linked?: boolean;
}

async function complete(env: Env, config: Config, provider: UpstreamProvider, callbackUrl: URL, leg: UpstreamLeg, options: LoginOptions): Promise<UpstreamLoginResult> {
  const http = upstreamHttp(env, config, provider);
  const as = await authorizationServer(env, config, provider);
  const client: oauth.Client = { client_id: provider.clientId };

  let callback: URLSearchParams;
  try {
    callback = oauth.validateAuthResponse(as, client, callbackUrl, leg.state);
  } catch (err) {
    if (!(err instanceof oauth.AuthorizationResponseError)) throw err;
    if (err.error === "access_denied") {
      return { ok: false, error: "access_denied", description: `The sign-in was cancelled at ${provider.label}.`, reason: "upstream error=access_denied" };
    }
    if (INTERACTION_REQUIRED.has(err.error)) {
      return { ok: false, error: "interaction_required", description: `${provider.label} needs you to sign in.`, reason: `upstream error=${err.error}` };
    }
    return { ok: false, error: "upstream_error", description: `${provider.label} could not sign you in.`, reason: `upstream error=${err.error.slice(0, 64)}` };
  }

  const response = await oauth.authorizationCodeGrantRequest(as, client, clientAuthentication(as, provider), callback, leg.redirectUri, leg.codeVerifier, http);
  let result: oauth.TokenEndpointResponse;
  let claims: Record<string, unknown>;
  let idTokenAuthTime: number | undefined;
  if (provider.type === "oidc") {
    result = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: leg.nonce, requireIdToken: true });
    const { alg } = decodeProtectedHeader(result.id_token ?? "");
    if (!alg || !ID_TOKEN_ALGORITHMS.includes(alg)) {
      throw new oauth.UnsupportedOperationError(`ID token algorithm ${String(alg).slice(0, 16)} is not allowed`);
    }
    await oauth.validateApplicationLevelSignature(as, response, http);
    claims = { ...oauth.getValidatedIdTokenClaims(result) };
    idTokenAuthTime = typeof claims.auth_time === "number" && Number.isFinite(claims.auth_time) ? claims.auth_time * 1000 : undefined;
    // Some providers (e.g. Entra ID, Okta by default) leave email out of the ID token but serve it at userinfo.
    if (readClaim(claims, provider.claims.email) === undefined && as.userinfo_endpoint && typeof claims.sub === "string") {
      const info = await oauth.processUserInfoResponse(as, client, claims.sub, await oauth.userInfoRequest(as, client, result.access_token, http));
      claims = { ...info, ...claims };
    }
  } else {
    result = await oauth.processAuthorizationCodeResponse(as, client, response);
    if (!as.userinfo_endpoint) throw new oauth.OperationProcessingError("no userinfo_endpoint is configured", { code: oauth.MISSING_SERVER_METADATA });
    claims = await fetchUserClaims({ userinfo: as.userinfo_endpoint, emails: provider.emailsEndpoint }, result.access_token, http);
  }

  const mapped = mapClaims(provider.name, claims, provider.claims);
  if (!mapped.ok) return { ok: false, error: "upstream_error", description: `${provider.label} did not say who you are.`, reason: mapped.reason };
  const { identity } = mapped;
  if (!(identity.email && identity.emailVerified) && !provider.allowUnverifiedEmail && !options.linked) {
    return {
      ok: false,
      error: "email_unverified",
      description: `Your account at ${provider.label} has no verified email address. Verify your email there, then try again.`,
      reason: identity.email ? "upstream email is not verified" : "upstream gave no email",
    };
  }
  const now = Date.now();
  return {
    ok: true,
    identity,
    // Never later than now: a provider's clock ahead of ours must not make a login look fresher than it is.
    authTime: Math.min(idTokenAuthTime ?? now, now),
    adminGroups: config.admin && config.admin.groups.length > 0 ? adminGroupsOf(readClaim(claims, config.admin.groupsClaim), config.admin.groups) : [],
    tokens: {
      accessToken: result.access_token,
      refreshToken: result.refresh_token,
      expiresAt: result.expires_in === undefined ? undefined : now + result.expires_in * 1000,
      idToken: result.id_token,
      tokenType: result.token_type.toLowerCase(),
      scope: result.scope ?? provider.scopes,
    },
  };
}

/**
 * Client authentication at the token endpoint: none for public clients; with a secret, Basic when the provider
 * supports it or says nothing (RFC 8414 §2's default), else POST; GitHub and GitHub-style providers without metadata
 * take POST (GitHub documents `client_id` and `client_secret` as form parameters).
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 */
export function clientAuthentication(as: oauth.AuthorizationServer, provider: UpstreamProvider): oauth.ClientAuth {
  if (!provider.clientSecret) return oauth.None();
  const methods = as.token_endpoint_auth_methods_supported;
  if (methods === undefined) return provider.type !== "oidc" ? oauth.ClientSecretPost(provider.clientSecret) : oauth.ClientSecretBasic(provider.clientSecret);
  if (!methods.includes("client_secret_basic") && methods.includes("client_secret_post")) return oauth.ClientSecretPost(provider.clientSecret);
  return oauth.ClientSecretBasic(provider.clientSecret);
}

/** What the person is told: which kind of failure, never the upstream's own text. */
function safeDescription(err: unknown, provider: UpstreamProvider): string {
  if (isTimeout(err)) return `${provider.label} did not answer in time. Try again in a moment.`;
  if (err instanceof oauth.ResponseBodyError || err instanceof oauth.WWWAuthenticateChallengeError) return `${provider.label} refused to complete the sign-in. Try signing in again.`;
  if (err instanceof oauth.OperationProcessingError || err instanceof oauth.UnsupportedOperationError || err instanceof errors.JOSEError) {
    return `The answer from ${provider.label} could not be verified. Try signing in again.`;
  }
  // What is left is the network: refused connections, DNS, TLS.
  return `${provider.label} cannot be reached right now. Try again in a moment.`;
}

/** What is logged: the failed check's name and oauth4webapi's code, never a token or the upstream body. */
function describe(err: unknown): string {
  if (isTimeout(err)) return "upstream timeout";
  if (err instanceof oauth.ResponseBodyError) return `upstream HTTP ${err.status} error=${err.error.slice(0, 64)}`;
  if (err instanceof oauth.AuthorizationResponseError) return `upstream error=${err.error.slice(0, 64)}`;
  if (err instanceof oauth.OperationProcessingError || err instanceof oauth.UnsupportedOperationError) {
    return `${err.code ?? err.name}: ${err.message}`.slice(0, 300);
  }
  if (err instanceof Error) return `${err.name}: ${err.message}`.slice(0, 300);
  return "unknown error";
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
}
