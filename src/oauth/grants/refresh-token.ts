// grant_type=refresh_token: the token's grant rotates it atomically (replay window, reuse ⇒ revocation).
import * as z from "zod";
import { grantStub } from "../../durable/grant-stub";
import type { GrantError } from "../../durable/grant-state";
import { parseHandle } from "../../durable/handle";
import { audit, writeLater } from "../../http/audit";
import { OAuthError } from "../../errors";
import { grantRevoked, revokeUpstreamLater } from "../../http/grant-revoked";
import { revokeGrant } from "../../http/revoke-grants";
import { parseParams } from "../../lib/params";
import { vaultKey } from "../../tokens/seal";
import { presentedResource, resourceNamed } from "../../policy/resource";
import type { GrantType } from "./grant-type";
import { tokenResponse } from "./issue";
import { clientUse } from "../client-auth";
import { checkStanding } from "../standing";

const request = z.object({
  refresh_token: z.string().min(1).max(1024),
  scope: z.string().max(1024).optional(),
  resource: z.string().min(1).max(4096).optional(),
});

/**
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 * @see https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1-13#section-4.3
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2.2
 */
export const refreshTokenGrant: GrantType = {
  grantType: "refresh_token",
  presentedGrant: (form) => parseHandle("refresh", form.refresh_token)?.grantId,
  async handle(c, form, client) {
    const params = parseParams(request, form);
    const handle = parseHandle("refresh", params.refresh_token);
    const stub = handle && grantStub(c.env, handle.grantId);
    if (!handle || !stub) throw new OAuthError("invalid_grant", "the refresh token is invalid", { reason: "not a refresh token handle" });
    const grantId = handle.grantId;
    const scope = params.scope?.split(" ").filter(Boolean);
    const result = await stub.rotateRefresh(handle.secret, {
      clientId: client.clientId,
      scope: scope?.length ? scope : undefined,
      resource: presentedResource(c.get("config"), params.resource),
      replayWindowSeconds: c.get("config").refreshReplayWindow,
      refreshIdleTtlSeconds: c.get("config").refreshIdleTtl,
    }, { key: await vaultKey(c.env, c.get("config")) });
    if (!result.ok) {
      if (result.error === "refresh_reused") audit(c, { type: "refresh_token.reused", grantId, clientId: client.clientId, detail: { revoked: true } });
      if (result.revoked) grantRevoked(c, grantId, client.clientId, result.reason);
      revokeUpstreamLater(c, result.upstream ?? []);
      throw refreshError(result.error, result.reason);
    }
    const { grant } = result;
    // A grant for a server since removed from MCP_SERVERS can never serve again: the client is to sign in anew.
    if (!resourceNamed(c.get("config"), grant.resource)) throw new OAuthError("invalid_grant", "the refresh token is invalid, expired or revoked", { reason: "grant resource no longer configured" });
    // Minted before the person's standing is known, so that its record goes in the standing read's batch; a token
    // refused there never leaves this function.
    const { response, issued } = await tokenResponse(c, grant, client);
    const who = { grantId, clientId: grant.clientId, userId: grant.user.userId };
    // The person's standing now, not at sign-in: blocked since, or no longer admitted by the email policy, ends the grant.
    const standing = await checkStanding(c, grant.user.userId, [{ type: result.replayed ? "refresh_token.replayed" : "refresh_token.rotated", ...who }, issued]);
    if (!standing.ok) {
      await revokeGrant(c, { id: grantId, clientId: grant.clientId }, `standing: ${standing.detail}`);
      audit(c, { type: "refresh_token.refused", ...who, detail: { standing: standing.reason } });
      throw new OAuthError("invalid_grant", "the refresh token is invalid, expired or revoked", { reason: `standing: ${standing.detail}` });
    }
    for (const statement of clientUse(c, client)) writeLater(c, statement);
    return response;
  },
};

/**
 * The RFC 6749 §5.2 error for a refused refresh. A refresh token bound to another resource than the one asked for
 * never will be, so it is `invalid_grant`, not RFC 8707's `invalid_target`: MCP SDK clients restart sign-in on
 * `invalid_grant` and throw on `invalid_target` (issue 19), leaving the person stuck with a dead grant.
 */
function refreshError(error: GrantError, reason: string): OAuthError {
  switch (error) {
    case "scope_widened":
      return new OAuthError("invalid_scope", "the requested scope exceeds the scope granted", { reason });
    case "resource_mismatch":
      return new OAuthError("invalid_grant", "the refresh token was issued for another resource", { reason });
    case "client_mismatch":
      return new OAuthError("invalid_grant", "the refresh token was issued to another client", { reason });
    default:
      return new OAuthError("invalid_grant", "the refresh token is invalid, expired or revoked", { reason });
  }
}
