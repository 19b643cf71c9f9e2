import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { base64url, exportSPKI, generateKeyPair, importJWK, type JWTPayload, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import { mintAccessToken, verifyAccessToken } from "../../src/tokens/access-token";
import worker from "../../src/worker";
import { liveGrantId } from "./helpers/grant";

const MCP = "http://localhost:8787/mcp";
const CHALLENGE = 'Bearer resource_metadata="http://localhost:8787/.well-known/oauth-protected-resource/mcp", scope="mcp"';
const config = loadConfig(env);
const grantId = await liveGrantId();
const input = { subject: "user-1", clientId: "client-1", scope: "mcp", grantId, email: "ada@example.com", emailVerified: true, domain: "example.com" };

const INITIALIZE = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "test", version: "1" } } });
const WHOAMI = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "whoami", arguments: {} } });

function post(body: string, headers: Record<string, string> = {}, url = MCP): Request {
  return new Request(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream", "MCP-Protocol-Version": "2025-06-18", ...headers },
    body,
  });
}

function withToken(token: string, body = INITIALIZE): Request {
  return post(body, { Authorization: `Bearer ${token}` });
}

function invalidToken(description: string): string {
  return `${CHALLENGE}, error="invalid_token", error_description="${description}"`;
}

/** Valid claims for a hand-made token; tests override one thing at a time. */
function claims(overrides: JWTPayload = {}): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return { iss: config.issuer, sub: "user-1", aud: config.mcpResource, client_id: "client-1", scope: "mcp", sid: grantId, iat: now, exp: now + 600, jti: crypto.randomUUID(), ...overrides };
}

/** Signs `payload` with the KeyRing's current key (ES256), with header overrides. */
async function signed(payload: JWTPayload, header: { typ?: string; kid?: string } = {}): Promise<string> {
  const { kid, privateJwk } = await env.KEYS.get(env.KEYS.idFromName("signing")).getSigningKey();
  return new SignJWT(payload).setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid, ...header }).sign(await importJWK(privateJwk, "ES256"));
}

function encodePart(value: object): string {
  return base64url.encode(JSON.stringify(value));
}

async function expectInvalidToken(res: Response, description = "the access token is invalid or expired") {
  expect(res.status).toBe(401);
  expect(res.headers.get("WWW-Authenticate")).toBe(invalidToken(description));
  expect(await res.json()).toEqual({ error: "invalid_token", error_description: description });
}

/** `token` fails verification for `reason` (the check named in logs), and /mcp answers 401 invalid_token. */
async function expectRejected(token: string, reason: string) {
  expect(await verifyAccessToken(env, config, token)).toEqual({ ok: false, reason });
  await expectInvalidToken(await exports.default.fetch(withToken(token)));
}

describe("bearer authentication at /mcp", () => {
  it("answers a request without credentials with 401 and a challenge carrying no error code", async () => {
    const res = await exports.default.fetch(post(INITIALIZE));
    expect(res.status).toBe(401);
    expect(res.headers.get("WWW-Authenticate")).toBe(CHALLENGE);
    expect(res.headers.get("Access-Control-Expose-Headers")).toContain("WWW-Authenticate");
  });

  it("challenges GET as well, before refusing the method", async () => {
    const res = await exports.default.fetch(MCP);
    expect(res.status).toBe(401);
    expect(res.headers.get("WWW-Authenticate")).toBe(CHALLENGE);
  });

  it("ignores a token in the query string", async () => {
    const { token } = await mintAccessToken(env, config, input);
    const res = await exports.default.fetch(post(INITIALIZE, {}, `${MCP}?access_token=${token}`));
    expect(res.status).toBe(401);
    expect(res.headers.get("WWW-Authenticate")).toBe(CHALLENGE);
  });

  it("ignores a token in a form body", async () => {
    const { token } = await mintAccessToken(env, config, input);
    const res = await exports.default.fetch(MCP, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: `access_token=${token}` });
    expect(res.status).toBe(401);
    expect(res.headers.get("WWW-Authenticate")).toBe(CHALLENGE);
  });

  it("treats another authentication scheme as no credentials", async () => {
    const res = await exports.default.fetch(post(INITIALIZE, { Authorization: "Basic Y2xpZW50OnNlY3JldA==" }));
    expect(res.status).toBe(401);
    expect(res.headers.get("WWW-Authenticate")).toBe(CHALLENGE);
  });

  it("rejects a malformed Authorization header with invalid_token", async () => {
    for (const header of ["Bearer", "Bearer ", "Bearer a b", "Bearer tok,en"]) {
      const res = await exports.default.fetch(post(INITIALIZE, { Authorization: header }));
      await expectInvalidToken(res, "the Authorization header is not a valid Bearer credential");
    }
  });

  it("rejects a bearer value that is not a JWT", async () => {
    await expectRejected("not-a-jwt", "malformed");
    await expectRejected("a.b.c", "malformed");
  });

  it("rejects an unsigned token (alg: none)", async () => {
    const { kid } = await env.KEYS.get(env.KEYS.idFromName("signing")).getSigningKey();
    const token = `${encodePart({ alg: "none", typ: "at+jwt", kid })}.${encodePart(claims())}.`;
    await expectRejected(token, "alg");
  });

  it("rejects an HS256 token whose HMAC key is the published public key", async () => {
    const { kid, privateJwk } = await env.KEYS.get(env.KEYS.idFromName("signing")).getSigningKey();
    const { d: _private, ...publicJwk } = privateJwk;
    const pem = await exportSPKI(await importJWK(publicJwk, "ES256", { extractable: true }));
    for (const secret of [pem, JSON.stringify(publicJwk)]) {
      const token = await new SignJWT(claims()).setProtectedHeader({ alg: "HS256", typ: "at+jwt", kid }).sign(new TextEncoder().encode(secret));
      await expectRejected(token, "alg");
    }
  });

  it("rejects a token with a tampered payload", async () => {
    const [header, , signature] = (await signed(claims())).split(".");
    const token = `${header}.${encodePart(claims({ sub: "someone-else" }))}.${signature}`;
    await expectRejected(token, "signature");
  });

  it("rejects a token signed by a key the ring never published", async () => {
    const now = Math.floor(Date.now() / 1000);
    const { privateKey } = await generateKeyPair("ES256");
    const token = await new SignJWT(claims({ iat: now })).setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid: "unknown-kid" }).sign(privateKey);
    await expectRejected(token, "unknown_kid");
  });

  it("rejects a token that expired more than 60 seconds ago, and accepts one within the leeway", async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRejected(await signed(claims({ iat: now - 3600, exp: now - 120 })), "expired");
    expect((await exports.default.fetch(withToken(await signed(claims({ iat: now - 3600, exp: now - 30 }))))).status).toBe(200);
  });

  it("rejects a token that is not yet valid", async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRejected(await signed(claims({ nbf: now + 600 })), "claim:nbf");
  });

  it("rejects a token for another audience", async () => {
    await expectRejected(await signed(claims({ aud: "https://other.example.com/mcp" })), "claim:aud");
    await expectRejected(await signed(claims({ aud: "http://localhost:8787" })), "claim:aud");
  });

  it("rejects a token from another issuer", async () => {
    await expectRejected(await signed(claims({ iss: "https://evil.example.com" })), "claim:iss");
  });

  it("rejects a token whose typ is not at+jwt (e.g. an ID token)", async () => {
    await expectRejected(await signed(claims(), { typ: "JWT" }), "claim:typ");
  });

  it("rejects a signed token missing a claim Gatehouse always sets", async () => {
    const { sid: _sid, ...withoutSid } = claims();
    await expectRejected(await signed(withoutSid), "claims:sid");
  });

  it("rejects a correctly signed token whose grant does not exist or was revoked", async () => {
    const { token: orphan } = await mintAccessToken(env, config, { ...input, grantId: env.GRANTS.newUniqueId().toString() });
    await expectInvalidToken(await exports.default.fetch(withToken(orphan)), "the access token has been revoked");
    const revokedId = await liveGrantId();
    const { token } = await mintAccessToken(env, config, { ...input, grantId: revokedId });
    expect((await exports.default.fetch(withToken(token))).status).toBe(200);
    await env.GRANTS.get(env.GRANTS.idFromString(revokedId)).revoke("test");
    // This isolate still trusts its recent answer (LIVENESS_CACHE_TTL); revocation through /revoke would not wait.
    expect((await exports.default.fetch(withToken(token))).status).toBe(200);
  });

  it("answers 403 insufficient_scope when the token lacks the mcp scope", async () => {
    const { token } = await mintAccessToken(env, config, { ...input, scope: "other" });
    const res = await exports.default.fetch(withToken(token));
    expect(res.status).toBe(403);
    expect(res.headers.get("WWW-Authenticate")).toBe(`${CHALLENGE}, error="insufficient_scope", error_description="the access token lacks the scope mcp"`);
    expect(await res.json()).toEqual({ error: "insufficient_scope", error_description: "the access token lacks the scope mcp" });
  });

  it("accepts a valid token minted by the key ring, with the scheme in any case", async () => {
    const { token } = await mintAccessToken(env, config, input);
    const res = await exports.default.fetch(withToken(token));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ jsonrpc: "2.0", id: 1, result: { serverInfo: { name: "gatehouse" } } });
    expect((await exports.default.fetch(post(INITIALIZE, { Authorization: `bearer ${token}` }))).status).toBe(200);
  });
});

describe("bearer authentication with REQUIRE_AUTH=false", () => {
  const anonymousEnv = { ...env, REQUIRE_AUTH: "false" };

  async function call(request: Request): Promise<Response> {
    const ctx = createExecutionContext();
    const res = await worker.fetch(request, anonymousEnv, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  }

  async function whoami(res: Response): Promise<unknown> {
    expect(res.status).toBe(200);
    const body = (await res.json()) as { result: { structuredContent: unknown } };
    return body.result.structuredContent;
  }

  it("lets a request without a token through anonymously", async () => {
    expect((await call(post(INITIALIZE))).status).toBe(200);
    expect(await whoami(await call(post(WHOAMI)))).toMatchObject({ authenticated: false, subject: null, email: null, scopes: [] });
  });

  it("still attaches the identity of a valid token", async () => {
    const { token } = await mintAccessToken(env, config, input);
    expect(await whoami(await call(withToken(token, WHOAMI)))).toMatchObject({ authenticated: true, subject: "user-1", email: "ada@example.com" });
  });

  it("still rejects an invalid token", async () => {
    await expectInvalidToken(await call(withToken(await signed(claims({ aud: "https://other.example.com/mcp" })))));
  });
});
