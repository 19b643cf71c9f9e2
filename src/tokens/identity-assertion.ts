// The identity assertion the gateway sends an origin MCP server instead of the client's token: who is calling,
// signed with the KeyRing's keys (the JWKS clients already see), short-lived, and never usable as an access token.
// @see DESIGN.md "Gateway"; MCP security best practices, "Token Passthrough"
import { SignJWT } from "jose";
import type { Config } from "../config";
import type { McpServer } from "../config/servers";
import { randomSecret } from "../crypto";
import type { Env } from "../env";
import type { Caller } from "../identity";
import { IDENTITY_ASSERTION_TTL, IDENTITY_ASSERTION_TYPE } from "../lib/verify-identity";
import { signingKey } from "./key-cache";

/** Assertions one isolate keeps at most; the oldest go first. */
const MAX_CACHED = 10_000;

const cache = new Map<string, { token: string; expiresAt: number }>();

/** The audience of a server's assertions: its origin URL exactly, or `service:<binding>`. */
function assertionAudience(server: Pick<McpServer, "origin" | "service">): string {
  if (server.origin !== undefined) return server.origin;
  return `service:${server.service}`;
}

/**
 * The assertion for `caller` at `server`: minted once per grant, server and scope, and reused by this isolate
 * until half its life is gone, so an origin sees a steady token and Gatehouse signs rarely.
 */
export async function identityAssertion(env: Env, config: Config, server: McpServer, caller: Caller, now = Date.now()): Promise<string> {
  const audience = assertionAudience(server);
  const scope = caller.scopes.join(" ");
  const key = `${caller.grantId}\n${audience}\n${scope}`;
  const known = cache.get(key);
  if (known && known.expiresAt * 1000 - now > (IDENTITY_ASSERTION_TTL * 1000) / 2) return known.token;
  const { kid, key: signing } = await signingKey(env);
  const issuedAt = Math.floor(now / 1000);
  const expiresAt = issuedAt + IDENTITY_ASSERTION_TTL;
  const token = await new SignJWT({
    email: caller.email,
    email_verified: caller.emailVerified,
    org_id: caller.orgId,
    org_name: caller.orgName,
    client_id: caller.clientId,
    scope,
    sid: caller.grantId,
  })
    .setProtectedHeader({ alg: "ES256", typ: IDENTITY_ASSERTION_TYPE, kid })
    .setIssuer(config.issuer)
    .setSubject(caller.subject)
    .setAudience(audience)
    .setIssuedAt(issuedAt)
    .setExpirationTime(expiresAt)
    .setJti(randomSecret(16))
    .sign(signing);
  cache.delete(key);
  cache.set(key, { token, expiresAt });
  if (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value ?? "");
  return token;
}
