// The redemption and rotation decisions of a grant (src/policy/grant-rules.ts).
import { describe, expect, it } from "vitest";
import { type CodePresentation, type CodeState, decideRedemption, decideRotation, DUPLICATE_WINDOW_MS, type RefreshPresentation, type RefreshState } from "./grant-rules";

const NOW = 1_800_000_000_000;
const DAY_MS = 86_400_000;

const code: CodeState = {
  status: "code_issued",
  request: { clientId: "client-1", redirectUri: "http://127.0.0.1:3000/cb", redirectUriSent: true, codeChallenge: "challenge", resource: "https://gh.example/mcp" },
  codeHash: "code-hash",
  codeRedeemedAt: null,
  expiresAt: NOW + 60_000,
  maxExpiresAt: null,
};
const redemption: CodePresentation = {
  clientId: "client-1",
  redirectUri: "http://127.0.0.1:3000/cb",
  verifierChallenge: "challenge",
  refreshIdleTtlSeconds: 30 * 86_400,
  refreshMaxTtlSeconds: 90 * 86_400,
};
const redeemed: CodeState = { ...code, status: "active", codeRedeemedAt: NOW - 1_000 };

describe("decideRedemption", () => {
  it("lets the first presentation win, with the refresh family's idle and absolute expiry", () => {
    expect(decideRedemption(code, "code-hash", redemption, NOW)).toEqual({ ok: true, idleExpiresAt: NOW + 30 * DAY_MS, maxExpiresAt: NOW + 90 * DAY_MS });
  });

  it("keeps the end a single sign-on grant was created with, and never lets the idle expiry pass it", () => {
    const sso = { ...code, maxExpiresAt: NOW + 10 * DAY_MS };
    expect(decideRedemption(sso, "code-hash", redemption, NOW)).toEqual({ ok: true, idleExpiresAt: NOW + 10 * DAY_MS, maxExpiresAt: NOW + 10 * DAY_MS });
  });

  it("refuses a code that does not match, or a grant that issued none", () => {
    expect(decideRedemption(code, "other-hash", redemption, NOW)).toEqual({ ok: false, error: "invalid_secret", reason: "code does not match" });
    expect(decideRedemption({ ...code, codeHash: null }, "code-hash", redemption, NOW)).toMatchObject({ ok: false, error: "invalid_secret" });
  });

  it("refuses a code of a revoked grant without revoking again", () => {
    expect(decideRedemption({ ...code, status: "revoked" }, "code-hash", redemption, NOW)).toEqual({ ok: false, error: "revoked", reason: "code presented after revocation" });
  });

  it("refuses a duplicate submission (same client, right verifier, within 10 s) without revoking", () => {
    expect(DUPLICATE_WINDOW_MS).toBe(10_000);
    const late = { ...redeemed, codeRedeemedAt: NOW - DUPLICATE_WINDOW_MS };
    for (const state of [redeemed, late]) {
      expect(decideRedemption(state, "code-hash", redemption, NOW)).toEqual({
        ok: false,
        error: "duplicate_submission",
        reason: "code submitted again by the same client within the duplicate window",
      });
    }
  });

  it("revokes the grant on any other second presentation: later, another client, or a wrong verifier", () => {
    const replay = { ok: false, error: "code_replayed", reason: "code presented after it was redeemed", revokeReason: "authorization code replayed" };
    expect(decideRedemption({ ...redeemed, codeRedeemedAt: NOW - DUPLICATE_WINDOW_MS - 1 }, "code-hash", redemption, NOW)).toEqual(replay);
    expect(decideRedemption(redeemed, "code-hash", { ...redemption, clientId: "client-2" }, NOW)).toEqual(replay);
    expect(decideRedemption(redeemed, "code-hash", { ...redemption, verifierChallenge: "other" }, NOW)).toEqual(replay);
    expect(decideRedemption({ ...redeemed, codeRedeemedAt: null }, "code-hash", redemption, NOW)).toEqual(replay);
  });

  it("refuses a code while the grant is in another state", () => {
    expect(decideRedemption({ ...code, status: "login" }, "code-hash", redemption, NOW)).toEqual({ ok: false, error: "wrong_state", reason: "code presented while login" });
  });

  it("refuses an expired code", () => {
    expect(decideRedemption(code, "code-hash", redemption, code.expiresAt)).toEqual({ ok: false, error: "expired", reason: "code expired" });
  });

  it("refuses another client's presentation without change", () => {
    expect(decideRedemption(code, "code-hash", { ...redemption, clientId: "client-2" }, NOW)).toEqual({ ok: false, error: "client_mismatch", reason: "code issued to another client" });
  });

  it("requires the redirect_uri when it was sent at /authorize, and the same one whenever presented", () => {
    const { redirectUri: _omitted, ...without } = redemption;
    expect(decideRedemption(code, "code-hash", without, NOW)).toEqual({ ok: false, error: "redirect_uri_mismatch", reason: "redirect_uri missing" });
    expect(decideRedemption(code, "code-hash", { ...redemption, redirectUri: "http://127.0.0.1:3000/other" }, NOW)).toEqual({ ok: false, error: "redirect_uri_mismatch", reason: "redirect_uri differs" });
    const notSent = { ...code, request: { ...code.request, redirectUriSent: false } };
    expect(decideRedemption(notSent, "code-hash", without, NOW)).toMatchObject({ ok: true });
    expect(decideRedemption(notSent, "code-hash", { ...redemption, redirectUri: "http://127.0.0.1:3000/other" }, NOW)).toMatchObject({ error: "redirect_uri_mismatch" });
  });

  it("refuses a wrong code_verifier", () => {
    expect(decideRedemption(code, "code-hash", { ...redemption, verifierChallenge: "other" }, NOW)).toEqual({ ok: false, error: "pkce_mismatch", reason: "code_verifier does not match" });
  });

  it("refuses another resource, and accepts the same one or none", () => {
    expect(decideRedemption(code, "code-hash", { ...redemption, resource: "https://other.example/mcp" }, NOW)).toEqual({ ok: false, error: "resource_mismatch", reason: "resource differs" });
    expect(decideRedemption(code, "code-hash", { ...redemption, resource: "https://gh.example/mcp" }, NOW)).toMatchObject({ ok: true });
  });
});

const family: RefreshState = {
  status: "active",
  request: { clientId: "client-1", scope: "mcp offline_access", resource: "https://gh.example/mcp" },
  expiresAt: NOW + 30 * DAY_MS,
  maxExpiresAt: NOW + 60 * DAY_MS,
  token: { hash: "token-hash", rotatedAt: null },
  successor: undefined,
  derivedSuccessorHash: "successor-hash",
};
const refresh: RefreshPresentation = { clientId: "client-1", replayWindowSeconds: 30, refreshIdleTtlSeconds: 30 * 86_400 };
/** The presented token was rotated 5 s ago into the successor derived from it, still unused. */
const used: RefreshState = { ...family, token: { hash: "token-hash", rotatedAt: NOW - 5_000 }, successor: { hash: "successor-hash", rotatedAt: null } };
const reuse = { ok: false, error: "refresh_reused", reason: "a rotated refresh token was presented again", revokeReason: "rotated refresh token reused" };

describe("decideRotation", () => {
  it("lets the first presentation of a token win, moving the idle expiry up to the absolute one", () => {
    expect(decideRotation(family, refresh, NOW)).toEqual({ ok: true, replayed: false, scope: "mcp offline_access", idleExpiresAt: NOW + 30 * DAY_MS, maxExpiresAt: NOW + 60 * DAY_MS });
    const nearEnd = { ...family, maxExpiresAt: NOW + DAY_MS };
    expect(decideRotation(nearEnd, refresh, NOW)).toMatchObject({ ok: true, idleExpiresAt: NOW + DAY_MS, maxExpiresAt: NOW + DAY_MS });
  });

  it("takes the current expiry as the absolute one when none is stored", () => {
    expect(decideRotation({ ...family, maxExpiresAt: null }, refresh, NOW)).toMatchObject({ ok: true, idleExpiresAt: family.expiresAt, maxExpiresAt: family.expiresAt });
  });

  it("refuses a token that is not of the family", () => {
    expect(decideRotation({ ...family, token: undefined }, refresh, NOW)).toEqual({ ok: false, error: "invalid_secret", reason: "refresh token does not match" });
  });

  it("refuses a token of a revoked grant without revoking again", () => {
    expect(decideRotation({ ...used, status: "revoked" }, refresh, NOW)).toEqual({ ok: false, error: "revoked", reason: "refresh token presented after revocation" });
  });

  it("refuses a token while the grant is not active", () => {
    expect(decideRotation({ ...family, status: "code_issued" }, refresh, NOW)).toEqual({ ok: false, error: "wrong_state", reason: "refresh token presented while code_issued" });
  });

  it("refuses a token once the grant has expired (idle or absolute)", () => {
    expect(decideRotation(family, refresh, family.expiresAt)).toEqual({ ok: false, error: "expired", reason: "grant expired" });
  });

  it("refuses another client's presentation without change, even of a used token", () => {
    const other = { ...refresh, clientId: "client-2" };
    for (const state of [family, used]) {
      expect(decideRotation(state, other, NOW)).toEqual({ ok: false, error: "client_mismatch", reason: "refresh token issued to another client" });
    }
  });

  it("gives the same successor back for the previous token within the replay window, writing nothing", () => {
    expect(decideRotation(used, refresh, NOW)).toMatchObject({ ok: true, replayed: true, scope: "mcp offline_access" });
    expect(decideRotation({ ...used, token: { hash: "token-hash", rotatedAt: NOW - 30_000 } }, refresh, NOW)).toMatchObject({ ok: true, replayed: true });
  });

  it("revokes the grant on reuse past the window, with a strict window, or once the successor was used", () => {
    expect(decideRotation({ ...used, token: { hash: "token-hash", rotatedAt: NOW - 30_001 } }, refresh, NOW)).toEqual(reuse);
    expect(decideRotation(used, { ...refresh, replayWindowSeconds: 0 }, NOW)).toEqual(reuse);
    expect(decideRotation({ ...used, successor: { hash: "successor-hash", rotatedAt: NOW - 1_000 } }, refresh, NOW)).toEqual(reuse);
  });

  it("revokes the grant when the used token's successor is not the one derived from it", () => {
    expect(decideRotation({ ...used, successor: undefined }, refresh, NOW)).toEqual(reuse);
    expect(decideRotation({ ...used, successor: { hash: "another-hash", rotatedAt: null } }, refresh, NOW)).toEqual(reuse);
  });

  it("narrows the scope to what is asked, in the granted order, and refuses a wider one", () => {
    expect(decideRotation(family, { ...refresh, scope: ["offline_access", "mcp"] }, NOW)).toMatchObject({ ok: true, scope: "mcp offline_access" });
    expect(decideRotation(family, { ...refresh, scope: ["mcp"] }, NOW)).toMatchObject({ ok: true, scope: "mcp" });
    expect(decideRotation(family, { ...refresh, scope: ["mcp", "admin"] }, NOW)).toEqual({ ok: false, error: "scope_widened", reason: "scope asks for more than was granted" });
    expect(decideRotation(used, { ...refresh, scope: ["mcp"] }, NOW)).toMatchObject({ ok: true, replayed: true, scope: "mcp" });
  });

  it("refuses another resource, and accepts the same one", () => {
    expect(decideRotation(family, { ...refresh, resource: "https://other.example/mcp" }, NOW)).toEqual({ ok: false, error: "resource_mismatch", reason: "resource differs" });
    expect(decideRotation(family, { ...refresh, resource: "https://gh.example/mcp" }, NOW)).toMatchObject({ ok: true, replayed: false });
  });
});
