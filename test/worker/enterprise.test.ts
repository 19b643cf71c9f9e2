// Enterprise-managed authorization: an enterprise IdP (a real RS256 key, its discovery document and JWKS served
// through a stub of the Worker's outbound fetch) issues ID-JAGs that a confidential client redeems at /token with the
// RFC 7523 JWT-bearer grant. Real Grant and AssertionLedger Durable Objects and D1.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { decodeJwt, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { sha256 } from "../../src/crypto";
import { clientInsert } from "../../src/db/clients";
import { devLogin } from "../../src/dev-idp/tokens";
import type { Env } from "../../src/env";
import { BASE, workerFetch } from "./helpers/browser";
import { countingD1, interceptD1, onRun } from "./helpers/d1";
import { MCP_RESOURCE, signIn, tokenRequest } from "./helpers/oauth";

const ISSUER = "https://idp.acme.example";
const CLIENT = "claude-enterprise";
const SECRET = "enterprise-client-secret-0123456789abcdef";
const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const EMAIL = "grace@acme.example";
const IDPS = [{ issuer: ISSUER, name: "Acme", clients: [CLIENT], provider: "dev" }];
const target = { ...env, TRUSTED_ENTERPRISE_IDPS: JSON.stringify(IDPS) } as Env;

let signingKey: CryptoKey;
let otherKey: CryptoKey;
let fetched: string[] = [];

beforeAll(async () => {
  const pair = await generateKeyPair("RS256", { extractable: true });
  signingKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: "acme-1", alg: "RS256", use: "sig" };
  otherKey = (await generateKeyPair("RS256")).privateKey;
  // The IdP's origin: discovery and JWKS; any other outbound fetch fails the test.
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const url = new Request(input, init).url;
    fetched.push(url);
    if (url === `${ISSUER}/.well-known/openid-configuration`) {
      return Response.json({ issuer: ISSUER, jwks_uri: `${ISSUER}/oauth2/v1/keys`, authorization_endpoint: `${ISSUER}/oauth2/v1/authorize`, token_endpoint: `${ISSUER}/oauth2/v1/token`, response_types_supported: ["code"], subject_types_supported: ["public"], id_token_signing_alg_values_supported: ["RS256"] });
    }
    if (url === `${ISSUER}/oauth2/v1/keys`) return Response.json({ keys: [jwk] });
    throw new Error(`unexpected outbound fetch to ${url}`);
  });
  await clientInsert(env.DB, {
    clientId: CLIENT,
    kind: "static",
    clientSecretHash: await sha256(SECRET),
    clientName: "Claude Enterprise",
    redirectUris: ["https://claude.ai/api/mcp/auth_callback"],
    grantTypes: ["authorization_code", "refresh_token"],
    tokenEndpointAuthMethod: "client_secret_post",
    applicationType: "web",
    metadata: {},
    createdAt: 0,
  }).run();
});

beforeEach(() => {
  fetched = [];
});


/** An ID-JAG as the IdP mints it for `EMAIL` and the client, changed by `claims` and `header`. */
async function idJag(claims: JWTPayload & Record<string, unknown> = {}, options: { typ?: string; key?: CryptoKey; kid?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const { sub } = await devLogin(EMAIL);
  return new SignJWT({ client_id: CLIENT, resource: MCP_RESOURCE, scope: "mcp", email: EMAIL, email_verified: true, ...claims })
    .setProtectedHeader({ alg: "RS256", typ: options.typ ?? "oauth-id-jag+jwt", kid: options.kid ?? "acme-1" })
    .setIssuer(typeof claims.iss === "string" ? claims.iss : ISSUER)
    .setSubject(typeof claims.sub === "string" ? claims.sub : sub)
    .setAudience(claims.aud ?? BASE)
    .setIssuedAt(typeof claims.iat === "number" ? claims.iat : now)
    .setExpirationTime(typeof claims.exp === "number" ? claims.exp : now + 300)
    .setJti(typeof claims.jti === "string" ? claims.jti : crypto.randomUUID())
    .sign(options.key ?? signingKey);
}

function redeem(assertion: string, extra: Record<string, string> = {}, on: Env = target): Promise<Response> {
  return tokenRequest({ grant_type: JWT_BEARER, assertion, client_id: CLIENT, client_secret: SECRET, ...extra }, {}, on);
}

async function oauthError(res: Response): Promise<string> {
  const body = (await res.json()) as { error: string };
  expect(res.status, JSON.stringify(body)).toBe(body.error === "unauthorized_client" || body.error === "invalid_client" ? res.status : 400);
  return body.error;
}

async function whoami(accessToken: string, on: Env = target): Promise<Record<string, unknown>> {
  const res = await workerFetch(on)(`${BASE}/mcp`, {
    method: "POST",
    headers: { Authorization: `Bearer ${accessToken}`, "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "whoami", arguments: {} } }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { result: { structuredContent: Record<string, unknown> } }).result.structuredContent;
}

describe("enterprise-managed authorization: discovery", () => {
  it("advertises the JWT-bearer grant once an enterprise IdP is trusted, and not before", async () => {
    const withIdp = (await (await workerFetch(target)(`${BASE}/.well-known/oauth-authorization-server`, {})).json()) as { grant_types_supported: string[] };
    expect(withIdp.grant_types_supported).toEqual(["authorization_code", "refresh_token", JWT_BEARER]);
    const without = (await (await workerFetch()(`${BASE}/.well-known/oauth-authorization-server`, {})).json()) as { grant_types_supported: string[] };
    expect(without.grant_types_supported).toEqual(["authorization_code", "refresh_token"]);
  });
});

describe("enterprise-managed authorization: redeeming an ID-JAG", () => {
  it("issues an access token without a browser, for the same user browser sign-in knows, with the enterprise recorded", async () => {
    // The person signed in once through the browser (the same IdP as the "dev" upstream, so the same subject).
    const browser = await signIn({ email: EMAIL });
    const trips: string[] = [];
    const res = await redeem(await idJag(), {}, countingD1(target, trips));
    const text = await res.text();
    expect(res.status, text).toBe(200);
    // The client's record, the person, then the index row with the enterprise, the client's first use and one insert of
    // the three events (the grant, the assertion, the access token) in one batch; nothing after the response.
    expect(trips).toEqual(["first", "batch:1", "batch:4"]);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const tokens = JSON.parse(text) as { access_token: string; token_type: string; expires_in: number; scope: string; refresh_token?: string };
    expect(tokens).toEqual({ access_token: expect.stringMatching(/^ey/), token_type: "Bearer", expires_in: 3600, scope: "mcp" });
    const claims = decodeJwt(tokens.access_token);
    expect(claims).toMatchObject({ sub: browser.userId, client_id: CLIENT, aud: MCP_RESOURCE, email: EMAIL });
    expect(await whoami(tokens.access_token)).toMatchObject({ email: EMAIL, client_id: CLIENT });
    const user = await env.DB.prepare("SELECT enterprise FROM users WHERE id = ?").bind(browser.userId).first<{ enterprise: string }>();
    expect(user?.enterprise).toBe(ISSUER);
    const index = await env.DB.prepare("SELECT status, client_id FROM grants WHERE id = ?").bind(String(claims.sid)).first<{ status: string; client_id: string }>();
    expect(index).toEqual({ status: "active", client_id: CLIENT });
    expect(fetched.every((url) => url.startsWith(ISSUER))).toBe(true);
  });

  it("creates the user on first sight when browser sign-in never saw them", async () => {
    const res = await redeem(await idJag({ sub: "00u-new-person", email: "alan@acme.example" }));
    expect(res.status).toBe(200);
    const { access_token } = (await res.json()) as { access_token: string };
    const user = await env.DB.prepare("SELECT provider, subject, email, enterprise FROM users WHERE id = ?").bind(String(decodeJwt(access_token).sub)).first();
    expect(user).toEqual({ provider: "dev", subject: "00u-new-person", email: "alan@acme.example", enterprise: ISSUER });
  });

  it("answers 500 server_error when the grant's index row cannot be written: the enterprise and the grant's events go down with it", async () => {
    const failing = interceptD1(target, (sql, statement) => (sql.trimStart().startsWith("INSERT INTO grants") ? onRun(statement, () => Promise.reject(new Error("D1_ERROR: storage unavailable"))) : statement));
    const res = await redeem(await idJag({ sub: "00u-index-down", email: "ada@acme.example" }), {}, failing);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: "server_error", error_description: expect.stringMatching(/^internal error \(reference [0-9a-f-]{36}\)$/) });
    const user = await env.DB.prepare("SELECT id, enterprise FROM users WHERE subject = ?").bind("00u-index-down").first<{ id: string; enterprise: string | null }>();
    expect(user?.enterprise).toBeNull();
    const types = await env.DB.prepare("SELECT type FROM events WHERE user_id = ? ORDER BY id").bind(user?.id).all<{ type: string }>();
    expect(types.results.map((r) => r.type)).toEqual(["user.created"]);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM grants WHERE user_id = ?").bind(user?.id).first("n")).toBe(0);
  });

  it("lets exactly one of 50 concurrent redemptions of one assertion win; the others get invalid_grant", async () => {
    const assertion = await idJag();
    const responses = await Promise.all(Array.from({ length: 50 }, () => redeem(assertion)));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(49);
    const errors = await Promise.all(responses.filter((r) => r.status === 400).map((r) => r.json() as Promise<{ error: string }>));
    expect(new Set(errors.map((e) => e.error))).toEqual(new Set(["invalid_grant"]));
    // And later, sequentially, too.
    expect(await oauthError(await redeem(assertion))).toBe("invalid_grant");
  });

  it("refuses an expired assertion", async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await oauthError(await redeem(await idJag({ iat: now - 600, exp: now - 120 })))).toBe("invalid_grant");
  });

  it("refuses an assertion living longer than 10 minutes, or issued in the future", async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await oauthError(await redeem(await idJag({ exp: now + 3600 })))).toBe("invalid_grant");
    expect(await oauthError(await redeem(await idJag({ iat: now + 600, exp: now + 900 })))).toBe("invalid_grant");
  });

  it("names the failed check in error_description, never a value of the assertion", async () => {
    const res = await redeem(await idJag({ aud: "https://other-as.example" }));
    expect(await res.json()).toEqual({ error: "invalid_grant", error_description: "the assertion was refused: aud is not this authorization server" });
    const untrusted = await redeem(await idJag({ iss: "https://idp.evil.example" }));
    expect(await untrusted.json()).toEqual({ error: "invalid_grant", error_description: "the assertion was refused: untrusted issuer" });
  });

  it("refuses an assertion for another audience", async () => {
    expect(await oauthError(await redeem(await idJag({ aud: "https://other-as.example" })))).toBe("invalid_grant");
    expect(await oauthError(await redeem(await idJag({ aud: MCP_RESOURCE })))).toBe("invalid_grant");
  });

  it("refuses an untrusted issuer without fetching anything from it", async () => {
    const res = await redeem(await idJag({ iss: "https://idp.evil.example" }));
    expect(await oauthError(res)).toBe("invalid_grant");
    expect(fetched.filter((url) => url.includes("evil"))).toEqual([]);
  });

  it("refuses an assertion whose email is not verified, or missing", async () => {
    expect(await oauthError(await redeem(await idJag({ email_verified: false })))).toBe("invalid_grant");
    expect(await oauthError(await redeem(await idJag({ email: undefined, email_verified: undefined })))).toBe("invalid_grant");
  });

  it("refuses a JWT of another type, and one signed by a key the IdP does not publish", async () => {
    expect(await oauthError(await redeem(await idJag({}, { typ: "JWT" })))).toBe("invalid_grant");
    expect(await oauthError(await redeem(await idJag({}, { key: otherKey })))).toBe("invalid_grant");
    expect(await oauthError(await redeem(await idJag({}, { key: otherKey, kid: "unknown" })))).toBe("invalid_grant");
  });

  it("refuses an assertion for another client, and a client the IdP may not assert for", async () => {
    expect(await oauthError(await redeem(await idJag({ client_id: "someone-else" })))).toBe("invalid_grant");
    const other = { ...env, TRUSTED_ENTERPRISE_IDPS: JSON.stringify([{ issuer: ISSUER, clients: ["someone-else"], provider: "dev" }]) } as Env;
    expect(await oauthError(await redeem(await idJag(), {}, other))).toBe("unauthorized_client");
  });

  it("refuses a public client even when the IdP lists it: an ID-JAG is presented with a client secret", async () => {
    const publicId = `public-enterprise-${crypto.randomUUID()}`;
    await clientInsert(env.DB, { clientId: publicId, kind: "static", clientName: "Public", redirectUris: ["http://127.0.0.1/cb"], grantTypes: ["authorization_code"], tokenEndpointAuthMethod: "none", applicationType: "native", metadata: {}, createdAt: 0 }).run();
    const listed = { ...env, TRUSTED_ENTERPRISE_IDPS: JSON.stringify([{ issuer: ISSUER, clients: [publicId], provider: "dev" }]) } as Env;
    const res = await tokenRequest({ grant_type: JWT_BEARER, assertion: await idJag({ client_id: publicId }), client_id: publicId }, {}, listed);
    expect(await oauthError(res)).toBe("unauthorized_client");
  });

  it("refuses a resource the IdP may not assert for with invalid_target", async () => {
    expect(await oauthError(await redeem(await idJag({ resource: "https://elsewhere.example/mcp" })))).toBe("invalid_target");
    expect(await oauthError(await redeem(await idJag(), { resource: `${BASE}/other` }))).toBe("invalid_target");
  });

  it("applies the email policy of browser sign-in", async () => {
    const strict = { ...target, TRUSTED_ENTERPRISE_IDPS: JSON.stringify(IDPS), ALLOWED_EMAIL_DOMAINS: "babbage.example" } as Env;
    expect(await oauthError(await redeem(await idJag(), {}, strict))).toBe("invalid_grant");
  });

  it("stops the token at /mcp once its grant is revoked", async () => {
    const res = await redeem(await idJag());
    const { access_token } = (await res.json()) as { access_token: string };
    const sid = String(decodeJwt(access_token).sid);
    await env.GRANTS.get(env.GRANTS.idFromString(sid)).revoke("revoked by an administrator");
    const uncached = { ...target, LIVENESS_CACHE_TTL: "0" } as Env;
    const mcp = await workerFetch(uncached)(`${BASE}/mcp`, { method: "POST", headers: { Authorization: `Bearer ${access_token}`, "Content-Type": "application/json", Accept: "application/json, text/event-stream" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }) });
    expect(mcp.status).toBe(401);
  });
});

describe("AssertionLedger", () => {
  it("spends once, refuses every later spend, and forgets the assertion when its alarm fires at expiry", async () => {
    const stub = env.ASSERTIONS.get(env.ASSERTIONS.idFromName(`test-${crypto.randomUUID()}`));
    const expiresAt = Date.now() + 60_000;
    expect(await stub.spend({ expiresAt })).toEqual({ ok: true });
    expect(await stub.spend({ expiresAt })).toEqual({ ok: false, error: "replayed", reason: "assertion jti already spent" });
    expect(await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm())).toBe(expiresAt);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await runInDurableObject(stub, (_instance, state) => state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'spent'").toArray())).toEqual([]);
  });
});
