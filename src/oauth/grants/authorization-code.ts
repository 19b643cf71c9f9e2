// grant_type=authorization_code: the code's grant redeems it once, checking client, redirect URI, PKCE and resource.
import * as z from "zod";
import type { SecurityEvent } from "../../db/events";
import { grantIndexUpsert } from "../../db/grants";
import type { GrantError } from "../../durable/grant-state";
import { parseHandle } from "../../durable/handle";
import { grantStub } from "../../durable/grant-stub";
import { audit, writeWithEvents } from "../../http/audit";
import { OAuthError } from "../../errors";
import { grantRevoked, revokeUpstreamLater } from "../../http/grant-revoked";
import { parseParams } from "../../lib/params";
import { servedGrantTypes } from "../../policy/client-rules";
import { CODE_VERIFIER, pkceS256 } from "../../policy/pkce";
import { presentedResource } from "../../policy/resource";
import { vaultKey } from "../../tokens/seal";
import { clientUse } from "../client-auth";
import type { GrantType } from "./grant-type";
import { tokenResponse } from "./issue";

const request = z.object({
  code: z.string().min(1).max(1024),
  code_verifier: z.string().regex(CODE_VERIFIER),
  redirect_uri: z.string().min(1).max(4096).optional(),
  resource: z.string().min(1).max(4096).optional(),
});

/**
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.6
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2.2
 */
export const authorizationCodeGrant: GrantType = {
  grantType: "authorization_code",
  presentedGrant: (form) => parseHandle("code", form.code)?.grantId,
  async handle(c, form, client) {
    const params = parseParams(request, form);
    const handle = parseHandle("code", params.code);
    const stub = handle && grantStub(c.env, handle.grantId);
    if (!handle || !stub) throw new OAuthError("invalid_grant", "the authorization code is invalid", { reason: "code is not a code handle" });
    const grantId = handle.grantId;
    const access = { key: await vaultKey(c.env, c.get("config")) };
    const result = await stub.redeemCode(handle.secret, {
      clientId: client.clientId,
      redirectUri: params.redirect_uri,
      verifierChallenge: await pkceS256(params.code_verifier),
      resource: presentedResource(c.get("config"), params.resource),
      issueRefreshToken: servedGrantTypes(client).includes("refresh_token"),
      refreshIdleTtlSeconds: c.get("config").refreshIdleTtl,
      refreshMaxTtlSeconds: c.get("config").refreshMaxTtl,
    }, access);
    if (!result.ok) {
      if (result.error === "code_replayed" || result.error === "duplicate_submission") {
        audit(c, { type: "code.replayed", grantId, clientId: client.clientId, detail: { revoked: result.revoked === true } });
      }
      if (result.revoked) grantRevoked(c, grantId, client.clientId, result.reason);
      revokeUpstreamLater(c, result.upstream ?? []);
      throw redemptionError(result.error, result.reason);
    }
    const { grant } = result;
    // The index row written with the code expires with it (60 s); bulk revocation (admin API, /account) and the sweep
    // go by the row's expiry, so the grant's own lifetime is written before the tokens leave (with the events, in one
    // round trip), and a grant whose row cannot be updated is withdrawn rather than left live where nobody can find it.
    // The access token is minted first, so that its issue and the client's use go in that round trip too.
    const { response, issued } = await tokenResponse(c, grant, client);
    const events: SecurityEvent[] = [{ type: "code.redeemed", grantId, clientId: grant.clientId, userId: grant.user.userId }];
    if (grant.refreshToken) events.push({ type: "refresh_token.issued", grantId, clientId: grant.clientId, userId: grant.user.userId });
    try {
      await writeWithEvents(c, [grantIndexUpsert(c.env.DB, {
        id: grantId,
        userId: grant.user.userId,
        clientId: grant.clientId,
        scope: grant.scope,
        resource: grant.resource,
        status: "active",
        createdAt: Math.floor(grant.createdAt / 1000),
        expiresAt: Math.ceil(grant.expiresAt / 1000),
      }), ...clientUse(c, client)], [...events, issued]);
    } catch (err) {
      const revoked = await stub.revoke("grant index write failed", access);
      if (revoked.ok) revokeUpstreamLater(c, revoked.upstream);
      grantRevoked(c, grantId, client.clientId, "grant index write failed");
      throw err;
    }
    return response;
  },
};

/** The RFC 6749 §5.2 error for a refused redemption (`invalid_target` for the resource, RFC 8707 §2). */
function redemptionError(error: GrantError, reason: string): OAuthError {
  switch (error) {
    case "client_mismatch":
      return new OAuthError("invalid_grant", "the authorization code was issued to another client", { reason });
    case "redirect_uri_mismatch":
      return new OAuthError("invalid_grant", "redirect_uri does not match the authorization request", { reason });
    case "pkce_mismatch":
      return new OAuthError("invalid_grant", "code_verifier does not match the code_challenge", { reason });
    case "resource_mismatch":
      return new OAuthError("invalid_target", "resource does not match the authorization request", { reason });
    default:
      return new OAuthError("invalid_grant", "the authorization code is invalid, expired or already used", { reason });
  }
}
