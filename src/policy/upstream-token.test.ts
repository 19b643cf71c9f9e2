// The upstream-token decision: serve, refresh within the margin, terminal without a usable refresh token.
import { describe, expect, it } from "vitest";
import { AHEAD_RETRY_MS, decideUpstreamToken, RECENT_USE_MS, REFRESH_AHEAD_MS, REFRESH_MARGIN_MS, refreshAheadAt } from "./upstream-token";

const NOW = 1_800_000_000_000;
const entry = { expiresAt: NOW + 3_600_000, refreshable: true, clientId: "gatehouse" };

describe("decideUpstreamToken", () => {
  it("serves a token valid for longer than the margin", () => {
    expect(decideUpstreamToken(entry, "gatehouse", NOW)).toEqual({ action: "serve" });
    expect(decideUpstreamToken({ ...entry, expiresAt: NOW + REFRESH_MARGIN_MS + 1 }, "gatehouse", NOW)).toEqual({ action: "serve" });
  });

  it("serves a token without expiry", () => {
    expect(decideUpstreamToken({ ...entry, expiresAt: null, refreshable: false }, "other", NOW)).toEqual({ action: "serve" });
  });

  it("refreshes a token expiring within the margin, or expired", () => {
    expect(decideUpstreamToken({ ...entry, expiresAt: NOW + REFRESH_MARGIN_MS }, "gatehouse", NOW)).toEqual({ action: "refresh" });
    expect(decideUpstreamToken({ ...entry, expiresAt: NOW - 1 }, "gatehouse", NOW)).toEqual({ action: "refresh" });
  });

  it("is terminal when a due token has no refresh token", () => {
    expect(decideUpstreamToken({ ...entry, expiresAt: NOW, refreshable: false }, "gatehouse", NOW)).toMatchObject({ action: "terminal" });
  });

  it("is terminal when the refresh token was issued to an older upstream client, but serves until then", () => {
    expect(decideUpstreamToken({ ...entry, expiresAt: NOW }, "rotated", NOW)).toEqual({ action: "terminal", reason: "upstream refresh token was issued to another client_id" });
    expect(decideUpstreamToken(entry, "rotated", NOW)).toEqual({ action: "serve" });
  });
});

describe("refreshAheadAt", () => {
  const HOUR = 3_600_000;
  const used = { expiresAt: NOW + HOUR, refreshable: true, issuedAt: NOW, usedAt: NOW, aheadTriedAt: null };

  it("refreshes a recently used hour-long token five minutes before it expires", () => {
    expect(refreshAheadAt(used)).toBe(NOW + HOUR - REFRESH_AHEAD_MS);
  });

  it("waits for half the life of a short-lived token", () => {
    expect(refreshAheadAt({ ...used, expiresAt: NOW + 120_000 })).toBe(NOW + 60_000);
  });

  it("waits AHEAD_RETRY_MS after the last attempt", () => {
    expect(refreshAheadAt({ ...used, aheadTriedAt: NOW + HOUR - 60_000 })).toBe(NOW + HOUR - 60_000 + AHEAD_RETRY_MS);
  });

  it("leaves alone what was not used within a day, cannot be refreshed, or never expires", () => {
    expect(refreshAheadAt({ ...used, usedAt: NOW + HOUR - RECENT_USE_MS - REFRESH_AHEAD_MS - 1 })).toBeUndefined();
    expect(refreshAheadAt({ ...used, usedAt: null })).toBeUndefined();
    expect(refreshAheadAt({ ...used, refreshable: false })).toBeUndefined();
    expect(refreshAheadAt({ ...used, expiresAt: null })).toBeUndefined();
  });
});
