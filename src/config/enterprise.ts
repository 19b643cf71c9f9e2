// TRUSTED_ENTERPRISE_IDPS: the enterprise identity providers whose Identity Assertion JWT Authorization Grants
// (ID-JAG) Gatehouse redeems at /token, and for which clients and resources each may assert.
import * as z from "zod";
import { isLoopbackHost, type Reader } from "./reader";

/** One trusted enterprise IdP. Its keys come from its JWKS, found by OpenID Connect discovery from `issuer`. */
export interface TrustedEnterpriseIdp {
  /** The IdP's issuer identifier, exactly as its assertions' `iss`. */
  issuer: string;
  /** What people and the user record call the enterprise; default: the issuer's host. */
  name: string;
  /** The client_ids it may assert for: an assertion's `client_id` must be one, and be the authenticated client. */
  clients: string[];
  /** The protected resources (RFC 8707) it may assert for; `undefined`: every one Gatehouse serves. */
  audiences?: string[];
  /** The provider name users are kept under (D1 `users.provider`): an upstream's name when it is the same IdP, so both ways reach one user. */
  provider: string;
  /** Whether an `email` without `email_verified` counts as verified (the IdP's directory addresses are its own). */
  trustEmail: boolean;
}

export interface Enterprise {
  trustedEnterpriseIdps: TrustedEnterpriseIdp[];
}

const httpsOrLoopback = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || (url.protocol === "http:" && isLoopbackHost(url.hostname));
  } catch {
    return false;
  }
}, "must be an https URL");

const entry = z
  .object({
    issuer: httpsOrLoopback,
    name: z.string().min(1).max(100).optional(),
    clients: z.array(z.string().min(1).max(2000)).min(1).max(100),
    audiences: z.array(z.string().min(1).max(2000)).min(1).max(100).optional(),
    provider: z.string().min(1).max(100).optional(),
    trust_email: z.boolean().default(false),
  })
  .strict();

/**
 * Reads TRUSTED_ENTERPRISE_IDPS. `provider` defaults to the upstream with the same issuer (`upstreams`: name and
 * issuer of each configured provider), else to the issuer itself.
 * @see https://datatracker.ietf.org/doc/draft-ietf-oauth-identity-assertion-authz-grant/
 */
export function parseEnterprise(read: Reader, upstreams: readonly { name: string; issuer: string }[]): Enterprise {
  const entries = read.json("TRUSTED_ENTERPRISE_IDPS", z.array(entry).max(50), "a JSON array of trusted enterprise identity providers") ?? [];
  if (new Set(entries.map((e) => e.issuer)).size !== entries.length) read.problem("TRUSTED_ENTERPRISE_IDPS", "lists an issuer twice");
  return {
    trustedEnterpriseIdps: entries.map((e) => ({
      issuer: e.issuer,
      name: e.name ?? new URL(e.issuer).host,
      clients: e.clients,
      audiences: e.audiences,
      provider: e.provider ?? upstreams.find((u) => u.issuer === e.issuer)?.name ?? e.issuer,
      trustEmail: e.trust_email,
    })),
  };
}
