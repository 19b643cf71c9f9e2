// When an earlier consent and sign-in carry over (src/oauth/consent-policy.ts).
import { describe, expect, it } from "vitest";
import { consentStep, redirectHost, scopesApproved, sessionCounts, upstreamPrompt } from "../../src/oauth/consent-policy";

describe("redirectHost", () => {
  it("keeps scheme and host, drops port, path and query", () => {
    expect(redirectHost("http://127.0.0.1:33418/callback?x=1")).toBe("http://127.0.0.1");
    expect(redirectHost("http://127.0.0.1:50123/other")).toBe("http://127.0.0.1");
    expect(redirectHost("https://claude.ai/api/mcp/auth_callback")).toBe("https://claude.ai");
    expect(redirectHost("cursor://anysphere.cursor-retrieval/oauth/callback")).toBe("cursor://anysphere.cursor-retrieval");
  });

  it("tells https and http apart", () => {
    expect(redirectHost("https://app.example/cb")).not.toBe(redirectHost("http://app.example/cb"));
  });
});

describe("scopesApproved", () => {
  it("covers a subset of what was approved", () => {
    expect(scopesApproved(["mcp", "offline_access"], ["mcp"])).toBe(true);
    expect(scopesApproved(["mcp"], ["mcp"])).toBe(true);
  });
  it("does not cover a new scope or a client never approved", () => {
    expect(scopesApproved(["mcp"], ["mcp", "offline_access"])).toBe(false);
    expect(scopesApproved(undefined, ["mcp"])).toBe(false);
  });
});

describe("sessionCounts", () => {
  const session = { userId: "usr_1", provider: "dev", signedInAt: 1_000 };
  it("accepts a session when the person never signed out everywhere, or did before it began", () => {
    expect(sessionCounts(session, undefined)).toBe(true);
    expect(sessionCounts(session, 999)).toBe(true);
  });
  it("refuses a session that began before (or at) a sign-out everywhere, and no session", () => {
    expect(sessionCounts(session, 1_000)).toBe(false);
    expect(sessionCounts(session, 5_000)).toBe(false);
    expect(sessionCounts(undefined, undefined)).toBe(false);
  });
});

describe("consentStep", () => {
  it("skips the page only for a signed-in person who approved everything asked", () => {
    expect(consentStep({ prompt: [], signedIn: true, approved: true })).toBe("skip");
    expect(consentStep({ prompt: [], signedIn: true, approved: false })).toBe("show");
    expect(consentStep({ prompt: [], signedIn: false, approved: true })).toBe("show");
  });
  it("always shows it with prompt=consent, and skips it with prompt=login", () => {
    expect(consentStep({ prompt: ["consent"], signedIn: true, approved: true })).toBe("show");
    expect(consentStep({ prompt: ["login"], signedIn: true, approved: true })).toBe("skip");
  });
});

describe("upstreamPrompt", () => {
  it("passes prompt=login on, and asks silently only for remembered consent at an OpenID provider", () => {
    expect(upstreamPrompt({ prompt: ["login"], remembered: true, oidc: true })).toBe("login");
    expect(upstreamPrompt({ prompt: [], remembered: true, oidc: true })).toBe("none");
    expect(upstreamPrompt({ prompt: [], remembered: true, oidc: false })).toBeUndefined();
    expect(upstreamPrompt({ prompt: [], remembered: false, oidc: true })).toBeUndefined();
  });
});
