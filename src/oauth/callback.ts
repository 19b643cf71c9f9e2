// GET /callback: the upstream provider sends the browser back here. The grant hands out its pending state once,
// the upstream code is exchanged, the user resolved, and the client gets its code — or nothing is issued at all.
// A server that requires linked providers chains a leg per provider first (src/oauth/chain-login.ts).
import { type Context, Hono } from "hono";
import { getCookie } from "hono/cookie";
import { getClient } from "../db/clients";
import type { OutboxEntry } from "../db/outbox";
import { resolveUser } from "../db/users";
import type { Grant } from "../durable/grant";
import type { GrantError, PendingLogin } from "../durable/grant-state";
import { parseHandle } from "../durable/handle";
import type { AppEnv } from "../http/app-env";
import { vaultKey } from "../tokens/seal";
import { admitEmailDomain, emailRefusalPage } from "./email-admission";
import { blockedPage } from "./standing";
import { completeUpstreamLogin } from "../upstream/federation";
import type { UpstreamTokens } from "../durable/vault-state";
import type { UpstreamIdentity } from "../identity";
import { deliverNow } from "../webhook/deliver";
import { userCreatedEvent } from "../webhook/event";
import { audit } from "../http/audit";
import { revokeUpstreamLater } from "../http/grant-revoked";
import { BIND_COOKIE } from "./authorize";
import { continueChain, linkedLegDone, planChain } from "./chain-login";
import { authorizationErrorUrl } from "./authorization-response";
import { authorizeAgainUrl } from "../policy/authorize-request";
import { OAuthError, PageError } from "../errors";
import { grantStub } from "../durable/grant-stub";
import { noteFailure, pageErrors } from "../http/respond";
import { logRequests } from "../http/request-log";
import { requireSignInConfig } from "../http/require-config";
import { browserPageHeaders } from "../http/page-headers";
import { limitPage } from "../http/rate-limit";

export const callbackRoutes = new Hono<AppEnv>();

callbackRoutes.use("/callback", pageErrors, logRequests, requireSignInConfig, browserPageHeaders);
callbackRoutes.use("/callback/:provider", pageErrors, logRequests, requireSignInConfig, browserPageHeaders);

/**
 * The redirection endpoint of Gatehouse's own upstream client: `/callback/<provider>` with several providers,
 * `/callback` with one (and still accepted with several, for sign-ins begun before a second provider was added).
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2
 * @see https://openid.net/specs/openid-connect-core-1_0.html#AuthResponseValidation
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.4.2
 */
callbackRoutes.get("/callback", (c) => callback(c, undefined));
callbackRoutes.get("/callback/:provider", (c) => callback(c, c.req.param("provider")));

async function callback(c: Context<AppEnv>, callbackProvider: string | undefined): Promise<Response> {
  const limited = await limitPage(c);
  if (limited) return limited;
  const config = c.get("config");
  if (callbackProvider !== undefined && !config.upstreams.some((p) => p.name === callbackProvider)) {
    throw new PageError("Invalid sign-in response", "This sign-in response came back for a sign-in provider that is not configured here. Start the sign-in again from your application.", { reason: "callback path names an unknown provider" });
  }
  const url = new URL(c.req.url);
  const states = url.searchParams.getAll("state");
  const handle = states.length === 1 ? parseHandle("state", states[0]) : undefined;
  const stub = handle && grantStub(c.env, handle.grantId);
  if (!handle || !stub) {
    throw new PageError("Invalid sign-in response", "This sign-in response is incomplete or was altered. Start the sign-in again from your application.", { reason: "callback state missing or malformed" });
  }
  const grantId = handle.grantId;
  const taken = await stub.takePending({ key: await vaultKey(c.env, config), stateSecret: handle.secret, browserBinding: getCookie(c, BIND_COOKIE), callbackProvider });
  if (!taken.ok) {
    audit(c, { type: "login.failed", grantId, detail: { check: taken.error } });
    if (taken.revoked) audit(c, { type: "grant.revoked", grantId, detail: { reason: taken.reason } });
    revokeUpstreamLater(c, taken.upstream ?? []);
    throw takeFailure(taken.error, taken.reason);
  }
  const { pending } = taken;
  const clientId = pending.request.clientId;
  try {
    const provider = config.upstreams.find((p) => p.name === (pending.linking?.provider ?? pending.provider));
    if (!provider) throw new PageError("Sign-in is unavailable", "The provider this sign-in started with is no longer configured.", { status: 502, reason: "pending provider not configured" });
    const leg = { state: states[0] ?? "", nonce: pending.nonce, codeVerifier: pending.codeVerifier, redirectUri: pending.upstreamRedirectUri };
    const login = await completeUpstreamLogin(c.env, config, provider, url, leg, { linked: pending.linking !== undefined });
    if (!login.ok) {
      await stub.failLogin(login.reason);
      audit(c, { type: "login.failed", grantId, clientId, detail: { error: login.error, reason: login.reason } });
      if (login.error === "interaction_required" && pending.sso?.upstreamPrompt === "none") {
        // The silent single sign-on found no upstream session: ask again, this time with the upstream's login page.
        return c.redirect(authorizeAgainUrl(config.publicUrl, pending.request, ["login"]), 302);
      }
      if (login.error === "access_denied") {
        noteFailure(c, "access_denied", login.reason);
        const error = new OAuthError("access_denied", "the user cancelled the sign-in at the identity provider");
        return c.redirect(authorizationErrorUrl(pending.request.redirectUri, config.issuer, error, pending.request.state), 302);
      }
      const title = login.error === "email_unverified" ? "Email address not verified" : "Sign-in failed";
      throw new PageError(title, login.description, { status: login.error === "email_unverified" ? 403 : 502, reason: login.reason });
    }
    if (pending.linking) {
      const deposit = { provider: provider.name, clientId: provider.clientId, tokens: login.tokens };
      return await linkedLegDone(c, { stub, grantId, request: pending.request, primary: pending.provider, linking: pending.linking }, login.identity, deposit);
    }
    const admitted = await admitEmailDomain(c, { domain: login.identity.domain, verified: login.identity.emailVerified });
    if (!admitted.ok) {
      await stub.failLogin(admitted.reason);
      audit(c, { type: "login.failed", grantId, clientId, detail: { error: "email_domain", reason: admitted.reason } });
      throw emailRefusalPage(admitted.error, config.branding.serviceName, admitted.reason);
    }
    return await issueCode(c, stub, grantId, pending, login.identity, login.tokens, login.authTime, login.adminGroups);
  } catch (err) {
    // Nothing was issued: the grant goes (a no-op when the failure came after failLogin or from completeLogin).
    await stub.failLogin("callback failed").catch(() => undefined);
    throw err;
  }
}

/** Resolves the user, issues the code, and finishes the authorization (src/oauth/finish-authorization.ts). */
async function issueCode(
  c: Context<AppEnv>,
  stub: DurableObjectStub<Grant>,
  grantId: string,
  pending: PendingLogin,
  identity: UpstreamIdentity,
  tokens: UpstreamTokens,
  authTime: number,
  adminGroups: string[],
): Promise<Response> {
  const config = c.get("config");
  const { request } = pending;
  const now = Math.floor(Date.now() / 1000);
  const eventId = crypto.randomUUID();
  const onCreate = config.captureWebhook ? await firstSightEvent(c, request.clientId, identity, now, eventId) : undefined;
  const { userId, created, blocked } = await resolveUser(c.env.DB, identity, now, onCreate, adminGroups);
  if (created) audit(c, { type: "user.created", userId, detail: { provider: identity.provider } });
  if (blocked) {
    await stub.failLogin("the person is blocked");
    audit(c, { type: "login.failed", grantId, clientId: request.clientId, userId, detail: { error: "blocked" } });
    throw blockedPage(config.branding.serviceName);
  }
  if (created && onCreate) {
    // Never awaited here: a slow or failing receiver must not delay or break the sign-in; the sweep retries.
    c.executionCtx.waitUntil(deliverNow(c.env.DB, config, eventId));
  }
  if (pending.sso?.consentOf !== undefined && pending.sso.consentOf !== userId) {
    // The consent page was skipped for someone else's remembered consent: this person has not approved the client.
    await stub.failLogin("signed in as another user than the remembered consent's");
    audit(c, { type: "login.failed", grantId, clientId: request.clientId, userId, detail: { error: "consent_required", reason: "another user than the session's" } });
    return c.redirect(authorizeAgainUrl(config.publicUrl, request, ["consent", "login"]), 302);
  }
  const provider = config.upstreams.find((p) => p.name === identity.provider);
  const upstream = provider ? [{ provider: provider.name, clientId: provider.clientId, tokens }] : [];
  const { subject: _subject, ...profile } = identity;
  const chain = { stub, grantId, request, primary: identity.provider, user: { ...profile, userId }, authTime };
  return continueChain(c, chain, upstream, await planChain(c, chain));
}

/**
 * The `user.created` event `eventId` for `resolveUser` to write if the user is new, with the client's name (declared,
 * or from D1; a failed lookup only leaves the name out).
 */
async function firstSightEvent(c: Context<AppEnv>, clientId: string, identity: UpstreamIdentity, now: number, eventId: string): Promise<(userId: string) => OutboxEntry> {
  const declared = c.get("config").staticClients.find((s) => s.clientId === clientId);
  const clientName = declared ? declared.clientName : await getClient(c.env.DB, clientId).then((client) => client?.clientName, () => undefined);
  return (userId) => userCreatedEvent({ ...identity, userId }, { clientId, clientName }, now, eventId);
}

/** The page for a state the grant would not hand out. */
function takeFailure(error: GrantError, reason: string): PageError {
  const restart = "Start the sign-in again from your application.";
  switch (error) {
    case "wrong_state":
      return new PageError("This sign-in was already used", `This sign-in response has already been used. ${restart}`, { reason });
    case "binding_mismatch":
      return new PageError("Sign-in started in another browser", `For your safety, finish signing in in the browser where you started. ${restart}`, { reason });
    case "provider_mismatch":
      return new PageError("Invalid sign-in response", `This sign-in response came back from another sign-in provider than the one you chose. ${restart}`, { reason });
    case "not_found":
    case "expired":
      return new PageError("This sign-in has expired", `This sign-in is no longer valid. ${restart}`, { reason });
    default:
      return new PageError("Invalid sign-in response", `This sign-in response could not be verified. ${restart}`, { reason });
  }
}
