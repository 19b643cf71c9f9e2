// What follows a grant's revocation at the Worker, wherever it was decided (code replay, refresh reuse, /revoke).
import type { Context } from "hono";
import { markGrantRevoked } from "../db/grants";
import type { RemovedUpstream } from "../durable/vault-state";
import type { AppEnv } from "./app-env";
import { forgetGrant } from "../tokens/liveness";
import { audit } from "./audit";

/** Records `grant.revoked`, marks the D1 index, and stops this isolate's /mcp accepting the grant's tokens at once. */
export function grantRevoked(c: Context<AppEnv>, grantId: string, clientId: string, reason: string): void {
  forgetGrant(grantId);
  audit(c, { type: "grant.revoked", grantId, clientId, detail: { reason } });
  c.executionCtx.waitUntil(
    markGrantRevoked(c.env.DB, grantId, Math.floor(Date.now() / 1000)).catch((err: unknown) =>
      console.error(JSON.stringify({ event: "grant.index_failed", grant_id: grantId, error: err instanceof Error ? err.name : "unknown" })),
    ),
  );
}

/** Revokes a revoked grant's upstream tokens at their providers in the background: the answer does not wait for them. */
export function revokeUpstreamLater(c: Context<AppEnv>, removed: RemovedUpstream[]): void {
  const revoke = c.get("revokeUpstream");
  if (removed.length > 0 && revoke) c.executionCtx.waitUntil(revoke(removed));
}
