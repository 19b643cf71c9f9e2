// The last steps of every successful authorization, whether the person signed in upstream just now (/callback) or
// was already signed in through this browser (single sign-on at /authorize): index the grant, remember the
// consent, (re)start the session, and send the code to the client.
import type { Context } from "hono";
import { consentUpsert } from "../db/consents";
import { grantIndexUpsert, newestLiveGrants } from "../db/grants";
import type { AuthorizationParams } from "../policy/authorize-request";
import { grantStub } from "../durable/grant-stub";
import type { AppEnv } from "../http/app-env";
import { vaultKey } from "../tokens/seal";
import type { Session } from "../identity";
import { audit, writeWithEvents } from "../http/audit";
import { authorizationResponseUrl } from "./authorization-response";
import { redirectHost } from "../policy/consent";
import { requiredLinks } from "../policy/linking";
import { admitEmailDomain } from "./email-admission";
import { checkStanding } from "./standing";
import { startSession } from "../http/session";

export interface IssuedAuthorization {
  grantId: string;
  request: AuthorizationParams;
  userId: string;
  provider: string;
  code: string;
  /** When the code expires, epoch milliseconds. */
  expiresAt: number;
  /**
   * Whether the person just signed in upstream: then the session (re)starts. A login lent by single sign-on keeps
   * the browser's session as it is, so the session never outlives the upstream login it came from.
   */
  signedInUpstream: boolean;
}

/** Indexes the grant, remembers consent, starts the session (after an upstream sign-in) and redirects with `code`, `state` and `iss`. */
export async function finishAuthorization(c: Context<AppEnv>, issued: IssuedAuthorization): Promise<Response> {
  const { grantId, request, userId } = issued;
  // Both rows and their events in one D1 round trip (issue 17), so all or none are written.
  const createdAt = Math.floor(Date.now() / 1000);
  const consent = { userId, clientId: request.clientId, redirectHost: redirectHost(request.redirectUri), scopes: request.scope.split(" "), resource: request.resource, legacyResource: c.get("config").mcpResource };
  try {
    await writeWithEvents(
      c,
      [
        grantIndexUpsert(c.env.DB, { id: grantId, userId, clientId: request.clientId, scope: request.scope, resource: request.resource, status: "active", createdAt, expiresAt: Math.ceil(issued.expiresAt / 1000) }),
        consentUpsert(c.env.DB, consent, createdAt),
      ],
      [{ type: "code.issued", grantId, clientId: request.clientId, userId }],
    );
  } catch (err) {
    // A code for a grant the index does not know would escape listing and bulk revocation: withdraw it.
    await grantStub(c.env, grantId)?.revoke("grant index write failed");
    throw err;
  }
  if (issued.signedInUpstream) await startSession(c, userId, issued.provider);
  return c.redirect(authorizationResponseUrl(request.redirectUri, c.get("config").issuer, { code: issued.code, state: request.state }), 302);
}

/** Live grants looked at for an identity to reuse: the newest usually is live, older ones cover a revoked newest. */
const REUSE_CANDIDATES = 3;

/**
 * Single sign-on without an upstream round trip: a new grant for `request` as the session's person, started from
 * the identity (and upstream tokens, re-sealed for the new grant) of their newest live grant whose upstream login is
 * at most SSO_MAX_AGE old; the new grant keeps that login's time and ends REFRESH_MAX_TTL after it. `undefined` when
 * they have none, and the upstream must be asked.
 */
export async function reuseSignedIn(c: Context<AppEnv>, request: AuthorizationParams, session: Session): Promise<Response | undefined> {
  const config = c.get("config");
  if (!config.upstreams.some((p) => p.name === session.provider)) return undefined;
  // Blocked, or no longer admitted by the email policy: the upstream login applies it, with its page.
  if (!(await checkStanding(c, session.userId)).ok) return undefined;
  // A server that requires linked providers chains their legs from the callback: a lent login would skip them.
  if (requiredLinks(config.servers, request.resource, session.provider).length > 0) return undefined;
  const candidates = await newestLiveGrants(c.env.DB, session.userId, Math.floor(Date.now() / 1000), REUSE_CANDIDATES);
  for (const candidate of candidates) {
    const key = await vaultKey(c.env, config);
    const found = await grantStub(c.env, candidate.id)?.signedInLogin({ key, ssoMaxAgeSeconds: config.ssoMaxAge });
    if (!found?.ok || found.login.provider !== session.provider || found.login.user.userId !== session.userId) continue;
    const { login } = found;
    // The policy may have tightened since that sign-in: then the upstream login applies it, with its page.
    if (!(await admitEmailDomain(c, { domain: login.user.domain, verified: login.user.emailVerified })).ok) return undefined;
    const id = c.env.GRANTS.newUniqueId();
    const grantId = id.toString();
    const begun = await c.env.GRANTS.get(id).beginSignedIn({ key, request, provider: login.provider, user: login.user, upstream: login.upstream, authTime: login.authTime, refreshMaxTtlSeconds: config.refreshMaxTtl });
    if (!begun.ok) throw new Error(`a new grant refused beginSignedIn: ${begun.reason}`);
    audit(c, { type: "grant.created", grantId, clientId: request.clientId, userId: session.userId, detail: { provider: login.provider, scope: request.scope, sso: "reused" } });
    return finishAuthorization(c, { grantId, request, userId: session.userId, provider: login.provider, code: begun.code, expiresAt: begun.expiresAt, signedInUpstream: false });
  }
  return undefined;
}
