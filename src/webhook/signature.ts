// Webhook signatures in Stripe's scheme: `Gatehouse-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256("<t>.<body>")>`.
// Pure functions; the receiver side (`verifySignature`) is what docs/webhooks.md shows and tests use.

export const SIGNATURE_HEADER = "Gatehouse-Signature";
/** Receivers reject signatures older (or further in the future) than this, so a captured request cannot be replayed. */
export const SIGNATURE_TOLERANCE = 300;

const encoder = new TextEncoder();

async function hmacHex(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(message)));
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The `Gatehouse-Signature` value for `body` sent at `timestamp` (Unix seconds).
 * @see https://docs.stripe.com/webhooks#verify-manually
 */
export async function signatureHeader(secret: string, timestamp: number, body: string): Promise<string> {
  return `t=${timestamp},v1=${await hmacHex(secret, `${timestamp}.${body}`)}`;
}

/** Why a signature was refused, or `ok`. */
export type SignatureCheck = "ok" | "malformed" | "stale" | "mismatch";

/** Checks `header` against `body` as a receiver does: a well-formed header, a fresh `t`, and a matching `v1` (constant time). */
export async function verifySignature(secret: string, header: string | null, body: string, now = Math.floor(Date.now() / 1000)): Promise<SignatureCheck> {
  const parts = new Map((header ?? "").split(",").map((p) => [p.slice(0, p.indexOf("=")), p.slice(p.indexOf("=") + 1)] as const));
  const t = parts.get("t");
  const v1 = parts.get("v1");
  if (!t || !/^\d{1,12}$/.test(t) || !v1 || !/^[0-9a-f]{64}$/.test(v1)) return "malformed";
  if (Math.abs(now - Number(t)) > SIGNATURE_TOLERANCE) return "stale";
  const expected = encoder.encode(await hmacHex(secret, `${t}.${body}`));
  return crypto.subtle.timingSafeEqual(expected, encoder.encode(v1)) ? "ok" : "mismatch";
}
