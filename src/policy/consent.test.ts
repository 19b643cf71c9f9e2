// When an earlier consent and sign-in carry over (src/policy/consent.ts).
import { describe, expect, it } from "vitest";
import { consentRememberable, consentStep, redirectHost, resourceApproved, scopesApproved, sessionCounts, upstreamPrompt } from "./consent";

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

describe("resourceApproved", () => {
  const mcp = "https://auth.example.com/mcp";
  const docs = "https://auth.example.com/mcp/docs";

  it("holds only for a resource the consent was given for", () => {
    expect(resourceApproved([mcp, docs], docs, mcp)).toBe(true);
    expect(resourceApproved([mcp], docs, mcp)).toBe(false);
  });

  it("reads a consent recorded before resources were kept as one for the built-in /mcp only", () => {
    expect(resourceApproved(undefined, mcp, mcp)).toBe(true);
    expect(resourceApproved(undefined, docs, mcp)).toBe(false);
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

describe("consentRememberable", () => {
  const publicDcr = { kind: "dcr", tokenEndpointAuthMethod: "none" } as const;
  const confidentialDcr = { kind: "dcr", tokenEndpointAuthMethod: "client_secret_post" } as const;
  const cimd = { kind: "cimd", tokenEndpointAuthMethod: "none" } as const;
  const publicStatic = { kind: "static", tokenEndpointAuthMethod: "none" } as const;
  const confidentialStatic = { kind: "static", tokenEndpointAuthMethod: "client_secret_basic" } as const;

  it("never lets a client that cannot authenticate return to a loopback or private-use URI without the page (RFC 8252 §8.6)", () => {
    for (const client of [publicDcr, cimd, publicStatic]) {
      expect(consentRememberable(client, "http://127.0.0.1:33418/callback")).toBe(false);
      expect(consentRememberable(client, "http://localhost:5173/cb")).toBe(false);
      expect(consentRememberable(client, "http://[::1]:8080/cb")).toBe(false);
      expect(consentRememberable(client, "cursor://anysphere.cursor-retrieval/oauth/callback")).toBe(false);
      expect(consentRememberable(client, "com.example.app:/oauth")).toBe(false);
    }
  });

  it("remembers consent for an https redirect of a confidential client or a metadata document", () => {
    expect(consentRememberable(confidentialDcr, "https://claude.ai/api/mcp/auth_callback")).toBe(true);
    expect(consentRememberable(cimd, "https://app.example/cb")).toBe(true);
  });

  it("does not remember consent for a public registered client's https redirect, nor a confidential one's loopback or private-use redirect", () => {
    expect(consentRememberable(publicDcr, "https://app.example/cb")).toBe(false);
    expect(consentRememberable(confidentialDcr, "http://127.0.0.1:33418/callback")).toBe(false);
    expect(consentRememberable(confidentialDcr, "cursor://anysphere.cursor-retrieval/oauth/callback")).toBe(false);
  });

  it("remembers consent for the operator's static clients, except a public one returning to this device", () => {
    expect(consentRememberable(confidentialStatic, "http://127.0.0.1:33418/callback")).toBe(true);
    expect(consentRememberable(confidentialStatic, "https://app.example/cb")).toBe(true);
    expect(consentRememberable(publicStatic, "https://app.example/cb")).toBe(true);
  });
});

describe("consentStep", () => {
  const client = { kind: "dcr", tokenEndpointAuthMethod: "client_secret_post" } as const;
  const redirectUri = "https://app.example/cb";

  it("skips the page only for a signed-in person who approved everything asked", () => {
    expect(consentStep({ prompt: [], signedIn: true, approved: true, client, redirectUri })).toBe("skip");
    expect(consentStep({ prompt: [], signedIn: true, approved: false, client, redirectUri })).toBe("show");
    expect(consentStep({ prompt: [], signedIn: false, approved: true, client, redirectUri })).toBe("show");
  });
  it("always shows it with prompt=consent, and skips it with prompt=login", () => {
    expect(consentStep({ prompt: ["consent"], signedIn: true, approved: true, client, redirectUri })).toBe("show");
    expect(consentStep({ prompt: ["login"], signedIn: true, approved: true, client, redirectUri })).toBe("skip");
  });
  it("always shows it to a public client returning to a loopback or private-use URI, even with everything approved", () => {
    const publicClient = { kind: "dcr", tokenEndpointAuthMethod: "none" } as const;
    expect(consentStep({ prompt: [], signedIn: true, approved: true, client: publicClient, redirectUri: "http://127.0.0.1:50123/callback" })).toBe("show");
    expect(consentStep({ prompt: ["login"], signedIn: true, approved: true, client: publicClient, redirectUri: "cursor://anysphere.cursor-retrieval/oauth/callback" })).toBe("show");
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
