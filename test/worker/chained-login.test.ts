// A chained login on the real Grant Durable Object: the primary leg, then a linked provider's leg with its own state,
// PKCE verifier and nonce (sealed), answered only at that provider's callback path; one code at the end, and the vault
// holds an entry per provider. And `lendUpstream`: what a live link lends to another grant of the same person.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { randomSecret } from "../../src/crypto";
import type { BeginInput, NextLegInput } from "../../src/durable/grant-state";
import { deposit, TEST_KEY } from "./helpers/vault";

const CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const USER = { userId: "usr_chain", provider: "okta", email: "ada@example.com", emailVerified: true, domain: "example.com" };

function newGrant() {
  return env.GRANTS.get(env.GRANTS.newUniqueId());
}
type Stub = ReturnType<typeof newGrant>;

function beginInput(): BeginInput {
  const request = { clientId: "client-1", redirectUri: "http://127.0.0.1:3000/cb", redirectUriSent: true, scope: "mcp", resource: "http://localhost:8787/mcp/code", codeChallenge: CHALLENGE };
  return { key: TEST_KEY, request, provider: "okta", stateSecret: randomSecret(), browserBinding: randomSecret(), nonce: "primary-nonce", codeVerifier: "primary-verifier", upstreamRedirectUri: "http://localhost:8787/callback/okta" };
}

function nextLegInput(provider: string, links: string[] = [], upstream = [deposit({}, "okta")]): NextLegInput {
  return { key: TEST_KEY, provider, stateSecret: randomSecret(), nonce: `${provider}-nonce`, codeVerifier: `${provider}-verifier`, upstreamRedirectUri: `http://localhost:8787/callback/${provider}`, links, user: USER, authTime: Date.now() - 1000, upstream };
}

/** Begins the grant and takes its primary leg: the grant is in `login`, as the callback leaves it. */
async function primaryTaken(stub: Stub): Promise<BeginInput> {
  const input = beginInput();
  expect((await stub.begin(input)).ok).toBe(true);
  expect((await stub.takePending({ key: TEST_KEY, stateSecret: input.stateSecret, browserBinding: input.browserBinding, callbackProvider: "okta" })).ok).toBe(true);
  return input;
}

function stored(stub: Stub): Promise<{ status: string; legProvider: string | null; leg: string | null; vault: string[] }> {
  return runInDurableObject(stub, (_i, state) => {
    const row = state.storage.sql.exec<{ status: string; leg_provider: string | null; upstream_leg: string | null }>("SELECT status, leg_provider, upstream_leg FROM grant_state").one();
    const vault = state.storage.sql.exec<{ provider: string }>("SELECT provider FROM upstream_vault ORDER BY provider").toArray().map((r) => r.provider);
    return { status: row.status, legProvider: row.leg_provider, leg: row.upstream_leg, vault };
  });
}

describe("a chained login (nextLeg)", () => {
  it("waits for the linked provider with a new sealed leg, hands it back once with the primary sign-in, and issues one code", async () => {
    const stub = newGrant();
    const primary = await primaryTaken(stub);
    const github = nextLegInput("github", ["jira"]);
    expect(await stub.nextLeg(github)).toMatchObject({ ok: true, expiresAt: expect.any(Number) });
    const between = await stored(stub);
    expect(between).toMatchObject({ status: "pending", legProvider: "github", vault: ["okta"] });
    expect(between.leg).toMatch(/^gh1l\./);
    expect(between.leg).not.toContain("github-verifier");
    // The primary leg's state is spent: only the new leg's state is accepted.
    expect(await stub.takePending({ key: TEST_KEY, stateSecret: primary.stateSecret, browserBinding: primary.browserBinding, callbackProvider: "github" })).toMatchObject({ ok: false, error: "invalid_secret" });
    const taken = await stub.takePending({ key: TEST_KEY, stateSecret: github.stateSecret, browserBinding: primary.browserBinding, callbackProvider: "github" });
    expect(taken).toMatchObject({
      ok: true,
      pending: { provider: "okta", nonce: "github-nonce", codeVerifier: "github-verifier", upstreamRedirectUri: "http://localhost:8787/callback/github", linking: { provider: "github", links: ["jira"], user: USER } },
    });
    expect(await stub.takePending({ key: TEST_KEY, stateSecret: github.stateSecret, browserBinding: primary.browserBinding, callbackProvider: "github" })).toMatchObject({ ok: false, error: "wrong_state" });
    const login = await stub.completeLogin({ key: TEST_KEY, user: USER, upstream: [deposit({}, "github")], authTime: Date.now() });
    expect(login).toMatchObject({ ok: true, code: expect.stringMatching(/^gh1c_/) });
    expect(await stored(stub)).toMatchObject({ status: "code_issued", legProvider: null, leg: null, vault: ["github", "okta"] });
  });

  it("refuses the linked leg's response at another provider's path or at the plain /callback, and the genuine one still completes", async () => {
    const stub = newGrant();
    const primary = await primaryTaken(stub);
    const github = nextLegInput("github");
    await stub.nextLeg(github);
    const take = (callbackProvider: string | undefined) => stub.takePending({ key: TEST_KEY, stateSecret: github.stateSecret, browserBinding: primary.browserBinding, callbackProvider });
    expect(await take("okta")).toEqual({ ok: false, error: "provider_mismatch", reason: "response at another provider's callback path" });
    expect(await take(undefined)).toEqual({ ok: false, error: "provider_mismatch", reason: "response at another provider's callback path" });
    expect((await stored(stub)).status).toBe("pending");
    expect(await take("github")).toMatchObject({ ok: true, pending: { linking: { provider: "github" } } });
  });

  it("keeps the browser binding: the linked leg's state from another browser revokes the grant", async () => {
    const stub = newGrant();
    await primaryTaken(stub);
    const github = nextLegInput("github");
    await stub.nextLeg(github);
    expect(await stub.takePending({ key: TEST_KEY, stateSecret: github.stateSecret, browserBinding: randomSecret(), callbackProvider: "github" })).toMatchObject({
      ok: false,
      error: "binding_mismatch",
      revoked: true,
      // The primary leg's tokens were already in the vault: handed back for revocation at their provider.
      upstream: [{ provider: "okta", clientId: "gatehouse", tokens: expect.objectContaining({ accessToken: "upstream-at" }) }],
    });
    expect((await stored(stub)).vault).toEqual([]);
  });

  it("begins a leg only from `login`, never at the primary provider, and only for the person who signed in", async () => {
    const pending = newGrant();
    await pending.begin(beginInput());
    expect(await pending.nextLeg(nextLegInput("github"))).toMatchObject({ ok: false, error: "wrong_state" });
    const stub = newGrant();
    await primaryTaken(stub);
    expect(await stub.nextLeg(nextLegInput("okta"))).toMatchObject({ ok: false, error: "provider_mismatch" });
    const github = nextLegInput("github");
    await stub.nextLeg(github);
    expect(await stub.completeLogin({ key: TEST_KEY, user: { ...USER, userId: "usr_other" }, authTime: Date.now() })).toMatchObject({ ok: false, error: "wrong_state" });
  });
});

describe("lendUpstream (a live link reused by another grant)", () => {
  async function issuedWith(upstream: ReturnType<typeof deposit>[]): Promise<Stub> {
    const stub = newGrant();
    const input = beginInput();
    await stub.begin(input);
    await stub.takePending({ key: TEST_KEY, stateSecret: input.stateSecret, browserBinding: input.browserBinding, callbackProvider: "okta" });
    expect((await stub.completeLogin({ key: TEST_KEY, user: USER, upstream, authTime: Date.now() })).ok).toBe(true);
    return stub;
  }

  it("lends a token that never expires, without its refresh token", async () => {
    const stub = await issuedWith([deposit({ expiresAt: undefined, refreshToken: undefined, accessToken: "gho_forever" }, "github")]);
    expect(await stub.lendUpstream({ key: TEST_KEY, provider: "github" })).toEqual({
      ok: true,
      deposit: { provider: "github", clientId: "gatehouse", tokens: { accessToken: "gho_forever", scope: "openid email", tokenType: "bearer" } },
    });
  });

  it("lends no token that expires, none of a provider it does not hold, and nothing once revoked", async () => {
    const stub = await issuedWith([deposit({}, "github"), deposit({ expiresAt: undefined }, "jira")]);
    expect(await stub.lendUpstream({ key: TEST_KEY, provider: "github" })).toMatchObject({ ok: false, error: "not_linked" });
    expect(await stub.lendUpstream({ key: TEST_KEY, provider: "gitlab" })).toMatchObject({ ok: false, error: "not_linked" });
    const lent = await stub.lendUpstream({ key: TEST_KEY, provider: "jira" });
    expect(lent.ok && lent.deposit.tokens.refreshToken).toBe(undefined);
    await stub.revoke("test");
    expect(await stub.lendUpstream({ key: TEST_KEY, provider: "jira" })).toMatchObject({ ok: false, error: "wrong_state" });
  });
});
