// grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer with an Identity Assertion JWT Authorization Grant (ID-JAG)
// from a trusted enterprise IdP: enterprise-managed authorization, a grant for the asserted person with no browser step.
import type { Context } from "hono";
import * as z from "zod";
import { grantIndexUpsert } from "../../db/grants";
import { enterpriseRecord, resolveUser } from "../../db/users";
import { audit, writeWithEvents } from "../../http/audit";
import { OAuthError } from "../../errors";
import { parseParams } from "../../lib/params";
import { randomSecret, type SealingKey, sha256 } from "../../crypto";
import type { AssertionLedger } from "../../durable/assertion-ledger";
import type { Grant } from "../../durable/grant";
import { parseHandle } from "../../durable/handle";
import type { AppEnv } from "../../http/app-env";
import type { GrantIdentity } from "../../identity";
import { accessTokenTtlFor } from "../../policy/client-policy";
import { checkAssertion, JWT_BEARER_GRANT } from "../../policy/id-jag";
import { pkceS256 } from "../../policy/pkce";
import { vaultKey } from "../../tokens/seal";
import { verifyIdJag } from "../../upstream/enterprise-idp";
import { userCreatedEvent } from "../../webhook/event";
import { deliverNow } from "../../webhook/deliver";
import { clientUse } from "../client-auth";
import { admitEmailDomain } from "../email-admission";
import type { GrantType } from "./grant-type";
import { tokenResponse } from "./issue";

const request = z.object({
  assertion: z.string().min(1).max(8192),
  scope: z.string().max(1024).optional(),
  resource: z.string().min(1).max(4096).optional(),
});

/** The grant's `provider`: never a sign-in provider's name, so single sign-on never lends an asserted identity to a browser. */
const ENTERPRISE_PROVIDER = "enterprise";
/** Stands in for the redirect URI a browser grant records: this grant never redirects. */
const NO_REDIRECT = JWT_BEARER_GRANT;
/** The grant outlives its access token by the verifiers' leeway, so the token is never refused as revoked before it expires. */
const GRANT_MARGIN_SECONDS = 60;

/**
 * The client (listed for the IdP in TRUSTED_ENTERPRISE_IDPS, and authenticated) presents the ID-JAG; the assertion is
 * verified (src/upstream/enterprise-idp.ts), its claims checked (src/policy/id-jag.ts), the email policy applied,
 * its `jti` spent once worldwide (src/durable/assertion-ledger.ts), and a grant created for the person already signed
 * in at their enterprise. No refresh token: the IdP, which can withdraw access, issues the next assertion.
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.1
 * @see https://datatracker.ietf.org/doc/draft-ietf-oauth-identity-assertion-authz-grant/
 * @see MCP extension "Enterprise-Managed Authorization"
 */
export const jwtBearerGrant: GrantType = {
  grantType: JWT_BEARER_GRANT,
  presentedGrant: () => undefined,
  async handle(c, form, client) {
    const config = c.get("config");
    // An ID-JAG is a bearer credential until its jti is spent: only a client that proves its secret may present one.
    if (client.tokenEndpointAuthMethod === "none") throw new OAuthError("unauthorized_client", "the JWT-bearer grant needs a confidential client", { reason: "public client presented an ID-JAG" });
    const params = parseParams(request, form);
    const verified = await verifyIdJag(config, params.assertion);
    if (!verified.ok) throw rejected(c, client.clientId, "invalid_grant", verified.reason);
    const { idp } = verified;
    const now = Math.floor(Date.now() / 1000);
    const checked = checkAssertion(config, idp, verified.payload, { clientId: client.clientId, resource: params.resource, scope: params.scope, now });
    if (!checked.ok) throw rejected(c, client.clientId, checked.error, checked.reason, idp.issuer);
    const { assertion } = checked;
    if (!assertion.emailVerified) throw rejected(c, client.clientId, "invalid_grant", "email missing or not verified", idp.issuer, "the assertion carries no verified email address");
    const domain = assertion.email?.slice(assertion.email.lastIndexOf("@") + 1);
    const admitted = await admitEmailDomain(c, { domain, verified: true });
    if (!admitted.ok) throw rejected(c, client.clientId, "invalid_grant", `email policy: ${admitted.reason}`, idp.issuer, "the person's email address may not sign in here");

    // Spent before anything is created: of concurrent presentations exactly one goes on.
    // A Worker built on the package before the binding existed may lack it: refused, not crashed.
    const ledgers = (c.env as { ASSERTIONS?: DurableObjectNamespace<AssertionLedger> }).ASSERTIONS;
    if (!ledgers) throw new OAuthError("temporarily_unavailable", "enterprise-managed authorization is not set up on this server", { reason: "no ASSERTIONS binding" });
    const ledger = ledgers.get(ledgers.idFromName(await sha256(`${idp.issuer}\n${assertion.jti}`)));
    const spent = await ledger.spend({ expiresAt: (assertion.expiresAt + 60) * 1000 });
    if (!spent.ok) {
      audit(c, { type: "assertion.replayed", clientId: client.clientId, detail: { issuer: idp.issuer } });
      throw new OAuthError("invalid_grant", "the assertion was already used", { reason: spent.reason });
    }

    const identity = { provider: idp.provider, subject: assertion.subject, email: assertion.email, emailVerified: true, domain, name: assertion.name };
    const eventId = crypto.randomUUID();
    const onCreate = config.captureWebhook ? (userId: string) => userCreatedEvent({ ...identity, userId }, { clientId: client.clientId, clientName: client.clientName }, now, eventId) : undefined;
    const { userId, created } = await resolveUser(c.env.DB, identity, now, onCreate);
    if (created) {
      audit(c, { type: "user.created", userId, detail: { provider: identity.provider, enterprise: idp.issuer } });
      if (onCreate) c.executionCtx.waitUntil(deliverNow(c.env.DB, config, eventId));
    }

    const ttl = accessTokenTtlFor(config.clientPolicies, client, config.accessTokenTtl) + GRANT_MARGIN_SECONDS;
    // The grant keeps the person, not the IdP's subject (that stays in D1 `users`), as a browser grant does.
    const { subject: _subject, ...profile } = identity;
    const grant = await createGrant(c.env.GRANTS, { key: await vaultKey(c.env, c.get("config")), clientId: client.clientId, scope: assertion.scopes.join(" "), resource: assertion.resource, user: { ...profile, userId }, ttl });
    const { response, issued } = await tokenResponse(c, grant, client);
    // The index row, the enterprise IdP on the person, the client's use and the events that record them in one D1
    // round trip (issue 17).
    try {
      await writeWithEvents(
        c,
        [
          grantIndexUpsert(c.env.DB, { id: grant.grantId, userId, clientId: client.clientId, scope: grant.scope, resource: grant.resource, status: "active", createdAt: now, expiresAt: Math.ceil(grant.expiresAt / 1000) }),
          enterpriseRecord(c.env.DB, userId, idp.issuer),
          ...clientUse(c, client),
        ],
        [
          { type: "grant.created", grantId: grant.grantId, clientId: client.clientId, userId, detail: { enterprise: idp.issuer, scope: grant.scope } },
          { type: "assertion.redeemed", grantId: grant.grantId, clientId: client.clientId, userId, detail: { issuer: idp.issuer } },
          issued,
        ],
      );
    } catch (err) {
      await c.env.GRANTS.get(c.env.GRANTS.idFromString(grant.grantId)).revoke("grant index write failed");
      throw err;
    }
    return response;
  },
};

/**
 * A new grant, already active, through the Grant object's own transitions: created signed in with a code
 * (`beginSignedIn`) and redeemed at once with a verifier made here, without a refresh family; it ends with `ttl`.
 */
async function createGrant(
  grants: DurableObjectNamespace<Grant>,
  input: { key: SealingKey; clientId: string; scope: string; resource: string; user: GrantIdentity; ttl: number },
) {
  const id = grants.newUniqueId();
  const stub = grants.get(id);
  const verifier = randomSecret(32);
  const codeChallenge = await pkceS256(verifier);
  const request = { clientId: input.clientId, redirectUri: NO_REDIRECT, redirectUriSent: false, scope: input.scope, resource: input.resource, codeChallenge };
  const begun = await stub.beginSignedIn({ key: input.key, request, provider: ENTERPRISE_PROVIDER, user: input.user, authTime: Date.now(), refreshMaxTtlSeconds: input.ttl });
  if (!begun.ok) throw new Error(`a new grant refused beginSignedIn: ${begun.reason}`);
  const code = parseHandle("code", begun.code);
  if (!code) throw new Error("beginSignedIn returned no code handle");
  const redeemed = await stub.redeemCode(code.secret, { clientId: input.clientId, verifierChallenge: codeChallenge, issueRefreshToken: false, refreshIdleTtlSeconds: input.ttl, refreshMaxTtlSeconds: input.ttl });
  if (!redeemed.ok) throw new Error(`a new grant refused its own code: ${redeemed.reason}`);
  return redeemed.grant;
}

/**
 * A refused assertion: recorded (the check's name, never the assertion), and the error the client gets, whose
 * description names the failed check too — the checks are fixed phrases that carry no value of the assertion, and an
 * integrator wiring an IdP needs to know which claim to fix.
 */
function rejected(c: Context<AppEnv>, clientId: string, code: "invalid_grant" | "invalid_target" | "invalid_scope", reason: string, issuer?: string, description?: string): OAuthError {
  audit(c, { type: "assertion.rejected", clientId, detail: issuer === undefined ? { check: reason } : { check: reason, issuer } });
  return new OAuthError(code, description ?? `the assertion was refused: ${reason}`, { reason });
}
