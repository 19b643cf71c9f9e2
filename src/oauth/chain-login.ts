// Chained logins for servers that require linked providers (README "Linking several providers"): once the person has
// signed in with the primary provider, each required provider they have no live link to gets a leg of its own — its
// own state, PKCE verifier and nonce, answered only at its own callback path — through the same grant, and then the
// client gets one code. Every leg's tokens go into the grant's vault; each connected account is recorded as a link.
import type { Context } from "hono";
import { generateRandomCodeVerifier, generateRandomNonce } from "oauth4webapi";
import { randomSecret } from "../crypto";
import { listLinks, recordLink } from "../db/links";
import type { Grant } from "../durable/grant";
import type { LinkingLeg } from "../durable/grant-state";
import { grantStub } from "../durable/grant-stub";
import { formatHandle } from "../durable/handle";
import type { VaultDeposit } from "../durable/vault-state";
import { PageError } from "../errors";
import type { AppEnv } from "../http/app-env";
import { audit } from "../http/audit";
import type { GrantIdentity, UpstreamIdentity } from "../identity";
import type { AuthorizationParams } from "../policy/authorize-request";
import { planLinks, requiredLinks } from "../policy/linking";
import { vaultKey } from "../tokens/seal";
import { callbackUri, type UpstreamLeg, upstreamAuthorizationUrl } from "../upstream/federation";
import { finishAuthorization } from "./finish-authorization";

/** The sign-in being chained: its grant, the client's request, and who signed in with the primary provider. */
export interface Chain {
  stub: DurableObjectStub<Grant>;
  grantId: string;
  request: AuthorizationParams;
  /** The provider the person signed in with. */
  primary: string;
  user: GrantIdentity;
  /** When they authenticated there, epoch ms. */
  authTime: number;
}

/** What the chain still has to do after the primary leg: links reused as they are, and providers to connect, in order. */
export interface ChainPlan {
  reused: VaultDeposit[];
  connect: string[];
}

/**
 * After the primary leg: the providers the server requires; for each the person has a live link to, a token lent by
 * the grant holding it (`lendUpstream`: only one that never expires), the others to be connected in the server's order.
 */
export async function planChain(c: Context<AppEnv>, chain: Chain): Promise<ChainPlan> {
  const config = c.get("config");
  const required = requiredLinks(config.servers, chain.request.resource, chain.primary);
  if (required.length === 0) return { reused: [], connect: [] };
  const links = (await listLinks(c.env.DB, chain.user.userId, Math.floor(Date.now() / 1000))).filter((l) => l.live && required.includes(l.provider));
  const key = await vaultKey(c.env, config);
  const lent = await Promise.all(links.map((l) => grantStub(c.env, l.grantId)?.lendUpstream({ key, provider: l.provider })));
  const reusable = lent.flatMap((result) => (result?.ok ? [result.deposit] : []));
  const plan = planLinks(required, [], reusable.map((d) => d.provider));
  for (const provider of plan.reuse) audit(c, { type: "provider.linked", grantId: chain.grantId, userId: chain.user.userId, detail: { provider, reused: true } });
  return { reused: reusable.filter((d) => plan.reuse.includes(d.provider)), connect: plan.connect };
}

/**
 * The leg just finished deposits `upstream` (with any reused links); then either the next provider's leg begins (the
 * browser goes there) or, with none left, the grant issues its code and the client gets it.
 */
export async function continueChain(c: Context<AppEnv>, chain: Chain, upstream: VaultDeposit[], plan: ChainPlan): Promise<Response> {
  const config = c.get("config");
  const key = await vaultKey(c.env, config);
  const deposits = [...upstream, ...plan.reused];
  const [nextName, ...rest] = plan.connect;
  if (nextName === undefined) {
    const issued = await chain.stub.completeLogin({ key, user: chain.user, upstream: deposits, authTime: chain.authTime });
    if (!issued.ok) throw expired(`completeLogin: ${issued.reason}`);
    const { grantId, request, user } = chain;
    return finishAuthorization(c, { grantId, request, userId: user.userId, provider: chain.primary, code: issued.code, expiresAt: issued.expiresAt, signedInUpstream: true });
  }
  const next = config.upstreams.find((p) => p.name === nextName);
  if (!next) throw new PageError("Sign-in is unavailable", "A provider this server needs is no longer configured.", { status: 502, reason: "linked provider not configured" });
  const stateSecret = randomSecret();
  const leg: UpstreamLeg = { state: formatHandle("state", chain.grantId, stateSecret), nonce: generateRandomNonce(), codeVerifier: generateRandomCodeVerifier(), redirectUri: callbackUri(config, next) };
  // Built first: when the provider is unreachable the grant is still in `login`, and the callback's failure deletes it.
  const url = await upstreamAuthorizationUrl(c.env, config, next, leg);
  const begun = await chain.stub.nextLeg({
    key,
    provider: next.name,
    stateSecret,
    nonce: leg.nonce,
    codeVerifier: leg.codeVerifier,
    upstreamRedirectUri: leg.redirectUri,
    links: rest,
    user: chain.user,
    authTime: chain.authTime,
    upstream: deposits,
  });
  if (!begun.ok) throw expired(`nextLeg: ${begun.reason}`);
  return c.redirect(url.href, 302);
}

/** A linked provider's leg came back signed in: the account is recorded as the person's link, and the chain goes on. */
export async function linkedLegDone(
  c: Context<AppEnv>,
  taken: { stub: DurableObjectStub<Grant>; grantId: string; request: AuthorizationParams; primary: string; linking: LinkingLeg },
  identity: UpstreamIdentity,
  deposit: VaultDeposit,
): Promise<Response> {
  const { linking } = taken;
  const userId = linking.user.userId;
  await recordLink(c.env.DB, { userId, provider: deposit.provider, subject: identity.subject, label: identity.email ?? identity.name, grantId: taken.grantId, linkedAt: Math.floor(Date.now() / 1000) });
  audit(c, { type: "provider.linked", grantId: taken.grantId, userId, detail: { provider: deposit.provider } });
  const chain: Chain = { stub: taken.stub, grantId: taken.grantId, request: taken.request, primary: taken.primary, user: linking.user, authTime: linking.authTime };
  return continueChain(c, chain, [deposit], { reused: [], connect: linking.links });
}

function expired(reason: string): PageError {
  return new PageError("This sign-in has expired", "The sign-in took too long. Start it again from your application.", { reason });
}
