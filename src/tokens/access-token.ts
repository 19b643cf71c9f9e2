// RFC 9068 JWT access tokens: minted with the KeyRing's current key, verified locally with cached keys.
import type { Config } from "../config";
import type { Env } from "../env";

/** What Gatehouse puts in an access token beyond the registered claims it sets itself. */
export interface AccessTokenInput {
  /** Stable internal user id. */
  subject: string;
  clientId: string;
  scope: string;
  /** The grant's id (its Durable Object id); `sid` in the token. */
  grantId: string;
  email?: string;
  emailVerified?: boolean;
  domain?: string;
  orgId?: string;
  orgName?: string;
}

export interface AccessTokenClaims extends AccessTokenInput {
  jti: string;
  issuedAt: number;
  expiresAt: number;
}

export type VerifyResult = { ok: true; claims: AccessTokenClaims } | { ok: false; reason: string };

/** Signs an access token (ES256, `typ: at+jwt`, `aud` = the MCP resource). */
export async function mintAccessToken(_env: Env, _config: Config, _input: AccessTokenInput): Promise<{ token: string; expiresIn: number }> {
  throw new Error("not implemented: issue #2");
}

/** Verifies signature, `typ`, `alg`, `iss`, `aud`, `exp`/`nbf` (60 s leeway). */
export async function verifyAccessToken(_env: Env, _config: Config, _token: string): Promise<VerifyResult> {
  throw new Error("not implemented: issue #2");
}
