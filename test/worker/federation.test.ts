import { env, exports } from "cloudflare:workers";
import { calculatePKCECodeChallenge, generateRandomCodeVerifier, generateRandomNonce, generateRandomState } from "oauth4webapi";
import { describe, expect, it } from "vitest";
import { type UpstreamProvider, loadConfig } from "../../src/config";
import { PageError } from "../../src/errors";
import { type UpstreamLeg, completeUpstreamLogin, upstreamAuthorizationUrl } from "../../src/upstream/federation";
import { parseForm } from "./helpers/browser";

const config = loadConfig(env);
const DEV_ISSUER = `${config.publicUrl}/dev-idp`;

function devProvider(overrides: Partial<UpstreamProvider> = {}): UpstreamProvider {
  const provider = config.upstreams.find((u) => u.builtIn);
  if (!provider) throw new Error("the test environment has DEV_IDP=true");
  return { ...provider, ...overrides };
}

function newLeg(): UpstreamLeg {
  return { state: generateRandomState(), nonce: generateRandomNonce(), codeVerifier: generateRandomCodeVerifier(), redirectUri: `${config.publicUrl}/callback` };
}

/** Follows the authorization URL to the dev IdP's page, submits its form, and returns the callback URL it redirects to. */
async function browse(url: URL, submit: Record<string, string> = { email: "alice@example.com", name: "Alice", action: "login" }): Promise<URL> {
  const page = await exports.default.fetch(url.href, { redirect: "manual" });
  expect(page.status).toBe(200);
  const form = new URLSearchParams([...parseForm(await page.text()).hidden, ...Object.entries(submit)]);
  const res = await exports.default.fetch(`${url.origin}${url.pathname}`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: form,
    redirect: "manual",
  });
  expect(res.status).toBe(302);
  return new URL(res.headers.get("Location") ?? "");
}

/** Signs in at the dev IdP as a browser would and returns the callback URL, for `completeUpstreamLogin`. */
async function loginUpstream(provider: UpstreamProvider, leg: UpstreamLeg, submit?: Record<string, string>): Promise<URL> {
  return browse(await upstreamAuthorizationUrl(env, config, provider, leg), submit);
}

describe("upstreamAuthorizationUrl", () => {
  it("asks for a code with PKCE S256, state, nonce, scope and the prompt passed through", async () => {
    const leg = newLeg();
    const url = await upstreamAuthorizationUrl(env, config, devProvider(), leg, { prompt: "login" });
    expect(`${url.origin}${url.pathname}`).toBe(`${DEV_ISSUER}/authorize`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: "code",
      client_id: "gatehouse",
      redirect_uri: `${config.publicUrl}/callback`,
      scope: "openid email profile",
      state: leg.state,
      nonce: leg.nonce,
      code_challenge: await calculatePKCECodeChallenge(leg.codeVerifier),
      code_challenge_method: "S256",
      prompt: "login",
    });
  });

  it("sends no nonce to a plain OAuth 2.0 provider", async () => {
    const url = await upstreamAuthorizationUrl(env, config, oauth2Provider(), newLeg());
    expect(url.searchParams.has("nonce")).toBe(false);
    expect(url.searchParams.get("code_challenge_method")).toBe("S256");
  });

  it("throws a 502 page error when the provider cannot be reached", async () => {
    const down = { ...devProvider(), name: "down", label: "Down IdP", issuer: "http://127.0.0.1:9/", builtIn: false };
    const error = await upstreamAuthorizationUrl(env, config, down, newLeg()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PageError);
    expect(error).toMatchObject({ status: 502, title: "Sign-in is unavailable", message: "Down IdP cannot be reached right now. Try again in a moment." });
  });
});

describe("completeUpstreamLogin against the built-in development IdP", () => {
  it("returns the verified identity and the upstream tokens after a real round trip", async () => {
    const leg = newLeg();
    const callback = await loginUpstream(devProvider(), leg);
    expect(`${callback.origin}${callback.pathname}`).toBe(leg.redirectUri);
    const before = Date.now();
    const result = await completeUpstreamLogin(env, config, devProvider(), callback, leg);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.identity).toEqual({
      provider: "dev",
      subject: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      email: "alice@example.com",
      emailVerified: true,
      domain: "example.com",
      name: "Alice",
      orgId: "example.com",
      orgName: "Example",
    });
    expect(result.tokens.accessToken).toMatch(/^ey/);
    expect(result.tokens.idToken).toMatch(/^ey/);
    expect(result.tokens.refreshToken).toBeUndefined();
    expect(result.tokens.expiresAt).toBeGreaterThanOrEqual(before + 3600_000);
    expect(result.tokens.expiresAt).toBeLessThanOrEqual(Date.now() + 3600_000);
    // When the person last authenticated: the ID token's auth_time (seconds), in epoch milliseconds.
    const idClaims = JSON.parse(atob((result.tokens.idToken ?? "").split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))) as { auth_time: number };
    expect(typeof idClaims.auth_time).toBe("number");
    expect(result.authTime).toBe(idClaims.auth_time * 1000);
  });

  it("gives the same subject to the same person on every sign-in", async () => {
    const subject = async () => {
      const leg = newLeg();
      const result = await completeUpstreamLogin(env, config, devProvider(), await loginUpstream(devProvider(), leg), leg);
      return result.ok ? result.identity.subject : undefined;
    };
    const first = await subject();
    expect(first).toBeDefined();
    expect(await subject()).toBe(first);
  });

  it("reports access_denied when the person cancels upstream", async () => {
    const leg = newLeg();
    const callback = await loginUpstream(devProvider(), leg, { action: "cancel" });
    expect(await completeUpstreamLogin(env, config, devProvider(), callback, leg)).toEqual({
      ok: false,
      error: "access_denied",
      description: "The sign-in was cancelled at Development sign-in.",
      reason: "upstream error=access_denied",
    });
  });

  it("refuses a callback whose state is not the leg's", async () => {
    const leg = newLeg();
    const callback = await loginUpstream(devProvider(), leg);
    const result = await completeUpstreamLogin(env, config, devProvider(), callback, { ...leg, state: generateRandomState() });
    expect(result).toEqual({
      ok: false,
      error: "upstream_error",
      description: "The answer from Development sign-in could not be verified. Try signing in again.",
      reason: 'OAUTH_INVALID_RESPONSE: unexpected "state" response parameter value',
    });
  });

  it("refuses an ID token whose nonce is not the leg's", async () => {
    const leg = newLeg();
    const callback = await loginUpstream(devProvider(), leg);
    const result = await completeUpstreamLogin(env, config, devProvider(), callback, { ...leg, nonce: generateRandomNonce() });
    expect(result).toMatchObject({ ok: false, error: "upstream_error", reason: 'OAUTH_JWT_CLAIM_COMPARISON_FAILED: unexpected ID Token "nonce" claim value' });
  });

  it("refuses a callback without iss from a provider that advertises RFC 9207", async () => {
    const leg = newLeg();
    const callback = await loginUpstream(devProvider(), leg);
    callback.searchParams.delete("iss");
    const result = await completeUpstreamLogin(env, config, devProvider(), callback, leg);
    expect(result).toMatchObject({ ok: false, error: "upstream_error", reason: 'OAUTH_INVALID_RESPONSE: response parameter "iss" (issuer) missing' });
  });

  it("refuses a callback whose iss names another issuer (mix-up attack)", async () => {
    const leg = newLeg();
    const callback = await loginUpstream(devProvider(), leg);
    callback.searchParams.set("iss", "https://attacker.example");
    const result = await completeUpstreamLogin(env, config, devProvider(), callback, leg);
    expect(result).toMatchObject({ ok: false, error: "upstream_error", reason: 'OAUTH_INVALID_RESPONSE: unexpected "iss" (issuer) response parameter value' });
  });

  it("reports the token endpoint's refusal without passing its text to the person", async () => {
    const leg = newLeg();
    const callback = await loginUpstream(devProvider(), leg);
    const result = await completeUpstreamLogin(env, config, devProvider(), callback, { ...leg, codeVerifier: generateRandomCodeVerifier() });
    expect(result).toEqual({
      ok: false,
      error: "upstream_error",
      description: "Development sign-in refused to complete the sign-in. Try signing in again.",
      reason: "upstream HTTP 400 error=invalid_grant",
    });
  });

  it("reports another upstream authorization error as upstream_error", async () => {
    const leg = newLeg();
    const callback = new URL(leg.redirectUri);
    callback.search = new URLSearchParams({ error: "server_error", error_description: "<script>", state: leg.state, iss: DEV_ISSUER }).toString();
    expect(await completeUpstreamLogin(env, config, devProvider(), callback, leg)).toEqual({
      ok: false,
      error: "upstream_error",
      description: "Development sign-in could not sign you in.",
      reason: "upstream error=server_error",
    });
  });

  it("refuses an unverified email with email_unverified unless the provider allows it", async () => {
    // Pointing email_verified at a claim the dev IdP does not send makes every email unverified.
    const strict = devProvider({ claims: { ...devProvider().claims, emailVerified: "no_such_claim" } });
    const leg = newLeg();
    expect(await completeUpstreamLogin(env, config, strict, await loginUpstream(strict, leg), leg)).toEqual({
      ok: false,
      error: "email_unverified",
      description: "Your account at Development sign-in has no verified email address. Verify your email there, then try again.",
      reason: "upstream email is not verified",
    });

    const lenient = { ...strict, allowUnverifiedEmail: true };
    const leg2 = newLeg();
    const result = await completeUpstreamLogin(env, config, lenient, await loginUpstream(lenient, leg2), leg2);
    expect(result.ok && result.identity).toMatchObject({ email: "alice@example.com", emailVerified: false });
  });

  it("reports a provider that cannot be reached as upstream_error", async () => {
    const down = { ...devProvider(), name: "down", label: "Down IdP", issuer: "http://127.0.0.1:9/", builtIn: false };
    const leg = newLeg();
    const callback = new URL(`${leg.redirectUri}?code=abc&state=${leg.state}`);
    const result = await completeUpstreamLogin(env, config, down, callback, leg);
    expect(result).toEqual({ ok: false, error: "upstream_error", description: "Down IdP cannot be reached right now. Try again in a moment.", reason: "Error: Network connection lost." });
  });
});

/** The dev IdP described as a plain OAuth 2.0 provider (GitHub-style): explicit endpoints, identity from userinfo. */
function oauth2Provider(): UpstreamProvider {
  return devProvider({
    name: "plain",
    type: "oauth2",
    scopes: "email profile",
    authorizationEndpoint: `${DEV_ISSUER}/authorize`,
    tokenEndpoint: `${DEV_ISSUER}/token`,
    userinfoEndpoint: `${DEV_ISSUER}/userinfo`,
  });
}

describe("completeUpstreamLogin against a plain OAuth 2.0 provider", () => {
  it("reads the identity from the userinfo endpoint when there is no ID token", async () => {
    const leg = newLeg();
    const provider = oauth2Provider();
    const callback = await loginUpstream(provider, leg, { email: "ivan@corp.example", action: "login" });
    const before = Date.now();
    const result = await completeUpstreamLogin(env, config, provider, callback, leg);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    // No ID token, so no auth_time: the sign-in counts from the callback.
    expect(result.authTime).toBeGreaterThanOrEqual(before);
    expect(result.authTime).toBeLessThanOrEqual(Date.now());
    expect(result.identity).toMatchObject({ provider: "plain", email: "ivan@corp.example", emailVerified: true, domain: "corp.example", name: "ivan", orgId: "corp.example", orgName: "Corp" });
    expect(result.tokens.idToken).toBeUndefined();
  });
});
