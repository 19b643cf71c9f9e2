// Maps the raw claims of an upstream ID token or userinfo response to Gatehouse's identity, following the
// provider's claim map. Pure: no network, no storage; everything it returns is trimmed and bounded.
import type { ClaimMap } from "../config";
import type { UpstreamIdentity } from "../identity";

/** Upper bounds on what is kept of each claim (RFC 5321 §4.5.3.1.3 caps a forward path at 256 octets). */
export const CLAIM_LIMITS = { subject: 255, email: 254, text: 200 } as const;

export type ClaimMappingResult = { ok: true; identity: UpstreamIdentity } | { ok: false; reason: string };

/**
 * Reads the claim at `path`: the literal key first (namespaced claims such as `https://example.com/org` contain
 * dots), then a dot-separated walk through nested objects (`org.id`).
 */
export function readClaim(claims: Record<string, unknown>, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];
  let current: unknown = claims;
  for (const segment of path.split(".")) {
    if (typeof current !== "object" || current === null || Array.isArray(current) || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/**
 * The identity in `claims` under the provider's claim map. A missing or unusable subject is the only failure;
 * a malformed email is dropped (and so counts as unverified), over-long display text is cut to its bound.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#StandardClaims
 */
export function mapClaims(provider: string, claims: Record<string, unknown>, map: ClaimMap): ClaimMappingResult {
  const subject = identifier(readClaim(claims, map.subject));
  if (subject === undefined) return { ok: false, reason: `subject claim "${map.subject}" is missing or not a usable identifier` };
  const email = normaliseEmail(readClaim(claims, map.email));
  return {
    ok: true,
    identity: {
      provider,
      subject,
      email,
      emailVerified: email !== undefined && isTrue(readClaim(claims, map.emailVerified)),
      domain: email?.slice(email.lastIndexOf("@") + 1),
      name: displayText(readClaim(claims, map.name)),
      orgId: identifier(readClaim(claims, map.orgId), CLAIM_LIMITS.text),
      orgName: displayText(readClaim(claims, map.orgName)),
    },
  };
}

/** `email_verified` as a boolean; some providers (e.g. older Cognito, some SAML bridges) send the string "true". */
export function isTrue(value: unknown): boolean {
  return value === true || (typeof value === "string" && value.trim().toLowerCase() === "true");
}

/** An email address with its domain lower-cased, or `undefined` when the value does not look like one. */
export function normaliseEmail(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  const at = trimmed.lastIndexOf("@");
  if (trimmed.length > CLAIM_LIMITS.email || at < 1 || at === trimmed.length - 1) return undefined;
  const local = trimmed.slice(0, at);
  const domain = trimmed.slice(at + 1).toLowerCase();
  if (/[\s<>]/.test(local) || !/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/.test(domain)) return undefined;
  return `${local}@${domain}`;
}

/** A string or integer identifier (GitHub's `id` is a number), trimmed; `undefined` when empty or too long. */
function identifier(value: unknown, limit: number = CLAIM_LIMITS.subject): string | undefined {
  const text = typeof value === "number" && Number.isSafeInteger(value) ? String(value) : typeof value === "string" ? value.trim() : undefined;
  if (!text || text.length > limit || /[\u0000-\u001f\u007f]/.test(text)) return undefined;
  return text;
}

/** Free text shown to people (names): trimmed, control characters removed, cut to its bound. */
function displayText(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const text = value.replace(/[\u0000-\u001f\u007f]/g, " ").trim();
  return text ? [...text].slice(0, CLAIM_LIMITS.text).join("").trimEnd() : undefined;
}
