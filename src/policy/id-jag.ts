// The rules an Identity Assertion JWT Authorization Grant (ID-JAG) must pass once its signature is verified: who
// issued it, for whom, for which client and resource, and for how long. Pure: the caller verified the JWS.
import * as z from "zod";
import type { Config, TrustedEnterpriseIdp } from "../config";
import { isTrue, normaliseEmail } from "./claims";
import { resolveResource } from "./resource";
import { narrowScope, OFFLINE_ACCESS } from "./scope";

/** The grant type of RFC 7523 §2.1 that carries an ID-JAG in `assertion`. */
export const JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/** The JOSE `typ` of an ID-JAG. @see draft-ietf-oauth-identity-assertion-authz-grant §3.1 */
export const ID_JAG_TYPE = "oauth-id-jag+jwt";
/** Longest `exp - iat` accepted, seconds: an ID-JAG is minted for one exchange and lives minutes. */
export const MAX_ASSERTION_LIFETIME = 600;
/** Clock skew tolerated on `exp` and `iat`, seconds. */
export const ASSERTION_LEEWAY = 60;

/** The trusted IdP whose assertions carry `iss`, if any. */
export function trustedIdp(config: Pick<Config, "trustedEnterpriseIdps">, iss: unknown): TrustedEnterpriseIdp | undefined {
  return typeof iss === "string" ? config.trustedEnterpriseIdps.find((idp) => idp.issuer === iss) : undefined;
}

/** Whether `typ` names an ID-JAG, with or without the `application/` prefix (RFC 7515 §4.1.9). */
export function isIdJagType(typ: unknown): boolean {
  return typeof typ === "string" && typ.toLowerCase().replace(/^application\//, "") === ID_JAG_TYPE;
}

const claimsSchema = z.object({
  iss: z.string(),
  sub: z.string().min(1).max(255),
  aud: z.union([z.string(), z.array(z.string())]),
  client_id: z.string().min(1).max(2000),
  jti: z.string().min(1).max(256),
  exp: z.number().int(),
  iat: z.number().int(),
  resource: z.union([z.string().max(4096), z.array(z.string().max(4096)).length(1)]).optional(),
  scope: z.string().max(1024).optional(),
  email: z.unknown().optional(),
  email_verified: z.unknown().optional(),
  name: z.string().max(200).optional(),
});

/** What the token request adds to the assertion: the authenticated client and its own `resource` and `scope`. */
export interface AssertionRequest {
  clientId: string;
  resource?: string;
  scope?: string;
  /** Epoch seconds. */
  now: number;
}

/** An assertion that passed: whom it names, for what, and until when its `jti` must stay spent. */
export interface AcceptedAssertion {
  subject: string;
  jti: string;
  /** `exp`, epoch seconds. */
  expiresAt: number;
  /** The canonical protected resource. */
  resource: string;
  /** The granted scopes (never `offline_access`: the enterprise IdP, not a refresh token, renews access). */
  scopes: string[];
  email?: string;
  emailVerified: boolean;
  name?: string;
}

export type AssertionError = "invalid_grant" | "invalid_target" | "invalid_scope";
export type AssertionCheck = { ok: true; assertion: AcceptedAssertion } | { ok: false; error: AssertionError; reason: string };

const refuse = (error: AssertionError, reason: string): AssertionCheck => ({ ok: false, error, reason });

/**
 * Checks a verified ID-JAG's claims for `idp`: `aud` is Gatehouse's issuer, `client_id` is the authenticated client
 * and one the IdP may assert for, `exp` is not past and `iat` not ahead (60 s leeway), the lifetime at most
 * MAX_ASSERTION_LIFETIME, the resource (the claim's, or the request's, which must agree) one the IdP may assert for,
 * the scope within SCOPES (and within the claim's, when the request narrows it).
 * @see https://datatracker.ietf.org/doc/draft-ietf-oauth-identity-assertion-authz-grant/ §4.3 (processing rules)
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-3
 */
export function checkAssertion(config: Config, idp: TrustedEnterpriseIdp, payload: unknown, request: AssertionRequest): AssertionCheck {
  const parsed = claimsSchema.safeParse(payload);
  if (!parsed.success) return refuse("invalid_grant", `claim ${parsed.error.issues[0]?.path.join(".") || "set"} missing or malformed`);
  const claims = parsed.data;
  if (claims.iss !== idp.issuer) return refuse("invalid_grant", "iss is not the trusted issuer");
  if (![claims.aud].flat().includes(config.issuer)) return refuse("invalid_grant", "aud is not this authorization server");
  if (claims.client_id !== request.clientId) return refuse("invalid_grant", "client_id is not the authenticated client");
  if (!idp.clients.includes(claims.client_id)) return refuse("invalid_grant", "the IdP may not assert for this client");
  if (claims.exp + ASSERTION_LEEWAY <= request.now) return refuse("invalid_grant", "assertion expired");
  if (claims.iat - ASSERTION_LEEWAY > request.now) return refuse("invalid_grant", "assertion issued in the future");
  if (claims.exp - claims.iat > MAX_ASSERTION_LIFETIME) return refuse("invalid_grant", "assertion lifetime too long");

  const claimed = [claims.resource].flat()[0];
  const resource = resolveResource(config, claimed ?? request.resource);
  if (resource === undefined) return refuse("invalid_target", "resource is not a protected resource");
  if (claimed !== undefined && request.resource !== undefined && resolveResource(config, request.resource) !== resource) return refuse("invalid_target", "resource differs from the assertion's");
  if (idp.audiences && !idp.audiences.some((a) => resolveResource(config, a) === resource)) return refuse("invalid_target", "the IdP may not assert for this resource");

  const scope = narrowScope(config, request.scope ?? claims.scope);
  if (!scope.ok) return refuse("invalid_scope", `unknown scope ${scope.unknown.join(" ")}`.slice(0, 200));
  const granted = scope.scopes.filter((s) => s !== OFFLINE_ACCESS);
  if (claims.scope !== undefined && request.scope !== undefined) {
    const allowed = new Set(claims.scope.split(" "));
    if (granted.some((s) => !allowed.has(s))) return refuse("invalid_scope", "scope exceeds the assertion's");
  }
  const email = normaliseEmail(claims.email);
  return {
    ok: true,
    assertion: {
      subject: claims.sub,
      jti: claims.jti,
      expiresAt: claims.exp,
      resource,
      scopes: granted,
      email,
      emailVerified: email !== undefined && (isTrue(claims.email_verified) || (idp.trustEmail && claims.email_verified === undefined)),
      name: claims.name,
    },
  };
}
