// The upstream-token decision: serve, refresh within the margin, terminal without a usable refresh token.
import { describe, expect, it } from "vitest";
import { decideUpstreamToken, REFRESH_MARGIN_MS } from "./upstream-token";

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
