// Seals upstream tokens (AES-256-GCM, WebCrypto) before they are stored in a grant, bound to that grant's id.
// The key is UPSTREAM_TOKEN_KEY when set, else one kept by the KeyRing instance "sealing". See docs/storage.md.
import { base64url } from "jose";
import type { Config } from "../config";
import { sha256 } from "../crypto";
import type { Env } from "../env";


/** Version prefix of a sealed value: `gh1u.<key id>.<iv>.<ciphertext>` (all base64url). */
const PREFIX = "gh1u";
/** GCM's recommended 96-bit nonce, random per seal. */
const IV_BYTES = 12;

interface SealingKey {
  /** Names the key without revealing it, so a value sealed under another key is recognised, not misread. */
  id: string;
  key: CryptoKey;
}

let cached: { source: string; key: Promise<SealingKey> } | undefined;

/** Encrypts `tokens` for the grant `grantId`; the result is opaque text safe to store. */
export async function sealUpstreamTokens(env: Env, config: Config, grantId: string, tokens: UpstreamTokens): Promise<string> {
  const { id, key } = await sealingKey(env, config);
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const plaintext = new TextEncoder().encode(JSON.stringify(tokens));
  const ciphertext = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad(id, grantId) }, key, plaintext);
  return [PREFIX, id, base64url.encode(iv), base64url.encode(new Uint8Array(ciphertext))].join(".");
}

/**
 * Decrypts a sealed value of the grant `grantId`; `undefined` when it was sealed under another key or for another
 * grant, or was altered (GCM authenticates it).
 */
export async function unsealUpstreamTokens(env: Env, config: Config, grantId: string, sealed: string): Promise<UpstreamTokens | undefined> {
  const [prefix, keyId, iv, ciphertext, extra] = sealed.split(".");
  if (prefix !== PREFIX || !keyId || !iv || !ciphertext || extra !== undefined) return undefined;
  const { id, key } = await sealingKey(env, config);
  if (keyId !== id) return undefined;
  try {
    const plaintext = await crypto.subtle.decrypt({ name: "AES-GCM", iv: base64url.decode(iv), additionalData: aad(id, grantId) }, key, base64url.decode(ciphertext));
    return JSON.parse(new TextDecoder().decode(plaintext)) as UpstreamTokens;
  } catch {
    return undefined;
  }
}

/** The key, imported once per isolate (per key source). */
function sealingKey(env: Env, config: Config): Promise<SealingKey> {
  const source = config.upstreamTokenKey ? `env:${config.upstreamTokenKey}` : "keyring";
  if (cached?.source !== source) {
    const key = loadKey(env, config);
    cached = { source, key };
    key.catch(() => {
      if (cached?.key === key) cached = undefined;
    });
  }
  return cached.key;
}

async function loadKey(env: Env, config: Config): Promise<SealingKey> {
  const raw = config.upstreamTokenKey ?? (await env.KEYS.get(env.KEYS.idFromName("sealing")).getSealingKey());
  const bytes = base64url.decode(raw);
  if (bytes.byteLength !== 32) throw new Error("sealing key is not 32 bytes");
  const key = await crypto.subtle.importKey("raw", bytes, "AES-GCM", false, ["encrypt", "decrypt"]);
  return { id: (await sha256(`gatehouse upstream token key\n${raw}`)).slice(0, 8), key };
}

/** Binds a sealed value to its format, key and grant: moving it into another grant makes it unreadable. */
function aad(keyId: string, grantId: string): Uint8Array {
  return new TextEncoder().encode(`${PREFIX}.${keyId}.${grantId}`);
}

/** Upstream tokens kept (encrypted) in the grant for later use. */
export interface UpstreamTokens {
  accessToken: string;
  refreshToken?: string;
  /** When the upstream access token expires, in epoch milliseconds (absent when the provider did not say). */
  expiresAt?: number;
  idToken?: string;
}
