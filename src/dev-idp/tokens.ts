// The development IdP's JWTs — authorization codes, ID tokens, access tokens — signed with ES256 keys kept in
// the KeyRing Durable Object named "dev-idp" (cached per isolate like Gatehouse's own keys), so its JWKS is the
// same in every isolate.
//
// Codes are stateless: a 60-second JWT carrying the login and the request it answers. They are therefore NOT
// single-use — acceptable only because the development IdP exists for local development (DEV_IDP refuses any
// non-loopback PUBLIC_URL). Gatehouse's own codes are single-use, enforced by the Grant Durable Object.
import { type JWK, type JWTHeaderParameters, type JWTPayload, SignJWT, errors, jwtVerify } from "jose";
import * as z from "zod";
import { randomSecret, sha256 } from "../crypto";
import type { Env } from "../env";
import { publicKeys, signingKey, verificationKey } from "../tokens/key-cache";

/** The KeyRing instance holding the development IdP's keys (separate from Gatehouse's own signing keys). */
export const DEV_IDP_KEY_RING = "dev-idp";
/** The one client the development IdP serves: Gatehouse itself, as a public client. */
export const DEV_IDP_CLIENT_ID = "gatehouse";

const CODE_TTL = 60;
const TOKEN_TTL = 3600;
const CODE_TYPE = "dev-idp-code+jwt";

/** Who signed in at the development IdP. */
export interface DevLogin {
  sub: string;
  email: string;
  name: string;
  orgId: string;
  orgName: string;
}

/** What a code remembers of the authorization request (OpenID Connect Core §3.1.2.1). */
export interface DevCodeRequest {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  scope: string;
  nonce?: string;
}

export interface DevCode extends DevLogin, DevCodeRequest {
  authTime: number;
}

/** The identity for an email: `sub` is stable per (case-insensitive) email, the organisation is its domain. */
export async function devLogin(email: string, name?: string): Promise<DevLogin> {
  const normalised = email.trim().toLowerCase();
  const at = normalised.lastIndexOf("@");
  const local = normalised.slice(0, at);
  const domain = normalised.slice(at + 1);
  const label = domain.split(".")[0] ?? domain;
  return {
    sub: (await sha256(normalised)).slice(0, 22),
    email: normalised,
    name: name?.trim() || local,
    orgId: domain,
    orgName: label.charAt(0).toUpperCase() + label.slice(1),
  };
}

/** The public keys (current, next and retired) as a JWK Set (RFC 7517 §5). */
export async function devIdpJwks(env: Env): Promise<{ keys: JWK[] }> {
  return { keys: await publicKeys(env, DEV_IDP_KEY_RING) };
}

/** A 60-second authorization code carrying the login and the request it answers. */
export async function issueDevCode(env: Env, issuer: string, login: DevLogin, request: DevCodeRequest): Promise<string> {
  return sign(env, CODE_TYPE, CODE_TTL, {
    iss: issuer,
    aud: `${issuer}/token`,
    sub: login.sub,
    email: login.email,
    name: login.name,
    org_id: login.orgId,
    org_name: login.orgName,
    client_id: request.clientId,
    redirect_uri: request.redirectUri,
    code_challenge: request.codeChallenge,
    scope: request.scope,
    nonce: request.nonce,
    jti: randomSecret(16),
  });
}

const codeClaims = z.object({
  sub: z.string(),
  email: z.string(),
  name: z.string(),
  org_id: z.string(),
  org_name: z.string(),
  client_id: z.string(),
  redirect_uri: z.string(),
  code_challenge: z.string(),
  scope: z.string(),
  nonce: z.string().optional(),
  iat: z.number(),
});

/** The code's contents if it is one of ours and unexpired; `undefined` otherwise. */
export async function readDevCode(env: Env, issuer: string, code: string): Promise<DevCode | undefined> {
  const parsed = codeClaims.safeParse(await verify(env, code, CODE_TYPE, { issuer, audience: `${issuer}/token` }));
  if (!parsed.success) return undefined;
  const c = parsed.data;
  return {
    sub: c.sub,
    email: c.email,
    name: c.name,
    orgId: c.org_id,
    orgName: c.org_name,
    clientId: c.client_id,
    redirectUri: c.redirect_uri,
    codeChallenge: c.code_challenge,
    scope: c.scope,
    nonce: c.nonce,
    authTime: c.iat,
  };
}

/** The token response of RFC 6749 §5.1 with an OpenID Connect ID token (Core §3.1.3.3). */
export async function issueDevTokens(env: Env, issuer: string, code: DevCode) {
  const profile = {
    email: code.email,
    email_verified: true,
    name: code.name,
    org_id: code.orgId,
    org_name: code.orgName,
  };
  const accessToken = await sign(env, "at+jwt", TOKEN_TTL, { iss: issuer, aud: `${issuer}/userinfo`, sub: code.sub, client_id: code.clientId, scope: code.scope, jti: randomSecret(16), ...profile });
  // Without the openid scope this is a plain OAuth 2.0 exchange: no ID token (OpenID Connect Core §3.1.2.1).
  const idToken = code.scope.split(" ").includes("openid")
    ? await sign(env, "JWT", TOKEN_TTL, { iss: issuer, aud: code.clientId, sub: code.sub, nonce: code.nonce, auth_time: code.authTime, ...profile })
    : undefined;
  return { access_token: accessToken, id_token: idToken, token_type: "Bearer", expires_in: TOKEN_TTL, scope: code.scope };
}

/** The userinfo claims (OpenID Connect Core §5.3.2) behind a development IdP access token, or `undefined`. */
export async function readDevAccessToken(env: Env, issuer: string, token: string): Promise<Record<string, unknown> | undefined> {
  const payload = await verify(env, token, "at+jwt", { issuer, audience: `${issuer}/userinfo` });
  if (!payload) return undefined;
  const { sub, email, email_verified, name, org_id, org_name } = payload;
  return { sub, email, email_verified, name, org_id, org_name };
}

async function sign(env: Env, typ: string, ttl: number, claims: JWTPayload): Promise<string> {
  const { kid, key } = await signingKey(env, DEV_IDP_KEY_RING);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "ES256", kid, typ })
    .setIssuedAt()
    .setExpirationTime(`${ttl}s`)
    .sign(key);
}

async function verify(env: Env, token: string, typ: string, expected: { issuer: string; audience: string }): Promise<JWTPayload | undefined> {
  const keys = async ({ kid }: JWTHeaderParameters): Promise<CryptoKey> => {
    const key = kid ? await verificationKey(env, kid, DEV_IDP_KEY_RING) : undefined;
    if (!key) throw new errors.JWKSNoMatchingKey();
    return key;
  };
  try {
    const { payload } = await jwtVerify(token, keys, { ...expected, typ, algorithms: ["ES256"] });
    return payload;
  } catch (err) {
    // A token that fails verification is the caller's problem; anything else (e.g. the KeyRing) is ours.
    if (err instanceof errors.JOSEError) return undefined;
    throw err;
  }
}
