// GET /authorize validates the request and shows the consent page; POST /authorize (the consent form) re-validates
// it, checks CSRF, and either cancels (access_denied) or creates the Grant and sends the browser upstream.
import { type Context, Hono } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { generateRandomCodeVerifier, generateRandomNonce } from "oauth4webapi";
import type { UpstreamProvider } from "../config";
import type { ClientRecord } from "../db/clients";
import { sessionView } from "../db/consents";
import { randomSecret } from "../crypto";
import { PENDING_TTL_MS, type SsoContext } from "../durable/grant-state";
import { formatHandle } from "../durable/handle";
import { vaultKey } from "../tokens/seal";
import type { AppEnv } from "../http/app-env";
import { Consent, redirectTarget } from "../ui/consent";
import { callbackUri, type UpstreamLeg, upstreamAuthorizationUrl } from "../upstream/federation";
import type { Session } from "../identity";
import { audit } from "../http/audit";
import { reuseSignedIn } from "./finish-authorization";
import { consentStep, redirectHost, resourceApproved, scopesApproved, sessionCounts, upstreamPrompt } from "../policy/consent";
import { presentedSession } from "../http/session";
import { checkCsrf, COOKIE_VALUE, csrfToken, sameOrigin } from "../http/csrf";
import { lookupClient } from "./client-lookup";
import { type AuthorizationRequest, authorizationFields, checkAuthorizationRequest, errorDelivery, requestedClientId } from "../policy/authorize-request";
import { authorizationErrorUrl } from "./authorization-response";
import { noteFailure, pageErrors } from "../http/respond";
import { logRequests } from "../http/request-log";
import { requireSignInConfig } from "../http/require-config";
import { OAuthError, PageError } from "../errors";
import { FORM_LIMIT, readText } from "../http/params";
import { browserPageHeaders } from "../http/page-headers";
import { limitPage } from "../http/rate-limit";

/** Browser-binding cookie: the grant stores its hash at approval and the callback must present it. */
export const BIND_COOKIE = "__Host-gh_bind";

export const authorizeRoutes = new Hono<AppEnv>();

authorizeRoutes.use("/authorize", pageErrors, logRequests, requireSignInConfig, browserPageHeaders, sameOrigin);

/** Validates the request and shows the consent page. @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1 */
authorizeRoutes.get("/authorize", async (c) => {
  const limited = await limitPage(c);
  if (limited) return limited;
  const checked = await validate(c, new URL(c.req.url).searchParams, false);
  if (checked instanceof Response) return checked;
  const { client, request } = checked;
  const signedIn = await signedInPerson(c, client.clientId, request.redirectUri);
  const remembered = scopesApproved(signedIn?.approvedScopes, request.scope.split(" ")) && resourceApproved(signedIn?.approvedResources, request.resource, c.get("config").mcpResource);
  const provider = signedIn && c.get("config").upstreams.find((p) => p.name === signedIn.session.provider);
  if (consentStep({ prompt: request.prompt, signedIn: provider !== undefined, approved: remembered, client, redirectUri: request.redirectUri }) === "skip" && signedIn && provider) {
    return continueSignedIn(c, client, request, provider, signedIn.session, true);
  }
  const signedInAs = provider && signedIn.email !== undefined ? { email: signedIn.email, provider } : undefined;
  const page = Consent({ config: c.get("config"), client, redirectUri: request.redirectUri, scopes: request.scope.split(" "), resource: request.resource, fields: authorizationFields(request), csrfToken: csrfToken(c), signedInAs });
  return c.html(page, 200);
});

/** The consent decision. Hidden fields are re-validated: nothing in the form is trusted. */
authorizeRoutes.post("/authorize", async (c) => {
  const limited = await limitPage(c);
  if (limited) return limited;
  if (!/^application\/x-www-form-urlencoded\b/i.test(c.req.header("Content-Type") ?? "")) {
    throw new PageError("Invalid form", "The consent form was not sent as a form.", { reason: "consent POST not form-urlencoded" });
  }
  const form = new URLSearchParams(await readText(c, FORM_LIMIT));
  const csrfFields = form.getAll("csrf");
  const decisions = form.getAll("decision");
  form.delete("csrf");
  form.delete("decision");
  const csrfChecked = checkCsrf(c, csrfFields);
  if (!csrfChecked.ok) {
    throw new PageError("This form has expired", "The consent form could not be verified. Go back to your application and start the sign-in again.", { status: 403, reason: csrfChecked.reason });
  }
  const checked = await validate(c, form, true);
  if (checked instanceof Response) return checked;
  const { client, request } = checked;
  if (decisions.length === 1 && decisions[0] === "cancel") {
    return redirectError(c, request.redirectUri, new OAuthError("access_denied", "the user denied the request", { reason: "consent cancelled" }), request.state);
  }
  const decision = decisions.length === 1 ? decisions[0] : undefined;
  if (decision !== "approve" && decision !== "another_account") {
    throw new PageError("Invalid form", "The consent form was incomplete. Go back to your application and start the sign-in again.", { reason: "no consent decision" });
  }
  const config = c.get("config");
  const chosen = c.req.query("provider");
  const provider = chosen === undefined ? config.upstreams[0] : config.upstreams.find((p) => p.name === chosen);
  if (!provider) throw new PageError("Unknown sign-in provider", "The sign-in provider you chose is not available.", { reason: "unknown provider in consent POST" });
  // "Use another account": no identity is lent, and the provider must show its login even to a signed-in person.
  if (decision === "another_account") return approve(c, client, request, provider, { upstreamPrompt: "login" });
  const signedIn = await signedInPerson(c, client.clientId, request.redirectUri);
  if (signedIn?.session.provider === provider.name) return continueSignedIn(c, client, request, provider, signedIn.session, false);
  return approve(c, client, request, provider, { upstreamPrompt: upstreamPrompt({ prompt: request.prompt, remembered: false, oidc: provider.type === "oidc" }) });
});

/** The browser's signed-in person (a valid session not ended by "sign out everywhere"), their email and their consent for this client. */
async function signedInPerson(c: Context<AppEnv>, clientId: string, redirectUri: string): Promise<{ session: Session; approvedScopes?: string[]; approvedResources?: string[]; email?: string } | undefined> {
  const session = await presentedSession(c);
  if (!session) return undefined;
  const view = await sessionView(c.env.DB, session.userId, clientId, redirectHost(redirectUri));
  if (!view || !sessionCounts(session, view.sessionsRevokedAt)) return undefined;
  return { session, approvedScopes: view.approvedScopes, approvedResources: view.approvedResources, email: view.email };
}

/**
 * Consent is settled (remembered, or just given on the page) and the browser's person is signed in with `provider`:
 * lend them the identity of a live grant, or else ask the upstream (silently when the consent was remembered).
 */
async function continueSignedIn(c: Context<AppEnv>, client: ClientRecord, request: AuthorizationRequest, provider: UpstreamProvider, session: Session, remembered: boolean): Promise<Response> {
  const prompt = upstreamPrompt({ prompt: request.prompt, remembered, oidc: provider.type === "oidc" });
  if (prompt !== "login") {
    const { prompt: _prompt, ...params } = request;
    const reused = await reuseSignedIn(c, params, session);
    if (reused) return reused;
  }
  return approve(c, client, request, provider, { consentOf: remembered ? session.userId : undefined, upstreamPrompt: prompt });
}

/** Creates the grant in `pending` and redirects to the upstream provider. @see DESIGN.md "Flows" */
async function approve(c: Context<AppEnv>, client: ClientRecord, request: AuthorizationRequest, provider: UpstreamProvider, sso: SsoContext): Promise<Response> {
  const config = c.get("config");
  const id = c.env.GRANTS.newUniqueId();
  const grantId = id.toString();
  const stateSecret = randomSecret();
  const existing = getCookie(c, BIND_COOKIE);
  const binding = existing && COOKIE_VALUE.test(existing) ? existing : randomSecret();
  const leg: UpstreamLeg = {
    state: formatHandle("state", grantId, stateSecret),
    nonce: generateRandomNonce(),
    codeVerifier: generateRandomCodeVerifier(),
    redirectUri: callbackUri(config, provider),
  };
  // Built first: when the provider is unreachable nothing has been stored yet.
  const upstreamUrl = await upstreamAuthorizationUrl(c.env, config, provider, leg, sso.upstreamPrompt ? { prompt: sso.upstreamPrompt } : undefined);
  const { prompt: _prompt, ...params } = request;
  const begun = await c.env.GRANTS.get(id).begin({
    key: await vaultKey(c.env, config),
    request: params,
    provider: provider.name,
    stateSecret,
    browserBinding: binding,
    nonce: leg.nonce,
    codeVerifier: leg.codeVerifier,
    upstreamRedirectUri: leg.redirectUri,
    sso,
  });
  if (!begun.ok) throw new Error(`a new grant refused begin: ${begun.reason}`);
  setCookie(c, BIND_COOKIE, binding, { path: "/", secure: true, httpOnly: true, sameSite: "Lax", maxAge: PENDING_TTL_MS / 1000 });
  audit(c, { type: "grant.created", grantId, clientId: client.clientId, detail: { provider: provider.name, scope: request.scope, ...(sso.consentOf ? { sso: "remembered" } : {}) } });
  return c.redirect(upstreamUrl.href, 302);
}

/**
 * Loads the client and validates; a `Response` is the error redirect to send, a thrown `PageError` the error page.
 * `interacted`: the person has approved or denied (the consent form), which decides `errorDelivery`.
 */
async function validate(c: Context<AppEnv>, params: URLSearchParams, interacted: boolean): Promise<{ client: ClientRecord; request: AuthorizationRequest } | Response> {
  const clientId = requestedClientId(params);
  const client = clientId && clientId.length <= 2000 ? await lookupClient(c, clientId) : undefined;
  const checked = checkAuthorizationRequest(c.get("config"), client, params);
  if (checked.ok) return { client: checked.client, request: checked.request };
  if ("page" in checked) throw checked.page;
  if (client && errorDelivery(client, interacted) === "page") {
    const href = authorizationErrorUrl(checked.redirectUri, c.get("config").issuer, checked.error, checked.state);
    throw new PageError("This sign-in request cannot continue", `${refusalInWords(checked.error.code)} (error: ${checked.error.code})`, {
      status: checked.error.status,
      reason: `${checked.error.code}: ${checked.error.description}`,
      returnTo: { href, destination: redirectTarget(checked.redirectUri).label },
    });
  }
  return redirectError(c, checked.redirectUri, checked.error, checked.state);
}

/**
 * What went wrong, in fixed words: the page is on this server's domain, so it never shows text from the request
 * (a crafted `scope` could otherwise speak with this server's voice).
 */
function refusalInWords(code: OAuthError["code"]): string {
  switch (code) {
    case "invalid_scope":
      return "The application asked for a permission this service does not offer.";
    case "invalid_target":
      return "The application asked for access to a resource this service does not serve.";
    case "login_required":
      return "The application asked to sign you in without showing anything, which this service never does.";
    case "unauthorized_client":
      return "The application is not allowed to sign in this way.";
    default:
      return "The application sent a sign-in request that is not valid.";
  }
}

/** An error sent back to the validated redirect URI, with `state` and `iss`. @see RFC 6749 §4.1.2.1, RFC 9207 §2 */
function redirectError(c: Context<AppEnv>, redirectUri: string, error: OAuthError, state: string | undefined): Response {
  noteFailure(c, error.code, error.reason ?? error.description);
  return c.redirect(authorizationErrorUrl(redirectUri, c.get("config").issuer, error, state), 302);
}
