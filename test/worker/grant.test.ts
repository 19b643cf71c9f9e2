// The Grant Durable Object as a state machine: each transition once, replay and duplicate rules, expiry by alarm.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { randomSecret, sha256 } from "../../src/crypto";
import { type BeginInput, CODE_TTL_MS, PENDING_TTL_MS, TOMBSTONE_MS } from "../../src/durable/grant-state";
import { parseHandle } from "../../src/durable/handle";
import { deposit, TEST_KEY } from "./helpers/vault";

const VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const USER = { userId: "usr_test", provider: "dev", email: "ada@example.com", emailVerified: true, domain: "example.com" };

function newGrant() {
  const id = env.GRANTS.newUniqueId();
  return { id: id.toString(), stub: env.GRANTS.get(id) };
}

function beginInput(overrides: Partial<BeginInput> = {}): BeginInput {
  return {
    request: {
      clientId: "client-1",
      redirectUri: "http://127.0.0.1:3000/cb",
      redirectUriSent: true,
      scope: "mcp",
      resource: "http://localhost:8787/mcp",
      codeChallenge: CHALLENGE,
      state: "client-state",
    },
    key: TEST_KEY,
    provider: "dev",
    stateSecret: randomSecret(),
    browserBinding: randomSecret(),
    nonce: "nonce-1",
    codeVerifier: "upstream-verifier",
    upstreamRedirectUri: "http://localhost:8787/callback",
    ...overrides,
  };
}

type Stub = ReturnType<typeof newGrant>["stub"];

/** Runs a grant to `code_issued` and returns the code's secret. */
async function issueCode(stub: Stub, input = beginInput()): Promise<string> {
  expect((await stub.begin(input)).ok).toBe(true);
  expect((await stub.takePending({ key: TEST_KEY, stateSecret: input.stateSecret, browserBinding: input.browserBinding })).ok).toBe(true);
  const login = await stub.completeLogin({ key: TEST_KEY, user: USER, upstream: [deposit()], authTime: Date.now() });
  if (!login.ok) throw new Error(login.reason);
  const handle = parseHandle("code", login.code);
  if (!handle) throw new Error("code is not a code handle");
  return handle.secret;
}

/** REFRESH_IDLE_TTL and REFRESH_MAX_TTL as the Worker passes them in (the defaults). */
const TTLS = { refreshIdleTtlSeconds: 30 * 86_400, refreshMaxTtlSeconds: 90 * 86_400 };
const redemption = { clientId: "client-1", redirectUri: "http://127.0.0.1:3000/cb", verifierChallenge: CHALLENGE, resource: "http://localhost:8787/mcp", issueRefreshToken: true, ...TTLS };

async function storedRow(stub: Stub): Promise<Record<string, unknown> | undefined> {
  return runInDurableObject(stub, (_instance, state) => {
    const tables = state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'grant_state'").toArray();
    return tables.length ? state.storage.sql.exec("SELECT * FROM grant_state").toArray()[0] : undefined;
  });
}

async function shift(stub: Stub, column: string, ms: number): Promise<void> {
  await runInDurableObject(stub, (_instance, state) => {
    state.storage.sql.exec(`UPDATE grant_state SET ${column} = ${column} - ?`, ms);
  });
}

describe("Grant: pending state", () => {
  it("stores only hashes of the state secret and browser binding, and arms the pending expiry", async () => {
    const { stub } = newGrant();
    const input = beginInput();
    const before = Date.now();
    const result = await stub.begin(input);
    expect(result).toEqual({ ok: true, expiresAt: expect.any(Number) });
    if (!result.ok) return;
    expect(result.expiresAt).toBeGreaterThanOrEqual(before + PENDING_TTL_MS);
    const row = await storedRow(stub);
    expect(row).toMatchObject({ status: "pending", state_hash: await sha256(input.stateSecret), binding_hash: await sha256(input.browserBinding) });
    expect(JSON.stringify(row)).not.toContain(input.stateSecret);
    expect(JSON.stringify(row)).not.toContain(input.browserBinding);
    const alarm = await runInDurableObject(stub, (_i, state) => state.storage.getAlarm());
    expect(alarm).toBe(result.expiresAt);
  });

  it("refuses a second begin on the same object", async () => {
    const { stub } = newGrant();
    await stub.begin(beginInput());
    expect(await stub.begin(beginInput())).toEqual({ ok: false, error: "wrong_state", reason: "grant already exists" });
  });

  it("refuses a response at another provider's callback path without any change, even from another browser", async () => {
    const { stub } = newGrant();
    const input = beginInput();
    await stub.begin(input);
    const before = await storedRow(stub);
    expect(await stub.takePending({ key: TEST_KEY, stateSecret: input.stateSecret, browserBinding: input.browserBinding, callbackProvider: "corp" })).toEqual({ ok: false, error: "provider_mismatch", reason: "response at another provider's callback path" });
    expect(await stub.takePending({ key: TEST_KEY, stateSecret: input.stateSecret, browserBinding: randomSecret(), callbackProvider: "corp" })).toMatchObject({ ok: false, error: "provider_mismatch" });
    expect(await storedRow(stub)).toEqual(before);
    expect(await stub.takePending({ key: TEST_KEY, stateSecret: input.stateSecret, browserBinding: input.browserBinding, callbackProvider: "dev" })).toMatchObject({ ok: true, pending: { provider: "dev" } });
  });

  it("hands the upstream leg out exactly once", async () => {
    const { stub } = newGrant();
    const input = beginInput();
    await stub.begin(input);
    const first = await stub.takePending({ key: TEST_KEY, stateSecret: input.stateSecret, browserBinding: input.browserBinding });
    expect(first).toEqual({
      ok: true,
      pending: { request: input.request, provider: "dev", nonce: "nonce-1", codeVerifier: "upstream-verifier", upstreamRedirectUri: "http://localhost:8787/callback" },
    });
    expect(await stub.takePending({ key: TEST_KEY, stateSecret: input.stateSecret, browserBinding: input.browserBinding })).toMatchObject({ ok: false, error: "wrong_state" });
    expect(await storedRow(stub)).toMatchObject({ status: "login", state_hash: null, upstream_leg: null });
  });

  it("changes nothing when the state secret is wrong", async () => {
    const { stub } = newGrant();
    const input = beginInput();
    await stub.begin(input);
    expect(await stub.takePending({ key: TEST_KEY, stateSecret: randomSecret(), browserBinding: input.browserBinding })).toMatchObject({ ok: false, error: "invalid_secret" });
    expect((await stub.takePending({ key: TEST_KEY, stateSecret: input.stateSecret, browserBinding: input.browserBinding })).ok).toBe(true);
  });

  it("revokes the grant when the right state arrives without the browser-binding cookie", async () => {
    const { stub } = newGrant();
    const input = beginInput();
    await stub.begin(input);
    expect(await stub.takePending({ key: TEST_KEY, stateSecret: input.stateSecret, browserBinding: undefined })).toEqual({ ok: false, error: "binding_mismatch", reason: expect.any(String), revoked: true });
    expect(await stub.takePending({ key: TEST_KEY, stateSecret: input.stateSecret, browserBinding: input.browserBinding })).toMatchObject({ ok: false, error: "wrong_state" });
    expect(await storedRow(stub)).toMatchObject({ status: "revoked", upstream_leg: null, state_hash: null });
  });

  it("revokes the grant when the browser-binding cookie belongs to another browser", async () => {
    const { stub } = newGrant();
    const input = beginInput();
    await stub.begin(input);
    expect(await stub.takePending({ key: TEST_KEY, stateSecret: input.stateSecret, browserBinding: randomSecret() })).toMatchObject({ ok: false, error: "binding_mismatch", revoked: true });
  });

  it("expires an unused pending state: the alarm deletes all storage", async () => {
    const { stub } = newGrant();
    const input = beginInput();
    await stub.begin(input);
    await shift(stub, "expires_at", PENDING_TTL_MS + 1);
    expect(await stub.takePending({ key: TEST_KEY, stateSecret: input.stateSecret, browserBinding: input.browserBinding })).toMatchObject({ ok: false, error: "expired" });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await storedRow(stub)).toBeUndefined();
    expect(await stub.takePending({ key: TEST_KEY, stateSecret: input.stateSecret, browserBinding: input.browserBinding })).toMatchObject({ ok: false, error: "not_found" });
  });

  it("answers not_found for an id that was never begun, without creating storage", async () => {
    const { stub } = newGrant();
    expect(await stub.takePending({ key: TEST_KEY, stateSecret: randomSecret(), browserBinding: randomSecret() })).toMatchObject({ ok: false, error: "not_found" });
    expect(await stub.redeemCode(randomSecret(), redemption)).toMatchObject({ ok: false, error: "not_found" });
    expect(await stub.checkLive()).toBe(false);
    expect(await storedRow(stub)).toBeUndefined();
  });
});

describe("Grant: login", () => {
  it("issues a code handle carrying the grant id, storing its hash and the sealed upstream tokens", async () => {
    const { id, stub } = newGrant();
    const input = beginInput();
    await stub.begin(input);
    await stub.takePending({ key: TEST_KEY, stateSecret: input.stateSecret, browserBinding: input.browserBinding });
    const before = Date.now();
    const login = await stub.completeLogin({ key: TEST_KEY, user: USER, upstream: [deposit()], authTime: Date.now() });
    expect(login).toEqual({ ok: true, code: expect.stringMatching(/^gh1c_[0-9a-f]{64}\.[A-Za-z0-9_-]{43}$/), expiresAt: expect.any(Number), request: input.request });
    if (!login.ok) return;
    const handle = parseHandle("code", login.code);
    expect(handle?.grantId).toBe(id);
    expect(login.expiresAt).toBeGreaterThanOrEqual(before + CODE_TTL_MS);
    const row = await storedRow(stub);
    expect(row).toMatchObject({ status: "code_issued", code_hash: await sha256(handle?.secret ?? ""), upstream_tokens: null, binding_hash: null });
    expect(await stub.linkedProviders()).toEqual({ ok: true, providers: [{ provider: "dev", clientId: "gatehouse", scope: "openid email", tokenType: "bearer", expiresAt: expect.any(Number), linkedAt: expect.any(Number), refreshedAt: null, refreshable: true }] });
    expect(await stub.completeLogin({ key: TEST_KEY, user: USER, authTime: Date.now() })).toMatchObject({ ok: false, error: "wrong_state" });
  });

  it("refuses to complete a login that was never taken", async () => {
    const { stub } = newGrant();
    await stub.begin(beginInput());
    expect(await stub.completeLogin({ key: TEST_KEY, user: USER, authTime: Date.now() })).toMatchObject({ ok: false, error: "wrong_state" });
  });

  it("deletes the grant when the upstream login fails", async () => {
    const { stub } = newGrant();
    const input = beginInput();
    await stub.begin(input);
    await stub.takePending({ key: TEST_KEY, stateSecret: input.stateSecret, browserBinding: input.browserBinding });
    expect(await stub.failLogin("upstream error=access_denied")).toEqual({ ok: true, reason: "upstream error=access_denied" });
    expect(await storedRow(stub)).toBeUndefined();
    expect(await stub.completeLogin({ key: TEST_KEY, user: USER, authTime: Date.now() })).toMatchObject({ ok: false, error: "not_found" });
  });
});

describe("Grant: code redemption", () => {
  it("redeems once, activates the grant with its refresh lifetimes, and reports who signed in", async () => {
    const { id, stub } = newGrant();
    const secret = await issueCode(stub);
    const result = await stub.redeemCode(secret, redemption);
    expect(result).toEqual({
      ok: true,
      grant: { grantId: id, user: USER, clientId: "client-1", scope: "mcp", resource: "http://localhost:8787/mcp", createdAt: expect.any(Number), expiresAt: expect.any(Number), refreshToken: expect.stringMatching(`^gh1r_${id}\\.`) },
    });
    const row = await storedRow(stub);
    expect(row).toMatchObject({ status: "active" });
    expect(Number(row?.max_expires_at) - Number(row?.active_at)).toBe(90 * 86_400_000);
    expect(Number(row?.idle_expires_at) - Number(row?.active_at)).toBe(30 * 86_400_000);
    expect(await stub.checkLive()).toBe(true);
  });

  it("lets exactly one of 50 concurrent redemptions win, and treats the rest as duplicates that keep the grant", async () => {
    const { stub } = newGrant();
    const secret = await issueCode(stub);
    const results = await Promise.all(Array.from({ length: 50 }, () => stub.redeemCode(secret, redemption)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.error)).toEqual(Array(49).fill("duplicate_submission"));
    expect(await stub.checkLive()).toBe(true);
  });

  it("revokes the grant when the code is presented again after the duplicate window", async () => {
    const { stub } = newGrant();
    const secret = await issueCode(stub);
    expect((await stub.redeemCode(secret, redemption)).ok).toBe(true);
    await shift(stub, "code_redeemed_at", 10_001);
    expect(await stub.redeemCode(secret, redemption)).toEqual({ ok: false, error: "code_replayed", reason: expect.any(String), revoked: true });
    expect(await stub.checkLive()).toBe(false);
    expect(await storedRow(stub)).toMatchObject({ status: "revoked", upstream_tokens: null, revoke_reason: "authorization code replayed" });
    expect(await stub.redeemCode(secret, redemption)).toMatchObject({ ok: false, error: "revoked" });
  });

  it("revokes the grant when another client replays a redeemed code, even within the duplicate window", async () => {
    const { stub } = newGrant();
    const secret = await issueCode(stub);
    await stub.redeemCode(secret, redemption);
    expect(await stub.redeemCode(secret, { ...redemption, clientId: "client-2" })).toMatchObject({ ok: false, error: "code_replayed", revoked: true });
    expect(await stub.checkLive()).toBe(false);
  });

  it("revokes the grant when a redeemed code is replayed with the wrong verifier", async () => {
    const { stub } = newGrant();
    const secret = await issueCode(stub);
    await stub.redeemCode(secret, redemption);
    expect(await stub.redeemCode(secret, { ...redemption, verifierChallenge: await sha256(randomSecret()) })).toMatchObject({ ok: false, error: "code_replayed", revoked: true });
  });

  it.each([
    ["client_mismatch", { clientId: "client-2" }],
    ["redirect_uri_mismatch", { redirectUri: "http://127.0.0.1:3000/other" }],
    ["redirect_uri_mismatch", { redirectUri: undefined }],
    ["pkce_mismatch", { verifierChallenge: "x".repeat(43) }],
    ["resource_mismatch", { resource: "https://other.example/mcp" }],
  ])("refuses %s without consuming the code", async (error, change) => {
    const { stub } = newGrant();
    const secret = await issueCode(stub);
    expect(await stub.redeemCode(secret, { ...redemption, ...change })).toMatchObject({ ok: false, error });
    expect(await storedRow(stub)).toMatchObject({ status: "code_issued" });
    expect((await stub.redeemCode(secret, redemption)).ok).toBe(true);
  });

  it("accepts a redemption without redirect_uri or resource when the request had none", async () => {
    const { stub } = newGrant();
    const input = beginInput();
    const secret = await issueCode(stub, { ...input, request: { ...input.request, redirectUriSent: false } });
    expect((await stub.redeemCode(secret, { clientId: "client-1", verifierChallenge: CHALLENGE, issueRefreshToken: false, ...TTLS })).ok).toBe(true);
  });

  it("changes nothing when the code secret is wrong, even after redemption (a grant id alone is not a credential)", async () => {
    const { stub } = newGrant();
    const secret = await issueCode(stub);
    expect(await stub.redeemCode(randomSecret(), redemption)).toMatchObject({ ok: false, error: "invalid_secret" });
    await stub.redeemCode(secret, redemption);
    await shift(stub, "code_redeemed_at", 60_000);
    expect(await stub.redeemCode(randomSecret(), redemption)).toMatchObject({ ok: false, error: "invalid_secret" });
    expect(await stub.checkLive()).toBe(true);
  });

  it("refuses an expired code, and the alarm deletes the grant", async () => {
    const { stub } = newGrant();
    const secret = await issueCode(stub);
    await shift(stub, "expires_at", CODE_TTL_MS + 1);
    expect(await stub.redeemCode(secret, redemption)).toMatchObject({ ok: false, error: "expired" });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await storedRow(stub)).toBeUndefined();
    expect(await stub.redeemCode(secret, redemption)).toMatchObject({ ok: false, error: "not_found" });
  });
});

describe("Grant: revocation and expiry", () => {
  it("revokes an active grant once, keeps a tombstone, and the alarm deletes it after the tombstone period", async () => {
    const { stub } = newGrant();
    const secret = await issueCode(stub);
    await stub.redeemCode(secret, redemption);
    expect(await stub.revoke("user signed out")).toEqual({ ok: true, wasLive: true, upstream: [] });
    expect(await stub.revoke("again")).toEqual({ ok: true, wasLive: false, upstream: [] });
    expect(await stub.checkLive()).toBe(false);
    const row = await storedRow(stub);
    expect(row).toMatchObject({ status: "revoked", revoke_reason: "user signed out", expires_at: Number(row?.revoked_at) + TOMBSTONE_MS });
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).toBe(Number(row?.revoked_at) + TOMBSTONE_MS);
    await shift(stub, "expires_at", TOMBSTONE_MS);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await storedRow(stub)).toBeUndefined();
  });

  it("is no longer live once its idle lifetime has passed, and the alarm then deletes it", async () => {
    const { stub } = newGrant();
    const secret = await issueCode(stub);
    await stub.redeemCode(secret, redemption);
    await shift(stub, "expires_at", 30 * 86_400_000);
    expect(await stub.checkLive()).toBe(false);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await storedRow(stub)).toBeUndefined();
  });

  it("re-arms instead of deleting when the alarm fires before the state ends", async () => {
    const { stub } = newGrant();
    await stub.begin(beginInput());
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const row = await storedRow(stub);
    expect(row).toMatchObject({ status: "pending" });
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).toBe(Number(row?.expires_at));
  });

  it("answers not_found when revoking a grant that does not exist", async () => {
    const { stub } = newGrant();
    expect(await stub.revoke("admin")).toMatchObject({ ok: false, error: "not_found" });
  });
});

describe("Grant: single sign-on within SSO_MAX_AGE of the upstream login", () => {
  const HOUR = 3_600_000;
  const LEND = { key: TEST_KEY, ssoMaxAgeSeconds: 86_400 };

  /** A grant in `code_issued` whose person authenticated upstream at `authTime`. */
  async function signedInGrant(authTime: number): Promise<Stub> {
    const { stub } = newGrant();
    const input = beginInput();
    await stub.begin(input);
    await stub.takePending({ key: TEST_KEY, stateSecret: input.stateSecret, browserBinding: input.browserBinding });
    expect((await stub.completeLogin({ key: TEST_KEY, user: USER, upstream: [deposit()], authTime })).ok).toBe(true);
    return stub;
  }

  it("records the upstream authentication time and lends the identity with it while within SSO_MAX_AGE", async () => {
    const authTime = Date.now() - 2 * HOUR;
    const stub = await signedInGrant(authTime);
    expect((await storedRow(stub))?.auth_time).toBe(authTime);
    expect(await stub.signedInLogin(LEND)).toEqual({ ok: true, login: { provider: "dev", user: USER, upstream: [{ ...deposit(), tokens: { ...deposit().tokens, refreshToken: undefined, expiresAt: expect.any(Number) } }], authTime } });
  });

  it("does not lend the identity of a grant whose upstream login is older than SSO_MAX_AGE", async () => {
    const stub = await signedInGrant(Date.now() - 25 * HOUR);
    expect(await stub.signedInLogin(LEND)).toEqual({ ok: false, error: "stale_login", reason: "the upstream sign-in is older than SSO_MAX_AGE" });
    expect(await stub.signedInLogin({ key: TEST_KEY, ssoMaxAgeSeconds: 26 * 3600 })).toMatchObject({ ok: true });
    expect(await stub.signedInLogin({ key: TEST_KEY, ssoMaxAgeSeconds: 0 })).toMatchObject({ ok: false, error: "stale_login" });
  });

  it("never records an authentication time later than now (a provider clock ahead of ours)", async () => {
    const before = Date.now();
    const stub = await signedInGrant(Date.now() + 10 * HOUR);
    const stored = Number((await storedRow(stub))?.auth_time);
    expect(stored).toBeGreaterThanOrEqual(before);
    expect(stored).toBeLessThanOrEqual(Date.now());
  });

  it("ends a lent grant REFRESH_MAX_TTL after the lent login, not after its own redemption", async () => {
    const authTime = Date.now() - 10 * 86_400_000;
    const lender = await signedInGrant(authTime);
    const lent = await lender.signedInLogin({ key: TEST_KEY, ssoMaxAgeSeconds: 30 * 86_400 });
    if (!lent.ok) throw new Error(lent.reason);
    const { stub } = newGrant();
    const begun = await stub.beginSignedIn({ key: TEST_KEY, request: beginInput().request, provider: "dev", user: lent.login.user, authTime: lent.login.authTime, refreshMaxTtlSeconds: TTLS.refreshMaxTtlSeconds });
    if (!begun.ok) throw new Error(begun.reason);
    const redeemed = await stub.redeemCode(parseHandle("code", begun.code)?.secret ?? "", redemption);
    if (!redeemed.ok) throw new Error(redeemed.reason);
    expect(redeemed.grant.expiresAt).toBe(authTime + 90 * 86_400_000);
    expect(await storedRow(stub)).toMatchObject({ auth_time: authTime, max_expires_at: authTime + 90 * 86_400_000, idle_expires_at: expect.any(Number) });
    expect(Number((await storedRow(stub))?.idle_expires_at)).toBeLessThanOrEqual(authTime + 90 * 86_400_000);
    // The lent grant lends on with the same login time: a chain of sign-ons never freshens it.
    expect(await stub.signedInLogin({ key: TEST_KEY, ssoMaxAgeSeconds: 30 * 86_400 })).toMatchObject({ ok: true, login: { authTime } });
  });

  it("keeps a grant that was not lent ending REFRESH_MAX_TTL after its redemption", async () => {
    const fresh = newGrant().stub;
    const secret = await issueCode(fresh);
    const before = Date.now();
    const redeemed = await fresh.redeemCode(secret, redemption);
    if (!redeemed.ok) throw new Error(redeemed.reason);
    expect(redeemed.grant.expiresAt).toBeGreaterThanOrEqual(before + 90 * 86_400_000);
  });

  it("adds the column to a grant begun before it existed, and never lends a live grant that has no authentication time", async () => {
    const { stub } = newGrant();
    const input = beginInput();
    await stub.begin(input);
    await runInDurableObject(stub, (_i, state) => state.storage.sql.exec("ALTER TABLE grant_state DROP COLUMN auth_time"));
    await stub.takePending({ key: TEST_KEY, stateSecret: input.stateSecret, browserBinding: input.browserBinding });
    const authTime = Date.now() - HOUR;
    expect((await stub.completeLogin({ key: TEST_KEY, user: USER, authTime })).ok).toBe(true);
    expect((await storedRow(stub))?.auth_time).toBe(authTime);

    const old = await signedInGrant(Date.now());
    await runInDurableObject(old, (_i, state) => state.storage.sql.exec("ALTER TABLE grant_state DROP COLUMN auth_time"));
    expect(await old.signedInLogin(LEND)).toMatchObject({ ok: false, error: "stale_login" });
  });
});
