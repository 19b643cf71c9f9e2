// The gateway's MCP session ids: the origin's id with an HMAC-SHA256 tag binding it to the grant and server it was
// issued under, so a leaked session id is useless without that grant's token. The key is a random secret kept by
// the KeyRing instance "gateway-sessions" (never leaves the Worker), imported once per isolate.
// @see MCP security best practices, "Session Hijacking"; MCP specification, basic/transports ("Session Management")
import { base64url } from "jose";
import type { Env } from "../env";

/** Whom a session id belongs to: the grant behind the token, and the server (MCP_SERVERS `name`). */
export interface SessionBinding {
  grantId: string;
  server: string;
}

let cached: Promise<CryptoKey> | undefined;

/** The HMAC key of gateway session ids. */
export function gatewaySessionKey(env: Env): Promise<CryptoKey> {
  if (!cached) {
    const key = env.KEYS.get(env.KEYS.idFromName("gateway-sessions"))
      .getSealingKey()
      .then((raw) => crypto.subtle.importKey("raw", base64url.decode(raw), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]));
    key.catch(() => {
      if (cached === key) cached = undefined;
    });
    cached = key;
  }
  return cached;
}

/** Lines cannot appear in any part (ids are visible ASCII, MCP transports), so no two bindings sign the same bytes. */
const signed = (binding: SessionBinding, originId: string) => new TextEncoder().encode(`gatehouse gateway session\n${binding.grantId}\n${binding.server}\n${originId}`);

/** Versions the format of the tag after the origin's id (docs/storage.md). */
const SEPARATOR = ".gs1.";

/** The id the client sees for the origin's `originId`: `<origin id>.gs1.<tag>`. */
export async function bindSessionId(key: CryptoKey, binding: SessionBinding, originId: string): Promise<string> {
  const tag = await crypto.subtle.sign("HMAC", key, signed(binding, originId));
  return `${originId}${SEPARATOR}${base64url.encode(new Uint8Array(tag))}`;
}

/** The origin's id inside `clientId`, or `undefined` when Gatehouse did not issue it under this grant and server. */
export async function openSessionId(key: CryptoKey, binding: SessionBinding, clientId: string): Promise<string | undefined> {
  const at = clientId.lastIndexOf(SEPARATOR);
  const encoded = clientId.slice(at + SEPARATOR.length);
  if (at <= 0 || !/^[A-Za-z0-9_-]+$/.test(encoded)) return undefined;
  const originId = clientId.slice(0, at);
  let tag: Uint8Array;
  try {
    tag = base64url.decode(encoded);
  } catch {
    return undefined;
  }
  // verify compares in constant time.
  return (await crypto.subtle.verify("HMAC", key, tag, signed(binding, originId))) ? originId : undefined;
}
