// RFC 9068 JWT access tokens: minted with the KeyRing's current key, verified locally with cached keys.
import { errors, type JWTHeaderParameters, jwtVerify, SignJWT } from "jose";
import * as z from "zod";
import type { Config } from "../config";
import { randomSecret } from "../crypto";
import type { Env } from "../env";
import { identityClaims, identityOfClaims, type TokenIdentity } from "../identity";
import { signingKey, verificationKey } from "./key-cache";

/** What Gatehouse puts in an access token beyond the registered claims it sets itself: the person, and the grant. */
export interface AccessTokenInput extends TokenIdentity {
  clientId: string;
  scope: string;
  /** The grant's id (its Durable Object id); `sid` in the token. */
  grantId: string;
  /** The RFC 8707 resource the grant is bound to; `aud` in the token (default: the built-in /mcp resource). */
  resource?: string;
}

export interface AccessTokenClaims extends AccessTokenInput {
  resource: string;
  jti: string;
  issuedAt: number;
  expiresAt: number;
}

export type VerifyResult = { ok: true; claims: AccessTokenClaims } | { ok: false; reason: string };

/** The only signature algorithm accepted; pinning it defeats `alg: none` and HMAC-with-the-public-key. @see RFC 8725 §3.1 */
const ALGORITHM = "ES256";
/** The JOSE `typ` of access tokens. @see RFC 9068 §2.1 */
const TOKEN_TYPE = "at+jwt";
/** Seconds of clock skew tolerated on `exp`, `nbf` and `iat`. */
const CLOCK_TOLERANCE = 60;
/** Longer bearer values are rejected unparsed; real tokens are well under 2 KiB. */
const MAX_TOKEN_LENGTH = 8192;
/** Tokens an isolate remembers as verified; a client sends the same token for its whole lifetime. */
const VERIFIED_MAX = 10_000;
const verified = new Map<string, AccessTokenClaims>();

/** The payload as minted; anything else is refused even when correctly signed. */
const payloadSchema = z.object({
  sub: z.string().min(1),
  client_id: z.string().min(1),
  scope: z.string(),
  sid: z.string().min(1),
  aud: z.string().min(1),
  jti: z.string().min(1),
  iat: z.number().int(),
  exp: z.number().int(),
  email: z.string().optional(),
  email_verified: z.boolean().optional(),
  domain: z.string().optional(),
  org_id: z.string().optional(),
  org_name: z.string().optional(),
});

/**
 * Signs an access token (ES256, `typ: at+jwt`, `aud` = the grant's resource, `sid` = the grant), valid `ttlSeconds`
 * (ACCESS_TOKEN_TTL unless a CLIENT_POLICIES entry says otherwise). @see RFC 9068 §2
 */
export async function mintAccessToken(env: Env, config: Config, input: AccessTokenInput, ttlSeconds = config.accessTokenTtl): Promise<{ token: string; expiresIn: number }> {
  const { kid, key } = await signingKey(env);
  const issuedAt = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({
    client_id: input.clientId,
    scope: input.scope,
    sid: input.grantId,
    ...identityClaims(input),
  })
    .setProtectedHeader({ alg: ALGORITHM, typ: TOKEN_TYPE, kid })
    .setIssuer(config.issuer)
    .setSubject(input.subject)
    .setAudience(input.resource ?? config.mcpResource)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + ttlSeconds)
    .setJti(randomSecret(16))
    .sign(key);
  return { token, expiresIn: ttlSeconds };
}

/**
 * Verifies signature (by `kid`, cached keys), `typ`, `alg`, `iss`, `aud` (one of `audience`: the resource being
 * served), `exp`/`nbf` (60 s leeway) and the claim shapes. A failure carries a short reason for logs; a KeyRing
 * outage with no cached keys throws.
 * @see RFC 9068 §4
 */
export async function verifyAccessToken(env: Env, config: Config, token: string, audience: string | string[] = config.mcpResource): Promise<VerifyResult> {
  if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: "too_long" };
  // The exact token string verified before by this isolate for the same audience: only its expiry can have changed since.
  const cacheKey = `${config.issuer}\n${[audience].flat().join(" ")}\n${token}`;
  const known = verified.get(cacheKey);
  if (known) {
    if (known.expiresAt + CLOCK_TOLERANCE > Date.now() / 1000) return { ok: true, claims: known };
    verified.delete(cacheKey);
    return { ok: false, reason: "expired" };
  }
  const resolveKey = async ({ kid }: JWTHeaderParameters): Promise<CryptoKey> => {
    const key = kid ? await verificationKey(env, kid) : undefined;
    if (!key) throw new errors.JWKSNoMatchingKey();
    return key;
  };
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, resolveKey, {
      algorithms: [ALGORITHM],
      typ: TOKEN_TYPE,
      issuer: config.issuer,
      audience,
      clockTolerance: CLOCK_TOLERANCE,
      requiredClaims: ["exp", "iat", "sub", "jti"],
    }));
  } catch (err) {
    if (err instanceof errors.JOSEError) return { ok: false, reason: failureReason(err) };
    throw err;
  }
  const claims = payloadSchema.safeParse(payload);
  if (!claims.success) return { ok: false, reason: `claims:${claims.error.issues[0]?.path.join(".") ?? "invalid"}` };
  const c = claims.data;
  const result: AccessTokenClaims = {
    ...identityOfClaims(c),
    clientId: c.client_id,
    scope: c.scope,
    grantId: c.sid,
    resource: c.aud,
    jti: c.jti,
    issuedAt: c.iat,
    expiresAt: c.exp,
  };
  verified.set(cacheKey, result);
  if (verified.size > VERIFIED_MAX) verified.delete(verified.keys().next().value ?? "");
  return { ok: true, claims: result };
}

/** Names the failed check (never the token) for logs. */
function failureReason(err: errors.JOSEError): string {
  if (err instanceof errors.JWTExpired) return "expired";
  if (err instanceof errors.JWTClaimValidationFailed) return `claim:${err.claim}`;
  if (err instanceof errors.JOSEAlgNotAllowed) return "alg";
  if (err instanceof errors.JWKSNoMatchingKey) return "unknown_kid";
  if (err instanceof errors.JWSSignatureVerificationFailed) return "signature";
  return "malformed";
}
