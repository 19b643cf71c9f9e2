// verifyIdentity(): what an origin MCP server behind the gateway calls to learn who is calling. It imports jose only,
// so a Node origin can load it (the "gatehouse/verify" export) without the Workers runtime.
// @see README "Put Gatehouse in front of your MCP server"; RFC 7519 §7.2 (validating a JWT); RFC 8725 §3.11 (typ)
import { createRemoteJWKSet, errors, type JWTVerifyGetKey, jwtVerify } from "jose";

/** Its JOSE `typ`: distinct from `at+jwt`, so no verifier of access tokens accepts it. @see RFC 8725 §3.11 */
export const IDENTITY_ASSERTION_TYPE = "gh-id+jwt";
/** Seconds an assertion is valid: long enough to reuse, short enough that a leak at the origin ages out. */
export const IDENTITY_ASSERTION_TTL = 300;
/** Seconds of clock skew allowed between Gatehouse and the origin on `exp` and `iat`. */
const LEEWAY = 30;
/** Where the assertion travels: its own header when the origin's `Authorization` carries something else. */
export const IDENTITY_HEADER = "Gatehouse-Identity";

/** Who is calling, as Gatehouse verified them. */
export interface VerifiedIdentity {
  /** Gatehouse's stable user id. */
  sub: string;
  email?: string;
  email_verified?: boolean;
  org_id?: string;
  org_name?: string;
  /** The OAuth client the person signed in with. */
  client_id: string;
  /** The scopes of the person's token, space-separated. */
  scope: string;
  /** The grant: one sign-in of one person at one client. */
  sid: string;
}

/** Why an identity assertion was refused: answer the request `401`. */
export class IdentityError extends Error {
  constructor(
    readonly code: "missing" | "invalid",
    message: string,
  ) {
    super(message);
    this.name = "IdentityError";
  }
}

export interface VerifyIdentityOptions {
  /** Gatehouse's `PUBLIC_URL`: the `iss`, and where its keys are (`/.well-known/jwks.json`). */
  issuer: string;
  /** This server's `origin` URL exactly as in `MCP_SERVERS`, or `service:<binding>` behind a service binding. */
  audience: string;
}

/** One key set per issuer and isolate: jose caches the keys and refetches on an unknown `kid` (rotation). */
const keySets = new Map<string, JWTVerifyGetKey>();

function keySet(issuer: string): JWTVerifyGetKey {
  let keys = keySets.get(issuer);
  if (!keys) {
    keys = createRemoteJWKSet(new URL(`${issuer.replace(/\/$/, "")}/.well-known/jwks.json`));
    keySets.set(issuer, keys);
  }
  return keys;
}

/**
 * The verified identity of `request`'s caller: the assertion of its `Gatehouse-Identity` header, or else of its
 * `Authorization: Bearer` header, checked for Gatehouse's signature (ES256, its JWKS), `typ`, `iss`, `aud`, `exp` and
 * `iat`. Throws an {@link IdentityError} otherwise.
 */
export async function verifyIdentity(request: Pick<Request, "headers">, options: VerifyIdentityOptions): Promise<VerifiedIdentity> {
  const token = request.headers.get(IDENTITY_HEADER) ?? /^Bearer\s+(\S+)$/i.exec(request.headers.get("Authorization") ?? "")?.[1];
  if (!token) throw new IdentityError("missing", "no Gatehouse identity assertion");
  try {
    const { payload } = await jwtVerify(token, keySet(options.issuer), {
      issuer: options.issuer,
      audience: options.audience,
      typ: IDENTITY_ASSERTION_TYPE,
      algorithms: ["ES256"],
      requiredClaims: ["sub", "iat", "exp", "jti"],
      maxTokenAge: IDENTITY_ASSERTION_TTL,
      clockTolerance: LEEWAY,
    });
    const text = (name: string) => (typeof payload[name] === "string" ? (payload[name] as string) : undefined);
    const clientId = text("client_id");
    const sid = text("sid");
    const scope = text("scope");
    if (payload.sub === undefined || clientId === undefined || sid === undefined || scope === undefined) throw new IdentityError("invalid", "the identity assertion lacks client_id, scope or sid");
    return {
      sub: payload.sub,
      email: text("email"),
      email_verified: typeof payload.email_verified === "boolean" ? payload.email_verified : undefined,
      org_id: text("org_id"),
      org_name: text("org_name"),
      client_id: clientId,
      scope,
      sid,
    };
  } catch (error) {
    if (error instanceof IdentityError) throw error;
    if (error instanceof errors.JOSEError) throw new IdentityError("invalid", `the identity assertion is invalid: ${error.message}`);
    throw error;
  }
}
