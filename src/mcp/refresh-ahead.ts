// POST /_gatehouse/vault/refresh-ahead: where a Grant object's alarm asks this Worker, through `ctx.exports.default`,
// to refresh its recently used upstream tokens before they expire. Only the alarm's own ticket is honoured.
import { Hono } from "hono";
import * as z from "zod";
import { grantStub } from "../durable/grant-stub";
import type { AppEnv } from "../http/app-env";
import { grantRevoked, revokeUpstreamLater } from "../http/grant-revoked";
import { logRequests } from "../http/request-log";
import { vaultKey } from "../tokens/seal";
import { upstreamRefresher } from "../upstream/refresh";

/** The path, under PUBLIC_URL (the request passes the host check like any other). */
export const REFRESH_AHEAD_PATH = "/_gatehouse/vault/refresh-ahead";

const body = z.object({ grant_id: z.string().max(128), ticket: z.string().max(128) }).strict();

export const refreshAheadRoutes = new Hono<AppEnv>();

refreshAheadRoutes.post(REFRESH_AHEAD_PATH, logRequests, async (c) => {
  const parsed = body.safeParse(await c.req.json().catch(() => undefined));
  const stub = parsed.success ? grantStub(c.env, parsed.data.grant_id) : undefined;
  if (!parsed.success || !stub) return c.body(null, 400);
  const config = c.get("config");
  const providers = config.upstreams.map((p) => ({ provider: p.name, clientId: p.clientId, refresh: upstreamRefresher(c.env, config, p) }));
  const result = await stub.refreshAhead({ key: await vaultKey(c.env, config), ticket: parsed.data.ticket, providers });
  // Anyone may post here; without the alarm's ticket the object changed nothing, and nothing is said about why.
  if (!result.ok) return c.body(null, 404);
  for (const { result: refreshed } of result.results) {
    if (!refreshed.ok && refreshed.revoked) grantRevoked(c, parsed.data.grant_id, result.clientId, "upstream_revoked");
    if (!refreshed.ok) revokeUpstreamLater(c, refreshed.upstream ?? []);
  }
  return c.body(null, 204);
});
