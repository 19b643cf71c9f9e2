// Client authentication at /token, /revoke and /introspect (RFC 6749 §2.3, OAuth 2.1 §2.4).
import type { Context } from "hono";
import { sha256, timingSafeEqual } from "../crypto";
import { type ClientRecord, clientTouch, TOUCH_INTERVAL, type TokenEndpointAuthMethod } from "../db/clients";
import type { AppEnv } from "../http/app-env";
import { acceptsAuthMethod } from "../policy/client-rules";
import { knownClient } from "./client-lookup";
import { OAuthError } from "../errors";

interface PresentedCredentials {
  method: TokenEndpointAuthMethod;
  clientId: string;
  secret?: string;
}

/**
 * Authenticates the client of a form request by its registered method (`none`, `client_secret_basic`,
 * `client_secret_post`); throws `OAuthError("invalid_client")` (401) on any mismatch. A public client must present
 * no secret and a confidential one its secret, in the header or the body (`acceptsAuthMethod`,
 * src/policy/client-rules.ts). Nothing is fetched: a metadata document URL that /authorize has not stored is an
 * unknown client.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 * @see https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1-13#section-2.4
 */
export async function authenticateClient(c: Context<AppEnv>, form: Record<string, string>): Promise<ClientRecord> {
  const presented = presentedCredentials(c.req.header("Authorization"), form);
  const client = await knownClient(c, presented.clientId);
  if (!client) throw invalidClient("client authentication failed", "unknown client");
  if (!acceptsAuthMethod(client.tokenEndpointAuthMethod, presented.method)) {
    throw invalidClient("client authentication failed", `method ${presented.method} used, ${client.tokenEndpointAuthMethod} registered`);
  }
  if (presented.secret !== undefined) {
    const hash = await sha256(presented.secret);
    if (!client.clientSecretHash || !timingSafeEqual(hash, client.clientSecretHash)) {
      throw invalidClient("client authentication failed", "wrong client secret");
    }
  }
  return client;
}

/**
 * The write recording that `client` is issued a token, when one is due (throttled), for the grant type to send with
 * the write that issues it. Only issuance counts: authenticating proves nothing for a public client, and a
 * registration that was never used is what the sweep and the per-source registration cap look for.
 */
export function clientUse(c: Context<AppEnv>, client: ClientRecord): D1PreparedStatement[] {
  const now = Math.floor(Date.now() / 1000);
  if (client.lastUsedAt !== undefined && now - client.lastUsedAt < TOUCH_INTERVAL) return [];
  return [clientTouch(c.env.DB, client.clientId, now)];
}

/** The credentials in the request and the method they imply; more than one method is refused (RFC 6749 §2.3). */
function presentedCredentials(authorization: string | undefined, form: Record<string, string>): PresentedCredentials {
  // RFC 6749 §2.3.1 lets a client omit an empty secret, so an empty client_secret is no secret.
  const formSecret = form.client_secret || undefined;
  if (authorization !== undefined) {
    const basic = parseBasic(authorization);
    if (formSecret !== undefined) throw invalidClient("use only one client authentication method", "basic and post credentials");
    if (form.client_id !== undefined && form.client_id !== basic.clientId) {
      throw invalidClient("client_id does not match the Authorization header", "client_id mismatch");
    }
    return { method: "client_secret_basic", clientId: basic.clientId, secret: basic.secret };
  }
  if (!form.client_id) throw invalidClient("client authentication is required", "no client_id");
  if (formSecret !== undefined) return { method: "client_secret_post", clientId: form.client_id, secret: formSecret };
  return { method: "none", clientId: form.client_id };
}

/**
 * `Basic base64(urlencode(client_id) ":" urlencode(client_secret))`: RFC 6749 §2.3.1 form-urlencodes each part
 * before joining them, so both are decoded here (a secret may itself contain `:`, `%` or `+`).
 */
function parseBasic(authorization: string): { clientId: string; secret: string } {
  const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(authorization);
  if (!match?.[1]) throw invalidClient("the Authorization header must use the Basic scheme", "malformed Authorization header");
  let decoded: string;
  try {
    const bytes = Uint8Array.from(atob(match[1]), (ch) => ch.charCodeAt(0));
    decoded = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw invalidClient("the Authorization header is malformed", "basic credentials not base64 UTF-8");
  }
  const colon = decoded.indexOf(":");
  if (colon < 0) throw invalidClient("the Authorization header is malformed", "basic credentials without a colon");
  const clientId = formDecode(decoded.slice(0, colon));
  const secret = formDecode(decoded.slice(colon + 1));
  if (!clientId || !secret) throw invalidClient("the Authorization header is malformed", "basic credentials with an empty part");
  return { clientId, secret };
}

/** `application/x-www-form-urlencoded` decoding of one value: `+` is a space, then percent-decoding. */
function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, " "));
  } catch {
    return undefined;
  }
}

function invalidClient(description: string, reason: string): OAuthError {
  return new OAuthError("invalid_client", description, { reason });
}
