// The HTTP side of enterprise-managed authorization: a trusted enterprise IdP's signing keys, found by OpenID Connect
// discovery and its JWKS (cached per isolate), and the signature check of an ID-JAG it issued.
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors, type JSONWebKeySet, jwtVerify } from "jose";
import * as oauth from "oauth4webapi";
import type { Config, TrustedEnterpriseIdp } from "../config";
import { ASSERTION_LEEWAY, isIdJagType, trustedIdp } from "../policy/id-jag";
import { insecureAllowed, UPSTREAM_TIMEOUT_MS } from "./transport";

/** How long an IdP's keys are reused; an unknown `kid` refetches them, at most once per KEY_REFETCH_MS. */
const KEYS_TTL_MS = 10 * 60_000;
const KEY_REFETCH_MS = 30_000;
/** Signature algorithms an IdP may use (asymmetric only: the IdP's keys are public). @see RFC 8725 §3.1 */
const ALGORITHMS = ["RS256", "PS256", "ES256", "ES384", "EdDSA"];
/** Longer assertions are refused unparsed. */
const MAX_ASSERTION_LENGTH = 8192;

const keys = new Map<string, { jwks: Promise<JSONWebKeySet>; fetchedAt: number }>();

export type VerifiedAssertion = { ok: true; idp: TrustedEnterpriseIdp; payload: Record<string, unknown> } | { ok: false; reason: string };

/**
 * Verifies an ID-JAG's JWS: its `iss` names a trusted IdP (checked before anything is fetched), its `typ` is
 * `oauth-id-jag+jwt`, and its signature verifies with a key of that IdP's JWKS. The claims' rules are
 * src/policy/id-jag.ts `checkAssertion`'s. A failure carries the check's name for the log, never the assertion.
 * @see https://datatracker.ietf.org/doc/draft-ietf-oauth-identity-assertion-authz-grant/
 */
export async function verifyIdJag(config: Config, assertion: string): Promise<VerifiedAssertion> {
  if (assertion.length > MAX_ASSERTION_LENGTH) return { ok: false, reason: "assertion too long" };
  let iss: unknown;
  let typ: unknown;
  try {
    iss = decodeJwt(assertion).iss;
    typ = decodeProtectedHeader(assertion).typ;
  } catch {
    return { ok: false, reason: "assertion is not a JWT" };
  }
  const idp = trustedIdp(config, iss);
  if (!idp) return { ok: false, reason: "untrusted issuer" };
  if (!isIdJagType(typ)) return { ok: false, reason: "typ is not oauth-id-jag+jwt" };
  for (const refetch of [false, true]) {
    try {
      const jwks = await idpKeys(config, idp, refetch);
      const { payload } = await jwtVerify(assertion, createLocalJWKSet(jwks), { algorithms: ALGORITHMS, issuer: idp.issuer, clockTolerance: ASSERTION_LEEWAY });
      return { ok: true, idp, payload };
    } catch (err) {
      if (err instanceof errors.JWKSNoMatchingKey && !refetch) continue;
      if (err instanceof errors.JOSEError) return { ok: false, reason: err instanceof errors.JWTExpired ? "assertion expired" : `jws: ${err.code}` };
      return { ok: false, reason: "the IdP's keys could not be fetched" };
    }
  }
  return { ok: false, reason: "no IdP key matches the assertion" };
}

/** The IdP's JWKS, from its discovery document's `jwks_uri`; failures are never cached. */
function idpKeys(config: Config, idp: TrustedEnterpriseIdp, refetch: boolean): Promise<JSONWebKeySet> {
  const hit = keys.get(idp.issuer);
  const now = Date.now();
  if (hit && now - hit.fetchedAt < (refetch ? KEY_REFETCH_MS : KEYS_TTL_MS)) return hit.jwks;
  const jwks = fetchKeys(config, idp);
  keys.set(idp.issuer, { jwks, fetchedAt: now });
  jwks.catch(() => {
    if (keys.get(idp.issuer)?.jwks === jwks) keys.delete(idp.issuer);
  });
  return jwks;
}

async function fetchKeys(config: Config, idp: TrustedEnterpriseIdp): Promise<JSONWebKeySet> {
  const issuer = new URL(idp.issuer);
  const http = { signal: () => AbortSignal.timeout(UPSTREAM_TIMEOUT_MS), headers: { "User-Agent": "Gatehouse" }, [oauth.allowInsecureRequests]: insecureAllowed(config, idp.issuer) };
  const metadata = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...http, algorithm: "oidc" }));
  if (!metadata.jwks_uri || !(metadata.jwks_uri.startsWith("https://") || insecureAllowed(config, metadata.jwks_uri))) throw new Error("the IdP's discovery document has no https jwks_uri");
  const response = await fetch(metadata.jwks_uri, { headers: { Accept: "application/json", "User-Agent": "Gatehouse" }, signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`the IdP's JWKS answered ${response.status}`);
  const jwks = (await response.json()) as JSONWebKeySet;
  if (!Array.isArray(jwks.keys)) throw new Error("the IdP's JWKS has no keys");
  return jwks;
}
