import { createExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { generateRandomCodeVerifier } from "oauth4webapi";
import { describe, expect, it } from "vitest";
import worker from "../../src/worker";
import { pkce } from "../support/oauth";

const BASE = "http://localhost:8787";
const ISSUER = `${BASE}/dev-idp`;
const CALLBACK = `${BASE}/callback`;

async function authorizeParams(overrides: Record<string, string | undefined> = {}) {
  const { verifier, challenge } = await pkce();
  const params: Record<string, string | undefined> = {
    client_id: "gatehouse",
    redirect_uri: CALLBACK,
    response_type: "code",
    scope: "openid email profile",
    state: "state-123",
    nonce: "nonce-456",
    code_challenge: challenge,
    code_challenge_method: "S256",
    ...overrides,
  };
  const defined = Object.fromEntries(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined));
  return { verifier, params: defined };
}

function authorizeGet(params: Record<string, string>) {
  return exports.default.fetch(`${ISSUER}/authorize?${new URLSearchParams(params)}`, { redirect: "manual" });
}

function post(path: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  return exports.default.fetch(`${ISSUER}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(form),
    redirect: "manual",
  });
}

/** Signs in at the dev IdP and returns the code from the redirect, with the verifier that redeems it. */
async function loginAtDevIdp(email = "alice@example.com", name?: string, overrides: Record<string, string | undefined> = {}) {
  const { verifier, params } = await authorizeParams(overrides);
  const res = await post("/authorize", { ...params, email, ...(name ? { name } : {}), action: "login" });
  expect(res.status).toBe(302);
  const location = new URL(res.headers.get("Location") ?? "");
  return { verifier, location, code: location.searchParams.get("code") ?? "" };
}

function redeem(code: string, verifier: string, overrides: Record<string, string> = {}) {
  return post("/token", { grant_type: "authorization_code", client_id: "gatehouse", code, redirect_uri: CALLBACK, code_verifier: verifier, ...overrides });
}

async function jwks() {
  const res = await exports.default.fetch(`${ISSUER}/jwks`);
  return createLocalJWKSet(await res.json());
}

describe("development IdP discovery", () => {
  it("publishes OpenID provider metadata with the issuer PUBLIC_URL/dev-idp", async () => {
    const res = await exports.default.fetch(`${ISSUER}/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({
      issuer: ISSUER,
      authorization_endpoint: `${ISSUER}/authorize`,
      token_endpoint: `${ISSUER}/token`,
      userinfo_endpoint: `${ISSUER}/userinfo`,
      jwks_uri: `${ISSUER}/jwks`,
      response_types_supported: ["code"],
      id_token_signing_alg_values_supported: ["ES256"],
      code_challenge_methods_supported: ["S256"],
      token_endpoint_auth_methods_supported: ["none"],
      authorization_response_iss_parameter_supported: true,
    });
  });

  it("publishes ES256 public keys without private parts, the same on every call", async () => {
    const first = await (await exports.default.fetch(`${ISSUER}/jwks`)).json<{ keys: Record<string, string>[] }>();
    const second = await (await exports.default.fetch(`${ISSUER}/jwks`)).json();
    expect(first.keys.length).toBeGreaterThanOrEqual(1);
    for (const key of first.keys) {
      expect(key).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" });
      expect(key.d).toBeUndefined();
    }
    expect(second).toEqual(first);
  });

  it("answers 404 on every path when DEV_IDP is off", async () => {
    const off = { ...env, DEV_IDP: "false", UPSTREAM_ISSUER: "https://idp.example.com", UPSTREAM_CLIENT_ID: "gatehouse" };
    for (const path of ["/.well-known/openid-configuration", "/authorize", "/jwks"]) {
      const res = await worker.fetch(new Request(`${ISSUER}${path}`), off, createExecutionContext());
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: "not_found", error_description: "no such endpoint" });
    }
  });
});

describe("development IdP authorization endpoint", () => {
  it("renders a login page marked as development-only, carrying the request in hidden fields", async () => {
    const { params } = await authorizeParams();
    const res = await authorizeGet(params);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("text/html; charset=UTF-8");
    expect(res.headers.get("Content-Security-Policy")).toContain("frame-ancestors 'none'");
    expect(res.headers.get("X-Frame-Options")).toBe("DENY");
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const html = await res.text();
    expect(html).toContain("Development sign-in — not for production");
    expect(html).toContain('<input id="email" type="email" name="email"');
    expect(html).toContain(`<input type="hidden" name="code_challenge" value="${params.code_challenge}"/>`);
    expect(html).toContain('<input type="hidden" name="state" value="state-123"/>');
    expect(html).toContain('<input type="hidden" name="nonce" value="nonce-456"/>');
  });

  it("shows an error page, never a redirect, for an unknown client", async () => {
    const { params } = await authorizeParams({ client_id: "someone-else" });
    const res = await authorizeGet(params);
    expect(res.status).toBe(400);
    expect(res.headers.get("Location")).toBeNull();
    expect(await res.text()).toContain("Unknown client");
  });

  it("shows an error page, never a redirect, for a redirect_uri other than PUBLIC_URL/callback", async () => {
    const { params } = await authorizeParams({ redirect_uri: "https://evil.example/callback" });
    const res = await authorizeGet(params);
    expect(res.status).toBe(400);
    expect(res.headers.get("Location")).toBeNull();
    expect(await res.text()).toContain("Unregistered redirect URI");
  });

  it.each([
    ["a missing code_challenge", { code_challenge: undefined }, "invalid_request"],
    ["the plain PKCE method", { code_challenge_method: "plain" }, "invalid_request"],
    ["response_type token", { response_type: "token" }, "unsupported_response_type"],
    ["an unknown scope", { scope: "openid admin" }, "invalid_scope"],
  ])("redirects %s back with the error, state and iss", async (_label, overrides, error) => {
    const { params } = await authorizeParams(overrides);
    const res = await authorizeGet(params);
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get("Location") ?? "");
    expect(`${location.origin}${location.pathname}`).toBe(CALLBACK);
    expect(location.searchParams.get("error")).toBe(error);
    expect(location.searchParams.get("state")).toBe("state-123");
    expect(location.searchParams.get("iss")).toBe(ISSUER);
  });

  it("issues a code for any email and redirects with code, state and iss", async () => {
    const { location } = await loginAtDevIdp();
    expect(`${location.origin}${location.pathname}`).toBe(CALLBACK);
    expect(location.searchParams.get("code")).toMatch(/^ey/);
    expect(location.searchParams.get("state")).toBe("state-123");
    expect(location.searchParams.get("iss")).toBe(ISSUER);
  });

  it("re-renders the page with a 400 for something that is not an email", async () => {
    const { params } = await authorizeParams();
    const res = await post("/authorize", { ...params, email: "not-an-email", action: "login" });
    expect(res.status).toBe(400);
    expect(res.headers.get("Location")).toBeNull();
    expect(await res.text()).toContain("Enter an email address");
  });

  it("answers access_denied when the person cancels", async () => {
    const { params } = await authorizeParams();
    const res = await post("/authorize", { ...params, action: "cancel" });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get("Location") ?? "");
    expect(location.searchParams.get("error")).toBe("access_denied");
    expect(location.searchParams.get("state")).toBe("state-123");
    expect(location.searchParams.get("iss")).toBe(ISSUER);
    expect(location.searchParams.get("code")).toBeNull();
  });
});

describe("development IdP token endpoint", () => {
  it("exchanges a code with the right PKCE verifier for tokens, uncached", async () => {
    const { code, verifier } = await loginAtDevIdp();
    const res = await redeem(code, verifier);
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(res.headers.get("Pragma")).toBe("no-cache");
    const body = await res.json<Record<string, unknown>>();
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 3600, scope: "openid email profile" });
    expect(typeof body.access_token).toBe("string");
    expect(typeof body.id_token).toBe("string");
  });

  it("signs an ES256 ID token that verifies against its JWKS, with the login's claims", async () => {
    const { code, verifier } = await loginAtDevIdp("Carol@Widgets.Example.org", "Carol C");
    const { id_token } = await (await redeem(code, verifier)).json<{ id_token: string }>();
    expect(decodeProtectedHeader(id_token)).toMatchObject({ alg: "ES256", typ: "JWT" });
    const { payload } = await jwtVerify(id_token, await jwks(), { issuer: ISSUER, audience: "gatehouse", algorithms: ["ES256"] });
    expect(payload).toMatchObject({
      nonce: "nonce-456",
      email: "carol@widgets.example.org",
      email_verified: true,
      name: "Carol C",
      org_id: "widgets.example.org",
      org_name: "Widgets",
    });
    expect(payload.sub).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(3600);
  });

  it("gives the same subject to the same email whatever its case, and another to another email", async () => {
    const subject = async (email: string) => {
      const { code, verifier } = await loginAtDevIdp(email);
      const { id_token } = await (await redeem(code, verifier)).json<{ id_token: string }>();
      return (await jwtVerify(id_token, await jwks())).payload.sub;
    };
    const a = await subject("dave@example.com");
    expect(await subject("DAVE@Example.com")).toBe(a);
    expect(await subject("erin@example.com")).not.toBe(a);
  });

  it("omits nonce when the request had none and names the user after the email when no name is given", async () => {
    const { code, verifier } = await loginAtDevIdp("frank@example.com", undefined, { nonce: undefined });
    const { id_token } = await (await redeem(code, verifier)).json<{ id_token: string }>();
    const { payload } = await jwtVerify(id_token, await jwks());
    expect(payload.nonce).toBeUndefined();
    expect(payload.name).toBe("frank");
  });

  it("answers a request without the openid scope as plain OAuth 2.0: no ID token", async () => {
    const { code, verifier } = await loginAtDevIdp("heidi@example.com", undefined, { scope: "email profile" });
    const res = await redeem(code, verifier);
    expect(res.status).toBe(200);
    const body = await res.json<Record<string, unknown>>();
    expect(body.id_token).toBeUndefined();
    expect(body).toMatchObject({ token_type: "Bearer", scope: "email profile" });
  });

  it("refuses a wrong PKCE verifier with invalid_grant", async () => {
    const { code } = await loginAtDevIdp();
    const res = await redeem(code, generateRandomCodeVerifier());
    expect(res.status).toBe(400);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(await res.json()).toEqual({ error: "invalid_grant", error_description: "code_verifier does not match the code_challenge" });
  });

  it("refuses a redirect_uri other than the authorization request's with invalid_grant", async () => {
    const { code, verifier } = await loginAtDevIdp();
    const res = await redeem(code, verifier, { redirect_uri: `${BASE}/other` });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "invalid_grant", error_description: "redirect_uri does not match the authorization request" });
  });

  it("refuses a forged or tampered code with invalid_grant", async () => {
    const { code, verifier } = await loginAtDevIdp();
    const [header, payload, signature] = code.split(".");
    const claims = JSON.parse(atob((payload ?? "").replace(/-/g, "+").replace(/_/g, "/")));
    const forged = btoa(JSON.stringify({ ...claims, email: "mallory@example.com" })).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    const res = await redeem(`${header}.${forged}.${signature}`, verifier);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "invalid_grant", error_description: "the code is invalid or expired" });
  });

  it("refuses an unknown client with a 401 invalid_client", async () => {
    const { code, verifier } = await loginAtDevIdp();
    const res = await redeem(code, verifier, { client_id: "someone-else" });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: "invalid_client" });
  });

  it("refuses client credentials from a public client with a 401 invalid_client and a Basic challenge", async () => {
    const { code, verifier } = await loginAtDevIdp();
    const res = await post("/token", { grant_type: "authorization_code", client_id: "gatehouse", code, redirect_uri: CALLBACK, code_verifier: verifier }, { Authorization: `Basic ${btoa("gatehouse:secret")}` });
    expect(res.status).toBe(401);
    expect(res.headers.get("WWW-Authenticate")).toBe('Basic realm="token", charset="UTF-8"');
    expect(await res.json()).toMatchObject({ error: "invalid_client" });
  });

  it("refuses another grant type with unsupported_grant_type", async () => {
    const res = await post("/token", { grant_type: "refresh_token", refresh_token: "x", client_id: "gatehouse" });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "unsupported_grant_type" });
  });

  it("refuses a missing code_verifier and a JSON body with invalid_request", async () => {
    const { code } = await loginAtDevIdp();
    const missing = await post("/token", { grant_type: "authorization_code", client_id: "gatehouse", code, redirect_uri: CALLBACK });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({ error: "invalid_request", error_description: "missing parameter code_verifier" });
    const json = await exports.default.fetch(`${ISSUER}/token`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
    expect(json.status).toBe(400);
    expect(await json.json()).toMatchObject({ error: "invalid_request" });
  });
});

describe("development IdP userinfo endpoint", () => {
  it("returns the profile behind a valid access token", async () => {
    const { code, verifier } = await loginAtDevIdp("grace@example.com", "Grace");
    const { access_token } = await (await redeem(code, verifier)).json<{ access_token: string }>();
    const res = await exports.default.fetch(`${ISSUER}/userinfo`, { headers: { Authorization: `Bearer ${access_token}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ email: "grace@example.com", email_verified: true, name: "Grace", org_id: "example.com", org_name: "Example" });
  });

  it("answers 401 with a Bearer challenge without a valid token", async () => {
    const none = await exports.default.fetch(`${ISSUER}/userinfo`);
    expect(none.status).toBe(401);
    expect(none.headers.get("WWW-Authenticate")).toBe("Bearer");
    const bad = await exports.default.fetch(`${ISSUER}/userinfo`, { headers: { Authorization: "Bearer not.a.token" } });
    expect(bad.status).toBe(401);
    expect(bad.headers.get("WWW-Authenticate")).toBe('Bearer error="invalid_token"');
  });
});
