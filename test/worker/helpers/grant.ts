// A live grant made directly on a real Grant Durable Object, for tests that mint access tokens themselves.
import { env } from "cloudflare:workers";
import { randomSecret } from "../../../src/crypto";
import { loadConfig } from "../../../src/config";
import { parseHandle } from "../../../src/durable/handle";
import type { VaultDeposit } from "../../../src/durable/vault-state";
import { vaultKey } from "../../../src/tokens/seal";

const CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/**
 * Runs a new grant through begin → callback → code → redemption and returns its id (the tokens' `sid`); `upstream`
 * goes into its vault, sealed with the Worker's own key.
 */
export async function liveGrantId(clientId = "client-1", upstream: VaultDeposit[] = []): Promise<string> {
  const key = await vaultKey(env, loadConfig(env));
  const id = env.GRANTS.newUniqueId();
  const stub = env.GRANTS.get(id);
  const stateSecret = randomSecret();
  const browserBinding = randomSecret();
  const request = { clientId, redirectUri: "http://127.0.0.1:3000/cb", redirectUriSent: true, scope: "mcp", resource: "http://localhost:8787/mcp", codeChallenge: CHALLENGE };
  await stub.begin({ key, request, provider: "dev", stateSecret, browserBinding, nonce: "n", codeVerifier: "v", upstreamRedirectUri: "http://localhost:8787/callback" });
  await stub.takePending({ key, stateSecret, browserBinding });
  const login = await stub.completeLogin({ key, upstream, user: { userId: "usr_ada", provider: "dev", emailVerified: true }, authTime: Date.now() });
  if (!login.ok) throw new Error(login.reason);
  const code = parseHandle("code", login.code);
  if (!code) throw new Error("no code handle");
  const redeemed = await stub.redeemCode(code.secret, { clientId, redirectUri: request.redirectUri, verifierChallenge: CHALLENGE, issueRefreshToken: false, refreshIdleTtlSeconds: 30 * 86_400, refreshMaxTtlSeconds: 90 * 86_400 });
  if (!redeemed.ok) throw new Error(redeemed.reason);
  return id.toString();
}
