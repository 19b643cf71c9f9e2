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

/**
 * An AES-256-GCM key as it travels to a Durable Object in a transition's input: `id` names it without revealing it
 * (a hash prefix, so a value sealed under another key is recognised, not misread), `raw` is its 32 bytes in base64url.
 */
export interface SealingKey {
  id: string;
  raw: string;
}

/** GCM's recommended 96-bit nonce, random per seal. */
const IV_BYTES = 12;

const imported = new Map<string, Promise<CryptoKey>>();

/** The WebCrypto key for `key`, imported once per isolate. */
function aesKey(key: SealingKey): Promise<CryptoKey> {
  let found = imported.get(key.id);
  if (!found) {
    const bytes = base64url.decode(key.raw);
    if (bytes.byteLength !== 32) throw new Error("sealing key is not 32 bytes");
    found = crypto.subtle.importKey("raw", bytes, "AES-GCM", false, ["encrypt", "decrypt"]);
    imported.set(key.id, found);
    found.catch(() => imported.delete(key.id));
  }
  return found;
}

/**
 * Encrypts `plaintext` under `key` with `aad` bound in: `<iv>.<ciphertext>` (base64url). The caller puts its format
 * prefix, the key id and what the value belongs to into `aad`, so a value moved elsewhere cannot be opened.
 */
export async function sealText(key: SealingKey, aad: string, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const ciphertext = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: encoder.encode(aad) }, await aesKey(key), encoder.encode(plaintext));
  return `${base64url.encode(iv)}.${base64url.encode(new Uint8Array(ciphertext))}`;
}

/** Decrypts what `sealText` made with the same key and `aad`; `undefined` when altered, malformed or bound elsewhere. */
export async function openText(key: SealingKey, aad: string, sealed: string): Promise<string | undefined> {
  const [iv, ciphertext, extra] = sealed.split(".");
  if (!iv || !ciphertext || extra !== undefined) return undefined;
  try {
    const plaintext = await crypto.subtle.decrypt({ name: "AES-GCM", iv: base64url.decode(iv), additionalData: encoder.encode(aad) }, await aesKey(key), base64url.decode(ciphertext));
    return new TextDecoder().decode(plaintext);
  } catch {
    return undefined;
  }
}
