// checkAuthorizationRequest: RFC 6749 §4.1.2.1 order (page errors before redirect errors), defaults and normal form.
import { describe, expect, it } from "vitest";
import { parseConfig } from "../config";
import type { ClientRecord } from "../db/clients";
import type { Env } from "../env";
import { authorizationErrorUrl, authorizationResponseUrl } from "../oauth/authorization-response";
import { authorizationFields, checkAuthorizationRequest, errorDelivery, MAX_STATE_LENGTH, requestedClientId } from "./authorize-request";
import { OAuthError, PageError } from "../errors";

const config = parseConfig({ PUBLIC_URL: "https://auth.example.com", UPSTREAM_ISSUER: "https://idp.example.com", UPSTREAM_CLIENT_ID: "gh" } as Env);
const CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

const client: ClientRecord = {
  clientId: "c1",
  kind: "dcr",
  clientName: "Cursor",
  redirectUris: ["http://127.0.0.1/callback", "cursor://anysphere.cursor-retrieval/oauth/callback"],
  grantTypes: ["authorization_code", "refresh_token"],
  tokenEndpointAuthMethod: "none",
  applicationType: "native",
  metadata: {},
  createdAt: 0,
};

function params(overrides: Record<string, string | undefined> = {}, extra = ""): URLSearchParams {
  const all: Record<string, string | undefined> = {
    response_type: "code",
    client_id: "c1",
    redirect_uri: "http://127.0.0.1:5555/callback",
    code_challenge: CHALLENGE,
    code_challenge_method: "S256",
    state: "s",
    ...overrides,
  };
  const out = new URLSearchParams(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined));
  for (const [k, v] of new URLSearchParams(extra)) out.append(k, v);
  return out;
}

function check(p: URLSearchParams, c: ClientRecord = client) {
  return checkAuthorizationRequest(config, c, p);
}

function pageReason(p: URLSearchParams, c: ClientRecord | null = client): string | undefined {
  const result = checkAuthorizationRequest(config, c ?? undefined, p);
  if (result.ok || !("page" in result)) throw new Error("expected an error page");
  expect(result.page).toBeInstanceOf(PageError);
  return result.page.reason;
}

function redirected(p: URLSearchParams): { code: string; redirectUri: string; state?: string } {
  const result = check(p);
  if (result.ok || "page" in result) throw new Error("expected an error redirect");
  expect(result.error).toBeInstanceOf(OAuthError);
  return { code: result.error.code, redirectUri: result.redirectUri, state: result.state };
}

describe("checkAuthorizationRequest", () => {
  it("accepts a loopback redirect URI on any port and fills in resource and scope", () => {
    expect(check(params())).toEqual({
      ok: true,
      client,
      request: {
        clientId: "c1",
        redirectUri: "http://127.0.0.1:5555/callback",
        redirectUriSent: true,
        scope: "mcp",
        resource: "https://auth.example.com/mcp",
        codeChallenge: CHALLENGE,
        state: "s",
        prompt: [],
      },
    });
  });

  it("accepts a private-use scheme redirect URI exactly as registered", () => {
    const result = check(params({ redirect_uri: "cursor://anysphere.cursor-retrieval/oauth/callback" }));
    expect(result.ok && result.request.redirectUri).toBe("cursor://anysphere.cursor-retrieval/oauth/callback");
  });

  it("uses the only registered redirect URI when none is sent, and remembers it was not sent", () => {
    const single = { ...client, redirectUris: ["https://app.example/cb"] };
    const result = check(params({ redirect_uri: undefined }), single);
    expect(result.ok && result.request).toMatchObject({ redirectUri: "https://app.example/cb", redirectUriSent: false });
  });

  it.each([
    ["client_id missing", params({ client_id: undefined }), "client_id missing"],
    ["client_id empty", params({ client_id: "" }), "client_id missing"],
    ["client_id repeated", params({}, "client_id=c1"), "client_id repeated"],
    ["redirect_uri repeated", params({}, "redirect_uri=http://127.0.0.1/callback"), "redirect_uri repeated"],
    ["redirect_uri not registered", params({ redirect_uri: "http://127.0.0.1:5555/other" }), "redirect_uri not registered"],
    ["redirect_uri on localhost instead of 127.0.0.1", params({ redirect_uri: "http://localhost:5555/callback" }), "redirect_uri not registered"],
    ["redirect_uri missing with two registered", params({ redirect_uri: undefined }), "redirect_uri missing"],
  ])("shows a page when %s", (_name, p, reason) => {
    expect(pageReason(p)).toBe(reason);
  });

  it.each([
    ["an OS protocol handler", "ms-msdt:/id%20PCWDiagnostic"],
    ["a dotless private-use scheme", "myapp://callback"],
  ])("shows a page for a registered client whose redirect URI, registered before the policy, is %s", (_name, uri) => {
    const old = { ...client, redirectUris: [uri] };
    expect(pageReason(params({ redirect_uri: uri }), old)).toBe("registered redirect_uri fails the redirect URI policy");
    expect(pageReason(params({ redirect_uri: undefined }), old)).toBe("registered redirect_uri fails the redirect URI policy");
    expect(check(params({ redirect_uri: uri }), { ...old, kind: "static" }).ok).toBe(true);
  });

  it("shows a page for an unknown client before looking at anything else", () => {
    expect(pageReason(params({ response_type: "token", code_challenge: undefined }), null)).toBe("unknown client_id");
  });

  it.each([
    ["response_type missing", { response_type: undefined }, "invalid_request"],
    ["response_type token", { response_type: "token" }, "unsupported_response_type"],
    ["response_type code id_token", { response_type: "code id_token" }, "unsupported_response_type"],
    ["no PKCE", { code_challenge: undefined, code_challenge_method: undefined }, "invalid_request"],
    ["method plain", { code_challenge_method: "plain" }, "invalid_request"],
    ["method lower-case", { code_challenge_method: "s256" }, "invalid_request"],
    ["challenge malformed", { code_challenge: "short" }, "invalid_request"],
    ["resource elsewhere", { resource: "https://api.example.com/mcp" }, "invalid_target"],
    ["scope unknown", { scope: "mcp email" }, "invalid_scope"],
    ["prompt none", { prompt: "none" }, "login_required"],
    ["prompt none among others", { prompt: "login none" }, "login_required"],
  ])("redirects an error when %s", (_name, overrides, code) => {
    expect(redirected(params(overrides))).toEqual({ code, redirectUri: "http://127.0.0.1:5555/callback", state: "s" });
  });

  it("redirects invalid_request for a repeated parameter, echoing the single state", () => {
    expect(redirected(params({}, "code_challenge=x"))).toEqual({ code: "invalid_request", redirectUri: "http://127.0.0.1:5555/callback", state: "s" });
  });

  it("echoes no state when state is repeated", () => {
    expect(redirected(params({}, "state=t"))).toEqual({ code: "invalid_request", redirectUri: "http://127.0.0.1:5555/callback", state: undefined });
  });

  it("refuses an over-long state without echoing it", () => {
    expect(redirected(params({ state: "x".repeat(MAX_STATE_LENGTH + 1) }))).toEqual({ code: "invalid_request", redirectUri: "http://127.0.0.1:5555/callback", state: undefined });
  });

  it("redirects unauthorized_client for a client without the authorization_code grant", () => {
    const result = checkAuthorizationRequest(config, { ...client, grantTypes: ["refresh_token"] }, params());
    expect(!result.ok && "error" in result && result.error.code).toBe("unauthorized_client");
  });

  it("accepts offline_access and prompt=consent", () => {
    const result = check(params({ scope: "offline_access mcp", prompt: "consent" }));
    expect(result.ok && result.request).toMatchObject({ scope: "mcp offline_access", prompt: ["consent"] });
  });

  it("ignores parameters it does not know (RFC 6749 §3.1)", () => {
    expect(check(params({ nonce: "n", response_mode: "query", foo: "bar" })).ok).toBe(true);
  });

  it("round-trips through the consent form's hidden fields to the same request", () => {
    for (const p of [params({ scope: "mcp offline_access", prompt: "login" }), params({ state: undefined })]) {
      const first = check(p);
      if (!first.ok) throw new Error("expected ok");
      const again = check(new URLSearchParams(authorizationFields(first.request)));
      expect(again).toEqual(first);
    }
    const single = { ...client, redirectUris: ["https://app.example/cb"] };
    const first = check(params({ redirect_uri: undefined }), single);
    if (!first.ok) throw new Error("expected ok");
    expect(authorizationFields(first.request).redirect_uri).toBeUndefined();
    expect(check(new URLSearchParams(authorizationFields(first.request)), single)).toEqual(first);
  });
});

describe("requestedClientId", () => {
  it("is the client_id only when there is exactly one non-empty value", () => {
    expect(requestedClientId(new URLSearchParams("client_id=a"))).toBe("a");
    expect(requestedClientId(new URLSearchParams("client_id=a&client_id=a"))).toBeUndefined();
    expect(requestedClientId(new URLSearchParams("client_id="))).toBeUndefined();
  });
});

describe("authorization responses", () => {
  it("adds parameters and iss after the redirect URI's own query", () => {
    expect(authorizationResponseUrl("https://app.example/cb?tenant=7", "https://auth.example.com", { code: "c", state: "a b&c" })).toBe(
      "https://app.example/cb?tenant=7&code=c&state=a+b%26c&iss=https%3A%2F%2Fauth.example.com",
    );
  });

  it("works with private-use schemes", () => {
    expect(authorizationResponseUrl("cursor://anysphere.cursor-retrieval/oauth/callback", "https://a.example", { code: "c" })).toBe(
      "cursor://anysphere.cursor-retrieval/oauth/callback?code=c&iss=https%3A%2F%2Fa.example",
    );
    expect(authorizationResponseUrl("com.example.app:/cb", "https://a.example", { code: "c" })).toBe("com.example.app:/cb?code=c&iss=https%3A%2F%2Fa.example");
  });

  it("leaves state out of an error when the request had none", () => {
    const url = new URL(authorizationErrorUrl("http://127.0.0.1:1/cb", "https://a.example", new OAuthError("access_denied", "no"), undefined));
    expect(Object.fromEntries(url.searchParams)).toEqual({ error: "access_denied", error_description: "no", iss: "https://a.example" });
  });
});

describe("errorDelivery (RFC 9700 §4.11.2)", () => {
  it("shows a page for a registered or metadata-document client before the person interacted", () => {
    expect(errorDelivery({ kind: "dcr" }, false)).toBe("page");
    expect(errorDelivery({ kind: "cimd" }, false)).toBe("page");
  });
  it("redirects once the person approved or denied, and always for a static client (RFC 6749 §4.1.2.1)", () => {
    expect(errorDelivery({ kind: "dcr" }, true)).toBe("redirect");
    expect(errorDelivery({ kind: "cimd" }, true)).toBe("redirect");
    expect(errorDelivery({ kind: "static" }, false)).toBe("redirect");
    expect(errorDelivery({ kind: "static" }, true)).toBe("redirect");
  });
});
