// Small cryptographic helpers shared by every layer: random secrets, SHA-256 hashes, constant-time comparison.
import { base64url } from "jose";

const encoder = new TextEncoder();

/** A base64url string of `bytes` random bytes (32 bytes = 256 bits by default). */
export function randomSecret(bytes = 32): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** base64url(SHA-256(value)) — the only form in which codes, tokens and client secrets are stored. */
export async function sha256(value: string): Promise<string> {
  return base64url.encode(new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(value))));
}

/** Compares two strings without leaking where they differ (lengths are not secret: both sides are hashes). */
export function timingSafeEqual(a: string, b: string): boolean {
  const left = encoder.encode(a);
  const right = encoder.encode(b);
  if (left.byteLength !== right.byteLength) return false;
  return crypto.subtle.timingSafeEqual(left, right);
}

/** Whether two secrets are equal, comparing their SHA-256 hashes in constant time so not even the length leaks. */
export async function secretsEqual(presented: string, expected: string): Promise<boolean> {
  return timingSafeEqual(await sha256(presented), await sha256(expected));
}

/** base64url(HMAC-SHA-256(key, value)): deterministic secrets that only the key's holder can derive. */
export async function hmacSha256(key: string, value: string): Promise<string> {
  const imported = await crypto.subtle.importKey("raw", encoder.encode(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return base64url.encode(new Uint8Array(await crypto.subtle.sign("HMAC", imported, encoder.encode(value))));
}
