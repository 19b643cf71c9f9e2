// The key that seals what a grant keeps of the upstream (its token vault, its pending leg's nonce and verifier):
// UPSTREAM_TOKEN_KEY when set, else one kept by the KeyRing instance "sealing". The Grant object seals and opens
// with it (src/durable/vault.ts); it arrives in the transitions' inputs. See docs/storage.md.
import { base64url } from "jose";
import type { Config } from "../config";
import { type SealingKey, sha256 } from "../crypto";
import type { Env } from "../env";

let cached: { source: string; key: Promise<SealingKey> } | undefined;

/** The sealing key for grant transitions, loaded once per isolate (per key source). */
export function vaultKey(env: Env, config: Config): Promise<SealingKey> {
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
  if (base64url.decode(raw).byteLength !== 32) throw new Error("sealing key is not 32 bytes");
  // The id names the key without revealing it, so a value sealed under another key is recognised, not misread.
  return { id: (await sha256(`gatehouse upstream token key\n${raw}`)).slice(0, 8), raw };
}
