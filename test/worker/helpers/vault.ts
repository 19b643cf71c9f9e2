// A sealing key and a vault deposit for tests that drive the Grant object directly.
import type { SealingKey } from "../../../src/crypto";
import type { VaultDeposit } from "../../../src/durable/vault-state";

/** A fixed AES-256 key (32 bytes of 0x07) under a recognisable id. */
export const TEST_KEY: SealingKey = { id: "testkey1", raw: "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc" };

/** Upstream tokens of the provider `dev`, valid for an hour. */
export function deposit(overrides: Partial<VaultDeposit["tokens"]> = {}, provider = "dev"): VaultDeposit {
  return { provider, clientId: "gatehouse", tokens: { accessToken: "upstream-at", refreshToken: "upstream-rt", expiresAt: Date.now() + 3_600_000, scope: "openid email", tokenType: "bearer", ...overrides } };
}
