// The Grant object's upstream token vault on real workerd: served from storage, one refresh for 50 concurrent callers,
// transient and terminal refresh failures, rotated upstream clients, linking and unlinking, and sealed storage.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { randomSecret } from "../../src/crypto";
import { parseHandle } from "../../src/durable/handle";
import type { RefreshOutcome, RefreshRequest, UpstreamRefresher, VaultDeposit } from "../../src/durable/vault-state";
import { deposit, TEST_KEY } from "./helpers/vault";

const CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const NONCE = `nonce-${randomSecret(12)}`;
const UPSTREAM_VERIFIER = `verifier-${randomSecret(24)}`;

/** The code secret the last `activeGrant` redeemed. */
let lastCode = "";

/** An active grant whose vault holds `upstream`. */
async function activeGrant(upstream: VaultDeposit[] = [deposit()]) {
  const id = env.GRANTS.newUniqueId();
  const stub = env.GRANTS.get(id);
  const stateSecret = randomSecret();
  const browserBinding = randomSecret();
  const request = { clientId: "client-1", redirectUri: "http://127.0.0.1:3000/cb", redirectUriSent: true, scope: "mcp", resource: "http://localhost:8787/mcp", codeChallenge: CHALLENGE };
  await stub.begin({ key: TEST_KEY, request, provider: "dev", stateSecret, browserBinding, nonce: NONCE, codeVerifier: UPSTREAM_VERIFIER, upstreamRedirectUri: "http://localhost:8787/callback" });
  const taken = await stub.takePending({ key: TEST_KEY, stateSecret, browserBinding });
  expect(taken).toMatchObject({ ok: true, pending: { nonce: NONCE, codeVerifier: UPSTREAM_VERIFIER } });
  const login = await stub.completeLogin({ key: TEST_KEY, user: { userId: "usr_ada", provider: "dev", emailVerified: true }, upstream, authTime: Date.now() });
  if (!login.ok) throw new Error(login.reason);
  const code = parseHandle("code", login.code)?.secret ?? "";
  lastCode = code;
  const redeemed = await stub.redeemCode(code, { clientId: "client-1", redirectUri: request.redirectUri, verifierChallenge: CHALLENGE, issueRefreshToken: false, refreshIdleTtlSeconds: 86_400, refreshMaxTtlSeconds: 86_400 });
  if (!redeemed.ok) throw new Error(redeemed.reason);
  return { id: id.toString(), stub };
}

/** A refresher that records every request and answers with `answer` (rotating: a new refresh token each time). */
function recordingRefresher(answer: (request: RefreshRequest, n: number) => RefreshOutcome | Promise<RefreshOutcome>) {
  const requests: RefreshRequest[] = [];
  const refresh: UpstreamRefresher = async (request) => {
    requests.push(request);
    return answer(request, requests.length);
  };
  return { requests, refresh };
}

const rotated = (n: number): RefreshOutcome => ({ ok: true, tokens: { accessToken: `at-${n}`, refreshToken: `rt-${n}`, expiresAt: Date.now() + 3_600_000, tokenType: "bearer" } });

describe("Grant vault: upstreamToken", () => {
  it("serves a valid token from the vault without refreshing", async () => {
    const { stub } = await activeGrant();
    const { requests, refresh } = recordingRefresher((_r, n) => rotated(n));
    expect(await stub.upstreamToken({ key: TEST_KEY, provider: "dev", clientId: "gatehouse", refresh })).toEqual({
      ok: true,
      token: { provider: "dev", accessToken: "upstream-at", tokenType: "bearer", scope: "openid email", expiresAt: expect.any(Number), refreshed: false },
    });
    expect(requests).toHaveLength(0);
  });

  it("answers not_linked for a provider the vault does not hold, or under another key", async () => {
    const { stub } = await activeGrant();
    const { refresh } = recordingRefresher((_r, n) => rotated(n));
    expect(await stub.upstreamToken({ key: TEST_KEY, provider: "github", clientId: "gatehouse", refresh })).toMatchObject({ ok: false, error: "not_linked" });
    const other = { id: "otherkey", raw: randomSecret() };
    expect(await stub.upstreamToken({ key: other, provider: "dev", clientId: "gatehouse", refresh })).toMatchObject({ ok: false, error: "not_linked" });
  });

  it("refreshes an expired token once for 50 concurrent callers, storing the rotated refresh token first", async () => {
    const { stub } = await activeGrant([deposit({ expiresAt: Date.now() - 1000 })]);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started: () => void = () => undefined;
    const refreshing = new Promise<void>((resolve) => (started = resolve));
    const { requests, refresh } = recordingRefresher(async (_request, n) => {
      started();
      await gate;
      return rotated(n);
    });
    const calls = Array.from({ length: 50 }, () => stub.upstreamToken({ key: TEST_KEY, provider: "dev", clientId: "gatehouse", refresh }));
    // Calls on one stub arrive in order: once a later call is answered, all 50 are inside the object, waiting.
    await refreshing;
    await stub.linkedProviders();
    release();
    const results = await Promise.all(calls);
    expect(requests).toEqual([{ provider: "dev", refreshToken: "upstream-rt", scope: "openid email" }]);
    expect(results.every((r) => r.ok && r.token.accessToken === "at-1" && r.token.refreshed)).toBe(true);
    // The next refresh presents the rotated token: it was stored.
    const stored = await runInDurableObject(stub, async (_instance, state) => state.storage.sql.exec<{ sealed: string; refreshed_at: number }>("SELECT sealed, refreshed_at FROM upstream_vault").one());
    expect(stored.refreshed_at).toEqual(expect.any(Number));
    await runInDurableObject(stub, (_instance, state) => state.storage.sql.exec("UPDATE upstream_vault SET expires_at = ?", Date.now()));
    await stub.upstreamToken({ key: TEST_KEY, provider: "dev", clientId: "gatehouse", refresh });
    expect(requests.map((r) => r.refreshToken)).toEqual(["upstream-rt", "rt-1"]);
  });

  it("keeps the refresh token when the provider does not rotate it", async () => {
    const { stub } = await activeGrant([deposit({ expiresAt: Date.now() })]);
    const { requests, refresh } = recordingRefresher((_r, n) => ({ ok: true, tokens: { accessToken: `at-${n}`, expiresAt: Date.now() } }));
    await stub.upstreamToken({ key: TEST_KEY, provider: "dev", clientId: "gatehouse", refresh });
    await stub.upstreamToken({ key: TEST_KEY, provider: "dev", clientId: "gatehouse", refresh });
    expect(requests.map((r) => r.refreshToken)).toEqual(["upstream-rt", "upstream-rt"]);
  });

  it("answers a transient failure as unavailable and changes nothing", async () => {
    const { stub } = await activeGrant([deposit({ expiresAt: Date.now() })]);
    const before = await runInDurableObject(stub, async (_i, state) => state.storage.sql.exec("SELECT * FROM upstream_vault").one());
    const failing = recordingRefresher(() => ({ ok: false, terminal: false, reason: "upstream HTTP 500" }));
    expect(await stub.upstreamToken({ key: TEST_KEY, provider: "dev", clientId: "gatehouse", refresh: failing.refresh })).toEqual({ ok: false, error: "upstream_unavailable", reason: "upstream HTTP 500" });
    const throwing: UpstreamRefresher = async () => {
      throw new Error("the caller went away");
    };
    expect(await stub.upstreamToken({ key: TEST_KEY, provider: "dev", clientId: "gatehouse", refresh: throwing })).toMatchObject({ ok: false, error: "upstream_unavailable" });
    expect(await runInDurableObject(stub, async (_i, state) => state.storage.sql.exec("SELECT * FROM upstream_vault").one())).toEqual({ ...before, used_at: expect.any(Number) });
    const { requests, refresh } = recordingRefresher((_r, n) => rotated(n));
    expect(await stub.upstreamToken({ key: TEST_KEY, provider: "dev", clientId: "gatehouse", refresh })).toMatchObject({ ok: true, token: { accessToken: "at-1" } });
    expect(requests[0]?.refreshToken).toBe("upstream-rt");
  });

  it("revokes the grant when the provider refuses the refresh token for good", async () => {
    const { stub } = await activeGrant([deposit({ expiresAt: Date.now() })]);
    const { refresh } = recordingRefresher(() => ({ ok: false, terminal: true, reason: "upstream HTTP 400 error=invalid_grant" }));
    expect(await stub.upstreamToken({ key: TEST_KEY, provider: "dev", clientId: "gatehouse", refresh })).toEqual({
      ok: false,
      error: "upstream_revoked",
      reason: "upstream HTTP 400 error=invalid_grant",
      revoked: true,
      upstream: [{ provider: "dev", clientId: "gatehouse", tokens: expect.objectContaining({ refreshToken: "upstream-rt" }) }],
    });
    expect(await stub.checkLive()).toBe(false);
    const row = await runInDurableObject(stub, async (_i, state) => ({
      grant: state.storage.sql.exec("SELECT status, revoke_reason FROM grant_state").one(),
      vault: state.storage.sql.exec("SELECT COUNT(*) AS n FROM upstream_vault").one(),
    }));
    expect(row).toEqual({ grant: { status: "revoked", revoke_reason: "upstream_revoked" }, vault: { n: 0 } });
    expect(await stub.upstreamToken({ key: TEST_KEY, provider: "dev", clientId: "gatehouse", refresh })).toMatchObject({ ok: false, error: "revoked" });
  });

  it("hands every linked provider's tokens back, to the one caller that started the refused refresh", async () => {
    const { stub } = await activeGrant([deposit({ expiresAt: Date.now() }), deposit({ accessToken: "gh-at", refreshToken: undefined, expiresAt: undefined }, "github")]);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { refresh } = recordingRefresher(async () => {
      await gate;
      return { ok: false, terminal: true, reason: "upstream HTTP 400 error=invalid_grant" };
    });
    const calls = Array.from({ length: 10 }, () => stub.upstreamToken({ key: TEST_KEY, provider: "dev", clientId: "gatehouse", refresh }));
    await stub.linkedProviders();
    release();
    const results = await Promise.all(calls);
    const handedBack = results.flatMap((r) => (!r.ok && r.upstream ? [r.upstream] : []));
    expect(handedBack).toEqual([
      [
        { provider: "dev", clientId: "gatehouse", tokens: expect.objectContaining({ accessToken: "upstream-at", refreshToken: "upstream-rt" }) },
        { provider: "github", clientId: "gatehouse", tokens: expect.objectContaining({ accessToken: "gh-at" }) },
      ],
    ]);
    expect(results.every((r) => !r.ok && r.error === "upstream_revoked")).toBe(true);
  });

  it("treats a refresh token issued to an older upstream client as terminal, without asking the provider", async () => {
    const { stub } = await activeGrant([deposit({ expiresAt: Date.now() })]);
    const { requests, refresh } = recordingRefresher((_r, n) => rotated(n));
    expect(await stub.upstreamToken({ key: TEST_KEY, provider: "dev", clientId: "gatehouse-v2", refresh })).toMatchObject({ ok: false, error: "upstream_revoked", revoked: true });
    expect(requests).toHaveLength(0);
  });
});

describe("Grant vault: entries", () => {
  it("links a further provider, lists entries without tokens, and unlinks one returning its tokens", async () => {
    const { stub } = await activeGrant();
    expect(await stub.linkUpstream({ key: TEST_KEY, deposit: deposit({ accessToken: "gh-at", refreshToken: undefined, expiresAt: undefined, scope: "repo" }, "github") })).toMatchObject({ ok: true });
    const listed = await stub.linkedProviders();
    expect(listed).toMatchObject({ ok: true, providers: [{ provider: "dev", refreshable: true }, { provider: "github", scope: "repo", expiresAt: null, refreshable: false }] });
    expect(JSON.stringify(listed)).not.toMatch(/upstream-at|upstream-rt|gh-at/);
    expect(await stub.unlinkUpstream({ key: TEST_KEY, provider: "github" })).toEqual({ ok: true, removed: { provider: "github", clientId: "gatehouse", tokens: expect.objectContaining({ accessToken: "gh-at" }) } });
    expect(await stub.unlinkUpstream({ key: TEST_KEY, provider: "github" })).toEqual({ ok: true, removed: undefined });
    expect(await stub.linkedProviders()).toMatchObject({ providers: [{ provider: "dev" }] });
  });

  it("hands the vault's tokens back on revocation, for revocation at the provider", async () => {
    const { stub } = await activeGrant();
    expect(await stub.revoke("user signed out", { key: TEST_KEY })).toEqual({ ok: true, wasLive: true, upstream: [{ provider: "dev", clientId: "gatehouse", tokens: expect.objectContaining({ refreshToken: "upstream-rt" }) }] });
    expect(await stub.linkedProviders()).toEqual({ ok: true, providers: [] });
  });

  it("hands the vault's tokens back when a replayed code revokes the grant, only to a caller with the key", async () => {
    for (const access of [{ key: TEST_KEY }, undefined]) {
      const { stub } = await activeGrant();
      // Past the duplicate-submission window, the same code again is a replay.
      await runInDurableObject(stub, (_i, state) => state.storage.sql.exec("UPDATE grant_state SET code_redeemed_at = code_redeemed_at - 60000"));
      const replay = await stub.redeemCode(lastCode, { clientId: "client-1", redirectUri: "http://127.0.0.1:3000/cb", verifierChallenge: CHALLENGE, issueRefreshToken: false, refreshIdleTtlSeconds: 86_400, refreshMaxTtlSeconds: 86_400 }, access);
      expect(replay).toMatchObject({ ok: false, revoked: true });
      expect(!replay.ok && replay.upstream).toEqual(access ? [{ provider: "dev", clientId: "gatehouse", tokens: expect.objectContaining({ refreshToken: "upstream-rt" }) }] : undefined);
    }
  });

  it("keeps no plaintext token, verifier or nonce in the object's SQLite, pending or active", async () => {
    const secrets = ["upstream-at", "upstream-rt", "id-token-secret", NONCE, UPSTREAM_VERIFIER, "at-1", "rt-1"];
    const pending = env.GRANTS.newUniqueId();
    const pendingStub = env.GRANTS.get(pending);
    await pendingStub.begin({ key: TEST_KEY, request: { clientId: "c", redirectUri: "http://127.0.0.1/cb", redirectUriSent: true, scope: "mcp", resource: "http://localhost:8787/mcp", codeChallenge: CHALLENGE }, provider: "dev", stateSecret: randomSecret(), browserBinding: randomSecret(), nonce: NONCE, codeVerifier: UPSTREAM_VERIFIER, upstreamRedirectUri: "http://localhost:8787/callback" });
    const { stub } = await activeGrant([deposit({ idToken: "id-token-secret", expiresAt: Date.now() })]);
    await stub.upstreamToken({ key: TEST_KEY, provider: "dev", clientId: "gatehouse", refresh: recordingRefresher((_r, n) => rotated(n)).refresh });
    for (const target of [pendingStub, stub]) {
      const dump = await runInDurableObject(target, async (_i, state) => {
        const tables = state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'").toArray();
        return JSON.stringify(tables.map(({ name }) => state.storage.sql.exec(`SELECT * FROM "${name}"`).toArray()));
      });
      expect(dump.length).toBeGreaterThan(100);
      for (const secret of secrets) expect(dump).not.toContain(secret);
      expect(dump).toMatch(/gh1[lv]\./);
    }
    expect(VERIFIER).not.toBe(UPSTREAM_VERIFIER);
  });
});
