// A live grant made directly on a real Grant Durable Object, for tests that mint access tokens themselves.
import { env } from "cloudflare:workers";
import { randomSecret } from "../../../src/crypto";
import { parseHandle } from "../../../src/durable/handle";

const CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/** Runs a new grant through begin → callback → code → redemption and returns its id (the tokens' `sid`). */
export async function liveGrantId(clientId = "client-1"): Promise<string> {
  const id = env.GRANTS.newUniqueId();
  const stub = env.GRANTS.get(id);
  const stateSecret = randomSecret();
  const browserBinding = randomSecret();
  const request = { clientId, redirectUri: "http://127.0.0.1:3000/cb", redirectUriSent: true, scope: "mcp", resource: "http://localhost:8787/mcp", codeChallenge: CHALLENGE };
  await stub.begin({ request, provider: "dev", stateSecret, browserBinding, nonce: "n", codeVerifier: "v", upstreamRedirectUri: "http://localhost:8787/callback" });
  await stub.takePending(stateSecret, browserBinding);
  const login = await stub.completeLogin({ user: { userId: "usr_ada", provider: "dev", emailVerified: true }, authTime: Date.now() });
  if (!login.ok) throw new Error(login.reason);
  const code = parseHandle("code", login.code);
  if (!code) throw new Error("no code handle");
  const redeemed = await stub.redeemCode(code.secret, { clientId, redirectUri: request.redirectUri, verifierChallenge: CHALLENGE, issueRefreshToken: false, refreshIdleTtlSeconds: 30 * 86_400, refreshMaxTtlSeconds: 90 * 86_400 });
  if (!redeemed.ok) throw new Error(redeemed.reason);
  return id.toString();
}
